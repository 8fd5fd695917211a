"""Satisfaction ratings, the duty ledger, login links and FAQ proposals through WeChat messages."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.auth import redeem_login_code
from bot.ledger import states
from bot.ledger.tables import DutyRecord, FaqCandidate
from tests.helpers import ADVISER_LI, ADVISER_WANG, PERSONAL_CASE, consultations, outbox

V = "oVillagerCommands00001"
QUESTION = PERSONAL_CASE


@pytest.fixture
def answered(wechat, roster):
    wechat.event(V, "subscribe", "qrscene_370303001")
    wechat.text(V, QUESTION)
    case = consultations(roster)[0]
    wechat.text(ADVISER_WANG, f"#{case.id} 建议先申请乡镇政府调处。")
    return case


def test_relayed_answer_asks_for_a_rating(roster, answered):
    [relay] = outbox(roster, V)
    assert "回复1满意" in relay.text


def test_rating_is_stored(wechat, roster, answered):
    assert "谢谢" in wechat.text(V, "1").text
    case = consultations(roster)[0]
    assert case.rating == 1 and case.status == states.ADVISER_ANSWERED


def test_unhappy_rating_reopens_for_the_same_adviser(wechat, roster, answered):
    resp = wechat.text(V, "不满意")
    assert "王明律师" in resp.text
    case = consultations(roster)[0]
    assert (case.rating, case.status, case.reopened_count) == (3, states.WAITING, 1)
    assert any("不满意" in m.text for m in outbox(roster, ADVISER_WANG))
    wechat.text(ADVISER_WANG, f"#{case.id} 我明天上门和您细说。")
    assert consultations(roster)[0].status == states.ADVISER_ANSWERED


def test_bot_answers_ask_for_a_rating_too(wechat, roster):
    wechat.event(V, "subscribe", "qrscene_370303001")
    resp = wechat.text(V, "离婚冷静期多久")
    assert "回复1满意" in resp.text
    wechat.text(V, "2")
    assert consultations(roster)[0].rating == 2


def test_a_bare_number_without_anything_to_rate_is_a_question(wechat, roster):
    wechat.event(V, "subscribe", "qrscene_370303001")
    wechat.text(V, "3")
    assert all(c.rating is None for c in consultations(roster))


def test_rating_window_expires(wechat, roster, answered, clock):
    clock.advance(days=8)
    wechat.text(V, "1")
    assert consultations(roster)[0].rating is None


def test_check_in_and_out_records_hours(wechat, roster, clock):
    resp = wechat.text(ADVISER_WANG, "签到")
    assert "河东村" in resp.text and "河西村" in resp.text  # serves two villages: asks which
    assert "已签到" in wechat.text(ADVISER_WANG, "签到 河东村").text
    clock.advance(hours=3)
    resp = wechat.text(ADVISER_WANG, "签退")
    assert "3.0小时" in resp.text and "要求8小时" in resp.text
    assert "还没有签到" in wechat.text(ADVISER_WANG, "签退").text
    with roster.sessions() as session:
        [record] = session.scalars(select(DutyRecord)).all()
    assert record.ended_at - record.started_at == dt.timedelta(hours=3)


def test_talks_mediations_and_monthly_summary(wechat, roster, clock):
    wechat.text(ADVISER_WANG, "签到 河西村")
    clock.advance(hours=9)
    wechat.text(ADVISER_WANG, "签退")
    assert "法治讲座" in wechat.text(ADVISER_WANG, "讲座 河东村 反家暴法宣讲").text
    assert "调解" in wechat.text(ADVISER_WANG, "调解 河西村 宅基地边界纠纷").text
    summary = wechat.text(ADVISER_WANG, "台账").text
    assert "河东村：驻点0小时（不足），讲座1次" in summary
    assert "河西村：驻点9小时，讲座0次，调解1次" in summary


def test_login_link_is_a_working_one_time_code(wechat, roster):
    resp = wechat.text(ADVISER_LI, "登录")
    assert "/adviser/login/" in resp.text
    code = resp.text.rsplit("/", 1)[-1].strip()
    with roster.sessions.begin() as session:
        assert redeem_login_code(session, code, roster.clock.now()).adviser_id is not None
    with roster.sessions.begin() as session:
        assert redeem_login_code(session, code, roster.clock.now()) is None  # single use


def test_adviser_proposes_an_answer_as_faq(wechat, roster, answered):
    resp = wechat.text(ADVISER_WANG, f"#{answered.id} 可作为常见问题")
    assert "候选" in resp.text
    with roster.sessions() as session:
        [candidate] = session.scalars(select(FaqCandidate)).all()
    assert candidate.question == QUESTION and candidate.answer.startswith("建议先申请")
    assert consultations(roster)[0].faq_candidate


def test_only_alerts_can_be_acknowledged(wechat, roster, answered):
    resp = wechat.text(ADVISER_WANG, f"#{answered.id} 收到")
    assert "不是紧急事项" in resp.text
    assert consultations(roster)[0].alert_acked_at is None
    assert len(outbox(roster, V)) == 1  # nothing relayed to the villager
