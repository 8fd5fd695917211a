"""A WeChat stand-in for tests: builds signed (and AES-encrypted) callbacks with WeRoBot's crypto,
an implementation independent of the app's, and opens the replies the same way."""

from __future__ import annotations

import hashlib
import itertools
import re
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

from werobot.crypto import MessageCrypt

ACCOUNT = "gh_test_account"
_ids = itertools.count(7_000_000_000_000_000_001)


def signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def tag(xml: str, name: str) -> str:
    match = re.search(rf"<{name}>(?:<!\[CDATA\[(.*?)\]\]>|([^<]*))</{name}>", xml, re.S)
    if not match:
        return ""
    return match.group(1) if match.group(1) is not None else match.group(2)


def cdata(value: str) -> str:
    return f"<![CDATA[{value}]]>"


@dataclass
class Response:
    status: int
    body: bytes
    xml: str  # the (decrypted) reply XML, or "" for "success"

    @property
    def text(self) -> str:
        return tag(self.xml, "Content")


class WeChatTestClient:
    def __init__(self, flask_client, clock, token: str, appid: str, aes_key: str):
        self.http = flask_client
        self.clock = clock
        self.token = token
        self.appid = appid
        self.crypt = MessageCrypt(token, aes_key, appid)
        self.encrypted = True

    # ---- building messages ------------------------------------------------------------------
    def xml(self, sender: str, msg_type: str, create_time: int | None = None, **fields: object) -> str:
        create_time = create_time if create_time is not None else int(self.clock.now().timestamp())
        parts = [
            f"<ToUserName>{cdata(ACCOUNT)}</ToUserName>",
            f"<FromUserName>{cdata(sender)}</FromUserName>",
            f"<CreateTime>{create_time}</CreateTime>",
            f"<MsgType>{cdata(msg_type)}</MsgType>",
        ]
        for key, value in fields.items():
            parts.append(f"<{key}>{value}</{key}>" if isinstance(value, int) else f"<{key}>{cdata(str(value))}</{key}>")
        return "<xml>" + "".join(parts) + "</xml>"

    def text(self, sender: str, content: str, msg_id: int | None = None) -> Response:
        return self.post(self.xml(sender, "text", Content=content, MsgId=msg_id or next(_ids)))

    def voice(self, sender: str, recognition: str | None, msg_id: int | None = None) -> Response:
        fields = {"MediaId": "media-" + secrets.token_hex(4), "Format": "amr", "MsgId": msg_id or next(_ids)}
        if recognition is not None:
            fields["Recognition"] = recognition
        return self.post(self.xml(sender, "voice", **fields))

    def image(self, sender: str) -> Response:
        return self.post(self.xml(sender, "image", PicUrl="http://x.invalid/a.jpg", MediaId="img1", MsgId=next(_ids)))

    def event(self, sender: str, event: str, key: str | None = None, create_time: int | None = None) -> Response:
        fields = {"Event": event}
        if key is not None:
            fields["EventKey"] = key
        return self.post(self.xml(sender, "event", create_time=create_time, **fields))

    # ---- transport --------------------------------------------------------------------------
    def query(self, timestamp: str, nonce: str, **extra: str) -> dict[str, str]:
        return {
            "signature": signature(self.token, timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
            "openid": "ignored",
            **extra,
        }

    def post(
        self, xml: str, *, timestamp: int | None = None, nonce: str | None = None, encrypted: bool | None = None
    ) -> Response:
        encrypted = self.encrypted if encrypted is None else encrypted
        ts = str(timestamp if timestamp is not None else int(self.clock.now().timestamp()))
        nonce = nonce or str(secrets.randbelow(10**9))
        if encrypted:
            wrapped = self.crypt.encrypt_message(xml, ts, nonce)
            blob, msg_sig = tag(wrapped, "Encrypt"), tag(wrapped, "MsgSignature")
            body = f"<xml><ToUserName>{cdata(ACCOUNT)}</ToUserName><Encrypt>{cdata(blob)}</Encrypt></xml>"
            params = self.query(ts, nonce, encrypt_type="aes", msg_signature=msg_sig)
        else:
            body, params = xml, self.query(ts, nonce)
        return self.raw_post(params, body.encode("utf-8"), encrypted)

    def raw_post(self, params: dict[str, str], body: bytes, encrypted: bool = False) -> Response:
        resp = self.http.post("/wechat?" + urlencode(params), data=body, content_type="text/xml")
        raw = resp.get_data()
        xml = ""
        if resp.status_code == 200 and raw and raw != b"success":
            text = raw.decode("utf-8")
            if encrypted:
                xml = self.crypt.decrypt_message(
                    tag(text, "TimeStamp"), tag(text, "Nonce"), tag(text, "MsgSignature"), tag(text, "Encrypt")
                )
                xml = xml.decode("utf-8") if isinstance(xml, bytes) else xml
            else:
                xml = text
        return Response(resp.status_code, raw, xml)
