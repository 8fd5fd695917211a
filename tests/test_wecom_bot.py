"""The WeCom AI bot callback (/wecom/bot): encrypted echostr verification, an @-mention round trip with
WeRoBot's crypto and an empty receive id, byte-identical retries, and hostile input that never gives a 5xx."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werobot.crypto import MessageCrypt

from bot.config import ConfigError, Settings
from bot.jobs.outbox import deliver_due
from bot.ledger.tables import Consultation, InboundMessage, OutboxMessage
from bot.roster import import_roster
from tests.group_chats import BOT_AES, BOT_TOKEN, PERSONAL_STORY, WeComBotClient, group_roster
from tests.helpers import ADVISER_WANG
from tests.test_outbox import RecordingGateway
from tests.wechat_client import signature, tag


@pytest.fixture
def bot(services, client, clock, tmp_path) -> WeComBotClient:
    services.settings = services.settings.with_overrides(wecom_bot_token=BOT_TOKEN, wecom_bot_aes_key=BOT_AES)
    with services.sessions.begin() as session:
        import_roster(session, group_roster(tmp_path))
    return WeComBotClient(client, clock)


def count(services, table) -> int:
    with services.sessions() as session:
        return session.scalar(select(func.count()).select_from(table))


def verify_query(clock, echostr: str, token: str = BOT_TOKEN) -> dict[str, str]:
    ts = str(int(clock.now().timestamp()))
    return {
        "msg_signature": signature(token, ts, "47744683", echostr),
        "timestamp": ts,
        "nonce": "47744683",
        "echostr": echostr,
    }


def test_url_verification_decrypts_the_echostr(bot, client, clock):
    echostr = tag(MessageCrypt(BOT_TOKEN, BOT_AES, "").encrypt_message("8861412035", "1", "2"), "Encrypt")
    resp = client.get("/wecom/bot?" + urlencode(verify_query(clock, echostr)))
    assert (resp.status_code, resp.get_data()) == (200, b"8861412035")
    assert client.get("/wecom/bot?" + urlencode(verify_query(clock, echostr, "WrongToken1"))).status_code == 403


def test_echostr_for_another_receive_id_is_refused_not_a_500(bot, client, clock):
    echostr = tag(MessageCrypt(BOT_TOKEN, BOT_AES, "ww_some_corp").encrypt_message("x", "1", "2"), "Encrypt")
    assert client.get("/wecom/bot?" + urlencode(verify_query(clock, echostr))).status_code == 403


def test_mention_in_a_group_gets_a_finished_stream_with_the_faq_answer(bot, services):
    message = bot.message("@法律助手 离婚冷静期多久")
    resp = bot.post(message)
    assert resp.status == 200 and resp.reply["msgtype"] == "stream"
    stream = resp.reply["stream"]
    assert stream["finish"] is True and stream["id"]
    assert "《民法典》第一千零七十七条" in stream["content"] and "请私信我" in stream["content"]
    with services.sessions() as session:
        [row] = session.scalars(select(InboundMessage)).all()
        [case] = session.scalars(select(Consultation)).all()
        assert (row.channel, row.sender, row.dedupe_key) == (
            "wecom_bot",
            "wecombot:zhangsan",
            f"wecombot:{message['msgid']}",
        )
        assert (case.channel, case.route, case.village.name) == ("wecom_bot", "bot", "河西村")  # 群ID in the roster


def test_retry_gets_the_identical_bytes_and_records_nothing_new(bot, services, clock):
    message = bot.message("@法律助手 离婚冷静期多久")
    first = bot.post(message)
    clock.advance(seconds=3)
    again = bot.post(message)  # WeCom retries with a new timestamp and nonce
    assert first.body == again.body
    assert count(services, InboundMessage) == 1 and count(services, Consultation) == 1


def test_personal_case_goes_private_and_the_answer_waits_for_a_single_chat(bot, services, wechat):
    resp = bot.send(f"@法律助手 {PERSONAL_STORY}")
    assert "涉及个人情况，请私信" in resp.text and "王明律师" in resp.text and "宅基地" not in resp.text
    [case] = _cases(services)
    assert (case.status, case.channel, case.village.name) == ("waiting_adviser", "wecom_bot", "河西村")
    wechat.text(ADVISER_WANG, f"#{case.id} 您好，先把占地的位置拍照留证，再找村委会出具四至证明。")
    gateway = RecordingGateway()
    deliver_due(services, gateway)
    assert all(recipient != "wecombot:zhangsan" for recipient, _ in gateway.sent)  # nothing can be pushed
    reply = bot.send("收到了吗", chattype="single")
    assert "四至证明" in reply.text
    with services.sessions() as session:
        assert session.get(Consultation, case.id).delivered_at is not None


def _cases(services) -> list[Consultation]:
    with services.sessions() as session:
        return list(session.scalars(select(Consultation).order_by(Consultation.id)))


def test_single_chat_goes_through_the_villager_handlers(bot):
    resp = bot.send("离婚冷静期多久", chattype="single", user="lisi")
    assert "哪个村" in resp.text
    assert "河东村" in bot.send("绑定 370303001", chattype="single", user="lisi").text


def test_stream_refresh_and_events_are_answered_empty(bot, services):
    refresh = {"msgid": "R1", "msgtype": "stream", "stream": {"id": "lb123"}, "from": {"userid": "zhangsan"}}
    assert (bot.post(refresh).status, bot.post(refresh).body) == (200, b"")
    event = bot.message("", chattype="single", msgtype="event", event={"eventtype": "enter_chat"})
    assert (bot.post(event).status, bot.post(event).body) == (200, b"")
    assert count(services, InboundMessage) == 1  # the event is kept, the refresh is not a message


def test_bad_signature_stale_timestamp_and_garbage(bot, services, clock):
    blob, good = bot.encrypt(json.dumps(bot.message("@法律助手 你好")), "1", "2")
    ts = str(int(clock.now().timestamp()))
    body = json.dumps({"encrypt": blob}).encode()
    assert bot.raw_post({"msg_signature": good, "timestamp": ts, "nonce": "2"}, body).status == 403
    assert bot.post(bot.message("@法律助手 你好"), ts=int(clock.now().timestamp()) - 301).status == 403
    assert bot.raw_post({"timestamp": ts, "nonce": "2"}, b"<xml/>").status == 400
    assert bot.raw_post({"timestamp": ts, "nonce": "2"}, b'{"encrypt": 5}').status == 400
    garbage = "bm90IGEgY2lwaGVydGV4dA=="
    sig = signature(BOT_TOKEN, ts, "2", garbage)
    assert (
        bot.raw_post(
            {"msg_signature": sig, "timestamp": ts, "nonce": "2"}, json.dumps({"encrypt": garbage}).encode()
        ).body
        == b""
    )
    not_json, sig = bot.encrypt("<xml>not json</xml>", ts, "3")
    resp = bot.raw_post(
        {"msg_signature": sig, "timestamp": ts, "nonce": "3"}, json.dumps({"encrypt": not_json}).encode()
    )
    assert (resp.status, resp.body) == (200, b"")
    assert count(services, InboundMessage) == 0


def test_disabled_without_configuration(client):
    assert client.post("/wecom/bot", data=b"{}").status_code == 404
    assert client.get("/wecom/bot").status_code == 404


def test_configuration_needs_both_values(tmp_path):
    env = {"LEGALBOT_INSTANCE_DIR": str(tmp_path), "LEGALBOT_SECRET_KEY": "x"}
    with pytest.raises(ConfigError, match="LEGALBOT_WECOM_BOT_AES_KEY"):
        Settings.from_env({**env, "LEGALBOT_WECOM_BOT_TOKEN": BOT_TOKEN})
    with pytest.raises(ConfigError, match="LEGALBOT_WECOM_BOT_AES_KEY"):
        Settings.from_env({**env, "LEGALBOT_WECOM_BOT_TOKEN": BOT_TOKEN, "LEGALBOT_WECOM_BOT_AES_KEY": "short"})
    ok = Settings.from_env({**env, "LEGALBOT_WECOM_BOT_TOKEN": BOT_TOKEN, "LEGALBOT_WECOM_BOT_AES_KEY": BOT_AES})
    assert ok.wecom_bot_configured


# ---- hostile input (hypothesis) ------------------------------------------------------------------------
HYPOTHESIS = hsettings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)


@HYPOTHESIS
@given(
    body=st.binary(max_size=1024),
    query=st.dictionaries(st.sampled_from(["msg_signature", "timestamp", "nonce"]), st.text(max_size=40)),
)
def test_random_requests_never_5xx_and_never_record(bot, services, body, query):
    before = count(services, InboundMessage)
    resp = bot.raw_post(query, body)
    assert resp.status in (400, 403)
    assert count(services, InboundMessage) == before


@HYPOTHESIS
@given(data=st.data())
def test_correctly_sealed_random_json_never_5xx(bot, services, data):
    """Signed and encrypted like WeCom, with random fields: read or answered empty, never an error."""
    message = bot.message("@法律助手 离婚冷静期多久", user=f"fuzz{data.draw(st.integers(0, 10**6))}")
    for name in data.draw(st.lists(st.sampled_from(sorted(message)), max_size=3, unique=True), label="fields"):
        message[name] = data.draw(JSONISH, label=name)
    before = count(services, InboundMessage)
    resp = bot.post(message)
    assert resp.status == 200
    assert count(services, InboundMessage) - before in (0, 1)
    assert resp.reply is None or resp.reply["msgtype"] == "stream"


def test_no_group_answer_is_ever_posted_with_someone_elses_held_answer(bot, services, wechat):
    bot.send(f"@法律助手 {PERSONAL_STORY}", user="wangwu")
    [case] = _cases(services)
    wechat.text(ADVISER_WANG, f"#{case.id} 请带上宅基地使用证到村委会。")
    deliver_due(services, RecordingGateway())
    group = bot.send("@法律助手 离婚冷静期多久", user="wangwu")
    assert "宅基地使用证" not in group.text
    with services.sessions() as session:
        held = session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "wecombot:wangwu")).all()
    assert [m.status for m in held] == ["held"]
