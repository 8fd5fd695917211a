"""Real processes for the multi-process and fault tests: ``legalbot serve`` / ``legalbot worker`` on loopback
with the test database and model, and WeChat callbacks signed and encrypted with WeRoBot (real time)."""

from __future__ import annotations

import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from bot.clock import SystemClock
from tests.wechat_client import ACCOUNT, WeChatTestClient, cdata, tag

BIN = Path(sys.executable).parent
START_TIMEOUT = 180  # seconds: a server loads the model; a loaded CI machine is slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_env(settings, model_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a legalbot process sharing the test's database, model and WeChat settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEGALBOT_")}
    env.update(
        LEGALBOT_DATABASE_URL=settings.database_url,
        LEGALBOT_INSTANCE_DIR=str(settings.instance_dir),
        LEGALBOT_SECRET_KEY=settings.secret_key,
        LEGALBOT_MODEL_DIR=str(model_dir),
        LEGALBOT_WECHAT_TOKEN=settings.wechat_token,
        LEGALBOT_WECHAT_APPID=settings.wechat_appid,
        LEGALBOT_WECHAT_AES_KEY=settings.wechat_aes_key,
        LEGALBOT_DELIVERY="log",
        LEGALBOT_LOG_LEVEL="INFO",
    )
    env.update(extra)
    return env


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path
    port: int = 0

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
        try:
            self.popen.wait(30)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()


def spawn(name: str, argv: list[str], env: dict[str, str], workdir: Path, port: int = 0) -> Process:
    log = workdir / f"{name}.log"
    with open(log, "wb") as fh:
        popen = subprocess.Popen(argv, env=env, stdout=fh, stderr=subprocess.STDOUT, cwd=Path(__file__).parent.parent)
    return Process(name, popen, log, port)


def serve(name: str, env: dict[str, str], workdir: Path, workers: int = 2) -> Process:
    """``legalbot serve`` on a free loopback port (not yet ready: see ``wait_ready``)."""
    port = free_port()
    argv = [str(BIN / "legalbot"), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    return spawn(name, argv, env, workdir, port)


def wait_ready(*servers: Process) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    for server in servers:
        while True:
            if server.popen.poll() is not None:
                raise AssertionError(f"{server.name} exited at start-up:\n{server.output()}")
            try:
                if request(server.port, "GET", "/readyz")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"{server.name} not ready after {START_TIMEOUT} s:\n{server.output()}")
            time.sleep(0.2)


def wait_for_line(process: Process, text: str, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while text not in process.log.read_text(errors="replace"):
        if process.popen.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"{process.name} never logged {text!r}:\n{process.output()}")
        time.sleep(0.1)


def request(port: int, method: str, path: str, body: bytes = b"", timeout: float = 30) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body or None, headers={"Content-Type": "text/xml"} if body else {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


class Callbacks:
    """WeChat's side: builds callbacks once (to send the very same bytes to several servers) and opens replies."""

    def __init__(self, settings, clock=None):
        self.clock = clock or SystemClock()
        self.client = WeChatTestClient(
            None, self.clock, settings.wechat_token, settings.wechat_appid, settings.wechat_aes_key
        )

    def build(self, xml: str) -> tuple[str, bytes]:
        """(path with the signed query, encrypted body), timestamped now."""
        ts, nonce = str(int(self.clock.now().timestamp())), str(secrets.randbelow(10**9))
        wrapped = self.client.crypt.encrypt_message(xml, ts, nonce)
        blob, msg_signature = tag(wrapped, "Encrypt"), tag(wrapped, "MsgSignature")
        body = f"<xml><ToUserName>{cdata(ACCOUNT)}</ToUserName><Encrypt>{cdata(blob)}</Encrypt></xml>"
        query = self.client.query(ts, nonce, encrypt_type="aes", msg_signature=msg_signature)
        return "/wechat?" + urlencode(query), body.encode()

    def text(self, sender: str, content: str, msg_id: int) -> tuple[str, bytes]:
        return self.build(self.client.xml(sender, "text", Content=content, MsgId=msg_id))

    def subscribe(self, sender: str, scene: str) -> tuple[str, bytes]:
        return self.build(self.client.xml(sender, "event", Event="subscribe", EventKey=f"qrscene_{scene}"))

    def open(self, body: bytes) -> str:
        """The reply's text content (decrypted), or "" for ``success``."""
        if body == b"success":
            return ""
        text = body.decode()
        xml = self.client.crypt.decrypt_message(
            tag(text, "TimeStamp"), tag(text, "Nonce"), tag(text, "MsgSignature"), tag(text, "Encrypt")
        )
        return tag(xml.decode() if isinstance(xml, bytes) else xml, "Content")
