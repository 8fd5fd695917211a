"""The bureau's dashboard (县司法局 and 司法所 staff): login, statistics with charts, the ledger browser,
per-village volumes (一村一卷), reports and the audit log. Server-rendered; data only after login."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("bureau", __name__)

# The view modules attach their routes to ``bp``; nothing else happens at import.
from bot.web.bureau import access, dashboard, downloads, ledger, login, review  # noqa: E402

__all__ = ["access", "bp", "dashboard", "downloads", "ledger", "login", "review"]
