"""Binding villagers and advisers: QR scenes, "绑定 村名", ambiguity, questions kept until bound."""

from __future__ import annotations

from bot.ledger import states
from tests.helpers import ADVISER_ZHANG_PHONE, consultations, outbox, villager

V = "oVillagerBind000000001"


def test_subscribe_with_village_qr_binds(wechat, roster):
    resp = wechat.event(V, "subscribe", "qrscene_370303001")
    assert "河东村" in resp.text and "王明律师" in resp.text
    assert villager(roster, V).village.code == "370303001"


def test_scan_event_rebinds_to_another_village(wechat, roster):
    wechat.event(V, "subscribe", "qrscene_370303001")
    resp = wechat.event(V, "SCAN", "370303002")
    assert "河西村" in resp.text
    assert villager(roster, V).village.code == "370303002"


def test_plain_subscribe_asks_for_the_village(wechat, roster):
    resp = wechat.event(V, "subscribe")
    assert "绑定" in resp.text
    assert villager(roster, V).village_id is None


def test_bind_by_code_and_by_unique_name(wechat, roster):
    assert "河西村" in wechat.text(V, "绑定 370303002").text
    assert villager(roster, V).village.code == "370303002"
    assert "河西村" in wechat.text(V, "绑定河西").text


def test_ambiguous_name_asks_which_one(wechat, roster):
    resp = wechat.text(V, "绑定 河东村")
    assert "1." in resp.text and "2." in resp.text and "河口镇" in resp.text
    assert villager(roster, V).village_id is None
    resp = wechat.text(V, "2")
    assert "河口镇" in resp.text
    assert villager(roster, V).village.code == "370304001"


def test_unknown_village_says_so(wechat, roster):
    assert "没找到" in wechat.text(V, "绑定 不存在村").text


def test_question_before_binding_is_kept_and_answered_after(wechat, roster):
    resp = wechat.text(V, "离婚冷静期是多少天")
    assert "哪个村" in resp.text
    assert consultations(roster) == []
    resp = wechat.event(V, "subscribe", "qrscene_370303001")
    assert "河东村" in resp.text and "30" in resp.text
    [case] = consultations(roster)
    assert case.route == states.ROUTE_BOT and case.village.code == "370303001"
    assert case.question == "离婚冷静期是多少天"


def test_unbound_forward_is_kept_then_forwarded_to_the_adviser(wechat, roster):
    wechat.text(V, "俺闺女的婆家打她好几回了还把她赶出来了 孩子也不让见")
    wechat.text(V, "绑定 370303001")
    [case] = consultations(roster)
    assert case.status in (states.WAITING, states.ALERT)
    assert any(m.purpose == "adviser_notice" for m in outbox(roster, "oDemoAdviserWangMing"))


def test_adviser_binds_by_scanning_adviser_qr_and_gets_held_notices(wechat, roster):
    wechat.text(V, "绑定 河东村")
    wechat.text(V, "2")  # 河口镇河东村, whose A post 张伟 has no openid yet
    wechat.text(V, "我家的承包地被村里收回给别人种了，合同还没到期，现在怎么办才好，能不能告村委会")
    [notice] = outbox(roster, f"adviser:{ADVISER_ZHANG_PHONE}")
    assert notice.status == "unbound"
    resp = wechat.event("oAdviserZhangWei0000001", "subscribe", f"qrscene_adviser:{ADVISER_ZHANG_PHONE}")
    assert "张伟" in resp.text and "河东村" in resp.text
    [notice] = outbox(roster, "oAdviserZhangWei0000001")
    assert notice.status == "pending"


def test_adviser_qr_with_unknown_phone(wechat, roster):
    assert "没有找到" in wechat.event("oSomeone0000000000001", "SCAN", "adviser:13999999999").text
