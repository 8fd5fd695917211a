"""Load benchmark: the real web app under gunicorn against a bare Flask endpoint, in the same run.

Both run under ``deploy/gunicorn.conf.py`` with the same number of workers on a loopback port. A bounded
asyncio client (32 connections, a fixed number of requests and a time limit) sends signed, AES-encrypted
WeChat callbacks: FAQ questions, personal questions that go to an adviser, and ~10% retries. Printed: the
rate, p50/p99 latency and non-2xx count for both, their ratio, each web worker's memory (from /proc), that
every question was stored once and classified, that retries got byte-identical replies, the CPU the server's
processes and the client used per request (on a machine the two share, that bounds the rate), and the CPU
per message by stage (bench/load_stages.py). Prints figures; asserts nothing.

    .venv/bin/python bench/load.py [--workers 3] [--requests 6000] [--concurrency 32]
    LEGALBOT_BENCH_PG_URL=postgresql+psycopg://postgres@127.0.0.1:55433/legalbot_bench .venv/bin/python bench/load.py

The PostgreSQL database named there is emptied (schema dropped) first: give it a database of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import load_stages  # noqa: E402
import load_traffic  # noqa: E402

CONF = ROOT / "deploy" / "gunicorn.conf.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    port: int
    log: Path

    def wait_ready(self, path: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.name} exited at start-up; its log:\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"{self.name} did not answer {path} within {timeout:.0f} s; see {self.log}")

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(p) for p in children.read_text().split()] if children.exists() else []

    def cpu_seconds(self) -> float:
        """User + system CPU so far of the master, its live workers and the workers it has reaped.

        A worker recycled during the run (gunicorn's max_requests) moves from the live workers' sum into
        the master's count of its reaped children, so the difference between two readings stays whole.
        """

        def stat(pid: int) -> list[int]:  # proc(5) fields 14 to 17: utime, stime, cutime, cstime
            return [int(f) for f in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[11:15]]

        total = sum(stat(self.process.pid))
        for pid in self.workers():
            utime, stime, _, _ = stat(pid)
            total += utime + stime
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start(name: str, argv: list[str], env: dict[str, str], port: int, workdir: Path) -> Server:
    log = workdir / f"{name}.log"
    with open(log, "wb") as fh:
        process = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT)
    return Server(name, process, port, log)


def memory(pid: int) -> dict[str, float]:
    """RSS, peak RSS and proportional set size (shared pages split between the workers), in MB."""
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    rollup = Path(f"/proc/{pid}/smaps_rollup")
    pss = next((ln.split()[1] for ln in rollup.read_text().splitlines() if ln.startswith("Pss:")), "0")
    mb = lambda kb: int(kb.split()[0]) / 1024  # noqa: E731
    return {"rss": mb(status["VmRSS"]), "peak": mb(status["VmHWM"]), "pss": mb(pss)}


# ---- the client ---------------------------------------------------------------------------------------
@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    bodies: dict[int, bytes] = field(default_factory=dict)  # uid → the first reply
    mismatched_retries: int = 0
    wall: float = 0.0
    client_cpu: float = 0.0
    server_cpu: float = 0.0  # the server's processes during the run (gunicorn master and workers)

    def line(self, name: str) -> str:
        done = sorted(self.latencies)
        pct = lambda q: done[min(len(done) - 1, int(q * len(done)))] * 1000 if done else float("nan")  # noqa: E731
        non_2xx = sum(n for s, n in self.statuses.items() if not 200 <= s < 300)
        return (
            f"{name:<34} {len(done) / self.wall:8.0f} msg/s   p50 {pct(0.5):6.1f} ms   p99 {pct(0.99):6.1f} ms   "
            f"non-2xx {non_2xx}   errors {sum(self.errors.values())}   (n={len(done)}, {self.wall:.1f} s)"
        )

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.wall if self.wall else 0.0


async def _exchange(reader, writer, raw: bytes) -> tuple[int, bytes, bool]:
    writer.write(raw)
    head = await reader.readuntil(b"\r\n\r\n")
    headers = head.decode("latin-1").lower()
    length = int(headers.split("content-length:", 1)[1].split("\r\n", 1)[0]) if "content-length:" in headers else 0
    body = await reader.readexactly(length)
    return int(head[9:12]), body, "connection: close" in headers


async def _load(port: int, messages, concurrency: int, time_limit: float, result: Result) -> None:
    host = f"Host: 127.0.0.1:{port}\r\nContent-Type: text/xml\r\n".encode()
    queue = iter(messages)
    deadline = time.monotonic() + time_limit
    answered: dict[int, asyncio.Event] = {}  # uid → set when the first attempt has its answer

    async def connection() -> None:
        reader = writer = None
        for msg in queue:
            if time.monotonic() > deadline:
                return
            raw = b"POST /wechat?%s HTTP/1.1\r\n%sContent-Length: %d\r\n\r\n%s" % (
                msg.query.encode(),
                host,
                len(msg.body),
                msg.body,
            )
            if msg.kind == "retry":
                # WeChat retries when an answer did not reach it in time: after the first attempt was answered.
                try:
                    first_answered = answered.setdefault(msg.uid, asyncio.Event()).wait()
                    await asyncio.wait_for(first_answered, max(0.0, deadline - time.monotonic()))
                except TimeoutError:
                    return
            started = time.perf_counter()
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                status, body, close = await asyncio.wait_for(_exchange(reader, writer, raw), 30)
            except (OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
                result.errors[type(exc).__name__] += 1
                answered.setdefault(msg.uid, asyncio.Event()).set()
                if writer is not None:
                    writer.close()
                reader = writer = None
                continue
            result.latencies.append(time.perf_counter() - started)
            result.statuses[status] += 1
            if msg.uid >= 0:
                first = result.bodies.setdefault(msg.uid, body)
                result.mismatched_retries += msg.kind == "retry" and first != body
                answered.setdefault(msg.uid, asyncio.Event()).set()
            if close:
                writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(concurrency)))


def send(server: Server, messages, concurrency: int, time_limit: float) -> Result:
    """Send the messages over `concurrency` connections; stops early at the time limit."""
    result = Result()
    server_cpu, cpu, wall = server.cpu_seconds(), time.process_time(), time.perf_counter()
    asyncio.run(_load(server.port, messages, concurrency, time_limit, result))
    result.wall, result.client_cpu = time.perf_counter() - wall, time.process_time() - cpu
    result.server_cpu = server.cpu_seconds() - server_cpu
    return result


# ---- one database -------------------------------------------------------------------------------------
def measure(kind: str, args, answerer, questions, workdir: Path) -> dict:
    """Bare ceiling, then the app, against a fresh database of this kind."""
    load_traffic.say(f"== {kind}: fresh database, roster, {args.requests} callbacks planned")
    workdir.mkdir(parents=True, exist_ok=True)
    url = load_traffic.fresh_database(kind, workdir)
    plan = load_traffic.build_plan(*questions, args.requests, args.retries, args.faq_share, seed=len(kind))
    env = load_traffic.server_env(url, workdir, args.model_dir)

    port = free_port()
    bare_argv = [sys.executable, "-m", "gunicorn", "-c", str(CONF), "--workers", str(args.workers)]
    bare_argv += ["--pythonpath", str(ROOT / "bench"), "--bind", f"127.0.0.1:{port}", "load_bare:bare_app()"]
    bare = start("bare", bare_argv, env, port, workdir)
    try:
        bare.wait_ready("/healthz")
        send(bare, plan.setup[:500], args.concurrency, args.time_limit)  # warm-up
        load_traffic.say(f"   bare Flask: {len(plan.timed)} requests over {args.concurrency} connections")
        bare_result = send(bare, plan.timed, args.concurrency, args.time_limit)
    finally:
        bare.stop()

    port = free_port()
    legalbot = str(Path(sys.executable).with_name("legalbot"))
    argv = [legalbot, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(args.workers)]
    app = start("app", argv, env, port, workdir)
    try:
        app.wait_ready("/readyz")
        load_traffic.say(f"   legalbot: binding {len(plan.setup)} villagers (subscribe by QR, untimed)")
        setup = send(app, plan.setup, args.concurrency, args.time_limit * 4)
        load_traffic.say(f"   legalbot: {len(plan.timed)} requests over {args.concurrency} connections")
        app_result = send(app, plan.timed, args.concurrency, args.time_limit)
        workers = {pid: memory(pid) for pid in app.workers()}
    finally:
        app.stop()
    return {
        "bare": bare_result,
        "app": app_result,
        "setup": setup,
        "workers": workers,
        "storage": load_traffic.verify_storage(url, len(app_result.bodies)),
        "plan": plan,
        "url": url,
    }


def report(kind: str, m: dict, args) -> None:
    plan, bare, app = m["plan"], m["bare"], m["app"]
    print(f"\n## {kind}: {args.workers} gunicorn workers, {args.concurrency} connections, {os.cpu_count()} CPUs")
    counts = plan.counts
    print(f"mix: {counts['faq']} FAQ, {counts['personal']} personal (forwarded), {counts['retry']} retries")
    print(bare.line("bare Flask endpoint (ceiling)"))
    print(app.line("legalbot /wechat"))
    print(f"ratio: {app.rate / bare.rate:.0%} of the bare ceiling's throughput")
    per = lambda seconds, result: seconds / max(1, len(result.latencies)) * 1e3  # noqa: E731
    print(f"client CPU per request: bare {per(bare.client_cpu, bare):.2f} ms, app {per(app.client_cpu, app):.2f} ms")
    print(
        f"server CPU per request (gunicorn master + workers): bare {per(bare.server_cpu, bare):.2f} ms, "
        f"app {per(app.server_cpu, app):.2f} ms; server and client together on {os.cpu_count()} CPUs bound the app "
        f"at {os.cpu_count() / max(1e-9, per(app.server_cpu + app.client_cpu, app) / 1e3):.0f} msg/s"
        + (" (before the PostgreSQL server's own CPU)" if kind == "postgresql" else "")
    )
    for pid, mem in sorted(m["workers"].items()):
        print(f"web worker {pid}: RSS {mem['rss']:.0f} MB (peak {mem['peak']:.0f} MB), PSS {mem['pss']:.0f} MB")
    print(
        "retries answered with the first reply's bytes: "
        f"{plan.counts['retry'] - app.mismatched_retries}/{plan.counts['retry']}"
    )
    for name, value in m["storage"].items():
        print(f"  {name:<28} {value}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per timed run")
    parser.add_argument("--retries", type=float, default=0.10, help="share of retried callbacks")
    parser.add_argument("--faq-share", type=float, default=0.6, help="share of FAQ questions among the rest")
    parser.add_argument("--stage-messages", type=int, default=3000, help="messages for the per-stage CPU")
    parser.add_argument("--model-dir", type=Path, default=ROOT / "models")
    parser.add_argument("--only", choices=("sqlite", "postgresql"), help="measure one database only")
    args = parser.parse_args()

    from bot.classifier.train import load_answerer

    load_traffic.say(f"loading the model from {args.model_dir} (trained first when missing or stale)…")
    answerer = load_answerer(ROOT / "knowledge", args.model_dir, progress=load_traffic.say)
    questions = load_traffic.choose_questions(answerer)
    faq, personal = questions
    load_traffic.say(f"{len(faq)} FAQ questions the bot answers, {len(personal)} personal ones it forwards")
    kinds = ["sqlite"] + (["postgresql"] if os.environ.get("LEGALBOT_BENCH_PG_URL") else [])
    kinds = [k for k in kinds if args.only in (None, k)]
    workdir = Path(tempfile.mkdtemp(prefix="legalbot-load-"))
    try:
        results = {kind: measure(kind, args, answerer, questions, workdir / kind) for kind in kinds}
        stages = {kind: load_stages.breakdown(kind, args, answerer, questions, workdir / kind) for kind in kinds}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    for kind in kinds:
        report(kind, results[kind], args)
        load_stages.report(kind, stages[kind])


if __name__ == "__main__":
    main()
