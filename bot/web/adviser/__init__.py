"""The adviser console (顾问工作台): mobile pages under ``/adviser``.

Views only convert the request and call the same use cases as the WeChat commands (``bot.consultations``,
``bot.advisers``, ``bot.duty``); the login state and CSRF token live in Flask's signed session cookie.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("adviser", __name__, url_prefix="/adviser")

# The view modules attach their routes to ``bp``; nothing else happens at import.
from bot.web.adviser import access, actions, duty_pages, login, pages  # noqa: E402

__all__ = ["access", "actions", "bp", "duty_pages", "login", "pages"]
