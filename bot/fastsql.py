"""Prebuilt Core statements run straight on the driver's cursor: the webhook's hot path.

SQLAlchemy's ``Connection.execute`` spends about 60 µs of Python on each statement (execution context,
parameter processing, result wrapping) where the driver itself needs about 5 µs, and a message runs about
ten statements (bench/load.py). ``Prepared`` lets SQLAlchemy compile the statement once per dialect — the
same SQL, the same type conversions (the column types' bind and result processors) — and then runs it on
the DBAPI cursor of the caller's connection, inside the caller's transaction. Driver errors come out as
SQLAlchemy's DBAPIError, and a connection found dead is invalidated, as ``Connection.execute`` would do.

Statements the plan cannot take as they are (Python-side column defaults, IN lists, escaped parameter
names) run through ``Connection.execute``: slower, never different.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, InvalidRequestError
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable
from sqlalchemy.util import symbol

from bot.db import CONNECTION

_REQUIRED = symbol("REQUIRED")  # what SQLAlchemy's compiler holds for a parameter the caller must give


_GIVEN = object()  # a parameter the caller passes (as opposed to a value embedded in the statement)


@dataclass(frozen=True)
class _Plan:
    sql: str
    # (name, value or _GIVEN, the type's bind processor) for each parameter, in the SQL's order
    steps: tuple[tuple[str, Any, Callable | None], ...]
    positional: bool
    result: tuple[Callable | None, ...]  # per selected column: the type's result processor


def connection_of(target: Session | Connection) -> Connection:
    """The connection to run on: a session's transaction's (begun if need be), or the connection given."""
    if isinstance(target, Connection):
        return target
    conn = target.info.get(CONNECTION)
    return conn if conn is not None else target.connection()


class Prepared:
    """One Core statement, compiled once per dialect (and per set of INSERT/UPDATE keys).

    Each method takes a Session (its transaction's connection) or a Connection.
    """

    def __init__(self, statement: Executable):
        self.statement = statement
        self._plans: dict[tuple, _Plan | None] = {}

    # ---- running -------------------------------------------------------------------------------------
    def execute(self, target: Session | Connection, params: dict | None = None):
        """Run it; returns the DBAPI cursor (or SQLAlchemy's result where the plan fell back)."""
        conn, params = connection_of(target), params or {}
        plan = self._plan(conn, params)
        if plan is None:
            return conn.execute(self.statement, params)
        return self._run(conn, plan, _values(plan, params), many=False)

    def execute_many(self, target: Session | Connection, rows: Sequence[dict]) -> None:
        """One statement for several rows (executemany); the rows must share their keys."""
        if not rows:
            return
        conn = connection_of(target)
        plan = self._plan(conn, rows[0])
        if plan is None:
            conn.execute(self.statement, list(rows))
            return
        self._run(conn, plan, [_values(plan, row) for row in rows], many=True).close()

    def first(self, target: Session | Connection, params: dict | None = None) -> tuple | None:
        """The first row, its values converted as SQLAlchemy would; None when there is none."""
        conn, params = connection_of(target), params or {}
        plan = self._plan(conn, params)
        if plan is None:
            row = conn.execute(self.statement, params).first()
            return tuple(row) if row is not None else None
        cursor = self._run(conn, plan, _values(plan, params), many=False)
        row = cursor.fetchone()
        cursor.close()
        if row is None:
            return None
        return tuple(value if proc is None else proc(value) for proc, value in zip(plan.result, row, strict=False))

    def scalar(self, target: Session | Connection, params: dict | None = None):
        row = self.first(target, params)
        return row[0] if row is not None else None

    # ---- planning ------------------------------------------------------------------------------------
    def _plan(self, conn: Connection, params: dict) -> _Plan | None:
        dialect = conn.dialect
        key = (dialect.name, dialect.driver, frozenset(params))
        try:
            return self._plans[key]
        except KeyError:
            plan = self._plans[key] = _compile(self.statement, dialect, sorted(params))
            return plan

    def _run(self, conn: Connection, plan: _Plan, values, *, many: bool):
        if not conn.in_transaction():
            conn.begin()  # as Connection.execute's autobegin: the statement is part of a transaction
        dbapi_conn = conn.connection.dbapi_connection
        cursor = dbapi_conn.cursor()
        try:
            if many:
                cursor.executemany(plan.sql, values)
            else:
                cursor.execute(plan.sql, values)
        except conn.dialect.loaded_dbapi.Error as exc:
            cursor.close()
            dead = conn.dialect.is_disconnect(exc, dbapi_conn, cursor)
            if dead:
                conn.invalidate(exc)
            raise DBAPIError.instance(
                plan.sql,
                None,
                exc,
                conn.dialect.loaded_dbapi.Error,
                hide_parameters=True,
                connection_invalidated=dead,
                dialect=conn.dialect,
                ismulti=many,
            ) from exc
        return cursor


def _values(plan: _Plan, params: dict):
    """The statement's parameters in the driver's form, through the types' bind processors."""
    values = []
    for name, value, proc in plan.steps:
        if value is _GIVEN:
            value = params[name]
        values.append(value if proc is None else proc(value))
    if plan.positional:
        return values
    return dict(zip((step[0] for step in plan.steps), values, strict=True))


def _compile(statement: Executable, dialect, keys: list[str]) -> _Plan | None:
    compiled = statement.compile(dialect=dialect, column_keys=keys)
    prefetch = [*getattr(compiled, "insert_prefetch", ()), *getattr(compiled, "update_prefetch", ())]
    fixed = {}  # columns left out whose Python-side default is a constant
    for column in prefetch:
        default = column.default if column in getattr(compiled, "insert_prefetch", ()) else column.onupdate
        if default is None or not default.is_scalar:
            return None  # a default to compute per row: Connection.execute does that
        fixed[column.key] = default.arg
    if getattr(compiled, "escaped_bind_names", None) or any(
        b.expanding or b.literal_execute for b in compiled.binds.values()
    ):
        return None  # IN lists and values rendered at execution: Connection.execute renders them
    positional = bool(compiled.positional)
    by_name = {name: param for param, name in compiled.bind_names.items()}
    names = tuple(compiled.positiontup) if positional else tuple(by_name)
    embedded = compiled.construct_params(_check=False)
    defaults = {
        name: value
        for name, value in embedded.items()
        if value is not _REQUIRED and not (name in by_name and by_name[name].required)
    } | fixed
    bind = {}
    for name, param in by_name.items():
        proc = param.type.dialect_impl(dialect).bind_processor(dialect)
        if proc is not None:
            bind[name] = proc
    columns = getattr(statement, "selected_columns", None)
    if columns is None:
        columns = getattr(statement, "_returning", ())
    result = tuple(column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns)
    steps = []
    for name in names:
        if name in keys:
            value = _GIVEN
        elif name in defaults:
            value = defaults[name]
        else:
            raise InvalidRequestError(f"A value is required for bind parameter {name!r}")
        steps.append((name, value, bind.get(name)))
    return _Plan(compiled.string, tuple(steps), positional, result)
