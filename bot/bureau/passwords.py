"""Password hashing with Argon2id (argon2-cffi's defaults follow RFC 9106's recommendations)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 10
_hasher = PasswordHasher()
# Verified against when the username is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$YnICRctQakeX97R3Ww/PoQ$itgZFjqrSoO5vk+CviuGjOaX9hZ0VmIeENssa9Bp1XA"


class WeakPasswordError(ValueError):
    """A new password is too short or too simple; the message says what is needed."""


def check_strength(password: str) -> None:
    """Refuse passwords shorter than 10 characters or made of one kind of character."""
    if len(password) < MIN_LENGTH:
        raise WeakPasswordError(f"密码至少 {MIN_LENGTH} 位：请加长后再设")
    kinds = sum(
        (any(c.isdigit() for c in password), any(c.isalpha() for c in password), any(not c.isalnum() for c in password))
    )
    if kinds < 2:
        raise WeakPasswordError("密码请同时包含字母和数字（或符号）")


def hash_password(password: str) -> str:
    """An Argon2id hash with its own salt and parameters (stored as one string)."""
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Constant-effort check; False for a missing or malformed hash."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's (rehash on the next login)."""
    return _hasher.check_needs_rehash(stored_hash)
