"""Statistics against an independent count of a generated ledger: periods (Asia/Shanghai ISO weeks,
months, quarters, custom dates), every breakdown, routes, response times, ratings, alerts, legal aid,
on-site hours, scopes. The expected values below are computed in plain Python from the generated rows."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import numpy as np
import pytest

from bot.config import ConfigError, Settings
from bot.stats.periods import PeriodError, custom, parse_month, parse_quarter, parse_week, resolve_period
from bot.stats.report import build_stats
from bot.stats.scope import Scope, filter_scope
from tests.stats_ledger import NOW, SH, counted, generate

OPEN = ("waiting_adviser", "alert")


@pytest.fixture
def ledger(roster):
    return generate(roster)


def route(r: dict) -> str:
    if r["status"] == "bot_answered":
        return "bot"
    if r["escalation_level"] > 0:
        return "escalated"
    return "adviser" if r["status"] == "adviser_answered" else "pending"


def within(period, r: dict) -> bool:
    """Counted in the period's statistics: created in it, and not closed by an adviser as chatter."""
    return period.first_day <= r["created_at"].astimezone(SH).date() <= period.last_day and counted(r)


def stats_for(services, period, scope: Scope | None = None, now=NOW):
    with services.sessions() as session:
        return build_stats(session, period, scope or Scope(), services.settings, now, histogram=True)


def minutes(records: list[dict]) -> list[float]:
    return [(r["answered_at"] - r["forwarded_at"]).total_seconds() / 60 for r in records]


def expected_percentiles(records: list[dict]) -> tuple[float | None, float | None]:
    values = minutes([r for r in records if r["status"] == "adviser_answered"])
    if not values:
        return None, None
    return float(np.percentile(values, 50)), float(np.percentile(values, 90))


PERIODS = [
    parse_week("2026-W45"),
    parse_week("2026-W46"),
    parse_week("2026-W47"),
    parse_week("2026-W48"),
    parse_week("2026-W49"),
    parse_month("2026-11"),
    parse_month("2026-12"),
    parse_quarter("2026-Q4"),
    custom(dt.date(2026, 11, 10), dt.date(2026, 11, 25)),
]


@pytest.mark.parametrize("period", PERIODS, ids=lambda p: p.label)
def test_counts_match_an_independent_count(roster, ledger, period):
    rows = [r for r in ledger.records if within(period, r)]
    stats = stats_for(roster, period)

    assert stats["total"] == len(rows) > 0
    assert {r["route"]: r["total"] for r in stats["by_route"]} == {
        k: Counter(route(r) for r in rows)[k] for k in ("bot", "adviser", "pending", "escalated")
    }
    assert sum(r["total"] for r in stats["by_route"]) == stats["total"]  # a partition: each one exactly once

    by_category = {r["category"]: r["total"] for r in stats["by_category"] if r["total"]}
    assert by_category == dict(Counter(r["category"] for r in rows))

    by_village = {r["village_code"]: r["total"] for r in stats["by_village"] if r["total"]}
    assert by_village == dict(Counter(ledger.village_code[r["village_id"]] for r in rows))

    by_town = {r["town_id"]: r["total"] for r in stats["by_town"] if r["total"]}
    assert by_town == dict(Counter(ledger.village_town[r["village_id"]] for r in rows))

    by_county = {r["county"]: r["total"] for r in stats["by_county"] if r["total"]}
    assert by_county == dict(Counter(ledger.town_county[ledger.village_town[r["village_id"]]] for r in rows))

    for row in stats["by_adviser"]:
        mine = [r for r in rows if r["adviser_id"] == row["adviser_id"]]
        assert ledger.advisers[row["name"]] == row["adviser_id"]
        assert row["total"] == len(mine)
        assert row["adviser"] == sum(1 for r in mine if route(r) == "adviser")
        assert row["overdue"] == sum(1 for r in mine if r["status"] in OPEN and r["deadline_at"] < NOW)
        assert row["answered_by"] == sum(1 for r in rows if r["answered_by_id"] == row["adviser_id"])
        median, p90 = expected_percentiles(mine)
        assert row["response_median_minutes"] == pytest.approx(median, abs=0.01)
        assert row["response_p90_minutes"] == pytest.approx(p90, abs=0.01)


