"""Consultation states (see docs/consultation-states.md for the diagram)."""

BOT_ANSWERED = "bot_answered"  # answered from the FAQ; "人工" reopens it for an adviser
WAITING = "waiting_adviser"  # forwarded, an adviser must answer
ALERT = "alert"  # sensitive matter: a person must act now
ADVISER_ANSWERED = "adviser_answered"  # closed: the adviser's answer is in the ledger
NOT_LEGAL = "not_legal"  # closed by the adviser: chatter, not a legal question; left out of statistics

OPEN = (WAITING, ALERT)
ROUTE_BOT = "bot"
ROUTE_ADVISER = "adviser"

LABELS = {
    BOT_ANSWERED: "机器人已答复",
    WAITING: "待顾问答复",
    ALERT: "紧急待处理",
    ADVISER_ANSWERED: "顾问已答复",
    NOT_LEGAL: "非法律问题，已关闭",
}
ROUTE_LABELS = {ROUTE_BOT: "机器人", ROUTE_ADVISER: "顾问"}
ALERT_LABELS = {"self_harm": "自伤自杀风险", "violence": "暴力威胁", "petition": "群体性事件"}
