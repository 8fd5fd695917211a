"""Traffic for bench/load.py: signed, AES-encrypted WeChat callbacks, and the in-process stage breakdown.

The questions come from our own evaluation files, sorted by what the real answerer does with them: FAQ
hits (answered from the FAQ) and personal questions (forwarded to the adviser). Requests are signed and
encrypted with WeRoBot's crypto (independent of the app's), built before the clock starts.
"""

from __future__ import annotations

import itertools
import os
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config import PROJECT_ROOT
from bot.knowledge.examples import load_jsonl
from bot.knowledge.faq import load_faq
from tests.wechat_client import ACCOUNT, cdata, signature, tag

TOKEN = "benchtoken2026"
APPID = "wx5f2a6c0d9b8e7a11"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aQ"
VILLAGE = "370303001"  # 河东村 of the demo roster


def say(text: str) -> None:
    """Progress on stderr (the figures go to stdout)."""
    print(text, file=sys.stderr, flush=True)


@dataclass
class Message:
    """One callback as WeChat sends it: the query string and the encrypted body (a retry reuses both)."""

    kind: str  # faq | personal | event | retry
    query: str
    body: bytes
    uid: int = -1  # a retry has the uid of the message it repeats


@dataclass
class Plan:
    setup: list[Message]  # subscribe-by-QR events that bind every bench user to the village
    timed: list[Message]
    counts: dict[str, int] = field(default_factory=dict)


def choose_questions(answerer) -> tuple[list[str], list[str]]:
    """Questions the answerer answers from the FAQ, and personal ones it forwards (its own decisions)."""
    faq_dir = PROJECT_ROOT / "knowledge" / "faq"
    candidates = [e.question for e in load_faq(faq_dir)] + [
        r["text"] for r in load_jsonl(PROJECT_ROOT / "knowledge" / "eval" / "faq_heldout.jsonl")
    ]
    faq = [t for t in candidates if answerer.decide(t).action == "answer"]
    stories = [r["text"] for r in load_jsonl(PROJECT_ROOT / "knowledge" / "eval" / "heldout.jsonl")]
    personal = [t for t in stories if answerer.decide(t).action == "forward"]
    return faq, personal


class Signer:
    """Builds callbacks like WeChat's servers: signed URL, AES-encrypted body with its msg_signature."""

    def __init__(self):
        from werobot.crypto import MessageCrypt

        self.crypt = MessageCrypt(TOKEN, AES_KEY, APPID)
        self.ids = iter(range(7_100_000_000_000_000_001, 8_000_000_000_000_000_000))
        self.nonces = itertools.count(random.randrange(10**8, 9 * 10**8))

    def message(self, kind: str, sender: str, now: int, **fields: object) -> Message:
        parts = [
            f"<ToUserName>{cdata(ACCOUNT)}</ToUserName><FromUserName>{cdata(sender)}</FromUserName>",
            f"<CreateTime>{now}</CreateTime>",
        ]
        parts += [f"<{k}>{v if isinstance(v, int) else cdata(str(v))}</{k}>" for k, v in fields.items()]
        xml = "<xml>" + "".join(parts) + "</xml>"
        # Every callback of a run shares one timestamp: a nonce used twice would (rightly) be refused as a replay.
        ts, nonce = str(now), str(next(self.nonces))
        wrapped = self.crypt.encrypt_message(xml, ts, nonce)
        blob = cdata(tag(wrapped, "Encrypt"))
        body = f"<xml><ToUserName>{cdata(ACCOUNT)}</ToUserName><Encrypt>{blob}</Encrypt></xml>"
        query = urlencode(
            {
                "signature": signature(TOKEN, ts, nonce),
                "timestamp": ts,
                "nonce": nonce,
                "openid": sender,
                "encrypt_type": "aes",
                "msg_signature": tag(wrapped, "MsgSignature"),
            }
        )
        return Message(kind, query, body.encode())

    def text(self, kind: str, sender: str, text: str, now: int) -> Message:
        return self.message(kind, sender, now, MsgType="text", Content=text, MsgId=next(self.ids))


