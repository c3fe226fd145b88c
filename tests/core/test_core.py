"""Health check, security headers, error pages, configuration."""

from __future__ import annotations

import os
import stat

from ceu import create_app
from ceu.config import from_environment, load_or_create_secret


def test_healthz_reports_database_ok(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_database_unreachable(app_config, tmp_path):
    app_config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path}/missing-dir/db.sqlite3"
    app = create_app(app_config)
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json()["status"] == "error"


def test_security_headers_on_every_page(client):
    resp = client.get("/")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"


def test_pages_have_no_inline_script(client):
    html = client.get("/login").get_data(as_text=True)
    assert "<script>" not in html
    assert "onclick" not in html


def test_unknown_page_is_a_friendly_404(client):
    resp = client.get("/no-such-page")
    assert resp.status_code == 404
    assert "Page not found" in resp.get_data(as_text=True)


def test_wrong_method_is_405_not_500(client):
    assert client.put("/login").status_code == 405


def test_oversized_body_is_413(client):
    resp = client.post("/login", data={"email": "x" * (3 * 1024 * 1024)})
    assert resp.status_code == 413


def test_base_layout_is_accessible_shell(client):
    html = client.get("/").get_data(as_text=True)
    assert 'href="#main"' in html
    assert 'id="main"' in html
    assert '<html lang="en">' in html
    assert "<nav" in html
    assert 'aria-label="Main"' in html
    assert "//cdn" not in html
    assert "https://" not in html.split("<body")[0]


def test_secret_key_generated_once_with_mode_0600(tmp_path, monkeypatch):
    monkeypatch.delenv("CEU_SECRET_KEY", raising=False)
    monkeypatch.setenv("CEU_INSTANCE_PATH", str(tmp_path))
    first = from_environment()["SECRET_KEY"]
    second = from_environment()["SECRET_KEY"]
    assert first == second
    assert len(first) >= 32
    mode = stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode)
    assert mode == 0o600


def test_environment_secret_key_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("CEU_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("CEU_SECRET_KEY", "from-the-environment")
    assert from_environment()["SECRET_KEY"] == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()


def test_database_url_defaults_to_sqlite_in_instance(tmp_path, monkeypatch):
    monkeypatch.setenv("CEU_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("CEU_DATABASE_URL", raising=False)
    assert from_environment()["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/ceu.sqlite3"


def test_postgres_url_uses_psycopg3(tmp_path, monkeypatch):
    monkeypatch.setenv("CEU_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("CEU_DATABASE_URL", "postgres://u@h/db")
    assert from_environment()["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"


def test_redis_url_drives_rate_limit_storage(tmp_path, monkeypatch):
    monkeypatch.setenv("CEU_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("CEU_REDIS_URL", "redis://127.0.0.1:6379/0")
    assert from_environment()["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"


def test_secret_file_is_not_overwritten(tmp_path):
    path = tmp_path / "k"
    value = load_or_create_secret(path)
    assert load_or_create_secret(path) == value
