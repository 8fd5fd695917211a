"""The ceiling for bench/load.py: a bare Flask endpoint under the same gunicorn settings as the app.

It reads the callback's body and answers ``success``: HTTP, gunicorn and Flask, and nothing of ours.
"""

from __future__ import annotations

from flask import Flask, Response, request


def bare_app() -> Flask:
    """``gunicorn -c deploy/gunicorn.conf.py --pythonpath bench 'load_bare:bare_app()'``."""
    app = Flask("bare")

    @app.post("/wechat")
    def wechat():
        request.get_data()
        return Response(b"success", mimetype="text/plain")

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    return app
