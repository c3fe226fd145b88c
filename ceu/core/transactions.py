"""End read-only requests with COMMIT, so PostgreSQL keeps its prepared statements.

psycopg prepares a statement on the server after it has run a few times on a connection,
and then PostgreSQL no longer plans it on every execution (planning the dashboard's
statement costs more than running it). But psycopg forgets every prepared statement on
ROLLBACK, and a request's session ends with a rollback when the view did not commit,
which is every page that only reads. So: when a request succeeded and its transaction
wrote nothing, commit it instead (for a read-only transaction the two are the same to
the database). A transaction that wrote anything without committing is left alone and
rolled back as before.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from sqlalchemy.sql.elements import TextClause

from ceu.extensions import db

WROTE = "ceu_wrote"


def _is_read(state: ORMExecuteState) -> bool:
    statement = state.statement
    if isinstance(statement, TextClause):
        return statement.text.lstrip()[:6].upper() == "SELECT"
    return bool(state.is_select) and not getattr(statement, "_for_update_arg", None)


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
