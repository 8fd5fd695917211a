"""Fixtures: a fresh database per test (SQLite, or PostgreSQL when LEGALBOT_TEST_DATABASE_URL is set),
a model trained once per session from knowledge/, a frozen clock, and an independent WeChat client."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot.app import create_app
from bot.classifier.train import load_answerer, train
from bot.clock import FrozenClock
from bot.config import PROJECT_ROOT, Settings
from bot.ledger.tables import Base
from bot.migrate import upgrade
from bot.roster import import_roster
from bot.services import Services
from tests.wechat_client import WeChatTestClient

PG_URL = os.environ.get("LEGALBOT_TEST_DATABASE_URL", "")
SHARED = PROJECT_ROOT.parent / "shared"
TOKEN = "testtoken2026"
APPID = "wx5f2a6c0d9b8e7a11"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aQ"
NOW = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)  # Friday 10:00 in Asia/Shanghai


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory) -> Path:
    """The real model, trained once from knowledge/ for the whole run."""
    target = tmp_path_factory.mktemp("models")
    train(PROJECT_ROOT / "knowledge", target, progress=lambda _m: None)
    return target


@pytest.fixture(scope="session")
def answerer(model_dir):
    return load_answerer(PROJECT_ROOT / "knowledge", model_dir, progress=lambda _m: None)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """Alembic runs once; each test starts from a copy of the migrated file."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_ready():
    if not PG_URL:
        return None
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    upgrade(PG_URL)
    return PG_URL


@pytest.fixture
def database_url(tmp_path, sqlite_template, pg_ready) -> str:
    if pg_ready:
        engine = create_engine(pg_ready)
        with engine.begin() as conn:
            names = ", ".join(t.name for t in reversed(Base.metadata.sorted_tables))
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return pg_ready
    path = tmp_path / "legalbot.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def settings(tmp_path, database_url, model_dir) -> Settings:
    env = {
        "LEGALBOT_INSTANCE_DIR": str(tmp_path / "instance"),
        "LEGALBOT_DATABASE_URL": database_url,
        "LEGALBOT_SECRET_KEY": "test-secret",
        "LEGALBOT_MODEL_DIR": str(model_dir),
        "LEGALBOT_WECHAT_TOKEN": TOKEN,
        "LEGALBOT_WECHAT_APPID": APPID,
        "LEGALBOT_WECHAT_AES_KEY": AES_KEY,
        "LEGALBOT_DELIVERY": "log",
    }
    return Settings.from_env(env)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def services(settings, clock, answerer):
    svc = Services.build(settings, clock)
    svc._answerer = answerer
    yield svc
    svc.dispose()


@pytest.fixture
def roster_file() -> Path:
    return PROJECT_ROOT / "bot" / "demo" / "roster.csv"


@pytest.fixture
def roster(services, roster_file):
    with services.sessions.begin() as session:
        import_roster(session, roster_file)
    return services


@pytest.fixture
def app(services):
    return create_app(services=services, warm=False)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def wechat(client, clock) -> WeChatTestClient:
    """Signs and encrypts like WeChat, using WeRoBot's crypto (not the app's)."""
    return WeChatTestClient(client, clock, TOKEN, APPID, AES_KEY)


@pytest.fixture
def shared_dir() -> Path:
    if not (SHARED / "data").is_dir():
        pytest.skip("../shared is not present beside the checkout")
    return SHARED
