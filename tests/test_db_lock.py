"""SQLite's write lock is handed over through an flock: waiting transactions go in as soon as one ends."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(bool(PG_URL), reason="the file lock is SQLite's; PostgreSQL locks rows")


def test_a_second_transaction_waits_for_the_first_and_starts_when_it_commits(services):
    first_in, order = threading.Event(), []

    def first() -> None:
        with services.engine.begin() as conn:
            conn.execute(text("SELECT 1"))
            first_in.set()
            time.sleep(0.3)
            order.append("first commits")

    def second() -> None:
        first_in.wait(5)
        with services.engine.begin() as conn:
            order.append("second starts")
            conn.execute(text("SELECT 1"))

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert order == ["first commits", "second starts"]
    assert time.monotonic() - started < 2  # handed over, not polled for


def test_a_nested_transaction_in_one_thread_fails_at_once_instead_of_waiting_forever(services):
    with services.engine.begin() as outer:
        outer.execute(text("SELECT 1"))
        started = time.monotonic()
        with pytest.raises(RuntimeError, match="same thread"), services.engine.begin() as inner:
            inner.execute(text("SELECT 1"))
        assert time.monotonic() - started < 1
    with services.engine.begin() as conn:  # the lock was released: the next transaction goes in
        assert conn.execute(text("SELECT 1")).scalar() == 1
