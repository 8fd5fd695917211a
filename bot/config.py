"""Settings read once from ``LEGALBOT_*`` environment variables; a bad value fails at start-up, naming it."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from bot.config_values import (
    PREFIX,
    PROJECT_ROOT,
    ConfigError,
    instance_secret,
    parse_bool,
    parse_bridge_keys,
    parse_county_hours,
    parse_float,
    parse_hours,
    parse_int,
    parse_statutes_dir,
)
from bot.workhours import WorkCalendar

__all__ = ["PREFIX", "PROJECT_ROOT", "ConfigError", "Settings"]
AES_KEY_RE = re.compile(r"^[A-Za-z0-9]{43}$")
TOKEN_RE = re.compile(r"^[A-Za-z0-9]{3,32}$")


@dataclass(frozen=True)
class Settings:
    instance_dir: Path
    database_url: str
    secret_key: str
    knowledge_dir: Path
    model_dir: Path
    statutes_dir: Path | None = None  # statute texts to check FAQ citations against (None: spelling only)
    wechat_token: str = ""
    wechat_appid: str = ""
    wechat_aes_key: str = ""
    wechat_secret: str = ""
    delivery: str = "log"
    simulator: bool = False
    max_body_bytes: int = 256 * 1024
    timestamp_window: int = 300
    rate_limit_per_minute: int = 20  # messages one sender may send per minute before the rest is only stored
    log_level: str = "INFO"
    outbox_interval: float = 2.0
    console_session_hours: float = 8.0  # how long an adviser console login lasts
    # Monthly on-site hours (驻点时长) each village's adviser owes; a county may set its own.
    onsite_min_hours: float = 8.0
    onsite_min_hours_by_county: dict[str, float] = field(default_factory=dict)
    public_url: str = "http://127.0.0.1:5000"
    calendar: WorkCalendar = field(default_factory=WorkCalendar)
    escalate_b_hours: float = 4.0  # working hours before the B post takes over
    escalate_office_hours: float = 24.0  # wall-clock hours after forwarding before the town office is asked
    priority_hours: float = 2.0  # working hours for legal-aid priority consultations
    remind_before_minutes: int = 60
    alert_resend_minutes: int = 15
    rating_days: int = 7
    wechat_template_id: str = ""
    wecom_corp_id: str = ""
    wecom_agent_id: int = 0
    wecom_secret: str = ""
    wecom_token: str = ""
    wecom_aes_key: str = ""
    # Group chats (issue 6): HMAC keys of the JSON bridge (key id → secret) and the WeCom AI bot callback.
    bridge_keys: dict[str, str] = field(default_factory=dict)
    bridge_max_body_bytes: int = 64 * 1024
    wecom_bot_token: str = ""
    wecom_bot_aes_key: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def wecom_configured(self) -> bool:
        return bool(self.wecom_corp_id)

    @property
    def wecom_bot_configured(self) -> bool:
        return bool(self.wecom_bot_token)

    @property
    def wechat_configured(self) -> bool:
        return bool(self.wechat_token)

    def onsite_minimum(self, county: str) -> float:
        """The monthly on-site minimum for a county (its override, else the default)."""
        return self.onsite_min_hours_by_county.get(county, self.onsite_min_hours)

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with some values replaced (tests and the demo)."""
        return replace(self, **changes)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read and validate every ``LEGALBOT_*`` variable."""
        env = os.environ if env is None else env
        get = lambda name, default="": env.get(PREFIX + name, default).strip()  # noqa: E731

        instance_dir = Path(get("INSTANCE_DIR") or PROJECT_ROOT / "instance").resolve()
        database_url = get("DATABASE_URL") or f"sqlite:///{instance_dir / 'legalbot.db'}"
        if "://" not in database_url:
            raise ConfigError(
                f"{PREFIX}DATABASE_URL='{database_url}' is not a database URL; "
                "use e.g. sqlite:///path/legalbot.db or postgresql+psycopg://user:pass@host/db"
            )
        if database_url.startswith("postgresql://"):
            database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]
        if not database_url.startswith(("sqlite:", "postgresql+psycopg:")):
            raise ConfigError(
                f"{PREFIX}DATABASE_URL uses '{database_url.split(':', 1)[0]}'; legalbot runs on SQLite or "
                "PostgreSQL: use sqlite:///path/legalbot.db or postgresql+psycopg://user:pass@host/db"
            )

        token = get("WECHAT_TOKEN")
        if token and not TOKEN_RE.match(token):
            raise ConfigError(f"{PREFIX}WECHAT_TOKEN must be 3-32 letters or digits (as set in the WeChat console)")
        aes_key = get("WECHAT_AES_KEY")
        if aes_key and not AES_KEY_RE.match(aes_key):
            raise ConfigError(f"{PREFIX}WECHAT_AES_KEY must be the 43-character EncodingAESKey from the WeChat console")
        appid = get("WECHAT_APPID")
        if aes_key and not appid:
            raise ConfigError(f"{PREFIX}WECHAT_APPID is required when {PREFIX}WECHAT_AES_KEY is set (safe mode)")
        secret = get("WECHAT_SECRET")

        delivery = get("DELIVERY") or ("wechat" if secret else "log")
        if delivery not in ("log", "wechat"):
            raise ConfigError(f"{PREFIX}DELIVERY must be 'log' or 'wechat', not '{delivery}'")
        if delivery == "wechat" and not (appid and secret):
            raise ConfigError(
                f"{PREFIX}DELIVERY=wechat needs {PREFIX}WECHAT_APPID and {PREFIX}WECHAT_SECRET; "
                f"set them or use {PREFIX}DELIVERY=log"
            )

        try:
            calendar = WorkCalendar.parse(
                get("WORK_DAYS") or "1-5", get("WORK_HOURS") or "08:30-12:00,13:30-17:30", get("HOLIDAYS")
            )
        except ValueError as exc:
            raise ConfigError(
                f"{PREFIX}WORK_DAYS / {PREFIX}WORK_HOURS / {PREFIX}HOLIDAYS are malformed ({exc}); "
                "use e.g. 1-5, 08:30-12:00,13:30-17:30 and 2026-10-01,2026-10-02"
            ) from None
        wecom = {name: get("WECOM_" + name) for name in ("CORP_ID", "AGENT_ID", "SECRET", "TOKEN", "AES_KEY")}
        if any(wecom.values()):
            missing = [f"{PREFIX}WECOM_{k}" for k, v in wecom.items() if not v]
            if missing:
                raise ConfigError(f"WeCom is partly configured: set {', '.join(missing)} too (or none of them)")
            if not wecom["AGENT_ID"].isdigit():
                raise ConfigError(f"{PREFIX}WECOM_AGENT_ID must be the numeric AgentId of the WeCom app")
            if not AES_KEY_RE.match(wecom["AES_KEY"]):
                raise ConfigError(f"{PREFIX}WECOM_AES_KEY must be the 43-character EncodingAESKey of the WeCom app")

        wecom_bot = {name: get("WECOM_BOT_" + name) for name in ("TOKEN", "AES_KEY")}
        if any(wecom_bot.values()):
            if not all(wecom_bot.values()):
                raise ConfigError(
                    f"The WeCom AI bot needs both {PREFIX}WECOM_BOT_TOKEN and {PREFIX}WECOM_BOT_AES_KEY (or neither)"
                )
            if not TOKEN_RE.match(wecom_bot["TOKEN"]):
                raise ConfigError(f"{PREFIX}WECOM_BOT_TOKEN must be 3-32 letters or digits (the bot's API Token)")
            if not AES_KEY_RE.match(wecom_bot["AES_KEY"]):
                raise ConfigError(f"{PREFIX}WECOM_BOT_AES_KEY must be the bot's 43-character EncodingAESKey")

        return cls(
            bridge_keys=parse_bridge_keys(get("BRIDGE_KEYS")),
            bridge_max_body_bytes=parse_int(env, "BRIDGE_MAX_BODY_BYTES", 64 * 1024, minimum=1024),
            wecom_bot_token=wecom_bot["TOKEN"],
            wecom_bot_aes_key=wecom_bot["AES_KEY"],
            calendar=calendar,
            public_url=(get("PUBLIC_URL") or "http://127.0.0.1:5000").rstrip("/"),
            escalate_b_hours=parse_float(env, "ESCALATE_B_WORK_HOURS", 4.0),
            escalate_office_hours=parse_float(env, "ESCALATE_OFFICE_HOURS", 24.0),
            priority_hours=parse_float(env, "PRIORITY_WORK_HOURS", 2.0),
            remind_before_minutes=parse_int(env, "REMIND_BEFORE_MINUTES", 60, minimum=1),
            alert_resend_minutes=parse_int(env, "ALERT_RESEND_MINUTES", 15, minimum=1),
            rating_days=parse_int(env, "RATING_DAYS", 7, minimum=1),
            wechat_template_id=get("WECHAT_TEMPLATE_ID"),
            wecom_corp_id=wecom["CORP_ID"],
            wecom_agent_id=int(wecom["AGENT_ID"] or 0),
            wecom_secret=wecom["SECRET"],
            wecom_token=wecom["TOKEN"],
            wecom_aes_key=wecom["AES_KEY"],
            instance_dir=instance_dir,
            database_url=database_url,
            secret_key=get("SECRET_KEY") or instance_secret(instance_dir),
            knowledge_dir=Path(get("KNOWLEDGE_DIR") or PROJECT_ROOT / "knowledge").resolve(),
            model_dir=Path(get("MODEL_DIR") or PROJECT_ROOT / "models").resolve(),
            statutes_dir=parse_statutes_dir(get("STATUTES_DIR")),
            wechat_token=token,
            wechat_appid=appid,
            wechat_aes_key=aes_key,
            wechat_secret=secret,
            delivery=delivery,
            simulator=parse_bool(env, "SIMULATOR", False),
            max_body_bytes=parse_int(env, "MAX_BODY_BYTES", 256 * 1024, minimum=1024),
            timestamp_window=parse_int(env, "TIMESTAMP_WINDOW", 300, minimum=10),
            rate_limit_per_minute=parse_int(env, "RATE_LIMIT_PER_MINUTE", 20, minimum=1),
            log_level=(get("LOG_LEVEL") or "INFO").upper(),
            outbox_interval=float(parse_int(env, "OUTBOX_INTERVAL_MS", 2000, minimum=50)) / 1000,
            console_session_hours=parse_float(env, "CONSOLE_SESSION_HOURS", 8.0),
            onsite_min_hours=parse_hours(get("ONSITE_MIN_HOURS") or "8", "ONSITE_MIN_HOURS"),
            onsite_min_hours_by_county=parse_county_hours(get("ONSITE_MIN_HOURS_BY_COUNTY")),
        )
