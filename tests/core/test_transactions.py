"""A request's transaction: read-only ones end with COMMIT, anything unsaved is rolled back."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.exc import IntegrityError

from ceu.auth.models import User, UserRole
from ceu.extensions import db as _db


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
