"""Scheduled reports with a frozen clock: Monday 08:00 Asia/Shanghai weekly report, the 1st 08:00 monthly
ranking, files on disk, one notice per subscribed bureau user, never built or sent twice."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from openpyxl import load_workbook
from sqlalchemy import select

from bot.jobs import reports as reports_module
from bot.jobs.reports import build_report, due_month, due_week, run_due_reports
from bot.jobs.worker import schedule_jobs
from bot.ledger.tables import JobRun, OutboxMessage, Report, User
from bot.services import Services
from bot.stats.periods import parse_week
from tests.stats_ledger import SH, counted, generate
from tests.test_bureau_support import make_user

MONDAY_0800 = dt.datetime(2026, 11, 23, 8, 0, tzinfo=SH)


@pytest.fixture
def ledger(roster):
    ledger = generate(roster)
    make_user(roster, "bureau.zhang", openid="oBureauZhang")
    make_user(roster, "bureau.wang")  # no WeChat: nothing to send to
    make_user(roster, "bureau.quiet", openid="oBureauQuiet")
    make_user(roster, "town.li", role="town", town="城关镇", openid="oTownLi")  # county reports are for the bureau
    make_user(roster, "other.county", county="另一县", openid="oOtherCounty")
    with roster.sessions.begin() as session:
        session.scalar(select(User).where(User.username == "bureau.quiet")).subscribed_reports = False
    return ledger


def built(services) -> set[tuple[str, str, str]]:
    with services.sessions() as session:
        return {(r.kind, r.period, r.county) for r in session.scalars(select(Report))}


def notices(services) -> list[OutboxMessage]:
    with services.sessions() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "report")))


def test_due_periods_turn_over_at_eight_in_shanghai():
    assert due_week(MONDAY_0800 - dt.timedelta(seconds=1)).label == "2026-W46"
    assert due_week(MONDAY_0800).label == "2026-W47"
    assert due_week(MONDAY_0800 + dt.timedelta(days=6)).label == "2026-W47"
    first = dt.datetime(2026, 12, 1, 8, 0, tzinfo=SH)
    assert due_month(first - dt.timedelta(seconds=1)).label == "2026-10"
    assert due_month(first).label == "2026-11"


def test_monday_report_is_built_once_and_announced_once(roster, ledger, clock):
    clock.at = MONDAY_0800 - dt.timedelta(minutes=1)
    run_due_reports(roster)
    assert ("weekly", "2026-W46", "示范县") in built(roster) and ("weekly", "2026-W47", "示范县") not in built(roster)

    clock.at = MONDAY_0800
    made = run_due_reports(roster)
    assert {(r.kind, r.period, r.county) for r in made} == {
        ("weekly", "2026-W47", "示范县"),
        ("weekly", "2026-W47", "另一县"),
    }
    assert run_due_reports(roster) == []  # the same minute again
    restarted = Services.build(roster.settings, clock)
    try:
        assert run_due_reports(restarted) == []  # a restart
    finally:
        restarted.dispose()

    weekly = [n for n in notices(roster) if "2026年第47周" in n.text]
    assert sorted(n.recipient for n in weekly) == ["oBureauZhang", "oOtherCounty"]
    period = parse_week("2026-W47")
    county_total = sum(
        1
        for r in ledger.records
        if period.first_day <= r["created_at"].astimezone(SH).date() <= period.last_day
        and ledger.town_county[ledger.village_town[r["village_id"]]] == "示范县"
        and counted(r)
    )
    text = next(n.text for n in weekly if n.recipient == "oBureauZhang")
    assert text.startswith("【法律咨询周报】示范县 2026年第47周") and f"咨询量 {county_total} 件" in text
    assert len(text) < 600

    with roster.sessions() as session:
        report = session.scalar(select(Report).where(Report.period == "2026-W47", Report.county == "示范县"))
    book = load_workbook(Path(report.path))
    assert book["总览"]["B3"].value == county_total and "按村" in book.sheetnames


def test_monthly_ranking_on_the_first(roster, ledger, clock):
    clock.at = dt.datetime(2026, 12, 1, 8, 0, tzinfo=SH)
    run_due_reports(roster)
    assert ("monthly", "2026-11", "示范县") in built(roster)
    with roster.sessions() as session:
        report = session.scalar(select(Report).where(Report.kind == "monthly", Report.county == "示范县"))
    book = load_workbook(Path(report.path))
    assert book.sheetnames[0] == "顾问排名"
    sheet = book["顾问排名"]
    assert [c.value for c in sheet[2]][:4] == ["名次", "顾问", "负责咨询", "本人答复"]
    ranks = [row[0] for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert ranks == list(range(1, len(ranks) + 1)) and len(ranks) >= 3
    rates = [row[4] for row in sheet.iter_rows(min_row=3, values_only=True) if row[3]]
    as_numbers = [float(r.rstrip("%")) for r in rates]
    assert as_numbers == sorted(as_numbers, reverse=True)  # ranked by own on-time rate first
    texts = [n.text for n in notices(roster) if n.text.startswith("【每月排名通报】示范县 2026年11月")]
    assert len(texts) == 1 and "按时答复前三" in texts[0]
    assert run_due_reports(roster) == []


def test_a_claimed_report_is_not_built_and_a_failed_one_is_retried(roster, ledger, clock, monkeypatch):
    clock.at = MONDAY_0800
    with roster.sessions.begin() as session:  # another worker got there first
        session.add(JobRun(job="weekly_report", key="示范县:2026-W47", created_at=clock.now()))
    assert build_report(roster, "weekly", "示范县", parse_week("2026-W47")) is None
    assert notices(roster) == []

    def broken(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(reports_module, "to_xlsx", broken)
    with pytest.raises(OSError):
        build_report(roster, "weekly", "另一县", parse_week("2026-W47"))
    with roster.sessions() as session:
        assert session.scalar(select(JobRun).where(JobRun.key == "另一县:2026-W47")) is None
    assert notices(roster) == []
    monkeypatch.undo()
    assert build_report(roster, "weekly", "另一县", parse_week("2026-W47")) is not None
    assert [n.recipient for n in notices(roster)] == ["oOtherCounty"]


def test_the_worker_schedules_monday_and_first_of_month_at_eight(roster):
    scheduler = schedule_jobs(BackgroundScheduler(timezone="Asia/Shanghai"), roster, gateway=None)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    friday = dt.datetime(2026, 11, 20, 10, 0, tzinfo=SH)
    weekly = jobs["weekly_report"].trigger.get_next_fire_time(None, friday)
    monthly = jobs["monthly_ranking"].trigger.get_next_fire_time(None, friday)
    assert weekly == dt.datetime(2026, 11, 23, 8, 0, tzinfo=SH)
    assert monthly == dt.datetime(2026, 12, 1, 8, 0, tzinfo=SH)
