"""Every console action changes the ledger exactly as its WeChat command does."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.ledger import states
from bot.ledger.tables import FaqCandidate
from tests.helpers import ADVISER_LI, ADVISER_WANG, outbox
from tests.test_console_support import CHENGGUAN_HEDONG, WANG, ask, login, post, reload

V = "oVillagerConsoleAct001"
ANSWER = "您好，宅基地边界纠纷先找村委会调解；调解不成，可以向乡镇人民政府申请处理，对处理不服的可以向法院起诉。"
THREATENED = "邻居说要拿刀砍死我全家，我现在很害怕"


@pytest.fixture
def case(wechat, roster, client):
    consultation = ask(wechat, roster, V, CHENGGUAN_HEDONG)
    assert consultation.status == states.WAITING
    login(client, roster, WANG)
    return consultation


def url(case, action: str) -> str:
    return f"/adviser/consultations/{case.id}/{action}"


def kinds(services, number: int) -> list[str]:
    return [e.kind for e in reload(services, number).events]


def test_answer_is_relayed_like_the_wechat_command(client, roster, case):
    resp = post(client, url(case, "answer"), answer=ANSWER)
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/adviser/consultations/{case.id}")
    after = reload(roster, case.id)
    assert (after.status, after.answered_by.name, after.answer) == (states.ADVISER_ANSWERED, "王明", ANSWER)
    assert after.answered_at is not None and [m.author for m in after.messages][-1] == "adviser"
    assert kinds(roster, case.id)[-1] == "answered"
    [relay] = [m for m in outbox(roster, V) if m.purpose == "answer"]
    assert ANSWER in relay.text and "王明律师" in relay.text and f"#{case.id}" in relay.text
    page = client.get(f"/adviser/consultations/{case.id}").get_data(as_text=True)
    assert f"已把您对 #{case.id} 的答复转给村民" in page and "发送补充答复" in page and "可作为常见问题" in page
    assert client.get("/adviser/").get_data(as_text=True).count(f"#{case.id}") == 0


def test_a_second_answer_is_a_supplement(client, roster, case):
    post(client, url(case, "answer"), answer=ANSWER)
    post(client, url(case, "answer"), answer="补充：申请时带上宅基地使用证。")
    after = reload(roster, case.id)
    assert after.answer.endswith("带上宅基地使用证。") and kinds(roster, case.id)[-1] == "supplemented"
    assert [m.text.startswith("【法律顾问补充答复") for m in outbox(roster, V) if m.purpose == "answer"] == [
        False,
        True,
    ]


@pytest.mark.parametrize(("text", "message"), [("   ", "请先写好答复内容"), ("好" * 501, "500字以内")])
def test_empty_or_too_long_answers_are_refused(client, roster, case, text, message):
    resp = post(client, url(case, "answer"), follow=True, answer=text)
    assert message in resp.get_data(as_text=True)
    assert reload(roster, case.id).status == states.WAITING
    assert [m for m in outbox(roster, V) if m.purpose == "answer"] == []


def test_category_correction_is_stored_for_retraining(client, roster, case):
    target = "land" if case.category != "land" else "tort_neighbor"
    resp = post(client, url(case, "category"), follow=True, category=target)
    assert "会用来改进机器人的判断" in resp.get_data(as_text=True)
    assert reload(roster, case.id).category == target and kinds(roster, case.id)[-1] == "category_corrected"
    resp = post(client, url(case, "category"), follow=True, category="astrology")
    assert "没有这个类别" in resp.get_data(as_text=True) and reload(roster, case.id).category == target


def test_hand_over_gives_it_to_the_other_post(client, roster, case):
    resp = post(client, url(case, "hand-over"), follow=True)
    assert "已转交给李芳" in resp.get_data(as_text=True)
    after = reload(roster, case.id)
    assert (after.adviser.name, after.status) == ("李芳", states.WAITING)
    assert kinds(roster, case.id)[-1] == "handed_over"
    notices = [m.text for m in outbox(roster, ADVISER_LI) if m.purpose == "adviser_notice"]
    assert notices and notices[-1].startswith(f"【转交 #{case.id}】")
    assert "现由李芳负责" in client.get("/adviser/").get_data(as_text=True)


def test_offline_answer_is_recorded_and_nothing_is_sent(client, roster, case):
    assert "请写明线下答复的情况" in post(client, url(case, "offline"), follow=True, note=" ").get_data(as_text=True)
    assert reload(roster, case.id).status == states.WAITING
    post(client, url(case, "offline"), note="已在村委会当面答复，建议先申请调解。")
    after = reload(roster, case.id)
    assert (after.status, after.answered_offline, after.answered_by.name) == (states.ADVISER_ANSWERED, True, "王明")
    assert after.answer == "已在村委会当面答复，建议先申请调解。" and kinds(roster, case.id)[-1] == "answered_offline"
    assert [m for m in outbox(roster, V) if m.purpose == "answer"] == []
    again = post(client, url(case, "offline"), follow=True, note="再记一次")
    assert "已经答复过了" in again.get_data(as_text=True)
    assert reload(roster, case.id).answer == "已在村委会当面答复，建议先申请调解。"


def test_faq_proposal_only_after_an_answer_and_only_once(client, roster, case):
    assert "答复后才能提交为常见问题" in post(client, url(case, "faq"), follow=True).get_data(as_text=True)
    post(client, url(case, "answer"), answer=ANSWER)
    resp = post(client, url(case, "faq"), follow=True)
    assert "已把" in resp.get_data(as_text=True) and "常见问题候选" in resp.get_data(as_text=True)
    assert "已经提交过" in post(client, url(case, "faq"), follow=True).get_data(as_text=True)
    with roster.sessions() as session:
        [candidate] = session.scalars(select(FaqCandidate)).all()
    assert (candidate.consultation_id, candidate.answer, candidate.status) == (case.id, ANSWER, "proposed")
    assert reload(roster, case.id).faq_candidate


def test_alert_is_acknowledged_and_its_disposal_recorded(client, roster, wechat):
    alert = ask(wechat, roster, "oVillagerConsoleAlert1", CHENGGUAN_HEDONG, THREATENED)
    assert alert.status == states.ALERT
    login(client, roster, WANG)
    page = client.get(f"/adviser/consultations/{alert.id}").get_data(as_text=True)
    assert "紧急·" in page and "我已收到，马上处理" in page
    post(client, url(alert, "acknowledge"))
    after = reload(roster, alert.id)
    assert after.alert_acked_by == "王明" and after.alert_acked_at is not None
    assert "alert_disposed" not in kinds(roster, alert.id) and kinds(roster, alert.id)[-1] == "alert_acknowledged"
    assert "请写明处置情况" in post(client, url(alert, "disposal"), follow=True, disposal="").get_data(as_text=True)
    post(client, url(alert, "disposal"), disposal="已电话联系村民，村委会和派出所已上门。")
    after = reload(roster, alert.id)
    assert after.alert_disposal == "已电话联系村民，村委会和派出所已上门。"
    assert kinds(roster, alert.id)[-1] == "alert_disposed"
    page = client.get(f"/adviser/consultations/{alert.id}").get_data(as_text=True)
    assert "紧急已确认" in page and "我已收到，马上处理" not in page


def test_acknowledging_an_ordinary_consultation_is_refused(client, roster, case):
    resp = post(client, url(case, "acknowledge"), follow=True)
    assert "不是紧急事项" in resp.get_data(as_text=True) and reload(roster, case.id).alert_acked_at is None


def test_an_offline_answer_cannot_be_proposed_as_an_faq(client, roster, case):
    """No answer text ever reached the villager, so there is nothing to publish (also not by a crafted POST)."""
    post(client, url(case, "offline"), note="已电话联系，当面说明了。")
    refused = post(client, url(case, "faq"), follow=True).get_data(as_text=True)
    assert "线下答复" in refused and "不能提交为常见问题" in refused
    with roster.sessions() as session:
        assert session.scalars(select(FaqCandidate)).all() == []


def test_the_wechat_command_proposes_an_faq_once_like_the_console(roster, wechat, case):
    wechat.text(ADVISER_WANG, f"#{case.id} {ANSWER}")
    wechat.text(ADVISER_WANG, f"#{case.id} 可作为常见问题")
    again = wechat.text(ADVISER_WANG, f"#{case.id} 可作为常见问题")
    assert "已经提交过" in again.text
    with roster.sessions() as session:
        assert len(session.scalars(select(FaqCandidate)).all()) == 1
