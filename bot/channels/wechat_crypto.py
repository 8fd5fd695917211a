"""WeChat message signing and AES (safe mode), on top of wechatpy's cipher.

The spec: https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/Before_Develop/Message_encryption_and_decryption.html
Signatures are compared in constant time (wechatpy compares with ``!=``), and the random prefix of an
encrypted reply comes from ``secrets`` (wechatpy uses ``random``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from wechatpy.crypto import PrpCrypto


def sign(*parts: str) -> str:
    """sha1 of the lexicographically sorted parts, concatenated: WeChat's signature for URLs and messages."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def signature_matches(expected: str, given: str | None) -> bool:
    """Constant-time comparison; WeChat sends lowercase hex."""
    if not given:
        return False
    return hmac.compare_digest(expected.encode(), given.strip().lower().encode())


class _SecurePrpCrypto(PrpCrypto):
    def get_random_string(self) -> str:
        return secrets.token_hex(8)


class MessageCipher:
    """AES-256-CBC with WeChat's framing: random(16) ‖ len ‖ xml ‖ receive id, PKCS#7 to 32 bytes."""

    def __init__(self, token: str, encoding_aes_key: str, receive_id: str):
        import base64

        self.token = token
        self.receive_id = receive_id
        self.key = base64.b64decode(encoding_aes_key + "=")
        if len(self.key) != 32:
            raise ValueError("EncodingAESKey must decode to 32 bytes")
        self._crypto = _SecurePrpCrypto(self.key)

    def check(self, msg_signature: str | None, timestamp: str, nonce: str, encrypted: str) -> bool:
        return signature_matches(sign(self.token, timestamp, nonce, encrypted), msg_signature)

    def decrypt(self, encrypted: str) -> str:
        """Decrypt and verify the receive id; any malformed input raises ``ValueError``."""
        try:
            return self._crypto.decrypt(encrypted, self.receive_id)
        except Exception as exc:  # binascii/struct/index/unicode errors from garbage ciphertext
            raise ValueError(f"cannot decrypt message: {type(exc).__name__}") from exc

    def encrypt(self, plaintext: str, timestamp: str, nonce: str) -> tuple[str, str]:
        """Return ``(Encrypt, MsgSignature)`` for a reply."""
        encrypted = self._crypto.encrypt(plaintext, self.receive_id).decode("ascii")
        return encrypted, sign(self.token, timestamp, nonce, encrypted)
