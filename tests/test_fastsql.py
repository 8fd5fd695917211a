"""bot.fastsql runs prebuilt statements on the driver's cursor: same rows, same values, same errors as
SQLAlchemy's own execution, inside the caller's transaction (on SQLite and on PostgreSQL alike)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError, InvalidRequestError

from bot.fastsql import Prepared, connection_of
from bot.ledger.tables import InboundMessage, OutboxMessage

T0 = dt.datetime(2026, 11, 20, 2, 0, 0, 123456, tzinfo=dt.UTC)
_INBOUND = InboundMessage.__table__
_OUTBOX = OutboxMessage.__table__


def _inbound(key: str, **over) -> dict:
    row = {
        "channel": "official",
        "dedupe_key": key,
        "sender": "o_fast",
        "msg_type": "text",
        "text": "离婚冷静期多久 <script>alert(1)</script> ' OR 1=1 --",
        "media_id": None,
        "event": None,
        "event_key": None,
        "sent_at": T0,
        "received_at": T0 + dt.timedelta(seconds=1),
        "status": "done",
        "response_body": b"\x00\xffreply",
        "error": None,
    }
    return row | over


_INSERT = Prepared(insert(_INBOUND).returning(_INBOUND.c.id))
_BY_KEY = Prepared(
    select(_INBOUND.c.id, _INBOUND.c.sent_at, _INBOUND.c.text, _INBOUND.c.response_body, _INBOUND.c.attempts).where(
        _INBOUND.c.dedupe_key == bindparam("key")
    )
)


def test_rows_written_and_read_match_sqlalchemys_own_execution(services):
    with services.sessions.begin() as session:
        fast_id = _INSERT.scalar(session, _inbound("fast"))
        slow_id = session.connection().execute(insert(_INBOUND).returning(_INBOUND.c.id), _inbound("slow")).scalar()
        assert isinstance(fast_id, int) and fast_id != slow_id
    with services.sessions.begin() as session:
        fast = _BY_KEY.first(session, {"key": "fast"})
        slow = _BY_KEY.first(session, {"key": "slow"})
        orm = session.execute(select(InboundMessage).where(InboundMessage.dedupe_key == "fast")).scalar_one()
        reference = session.connection().execute(_BY_KEY.statement, {"key": "slow"}).one()
    # Same values through either path: aware UTC datetimes, bytes, text, and the column's default (attempts 0).
    assert fast[1:] == slow[1:] == tuple(reference)[1:]
    assert fast[1] == T0 and fast[1].tzinfo is not None
    assert fast[3] == b"\x00\xffreply" and fast[4] == 0
    assert orm.sent_at == T0 and orm.received_at == T0 + dt.timedelta(seconds=1) and orm.text == fast[2]


def test_statements_join_the_callers_transaction(services):
    with pytest.raises(RuntimeError), services.sessions.begin() as session:
        _INSERT.scalar(session, _inbound("rolled-back"))
        assert _BY_KEY.first(session, {"key": "rolled-back"}) is not None  # visible inside
        raise RuntimeError("abort")
    with services.sessions.begin() as session:
        assert _BY_KEY.first(session, {"key": "rolled-back"}) is None


def test_a_session_reuses_its_transactions_connection_and_forgets_it_at_the_end(services):
    session = services.sessions()
    try:
        first = connection_of(session)
        assert first is session.connection() and connection_of(session) is first
        session.commit()
        second = connection_of(session)  # a new transaction, a connection that is open
        assert not second.closed and second is session.connection()
    finally:
        session.close()


def test_executemany_and_in_lists(services):
    rows = [
        {
            "recipient": f"o_{i}",
            "kind": "text",
            "text": f"第{i}条",
            "status": "pending" if i % 2 else "held",
            "attempts": 0,
            "next_attempt_at": T0,
            "consultation_id": None,
            "purpose": "notice",
            "created_at": T0,
        }
        for i in range(5)
    ]
    with services.sessions.begin() as session:
        Prepared(insert(_OUTBOX)).execute_many(session, rows)
        # An IN list is left to SQLAlchemy (rendered per execution): same answer through the same interface.
        held = Prepared(select(_OUTBOX.c.recipient).where(_OUTBOX.c.status.in_(("held",))).order_by(_OUTBOX.c.id))
        assert [r[0] for r in session.connection().execute(held.statement)] == ["o_0", "o_2", "o_4"]
        assert held.first(session) == ("o_0",)
        count = Prepared(select(_OUTBOX.c.id).where(_OUTBOX.c.status == bindparam("status")))
        assert len(count.execute(session, {"status": "pending"}).fetchall()) == 2


def test_a_duplicate_raises_sqlalchemys_integrity_error_without_the_values(services):
    with services.sessions.begin() as session:
        _INSERT.scalar(session, _inbound("dup"))
    with pytest.raises(IntegrityError) as caught, services.sessions.begin() as session:
        _INSERT.scalar(session, _inbound("dup", text="身份证号 110101199003077777"))
    assert "110101199003077777" not in str(caught.value)  # parameters hidden, as the engine's own errors
    with services.sessions.begin() as session:  # the pool's connection is usable again
        assert _BY_KEY.first(session, {"key": "dup"}) is not None


def test_a_missing_parameter_is_named(services):
    with services.sessions.begin() as session, pytest.raises(InvalidRequestError, match="'key'"):
        _BY_KEY.first(session, {})
