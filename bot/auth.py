"""One-time login codes sent through WeChat, and hashing of secrets we must recognise but never store."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.ledger.tables import LoginCode

CODE_TTL = dt.timedelta(minutes=15)


def hash_secret(value: str) -> str:
    """sha256 hex: codes and API tokens are long random strings, so a plain hash is enough."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def issue_login_code(
    session: Session, now: dt.datetime, *, adviser_id: int | None = None, user_id: int | None = None
) -> str:
    """A fresh single-use code for an adviser (console) or a staff user (dashboard)."""
    if (adviser_id is None) == (user_id is None):
        raise ValueError("a login code is for exactly one adviser or one user")
    code = secrets.token_urlsafe(24)
    session.add(
        LoginCode(
            code_hash=hash_secret(code),
            adviser_id=adviser_id,
            user_id=user_id,
            expires_at=now + CODE_TTL,
            created_at=now,
        )
    )
    return code


def redeem_login_code(session: Session, code: str, now: dt.datetime) -> LoginCode | None:
    """Mark the code used and return it, or None if unknown, expired or already used (atomic)."""
    digest = hash_secret(code.strip())
    result = session.execute(
        update(LoginCode)
        .where(LoginCode.code_hash == digest, LoginCode.used_at.is_(None), LoginCode.expires_at > now)
        .values(used_at=now)
    )
    if result.rowcount != 1:
        return None
    return session.scalar(select(LoginCode).where(LoginCode.code_hash == digest))
