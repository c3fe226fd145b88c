"""A request's transaction: read-only ones end with COMMIT, anything unsaved is rolled back."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.exc import IntegrityError

from ceu.auth.models import User, UserRole
from ceu.core.transactions import relax_durability
from ceu.extensions import db as _db
from tests.conftest import commit_durability


@pytest.fixture
def endings(app):
    seen: list[str] = []
    engine = _db.engine
    listeners = {
        "commit": lambda conn: seen.append("commit"),
        "rollback": lambda conn: seen.append("rollback"),
    }
    for name, fn in listeners.items():
        event.listen(engine, name, fn)
    yield seen
    for name, fn in listeners.items():
        event.remove(engine, name, fn)


def test_a_read_only_page_ends_with_commit_not_rollback(client, course, endings):
    assert client.get("/courses/minimal-course").status_code == 200
    assert endings == ["commit"]


def _names(user_id):
    _db.session.remove()
    return _db.session.scalar(select(User.full_name).where(User.id == user_id))


def test_unsaved_writes_at_the_end_of_a_request_are_rolled_back(app, make_user):
    user = make_user(full_name="Kept Name")
    with app.app_context(), app.test_request_context("/"):  # its own context and session
        _db.session.execute(update(User).where(User.id == user.id).values(full_name="Lost"))
    assert _names(user.id) == "Kept Name"
    with app.app_context(), app.test_request_context("/"):  # its own context and session
        _db.session.get(User, user.id).full_name = "Lost too"
        _db.session.flush()
    assert _names(user.id) == "Kept Name"


def test_a_failed_savepoint_does_not_make_earlier_writes_look_read_only(app, make_user):
    user = make_user(full_name="Kept Name")  # a learner: (user, "learner") exists already
    with app.app_context(), app.test_request_context("/"):  # its own context and session
        _db.session.execute(update(User).where(User.id == user.id).values(full_name="Lost"))
        with pytest.raises(IntegrityError), _db.session.begin_nested():
            _db.session.add(UserRole(user_id=user.id, role="learner"))
    assert _names(user.id) == "Kept Name"


def test_relax_durability_lasts_one_transaction(app, make_user, commits):
    user = make_user(full_name="Before")
    commits.clear()
    with app.app_context(), app.test_request_context("/"):  # its own context and session
        relax_durability()
        _db.session.execute(update(User).where(User.id == user.id).values(full_name="After"))
        _db.session.commit()
        _db.session.execute(update(User).where(User.id == user.id).values(full_name="Again"))
        _db.session.commit()
    assert commits == ["relaxed", "full"]
    assert _names(user.id) == "Again"  # a relaxed commit is still a commit


def _raw_durability(raw, dialect: str) -> str:
    if dialect == "postgresql":
        value = raw.execute("SHOW synchronous_commit").fetchone()[0]
        raw.rollback()
        return "relaxed" if value == "off" else "full"
    return {1: "relaxed", 2: "full"}[raw.execute("PRAGMA synchronous").fetchone()[0]]


def test_the_connection_is_full_again_once_back_in_the_pool(app, backend):
    """PostgreSQL's switch ends with the transaction; SQLite's is the connection's, and is
    set back when the connection returns to the pool."""
    with app.app_context(), app.test_request_context("/"):
        relax_durability()
        raw = _db.session.connection().connection.dbapi_connection
        assert commit_durability(_db.session.connection()) == "relaxed"
        _db.session.commit()
    assert _raw_durability(raw, backend) == "full"


def test_relaxing_after_the_first_write_applies_where_the_database_allows(
    app, make_user, commits, backend
):
    user = make_user()
    commits.clear()
    with app.app_context(), app.test_request_context("/"):
        _db.session.execute(update(User).where(User.id == user.id).values(full_name="Written"))
        relax_durability()  # SQLite refuses a change inside a transaction: it stays full
        _db.session.commit()
    assert commits == ["full" if backend == "sqlite" else "relaxed"]
