"""The worker's retry of messages whose processing failed in the webhook (bot.jobs.inbound)."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from bot import intake, pipeline, texts
from bot.jobs.inbound import MAX_ATTEMPTS, retry_unfinished
from bot.ledger.tables import Consultation, InboundMessage, ServiceWindow
from bot.messages import Incoming
from tests.helpers import PERSONAL_CASE, consultations, outbox

VILLAGER = "oVillagerRetry00000001"


@pytest.fixture
def breakable(monkeypatch):
    """Makes processing fail (after the handlers ran) while the list holds a flag."""
    working, failing = pipeline.dispatch, []

    def broken(incoming, ctx):
        reply = working(incoming, ctx)
        if failing:
            raise RuntimeError("disk on fire")
        return reply

    monkeypatch.setattr(pipeline, "dispatch", broken)
    return failing


def inbound(services, text: str) -> InboundMessage:
    with services.sessions() as session:
        return session.scalar(select(InboundMessage).where(InboundMessage.text == text))


def test_a_failed_message_is_answered_by_the_worker_once_wechat_has_stopped_retrying(
    wechat, roster, services, clock, breakable
):
    wechat.event(VILLAGER, "subscribe", "qrscene_370303001")
    asked_at = clock.now()
    breakable.append(True)
    apology = wechat.text(VILLAGER, PERSONAL_CASE)
    assert apology.text == texts.SORRY
    breakable.clear()  # the fault is gone

    clock.advance(seconds=10)  # WeChat could still retry: the worker leaves it alone
    assert retry_unfinished(services) == 0
    assert inbound(services, PERSONAL_CASE).attempts == 0

    clock.advance(seconds=30)
    assert retry_unfinished(services) == 1
    row = inbound(services, PERSONAL_CASE)
    assert (row.status, row.attempts, row.error) == ("done", 1, None)
    assert row.response_body == apology.body  # a late retry of the callback gets what was sent
    [case] = consultations(services)
    assert case.question == PERSONAL_CASE
    [late] = [m for m in outbox(services, VILLAGER) if m.purpose == "answer"]
    assert late.text.startswith(texts.LATE_REPLY) and f"#{case.id}" in late.text
    with services.sessions() as session:
        assert session.get(ServiceWindow, VILLAGER).opened_at == asked_at  # when the villager wrote
    assert retry_unfinished(services) == 0  # done: never twice
    assert len(consultations(services)) == 1


def test_a_message_that_keeps_failing_is_tried_three_times_then_left_for_a_person(
    wechat, roster, services, clock, breakable, caplog
):
    wechat.event(VILLAGER, "subscribe", "qrscene_370303001")
    breakable.append(True)
    wechat.text(VILLAGER, PERSONAL_CASE)
    for _ in range(MAX_ATTEMPTS + 2):
        clock.advance(minutes=1)
        with caplog.at_level(logging.ERROR, logger="bot.jobs.inbound"):
            assert retry_unfinished(services) == 0
    row = inbound(services, PERSONAL_CASE)
    assert (row.status, row.attempts) == ("failed", MAX_ATTEMPTS)
    assert row.error == "RuntimeError: disk on fire"
    assert consultations(services) == [] and outbox(services, VILLAGER) == []
    assert any(f"failed {MAX_ATTEMPTS} times" in r.getMessage() for r in caplog.records)


def test_group_capable_channels_are_not_retried_but_kept(services, roster, clock, caplog):
    """A bridge row does not say whether it came from a group: handled as private it could open a case."""
    incoming = Incoming(
        channel="bridge", sender="bridge:k1:wxid_1", msg_type="text", dedupe_key="bridge:k1:m1", text=PERSONAL_CASE
    )
    assert intake.keep_failed(services, incoming, None, b"{}", "RuntimeError: x")
    clock.advance(minutes=1)
    with caplog.at_level(logging.ERROR, logger="bot.jobs.inbound"):
        assert retry_unfinished(services) == 0
        assert retry_unfinished(services) == 0
    row = inbound(services, PERSONAL_CASE)
    assert (row.status, row.attempts) == ("failed", MAX_ATTEMPTS)
    with services.sessions() as session:
        assert session.scalar(select(Consultation)) is None
    assert sum("not retried on this channel" in r.getMessage() for r in caplog.records) == 1


def test_an_operator_lists_unfinished_messages_and_retries_one(wechat, roster, services, clock, breakable, monkeypatch):
    """After the worker gave up, `legalbot inbound unfinished` shows the message, `retry` answers it."""
    from click.testing import CliRunner

    from bot.cli import cli

    monkeypatch.setattr("bot.cli.command_services", lambda: services)
    monkeypatch.setattr("bot.cli.inbound.command_services", lambda: services)
    wechat.event(VILLAGER, "subscribe", "qrscene_370303001")
    breakable.append(True)
    wechat.text(VILLAGER, "电话13912345678 " + PERSONAL_CASE)
    for _ in range(MAX_ATTEMPTS):
        clock.advance(minutes=1)
        retry_unfinished(services)
    listed = CliRunner().invoke(cli, ["inbound", "unfinished"])
    assert listed.exit_code == 0
    assert "[failed, 已试 3 次]" in listed.output and "RuntimeError: disk on fire" in listed.output
    assert "13912345678" not in listed.output and "139****5678" in listed.output
    row_id = inbound(services, "电话13912345678 " + PERSONAL_CASE).id

    still_broken = CliRunner().invoke(cli, ["inbound", "retry", str(row_id)])
    assert still_broken.exit_code == 1 and "又失败了" in still_broken.output
    breakable.clear()
    fixed = CliRunner().invoke(cli, ["inbound", "retry", str(row_id)])
    assert fixed.exit_code == 0, fixed.output
    assert len(consultations(services)) == 1
    assert [m.purpose for m in outbox(services, VILLAGER)] == ["answer"]
    again = CliRunner().invoke(cli, ["inbound", "retry", str(row_id)])
    assert again.exit_code == 1 and "不需要重试" in again.output
    assert CliRunner().invoke(cli, ["inbound", "unfinished"]).output.strip() == "没有未处理的消息。"
