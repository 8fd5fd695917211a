"""Flood control per sender: over the limit a message is stored but not processed, the sender is told once,
everyone else is unaffected, and the count is shared by every process through the database."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from bot import intake, pipeline
from bot.app import create_app
from bot.config import ConfigError, Settings
from bot.ledger.tables import Consultation, InboundMessage
from bot.messages import Incoming
from bot.ratelimit import LIMITED, SLOW_DOWN
from bot.services import Services
from tests.conftest import AES_KEY, APPID, TOKEN
from tests.test_console_support import PERSONAL
from tests.wechat_client import WeChatTestClient

FLOODER, OTHER = "oFloodingVillager00001", "oPatientVillager000001"
LIMIT = 5


@pytest.fixture
def limited(roster):
    roster.settings = roster.settings.with_overrides(rate_limit_per_minute=LIMIT)
    return roster


def rows(services, sender: str) -> list[InboundMessage]:
    with services.sessions() as session:
        return list(session.scalars(select(InboundMessage).where(InboundMessage.sender == sender).order_by("id")))


def consultation_count(services) -> int:
    with services.sessions() as session:
        return session.scalar(select(func.count()).select_from(Consultation))


def test_flood_is_stored_not_processed_and_told_once(wechat, limited):
    wechat.event(FLOODER, "subscribe", "qrscene_370303001")  # counts as one of the five
    answers = [wechat.text(FLOODER, f"{PERSONAL}（第{i}次）") for i in range(LIMIT + 3)]
    processed, told, quiet = answers[: LIMIT - 1], answers[LIMIT - 1], answers[LIMIT:]
    assert all(a.text and SLOW_DOWN not in a.text for a in processed)
    assert told.text == SLOW_DOWN
    assert all((a.status, a.body) == (200, b"success") for a in quiet)
    stored = rows(limited, FLOODER)
    assert len(stored) == LIMIT + 4  # nothing lost
    assert [r.status for r in stored] == ["done"] * LIMIT + [LIMITED] * 4
    assert all(r.text.startswith(PERSONAL) for r in stored[LIMIT:])
    assert consultation_count(limited) == 1  # only processed messages reached the ledger (follow-ups join it)


def test_a_flood_does_not_starve_other_senders(wechat, limited):
    wechat.event(FLOODER, "subscribe", "qrscene_370303001")
    for i in range(LIMIT * 3):
        wechat.text(FLOODER, f"你好{i}")
    wechat.event(OTHER, "subscribe", "qrscene_370303002")
    answer = wechat.text(OTHER, "离婚冷静期多久")
    assert "第一千零七十七条" in answer.text
    assert {r.status for r in rows(limited, OTHER)} == {"done"}


def test_the_limit_is_per_minute(wechat, limited, clock):
    wechat.event(FLOODER, "subscribe", "qrscene_370303001")
    for i in range(LIMIT):
        wechat.text(FLOODER, f"你好{i}")
    assert rows(limited, FLOODER)[-1].status == LIMITED
    clock.at = clock.now() + dt.timedelta(seconds=61)
    answer = wechat.text(FLOODER, "离婚冷静期多久")
    assert answer.text and answer.text != SLOW_DOWN
    assert rows(limited, FLOODER)[-1].status == "done"


def test_slow_down_is_sent_again_only_after_a_quiet_minute(wechat, limited, clock):
    for i in range(LIMIT + 2):
        wechat.text(FLOODER, f"你好{i}")
    clock.at = clock.now() + dt.timedelta(seconds=30)
    assert wechat.text(FLOODER, "还在吗").body == b"success"  # still flooding: the limited rows count too
    clock.at = clock.now() + dt.timedelta(seconds=61)
    for i in range(LIMIT):
        wechat.text(FLOODER, f"又来了{i}")
    assert wechat.text(FLOODER, "最后一条").text == SLOW_DOWN


def test_a_retry_of_a_limited_message_gets_the_same_bytes_without_waiting(wechat, limited, monkeypatch):
    for i in range(LIMIT):
        wechat.text(FLOODER, f"你好{i}")
    xml = wechat.xml(FLOODER, "text", Content="第六条", MsgId=777000111)
    first = wechat.post(xml)
    waits: list[float] = []
    monkeypatch.setattr(pipeline.time, "sleep", waits.append)
    again = wechat.post(xml)
    assert first.body == again.body and first.text == SLOW_DOWN
    assert waits == []  # a limited message is finished, not "still processing"


def test_the_count_is_shared_by_processes(limited, client, clock):
    """Two app instances with their own engines (as two gunicorn workers) share one limit."""
    second = Services.build(limited.settings, clock)
    second._answerer = limited.answerer
    try:
        other_worker = create_app(services=second, warm=False).test_client()
        first = WeChatTestClient(client, clock, TOKEN, APPID, AES_KEY)
        other = WeChatTestClient(other_worker, clock, TOKEN, APPID, AES_KEY)
        for i in range(LIMIT):
            (first if i % 2 else other).text(FLOODER, f"你好{i}")
        assert first.text(FLOODER, "第六条").text == SLOW_DOWN
    finally:
        second.dispose()


def test_no_slow_down_notice_in_a_group_chat(limited):
    """In a group the notice would read as a rebuke in front of the village: the flood is only stored."""
    sender = "bridge:k1:wxid_flood"
    answers = []
    for i in range(LIMIT + 2):
        incoming = Incoming("bridge", sender, "text", f"bridge:k1:{i}", text=f"大家好{i}", chat_type="group")
        answers.append(intake.store(limited, incoming, lambda r: r.text.encode()).answer)
    assert answers[:LIMIT] == [None] * LIMIT
    assert answers[LIMIT:] == [b"", b""]
    assert [r.status for r in rows(limited, sender)][LIMIT:] == [LIMITED, LIMITED]


def test_wecom_flood_is_limited_too(limited):
    """The count is per sender whatever the channel; the quiet answer is the channel's own empty reply."""
    told = []
    for i in range(LIMIT + 2):
        incoming = Incoming("wecom", "WangMing", "text", f"wecom:msg:{i}", text="待办")
        told.append(intake.store(limited, incoming, lambda r: r.text.encode() if r.text else b"").answer)
    assert told[LIMIT:] == [SLOW_DOWN.encode(), b""]


def test_default_and_validation_of_the_setting(tmp_path):
    env = {"LEGALBOT_INSTANCE_DIR": str(tmp_path), "LEGALBOT_SECRET_KEY": "k"}
    assert Settings.from_env(env).rate_limit_per_minute == 20
    assert Settings.from_env({**env, "LEGALBOT_RATE_LIMIT_PER_MINUTE": "60"}).rate_limit_per_minute == 60
    for bad in ("0", "-3", "twenty", "2.5"):
        with pytest.raises(ConfigError, match="LEGALBOT_RATE_LIMIT_PER_MINUTE"):
            Settings.from_env({**env, "LEGALBOT_RATE_LIMIT_PER_MINUTE": bad})
