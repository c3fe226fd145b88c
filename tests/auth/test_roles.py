"""Role changes: one service for the admin page and the command line."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from ceu.audit.models import AuditEvent
from ceu.auth.models import Role, User, UserRole
from ceu.auth.services import AccountError, change_role
from ceu.extensions import db


def test_two_admins_removing_each_other_at_once_leave_one_admin(app, make_user):
    first, second = make_user(Role.ADMIN), make_user(Role.ADMIN)
    first_id, second_id = first.id, second.id
    removed, go_on = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def remove(actor_id: int, user_id: int, name: str, hold: bool) -> None:
        with app.app_context():
            try:
                change_role(
                    actor=db.session.get(User, actor_id),
                    user=db.session.get(User, user_id),
                    role=Role.ADMIN,
                    grant=False,
                )
                if hold:  # keep the transaction open while the other one starts
                    removed.set()
                    go_on.wait(10)
                db.session.commit()
                outcome[name] = "removed"
            except AccountError as exc:
                db.session.rollback()
                outcome[name] = str(exc)
            finally:
                removed.set()
                db.session.remove()

    one = threading.Thread(target=remove, args=(first_id, second_id, "one", True))
    one.start()
    assert removed.wait(10)
    two = threading.Thread(target=remove, args=(second_id, first_id, "two", False))
    two.start()
    two.join(0.5)  # it waits for the first transaction (a lock, or SQLite's one writer)
    assert two.is_alive()
    go_on.set()
    one.join(10)
    two.join(10)
    assert outcome["one"] == "removed"
    assert "last active admin" in str(outcome["two"])
    db.session.expire_all()
    admins = db.session.scalars(
        select(User.email).where(User.roles.any(UserRole.role == Role.ADMIN.value))
    ).all()
    assert admins == [first.email]
    assert db.session.scalars(select(AuditEvent.action)).all() == ["user.role_revoke"]


def test_staff_roles_only_and_the_learner_role_stays(app, make_user):
    user = make_user()
    assert change_role(actor=None, user=user, role=Role.LEARNER, grant=True) is False
    with pytest.raises(AccountError, match="cannot be removed"):
        change_role(actor=None, user=user, role=Role.LEARNER, grant=False)
    assert change_role(actor=None, user=user, role=Role.INSTRUCTOR, grant=False) is False
    assert db.session.scalars(select(AuditEvent)).all() == []
