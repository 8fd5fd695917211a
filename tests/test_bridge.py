"""The HMAC-signed JSON bridge: signature, timestamp window, nonce replay, body cap, malformed JSON,
idempotency on key + msg_id, and hostile input that never gives a 5xx or an unsigned ledger record."""

from __future__ import annotations

import itertools
import json
import re
import string
import types

import pytest
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.config import PROJECT_ROOT, ConfigError, Settings
from bot.ledger.tables import BridgeNonce, Consultation, InboundMessage
from bot.roster import import_roster
from tests.browser import live_server  # noqa: F401 (fixture)
from tests.group_chats import BRIDGE_KEY, BRIDGE_SECRET, BridgeClient, group_roster, sign

OTHER_KEY, OTHER_SECRET = "k2", "another-operator-secret-0042"
FAQ = "@法律助手\u2005离婚冷静期多久"
DOC = PROJECT_ROOT / "docs" / "bridge.md"
SENDERS = itertools.count(1)


@pytest.fixture
def bridge(services, client, clock, tmp_path) -> BridgeClient:
    services.settings = services.settings.with_overrides(
        bridge_keys={BRIDGE_KEY: BRIDGE_SECRET, OTHER_KEY: OTHER_SECRET}
    )
    with services.sessions.begin() as session:
        import_roster(session, group_roster(tmp_path))
    return BridgeClient(client, clock)


def count(services, table) -> int:
    with services.sessions() as session:
        return session.scalar(select(func.count()).select_from(table))


def test_faq_question_to_the_bot_is_answered_in_the_group_with_a_mention(bridge, services):
    resp = bridge.send(FAQ, mentioned_bot=True)
    assert resp.status == 200
    assert "《民法典》第一千零七十七条" in resp.text and resp.reply["mention"] == ["wxid_villager1"]
    assert "请私信我" in resp.text and '回复"人工"' not in resp.text  # group wording, not the private one
    with services.sessions() as session:
        [row] = session.scalars(select(InboundMessage)).all()
        [case] = session.scalars(select(Consultation)).all()
        assert (row.channel, row.sender, row.text) == ("bridge", "bridge:k1:wxid_villager1", FAQ)
        assert (case.channel, case.route, case.status, case.village.name) == ("bridge", "bot", "bot_answered", "河东村")
        assert case.answer == resp.text


def test_same_key_and_msg_id_give_the_identical_reply_and_one_record(bridge, services):
    message = bridge.message(FAQ, mentioned_bot=True)
    first = bridge.post(message)
    again = bridge.post(message)  # the operator's retry: signed afresh, new nonce
    assert first.status == again.status == 200 and first.body == again.body
    assert count(services, InboundMessage) == 1 and count(services, Consultation) == 1
    other = BridgeClient(bridge.http, bridge.clock, OTHER_KEY, OTHER_SECRET).post(message)
    assert other.status == 200 and count(services, InboundMessage) == 2  # idempotency is per key


def test_private_message_goes_through_the_villager_handlers(bridge, services):
    resp = bridge.send("离婚冷静期多久", chat_type="private", sender="wxid_private1")
    assert resp.status == 200 and "哪个村" in resp.text and resp.reply["mention"] == []
    resp = bridge.send("绑定 河西村", chat_type="private", sender="wxid_private1")
    assert "河西村" in resp.text and "《民法典》第一千零七十七条" in resp.text  # the kept question is answered
    [case] = select_cases(services)
    assert (case.channel, case.village.name) == ("bridge", "河西村")


def select_cases(services) -> list[Consultation]:
    with services.sessions() as session:
        return list(session.scalars(select(Consultation).order_by(Consultation.id)))


