"""Registration, log-in/out, profile and password change, with their bad inputs."""

from __future__ import annotations

from sqlalchemy import func, select

from ceu.auth.models import Role, User
from tests.conftest import PASSWORD, csrf_from, post_form

GOOD = "a sturdy passphrase 42"


def count_users(db) -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def register(client, **overrides):
    data = {
        "full_name": "Dana M. Rivera",
        "email": "dana@example.org",
        "password": GOOD,
        "confirm": GOOD,
        **overrides,
    }
    return post_form(client, "/register", data)


def test_register_creates_learner_and_logs_in(client, db):
    resp = register(client)
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith("/account/profile")
    user = db.session.scalar(select(User).where(User.email == "dana@example.org"))
    assert user.full_name == "Dana M. Rivera"
    assert user.role_set == {Role.LEARNER}
    assert user.password_hash.startswith("$argon2id$")
    assert not user.has_complete_profile
    assert "Your professional profile" in client.get("/account/profile").get_data(as_text=True)


def test_register_normalizes_email_case(client, db):
    register(client, email="  Dana@Example.ORG ")
    assert db.session.scalar(select(User.email)) == "dana@example.org"


def test_register_duplicate_email_refused(client, db, make_user):
    make_user(email="dana@example.org")
    resp = register(client, email="DANA@example.org")
    assert resp.status_code == 422
    assert "already exists" in resp.get_data(as_text=True)
    assert count_users(db) == 1


def test_register_short_password_refused(client, db):
    resp = register(client, password="short pass", confirm="short pass")
    assert resp.status_code == 422
    assert "at least 12" in resp.get_data(as_text=True)
    assert count_users(db) == 0


def test_register_common_password_refused(client, db):
    resp = register(client, password="password1234", confirm="password1234")
    assert resp.status_code == 422
    assert "too common" in resp.get_data(as_text=True)
    assert count_users(db) == 0


def test_register_mismatched_confirmation_refused(client, db):
    resp = register(client, confirm=GOOD + "x")
    assert resp.status_code == 422
    assert "do not match" in resp.get_data(as_text=True)
    assert count_users(db) == 0


def test_register_invalid_email_refused(client, db):
    resp = register(client, email="not-an-address")
    assert resp.status_code == 422
    assert count_users(db) == 0


def test_post_without_csrf_token_is_400_and_changes_nothing(client, db):
    resp = client.post(
        "/register",
        data={"full_name": "X Y", "email": "x@example.org", "password": GOOD, "confirm": GOOD},
    )
    assert resp.status_code == 400
    assert "form expired" in resp.get_data(as_text=True)
    assert count_users(db) == 0


def test_post_with_forged_csrf_token_is_400(client, db):
    resp = client.post(
        "/register",
        data={
            "full_name": "X Y",
            "email": "x@example.org",
            "password": GOOD,
            "confirm": GOOD,
            "csrf_token": "forged.token.value",
        },
    )
    assert resp.status_code == 400
    assert count_users(db) == 0


def login(client, email, password, **extra):
    return post_form(client, "/login", {"email": email, "password": password, **extra})


def test_login_and_logout(client, make_user):
    user = make_user()
    resp = login(client, user.email, PASSWORD)
    assert resp.status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert f"Signed in as {user.full_name}" in home
    token = csrf_from(home)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert "Signed in as" not in client.get("/").get_data(as_text=True)


def test_logout_without_csrf_token_keeps_session(client, login_as):
    user = login_as()
    assert client.post("/logout").status_code == 400
    assert f"Signed in as {user.full_name}" in client.get("/").get_data(as_text=True)


def test_wrong_password_and_unknown_email_get_identical_answers(client, make_user):
    user = make_user()
    wrong = login(client, user.email, "not the password at all")
    unknown = login(client, "nobody@example.org", "not the password at all")
    assert wrong.status_code == unknown.status_code == 422
    msg = "The e-mail address or password is not correct."
    assert msg in wrong.get_data(as_text=True)
    assert msg in unknown.get_data(as_text=True)


def test_login_email_is_case_insensitive(client, make_user):
    user = make_user(email="case@example.org")
    assert login(client, "CASE@example.org", PASSWORD).status_code == 302
    assert user.id


