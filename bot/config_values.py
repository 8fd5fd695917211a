"""Parsing of ``LEGALBOT_*`` values for bot.config: each bad value raises ConfigError naming its variable."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PREFIX = "LEGALBOT_"
BRIDGE_KEY_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
BRIDGE_SECRET_MIN = 16

DEV_STATUTES = PROJECT_ROOT.parent / "shared" / "data" / "laws"  # beside a development checkout


def parse_statutes_dir(value: str) -> Path | None:
    """LEGALBOT_STATUTES_DIR, else the development copy when it is there, else None."""
    if not value:
        return DEV_STATUTES if DEV_STATUTES.is_dir() else None
    path = Path(value).resolve()
    if not path.is_dir():
        raise ConfigError(f"{PREFIX}STATUTES_DIR={value} is not a folder: point it at the statute texts, or unset it")
    return path


class ConfigError(ValueError):
    """A configuration variable is missing or malformed; the message names it and says how to fix it."""


def parse_int(env: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    raw = env.get(PREFIX + name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{PREFIX}{name}='{raw}' must be a whole number") from None
    if value < minimum:
        raise ConfigError(f"{PREFIX}{name}={value} must be at least {minimum}")
    return value


def parse_float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(PREFIX + name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{PREFIX}{name}='{raw}' must be a number of hours, e.g. 4 or 0.5") from None
    if value <= 0:
        raise ConfigError(f"{PREFIX}{name}={raw} must be more than 0")
    return value


def parse_hours(raw: str, name: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{PREFIX}{name}='{raw}' must be a number of hours, e.g. 8") from None
    if not 0 <= value <= 744:
        raise ConfigError(f"{PREFIX}{name}={raw} must be between 0 and 744 hours (one month)")
    return value


def parse_county_hours(raw: str) -> dict[str, float]:
    """``示范县:10,另一县:6`` (full-width ：and ，are accepted too)."""
    name = "ONSITE_MIN_HOURS_BY_COUNTY"
    result: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in raw.replace("，", ",").split(","))):
        county, sep, hours = item.replace("：", ":").partition(":")
        if not sep or not county.strip():
            raise ConfigError(f"{PREFIX}{name}: '{item}' must look like 县名:小时数, e.g. 示范县:10,另一县:6")
        if county.strip() in result:
            raise ConfigError(f"{PREFIX}{name}: county '{county.strip()}' is given twice")
        result[county.strip()] = parse_hours(hours.strip(), name)
    return result


def parse_bridge_keys(raw: str) -> dict[str, str]:
    """``keyid:secret,keyid2:secret2``: the bridge operators' HMAC keys."""
    name = f"{PREFIX}BRIDGE_KEYS"
    keys: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        key_id, sep, secret = item.partition(":")
        key_id, secret = key_id.strip(), secret.strip()
        if not sep or not BRIDGE_KEY_ID_RE.match(key_id):
            raise ConfigError(
                f"{name}: each entry must look like keyid:secret with a key id of 1-16 letters, digits, _ or - "
                "(e.g. village1:0123456789abcdef0123)"
            )
        if len(secret) < BRIDGE_SECRET_MIN or any(c.isspace() for c in secret):
            raise ConfigError(
                f"{name}: the secret of key '{key_id}' must be at least {BRIDGE_SECRET_MIN} characters without "
                "spaces; generate one with: python -c 'import secrets; print(secrets.token_hex(32))'"
            )
        if key_id in keys:
            raise ConfigError(f"{name}: key id '{key_id}' is given twice")
        keys[key_id] = secret
    return keys


def parse_bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(PREFIX + name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{PREFIX}{name}='{raw}' must be 1/0, true/false, yes/no or on/off")


def instance_secret(instance_dir: Path) -> str:
    """Dev convenience: a random secret kept in the instance folder, so pseudonyms stay stable across runs."""
    path = instance_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key
