"""The WeCom (企业微信) self-built app callback: advisers answer "#编号 答复" from the WeCom app.

Protocol (https://developer.work.weixin.qq.com/document/path/90930): every request carries
``msg_signature`` over the encrypted part; the URL check's ``echostr`` is encrypted too and must be
decrypted; the receive id inside the ciphertext is the CorpID. Same AES framing as the Official Account.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.channels import ChannelError
from bot.channels.official import Parsed, Request, to_incoming
from bot.channels.wechat_crypto import MessageCipher
from bot.channels.wechat_xml import XmlError, parse_xml, render_encrypted, render_text_reply, text_field
from bot.messages import Reply

CHANNEL = "wecom"


class WeComChannel:
    def __init__(self, token: str, aes_key: str, corp_id: str, timestamp_window: int = 300):
        self.cipher = MessageCipher(token, aes_key, corp_id)
        self.window = timestamp_window

    def verify_url(self, req: Request) -> bytes:
        """Decrypt the echostr after checking its signature."""
        echostr = req.args.get("echostr", "")
        self._check(req.args, echostr, req)
        try:
            return self.cipher.decrypt(echostr).encode("utf-8")
        except ValueError as exc:  # includes a CorpID mismatch (wechatpy raises InvalidCorpId/AppId)
            raise ChannelError(403, f"cannot decrypt echostr: {exc}") from exc

    def parse(self, req: Request) -> Parsed:
        outer = parse_xml(req.body)
        blob = text_field(outer, "Encrypt", required=True)
        self._check(req.args, blob, req)
        try:
            fields = parse_xml(self.cipher.decrypt(blob).encode("utf-8"))
        except ValueError as exc:
            raise XmlError(str(exc)) from exc
        incoming = to_incoming(fields, CHANNEL)
        corp = text_field(fields, "ToUserName")
        timestamp, nonce = req.args["timestamp"], req.args["nonce"]

        def render(reply: Reply) -> bytes:
            if reply.empty:
                return b""
            xml = render_text_reply(incoming.sender, corp, reply.text, int(req.now.timestamp()))
            blob, signature = self.cipher.encrypt(xml, timestamp, nonce)
            return render_encrypted(blob, signature, timestamp, nonce).encode("utf-8")

        return Parsed(incoming, render)

    def _check(self, args: Mapping[str, str], encrypted: str, req: Request) -> None:
        timestamp, nonce = args.get("timestamp", ""), args.get("nonce", "")
        if not timestamp or not nonce or not encrypted:
            raise ChannelError(403, "missing timestamp, nonce or encrypted part")
        try:
            sent = int(timestamp)
        except ValueError:
            raise ChannelError(403, "timestamp is not a number") from None
        if abs(req.now.timestamp() - sent) > self.window:
            raise ChannelError(403, "stale timestamp")
        if not self.cipher.check(args.get("msg_signature"), timestamp, nonce, encrypted):
            raise ChannelError(403, "bad msg_signature")