def test_remember_me_sets_persistent_cookie(client, make_user):
    user = make_user()
    resp = login(client, user.email, PASSWORD, remember="y")
    cookies = resp.headers.getlist("Set-Cookie")
    remember = [c for c in cookies if c.startswith("remember_token=")]
    assert remember
    assert "HttpOnly" in remember[0]
    assert "Expires=" in remember[0]


def test_session_cookie_is_httponly_and_lax(client, make_user):
    user = make_user()
    resp = login(client, user.email, PASSWORD)
    session_cookie = [c for c in resp.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert session_cookie
    assert "HttpOnly" in session_cookie[0]
    assert "SameSite=Lax" in session_cookie[0]


def test_session_cookie_secure_when_configured(app_config, make_user):
    from ceu import create_app

    app_config["SESSION_COOKIE_SECURE"] = True
    app = create_app(app_config)
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_login_next_parameter_refuses_other_sites(client, make_user):
    user = make_user()
    html = client.get("/login").get_data(as_text=True)
    resp = client.post(
        "/login?next=https://evil.example/steal",
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_from(html)},
    )
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/"


def test_login_next_parameter_keeps_local_path(client, make_user):
    user = make_user()
    html = client.get("/login").get_data(as_text=True)
    resp = client.post(
        "/login?next=/account/profile",
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_from(html)},
    )
    assert resp.headers["Location"] == "/account/profile"


def test_login_rate_limited_per_account(client, make_user):
    user = make_user()
    statuses = [login(client, user.email, f"wrong password {i}").status_code for i in range(6)]
    assert statuses[:5] == [422] * 5
    assert statuses[5] == 429
    # the right password is refused too while the limit holds
    assert login(client, user.email, PASSWORD).status_code == 429


def test_login_rate_limited_per_address_across_accounts(client, make_user):
    statuses = [
        login(client, f"user{i}@example.org", "wrong password x").status_code for i in range(6)
    ]
    assert statuses[-1] == 429


def test_disabled_account_cannot_log_in(client, db, make_user):
    user = make_user()
    user.is_active_account = False
    db.session.commit()
    assert login(client, user.email, PASSWORD).status_code == 422


def test_profile_update(client, db, login_as):
    user = login_as(complete_profile=False)
    resp = post_form(
        client,
        "/account/profile",
        {
            "full_name": "  Dana   Rivera ",
            "credential": "LPC",
            "license_number": "E.123456",
            "license_state": "Ohio",
        },
    )
    assert resp.status_code == 302
    db.session.refresh(user)
    assert user.full_name == "Dana Rivera"
    assert user.has_complete_profile


def test_profile_requires_name(client, db, login_as):
    user = login_as()
    resp = post_form(
        client,
        "/account/profile",
        {"full_name": "   ", "credential": "LPC", "license_number": "1", "license_state": "Ohio"},
    )
    assert resp.status_code == 422
    db.session.refresh(user)
    assert user.full_name.startswith("Test")


def test_profile_rejects_overlong_values(client, db, login_as):
    login_as()
    resp = post_form(
        client,
        "/account/profile",
        {"full_name": "A" * 500, "credential": "", "license_number": "", "license_state": ""},
    )
    assert resp.status_code == 422


def test_change_password(client, db, login_as):
    user = login_as()
    new = "another sturdy phrase 9"
    bad = post_form(
        client,
        "/account/password",
        {"current": "wrong current pw", "password": new, "confirm": new},
    )
    assert bad.status_code == 422
    assert "current password is not correct" in bad.get_data(as_text=True)
    ok = post_form(
        client, "/account/password", {"current": PASSWORD, "password": new, "confirm": new}
    )
    assert ok.status_code == 302
    from ceu.auth.services import authenticate

    db.session.expire_all()

    assert authenticate(email=user.email, password=new) is not None
    assert authenticate(email=user.email, password=PASSWORD) is None


def test_change_password_refuses_weak_new_password(client, login_as):
    login_as()
    resp = post_form(
        client,
        "/account/password",
        {"current": PASSWORD, "password": "qwertyuiop123", "confirm": "qwertyuiop123"},
    )
    assert resp.status_code == 422
    assert "too common" in resp.get_data(as_text=True)


def test_profile_requires_login(client):
    resp = client.get("/account/profile")
    assert resp.status_code == 302
    assert "/login" in resp.headers["Location"]
