"""A stand-in for WeChat's API servers on loopback: ``/cgi-bin/stable_token`` and the message endpoints,
answering with scripted errcodes, delays or a block, and recording every request it got."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

SEND_PATHS = ("/cgi-bin/message/custom/send", "/cgi-bin/message/template/send")


@dataclass
class Call:
    path: str
    query: dict[str, str]
    body: dict
    raw: bytes
    outcome: str = ""  # the errcode answered, or "blocked" / "late" (never delivered)


@dataclass
class Step:
    """What the next send gets: an errcode; or no answer for ``delay`` seconds; or held until ``released``."""

    errcode: int = 0
    delay: float = 0.0
    block: bool = False


@dataclass
class FakeWeChat:
    sends: list[Step] = field(default_factory=list)  # consumed one per send; errcode 0 when empty
    token_errcode: int = 0
    calls: list[Call] = field(default_factory=list)
    tokens_issued: int = 0
    released: threading.Event = field(default_factory=threading.Event)
    in_flight: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self):
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.base_url = f"http://127.0.0.1:{self._server.server_port}/cgi-bin/"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeWeChat:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.released.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def delivered(self) -> list[Call]:
        """Sends WeChat accepted (answered errcode 0)."""
        return [c for c in self.calls if c.path in SEND_PATHS and c.outcome == "0"]

    def token_requests(self) -> list[Call]:
        return [c for c in self.calls if c.path == "/cgi-bin/stable_token"]

    def _app(self, environ, start_response):
        request = Request(environ)
        raw = request.get_data()
        call = Call(request.path, {k: v[0] for k, v in parse_qs(request.query_string.decode()).items()}, {}, raw)
        call.body = json.loads(raw.decode("utf-8")) if raw else {}
        with self._lock:
            self.calls.append(call)
        if request.path == "/cgi-bin/stable_token":
            answer = self._token(call)
        elif request.path in SEND_PATHS:
            answer = self._send(call)
        else:
            answer = {"errcode": 40066, "errmsg": "invalid url"}
        return Response(json.dumps(answer), mimetype="application/json")(environ, start_response)

    def _token(self, call: Call) -> dict:
        call.outcome = str(self.token_errcode)
        if self.token_errcode:
            return {"errcode": self.token_errcode, "errmsg": "scripted token error"}
        with self._lock:
            self.tokens_issued += 1
            token = f"TOKEN-{self.tokens_issued}"
        return {"access_token": token, "expires_in": 7200}

    def _send(self, call: Call) -> dict:
        with self._lock:
            step = self.sends.pop(0) if self.sends else Step()
        if step.block:
            call.outcome = "blocked"
            self.in_flight.set()
            self.released.wait(60)
            return {"errcode": -1, "errmsg": "system error"}  # never accepted: the sender died meanwhile
        if step.delay:  # longer than the client waits: a request that hung and was not delivered
            call.outcome = "late"
            time.sleep(step.delay)
            return {"errcode": -1, "errmsg": "too late"}
        call.outcome = str(step.errcode)
        return {"errcode": step.errcode, "errmsg": "ok" if not step.errcode else "scripted error"}