@pytest.mark.parametrize(
    "spoil",
    [
        lambda h: h.pop("X-Bridge-Signature"),
        lambda h: h.pop("X-Bridge-Key"),
        lambda h: h.pop("X-Bridge-Nonce"),
        lambda h: h.pop("X-Bridge-Timestamp"),
        lambda h: h.update({"X-Bridge-Key": "nobody"}),
        lambda h: h.update({"X-Bridge-Signature": "0" * 64}),
        lambda h: h.update({"X-Bridge-Signature": h["X-Bridge-Signature"][:-1]}),
        lambda h: h.update({"X-Bridge-Nonce": "short"}),
        lambda h: h.update({"X-Bridge-Timestamp": "17e8"}),
        lambda h: h.update({"X-Bridge-Key": OTHER_KEY}),  # signed with k1's secret
    ],
)
def test_bad_or_missing_signature_is_401_and_records_nothing(bridge, services, spoil):
    body = json.dumps(bridge.message(FAQ, mentioned_bot=True)).encode()
    headers = bridge.headers(body)
    spoil(headers)
    resp = bridge.post(body, headers)
    assert resp.status == 401 and "error" in resp.json
    assert count(services, InboundMessage) == 0


def test_signature_covers_the_body(bridge, services):
    body = json.dumps(bridge.message(FAQ, mentioned_bot=True), ensure_ascii=False).encode()
    headers = bridge.headers(body)
    tampered = body.replace("离婚".encode(), "结婚".encode())
    assert bridge.post(tampered, headers).status == 401
    assert count(services, InboundMessage) == 0


def test_uppercase_hex_signature_is_accepted(bridge):
    body = json.dumps(bridge.message(FAQ, mentioned_bot=True)).encode()
    headers = bridge.headers(body)
    headers["X-Bridge-Signature"] = headers["X-Bridge-Signature"].upper()
    assert bridge.post(body, headers).status == 200


@pytest.mark.parametrize(("offset", "status"), [(-301, 401), (301, 401), (-299, 200), (299, 200)])
def test_timestamp_window_is_300_seconds(bridge, services, clock, offset, status):
    now = int(clock.now().timestamp())
    assert bridge.send(FAQ, mentioned_bot=True, timestamp=now + offset).status == status
    assert count(services, InboundMessage) == (1 if status == 200 else 0)


def test_replayed_nonce_is_refused(bridge, services):
    body = json.dumps(bridge.message(FAQ, mentioned_bot=True)).encode()
    headers = bridge.headers(body)
    assert bridge.post(body, headers).status == 200
    replay = bridge.post(body, headers)
    assert replay.status == 401 and "nonce" in replay.json["error"].lower()
    other_body = json.dumps(bridge.message("你好", mentioned_bot=True)).encode()
    same_nonce = bridge.headers(other_body, nonce=headers["X-Bridge-Nonce"])  # correctly signed, old nonce
    assert bridge.post(other_body, same_nonce).status == 401
    assert count(services, InboundMessage) == 1


def test_old_nonces_are_forgotten_once_their_window_has_passed(bridge, services, clock):
    bridge.send(FAQ, mentioned_bot=True)
    assert count(services, BridgeNonce) == 1
    clock.advance(minutes=12)
    bridge.send("你好", mentioned_bot=True)
    assert count(services, BridgeNonce) == 1  # the first one was pruned, the second kept


def test_body_over_the_cap_is_413(bridge, services):
    message = bridge.message("问" * 30000, mentioned_bot=True)
    body = json.dumps(message, ensure_ascii=False).encode()
    assert len(body) > 64 * 1024
    assert bridge.post(body).status == 413  # signed
    assert bridge.post(body, {}).status == 413  # unsigned: refused before anything is read
    assert count(services, InboundMessage) == 0


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"",
        b"[]",
        b'"text"',
        b"\xff\xfe\x00",
        b'{"msg_id": "1", "text": "\\ud800"}',
        b"[" * 30000 + b"]" * 30000,
        b'{"msg_id": NaN}',
    ],
)
def test_malformed_json_with_a_valid_signature_is_400_never_500(bridge, services, body):
    resp = bridge.post(body)
    assert resp.status == 400 and resp.json["error"]
    assert count(services, InboundMessage) == 0


