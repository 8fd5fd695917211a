"""Per-message CPU by stage, measured in-process for bench/load.py (thread CPU time, not wall time).

The same callbacks go through the real Flask app (its test client, no sockets) with timers around the
stages: parse+decrypt (channel), classify (sensitive lexicon, the one text analysis, category model),
retrieve (FAQ classifier and wording similarity), render+encrypt (the reply), store (everything else in
the webhook: storing, SQL and ORM, the handlers' ledger logic), and Flask/WSGI around it all.
On PostgreSQL the server's own CPU is not in these figures (another process); the wall time shows it.
"""

from __future__ import annotations

import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

import load_traffic

STAGES = ("parse+decrypt", "classify", "retrieve", "store", "render+encrypt", "flask/wsgi")


class Meter:
    def __init__(self):
        self.cpu: dict[str, int] = defaultdict(int)

    def wrap(self, bucket: str, fn):
        def timed(*args, **kwargs):
            started = time.thread_time_ns()
            try:
                return fn(*args, **kwargs)
            finally:
                self.cpu[bucket] += time.thread_time_ns() - started

        return timed


@contextmanager
def instrumented(meter: Meter, answerer):
    """Timers around the stages; everything is put back afterwards."""
    from bot import pipeline
    from bot.channels import official

    patches = []

    def patch(owner, name: str, value) -> None:
        patches.append((owner, name, owner.__dict__.get(name)))
        setattr(owner, name, value)

    parse = official.OfficialChannel.parse

    def timed_parse(self, req):
        parsed = meter.wrap("parse+decrypt", parse)(self, req)
        parsed.render = meter.wrap("render+encrypt", parsed.render)
        return parsed

    patch(official.OfficialChannel, "parse", timed_parse)
    patch(pipeline, "handle", meter.wrap("pipeline", pipeline.handle))
    patch(answerer.sensitive, "detect", meter.wrap("classify", answerer.sensitive.detect))
    patch(answerer.runtime, "features", meter.wrap("classify", answerer.runtime.features))
    patch(answerer, "_classify", meter.wrap("classify", answerer._classify))
    for step in ("candidate", "query", "similarity", "near_miss"):  # only as far as decide() needs
        patch(answerer.faq_index, step, meter.wrap("retrieve", getattr(answerer.faq_index, step)))
    try:
        yield
    finally:
        for owner, name, old in reversed(patches):
            if old is None:
                delattr(owner, name)
            else:
                setattr(owner, name, old)


def breakdown(kind: str, args, answerer, questions, workdir: Path) -> dict:
    """Send args.stage_messages callbacks through the app in this process; CPU per message by stage."""
    from bot.app import create_app
    from bot.config import Settings
    from bot.services import Services

    load_traffic.say(f"== {kind}: per-stage CPU over {args.stage_messages} callbacks (in-process)")
    url = load_traffic.fresh_database(kind, workdir)
    settings = Settings.from_env(load_traffic.server_env(url, workdir, args.model_dir))
    services = Services.build(settings)
    services._answerer = answerer
    try:
        client = create_app(services=services, warm=False).test_client()
        plan = load_traffic.build_plan(*questions, args.stage_messages, args.retries, args.faq_share, seed=90)

        def post(msg):
            return client.post("/wechat?" + msg.query, data=msg.body, content_type="text/xml")

        for msg in plan.setup:
            post(msg)
        meter, statuses = Meter(), defaultdict(int)
        cpu, wall = time.thread_time_ns(), time.perf_counter_ns()
        with instrumented(meter, answerer):
            for msg in plan.timed:
                statuses[post(msg).status_code] += 1
        total, wall = time.thread_time_ns() - cpu, time.perf_counter_ns() - wall
    finally:
        services.dispose()
    c = meter.cpu
    inside = c["classify"] + c["retrieve"] + c["render+encrypt"]
    per = {
        "parse+decrypt": c["parse+decrypt"],
        "classify": c["classify"],
        "retrieve": c["retrieve"],
        "store": c["pipeline"] - inside,
        "render+encrypt": c["render+encrypt"],
        "flask/wsgi": total - c["parse+decrypt"] - c["pipeline"],
    }
    n = len(plan.timed)
    return {
        "n": n,
        "per": {k: v / n / 1000 for k, v in per.items()},
        "total": total / n / 1000,
        "wall": wall / n / 1000,
        "statuses": dict(statuses),
    }


def report(kind: str, stages: dict) -> None:
    print(f"per-message CPU by stage ({kind}, in-process, {stages['n']} callbacks, statuses {stages['statuses']}):")
    for name in STAGES:
        us = stages["per"][name]
        print(f"  {name:<16} {us:8.0f} µs  {us / stages['total']:5.0%}")
    print(f"  {'total CPU':<16} {stages['total']:8.0f} µs   (wall {stages['wall']:.0f} µs per message)")
