"""The forms on a consultation's page. Each calls the same use case as the WeChat command, then redirects
back to the page (POST-redirect-GET) with what happened, or the use case's own Chinese message."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, request, url_for

from bot import texts
from bot.advisers import (
    ActionError,
    acknowledge_alert,
    answer_offline,
    close_not_legal,
    correct_category,
    hand_over,
    propose_faq,
    record_disposal,
)
from bot.categories import category_label
from bot.consultations import relay_answer
from bot.context import Context
from bot.ledger.tables import Adviser, Consultation
from bot.web import services
from bot.web.adviser import bp
from bot.web.adviser.access import assigned, current_adviser, login_required
from bot.web.adviser.present import ANSWER_LIMIT

Action = Callable[[Context, Consultation, Adviser], str]


def _act(number: int, action: Action, anchor: str = ""):
    """Run one use case in its own transaction; refusals roll back and are shown to the adviser."""
    svc = services()
    try:
        with svc.sessions.begin() as db:
            adviser = current_adviser(db)
            consultation = assigned(db, number, adviser, lock=True)
            message = action(Context.for_action(svc, db, adviser), consultation, adviser)
    except ActionError as exc:
        flash(str(exc), "error")
    else:
        flash(message, "ok")
    return redirect(url_for("adviser.consultation", number=number) + anchor, 303)


def _field(name: str) -> str:
    return request.form.get(name, "").strip()


@bp.post("/consultations/<int:number>/answer")
@login_required
def answer(number: int):
    """Same effect as "#编号 答复": relayed to the villager through the outbox and recorded."""
    text = _field("answer")

    def run(ctx, consultation, adviser):
        if not text:
            raise ActionError("请先写好答复内容再发送。")
        if len(text) > ANSWER_LIMIT:
            raise ActionError(f"答复请控制在{ANSWER_LIMIT}字以内；较长的内容可以分两次发，第二次会作为补充答复。")
        return relay_answer(ctx, consultation, adviser, text)

    return _act(number, run)


@bp.post("/consultations/<int:number>/category")
@login_required
def category(number: int):
    """The adviser's category is stored; training with the ledger uses it."""
    code = _field("category")

    def run(ctx, consultation, adviser):
        correct_category(ctx, consultation, adviser, code)
        return f"类别已改为“{category_label(code)}”，会用来改进机器人的判断。"

    return _act(number, run)


@bp.post("/consultations/<int:number>/hand-over")
@login_required
def hand_over_view(number: int):
    """AB岗: give the consultation to the village's other post."""

    def run(ctx, consultation, adviser):
        other = hand_over(ctx, consultation, adviser)
        return f"已转交给{other.name}，对方已收到通知。"

    return _act(number, run)


@bp.post("/consultations/<int:number>/offline")
@login_required
def offline(number: int):
    """线下答复: answered face to face or by phone; recorded, nothing sent to the villager."""
    note = _field("note")

    def run(ctx, consultation, adviser):
        answer_offline(ctx, consultation, adviser, note)
        return f"已把 #{consultation.id} 记为线下答复。"

    return _act(number, run)


@bp.post("/consultations/<int:number>/not-legal")
@login_required
def not_legal(number: int):
    """Not a legal question (same as "#编号 非法律问题"): closed, kept out of the statistics."""

    def run(ctx, consultation, adviser):
        close_not_legal(ctx, consultation, adviser)
        return texts.NOT_LEGAL_CLOSED.format(number=consultation.id)

    return _act(number, run)


@bp.post("/consultations/<int:number>/acknowledge")
@login_required
def acknowledge(number: int):
    """Someone has taken charge of the alert; reminders stop (same as "#编号 收到")."""

    def run(ctx, consultation, adviser):
        acknowledge_alert(ctx, consultation, adviser.name)
        return f"已确认 #{consultation.id}，请尽快处置，处置后在本页记录处置情况。"

    return _act(number, run, "#alert")


@bp.post("/consultations/<int:number>/disposal")
@login_required
def disposal(number: int):
    """How the sensitive matter was handled (same as "#编号 处置 …")."""
    text = _field("disposal")

    def run(ctx, consultation, adviser):
        record_disposal(ctx, consultation, adviser.name, text)
        return texts.ALERT_DISPOSED.format(number=consultation.id)

    return _act(number, run, "#alert")


@bp.post("/consultations/<int:number>/faq")
@login_required
def faq(number: int):
    """可作为常见问题: the answer becomes an FAQ candidate for the bureau's review."""

    def run(ctx, consultation, adviser):
        propose_faq(ctx, consultation, adviser)
        return texts.FAQ_PROPOSED.format(number=consultation.id)

    return _act(number, run)
