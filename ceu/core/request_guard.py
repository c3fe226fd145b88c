"""Hostile input stops at the edge, before any view or query sees it.

- Ids in `<int:...>` routes are bounded to what an Integer column holds, so an id beyond
  the range is a 404 like any other id that names nothing (SQLite raises OverflowError
  past 2**63, PostgreSQL "integer out of range" past 2**31 - 1).
- Control characters no browser form sends and PostgreSQL cannot store in text (NUL) are
  refused with 400 in the path, the query string, form fields and keys, upload file names
  and the headers the app reads. Tab, line feed and carriage return stay allowed in form
  values (a textarea sends them); whether a field accepts them is the form's business.

Invalid UTF-8 needs nothing here: Werkzeug decodes paths, query strings and forms with
replacement characters, which every database stores.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter, Map

INT_MAX = 2**31 - 1  # the largest value of an Integer column on PostgreSQL (int4)

# C0 controls except tab, LF and CR, and DEL; in URLs and headers not even those three.
_CONTROL_IN_VALUE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_IN_NAME = re.compile("[\x00-\x1f\x7f]")
# headers whose values reach the app (content negotiation, rate-limit keys behind a proxy)
_HEADERS_READ = ("Accept", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host")


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` that matches only ids an Integer column can hold (else the route 404s)."""

    regex = r"[0-9]+"  # ASCII digits: a route id is never written in another script

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", INT_MAX)
        super().__init__(map, *args, **kwargs)


def has_control_characters(value: str, *, allow_line_breaks: bool = False) -> bool:
    """True when `value` holds a character no legitimate request carries there."""
    pattern = _CONTROL_IN_VALUE if allow_line_breaks else _CONTROL_IN_NAME
    return pattern.search(value) is not None


def _refuse_control_characters() -> None:
    if has_control_characters(request.path):
        abort(400)
    for key, value in request.args.items(multi=True):
        if has_control_characters(key) or has_control_characters(value):
            abort(400)
    for name in _HEADERS_READ:
        if has_control_characters(request.headers.get(name, "")):
            abort(400)
    if request.method in {"POST", "PUT", "PATCH", "DELETE"}:
        for key, value in request.form.items(multi=True):
            if has_control_characters(key) or has_control_characters(value, allow_line_breaks=True):
                abort(400)
        for key, upload in request.files.items(multi=True):
            if has_control_characters(key) or has_control_characters(upload.filename or ""):
                abort(400)


def init_request_guard(app: Flask) -> None:
    """Call before any blueprint is registered: rules bind their converters when added."""
    converters: dict[str, Any] = app.url_map.converters
    converters["int"] = BoundedIntConverter
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_control_characters)
