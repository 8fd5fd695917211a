"""The WeCom app callback: URL verification decrypts the echostr; advisers answer with "#编号 答复"."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from sqlalchemy import select
from werobot.crypto import MessageCrypt

from bot.ledger import states
from bot.ledger.tables import Adviser
from tests.helpers import PERSONAL_CASE, consultations, outbox
from tests.wechat_client import cdata, signature, tag

TOKEN, AES, CORP = "WeComToken2026", "Z7jL5nHvQ0a9cPp2rT4xYb8dKe1fGh3jMn6sUw0vXyA", "ww7a6b5c4d3e2f1a0b"
V = "oVillagerWeCom00000001"


@pytest.fixture
def wecom(roster, client, clock):
    roster.settings = roster.settings.with_overrides(
        wecom_corp_id=CORP, wecom_agent_id=1000002, wecom_secret="secret", wecom_token=TOKEN, wecom_aes_key=AES
    )
    with roster.sessions.begin() as session:
        session.scalar(select(Adviser).where(Adviser.phone == "13800000001")).wecom_userid = "WangMing"
    crypt = MessageCrypt(TOKEN, AES, CORP)  # WeRoBot's implementation, receive id = CorpID

    def post(user: str, content: str, msg_id: int, ts: int | None = None):
        ts = str(ts if ts is not None else int(clock.now().timestamp()))
        xml = (
            f"<xml><ToUserName>{cdata(CORP)}</ToUserName><FromUserName>{cdata(user)}</FromUserName>"
            f"<CreateTime>{ts}</CreateTime><MsgType>{cdata('text')}</MsgType><Content>{cdata(content)}</Content>"
            f"<MsgId>{msg_id}</MsgId><AgentID>1000002</AgentID></xml>"
        )
        wrapped = crypt.encrypt_message(xml, ts, "555")
        body = f"<xml><ToUserName>{cdata(CORP)}</ToUserName><Encrypt>{cdata(tag(wrapped, 'Encrypt'))}</Encrypt></xml>"
        query = {"msg_signature": tag(wrapped, "MsgSignature"), "timestamp": ts, "nonce": "555"}
        resp = client.post("/wecom?" + urlencode(query), data=body.encode())
        raw = resp.get_data(as_text=True)
        if resp.status_code != 200 or not raw:
            return resp.status_code, ""
        inner = crypt.decrypt_message(
            tag(raw, "TimeStamp"), tag(raw, "Nonce"), tag(raw, "MsgSignature"), tag(raw, "Encrypt")
        )
        return 200, tag(inner.decode() if isinstance(inner, bytes) else inner, "Content")

    return post


def test_url_verification_decrypts_the_echostr(wecom, client, clock):
    crypt = MessageCrypt(TOKEN, AES, CORP)
    ts = str(int(clock.now().timestamp()))
    echostr = tag(crypt.encrypt_message("1288432023552776189", ts, "47744683"), "Encrypt")
    query = {
        "msg_signature": signature(TOKEN, ts, "47744683", echostr),
        "timestamp": ts,
        "nonce": "47744683",
        "echostr": echostr,
    }
    resp = client.get("/wecom?" + urlencode(query))
    assert (resp.status_code, resp.get_data()) == (200, b"1288432023552776189")
    query["msg_signature"] = "0" * 40
    assert client.get("/wecom?" + urlencode(query)).status_code == 403


def test_wrong_corp_id_is_refused_not_a_500(wecom, client, clock):
    crypt = MessageCrypt(TOKEN, AES, "ww_some_other_corp")
    ts = str(int(clock.now().timestamp()))
    echostr = tag(crypt.encrypt_message("x", ts, "1"), "Encrypt")
    query = {"msg_signature": signature(TOKEN, ts, "1", echostr), "timestamp": ts, "nonce": "1", "echostr": echostr}
    assert client.get("/wecom?" + urlencode(query)).status_code == 403


def test_adviser_answers_from_wecom(wecom, wechat, roster):
    wechat.event(V, "subscribe", "qrscene_370303001")
    wechat.text(
        V,
        PERSONAL_CASE,
    )
    case = consultations(roster)[0]
    assert [m.kind for m in outbox(roster, "WangMing")] == ["wecom"]
    status, text = wecom("WangMing", f"#{case.id} 建议先申请乡镇政府调处。", 9001)
    assert status == 200 and "已把您对" in text
    assert consultations(roster)[0].status == states.ADVISER_ANSWERED
    assert outbox(roster, V)[0].purpose == "answer"


def test_other_members_are_told_it_is_for_advisers(wecom):
    status, text = wecom("SomeClerk", "你好", 9002)
    assert status == 200 and "顾问名单" in text


def test_stale_or_unconfigured(wecom, client, roster):
    assert wecom("WangMing", "待办", 9003, ts=1)[0] == 403
    roster.settings = roster.settings.with_overrides(wecom_corp_id="")
    assert client.get("/wecom").status_code == 404