@pytest.mark.parametrize("week", ["2026-W46", "2026-W47", "2026-W48"])
def test_rates_times_alerts_and_legal_aid(roster, ledger, week):
    period = parse_week(week)
    rows = [r for r in ledger.records if within(period, r)]
    s = stats_for(roster, period)["summary"]
    answered = [r for r in rows if r["status"] == "adviser_answered"]
    in_time = [r for r in answered if r["answered_at"] <= r["deadline_at"]]
    rated = [r for r in rows if r["rating"] is not None]

    assert s["answered"] == len(answered)
    assert s["in_time"] == len(in_time)
    assert s["in_time_rate"] == pytest.approx(len(in_time) / len(answered), abs=1e-4)
    assert s["closed"] == len(answered) + sum(1 for r in rows if r["status"] == "bot_answered")
    assert s["rated"] == len(rated)
    assert s["satisfaction_rate"] == pytest.approx(sum(1 for r in rated if r["rating"] < 3) / len(rated), abs=1e-4)
    assert s["rating_3"] == sum(1 for r in rated if r["rating"] == 3)
    assert s["reopened"] == sum(1 for r in rows if r["reopened_count"] > 0)
    assert s["open"] == sum(1 for r in rows if r["status"] in OPEN)
    median, p90 = expected_percentiles(rows)
    assert s["response_median_minutes"] == pytest.approx(median, abs=0.01)
    assert s["response_p90_minutes"] == pytest.approx(p90, abs=0.01)

    stats = stats_for(roster, period)
    alerts = [r for r in rows if r["alert_kind"]]
    acked = [r for r in alerts if r["alert_acked_at"]]
    assert stats["alerts"]["total"] == len(alerts)
    assert stats["alerts"]["unacked"] == len(alerts) - len(acked)
    assert {k["kind"]: k["total"] for k in stats["alerts"]["by_kind"]} == dict(Counter(r["alert_kind"] for r in alerts))
    if acked:
        ack_minutes = [(r["alert_acked_at"] - r["created_at"]).total_seconds() / 60 for r in acked]
        assert stats["alerts"]["ack_median_minutes"] == pytest.approx(float(np.percentile(ack_minutes, 50)), abs=0.01)
        assert stats["alerts"]["ack_p90_minutes"] == pytest.approx(float(np.percentile(ack_minutes, 90)), abs=0.01)
    aid = Counter(r["legal_aid_group"] for r in rows if r["legal_aid_group"])
    assert stats["legal_aid"]["total"] == sum(aid.values())
    assert {g["group"]: g["total"] for g in stats["legal_aid"]["by_group"]} == dict(aid)
    histogram = stats["response_histogram"]
    assert sum(b["count"] for b in histogram) == len(answered)
    assert sum(b["in_time"] for b in histogram) == len(in_time)
    assert histogram[0]["count"] == sum(1 for m in minutes(answered) if m < 60)


def test_week_boundaries_are_shanghai_midnights(roster, ledger):
    w46, w47, w48 = (stats_for(roster, parse_week(w))["total"] for w in ("2026-W46", "2026-W47", "2026-W48"))
    # The generated boundary rows: 23:59:59.999 Sunday → W46; Monday 00:00, Monday 07:00 (still Sunday in
    # UTC) and Sunday 23:59:59 → W47; the next Monday 00:00 → W48.
    local_weeks = Counter(r["created_at"].astimezone(SH).isocalendar()[1] for r in ledger.records if counted(r))
    assert (w46, w47, w48) == (local_weeks[46], local_weeks[47], local_weeks[48])
    utc_weeks = Counter(r["created_at"].isocalendar()[1] for r in ledger.records if counted(r))
    assert utc_weeks[47] != local_weeks[47]  # counting by UTC dates would give other numbers


def test_a_town_scope_sees_only_its_villages(roster, ledger):
    period = parse_week("2026-W47")
    town_id = ledger.towns["城关镇"]
    stats = stats_for(roster, period, Scope("示范县", town_id, "城关镇"))
    rows = [r for r in ledger.records if within(period, r) and ledger.village_town[r["village_id"]] == town_id]
    assert stats["total"] == len(rows)
    assert {v["village"] for v in stats["by_village"]} == {"河东村", "河西村"}
    assert [t["town"] for t in stats["by_town"]] == ["城关镇"]
    county = stats_for(roster, period, Scope("示范县"))
    assert county["total"] == sum(
        1
        for r in ledger.records
        if within(period, r) and ledger.town_county[ledger.village_town[r["village_id"]]] == "示范县"
    )
    assert county["total"] < stats_for(roster, period)["total"]  # 另一县 is left out


def test_onsite_hours_per_adviser_village_month_against_the_county_minimum(roster, ledger):
    settings = roster.settings.with_overrides(onsite_min_hours=8.0, onsite_min_hours_by_county={"另一县": 3.0})
    with roster.sessions() as session:
        stats = build_stats(session, parse_month("2026-11"), Scope(), settings, NOW)
    expected: Counter = Counter()
    for d in ledger.duty:
        if d["kind"] == "onsite" and d["ended_at"] and d["started_at"].astimezone(SH).month == 11:
            expected[(d["adviser_id"], d["village_id"])] += (d["ended_at"] - d["started_at"]).total_seconds() / 3600
    rows = stats["onsite"]["rows"]
    code_to_id = {code: vid for vid, code in ledger.village_code.items()}
    got = {(r["adviser_id"], code_to_id[r["village_code"]]): r["hours"] for r in rows}
    assert {k: v for k, v in got.items() if v} == pytest.approx({k: v for k, v in expected.items() if v})
    for r in rows:
        vid = code_to_id[r["village_code"]]
        is_a = ledger.a_post[vid] == r["adviser_id"]
        county = ledger.town_county[ledger.village_town[vid]]
        minimum = 3.0 if county == "另一县" else 8.0
        assert r["minimum"] == (minimum if is_a else None)
        assert r["below_minimum"] == (is_a and r["hours"] < minimum)  # November is over by NOW
        assert not r["short_so_far"]
    with roster.sessions() as session:  # in December, December is not judged yet
        december = build_stats(session, parse_month("2026-12"), Scope(), settings, NOW)["onsite"]["rows"]
    assert not any(r["below_minimum"] for r in december)
    a_posts = [r for r in december if r["post"] == "A"]
    assert all(r["short_so_far"] == (r["hours"] < r["minimum"]) for r in a_posts)
    assert any(r["short_so_far"] for r in a_posts)
    # every village's A post is listed, even without a single record
    assert {code_to_id[r["village_code"]] for r in rows if r["post"] == "A"} == set(ledger.a_post)