@pytest.mark.parametrize(
    "change",
    [
        {"msg_id": None},
        {"msg_id": ""},
        {"msg_id": ["x"]},
        {"chat_type": "channel"},
        {"chat_id": None},
        {"sender_id": None},
        {"sender_id": 42},
        {"mentioned_bot": "yes"},
        {"text": {"a": 1}},
        {"text": "a\x00b"},
        {"text": "\ud800"},
        {"sent_at": "yesterday"},
        {"sent_at": 1e300},
        {"msg_id": "x" * 129},
    ],
)
def test_invalid_fields_are_400_with_the_reason(bridge, services, change):
    message = bridge.message(FAQ, mentioned_bot=True)
    message.update(change)
    resp = bridge.post(json.dumps(message).encode())
    assert resp.status == 400 and next(iter(change)) in resp.json["error"]
    assert count(services, InboundMessage) == 0


def test_numeric_msg_id_and_iso_sent_at_are_accepted(bridge, services):
    resp = bridge.send(FAQ, mentioned_bot=True, msg_id=123456789, sent_at="2026-11-20T10:00:00+08:00")
    assert resp.status == 200
    with services.sessions() as session:
        row = session.scalar(select(InboundMessage))
    assert row.dedupe_key == "bridge:k1:123456789" and row.sent_at.hour == 2


def test_disabled_without_keys(client):
    assert client.post("/bridge/v1/messages", data=b"{}").status_code == 404


def test_bridge_keys_are_validated_at_start_up(tmp_path):
    env = {"LEGALBOT_INSTANCE_DIR": str(tmp_path), "LEGALBOT_SECRET_KEY": "x"}
    ok = Settings.from_env({**env, "LEGALBOT_BRIDGE_KEYS": f"{BRIDGE_KEY}:{BRIDGE_SECRET}, k2:{OTHER_SECRET}"})
    assert ok.bridge_keys == {BRIDGE_KEY: BRIDGE_SECRET, "k2": OTHER_SECRET}
    for bad in ("k1", "k1:short", f"bad key:{BRIDGE_SECRET}", f"k1:{BRIDGE_SECRET},k1:{OTHER_SECRET}"):
        with pytest.raises(ConfigError, match="LEGALBOT_BRIDGE_KEYS"):
            Settings.from_env({**env, "LEGALBOT_BRIDGE_KEYS": bad})


def test_docs_known_answer_matches_the_contract():
    """docs/bridge.md's known answer: these exact inputs give this exact signature."""
    body = (
        '{"msg_id":"m1","chat_type":"group","chat_id":"g1","sender_id":"u1","mentioned_bot":true,'
        '"text":"离婚冷静期多久"}'
    )
    expected = "cc8a046e65fb6cd7b2bfc69a52da11af3c60f7929f67b52bf1d0ab2cbab28f81"
    assert sign("0123456789abcdef0123456789abcdef", "1763604000", "n0nce-0001", body.encode()) == expected
    doc = DOC.read_text(encoding="utf-8")
    assert body in doc and expected in doc


def test_docs_python_example_talks_to_the_real_endpoint(bridge, live_server, clock):  # noqa: F811
    """The worked example in docs/bridge.md, run as written against the app on a loopback port."""
    doc = DOC.read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", doc, re.S).group(1)
    namespace: dict = {}
    exec(compile(code, str(DOC), "exec"), namespace)
    namespace["time"] = types.SimpleNamespace(time=lambda: clock.now().timestamp())  # the server's frozen clock
    message = bridge.message(FAQ, mentioned_bot=True, sender="wxid_doc")
    answer = namespace["forward_to_legalbot"](live_server + "/bridge/v1/messages", BRIDGE_KEY, BRIDGE_SECRET, message)
    assert "《民法典》第一千零七十七条" in answer["reply"]["text"] and answer["reply"]["mention"] == ["wxid_doc"]


