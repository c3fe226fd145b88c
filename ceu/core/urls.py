"""URLs: url_for for templates, memoized, and the one check of a redirect target.

url_for for templates is memoized: a page builds dozens of links, and werkzeug's URL
building costs tens of microseconds each on the hot pages.

A URL built from an endpoint and plain values depends on nothing else but where the app
is mounted (the script root), so the same arguments give the same string for the life of
the process. Calls with `_external`, `_anchor`, `_scheme` or `_method`, and relative
endpoints (".name"), go to Flask's url_for unchanged.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask, request, url_for

from ceu.core.cache import ProcessCache


def init_urls(app: Flask) -> None:
    cache = ProcessCache(maxsize=8192)

    def memo_url_for(endpoint: str, **values: Any) -> str:
        if values and any(k[0] == "_" for k in values) or endpoint[0] == ".":
            return url_for(endpoint, **values)
        key = (request.script_root, endpoint, *values.items())
        try:
            return cache.get_or_make(key, lambda: url_for(endpoint, **values))
        except TypeError:  # an unhashable value: build it every time
            return url_for(endpoint, **values)

    app.jinja_env.globals["url_for"] = memo_url_for


def safe_local_path(target: str | None) -> str | None:
    """`target` as a path on this site, or None: never a redirect to another site."""
    if not target:
        return None
    parts = urlsplit(target)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    path += f"#{parts.fragment}" if parts.fragment else ""
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return None
    if parts.netloc and parts.netloc != urlsplit(request.host_url).netloc:
        return None
    return path
