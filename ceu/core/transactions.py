"""A request's transaction: read-only ones end with COMMIT; low-value ones may skip the fsync.

End read-only requests with COMMIT, so PostgreSQL keeps its prepared statements.

psycopg prepares a statement on the server after it has run a few times on a connection,
and then PostgreSQL no longer plans it on every execution (planning the dashboard's
statement costs more than running it). But psycopg forgets every prepared statement on
ROLLBACK, and a request's session ends with a rollback when the view did not commit,
which is every page that only reads. So: when a request succeeded and its transaction
wrote nothing, commit it instead (for a read-only transaction the two are the same to
the database). A transaction that wrote anything without committing is left alone and
rolled back as before.

`relax_durability()` lets one transaction's commit return before its WAL reaches the disk
(see its docstring): for the reading-time record a module page writes on every view.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from sqlalchemy.sql.elements import TextClause

from ceu.extensions import db

WROTE = "ceu_wrote"
RELAXED = "ceu_relaxed_durability"  # on a pooled SQLite connection's info
SQLITE_SYNCHRONOUS = "FULL"  # every commit fsyncs the WAL (set on connect, see ceu.app)


def _is_read(state: ORMExecuteState) -> bool:
    statement = state.statement
    if isinstance(statement, TextClause):
        return statement.text.lstrip()[:6].upper() == "SELECT"
    # SELECT ... FOR UPDATE takes a lock: a write for this purpose (its ForUpdateArg has
    # no truth value, so compare with None)
    return bool(state.is_select) and getattr(statement, "_for_update_arg", None) is None


def _note_statement(state: ORMExecuteState) -> None:
    if not _is_read(state):
        state.session.info[WROTE] = True


def _note_flush(session: Session, _context: Any) -> None:
    session.info[WROTE] = True


def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended: commit or rollback
        session.info.pop(WROTE, None)


def init_transactions(app: Flask) -> None:
    session_class = db.session.session_factory.class_
    if not event.contains(session_class, "do_orm_execute", _note_statement):
        event.listen(session_class, "do_orm_execute", _note_statement)
        event.listen(session_class, "after_flush", _note_flush)
        event.listen(session_class, "after_transaction_end", _forget)
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite" and not event.contains(
            engine, "checkin", _restore_durability
        ):
            event.listen(engine, "checkin", _restore_durability)

    @app.teardown_appcontext
    def commit_read_only(exc: BaseException | None) -> None:
        # runs before Flask-SQLAlchemy's own teardown (registered earlier), which closes
        # the session: a transaction still open then is rolled back
        if exc is not None or not db.session.registry.has():
            return
        session = db.session()
        if not session.in_transaction() or session.info.get(WROTE):
            return
        if session.new or session.dirty or session.deleted:
            return
        try:
            session.commit()
        except SQLAlchemyError:
            session.rollback()


def relax_durability() -> None:
    """Let this transaction's commit return before its log reaches the disk.

    Only for writes whose loss in a power cut or an operating-system crash costs next to
    nothing and can be told apart from nothing else: the time and position a module page
    records on every view (at worst a learner is credited a few seconds less and resumes
    one page back). The database stays consistent either way, an application crash loses
    nothing, and every other transaction still waits for the disk, which also hardens
    anything committed before it. Call it before the transaction's first write.

    PostgreSQL: `SET LOCAL synchronous_commit = off`, its per-transaction switch for
    exactly this ("asynchronous commit"); it ends with the transaction. SQLite in WAL
    mode: `PRAGMA synchronous = NORMAL` (commits skip the fsync; the WAL is synced at the
    next full commit or checkpoint). SQLite refuses the change inside a transaction, so
    there it applies only when none has begun (otherwise the commit stays full), and the
    connection is set back to FULL when it returns to the pool.
    """
    session = db.session()
    connection = session.connection()
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.execute(text("SET LOCAL synchronous_commit = off"))
    elif dialect == "sqlite":
        raw = connection.connection.dbapi_connection
        if raw is not None and not raw.in_transaction:
            raw.execute("PRAGMA synchronous = NORMAL")
            connection.connection.info[RELAXED] = True


def _restore_durability(dbapi_connection: Any, record: Any) -> None:
    if record.info.pop(RELAXED, False) and dbapi_connection is not None:
        dbapi_connection.execute(f"PRAGMA synchronous = {SQLITE_SYNCHRONOUS}")
