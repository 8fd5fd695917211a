"""Chatter that reached an adviser is closed as "not a legal question": out of the statistics and the
village volume, still visible to the bureau, and the villager is told kindly."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.bureau.ledger import NOT_COUNTED, LedgerFilter, browse
from bot.clock import SHANGHAI
from bot.ledger import states
from bot.ledger.export import consultations_for
from bot.ledger.tables import Village
from bot.stats.periods import custom
from bot.stats.report import build_stats
from bot.stats.scope import Scope
from bot.web.adviser.present import month_counts
from tests.helpers import ADVISER_WANG, PERSONAL_CASE, consultations, outbox
from tests.test_console_support import CHENGGUAN_HEDONG, HEKOU_HEDONG, WANG, login, post, reload

V = "oVillagerChatter000001"
CHATTER = "今天天气真好大家都去赶集了吧我也想去看看热闹"


@pytest.fixture
def chatter(wechat, roster):
    """A long chat message: the bot cannot tell it from a question, so it reaches the adviser."""
    wechat.event(V, "subscribe", f"qrscene_{CHENGGUAN_HEDONG}")
    wechat.text(V, CHATTER)
    [case] = consultations(roster)
    assert case.status == states.WAITING
    return case


def today(services):
    day = services.clock.now().astimezone(SHANGHAI).date()
    return custom(day, day)


def stats_total(services) -> int:
    with services.sessions() as session:
        return build_stats(session, today(services), Scope(), services.settings, services.clock.now())["total"]


def test_the_wechat_command_closes_it_out_of_the_statistics(wechat, roster, chatter):
    assert stats_total(roster) == 1
    resp = wechat.text(ADVISER_WANG, f"#{chatter.id} 非法律问题")
    assert resp.text == f"已把 #{chatter.id} 记为非法律问题并关闭，不计入咨询统计和台账。"
    after = reload(roster, chatter.id)
    assert after.status == states.NOT_LEGAL and [e.kind for e in after.events][-1] == "closed_not_legal"
    [note] = outbox(roster, V)[-1:]
    assert f"编号{chatter.id}" in note.text and "不是法律方面的问题" in note.text
    assert stats_total(roster) == 0
    day = roster.clock.now().astimezone(SHANGHAI).date()
    with roster.sessions() as session:
        village = session.query(Village).filter_by(code=CHENGGUAN_HEDONG).one()
        assert consultations_for(session, village, day, day) == []  # not in the village volume either
        rows, total = browse(session, Scope(), today(roster), LedgerFilter(), roster.clock.now())
    assert total == 1 and rows[0]["route"] == NOT_COUNTED  # the bureau still sees (and can check) it


def test_a_real_question_after_it_is_a_new_consultation(wechat, roster, chatter):
    wechat.text(ADVISER_WANG, f"#{chatter.id} 不是法律问题")
    wechat.text(V, PERSONAL_CASE)
    first, second = consultations(roster)
    assert (first.status, second.status) == (states.NOT_LEGAL, states.WAITING)
    assert stats_total(roster) == 1


@pytest.mark.parametrize("setup", ["answered", "alert", "other_village"])
def test_only_a_waiting_consultation_of_ones_own_village_can_be_closed(wechat, roster, setup):
    village = HEKOU_HEDONG if setup == "other_village" else CHENGGUAN_HEDONG  # 王明 serves only 城关镇
    wechat.event(V, "subscribe", f"qrscene_{village}")
    if setup == "alert":
        wechat.text(V, "邻居说要拿刀砍死我全家，我现在很害怕")
    else:
        wechat.text(V, PERSONAL_CASE)
    [case] = consultations(roster)
    if setup == "answered":
        wechat.text(ADVISER_WANG, f"#{case.id} 建议先找村委会调解。")
    before = reload(roster, case.id).status
    resp = wechat.text(ADVISER_WANG, f"#{case.id} 非法律问题")
    expected = {"answered": "不在待答复状态", "alert": "紧急事项", "other_village": "不是您负责的村"}[setup]
    assert expected in resp.text
    assert reload(roster, case.id).status == before
    assert not any("不是法律方面的问题" in m.text for m in outbox(roster, V))


def test_the_console_button_does_the_same(wechat, roster, client, chatter):
    login(client, roster, WANG)
    page = client.get(f"/adviser/consultations/{chatter.id}").get_data(as_text=True)
    assert "不是法律问题，关闭" in page
    resp = post(client, f"/adviser/consultations/{chatter.id}/not-legal", follow=True)
    assert f"已把 #{chatter.id} 记为非法律问题并关闭" in resp.get_data(as_text=True)
    assert reload(roster, chatter.id).status == states.NOT_LEGAL
    assert "不是法律问题，关闭" not in client.get(f"/adviser/consultations/{chatter.id}").get_data(as_text=True)
    assert stats_total(roster) == 0
    after = reload(roster, chatter.id)
    month = month_counts([after], after.adviser_id, after.created_at, after.created_at + dt.timedelta(days=1))
    assert month.responsible == 0  # the adviser's monthly ledger lists it without counting it


def test_an_adviser_may_still_answer_it_later(wechat, roster, chatter):
    wechat.text(ADVISER_WANG, f"#{chatter.id} 非法律问题")
    roster.clock.advance(minutes=5)
    wechat.text(ADVISER_WANG, f"#{chatter.id} 赶集注意安全，有法律问题随时问我。")
    assert reload(roster, chatter.id).status == states.ADVISER_ANSWERED
    assert stats_total(roster) == 1
