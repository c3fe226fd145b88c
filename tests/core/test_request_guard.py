"""Ids beyond an Integer column are 404; control characters are refused with 400."""

from __future__ import annotations

import pytest

from tests.conftest import csrf_from


@pytest.mark.parametrize(
    "url", ["/attempts/2147483648", "/attempts/99999999999999999999", "/certificates/٣/pdf"]
)
def test_an_id_no_column_can_hold_is_not_found(client, login_as, url):
    login_as()
    assert client.get(url).status_code == 404


def test_the_largest_id_an_integer_column_holds_still_routes(client, login_as):
    login_as()
    assert client.get("/certificates/2147483647").status_code == 404  # routed, no such row


@pytest.mark.parametrize(
    "url", ["/courses/%00", "/courses?q=%00", "/courses?%1b=1", "/verify/abc%07"]
)
def test_control_characters_in_the_url_are_a_bad_request(client, url):
    assert client.get(url).status_code == 400


def test_a_nul_in_a_form_field_is_a_bad_request_and_logs_nobody_in(client, make_user):
    user = make_user()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    resp = client.post(
        "/login", data={"email": user.email + "\x00", "password": "x", "csrf_token": token}
    )
    assert resp.status_code == 400
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_line_breaks_in_a_form_value_pass_the_guard(client, make_user):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    resp = client.post("/login", data={"email": "a\r\nb", "password": "x", "csrf_token": token})
    assert resp.status_code == 422  # the form's own validation answers


def test_a_control_character_in_a_forwarded_header_is_a_bad_request(client):
    assert client.get("/", headers={"X-Forwarded-For": "1.2.3.4\x00"}).status_code == 400
