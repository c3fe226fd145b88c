"""Password reset by e-mail: signed, expiring, single-use tokens through a real SMTP server."""

from __future__ import annotations

import re
import socket
import time
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller

from ceu.auth import services
from tests.conftest import PASSWORD, post_form

NEW = "a brand new passphrase 7"


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(app_config):
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app_config["SMTP_HOST"] = "127.0.0.1"
    app_config["SMTP_PORT"] = port
    yield inbox
    controller.stop()


def wait_for(inbox: Inbox, n: int = 1) -> None:
    deadline = time.monotonic() + 5
    while len(inbox.messages) < n and time.monotonic() < deadline:
        time.sleep(0.02)


def reset_link(message) -> str:
    body = message.get_payload(decode=True).decode()
    match = re.search(r"http://localhost(/password/reset/\S+)", body)
    assert match, body
    return match.group(1)


def test_reset_mail_arrives_and_sets_a_new_password(smtp, client, db, make_user):
    user = make_user()
    resp = post_form(client, "/password/reset", {"email": user.email})
    assert resp.status_code == 302
    wait_for(smtp)
    assert len(smtp.messages) == 1
    msg = smtp.messages[0]
    assert msg["To"] == user.email
    assert "Reset your ceu password" in msg["Subject"]
    path = reset_link(msg)
    assert client.get(path).status_code == 200
    done = post_form(client, path, {"password": NEW, "confirm": NEW})
    assert done.status_code == 302
    db.session.expire_all()
    assert services.authenticate(email=user.email, password=NEW) is not None
    assert services.authenticate(email=user.email, password=PASSWORD) is None


def test_reset_token_cannot_be_reused(smtp, client, db, make_user):
    user = make_user()
    post_form(client, "/password/reset", {"email": user.email})
    wait_for(smtp)
    path = reset_link(smtp.messages[0])
    post_form(client, path, {"password": NEW, "confirm": NEW})
    again = client.get(path)
    assert again.status_code == 302
    assert again.headers["Location"].endswith("/password/reset")
    # a direct POST with the used token changes nothing either
    with client.application.app_context(), pytest.raises(services.AccountError):
        services.reset_password(token=path.rsplit("/", 1)[1], new="yet another phrase 11")
    db.session.expire_all()
    assert services.authenticate(email=user.email, password=NEW) is not None


def test_unknown_email_gets_the_same_answer_and_no_mail(smtp, client, make_user):
    user = make_user()
    known = post_form(client, "/password/reset", {"email": user.email}, follow_redirects=True)
    unknown = post_form(
        client, "/password/reset", {"email": "nobody@example.org"}, follow_redirects=True
    )
    wait_for(smtp)
    assert known.status_code == unknown.status_code == 200
    text = "If an account exists for that address"
    assert text in known.get_data(as_text=True)
    assert text in unknown.get_data(as_text=True)
    assert len(smtp.messages) == 1


def test_forged_token_is_refused(client, make_user, app):
    user = make_user()
    token = services.make_reset_token(user=user)
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    resp = client.get(f"/password/reset/{forged}")
    assert resp.status_code == 302
    with pytest.raises(services.AccountError):
        services.reset_password(token=forged, new=NEW)
    with pytest.raises(services.AccountError):
        services.reset_password(token="garbage", new=NEW)


def test_expired_token_is_refused(client, make_user, app):
    user = make_user()
    token = services.make_reset_token(user=user)
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    assert services.user_for_reset_token(token) is None
    resp = client.get(f"/password/reset/{token}")
    assert resp.status_code == 302


def test_reset_refuses_weak_password_and_keeps_token_valid(client, make_user, app):
    user = make_user()
    token = services.make_reset_token(user=user)
    resp = post_form(
        client, f"/password/reset/{token}", {"password": "password1234", "confirm": "password1234"}
    )
    assert resp.status_code == 422
    assert services.user_for_reset_token(token) is not None


def test_reset_without_smtp_writes_mail_to_log(client, make_user, caplog):
    user = make_user()
    with caplog.at_level("INFO", logger="ceu.mail"):
        post_form(client, "/password/reset", {"email": user.email})
    assert "/password/reset/" in caplog.text
