"""Strict, hostile-input-proof parsing and rendering of WeChat's XML.

xmltodict already refuses entity declarations (billion laughs, XXE); we also refuse any DTD outright,
non-UTF-8 bodies and foreign encodings, and duplicate tags (which xmltodict would turn into lists).
"""

from __future__ import annotations

import re
import time
from xml.parsers.expat import ExpatError
from xml.sax.saxutils import escape

import xmltodict

MAX_REPLY_BYTES = 2000  # passive replies are cut by WeChat at 2048 bytes; keep a margin.
_ENCODING_DECL = re.compile(rb"<\?xml[^>]*encoding\s*=\s*[\"']([^\"']+)[\"']", re.IGNORECASE)
# Characters XML 1.0 forbids even inside CDATA. WeChat has delivered user text containing them (WeRoBot
# PR #809: a backspace in Content); dropping them keeps the message. NUL stays an error: it only turns up
# in UTF-16/32 bodies (every ASCII character followed by NUL), which are refused, not reinterpreted.
_XML_ILLEGAL = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class XmlError(ValueError):
    """The body is not a well-formed WeChat XML message."""


def parse_xml(body: bytes) -> dict[str, object]:
    """Parse a WeChat XML body into a flat dict of its top-level fields (strings, or dicts for nested ones)."""
    if not body or not body.strip():
        raise XmlError("empty body")
    declared = _ENCODING_DECL.search(body[:512])
    if declared and declared.group(1).lower().replace(b"-", b"") != b"utf8":
        raise XmlError(f"unsupported encoding {declared.group(1)!r}")
    try:
        text = _XML_ILLEGAL.sub("", body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise XmlError("body is not UTF-8") from exc
    if "\x00" in text:  # expat would silently read "<\0x\0m\0l\0>" as UTF-16
        raise XmlError("body contains NUL: UTF-16 or UTF-32, not UTF-8")
    # Checked after the control characters are gone, so "<!DOC\bTYPE" cannot slip through.
    upper = text.upper()
    if "<!DOCTYPE" in upper or "<!ENTITY" in upper:
        raise XmlError("DTDs and entities are not allowed")
    try:
        doc = xmltodict.parse(text, disable_entities=True)
    except (ExpatError, ValueError) as exc:
        raise XmlError(f"malformed XML: {exc}") from exc
    if not isinstance(doc, dict) or list(doc) != ["xml"] or not isinstance(doc["xml"], dict):
        raise XmlError("root element must be <xml>")
    fields: dict[str, object] = {}
    for key, value in doc["xml"].items():
        if isinstance(value, list):
            raise XmlError(f"duplicate <{key}>")
        fields[key] = "" if value is None else value
    return fields


def text_field(fields: dict[str, object], name: str, required: bool = False) -> str:
    """A top-level text field; nested elements where text is expected are malformed input."""
    value = fields.get(name)
    if value is None:
        if required:
            raise XmlError(f"missing <{name}>")
        return ""
    if not isinstance(value, str):
        raise XmlError(f"<{name}> must be text")
    return value


def fit_reply(text: str, limit: int = MAX_REPLY_BYTES) -> str:
    """Cut text to ``limit`` UTF-8 bytes on a character boundary, never leaving a dangling joiner."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    suffix = "…"
    budget = limit - len(suffix.encode("utf-8"))
    cut = data[:budget].decode("utf-8", errors="ignore")
    cut = cut.rstrip("\u200d\ufe0f")
    return cut + suffix


def _cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def render_text_reply(to_user: str, from_user: str, content: str, now: int | None = None) -> str:
    """The passive text reply XML (To/From swapped relative to the inbound message)."""
    created = int(time.time()) if now is None else now
    return (
        "<xml>"
        f"<ToUserName>{_cdata(to_user)}</ToUserName>"
        f"<FromUserName>{_cdata(from_user)}</FromUserName>"
        f"<CreateTime>{created}</CreateTime>"
        "<MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{_cdata(fit_reply(content))}</Content>"
        "</xml>"
    )


def render_encrypted(encrypted: str, signature: str, timestamp: str, nonce: str) -> str:
    return (
        "<xml>"
        f"<Encrypt>{_cdata(encrypted)}</Encrypt>"
        f"<MsgSignature>{_cdata(signature)}</MsgSignature>"
        f"<TimeStamp>{escape(timestamp)}</TimeStamp>"
        f"<Nonce>{_cdata(nonce)}</Nonce>"
        "</xml>"
    )
