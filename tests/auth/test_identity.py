"""The signed-in user is read once per request, in one statement, and stays a real model."""

from __future__ import annotations

from ceu.auth import services
from ceu.auth.models import Role, User
from ceu.auth.queries import identity
from ceu.extensions import db as _db
from tests.conftest import StatementCounter, log_in, post_form


def test_identity_reads_user_and_roles_in_one_statement(app, make_user):
    admin = make_user(Role.ADMIN)
    expected = admin.role_set  # from the UserRole rows, as the ORM loads them
    _db.session.remove()
    with StatementCounter(_db.engine) as counter:
        user = identity(admin.id)
        assert user.role_set == expected
        assert user.has_role(Role.ADMIN)
        assert user.email == admin.email
        assert "roles" not in user.__dict__  # no UserRole objects were built
    assert counter.count == 1
    assert identity(admin.id) is user  # the session's own copy, not a second one
    assert identity(987654321) is None


def test_identity_user_is_persistent_changes_flush_and_roles_load_on_demand(app, make_user):
    learner = make_user(Role.LEARNER)
    _db.session.remove()
    user = identity(learner.id)
    user.full_name = "Renamed Counselor"
    # granting loads the UserRole rows
    assert services.change_role(actor=None, user=user, role=Role.INSTRUCTOR, grant=True)
    assert user.has_role(Role.INSTRUCTOR)  # the loaded collection is the truth now
    _db.session.commit()
    _db.session.remove()
    fresh = _db.session.get(User, learner.id)
    assert fresh.full_name == "Renamed Counselor"
    assert fresh.has_role(Role.INSTRUCTOR)


def test_a_revoked_role_is_refused_on_the_very_next_request(client, make_user):
    admin, other = make_user(Role.ADMIN), make_user(Role.ADMIN)
    log_in(client, admin)
    assert client.get("/admin/").status_code == 200
    services.change_role(
        actor=other, user=_db.session.get(User, admin.id), role=Role.ADMIN, grant=False
    )
    _db.session.commit()
    assert client.get("/admin/").status_code == 403


def test_profile_changes_of_the_signed_in_user_are_saved(client, login_as):
    learner = login_as(complete_profile=False)
    response = post_form(
        client,
        "/account/profile",
        {
            "full_name": learner.full_name,
            "credential": "LPC",
            "license_number": "X-12345",
            "license_state": "Ohio",
        },
    )
    assert response.status_code == 302
    _db.session.remove()
    saved = _db.session.get(User, learner.id)
    assert (saved.credential, saved.license_number, saved.license_state) == (
        "LPC",
        "X-12345",
        "Ohio",
    )
