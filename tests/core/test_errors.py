"""The one error path: a refused request writes nothing and shows its message once."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from ceu.auth import services as auth_services
from ceu.auth.models import User
from ceu.core.errors import ConflictError, UserError, on_refusal
from ceu.extensions import csrf, db
from tests.conftest import PASSWORD, post_form

REFUSED = "That cannot be done: the form was refused."


def _users() -> int:
    return db.session.scalar(select(func.count(User.id)))


def _write_then_refuse(error: type[UserError] = UserError) -> None:
    """A service that has already written (and flushed) when it refuses."""
    auth_services.create_user(
        email="half-written@example.org", full_name="Half Written", password=PASSWORD
    )
    assert db.session.scalar(select(User).where(User.email == "half-written@example.org"))
    raise error(REFUSED)


@pytest.fixture
def refusing_app(app: Flask) -> Flask:
    """Routes that write, then refuse, each showing the refusal its own way."""

    @on_refusal(redirect_to="learning.course_page")
    def to_endpoint(slug: str) -> str:
        _write_then_refuse()
        return "not reached"

    @on_refusal(render=lambda message, slug: (f"<p id=again>{slug}: {message}</p>", 200))
    def to_page(slug: str) -> str:
        _write_then_refuse()
        return "not reached"

    def undeclared() -> str:
        _write_then_refuse()
        return "not reached"

    def conflict() -> str:
        _write_then_refuse(ConflictError)
        return "not reached"

    for rule, view in (
        ("/t/<slug>/endpoint", to_endpoint),
        ("/t/<slug>/page", to_page),
        ("/t/undeclared", undeclared),
        ("/t/conflict", conflict),
    ):
        app.add_url_rule(rule, view_func=csrf.exempt(view), methods=["GET", "POST"])
    return app


def test_a_refusal_rolls_back_and_redirects_to_the_named_page_with_the_message(
    refusing_app, client
):
    before = _users()
    resp = client.post("/t/some-course/endpoint")
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/courses/some-course"  # the view's own slug
    assert _users() == before  # the user created before the refusal is gone
    with client.session_transaction() as session:
        assert session["_flashes"] == [("error", REFUSED)]


def test_a_refusal_can_render_the_page_again_with_the_error_status(refusing_app, client):
    before = _users()
    resp = client.post("/t/some-course/page")
    assert resp.status_code == 422
    assert resp.get_data(as_text=True) == f"<p id=again>some-course: {REFUSED}</p>"
    assert _users() == before


def test_a_json_client_gets_the_message_as_json(refusing_app, client):
    before = _users()
    resp = client.post("/t/some-course/endpoint", headers={"Accept": "application/json"})
    assert resp.status_code == 422
    assert resp.get_json() == {"error": "refused", "message": REFUSED}
    resp = client.post("/t/conflict", json={})
    assert resp.status_code == 409
    assert resp.get_json()["message"] == REFUSED
    assert _users() == before


def test_an_undeclared_post_goes_back_to_the_same_site_page_it_came_from(refusing_app, client):
    resp = client.post(
        "/t/undeclared", headers={"Referer": "http://localhost/courses?q=grief#results"}
    )
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/courses?q=grief#results"


@pytest.mark.parametrize(
    "referer", ["", "https://evil.example/courses", "//evil.example/x", "/\\evil.example"]
)
def test_an_undeclared_refusal_never_redirects_off_site_and_shows_the_error_page(
    refusing_app, client, referer
):
    before = _users()
    resp = client.post("/t/undeclared", headers={"Referer": referer} if referer else {})
    assert resp.status_code == 422
    assert REFUSED in resp.get_data(as_text=True)
    assert _users() == before


def test_a_refused_get_shows_the_error_page(refusing_app, client):
    resp = client.get("/t/conflict")
    assert resp.status_code == 409
    assert REFUSED in resp.get_data(as_text=True)


def test_registration_refused_by_the_service_keeps_what_was_typed(client, make_user):
    taken = make_user()
    before = _users()
    resp = post_form(
        client,
        "/register",
        {
            "email": taken.email.upper(),
            "full_name": "Second Person",
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "An account with this e-mail address already exists." in html
    assert 'value="Second Person"' in html
    assert _users() == before


def test_withdrawing_twice_is_refused_with_a_message(client, login_as, course, enroll):
    learner = login_as()
    enroll(learner, course)
    page = f"/courses/{course.slug}"
    assert post_form(client, f"{page}/withdraw", {}, page=page).status_code == 302
    resp = post_form(client, f"{page}/withdraw", {}, page=page, follow_redirects=True)
    assert "You are not enrolled in this course." in resp.get_data(as_text=True)