def build_plan(faq: list[str], personal: list[str], n: int, retry_share: float, faq_share: float, seed: int) -> Plan:
    """n timed callbacks from n·(1−retry_share) users, one question each; retries repeat earlier ones."""
    rng = random.Random(seed)
    signer, now = Signer(), int(time.time())
    unique = round(n * (1 - retry_share))
    users = [f"oBench{seed:02d}{i:07d}" for i in range(unique)]
    setup = [
        signer.message("event", u, now, MsgType="event", Event="subscribe", EventKey=f"qrscene_{VILLAGE}")
        for u in users
    ]
    originals = []
    for uid, user in enumerate(users):
        kind = "faq" if rng.random() < faq_share else "personal"
        msg = signer.text(kind, user, rng.choice(faq if kind == "faq" else personal), now)
        msg.uid = uid
        originals.append(msg)
    timed = list(originals)
    for _ in range(n - unique):
        # WeChat retries a callback it got no answer to within 5 s: the same URL and body, a little later.
        original = rng.choice(originals)
        at = next(i for i, m in enumerate(timed) if m is original) + rng.randint(1, 64)
        timed.insert(min(at, len(timed)), Message("retry", original.query, original.body, original.uid))
    counts = {k: sum(m.kind == k for m in timed) for k in ("faq", "personal", "retry")}
    return Plan(setup, timed, counts)


def verify_storage(database_url: str, answered: int) -> dict[str, int]:
    """After the run: every question answered was stored once, finished (done), recorded and classified."""
    from sqlalchemy import create_engine

    from bot.ledger.tables import Consultation, InboundMessage, OutboxMessage

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            scalar = conn.scalar
            return {
                "questions answered (200)": answered,
                "stored and done": scalar(
                    select(func.count()).where(InboundMessage.msg_type == "text", InboundMessage.status == "done")
                ),
                "stored, any state": scalar(select(func.count()).where(InboundMessage.msg_type == "text")),
                "consultations": scalar(select(func.count()).select_from(Consultation)),
                "classified (category set)": scalar(
                    select(func.count()).select_from(Consultation).where(Consultation.category.is_not(None))
                ),
                "adviser notices queued": scalar(
                    select(func.count()).select_from(OutboxMessage).where(OutboxMessage.purpose == "adviser_notice")
                ),
            }
    finally:
        engine.dispose()


def fresh_database(kind: str, workdir: Path) -> str:
    """An empty, migrated database with the demo roster: a new SQLite file, or the bench PostgreSQL emptied."""
    from sqlalchemy import create_engine, text

    from bot.migrate import upgrade
    from bot.roster import import_roster

    if kind == "sqlite":
        url = f"sqlite:///{workdir / f'bench-{time.monotonic_ns()}.db'}"
    else:
        url = os.environ["LEGALBOT_BENCH_PG_URL"]
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    upgrade(url)
    engine = create_engine(url)
    try:
        with Session(engine) as session, session.begin():
            import_roster(session, PROJECT_ROOT / "bot" / "demo" / "roster.csv")
    finally:
        engine.dispose()
    return url


def server_env(url: str, workdir: Path, model_dir: Path) -> dict[str, str]:
    """The environment of a web process of the bench (and of the in-process stage run)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEGALBOT_")}
    env.update(
        LEGALBOT_DATABASE_URL=url,
        LEGALBOT_INSTANCE_DIR=str(workdir / "instance"),
        LEGALBOT_SECRET_KEY="bench-secret",
        LEGALBOT_MODEL_DIR=str(model_dir),
        LEGALBOT_WECHAT_TOKEN=TOKEN,
        LEGALBOT_WECHAT_APPID=APPID,
        LEGALBOT_WECHAT_AES_KEY=AES_KEY,
        LEGALBOT_DELIVERY="log",
        LEGALBOT_LOG_LEVEL="WARNING",
    )
    return env
