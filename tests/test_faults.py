"""Faults: the database going away (before and in the middle of a callback), a worker killed while WeChat has
its request, and WeChat's error answers, each handled the way the shared notes (§2) say."""

from __future__ import annotations

import contextlib
import datetime as dt
import signal
import socket
import sys
import threading
import time

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bot import pipeline
from bot.app import create_app
from bot.delivery import wechat_gateway
from bot.delivery.wechat_gateway import WeChatGateway
from bot.jobs.outbox import WINDOW_QUOTA, deliver_due
from bot.ledger import repo
from bot.ledger.tables import InboundMessage, ServiceWindow
from bot.services import Services
from tests.conftest import PG_URL
from tests.fake_wechat import FakeWeChat, Step
from tests.helpers import ADVISER_WANG, PERSONAL_CASE, consultations, outbox
from tests.live import Callbacks, process_env, spawn, wait_for_line

V = "oVillagerFaults00000001"


# ---- the database goes away ---------------------------------------------------------------------------
class DatabaseLink:
    """A TCP forwarder between the app and PostgreSQL that can be cut: connections drop, new ones are closed."""

    def __init__(self, host: str, port: int):
        self.target, self.up, self.open = (host, port), True, set()
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                if not self.up:
                    raise ConnectionRefusedError
                server = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.open |= {client, server}
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            self._drop(source, sink)

    def _drop(self, *sockets: socket.socket) -> None:
        for s in sockets:
            with contextlib.suppress(OSError):  # already closed by the other side
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def cut(self) -> None:
        self.up = False
        with self.lock:
            self._drop(*self.open)
            self.open.clear()

    def restore(self) -> None:
        self.up = True

    def close(self) -> None:
        self.cut()
        self.listener.close()


@pytest.fixture
def linked(settings, clock, answerer, roster):
    """An app whose only way to PostgreSQL is a link the test can cut."""
    if not PG_URL:
        pytest.skip("needs PostgreSQL (LEGALBOT_TEST_DATABASE_URL): an embedded SQLite file has no connection to lose")
    url = make_url(settings.database_url)
    link = DatabaseLink(url.host or "127.0.0.1", url.port or 5432)
    proxied = url.set(host="127.0.0.1", port=link.port).render_as_string(hide_password=False)
    services = Services.build(settings.with_overrides(database_url=proxied), clock)
    services._answerer = answerer
    try:
        yield link, create_app(services=services, warm=False).test_client(), Callbacks(settings, clock)
    finally:
        services.dispose()
        link.close()


def post(client, request: tuple[str, bytes]) -> tuple[int, bytes, float]:
    started = time.monotonic()
    response = client.post(request[0], data=request[1], content_type="text/xml")
    return response.status_code, response.get_data(), time.monotonic() - started


def stored_texts(services) -> list[InboundMessage]:
    with services.sessions() as session:
        return list(session.scalars(select(InboundMessage).where(InboundMessage.msg_type == "text")))


def test_database_down_answers_503_at_once_and_the_same_callback_succeeds_once_it_is_back(linked, roster):
    link, client, wechat = linked
    assert post(client, wechat.subscribe(V, "370303001"))[0] == 200
    question = wechat.text(V, PERSONAL_CASE, msg_id=7_800_000_000_000_000_001)
    link.cut()
    status, _, seconds = post(client, question)
    assert status == 503 and seconds < 3  # WeChat waits 5 s, then retries
    assert stored_texts(roster) == []
    link.restore()
    status, body, _ = post(client, question)  # WeChat's retry: the very same callback
    assert status == 200 and "王明律师" in wechat.open(body)
    assert len(consultations(roster)) == 1 and len(stored_texts(roster)) == 1


def test_database_lost_in_the_middle_of_a_callback_loses_nothing(linked, roster, monkeypatch):
    link, client, wechat = linked
    assert post(client, wechat.subscribe(V, "370303001"))[0] == 200
    question = wechat.text(V, PERSONAL_CASE, msg_id=7_800_000_000_000_000_002)
    build_context = pipeline.build_context

    def connection_lost_after_storing(*args, **kwargs):
        link.cut()  # the message is inserted; its transaction loses the connection before the handlers run
        return build_context(*args, **kwargs)

    monkeypatch.setattr(pipeline, "build_context", connection_lost_after_storing)
    status, _, seconds = post(client, question)
    assert status == 503 and seconds < 3  # could not even be stored as failed: WeChat keeps it and retries
    monkeypatch.setattr(pipeline, "build_context", build_context)
    assert stored_texts(roster) == [] and consultations(roster) == []  # rolled back as one: no half record
    link.restore()
    status, body, _ = post(client, question)
    assert status == 200 and "王明律师" in wechat.open(body)
    [done] = stored_texts(roster)
    assert done.status == "done" and len(consultations(roster)) == 1
    assert len([m for m in outbox(roster, ADVISER_WANG) if m.purpose == "adviser_notice"]) == 1


