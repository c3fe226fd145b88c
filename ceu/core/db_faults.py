"""The database is unreachable or timed out: answer 503 with Retry-After, never a 500.

The page is a static file read once at start-up, so answering touches neither the
database nor a template that would (the layout reads the signed-in user). JSON endpoints
and clients that ask for JSON get JSON. The connection pool recovers by itself: a
connection that failed is invalidated and `pool_pre_ping` tests the others before use.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, request
from sqlalchemy import exc as sa

from ceu import config as cfg
from ceu.extensions import db

log = logging.getLogger("ceu")
RETRY_AFTER_SECONDS = 5
JSON_ENDPOINTS = frozenset({"core.healthz", "certificates.status", "certificates.jwks"})
# connection refused or lost, server shutting down, statement or pool timeouts
FAULTS = (sa.OperationalError, sa.InterfaceError, sa.DisconnectionError, sa.TimeoutError)


def init_db_faults(app: Flask) -> None:
    page = (cfg.PROJECT_ROOT / "static" / "errors" / "503.html").read_bytes()

    def unavailable(exc: Exception) -> Response:
        log.error("database unavailable on %s %s: %s", request.method, request.path, exc)
        try:
            db.session.rollback()
        except sa.SQLAlchemyError:
            db.session.invalidate()
        if request.endpoint in JSON_ENDPOINTS or request.accept_mimetypes.best == (
            "application/json"
        ):
            response = jsonify(
                error="Temporarily unavailable", message="The database is unreachable."
            )
        else:
            response = Response(page, mimetype="text/html")
        response.status_code = 503
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response.headers["Cache-Control"] = "no-store"
        return response

    for fault in FAULTS:
        app.register_error_handler(fault, unavailable)
