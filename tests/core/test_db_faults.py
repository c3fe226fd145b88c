"""An unreachable database gets a 503 with Retry-After (static page or JSON), and the app
serves again by itself once the database is back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ceu import create_app
from ceu.config import config_for_tests
from ceu.extensions import db
from tests.conftest import csrf_from


@pytest.fixture
def down_app(backend: str, tmp_path: Path) -> Iterator[Any]:
    """The app configured for a database that does not answer (of this test's backend)."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'gone' / 'ceu.sqlite3'}"  # its folder does not exist
    else:
        url = "postgresql+psycopg://postgres@127.0.0.1:9/ceu"  # nothing listens on port 9
    instance = tmp_path / "instance"
    instance.mkdir()
    app = create_app(config_for_tests(url, str(instance)))
    yield app
    with app.app_context():
        db.engine.dispose()


def _assert_unavailable(resp: Any, *, json: bool) -> None:
    assert resp.status_code == 503
    assert resp.headers["Retry-After"].isdigit()
    if json:
        assert resp.is_json
        assert resp.get_json()["error"] == "Temporarily unavailable"
    else:
        assert resp.mimetype == "text/html"
        assert "Temporarily unavailable" in resp.get_data(as_text=True)


def test_pages_answer_503_with_a_static_page_when_the_database_is_down(down_app):
    client = down_app.test_client()
    for url in ("/courses", "/courses/any-course", "/verify/AAAAAAAAAAAAAAAAAAAAAA"):
        _assert_unavailable(client.get(url), json=False)


def test_a_signed_in_visitor_gets_the_static_page_not_a_500(down_app):
    client = down_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1.0"  # loading the user is the first query that fails
    _assert_unavailable(client.get("/dashboard"), json=False)
    _assert_unavailable(client.get("/"), json=False)


def test_a_form_sent_while_the_database_is_down_is_a_503(down_app):
    client = down_app.test_client()
    token = csrf_from(client.get("/password/reset").get_data(as_text=True))
    resp = client.post("/login", data={"email": "a@example.org", "password": "x" * 12,
                                       "csrf_token": token})  # fmt: skip
    _assert_unavailable(resp, json=False)


def test_json_endpoints_and_json_clients_get_json(down_app):
    client = down_app.test_client()
    _assert_unavailable(client.get("/verify/AAAAAAAAAAAAAAAAAAAAAA/status"), json=True)
    _assert_unavailable(client.get("/courses", headers={"Accept": "application/json"}), json=True)
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.get_json()["database"] == "unreachable"


def test_the_app_serves_again_by_itself_when_the_database_returns(backend, app, course, tmp_path):
    client = app.test_client()
    assert client.get("/courses/minimal-course").status_code == 200  # a pooled connection
    if backend == "postgresql":
        # the server drops every connection of this database, as a restart does
        url = make_url(str(db.engine.url))
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            dropped = conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": url.database},
            ).scalar_one()
        admin.dispose()
        assert dropped >= 1
    else:
        db.engine.dispose()  # SQLite connections cannot drop; a fresh pool is the same test
    for _ in range(3):
        assert client.get("/courses/minimal-course").status_code == 200
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok"}