# ---- a worker killed while WeChat has its request -------------------------------------------------------
def test_a_worker_killed_mid_send_leaves_the_message_to_the_restarted_worker_which_sends_it_once(
    settings, model_dir, services, tmp_path
):
    now = dt.datetime.now(dt.UTC)
    with services.sessions.begin() as session:
        repo.open_window(session, V, now)
        repo.enqueue(session, V, "王律师的答复", now)
    with FakeWeChat() as fake:
        fake.sends = [Step(block=True)]  # the first send hangs in WeChat's hands
        env = process_env(settings, model_dir, LEGALBOT_WECHAT_SECRET="s3cret", TEST_WECHAT_API=fake.base_url)
        env["LEGALBOT_OUTBOX_INTERVAL_MS"] = "100"
        first = spawn("worker-1", [sys.executable, "-m", "tests.outbox_worker"], env, tmp_path)
        try:
            assert fake.in_flight.wait(120), first.output()
            first.stop(signal.SIGKILL)
        finally:
            first.stop()
        assert [m.status for m in outbox(services)] == ["sending"]  # claimed by the dead worker
        fake.released.set()
        # Restarted a minute later (its clock 61 s ahead): the dead worker's 60-second claim has expired.
        env["TEST_CLOCK_OFFSET"] = "61"
        second = spawn("worker-2", [sys.executable, "-m", "tests.outbox_worker"], env, tmp_path)
        try:
            wait_for_line(second, "worker started")
            deadline = time.monotonic() + 60
            while outbox(services)[0].status != "sent":
                assert time.monotonic() < deadline, second.output()
                time.sleep(0.1)
        finally:
            second.stop()
        [delivered] = fake.delivered()
    assert delivered.body["touser"] == V and delivered.body["text"]["content"] == "王律师的答复"
    assert outbox(services)[0].attempts == 2


# ---- WeChat's error answers through the outbox --------------------------------------------------------------
@pytest.fixture
def fake():
    with FakeWeChat() as server:
        yield server


@pytest.fixture
def gateway(fake, monkeypatch) -> WeChatGateway:
    monkeypatch.setattr(wechat_gateway, "BUSY_RETRY_AFTER", 0.05)
    return WeChatGateway("wx5f2a6c0d9b8e7a11", "s3cret", base_url=fake.base_url)


def queue_one(services, text: str = "答复") -> None:
    with services.sessions.begin() as session:
        repo.open_window(session, V, services.clock.now())
        repo.enqueue(session, V, text, services.clock.now())


def test_system_busy_once_is_sent_in_the_same_attempt(services, fake, gateway):
    queue_one(services)
    fake.sends = [Step(errcode=-1)]
    assert deliver_due(services, gateway) == 1
    [msg] = outbox(services)
    assert msg.status == "sent" and msg.attempts == 1 and len(fake.delivered()) == 1


def test_system_busy_twice_goes_back_to_the_outbox_with_backoff(services, clock, fake, gateway):
    queue_one(services)
    fake.sends = [Step(errcode=-1), Step(errcode=-1)]
    assert deliver_due(services, gateway) == 0
    [msg] = outbox(services)
    assert msg.status == "pending" and msg.next_attempt_at == clock.now() + dt.timedelta(seconds=5)
    clock.advance(seconds=5)
    assert deliver_due(services, gateway) == 1 and outbox(services)[0].attempts == 2


def test_an_expired_token_is_refreshed_and_the_message_sent(services, fake, gateway):
    queue_one(services)
    fake.sends = [Step(errcode=40001)]
    assert deliver_due(services, gateway) == 1
    assert [t.body["force_refresh"] for t in fake.token_requests()] == [False, True]


def test_outside_the_window_and_over_the_quota_the_message_is_held(services, fake, gateway):
    queue_one(services, "第一条")
    fake.sends = [Step(errcode=45015)]
    deliver_due(services, gateway)
    queue_one(services, "第二条")  # the villager wrote again: a new window
    fake.sends = [Step(errcode=45047)]
    deliver_due(services, gateway)
    assert [m.status for m in outbox(services)] == ["held", "held"]
    with services.sessions() as session:
        assert session.get(ServiceWindow, V).sent == WINDOW_QUOTA  # WeChat says the quota is used up
    assert fake.delivered() == []


def test_a_timeout_is_retried_with_backoff(services, clock, fake, monkeypatch):
    monkeypatch.setattr(wechat_gateway, "TIMEOUT", (1.0, 0.3))
    gateway = WeChatGateway("wx5f2a6c0d9b8e7a11", "s3cret", base_url=fake.base_url)
    queue_one(services)
    fake.sends = [Step(delay=1.5)]
    assert deliver_due(services, gateway) == 0
    [msg] = outbox(services)
    assert msg.status == "pending" and "Timeout" in msg.last_error
    assert msg.next_attempt_at == clock.now() + dt.timedelta(seconds=5)
    clock.advance(seconds=5)
    assert deliver_due(services, gateway) == 1
    assert [c.outcome for c in fake.calls if c.path.endswith("/send")] == ["late", "0"]
