"""Escalation with a frozen clock: A post → B post → town office, reminders, restarts, duplicate runs."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.clock import SHANGHAI
from bot.jobs.escalation import chase
from bot.ledger import states
from tests.helpers import ADVISER_LI, ADVISER_WANG, PERSONAL_CASE, consultations, outbox

V = "oVillagerEscalate00001"
OFFICE = "oDemoOfficeChengguan"
QUESTION = PERSONAL_CASE


def at(clock, day: int, hour: int, minute: int = 0) -> None:
    clock.at = dt.datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI).astimezone(dt.UTC)


@pytest.fixture
def forwarded(wechat, roster, clock):
    at(clock, 20, 10)  # Friday 10:00 in Shanghai
    wechat.event(V, "subscribe", "qrscene_370303001")
    wechat.text(V, QUESTION)
    return consultations(roster)[0]


def kinds(services) -> list[str]:
    return [e.kind for e in consultations(services)[0].events]


def test_deadline_counts_working_hours(forwarded):
    # Friday 10:00 + 4 working hours (08:30-12:00, 13:30-17:30) = Friday 15:30
    assert forwarded.deadline_at == dt.datetime(2026, 11, 20, 15, 30, tzinfo=SHANGHAI)


def test_a_answers_in_time_nothing_escalates(wechat, roster, clock, forwarded):
    at(clock, 20, 11)
    wechat.text(ADVISER_WANG, f"#{forwarded.id} 先申请乡镇调处。")
    at(clock, 23, 12)
    assert chase(roster) == {"reminded": 0, "escalated": 0, "alerts_resent": 0}
    assert consultations(roster)[0].escalation_level == 0


def test_reminder_before_the_deadline_then_b_post(roster, clock, forwarded):
    at(clock, 20, 14, 45)
    assert chase(roster)["reminded"] == 1
    [reminder] = [m for m in outbox(roster, ADVISER_WANG) if "提醒" in m.text]
    assert "李芳律师" in reminder.text and "15:30" in reminder.text
    at(clock, 20, 15, 31)
    assert chase(roster)["escalated"] == 1
    case = consultations(roster)[0]
    assert case.escalation_level == 1 and case.adviser.name == "李芳"
    assert any("转办" in m.text for m in outbox(roster, ADVISER_LI))
    assert any("李芳律师" in m.text and m.purpose == "progress" for m in outbox(roster, V))
    assert "escalated_to_b" in kinds(roster)


def test_both_silent_goes_to_the_town_office(roster, clock, forwarded):
    at(clock, 20, 15, 31)
    chase(roster)
    at(clock, 21, 10, 1)  # 24 h after the forward
    assert chase(roster)["escalated"] == 1
    case = consultations(roster)[0]
    assert case.escalation_level == 2 and case.deadline_at is None
    assert any("司法所" in m.text for m in outbox(roster, OFFICE))
    assert any("司法所" in m.text for m in outbox(roster, V))
    at(clock, 25, 10)
    assert chase(roster)["escalated"] == 0  # nothing further to escalate


def test_answer_after_escalation_closes_it(wechat, roster, clock, forwarded):
    at(clock, 20, 15, 31)
    chase(roster)
    at(clock, 20, 16)
    wechat.text(ADVISER_WANG, f"#{forwarded.id} 抱歉晚了，建议先申请调处。")  # the A post may still answer
    case = consultations(roster)[0]
    assert case.status == states.ADVISER_ANSWERED and case.answered_by.name == "王明"
    at(clock, 21, 11)
    assert chase(roster)["escalated"] == 0


def test_duplicate_runs_and_restart_do_not_repeat_steps(roster, clock, forwarded):
    at(clock, 20, 15, 31)
    first = chase(roster)
    second = chase(roster)  # the same tick twice (a second worker, or a restart mid-way)
    assert first["escalated"] == 1 and second["escalated"] == 0
    notices = [m for m in outbox(roster, ADVISER_LI) if "转办" in m.text]
    assert len(notices) == 1


def test_legal_aid_priority_shortens_the_deadline(wechat, roster, clock):
    at(clock, 20, 10)
    wechat.event(V, "subscribe", "qrscene_370303001")
    resp = wechat.text(V, "包工头跑了，欠俺们十几个人三个月工钱，工地老板说不归他管，俺们咋办")
    assert "法律援助" in resp.text and "12348" in resp.text
    case = consultations(roster)[0]
    assert case.legal_aid_group == "migrant_wages"
    assert case.deadline_at == dt.datetime(2026, 11, 20, 12, 0, tzinfo=SHANGHAI)  # 2 working hours, not 4


def test_unacknowledged_alert_is_resent_and_escalated_until_acknowledged(wechat, roster, clock):
    at(clock, 20, 10)
    wechat.event(V, "subscribe", "qrscene_370303001")
    wechat.text(V, "他再不还钱我就拿刀去砍死他全家")
    case = consultations(roster)[0]
    assert case.status == states.ALERT
    at(clock, 20, 10, 10)
    assert chase(roster)["alerts_resent"] == 0
    at(clock, 20, 10, 16)
    assert chase(roster)["alerts_resent"] == 1
    assert any("紧急未确认" in m.text for m in outbox(roster, ADVISER_LI))
    assert consultations(roster)[0].escalation_level == 1
    resp = wechat.text(ADVISER_LI, f"#{case.id} 收到")
    assert "已确认" in resp.text
    resp = wechat.text(ADVISER_LI, f"#{case.id} 处置 已电话联系并通知村委会上门劝解")
    case = consultations(roster)[0]
    assert case.alert_acked_at is not None and case.alert_acked_by == "李芳"
    assert case.alert_disposal.startswith("已电话联系")
    at(clock, 20, 11)
    assert chase(roster)["alerts_resent"] == 0


def test_worker_restart_mid_way_neither_loses_nor_repeats(roster, clock, forwarded, settings):
    from bot.jobs.outbox import deliver_due
    from bot.services import Services
    from tests.test_outbox import RecordingGateway

    at(clock, 20, 15, 31)
    assert chase(roster)["escalated"] == 1  # the old worker escalated, then died before delivering
    restarted = Services.build(roster.settings, clock)  # a new process: fresh engine, no memory of the old one
    restarted._answerer = roster._answerer
    try:
        assert chase(restarted) == {"reminded": 0, "escalated": 0, "alerts_resent": 0}
        gateway = RecordingGateway()
        restarted_window = clock.now()
        from bot.ledger import repo

        with restarted.sessions.begin() as session:
            repo.open_window(session, ADVISER_LI, restarted_window)
        deliver_due(restarted, gateway)
        assert sum(1 for to, text in gateway.sent if to == ADVISER_LI and "转办" in text) == 1
        deliver_due(restarted, gateway)
        assert sum(1 for to, text in gateway.sent if to == ADVISER_LI and "转办" in text) == 1
    finally:
        restarted.dispose()
