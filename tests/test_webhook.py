"""The /wechat callback driven over HTTP with independently signed and encrypted requests."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from sqlalchemy import func, select

from bot.ledger.tables import Consultation, InboundMessage
from tests.conftest import APPID, TOKEN
from tests.helpers import PERSONAL_CASE
from tests.wechat_client import signature, tag

VILLAGER = "oVillagerTest000000001"


def count(services, model) -> int:
    with services.sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_url_verification_returns_echostr(client, clock):
    ts, nonce = str(int(clock.now().timestamp())), "12345"
    query = {"signature": signature(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce, "echostr": "hello-42"}
    resp = client.get("/wechat?" + urlencode(query))
    assert resp.status_code == 200
    assert resp.get_data() == b"hello-42"


def test_url_verification_with_bad_signature_is_403(client):
    query = {"signature": "0" * 40, "timestamp": "1", "nonce": "2", "echostr": "x"}
    assert client.get("/wechat?" + urlencode(query)).status_code == 403


def test_plaintext_text_message_gets_a_plain_reply(wechat, roster):
    wechat.encrypted = False
    wechat.event(VILLAGER, "subscribe", "qrscene_370303001")
    resp = wechat.text(VILLAGER, "你好")
    assert resp.status == 200
    assert tag(resp.xml, "ToUserName") == VILLAGER
    assert "法律" in resp.text


def test_safe_mode_reply_is_encrypted_and_signed(wechat, roster):
    resp = wechat.text(VILLAGER, "你好")
    assert b"<Encrypt>" in resp.body and b"<Content>" not in resp.body
    assert tag(resp.xml, "MsgType") == "text"


def test_tencent_golden_vector_decrypts(services, app, clock):
    """Tencent's published OA sample (compatible mode) goes through the real webhook."""
    settings = services.settings.with_overrides(
        wechat_token="spamtest",
        wechat_aes_key="abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        wechat_appid="wx2c2769f8efd9abc2",
    )
    services.settings = settings
    clock.at = dt.datetime.fromtimestamp(1409735669, dt.UTC)
    encrypt = (
        "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2"
        "LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbg"
        "U6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/H"
        "TnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669Wu"
        "MyVWQLCzpu9GhglF2PE="
    )
    body = f"<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    query = {
        "signature": signature("spamtest", "1409735669", "1320562132"),
        "timestamp": "1409735669",
        "nonce": "1320562132",
        "encrypt_type": "aes",
        "msg_signature": "5d197aaffba7e9b25a30732f161a50dee96bd5fa",
    }
    resp = app.test_client().post("/wechat?" + urlencode(query), data=body)
    assert resp.status_code == 200
    with services.sessions() as session:
        row = session.scalar(select(InboundMessage))
    assert (row.sender, row.text, row.dedupe_key) == (
        "oyORnuP8q7ou2gfYjqLzSIWZf0rs",
        "abcdteT",
        "official:msg:6054768590064713728",
    )


def test_bad_signature_is_403_and_stores_nothing(wechat, services):
    params = {"signature": "f" * 40, "timestamp": str(int(wechat.clock.now().timestamp())), "nonce": "1"}
    resp = wechat.raw_post(params, wechat.xml(VILLAGER, "text", Content="hi", MsgId=1).encode())
    assert resp.status == 403
    assert count(services, InboundMessage) == 0


def test_bad_msg_signature_is_403(wechat, services):
    ts = str(int(wechat.clock.now().timestamp()))
    params = wechat.query(ts, "9", encrypt_type="aes", msg_signature="0" * 40)
    body = b"<xml><ToUserName>gh</ToUserName><Encrypt><![CDATA[abcd]]></Encrypt></xml>"
    assert wechat.raw_post(params, body).status == 403
    assert count(services, InboundMessage) == 0


def test_stale_timestamp_is_403(wechat, services):
    old = int(wechat.clock.now().timestamp()) - 3600
    resp = wechat.post(wechat.xml(VILLAGER, "text", Content="hi", MsgId=5), timestamp=old)
    assert resp.status == 403
    assert count(services, InboundMessage) == 0


def test_oversized_body_is_413(wechat, services):
    resp = wechat.post(wechat.xml(VILLAGER, "text", Content="字" * 100_000, MsgId=6), encrypted=False)
    assert resp.status == 413
    assert count(services, InboundMessage) == 0


def test_doctype_and_entities_are_refused_with_success(wechat, services):
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
        "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><MsgType>text</MsgType>"
        "<Content>&lol2;</Content><MsgId>7</MsgId></xml>"
    )
    for encrypted in (False, True):
        resp = wechat.post(bomb, encrypted=encrypted)
        assert (resp.status, resp.body) == (200, b"success")
    assert count(services, InboundMessage) == 0


