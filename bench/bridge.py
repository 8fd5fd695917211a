"""Benchmark: end-to-end latency of the group bridge (POST /bridge/v1/messages) by kind of request.

Signed like an operator's bridge, through the real app on a temporary SQLite database (or the URL in
LEGALBOT_BENCH_DATABASE_URL; the model from LEGALBOT_MODEL_DIR or models/). Prints figures; asserts nothing.
Run: `.venv/bin/python bench/bridge.py [N]`.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KEY, SECRET = "bench", "bench-secret-0123456789abcdef"
GROUP = "bench-hedong@chatroom"
_ids = itertools.count(1)


def headers(body: bytes, nonce: str | None = None) -> dict[str, str]:
    ts, nonce = str(int(time.time())), nonce or secrets.token_hex(12)
    signature = hmac.new(SECRET.encode(), f"{ts}\n{nonce}\n".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Bridge-Key": KEY, "X-Bridge-Timestamp": ts, "X-Bridge-Nonce": nonce, "X-Bridge-Signature": signature}


def message(text: str, mentioned: bool, sender: str, msg_id: str | None = None) -> bytes:
    body = {
        "msg_id": msg_id or f"b{next(_ids)}",
        "chat_type": "group",
        "chat_id": GROUP,
        "sender_id": sender,
        "mentioned_bot": mentioned,
        "text": text,
    }
    return json.dumps(body, ensure_ascii=False).encode()


def describe(name: str, samples: list[float], statuses: set[int]) -> str:
    samples = sorted(samples)
    p = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))]  # noqa: E731
    return (
        f"{name:<36} n={len(samples):<4} median {statistics.median(samples):7.2f} ms   p90 {p(0.9):7.2f} ms   "
        f"p99 {p(0.99):7.2f} ms   HTTP {sorted(statuses)}"
    )


def run(client, name: str, n: int, make) -> None:
    samples, statuses = [], set()
    for i in range(n):
        body, hdrs = make(i)
        t0 = time.perf_counter_ns()
        resp = client.post("/bridge/v1/messages", data=body, headers=hdrs, content_type="application/json")
        samples.append((time.perf_counter_ns() - t0) / 1e6)
        statuses.add(resp.status_code)
    print(describe(name, samples, statuses))


def main() -> None:
    from bot.app import create_app
    from bot.config import Settings
    from bot.migrate import upgrade
    from bot.roster import import_roster
    from bot.services import Services

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("LEGALBOT_BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
        env = {"LEGALBOT_INSTANCE_DIR": tmp, "LEGALBOT_DATABASE_URL": url, "LEGALBOT_SECRET_KEY": "bench"}
        env["LEGALBOT_LOG_LEVEL"] = "ERROR"  # refused requests would log a warning each
        env["LEGALBOT_BRIDGE_KEYS"] = f"{KEY}:{SECRET}"
        if os.environ.get("LEGALBOT_MODEL_DIR"):
            env["LEGALBOT_MODEL_DIR"] = os.environ["LEGALBOT_MODEL_DIR"]
        settings = Settings.from_env(env)
        upgrade(settings.database_url)
        lines = (ROOT / "bot/demo/roster.csv").read_text(encoding="utf-8").splitlines()
        roster = Path(tmp) / "roster.csv"
        rows = [lines[0] + ",群ID", lines[1] + f",{GROUP}", *(line + "," for line in lines[2:])]
        roster.write_text("\n".join(rows) + "\n", encoding="utf-8")
        services = Services.build(settings)
        with services.sessions.begin() as session:
            import_roster(session, roster)
        t0 = time.perf_counter()
        app = create_app(services=services)  # loads (or trains) the model, as a web worker does
        print(f"app start incl. model: {time.perf_counter() - t0:.2f} s; database: {url.split('://')[0]}; n={n}")
        client = app.test_client()

        def unsigned(i):
            body = message("离婚冷静期多久", True, f"u{i}")
            return body, {**headers(body), "X-Bridge-Signature": "0" * 64}

        def silent(i):
            body = message("明天上午村委会开会，大家记得来", False, f"s{i}")
            return body, headers(body)

        def faq(i):
            body = message("@法律助手 离婚冷静期多久", True, f"f{i}")
            return body, headers(body)

        def personal(i):
            story = f"我家和邻居因为宅基地边界吵了{i % 9 + 2}年，他家新盖的墙占了我家地，村里调解也不管用，现在咋办"
            body = message("@法律助手 " + story, True, f"p{i}")
            return body, headers(body)

        answered = message("@法律助手 离婚冷静期多久", True, "retry", msg_id="retry-1")
        client.post("/bridge/v1/messages", data=answered, headers=headers(answered), content_type="application/json")

        def retry(i):
            return answered, headers(answered)

        replayed_headers = headers(answered)
        client.post("/bridge/v1/messages", data=answered, headers=replayed_headers, content_type="application/json")

        def replay(i):
            return answered, replayed_headers

        run(client, "refused: bad signature (401)", n, unsigned)
        run(client, "refused: replayed nonce (401)", n, replay)
        run(client, "group remark, not addressed (null)", n, silent)
        run(client, "group FAQ answered (consultation)", n, faq)
        run(client, "group personal case -> private", n, personal)
        run(client, "retry of an answered msg_id", n, retry)
        services.dispose()


if __name__ == "__main__":
    main()
