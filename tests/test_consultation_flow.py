"""A villager asks; the bot answers or forwards; the adviser answers; the ledger records one consultation."""

from __future__ import annotations

import pytest

from bot.jobs.outbox import deliver_due
from bot.ledger import states
from tests.helpers import ADVISER_LI, ADVISER_WANG, PERSONAL_CASE, consultations, outbox

V = "oVillagerFlow000000001"
PERSONAL = PERSONAL_CASE


@pytest.fixture
def bound(wechat, roster):
    wechat.event(V, "subscribe", "qrscene_370303001")
    return wechat


def test_confident_faq_question_is_answered_with_its_legal_basis(bound, roster):
    resp = bound.text(V, "离婚冷静期多久")
    assert "30" in resp.text and "《民法典》第一千零七十七条" in resp.text and "人工" in resp.text
    [case] = consultations(roster)
    assert (case.route, case.status, case.category) == (states.ROUTE_BOT, states.BOT_ANSWERED, "marriage_family")
    assert case.faq_id and case.answer and case.answered_at
    assert outbox(roster) == []


def test_personal_case_is_forwarded_to_the_a_post_adviser(bound, roster):
    resp = bound.text(V, PERSONAL)
    assert "王明律师" in resp.text and "#" in resp.text
    [case] = consultations(roster)
    assert (case.route, case.status, case.adviser.name) == (states.ROUTE_ADVISER, states.WAITING, "王明")
    [notice] = outbox(roster, ADVISER_WANG)
    assert f"#{case.id}" in notice.text and "河东村" in notice.text and PERSONAL in notice.text
    assert f"回复 #{case.id}" in notice.text


def test_adviser_answer_is_relayed_and_closes_the_record(bound, roster):
    bound.text(V, PERSONAL)
    [case] = consultations(roster)
    resp = bound.text(ADVISER_WANG, f"回复 #{case.id} 您好，先找村委会调解，不成可以向乡镇政府申请处理。")
    assert "已把您对" in resp.text
    [case] = consultations(roster)
    assert case.status == states.ADVISER_ANSWERED and case.answered_by.name == "王明"
    assert case.answer.startswith("您好，先找村委会调解") and case.answered_at is not None
    [relay] = outbox(roster, V)
    assert relay.purpose == "answer" and "王明律师" in relay.text


def test_relayed_answer_is_delivered_by_the_worker(bound, roster):
    from tests.test_outbox import RecordingGateway

    bound.text(V, PERSONAL)
    case = consultations(roster)[0]
    bound.text(ADVISER_WANG, f"#{case.id} 可以先调解。")
    gateway = RecordingGateway()
    deliver_due(roster, gateway)
    assert [to for to, _ in gateway.sent].count(V) == 1
    assert consultations(roster)[0].delivered_at is not None


def test_follow_ups_join_the_waiting_consultation_and_skip_the_faq(bound, roster):
    bound.text(V, PERSONAL)
    resp = bound.text(V, "离婚冷静期多久")  # an FAQ question, but a person is already on the case
    assert "已补充" in resp.text
    image = bound.image(V)
    assert "图片" in image.text
    [case] = consultations(roster)
    assert [m.author for m in case.messages] == ["villager", "villager", "villager"]
    assert len(outbox(roster, ADVISER_WANG)) == 3


def test_human_request_reopens_the_last_bot_answer(bound, roster):
    bound.text(V, "离婚冷静期多久")
    resp = bound.text(V, "人工")
    assert "王明律师" in resp.text
    [case] = consultations(roster)
    assert case.status == states.WAITING and case.route == states.ROUTE_ADVISER
    assert "reopened" in [e.kind for e in case.events]


def test_human_request_with_a_question_forwards_it(bound, roster):
    resp = bound.text(V, "找律师 结婚年龄是多少")
    assert "王明律师" in resp.text
    [case] = consultations(roster)
    assert case.question == "结婚年龄是多少" and case.status == states.WAITING


def test_only_the_assigned_advisers_may_answer(bound, roster):
    bound.text(V, PERSONAL)
    case = consultations(roster)[0]
    resp = bound.text("oDemoOfficeChengguan", f"#{case.id} 我来答")  # not an adviser: treated as a villager
    assert "已把您对" not in resp.text
    # 张伟 serves only 河口镇河东村
    bound.event("oAdviserZhangWei0000001", "subscribe", "qrscene_adviser:13800000003")
    resp = bound.text("oAdviserZhangWei0000001", f"#{case.id} 我来答")
    assert "不是您负责" in resp.text
    resp = bound.text(ADVISER_LI, f"#{case.id} 我是B岗，您可以先调解。")  # the B post may answer
    assert "已把您对" in resp.text
    assert consultations(roster)[0].answered_by.name == "李芳"


def test_todo_lists_open_consultations_oldest_first(bound, roster, clock):
    bound.text(V, PERSONAL)
    clock.advance(minutes=30)
    bound.text("oVillagerFlow000000002", "绑定 370303002")
    bound.text("oVillagerFlow000000002", "俺男人在外头打工出事了，包工头跑了，工地说不管，医药费花了好几万，咋整")
    resp = bound.text(ADVISER_WANG, "待办")
    lines = resp.text.splitlines()
    assert "2条" in lines[0]
    assert "河东村" in lines[1] and "河西村" in lines[2]


def test_adviser_reply_to_unknown_number(bound, roster):
    assert "没有编号" in bound.text(ADVISER_WANG, "#99999 你好").text


def test_adviser_free_text_gets_help(bound, roster):
    assert "#编号" in bound.text(ADVISER_WANG, "你好").text


def test_voice_with_recognition_is_a_question(bound, roster):
    resp = bound.voice(V, "离婚冷静期多久")
    assert "第一千零七十七条" in resp.text


def test_voice_without_recognition_is_answered_politely_and_stored(bound, roster):
    resp = bound.voice(V, None)
    assert "语音" in resp.text
    assert consultations(roster) == []


def test_smalltalk_is_not_a_consultation(bound, roster):
    assert "法律" in bound.text(V, "你好").text
    assert "不客气" in bound.text(V, "谢谢你").text
    assert consultations(roster) == []


def test_sensitive_message_alerts_adviser_and_town_office(bound, roster):
    resp = bound.text(V, "活着没意思，我不想活了")
    assert "12356" in resp.text or "110" in resp.text
    [case] = consultations(roster)
    assert case.status == states.ALERT and case.alert_kind == "self_harm"
    assert any("紧急" in m.text for m in outbox(roster, ADVISER_WANG))
    assert any("紧急" in m.text for m in outbox(roster, "oDemoOfficeChengguan"))
