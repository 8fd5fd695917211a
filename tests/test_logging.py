"""What the logs may hold: never a secret (at any level), never a villager's or adviser's message text at
INFO or above. A whole consultation runs with every ``bot.*`` logger at DEBUG; then each record is read."""

from __future__ import annotations

import io
import logging
import re

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.delivery.log_gateway import LogGateway
from bot.jobs.outbox import deliver_due
from bot.ledger.tables import Consultation, InboundMessage
from bot.log_redaction import MASK, RedactSecrets, configured_secrets, install
from tests.conftest import AES_KEY, TOKEN
from tests.helpers import ADVISER_WANG
from tests.test_bureau_support import PASSWORD, logged_in, make_user, token_for
from tests.test_console_support import PERSONAL, csrf

APP_SECRET = "AppSecret0123456789abcdef01234567"
WECOM_SECRET = "WeComSecret-abcdefghijklmnopqrstuvw"
VILLAGER = "oVillagerLogging000001"
FAQ_QUESTION = "离婚冷静期多久"
ANSWER = "您好，建议先请村委会调解，并把界址照片和老宅基地证保存好。"
# Distinctive pieces of every message text in the run: none may appear at INFO or above.
TEXT_FRAGMENTS = ("冷静期", "宅基地边界", "一尺多地", "界址照片", "老宅基地证", "登录")


def rendered(record: logging.LogRecord) -> str:
    """The record as a handler would write it, traceback included."""
    text = record.getMessage()
    if record.exc_info:
        text += logging.Formatter().formatException(record.exc_info)
    return text


@pytest.fixture
def secret_settings(roster):
    roster.settings = roster.settings.with_overrides(
        wechat_secret=APP_SECRET,
        wecom_corp_id="ww7a6b5c4d3e2f1a0b",
        wecom_agent_id=1000002,
        wecom_secret=WECOM_SECRET,
        wecom_token="WeComToken2026",
        wecom_aes_key="Z7jL5nHvQ0a9cPp2rT4xYb8dKe1fGh3jMn6sUw0vXyA",
    )
    return roster


def test_a_whole_consultation_logs_no_secret_and_no_message_text(secret_settings, wechat, client, app, caplog):
    services = secret_settings
    caplog.set_level(logging.DEBUG, logger="bot")

    wechat.event(VILLAGER, "subscribe", "qrscene_370303001")
    assert "第一千零七十七条" in wechat.text(VILLAGER, FAQ_QUESTION).text
    wechat.text(VILLAGER, PERSONAL)
    wechat.post(wechat.xml(VILLAGER, "text", Content=PERSONAL + "，补充"), encrypted=False)  # plaintext mode too
    wechat.post(f"<xml><Content>{PERSONAL}</Content>", encrypted=False)  # malformed: logged as an error
    with services.sessions() as session:
        number = session.scalar(select(Consultation.id).where(Consultation.status == "waiting_adviser"))
    link = wechat.text(ADVISER_WANG, "登录").text
    code = re.search(r"/adviser/login/([A-Za-z0-9_-]+)", link).group(1)
    wechat.text(ADVISER_WANG, f"#{number} {ANSWER}")
    with services.sessions() as session:
        assert session.get(Consultation, number).answer == ANSWER
    deliver_due(services, LogGateway(services.settings.instance_dir / "outbox.log"))

    client.get(f"/adviser/login/{code}")
    assert client.post("/adviser/login", data={"code": code, "csrf_token": csrf(client)}).status_code == 303
    assert client.get(f"/adviser/consultations/{number}").status_code == 200
    make_user(services, "county_clerk")
    logged_in(app.test_client(), "county_clerk")
    api_token = token_for(services, "county_clerk")
    assert client.get("/api/stats", headers={"Authorization": f"Bearer {api_token}"}).status_code == 200

    secrets = (TOKEN, AES_KEY, APP_SECRET, WECOM_SECRET, services.settings.secret_key, code, PASSWORD, api_token)
    records = [r for r in caplog.records if r.name.startswith("bot")]
    assert any(r.name == "bot.delivery.log_gateway" for r in records)  # the run did log
    assert any(r.levelno >= logging.ERROR and r.name == "bot.web.wechat" for r in records)
    for record in caplog.records:
        text = rendered(record)
        leaked = [s for s in secrets if s in text]
        assert not leaked, f"{record.name} {record.levelname}: {text}"
        if record.name.startswith("bot") and record.levelno >= logging.INFO:
            shown = [t for t in TEXT_FRAGMENTS if t in text]
            assert not shown, f"{record.name} {record.levelname}: {text}"


