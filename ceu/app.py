"""Application assembly: config, extensions, blueprints, security headers, errors."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, request, session
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix

from ceu import config as cfg
from ceu.core import ratelimit  # noqa: F401  (registers the ceu+db:// rate-limit storage)
from ceu.core.transactions import SQLITE_SYNCHRONOUS
from ceu.extensions import csrf, db, limiter, login_manager, migrate

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers and one writer work at once across gunicorn workers; foreign keys
    and a busy timeout make SQLite behave like the PostgreSQL production path; every
    commit syncs the WAL to disk (but see ceu.core.transactions.relax_durability)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA synchronous={SQLITE_SYNCHRONOUS}")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def build_app(overrides: dict[str, Any] | None = None) -> Flask:
    settings = overrides if overrides is not None else cfg.from_environment()
    app = Flask(
        "ceu",
        instance_path=settings.get("INSTANCE_PATH") or str(cfg.instance_path()),
        template_folder=str(cfg.PROJECT_ROOT / "templates"),
        static_folder=str(cfg.PROJECT_ROOT / "static"),
    )
    app.config.update(cfg.DEFAULTS)
    app.config.update(settings)
    url = str(app.config.get("SQLALCHEMY_DATABASE_URI", ""))
    if url.startswith("sqlite"):
        # a file on this machine cannot drop a connection: pinging it is a wasted statement
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
            "pool_pre_ping": False,
        }
    elif url.startswith("postgresql"):
        # a server that does not answer fails the request in seconds (a 503, see
        # ceu.core.db_faults) instead of holding the worker for the OS's TCP timeout
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "connect_args": {"connect_timeout": 5},
            "pool_timeout": 10,
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
        }
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY is empty")
    if app.config.get("PROXY_COUNT"):
        n = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO)

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)
    migrate.init_app(
        app,
        db,
        directory=str(cfg.PROJECT_ROOT / "migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)

    from ceu import models  # noqa: F401  (register every table with the metadata)
    from ceu.admin.views import bp as admin_bp
    from ceu.auth.views import bp as auth_bp
    from ceu.certificates.openbadges import bp as openbadges_bp
    from ceu.certificates.views import bp as certificates_bp
    from ceu.core.cache import init_cache
    from ceu.core.db_faults import init_db_faults
    from ceu.core.errors import init_errors
    from ceu.core.nav import init_nav
    from ceu.core.request_guard import init_request_guard
    from ceu.core.transactions import init_transactions
    from ceu.core.urls import init_urls
    from ceu.core.views import bp as core_bp
    from ceu.core.views import register_error_handlers
    from ceu.learning.views import bp as learning_bp
    from ceu.quiz.views import bp as quiz_bp

    init_request_guard(app)  # before the blueprints: their routes bind the bounded `int`
    app.register_blueprint(core_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(learning_bp)
    app.register_blueprint(quiz_bp)
    app.register_blueprint(certificates_bp)
    app.register_blueprint(openbadges_bp)
    app.register_blueprint(admin_bp)
    register_error_handlers(app)
    init_errors(app)
    init_db_faults(app)
    init_cache(app)
    init_urls(app)
    init_transactions(app)
    init_nav(app)

    @app.after_request
    def security_headers(response):  # type: ignore[no-untyped-def]
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if request.endpoint != "static" and "_user_id" in session:
            # a signed-in page shows one person's records: no shared or back-button cache
            response.headers.setdefault("Cache-Control", "private, no-store")
        return response

    return app
