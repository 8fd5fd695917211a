"""Benchmark: storing a message (bot.intake: the insert, the flood check of bot.ratelimit and the URL claim
of bot.replay_cache, in one transaction) on a table that already holds a large backlog and a flooder.

Prints figures; asserts nothing. Run: `.venv/bin/python bench/webhook_guard.py [--rows 200000]`;
set LEGALBOT_BENCH_DATABASE_URL=postgresql+psycopg://…/legalbot_guard_bench to measure PostgreSQL: the schema
of that database is dropped first, so give it a database of its own.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import itertools
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FLOODER, NORMAL = "oBenchFlooder", "oBenchVillager"


def describe(name: str, samples: list[float]) -> str:
    samples = sorted(samples)
    p90 = samples[int(0.9 * (len(samples) - 1))]
    return f"{name:<46} median {statistics.median(samples):7.3f} ms   p90 {p90:7.3f} ms"


def timed(fn, count: int) -> list[float]:
    samples = []
    for i in range(count):
        t0 = time.perf_counter_ns()
        fn(i)
        samples.append((time.perf_counter_ns() - t0) / 1e6)
    return samples


def backlog(services, rows: int, flood: int) -> None:
    """``rows`` old messages from 5 000 senders, plus ``flood`` messages of the flooder in the last minute."""
    from sqlalchemy import insert

    from bot.ledger.tables import InboundMessage

    now = services.clock.now()
    old = now - dt.timedelta(days=30)
    batch = []
    with services.sessions.begin() as session:
        for i in range(rows + flood):
            flooding = i >= rows
            batch.append(
                {
                    "channel": "official",
                    "dedupe_key": f"bench:{i}",
                    "sender": FLOODER if flooding else f"oBenchSender{i % 5000}",
                    "msg_type": "text",
                    "text": "宅基地能继承吗",
                    "received_at": now if flooding else old + dt.timedelta(seconds=i),
                    "status": "limited" if flooding else "done",
                }
            )
            if len(batch) == 5000:
                session.execute(insert(InboundMessage), batch)
                batch.clear()
        if batch:
            session.execute(insert(InboundMessage), batch)


def main() -> None:
    from bot.channels.official import BodyClaim
    from bot.clock import SystemClock
    from bot.config import Settings
    from bot.intake import store
    from bot.messages import Incoming
    from bot.migrate import upgrade
    from bot.services import Services

    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000, help="backlog of inbound messages")
    parser.add_argument("--flood", type=int, default=20_000, help="the flooder's messages in the last minute")
    parser.add_argument("--count", type=int, default=2_000, help="timed calls per figure")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="legalbot-bench-")
    url = os.environ.get("LEGALBOT_BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
    if url.startswith("postgresql"):
        from sqlalchemy import create_engine, text

        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    upgrade(url)
    settings = Settings.from_env(
        {"LEGALBOT_INSTANCE_DIR": tmp, "LEGALBOT_DATABASE_URL": url, "LEGALBOT_SECRET_KEY": "bench"}
    )
    services = Services.build(settings, SystemClock())
    print(f"database: {url.split('@')[-1]}; backlog {args.rows} rows, flooder {args.flood} rows in the last minute")
    t0, flood_at = time.perf_counter(), dt.datetime.now(dt.UTC)
    backlog(services, args.rows, args.flood)
    print(f"backlog written in {time.perf_counter() - t0:.1f} s")

    ids = itertools.count()
    render = lambda reply: reply.text.encode() or b"success"  # noqa: E731

    def incoming(sender: str) -> Incoming:
        return Incoming("official", sender, "text", f"official:msg:{next(ids)}", text="离婚冷静期多久")

    expires = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)

    def storing(sender_of, claimed: bool = False):
        """intake.store: one transaction with the insert, the flood check and (plaintext mode) the claim."""

        def run(i: int) -> None:
            claim = None
            if claimed:
                sig = hashlib.sha1(f"bench{i}".encode()).hexdigest()
                claim = BodyClaim(sig, expires, hashlib.sha256(str(i).encode()).hexdigest())
            store(services, incoming(sender_of(i)), render, claim)

        return run

    print(describe("store, sender under the limit", timed(storing(lambda i: f"{NORMAL}{i}"), args.count)))
    print(describe("store, sender with 19 in the minute", timed(storing(lambda i: f"{NORMAL}x{i // 19}"), args.count)))
    print(describe("store, flooder (marked limited)", timed(storing(lambda i: FLOODER), args.count)))
    print(
        describe(
            "store with the URL claim (plaintext mode)", timed(storing(lambda i: f"{NORMAL}c{i}", True), args.count)
        )
    )
    # The flooder's minute as it was right after the backlog was written: every one of its rows counts.
    since = (flood_at - dt.timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S")
    with services.sessions() as session:
        plan = session.connection().exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT count(*) FROM (SELECT id FROM inbound_messages "
            f"WHERE sender = '{FLOODER}' AND received_at > '{since}' AND id <= 10000000 "
            "ORDER BY received_at DESC LIMIT 21)"
            if url.startswith("sqlite")
            else "EXPLAIN SELECT count(*) FROM (SELECT id FROM inbound_messages "
            f"WHERE sender = '{FLOODER}' AND received_at > '{since}+00' AND id <= 10000000 "
            "ORDER BY received_at DESC LIMIT 21) s"
        )
        print("plan of the count for the flooder:", " | ".join(str(row[-1]) for row in plan))
    services.dispose()


if __name__ == "__main__":
    main()
