"""One error path for refusals: services raise a `UserError`; one handler shows it.

A request follows one lifecycle (as Indico's request handlers do): parse → load → authorize
→ act (services) → commit once at the edge → redirect or render. When a service refuses,
it raises a `UserError` subclass carrying a message for the person, and the handler here
is the only place that deals with it: it rolls the whole transaction back, so nothing the
request wrote before the refusal survives, and it shows the message:

- to a JSON client: `{"error": "refused", "message": ...}` with the error's status;
- when the view named a page that shows the refusal (`on_refusal(render=...)`, a form
  that re-renders itself with what was typed): that page, with the error's status;
- after a form post: a flash and a redirect to the page the view named
  (`on_refusal(redirect_to=endpoint)`), else to the same-site page the post came from;
- otherwise the error page, with the message and the error's status.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import (
    Flask,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response

from ceu.core.urls import safe_local_path
from ceu.extensions import db

REFUSAL = "ceu_refusal"  # the attribute on_refusal sets on a view


class UserError(Exception):
    """A refusal with a message for the person; the request changes nothing."""

    status = 422  # understood, but refused; 409 for a clash with the current state

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConflictError(UserError):
    """Refused because the thing already happened or changed meanwhile."""

    status = 409


def on_refusal(
    *, redirect_to: str | None = None, render: Callable[..., Any] | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Say how this view's refusals are shown: a redirect to the endpoint `redirect_to`
    (given those of the view's URL arguments it takes), or the page `render(message,
    **view_args)` returns."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        setattr(view, REFUSAL, (redirect_to, render))
        return view

    return decorate


def _declared(view: Any) -> tuple[str | None, Callable[..., Any] | None]:
    while view is not None:
        if hasattr(view, REFUSAL):
            return getattr(view, REFUSAL)
        view = getattr(view, "__wrapped__", None)
    return None, None


def _endpoint_url(endpoint: str, view_args: dict[str, Any]) -> str:
    rule = next(current_app.url_map.iter_rules(endpoint))
    return url_for(endpoint, **{k: v for k, v in view_args.items() if k in rule.arguments})


def _wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json"


def show_refusal(exc: UserError) -> Response:
    """Roll back and show the message (see the module docstring for where)."""
    db.session.rollback()
    view_args = dict(request.view_args or {})
    if _wants_json():
        response = jsonify(error="refused", message=exc.message)
        response.status_code = exc.status
        return response
    endpoint, render = _declared(current_app.view_functions.get(request.endpoint or ""))
    if render is not None:
        response = make_response(render(exc.message, **view_args))
        if response.status_code < 400:
            response.status_code = exc.status
        return response
    back = _endpoint_url(endpoint, view_args) if endpoint else None
    if back is None and request.method == "POST":
        back = safe_local_path(request.referrer)
    if back is not None:
        flash(exc.message, "error")
        return redirect(back)
    page = render_template("core/error.html", title="Not possible", message=exc.message)
    return make_response(page, exc.status)


def init_errors(app: Flask) -> None:
    app.register_error_handler(UserError, show_refusal)
