"""Sessions can be revoked: a per-user generation in every session and remember cookie.

Changing or resetting the password, deactivation and "sign out everywhere else" end every
other session; logging out turns away a copy of the cookie; the session starts anew at
log-in and carries no privileges (they are read from the database on every request).
"""

from __future__ import annotations

from typing import Any

import pytest

from ceu.auth import services
from ceu.auth.models import Role, User
from ceu.extensions import db
from tests.conftest import PASSWORD, csrf_from, post_form

NEW_PASSWORD = "a different long passphrase 42"


@pytest.fixture
def app_config(app_config):
    app_config["RATELIMIT_ENABLED"] = False  # several log-ins from one address per test
    return app_config


def _log_in(app, user: User, *, remember: bool = False) -> Any:
    """A new browser that logged in through the form."""
    client = app.test_client()
    data = {"email": user.email, "password": PASSWORD, **({"remember": "y"} if remember else {})}
    resp = post_form(client, "/login", data)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return client


def _signed_in(client) -> bool:
    resp = client.get("/account/profile")
    return resp.status_code == 200


def _copy_cookies(app, source, *names: str) -> Any:
    copy = app.test_client()
    for name in names:
        cookie = source.get_cookie(name)
        assert cookie is not None, f"no {name} cookie to copy"
        copy.set_cookie(name, cookie.value)
    return copy


def test_changing_the_password_ends_every_other_session(app, make_user):
    user = make_user()
    here, elsewhere = _log_in(app, user), _log_in(app, user, remember=True)
    resp = post_form(
        here,
        "/account/password",
        {"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert resp.status_code == 302
    assert _signed_in(here)
    assert not _signed_in(elsewhere)
    assert not _signed_in(_copy_cookies(app, elsewhere, "remember_token"))


def test_a_password_reset_ends_every_session(app, make_user):
    user = make_user()
    browser = _log_in(app, user, remember=True)
    token = services.make_reset_token(user=user)
    resp = post_form(
        app.test_client(),
        f"/password/reset/{token}",
        {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert resp.status_code == 302
    assert not _signed_in(browser)


def test_deactivating_an_account_ends_its_sessions_and_reactivating_does_not_revive_them(
    app, make_user
):
    user = make_user()
    browser = _log_in(app, user, remember=True)
    remembered = _copy_cookies(app, browser, "remember_token")
    assert services.set_active(user=db.session.get(User, user.id), active=False)
    db.session.commit()
    assert not _signed_in(browser)
    assert services.set_active(user=db.session.get(User, user.id), active=True)
    db.session.commit()
    assert not _signed_in(browser)
    assert not _signed_in(remembered)
    assert _signed_in(_log_in(app, user))


def test_sign_out_everywhere_else_keeps_this_device_only(app, make_user):
    user = make_user()
    here, elsewhere = _log_in(app, user, remember=True), _log_in(app, user, remember=True)
    page = here.get("/account/profile").get_data(as_text=True)
    assert "Sign out everywhere else" in page
    resp = here.post("/account/sessions/end", data={"csrf_token": csrf_from(page)})
    assert resp.status_code == 302
    assert _signed_in(here)
    assert _signed_in(_copy_cookies(app, here, "remember_token"))  # reissued for this device
    assert not _signed_in(elsewhere)
    assert not _signed_in(_copy_cookies(app, elsewhere, "remember_token"))


def test_logging_out_turns_away_a_copy_of_the_session_and_remember_cookies(app, make_user):
    user = make_user()
    browser = _log_in(app, user, remember=True)
    stolen = _copy_cookies(app, browser, "session", "remember_token")
    stolen_remember = _copy_cookies(app, browser, "remember_token")
    assert _signed_in(stolen)
    page = browser.get("/account/profile").get_data(as_text=True)
    assert browser.post("/logout", data={"csrf_token": csrf_from(page)}).status_code == 302
    assert not _signed_in(browser)
    assert not _signed_in(stolen)
    assert not _signed_in(stolen_remember)


def test_a_forged_or_outdated_session_id_is_anonymous(app, make_user):
    user = make_user()
    for session_id in (str(user.id), f"{user.id}.{user.session_generation + 1}", "x.0", ""):
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = session_id
        assert not _signed_in(client), session_id


def test_the_session_starts_anew_at_log_in(app, make_user):
    """No pre-log-in state (a planted cookie, its CSRF token) carries into the session."""
    user = make_user()
    client = app.test_client()
    before_html = client.get("/login").get_data(as_text=True)
    planted = client.get_cookie("session").value
    resp = client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_from(before_html)},
    )
    assert resp.status_code == 302
    assert client.get_cookie("session").value != planted
    after_html = client.get("/account/profile").get_data(as_text=True)
    assert csrf_from(after_html) != csrf_from(before_html)
    replay = app.test_client()
    replay.set_cookie("session", planted)
    assert not _signed_in(replay)


def test_privileges_follow_the_database_not_the_session(app, make_user):
    """A role granted or removed applies to the next request of an existing session."""
    admin, user = make_user(Role.ADMIN), make_user()
    browser = _log_in(app, user)
    assert browser.get("/admin/").status_code == 403
    target = db.session.get(User, user.id)
    services.change_role(actor=admin, user=target, role=Role.ADMIN, grant=True)
    db.session.commit()
    assert browser.get("/admin/").status_code == 200
    services.change_role(actor=admin, user=target, role=Role.ADMIN, grant=False)
    db.session.commit()
    assert browser.get("/admin/").status_code == 403


def test_signed_in_pages_are_not_cached_and_logout_clears_the_browser(app, make_user):
    browser = _log_in(app, make_user())
    page = browser.get("/dashboard")
    assert page.headers["Cache-Control"] == "private, no-store"
    assert "no-store" not in app.test_client().get("/courses").headers.get("Cache-Control", "")
    token = csrf_from(browser.get("/account/profile").get_data(as_text=True))
    out = browser.post("/logout", data={"csrf_token": token})
    assert out.headers["Clear-Site-Data"] == '"cache", "storage"'
