"""The `ceu` command line: users and demo accounts."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ceu.audit.models import AuditEvent
from ceu.auth.models import Role
from ceu.auth.services import find_user_by_email
from ceu.cli import cli


@pytest.fixture
def run(app):
    runner = app.test_cli_runner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(cli, list(args), input=input)

    return invoke


def test_users_create_with_role_and_prompted_password(run, db):
    result = run(
        "users",
        "create",
        "--email",
        "Boss@Example.org",
        "--name",
        "Bo Ss",
        "--role",
        "admin",
        input="a sturdy passphrase 42\na sturdy passphrase 42\n",
    )
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    user = find_user_by_email("boss@example.org")
    assert user.role_set == {Role.ADMIN, Role.LEARNER}
    assert "a sturdy passphrase" not in result.output.split("Created")[-1]


def test_users_create_refuses_weak_password(run, db):
    result = run(
        "users", "create", "--email", "x@example.org", "--name", "X", "--password", "short"
    )
    assert result.exit_code != 0
    assert "at least 12" in result.output
    assert find_user_by_email("x@example.org") is None


def test_grant_and_revoke_roles(run, db, make_user):
    user = make_user()
    assert run("users", "grant", user.email, "instructor").exit_code == 0
    db.session.expire_all()
    assert find_user_by_email(user.email).has_role(Role.INSTRUCTOR)
    assert "already has" in run("users", "grant", user.email, "instructor").output
    assert run("users", "revoke", user.email, "instructor").exit_code == 0
    db.session.expire_all()
    assert not find_user_by_email(user.email).has_role(Role.INSTRUCTOR)


def test_role_changes_from_the_command_line_are_audited_as_the_system(run, db, make_user):
    user = make_user()
    assert run("users", "grant", user.email, "admin").exit_code == 0
    assert run("users", "grant", user.email, "admin").exit_code == 0  # no change, no event
    assert run("users", "revoke", user.email, "instructor").exit_code == 0  # ditto
    make_user(Role.ADMIN)
    assert run("users", "revoke", user.email, "admin").exit_code == 0
    events = db.session.execute(
        select(AuditEvent.action, AuditEvent.actor_label, AuditEvent.target_id, AuditEvent.details)
        .where(AuditEvent.target_type == "user")
        .order_by(AuditEvent.id)
    ).all()
    assert [tuple(e) for e in events] == [
        ("user.role_grant", "system", user.email, {"role": "admin"}),
        ("user.role_revoke", "system", user.email, {"role": "admin"}),
    ]


def test_the_last_active_admin_cannot_be_removed_from_the_command_line(run, db, make_user):
    admin = make_user(Role.ADMIN)
    retired = make_user(Role.ADMIN)
    retired.is_active_account = False  # a disabled admin cannot log in to help
    db.session.commit()
    result = run("users", "revoke", admin.email, "admin")
    assert result.exit_code != 0
    assert "last active admin" in result.output
    db.session.expire_all()
    assert find_user_by_email(admin.email).has_role(Role.ADMIN)
    assert db.session.scalars(select(AuditEvent)).all() == []
    # the disabled one may lose the role: the active admin remains
    assert run("users", "revoke", retired.email, "admin").exit_code == 0


def test_learner_role_cannot_be_revoked(run, make_user):
    user = make_user()
    result = run("users", "revoke", user.email, "learner")
    assert result.exit_code != 0
    assert "cannot be removed" in result.output


def test_grant_to_unknown_user_fails_clearly(run):
    result = run("users", "grant", "ghost@example.org", "admin")
    assert result.exit_code != 0
    assert "No account" in result.output


def test_unknown_role_is_refused(run, make_user):
    user = make_user()
    assert run("users", "grant", user.email, "superuser").exit_code != 0


def test_demo_accounts_print_passwords_once(run, db):
    first = run("demo-accounts")
    assert first.exit_code == 0
    assert first.output.count("password:") == 3
    second = run("demo-accounts")
    assert "password:" not in second.output
    db.session.expire_all()
    assert find_user_by_email("admin@example.org").has_role(Role.ADMIN)
    assert find_user_by_email("instructor@example.org").has_role(Role.INSTRUCTOR)
