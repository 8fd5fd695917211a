"""The application factory."""

from __future__ import annotations

import logging

from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from bot.config import Settings
from bot.services import Services


def create_app(settings: Settings | None = None, services: Services | None = None, warm: bool = True) -> Flask:
    """Build the Flask app; the classifier is loaded here (once per process), not at import."""
    settings = settings or (services.settings if services else Settings.from_env())
    services = services or Services.build(settings)
    app = Flask(__name__, template_folder="web/templates", static_folder="web/static")
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        # The console and dashboard cookie: never readable by scripts, not sent by other sites' forms, and
        # only over https once the deployment is served over https (LEGALBOT_PUBLIC_URL).
        SESSION_COOKIE_NAME="legalbot_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.public_url.startswith("https://"),
    )
    app.session_interface = CookieOnlyWhenSent()
    app.extensions["legalbot"] = services
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from bot.web import health, wechat, wecom

    app.register_blueprint(health.bp)
    app.register_blueprint(wechat.bp)
    app.register_blueprint(wecom.bp)
    from bot.web import bridge, wecom_bot  # group chats: the signed JSON bridge and the WeCom AI bot

    app.register_blueprint(bridge.bp)
    app.register_blueprint(wecom_bot.bp)
    from bot.web.adviser import bp as adviser_console  # /adviser, the advisers' mobile console

    app.register_blueprint(adviser_console)
    from bot.web import api
    from bot.web.bureau import bp as bureau_dashboard  # /login, /bureau: the bureau's and town offices' dashboard

    app.register_blueprint(bureau_dashboard)
    app.register_blueprint(api.bp)
    if settings.simulator:
        from bot.web import simulator

        app.register_blueprint(simulator.bp)
    if warm:
        _ = services.answerer
    return app


class CookieOnlyWhenSent(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, minus the work on requests that carry no session cookie.

    Flask builds the cookie's signing serializer on every request; WeChat's callbacks and the bridge never
    send a cookie, so they get an empty session straight away (bench/load.py: ~2% of a callback's CPU).
    """

    def open_session(self, app, request):
        if app.config["SESSION_COOKIE_NAME"] not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)