def test_malformed_xml_after_valid_signature_answers_success(wechat, services):
    for body in (
        "<xml><FromUserName>x",
        "not xml at all",
        "<root><MsgType>text</MsgType></root>",
        "<xml><FromUserName>a</FromUserName><MsgType>text</MsgType><MsgType>image</MsgType></xml>",
        "<xml><FromUserName>a</FromUserName><MsgType>text</MsgType><MsgId>abc</MsgId></xml>",
    ):
        resp = wechat.post(body, encrypted=False)
        assert (resp.status, resp.body) == (200, b"success"), body
    gbk = wechat.xml(VILLAGER, "text", Content="宅基地", MsgId=8).encode("gbk")
    ts = str(int(wechat.clock.now().timestamp()))
    assert wechat.raw_post(wechat.query(ts, "3"), gbk).body == b"success"
    assert count(services, InboundMessage) == 0


def test_garbage_ciphertext_with_valid_msg_signature_answers_success(wechat):
    ts, nonce, blob = str(int(wechat.clock.now().timestamp())), "77", "bm90IGEgcmVhbCBjaXBoZXJ0ZXh0"
    params = wechat.query(ts, nonce, encrypt_type="aes", msg_signature=signature(TOKEN, ts, nonce, blob))
    body = f"<xml><ToUserName>gh</ToUserName><Encrypt><![CDATA[{blob}]]></Encrypt></xml>".encode()
    resp = wechat.raw_post(params, body)
    assert (resp.status, resp.body) == (200, b"success")


def test_unknown_message_type_is_stored_and_answered_politely(wechat, services, roster):
    wechat.event(VILLAGER, "subscribe", "qrscene_370303001")
    resp = wechat.post(wechat.xml(VILLAGER, "miniprogrampage", Title="x", MsgId=99))
    assert "暂时处理不了" in resp.text
    with services.sessions() as session:
        row = session.scalar(select(InboundMessage).where(InboundMessage.msg_type == "miniprogrampage"))
    assert row is not None and row.status == "done"


def test_unknown_event_answers_success(wechat, services):
    resp = wechat.event(VILLAGER, "some_future_event")
    assert (resp.status, resp.body) == (200, b"success")
    assert count(services, InboundMessage) == 1


def test_retried_message_gets_identical_bytes_and_one_record(wechat, services, roster):
    wechat.event(VILLAGER, "subscribe", "qrscene_370303001")
    question = PERSONAL_CASE
    xml = wechat.xml(VILLAGER, "text", Content=question, MsgId=424242)
    first = wechat.post(xml)
    second = wechat.post(xml)
    third = wechat.post(xml, encrypted=True)
    assert first.body == second.body == third.body
    assert count(services, Consultation) == 1
    assert count(services, InboundMessage) == 2  # the subscribe event and the message


def test_retried_event_is_deduplicated_on_sender_time_event_key(wechat, services, roster):
    first = wechat.event(VILLAGER, "subscribe", "qrscene_370303001", create_time=1763600000)
    again = wechat.event(VILLAGER, "subscribe", "qrscene_370303001", create_time=1763600000)
    other = wechat.event(VILLAGER, "SCAN", "370303002", create_time=1763600000)
    assert first.body == again.body
    assert "河西村" in other.text
    assert count(services, InboundMessage) == 2


def test_healthz(client):
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").get_json()["status"] == "ok"


def test_appid_in_settings_is_the_receive_id(wechat):
    assert wechat.appid == APPID


def test_a_failure_while_processing_keeps_the_message_and_rolls_back_the_ledger(wechat, roster, services, monkeypatch):
    """Stored and processed in one transaction: a failure rolls the ledger rows back, the message is then
    stored on its own as failed with the apology sent, and a later attempt processes it once."""
    from bot import pipeline, texts

    wechat.event(VILLAGER, "subscribe", "qrscene_370303001")

    working, failing = pipeline.with_held_messages, [True]

    def broken(ctx, reply):
        if failing:
            raise RuntimeError("disk on fire")
        return working(ctx, reply)

    monkeypatch.setattr(pipeline, "with_held_messages", broken)
    xml = wechat.xml(VILLAGER, "text", Content=PERSONAL_CASE, MsgId=987654321)
    resp = wechat.post(xml)
    assert resp.status == 200 and resp.text == texts.SORRY
    with services.sessions() as session:
        row = session.scalar(select(InboundMessage).where(InboundMessage.text == PERSONAL_CASE))
        assert (row.status, row.error) == ("failed", "RuntimeError: disk on fire")
    assert count(services, Consultation) == 0  # the handlers' rows went with the rollback

    failing.clear()
    retry = wechat.post(xml)  # the same message again (WeChat's retry, or the worker's)
    assert retry.status == 200 and retry.text != texts.SORRY
    with services.sessions() as session:
        assert session.get(InboundMessage, row.id).status == "done"
    assert count(services, Consultation) == 1
    assert wechat.post(xml).text == retry.text  # and from then on the stored reply
    assert count(services, Consultation) == 1
