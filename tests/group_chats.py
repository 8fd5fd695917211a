"""Test stand-ins for the two group-chat sources: a bridge operator signing JSON with its own HMAC code,
and WeCom's AI bot encrypting callbacks with WeRoBot's crypto (independent of the app's), plus a roster
whose villages list their group chats."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from werobot.crypto import MessageCrypt

from bot.config import PROJECT_ROOT
from tests.wechat_client import signature as sha1_signature
from tests.wechat_client import tag

BRIDGE_KEY, BRIDGE_SECRET = "k1", "s3cret-for-the-village-bridge-2026"
HEDONG_GROUP, HEDONG_GROUP_2, HEXI_GROUP = "grp-hedong@chatroom", "grp-hedong-cadres", "grp-hexi@chatroom"
BOT_TOKEN, BOT_AES = "AiBotToken2026", "Q2xhdWRlQWlCb3RLZXkyMDI2QWJjZGVmZ2hpamtsbW4"
BOT_GROUP = "wrHedongGroupChat01"
PERSONAL_STORY = (
    "我家和邻居因为宅基地边界吵了好几年，他家新盖的墙占了我家一尺多地，"
    "村里调解也不管用，上个月他还把我家院里的树砍了，现在咋办"
)
_ids = itertools.count(1)


def group_roster(tmp_path: Path, cells: tuple[str, str, str] | None = None) -> Path:
    """The demo roster with a 群ID column: 河东村 has two groups, 河西村 one, 河口镇河东村 none."""
    lines = (PROJECT_ROOT / "bot" / "demo" / "roster.csv").read_text(encoding="utf-8").splitlines()
    cells = cells or (f"{HEDONG_GROUP};{HEDONG_GROUP_2}", f"{HEXI_GROUP},{BOT_GROUP}", "")
    rows = [lines[0] + ",群ID"] + [f'{line},"{cell}"' for line, cell in zip(lines[1:], cells, strict=True)]
    path = tmp_path / "roster_groups.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def sign(secret: str, timestamp: str, nonce: str, body: bytes) -> str:
    """The operator's side of the contract in docs/bridge.md, written from the doc, not from the app."""
    return hmac.new(secret.encode(), f"{timestamp}\n{nonce}\n".encode() + body, hashlib.sha256).hexdigest()


@dataclass
class BridgeResponse:
    status: int
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)

    @property
    def reply(self) -> dict | None:
        return self.json["reply"]

    @property
    def text(self) -> str:
        return (self.reply or {}).get("text", "")


class BridgeClient:
    """Posts signed messages to /bridge/v1/messages like an operator's bridge would."""

    def __init__(self, http, clock, key: str = BRIDGE_KEY, secret: str = BRIDGE_SECRET):
        self.http, self.clock, self.key, self.secret = http, clock, key, secret

    def message(self, text: str, *, sender: str = "wxid_villager1", chat_type: str = "group", **fields) -> dict:
        body = {
            "msg_id": f"m{next(_ids)}",
            "chat_type": chat_type,
            "chat_id": HEDONG_GROUP if chat_type == "group" else None,
            "chat_name": "河东村村民群",
            "sender_id": sender,
            "sender_name": "张三",
            "mentioned_bot": False,
            "text": text,
            "sent_at": int(self.clock.now().timestamp()),
        }
        body.update(fields)
        return body

    def send(self, text: str, *, timestamp: int | None = None, **fields) -> BridgeResponse:
        return self.post(self.message(text, **fields), timestamp=timestamp)

    def headers(self, body: bytes, *, timestamp: int | None = None, nonce: str | None = None) -> dict[str, str]:
        ts = str(timestamp if timestamp is not None else int(self.clock.now().timestamp()))
        nonce = nonce or secrets.token_hex(12)
        return {
            "X-Bridge-Key": self.key,
            "X-Bridge-Timestamp": ts,
            "X-Bridge-Nonce": nonce,
            "X-Bridge-Signature": sign(self.secret, ts, nonce, body),
        }

    def post(self, payload: dict | bytes, headers: dict[str, str] | None = None, **header_args) -> BridgeResponse:
        body = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
        headers = headers if headers is not None else self.headers(body, **header_args)
        resp = self.http.post("/bridge/v1/messages", data=body, headers=headers, content_type="application/json")
        return BridgeResponse(resp.status_code, resp.get_data())


@dataclass
class BotResponse:
    status: int
    body: bytes
    reply: dict | None  # the decrypted plaintext JSON, after its msgsignature was checked

    @property
    def text(self) -> str:
        return ((self.reply or {}).get("stream") or {}).get("content", "")


class WeComBotClient:
    """WeCom's side of the AI bot callback, with WeRoBot's MessageCrypt and an empty receive id."""

    def __init__(self, http, clock, token: str = BOT_TOKEN, aes_key: str = BOT_AES):
        self.http, self.clock, self.token = http, clock, token
        self.crypt = MessageCrypt(token, aes_key, "")

    def encrypt(self, plaintext: str, ts: str, nonce: str) -> tuple[str, str]:
        wrapped = self.crypt.encrypt_message(plaintext, ts, nonce)
        return tag(wrapped, "Encrypt"), tag(wrapped, "MsgSignature")

    def message(self, content: str, *, user: str = "zhangsan", chattype: str = "group", **fields) -> dict:
        data = {
            "msgid": f"CAIQ{next(_ids)}",
            "aibotid": "AIBOTID",
            "chattype": chattype,
            "from": {"userid": user},
            "response_url": "https://qyapi.invalid/response",
            "msgtype": "text",
            "text": {"content": content},
        }
        if chattype == "group":
            data["chatid"] = BOT_GROUP
        data.update(fields)
        return data

    def send(self, content: str, **fields) -> BotResponse:
        return self.post(self.message(content, **fields))

    def post(self, data: dict, *, ts: int | None = None) -> BotResponse:
        ts_text = str(ts if ts is not None else int(self.clock.now().timestamp()))
        nonce = str(secrets.randbelow(10**9))
        blob, msg_signature = self.encrypt(json.dumps(data, ensure_ascii=False), ts_text, nonce)
        query = {"msg_signature": msg_signature, "timestamp": ts_text, "nonce": nonce}
        return self.raw_post(query, json.dumps({"encrypt": blob}).encode())

    def raw_post(self, query: dict[str, str], body: bytes) -> BotResponse:
        resp = self.http.post("/wecom/bot?" + urlencode(query), data=body, content_type="application/json")
        raw = resp.get_data()
        if resp.status_code != 200 or not raw:
            return BotResponse(resp.status_code, raw, None)
        outer = json.loads(raw)
        expected = sha1_signature(self.token, outer["timestamp"], outer["nonce"], outer["encrypt"])
        assert outer["msgsignature"] == expected, "the reply's msgsignature does not verify"
        plain = self.crypt.decrypt_message(outer["timestamp"], outer["nonce"], outer["msgsignature"], outer["encrypt"])
        return BotResponse(200, raw, json.loads(plain))