def test_a_database_error_does_not_carry_the_message_text(services):
    """``hide_parameters``: the error text is logged and kept in inbound_messages.error."""
    row = {"channel": "official", "dedupe_key": "official:msg:1", "sender": "oX", "msg_type": "text"}
    with services.sessions.begin() as session:
        session.add(InboundMessage(**row, text=PERSONAL))
    with pytest.raises(IntegrityError) as caught, services.sessions.begin() as session:
        session.add(InboundMessage(**row, text=PERSONAL))
    assert "宅基地边界" not in str(caught.value)
    assert "oX" not in str(caught.value)


# ---- the filter for other libraries' log lines -----------------------------------------------------------
@pytest.fixture(autouse=True)
def no_filter_left_behind():
    """install() touches process-wide handlers (pytest's too): take the filters off again after each test."""
    yield
    for name in ("", "gunicorn.access", "gunicorn.error"):
        for handler in logging.getLogger(name).handlers:
            for f in [f for f in handler.filters if isinstance(f, RedactSecrets)]:
                handler.removeFilter(f)


def capture(logger_name: str) -> tuple[logging.Logger, io.StringIO, logging.Handler]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    return logger, stream, handler


def test_access_log_lines_lose_login_codes_and_tokens(settings):
    logger, stream, handler = capture("gunicorn.access")
    try:
        install(settings)
        code = "Zk3v_0Qm-9sT1u2VwXyZa4bC5dE6fG7h"
        logger.warning(
            '%s - - "GET /adviser/login/%s HTTP/1.1" 200 "https://x/login/code/%s" "ua"', "10.0.0.1", code, code
        )
        logger.warning("POST /cgi-bin/message/custom/send?access_token=ACCESS-123_abc&x=1 HTTP/1.1")
    finally:
        logger.removeHandler(handler)
    written = stream.getvalue()
    assert code not in written and "ACCESS-123_abc" not in written
    assert f"/adviser/login/{MASK}" in written and f"/login/code/{MASK}" in written
    assert f"access_token={MASK}&x=1" in written


def test_configured_secrets_are_masked_in_any_line(settings):
    settings = settings.with_overrides(
        wechat_secret=APP_SECRET, database_url="postgresql+psycopg://legalbot:pg-Passw0rd-42@db/legalbot"
    )
    assert {APP_SECRET, TOKEN, AES_KEY, "pg-Passw0rd-42"} <= set(configured_secrets(settings))
    redactor = RedactSecrets(configured_secrets(settings))
    line = f"token={TOKEN} key={AES_KEY} secret={APP_SECRET} url=postgresql+psycopg://legalbot:pg-Passw0rd-42@db"
    cleaned = redactor.redact(line)
    assert all(s not in cleaned for s in (TOKEN, AES_KEY, APP_SECRET, "pg-Passw0rd-42"))
    assert RedactSecrets(["abc"]).redact("abc is too short to be masked") == "abc is too short to be masked"


def test_install_is_idempotent(settings):
    logger, _stream, handler = capture("")
    try:
        install(settings)
        install(settings)
        assert sum(isinstance(f, RedactSecrets) for f in handler.filters) == 1
    finally:
        logger.removeHandler(handler)
