"""Exactly once across processes: two ``legalbot serve`` servers behind one database get the same WeChat
callback at the same moment; two ``legalbot worker`` processes deliver one outbox. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from bot.ledger import repo
from bot.ledger.tables import InboundMessage
from tests.helpers import ADVISER_WANG, PERSONAL_CASE, consultations, outbox
from tests.live import BIN, Callbacks, process_env, request, serve, spawn, wait_for_line, wait_ready

VILLAGE = "370303001"  # 河东村, adviser 王明


@pytest.fixture
def two_servers(settings, model_dir, roster, tmp_path):
    env = process_env(settings, model_dir)
    servers = [serve("web-a", env, tmp_path), serve("web-b", env, tmp_path)]
    try:
        wait_ready(*servers)
        yield servers
    finally:
        for server in servers:
            server.stop()


def fire_at_once(targets: list[int], path: str, body: bytes) -> list[tuple[int, bytes]]:
    """The same request to each port, released together from one barrier."""
    barrier, results = threading.Barrier(len(targets)), [None] * len(targets)

    def send(k: int, port: int) -> None:
        barrier.wait()
        results[k] = request(port, "POST", path, body)

    threads = [threading.Thread(target=send, args=(k, port)) for k, port in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_a_callback_reaching_two_servers_at_once_is_one_record_one_reply_one_notice(two_servers, roster, settings):
    wechat, (a, b) = Callbacks(settings), two_servers
    rounds = 3
    for i in range(rounds):
        villager = f"oTwoServersVillager{i:04d}"
        assert request(a.port, "POST", *wechat.subscribe(villager, VILLAGE))[0] == 200
        path, body = wechat.text(villager, PERSONAL_CASE, msg_id=7_700_000_000_000_000_000 + i)
        answers = fire_at_once([a.port, b.port, a.port, b.port], path, body)
        assert [status for status, _ in answers] == [200] * 4
        assert len({reply for _, reply in answers}) == 1  # byte-identical, whoever processed it
        assert "王明律师" in wechat.open(answers[0][1])
    assert len(consultations(roster)) == rounds
    assert len([m for m in outbox(roster, ADVISER_WANG) if m.purpose == "adviser_notice"]) == rounds
    with roster.sessions() as session:
        stored = session.scalar(select(func.count()).where(InboundMessage.msg_type == "text"))
        assert stored == rounds


def test_two_workers_send_every_outbox_message_exactly_once(settings, model_dir, services, tmp_path):
    workers = []
    for name in ("worker-a", "worker-b"):
        env = process_env(
            settings, model_dir, LEGALBOT_INSTANCE_DIR=str(tmp_path / name), LEGALBOT_OUTBOX_INTERVAL_MS="50"
        )
        workers.append(spawn(name, [str(BIN / "legalbot"), "worker"], env, tmp_path))
    try:
        for worker in workers:
            wait_for_line(worker, "worker started")
        now, count = dt.datetime.now(dt.UTC), 200
        with services.sessions.begin() as session:  # one batch, due at once for both workers
            for i in range(count):
                repo.open_window(session, f"oOutboxRecipient{i:06d}", now)
                repo.enqueue(session, f"oOutboxRecipient{i:06d}", f"第{i}条通知", now)
        deadline = time.monotonic() + 120
        while any(m.status != "sent" for m in outbox(services)):
            assert time.monotonic() < deadline, [w.output() for w in workers]
            time.sleep(0.2)
    finally:
        for worker in workers:
            worker.stop()
    delivered = {w.name: (tmp_path / w.name / "outbox.log").read_text(encoding="utf-8").splitlines() for w in workers}
    texts = Counter(json.loads(line)["text"] for lines in delivered.values() for line in lines)
    assert texts == Counter({f"第{i}条通知": 1 for i in range(count)})
    assert all(delivered.values()), {name: len(lines) for name, lines in delivered.items()}  # both took part
    assert {m.attempts for m in outbox(services)} == {1}
