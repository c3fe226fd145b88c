"""Configuration from the environment only (DESIGN.md: fixed interface)."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def instance_path() -> Path:
    """Where the SQLite file and generated keys live; created on first use."""
    path = Path(os.environ.get("CEU_INSTANCE_PATH") or PROJECT_ROOT / "instance").resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def load_or_create_secret(path: Path, nbytes: int = 32) -> str:
    """Generate a secret once and keep it with mode 0600, so restarts keep sessions valid."""
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    value = secrets.token_urlsafe(nbytes)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(value + "\n")
    return value


def database_url_from(url: str) -> str:
    """Accept the common `postgres://` and `postgresql://` spellings and use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def from_environment() -> dict[str, Any]:
    """Read every CEU_* setting; nothing else configures the app."""
    inst = instance_path()
    secret = os.environ.get("CEU_SECRET_KEY") or load_or_create_secret(inst / "secret_key")
    db_url = database_url_from(
        os.environ.get("CEU_DATABASE_URL") or f"sqlite:///{inst / 'ceu.sqlite3'}"
    )
    redis_url = os.environ.get("CEU_REDIS_URL") or None
    secure = _bool("CEU_COOKIE_SECURE")
    return {
        "INSTANCE_PATH": str(inst),
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": db_url,
        "REDIS_URL": redis_url,
        # shared by every worker and server: Redis when configured, else the database
        "RATELIMIT_STORAGE_URI": redis_url or "ceu+db://",
        "RATELIMIT_ENABLED": _bool("CEU_RATELIMIT_ENABLED", True),
        # several deployments (or test runs) may share one Redis: their keys stay apart
        "RATELIMIT_KEY_PREFIX": os.environ.get("CEU_REDIS_PREFIX") or "ceu",
        "SESSION_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_SECURE": secure,
        "PROXY_COUNT": int(os.environ.get("CEU_PROXY_COUNT") or 0),
        "BASE_URL": os.environ.get("CEU_BASE_URL") or "",
        "SMTP_HOST": os.environ.get("CEU_SMTP_HOST") or "",
        "SMTP_PORT": int(os.environ.get("CEU_SMTP_PORT") or 25),
        "SMTP_USERNAME": os.environ.get("CEU_SMTP_USERNAME") or "",
        "SMTP_PASSWORD": os.environ.get("CEU_SMTP_PASSWORD") or "",
        "SMTP_STARTTLS": _bool("CEU_SMTP_STARTTLS"),
        "MAIL_SENDER": os.environ.get("CEU_MAIL_SENDER") or "ceu <no-reply@localhost>",
        "SIGNING_KEY_PEM": os.environ.get("CEU_SIGNING_KEY") or None,
    }


DEFAULTS: dict[str, Any] = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_DURATION": timedelta(days=14),
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    "WTF_CSRF_TIME_LIMIT": 8 * 3600,
    "PASSWORD_RESET_MAX_AGE": 3600,
    "LOGIN_LIMITS": "5 per minute; 30 per hour",
    "RATELIMIT_HEADERS_ENABLED": True,
}


def config_for_tests(database_url: str, instance: str) -> dict[str, Any]:
    """Settings for the test suite: real CSRF, real limits, a given database."""
    return {
        "TESTING": True,
        "INSTANCE_PATH": instance,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_ENABLED": True,
        "REDIS_URL": None,
        "SMTP_HOST": "",
        "SMTP_PORT": 25,
        "SMTP_USERNAME": "",
        "SMTP_PASSWORD": "",
        "SMTP_STARTTLS": False,
        "MAIL_SENDER": "ceu <no-reply@localhost>",
        "PROXY_COUNT": 0,
        "BASE_URL": "",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
    }
