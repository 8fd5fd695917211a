"""Staff accounts: bureau users see their county, town office users only their town."""

from __future__ import annotations

import datetime as dt
import re
import secrets

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.auth import hash_secret
from bot.bureau.audit import record_audit
from bot.bureau.passwords import check_strength, hash_password, needs_rehash, verify_password
from bot.ledger.tables import ApiToken, AuditLog, Town, User

ROLES = {"bureau": "县司法局", "town": "司法所"}
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{3,32}$")
LOCKOUT_FAILURES = 5
LOCKOUT_WINDOW = dt.timedelta(minutes=15)
TOKEN_PREFIX = "lbt_"


class UserError(ValueError):
    """A user cannot be created or changed as asked; the message says what to fix."""


def user_by_username(session: Session, username: str) -> User | None:
    """The user with this name (surrounding spaces ignored), or None."""
    return session.scalar(select(User).where(User.username == username.strip()))


def add_user(
    session: Session,
    *,
    username: str,
    role: str,
    county: str,
    now: dt.datetime,
    town: str | None = None,
    display_name: str | None = None,
    password: str | None = None,
    openid: str | None = None,
) -> User:
    """Create a bureau or town office user; towns and counties must exist in the roster."""
    if not USERNAME_RE.match(username):
        raise UserError("用户名用 3–32 位字母、数字、点、下划线或连字符，例如 zhang.san")
    if role not in ROLES:
        raise UserError(f"角色只能是 bureau（县司法局）或 town（司法所），不是 '{role}'")
    if user_by_username(session, username) is not None:
        raise UserError(f"用户名 {username} 已存在：请换一个，或用 `legalbot users passwd {username}` 改密码")
    if session.scalar(select(func.count()).select_from(Town).where(Town.county == county)) == 0:
        raise UserError(f"花名册里没有“{county}”：请核对县名，或先运行 `legalbot roster import`")
    town_row = None
    if role == "town":
        if not town:
            raise UserError("司法所用户要用 --town 指定所在镇")
        town_row = session.scalar(select(Town).where(Town.county == county, Town.name == town))
        if town_row is None:
            raise UserError(f"{county}没有“{town}”：请核对镇名（与花名册一致）")
    elif town:
        raise UserError("县司法局用户看全县数据，不用指定 --town；司法所用户请用 --role town")
    if openid and session.scalar(select(User).where(User.openid == openid)) is not None:
        raise UserError(f"openid {openid} 已绑定其他用户")
    if password is not None:
        check_strength(password)
    user = User(
        username=username,
        display_name=display_name or username,
        role=role,
        county=county,
        town_id=town_row.id if town_row else None,
        password_hash=hash_password(password) if password is not None else None,
        openid=openid or None,
        subscribed_reports=True,
        active=True,
        created_at=now,
    )
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, user: User, password: str) -> None:
    """Replace a user's password (checked for strength first)."""
    check_strength(password)
    user.password_hash = hash_password(password)


def login_locked(session: Session, username: str, now: dt.datetime) -> bool:
    """Five failed logins for a name within 15 minutes lock it for the rest of the window."""
    failures = session.scalar(
        select(func.count())
        .select_from(AuditLog)
        .where(
            AuditLog.action == "login_failed",
            AuditLog.target == f"user:{username}",
            AuditLog.created_at > now - LOCKOUT_WINDOW,
        )
    )
    return (failures or 0) >= LOCKOUT_FAILURES


def authenticate(session: Session, username: str, password: str, now: dt.datetime, ip: str | None) -> User | None:
    """The active user with this name and password, or None; every attempt is audited."""
    username = username.strip()
    if login_locked(session, username, now):
        record_audit(session, f"user:{username}", "login_locked", f"user:{username}", now, ip=ip)
        return None
    user = user_by_username(session, username)
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        record_audit(session, f"user:{username}", "login_failed", f"user:{username}", now, ip=ip)
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    record_audit(session, f"user:{username}", "login", "password", now, ip=ip)
    return user


def issue_token(session: Session, user: User, name: str, now: dt.datetime) -> str:
    """A new bearer token for ``/api`` (shown once; only its hash is kept)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=hash_secret(token), name=name, created_at=now, revoked=False))
    return token


def user_for_token(session: Session, token: str, now: dt.datetime) -> User | None:
    """The active user behind a bearer token that is not revoked; records its last use."""
    api_token = session.scalar(
        select(ApiToken).where(ApiToken.token_hash == hash_secret(token.strip()), ApiToken.revoked.is_(False))
    )
    if api_token is None or not api_token.user.active:
        return None
    api_token.last_used_at = now
    return api_token.user


def revoke_tokens(session: Session, user: User) -> int:
    """Revoke all of a user's tokens (when a token leaks or the person leaves)."""
    result = session.execute(
        update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False)).values(revoked=True)
    )
    return result.rowcount or 0


def list_users(session: Session) -> list[User]:
    """Every user, by county, role and name (``legalbot users list``)."""
    return list(session.scalars(select(User).order_by(User.county, User.role, User.username)))