def test_an_empty_period_is_zero_not_an_error(roster, ledger):
    stats = stats_for(roster, parse_week("2027-W10"))
    assert stats["total"] == 0
    assert stats["summary"]["in_time_rate"] is None and stats["summary"]["response_median_minutes"] is None
    assert all(r["total"] == 0 for r in stats["by_village"])


def test_smalltalk_is_not_counted_and_a_consultation_counts_once(roster, wechat, clock):
    villager = "oStatsSmalltalk0001"
    wechat.event(villager, "subscribe", "qrscene_370303001")
    wechat.text(villager, "你好")
    wechat.text(villager, "谢谢")
    wechat.text(villager, "我家宅基地被邻居占了一米多，村里调解不成，我该去哪里起诉？")
    wechat.text(villager, "人工")
    wechat.text(villager, "补充一下，对方去年就开始盖墙了")
    stats = stats_for(roster, resolve_period(clock.now()), now=clock.now())
    assert stats["total"] == 1
    assert sum(r["total"] for r in stats["by_route"]) == 1


def test_period_parsing_and_errors():
    now = dt.datetime(2026, 11, 15, 17, 0, tzinfo=dt.UTC)  # Monday 01:00 in Shanghai, Sunday in UTC
    assert resolve_period(now).label == "2026-W47"
    assert resolve_period(now, week="last").label == "2026-W46"
    assert resolve_period(now, month="this").label == "2026-11"
    assert resolve_period(now, quarter="2026-Q4").first_day == dt.date(2026, 10, 1)
    assert parse_week("2026-W53").label == "2026-W53"  # 2026 has 53 ISO weeks
    assert parse_week("2026W01").first_day == dt.date(2025, 12, 29)
    assert parse_week("2026-W47").start == dt.datetime(2026, 11, 16, tzinfo=SH)
    with pytest.raises(PeriodError, match="2026-W47"):
        resolve_period(now, week="47")
    with pytest.raises(PeriodError, match="只能指定一种"):
        resolve_period(now, week="2026-W47", month="2026-11")
    with pytest.raises(PeriodError, match="早于"):
        resolve_period(now, start="2026-11-30", end="2026-11-01")
    with pytest.raises(PeriodError):
        parse_week("2025-W53")


def test_onsite_minimum_settings_are_validated():
    env = {"LEGALBOT_INSTANCE_DIR": "/tmp/legalbot-stats-config", "LEGALBOT_SECRET_KEY": "x"}
    settings = Settings.from_env({**env, "LEGALBOT_ONSITE_MIN_HOURS_BY_COUNTY": "示范县:10，另一县：6"})
    assert settings.onsite_min_hours == 8
    assert settings.onsite_minimum("示范县") == 10 and settings.onsite_minimum("另一县") == 6
    assert settings.onsite_minimum("别的县") == 8
    with pytest.raises(ConfigError, match="LEGALBOT_ONSITE_MIN_HOURS="):
        Settings.from_env({**env, "LEGALBOT_ONSITE_MIN_HOURS": "八"})
    with pytest.raises(ConfigError, match="LEGALBOT_ONSITE_MIN_HOURS_BY_COUNTY"):
        Settings.from_env({**env, "LEGALBOT_ONSITE_MIN_HOURS_BY_COUNTY": "示范县=10"})
    with pytest.raises(ConfigError, match="LEGALBOT_ONSITE_MIN_HOURS_BY_COUNTY"):
        Settings.from_env({**env, "LEGALBOT_ONSITE_MIN_HOURS_BY_COUNTY": "示范县:-1"})


def test_a_single_county_database_is_counted_without_a_village_filter(roster):
    with roster.sessions() as session:
        assert filter_scope(session, Scope("示范县")) == Scope()  # the sample roster has one county
        assert filter_scope(session, Scope("示范县", 1, "城关镇")).town_id == 1
    ledger = generate(roster)  # adds 另一县
    with roster.sessions() as session:
        assert filter_scope(session, Scope("示范县")) == Scope("示范县")
    period = parse_week("2026-W47")
    assert stats_for(roster, period, Scope("示范县"))["total"] == sum(
        1
        for r in ledger.records
        if within(period, r) and ledger.town_county[ledger.village_town[r["village_id"]]] == "示范县"
    )
