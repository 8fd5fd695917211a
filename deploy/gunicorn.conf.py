"""Gunicorn settings for the web process; ``legalbot serve`` loads this file too (its flags override bind/workers).

Run directly: ``gunicorn -c deploy/gunicorn.conf.py`` (the app is ``wsgi_app`` below). Behind nginx (deploy/
nginx-legalbot.conf), which buffers slow clients, caps bodies and terminates TLS, so plain sync workers fit:
each request is short CPU work (decrypt, classify, a few SQL statements) and never calls WeChat.
"""

import contextlib
import ctypes
import gc
import os

wsgi_app = "bot.app:create_app()"
bind = "127.0.0.1:8000"


def default_workers(cpus: int | None = None) -> int:
    """CPUs + 1, at least 2, at most 8: the work per message is CPU, and each worker holds the model.

    The extra worker covers the time the others wait for the database (a commit's fsync on PostgreSQL);
    beyond that, workers only add memory (~240 MB RSS each, README "Performance") and, on SQLite, more
    waiting for its single write lock.
    """
    cpus = cpus or os.cpu_count() or 1
    return max(2, min(cpus + 1, 8))


workers = default_workers()
worker_class = "sync"
timeout = 30  # a request never takes this long (WeChat gives up after 5 s); a stuck worker is restarted
graceful_timeout = 20
keepalive = 2
max_requests = 20000  # recycle workers now and then: bounded memory whatever a library leaks
max_requests_jitter = 2000
limit_request_line = 8190
limit_request_fields = 50
forwarded_allow_ips = "127.0.0.1"  # trust X-Forwarded-* only from the local nginx
accesslog = None  # nginx writes the access log; gunicorn's would record the same requests twice
errorlog = "-"  # stderr → journald (``journalctl -u legalbot-web``)
loglevel = "info"

# The model is loaded once in the master and shared copy-on-write by the workers (faster start, less memory).
preload_app = True


def pre_fork(server, worker):
    # Objects created before the fork (the model, ORM mappers) are never collected again: keeping the
    # garbage collector off them keeps their pages shared instead of copied into every worker.
    gc.freeze()
    # Memory freed while the model loaded goes back to the system instead of into every worker (glibc only).
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def post_fork(server, worker):
    # A database connection opened in the master must not be shared by the forked workers: each worker
    # drops the master's pool (without closing the master's sockets) and opens its own connections.
    app = worker.app.wsgi()
    services = getattr(app, "extensions", {}).get("legalbot")
    if services is not None:
        services.engine.dispose(close=False)
