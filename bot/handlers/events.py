"""Follow, QR-scan, unfollow and menu events."""

from __future__ import annotations

from bot import texts
from bot.context import Context
from bot.handlers.binding import bind_adviser, bind_villager
from bot.ledger import repo
from bot.messages import Incoming, Reply

MENU_ASK_ADVISER = "MENU_ASK_ADVISER"


def handle_event(msg: Incoming, ctx: Context) -> Reply | None:
    """Bind by the QR scene (village code or ``adviser:<phone>``); greet new followers."""
    if not msg.is_event:
        return None
    if msg.event in ("subscribe", "subscribe_scan", "scan"):
        scene = (msg.event_key or "").strip()
        if scene.startswith("adviser:"):
            return bind_adviser(ctx, scene.split(":", 1)[1].strip())
        if ctx.villager is not None:
            ctx.villager.subscribed = True
            if scene:
                village = repo.village_by_code(ctx.session, scene)
                if village is not None:
                    return bind_villager(ctx, village)
            if ctx.villager.village_id is None:
                return Reply(texts.WELCOME + "\n" + texts.ASK_VILLAGE)
        return Reply(texts.WELCOME)
    if msg.event == "unsubscribe":
        # WeChat asks us to drop the user's data; the ledger must stay, so only stop sending.
        if ctx.villager is not None:
            ctx.villager.subscribed = False
        return Reply()
    if msg.event == "click" and msg.event_key == MENU_ASK_ADVISER:
        return Reply(texts.HUMAN_ASK_DETAILS)
    return Reply()  # location reports, VIEW clicks, delivery receipts: nothing to say
