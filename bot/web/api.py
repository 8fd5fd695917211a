"""``GET /api/stats?week=2026-W47&town=城关镇``: the statistics as JSON, for a bearer token made with
``legalbot users token`` (only its hash is stored). A town office token sees only its town (else 403)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from bot.bureau.access import AccessDenied, UnknownPlace
from bot.bureau.audit import actor_of, record_audit
from bot.bureau.users import user_for_token
from bot.stats.periods import PeriodError
from bot.stats.report import build_stats
from bot.web import services
from bot.web.bureau.params import period_from, scope_from

bp = Blueprint("api", __name__, url_prefix="/api")


def _error(status: int, message: str):
    response = jsonify(error=message)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="legalbot"'
    return response


@bp.get("/stats")
def stats():
    """Every breakdown for one period (week by default) within the token owner's county or town."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _error(401, "需要令牌：请求头加 Authorization: Bearer <令牌>（用 legalbot users token 生成）")
    svc = services()
    now = svc.clock.now()
    with svc.sessions.begin() as db:
        user = user_for_token(db, token, now)
        if user is None:
            return _error(401, "令牌无效或已撤销：请向管理员重新申请（legalbot users token）")
        try:
            period = period_from(request.args, now)
            scope = scope_from(db, user, request.args)
        except PeriodError as exc:
            return _error(400, str(exc))
        except UnknownPlace as exc:
            return _error(404, str(exc))
        except AccessDenied as exc:
            record_audit(
                db,
                actor_of(user),
                "denied",
                f"stats:{request.args.get('town', '')}",
                now,
                detail="api",
                ip=request.remote_addr,
            )
            return _error(403, str(exc))
        result = build_stats(db, period, scope, svc.settings, now)
        record_audit(
            db,
            actor_of(user),
            "export",
            f"stats:{period.label}:{scope.title}",
            now,
            detail="api",
            ip=request.remote_addr,
        )
    response = jsonify(result)
    response.headers["Cache-Control"] = "no-store"
    return response
