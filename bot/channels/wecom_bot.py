"""The WeCom AI bot (企业微信智能机器人) callback: group messages that @-mention the bot, and 1:1 chats.

Protocol: https://developer.work.weixin.qq.com/document/path/101033 (URL check with ``msg_signature`` and
an encrypted ``echostr``; POST body ``{"encrypt": "…"}``; same AES framing as WeChat with an empty
receive id for a company's own bot), https://developer.work.weixin.qq.com/document/path/100719 (the
decrypted JSON: msgid, aibotid, chatid, chattype single|group, from.userid, msgtype, text.content) and
https://developer.work.weixin.qq.com/document/path/101031 (the passive reply: an encrypted JSON whose
plaintext is a ``stream`` message; we answer at once, so the stream is finished in the first reply).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from bot.channels import ChannelError
from bot.channels.official import Parsed, Request
from bot.channels.wechat_crypto import MessageCipher
from bot.messages import Incoming, Reply, scoped_id

CHANNEL = "wecom_bot"
DEDUPE_PREFIX = "wecombot"
MAX_STREAM_BYTES = 20480  # stream content limit (path/101031)
MEDIA = {"image", "file", "video"}


class PayloadError(ValueError):
    """A correctly signed callback whose content we cannot read; answered with an empty 200."""


class WeComBotChannel:
    def __init__(self, token: str, aes_key: str, timestamp_window: int = 300):
        # A company's own AI bot uses an empty receive id (path/101033: "ReceiveId为\"\"").
        self.cipher = MessageCipher(token, aes_key, "")
        self.window = timestamp_window

    def verify_url(self, req: Request) -> bytes:
        """Decrypt the echostr after checking its signature; WeCom wants the plaintext within 1 s."""
        echostr = req.args.get("echostr", "")
        self._check(req, echostr)
        try:
            return self.cipher.decrypt(echostr).encode("utf-8")
        except ValueError as exc:
            raise ChannelError(403, f"cannot decrypt echostr: {exc}") from exc

    def parse(self, req: Request) -> Parsed | None:
        """Check the signature over the ``encrypt`` field, decrypt and read the message.

        Raises ChannelError (400 unreadable outer body, 403 bad signature or stale timestamp), then
        PayloadError for content we cannot read after a valid signature. None for a stream refresh
        (msgtype ``stream``): our streams finish in the first reply, there is nothing to add.
        """
        try:
            outer = json.loads(req.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise ChannelError(400, "body is not UTF-8 JSON") from None
        blob = outer.get("encrypt") if isinstance(outer, dict) else None
        if not isinstance(blob, str) or not blob:
            raise ChannelError(400, 'body must be {"encrypt": "…"}')
        self._check(req, blob)
        try:
            inner = json.loads(self.cipher.decrypt(blob))
        except (ValueError, RecursionError) as exc:
            raise PayloadError(f"cannot read the decrypted message: {type(exc).__name__}") from exc
        incoming = to_incoming(inner)
        if incoming is None:
            return None
        timestamp, nonce = req.args["timestamp"], req.args["nonce"]
        stream_id = "lb" + hashlib.sha256(incoming.dedupe_key.encode()).hexdigest()[:30]

        def render(reply: Reply) -> bytes:
            if reply.empty:
                return b""
            text = _cut(reply.text, MAX_STREAM_BYTES)
            plain = {"msgtype": "stream", "stream": {"id": stream_id, "finish": True, "content": text}}
            encrypted, signature = self.cipher.encrypt(json.dumps(plain, ensure_ascii=False), timestamp, nonce)
            body = {"encrypt": encrypted, "msgsignature": signature, "timestamp": timestamp, "nonce": nonce}
            return json.dumps(body).encode("utf-8")

        return Parsed(incoming, render)

    def _check(self, req: Request, encrypted: str) -> None:
        args: Mapping[str, str] = req.args
        timestamp, nonce = args.get("timestamp", ""), args.get("nonce", "")
        if not timestamp or not nonce or not encrypted:
            raise ChannelError(403, "missing timestamp, nonce or encrypted part")
        if not timestamp.isdigit() or len(timestamp) > 12:
            raise ChannelError(403, "timestamp is not a number")
        if abs(req.now.timestamp() - int(timestamp)) > self.window:
            raise ChannelError(403, "stale timestamp")
        if not self.cipher.check(args.get("msg_signature"), timestamp, nonce, encrypted):
            raise ChannelError(403, "bad msg_signature")


def to_incoming(data: object) -> Incoming | None:
    """Map the decrypted JSON to the platform-neutral message; unknown types are kept, not dropped."""
    if not isinstance(data, dict):
        raise PayloadError("the decrypted message is not a JSON object")
    msg_type = _field(data, "msgtype")
    if msg_type == "stream":
        return None
    msg_id = _field(data, "msgid")
    sender = data.get("from")
    userid = sender.get("userid") if isinstance(sender, dict) else None
    if not isinstance(userid, str) or not userid.strip() or len(userid) > 128:
        raise PayloadError("from.userid missing")
    chat_type = "group" if data.get("chattype") == "group" else "private"
    chat_id = data.get("chatid") if isinstance(data.get("chatid"), str) else None
    if chat_type == "group" and not chat_id:
        raise PayloadError("a group message without chatid")
    common = dict(
        chat_type=chat_type,
        chat_id=chat_id[:128] if chat_id else None,
        # In a group the bot is only called when @-mentioned (path/100719).
        mentioned=chat_type == "group",
    )
    sender_id, key = scoped_id(DEDUPE_PREFIX, userid), f"{DEDUPE_PREFIX}:{msg_id}"
    if msg_type == "event":
        event = data.get("event") if isinstance(data.get("event"), dict) else {}
        name = event.get("eventtype") if isinstance(event.get("eventtype"), str) else "unknown"
        return Incoming(CHANNEL, sender_id, "event", key, event=name[:64], **common)
    if msg_type in ("text", "voice", "mixed"):
        return Incoming(CHANNEL, sender_id, "voice" if msg_type == "voice" else "text", key, text=_text(data), **common)
    kind = msg_type if msg_type in MEDIA else "unknown"
    return Incoming(CHANNEL, sender_id, kind, key, raw_type=msg_type[:32], **common)


def _field(data: dict, name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value or len(value) > 128:
        raise PayloadError(f"{name} missing or too long")
    return value


def _text(data: dict) -> str:
    """text.content, voice.content (speech already recognised) or the text items of a mixed message."""
    msg_type = data["msgtype"]
    if msg_type == "mixed":
        items = (data.get("mixed") or {}).get("msg_item") if isinstance(data.get("mixed"), dict) else None
        parts = [
            (item.get("text") or {}).get("content")
            for item in (items if isinstance(items, list) else [])
            if isinstance(item, dict) and item.get("msgtype") == "text" and isinstance(item.get("text"), dict)
        ]
        text = "\n".join(p for p in parts if isinstance(p, str))
    else:
        body = data.get(msg_type)
        text = body.get("content") if isinstance(body, dict) else None
    if not isinstance(text, str):
        raise PayloadError(f"{msg_type}.content missing")
    text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise PayloadError("content contains an unpaired surrogate") from None
    return text[:4000]


def _cut(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    return text if len(data) <= limit else data[:limit].decode("utf-8", "ignore")