# ---- hostile input (hypothesis) ------------------------------------------------------------------------
HEADER_NAMES = ["X-Bridge-Key", "X-Bridge-Timestamp", "X-Bridge-Nonce", "X-Bridge-Signature"]
HEADER_TEXT = st.text(alphabet=string.ascii_letters + string.digits + "-_:. ", max_size=80)
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
FIELD_VALUES = {
    "msg_id": JSONISH,
    "chat_type": st.sampled_from(["group", "private", "", "GROUP"]) | JSONISH,
    "chat_id": st.sampled_from(["grp-hedong@chatroom", "unknown"]) | JSONISH,
    "chat_name": JSONISH,
    "sender_id": st.text(max_size=140) | JSONISH,
    "sender_name": JSONISH,
    "mentioned_bot": st.booleans() | JSONISH,
    "text": st.sampled_from([FAQ, "你好", "人工", "我不想活了"]) | st.text(max_size=200) | JSONISH,
    "sent_at": st.integers() | st.text(max_size=30) | JSONISH,
}
HYPOTHESIS = hsettings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


@HYPOTHESIS
@given(body=st.binary(max_size=2048), headers=st.dictionaries(st.sampled_from(HEADER_NAMES), HEADER_TEXT))
def test_random_unsigned_requests_never_5xx_and_never_record(bridge, services, body, headers):
    before = count(services, InboundMessage)
    resp = bridge.post(body, headers)
    assert resp.status in (401, 413)
    assert count(services, InboundMessage) == before


@HYPOTHESIS
@given(data=st.data())
def test_random_signed_json_is_200_or_400_and_records_only_when_accepted(bridge, services, data):
    """A valid message with up to three fields replaced by random JSON values or left out."""
    message = bridge.message(FAQ, mentioned_bot=True, sender=f"wxid_fuzz{next(SENDERS)}")  # under the flood limit
    for name in data.draw(st.lists(st.sampled_from(sorted(FIELD_VALUES)), max_size=3, unique=True), label="fields"):
        if data.draw(st.booleans(), label=f"drop {name}"):
            message.pop(name)
        else:
            message[name] = data.draw(FIELD_VALUES[name], label=name)
    before = count(services, InboundMessage)
    resp = bridge.post(json.dumps(message).encode())
    event(f"HTTP {resp.status}")
    assert resp.status in (200, 400), resp.body
    assert count(services, InboundMessage) == before + (1 if resp.status == 200 else 0)
    if resp.status == 200:
        reply = resp.json["reply"]
        assert reply is None or (isinstance(reply["text"], str) and isinstance(reply["mention"], list))


@HYPOTHESIS
@given(data=st.data())
def test_mutated_signed_requests_are_refused_without_a_record(bridge, services, data):
    body = json.dumps(bridge.message(FAQ, mentioned_bot=True), ensure_ascii=False).encode()
    headers = bridge.headers(body)
    if data.draw(st.booleans(), label="mutate body"):
        position = data.draw(st.integers(0, len(body) - 1), label="position")
        flip = data.draw(st.integers(1, 255), label="xor")
        body = body[:position] + bytes([body[position] ^ flip]) + body[position + 1 :]
    else:
        name = data.draw(st.sampled_from(HEADER_NAMES), label="header")
        value = headers[name]
        position = data.draw(st.integers(0, len(value) - 1), label="position")
        replacement = data.draw(st.sampled_from("0123456789abcdefXYZ-"), label="char")
        if replacement == value[position]:
            replacement = "Z" if value[position] != "Z" else "0"
        headers[name] = value[:position] + replacement + value[position + 1 :]
    before = count(services, InboundMessage)
    resp = bridge.post(body, headers)
    assert resp.status == 401, (resp.status, resp.body)
    assert count(services, InboundMessage) == before
