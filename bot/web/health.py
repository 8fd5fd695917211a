"""Health checks for load balancers and operators."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from bot.web import services

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """The process is up."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """The database answers and the model is loaded."""
    try:
        with services().engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means "not ready"
        return jsonify(status="database unavailable", error=type(exc).__name__), 503
    return jsonify(status="ok", model=services()._answerer is not None)
