"""Engine and session factory, built once per process by the composition root."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from pathlib import Path

from sqlalchemy import Engine, Table, create_engine, event
from sqlalchemy.dialects import postgresql as postgresql_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

_holders: dict[int, sqlite3.Connection] = {}  # thread id → the connection holding the write lock


def _write_locked(lock_path: Path) -> type[sqlite3.Connection]:
    """A sqlite3 connection class whose transactions hold an flock on ``<database>.lock``.

    SQLite lets one writer in at a time, and a process that finds the database busy sleeps in steps of 1 to
    100 ms before it looks again: with several gunicorn workers, that sleeping, not the work, bounded the
    webhook's throughput and latency. Waiting on a file lock instead hands the database over the moment a
    transaction ends. SQLite's own locking is unchanged underneath (busy_timeout still covers other tools).
    """

    class WriteLockedConnection(sqlite3.Connection):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            # Read-only is enough for flock, so a lock file created by another user (root running a CLI
            # command) still works for the service's user.
            self._lock_fd = os.open(lock_path, os.O_RDONLY | os.O_CREAT, 0o664)
            self._holder: int | None = None

        def acquire_write_lock(self) -> None:
            """Called as a transaction begins; blocks until no other connection is in a transaction."""
            if self._holder is not None:
                return
            thread = threading.get_ident()
            if thread in _holders:
                raise RuntimeError("a second SQLite transaction in the same thread would wait for the first forever")
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
            self._holder, _holders[thread] = thread, self

        def release_write_lock(self) -> None:
            if self._holder is None:
                return
            _holders.pop(self._holder, None)
            self._holder = None
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

        def commit(self) -> None:
            try:
                super().commit()
            finally:
                self.release_write_lock()

        def rollback(self) -> None:
            try:
                super().rollback()
            finally:
                self.release_write_lock()

        def close(self) -> None:
            try:
                super().close()
            finally:
                self.release_write_lock()
                if self._lock_fd >= 0:
                    os.close(self._lock_fd)
                    self._lock_fd = -1

    return WriteLockedConnection


def build_engine(url: str) -> Engine:
    """Create the engine; SQLite gets WAL and a busy timeout so web and worker can share the file.

    ``hide_parameters``: a database error's text (logged, and kept in ``inbound_messages.error``) would
    otherwise carry the statement's values: consultation text, password and login-code hashes.
    """
    if url.startswith("sqlite"):
        db_path = url.split("///", 1)[-1]
        connect_args: dict = {"timeout": 30, "check_same_thread": False}
        if db_path and db_path != ":memory:" and not db_path.startswith("file:"):
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
            connect_args["factory"] = _write_locked(Path(db_path + ".lock"))
        engine = create_engine(url, connect_args=connect_args, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - exercised on every connect
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        # pysqlite's own transaction handling defers BEGIN; emit it ourselves so locks are taken up front.
        @event.listens_for(engine, "connect")
        def _no_autobegin(dbapi_conn, _record):
            dbapi_conn.isolation_level = None

        # BEGIN goes straight to the driver: every webhook message begins one, exec_driver_sql costs 10x more.
        @event.listens_for(engine, "begin")
        def _begin_immediate(conn):
            dbapi_conn = conn.connection.dbapi_connection
            locking = hasattr(dbapi_conn, "acquire_write_lock")
            if locking:
                dbapi_conn.acquire_write_lock()
            try:
                dbapi_conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                if locking:
                    dbapi_conn.release_write_lock()
                raise DBAPIError.instance("BEGIN IMMEDIATE", None, exc, sqlite3.Error, dialect=conn.dialect) from exc
            except BaseException:
                if locking:
                    dbapi_conn.release_write_lock()
                raise

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, hide_parameters=True)


CONNECTION = "connection"  # Session.info key: the connection of the session's open transaction


def build_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that remember their transaction's connection (bot.fastsql reads it: ``Session.connection()``
    costs tens of microseconds a call, and the webhook's statements asked for it a dozen times a message)."""
    factory = sessionmaker(engine, expire_on_commit=False)
    event.listen(factory, "after_begin", _remember_connection)
    event.listen(factory, "after_transaction_end", _forget_connection)
    return factory


def _remember_connection(session: Session, transaction, connection) -> None:
    session.info[CONNECTION] = connection


def _forget_connection(session: Session, transaction) -> None:
    if transaction.parent is None:  # the root transaction: its connection goes back to the pool
        session.info.pop(CONNECTION, None)


_DIALECT_INSERTS = {"sqlite": sqlite_dialect.insert, "postgresql": postgresql_dialect.insert}


def insert_skipping_duplicates(table: Table, conflict_columns: list[str], dialect: str):
    """``INSERT … ON CONFLICT DO NOTHING``: a duplicate is skipped without an exception (or a rollback)."""
    return _DIALECT_INSERTS[dialect](table).on_conflict_do_nothing(index_elements=conflict_columns)


def upsert(table: Table, conflict_columns: list[str], dialect: str, update_columns: list[str]):
    """``INSERT … ON CONFLICT DO UPDATE`` of the named columns from the values given."""
    stmt = _DIALECT_INSERTS[dialect](table)
    return stmt.on_conflict_do_update(
        index_elements=conflict_columns, set_={c: stmt.excluded[c] for c in update_columns}
    )
