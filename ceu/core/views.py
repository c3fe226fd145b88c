"""Home page, health check and error pages."""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from ceu.extensions import db, limiter

bp = Blueprint("core", __name__)
log = logging.getLogger("ceu")


@bp.get("/")
def home() -> str:
    return render_template("core/home.html")


@bp.get("/healthz")
@limiter.exempt
def healthz() -> tuple[Response, int]:
    """A real round trip to the database: load balancers must see a broken database."""
    try:
        db.session.execute(text("SELECT 1")).scalar_one()
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("health check: database unreachable")
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok"), 200


ERROR_TEXT = {
    400: ("Bad request", "The request could not be understood. Go back and try again."),
    403: ("Not allowed", "Your account does not have access to this page."),
    404: ("Page not found", "There is no page at this address, or it is not yours to see."),
    405: ("Not allowed", "This address does not accept that kind of request."),
    413: ("Too large", "What you sent is larger than this site accepts."),
    429: ("Too many attempts", "Too many attempts in a short time. Wait a minute and try again."),
    500: ("Something went wrong", "An unexpected error occurred. It has been logged."),
}


def _render_error(code: int, detail: str | None = None) -> tuple[str, int]:
    title, message = ERROR_TEXT.get(code, ERROR_TEXT[500])
    if request.accept_mimetypes.best == "application/json":
        return jsonify(error=title, message=detail or message), code  # type: ignore[return-value]
    return render_template(
        "core/error.html", title=title, message=detail or message, code=code
    ), code


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> tuple[str, int]:
        return _render_error(
            400, "The form expired or was not sent from this site. Reload the page and try again."
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[str, int] | HTTPException:
        if exc.code is None or exc.code < 400:
            return exc
        return _render_error(exc.code)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> tuple[str, int]:
        log.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return _render_error(500)
