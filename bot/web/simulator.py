"""The local WeChat simulator (``LEGALBOT_SIMULATOR=1``; never enable it in production).

The page builds WeChat's signed and AES-encrypted XML in the browser and posts it to the real
``/wechat`` webhook; these endpoints only give it the demo configuration and show what the worker
"delivered" through the outbox.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request
from sqlalchemy import select

from bot.ledger.tables import Adviser, OutboxMessage, Town, Village
from bot.web import services

bp = Blueprint("simulator", __name__, url_prefix="/simulator")
DEMO_VILLAGERS = [
    {"openid": "oDemoVillagerZhang001", "name": "村民 老张"},
    {"openid": "oDemoVillagerLi000002", "name": "村民 李大姐"},
    {"openid": "oDemoVillagerNew00003", "name": "新关注的村民"},
]


@bp.get("/")
def page():
    return render_template("simulator.html")


@bp.get("/api/config")
def config():
    s = services().settings
    with services().sessions() as session:
        villages = [
            {"code": v.code, "name": v.name, "town": v.town.name}
            for v in session.scalars(select(Village).order_by(Village.code))
        ]
        advisers = [
            {"openid": a.openid, "name": f"顾问 {a.name}", "phone": a.phone}
            for a in session.scalars(select(Adviser).order_by(Adviser.id))
        ]
        offices = [
            {"openid": t.office_openid, "name": t.office_name or t.name}
            for t in session.scalars(select(Town).where(Town.office_openid.is_not(None)))
        ]
    return jsonify(
        token=s.wechat_token,
        appid=s.wechat_appid,
        aes_key=s.wechat_aes_key,
        account="gh_demo_legalbot",
        villagers=DEMO_VILLAGERS,
        advisers=advisers,
        offices=offices,
        villages=villages,
    )


@bp.get("/api/outbox")
def outbox():
    """Messages the worker has pushed to this openid (customer-service messages in real WeChat)."""
    openid = request.args.get("openid", "")
    after = request.args.get("after", 0, type=int)
    with services().sessions() as session:
        rows = session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.recipient == openid, OutboxMessage.id > after, OutboxMessage.status.in_(("sent", "held"))
            )
            .order_by(OutboxMessage.id)
        )
        messages = [{"id": m.id, "text": m.text, "status": m.status} for m in rows]
    return jsonify(messages=messages)
