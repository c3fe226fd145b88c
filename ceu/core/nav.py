"""Navigation by role: each feature registers its links; the base layout shows the allowed ones."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, request, url_for
from flask_login import current_user


@dataclass(frozen=True)
class NavLink:
    label: str
    endpoint: str
    visible: Callable[[Any], bool]
    order: int = 50


_LINKS: list[NavLink] = []


def add_nav_link(link: NavLink) -> None:
    """Register once at import time; links are sorted by `order`."""
    if all(existing.endpoint != link.endpoint for existing in _LINKS):
        _LINKS.append(link)
        _LINKS.sort(key=lambda item: item.order)


def anonymous(user: Any) -> bool:
    return not user.is_authenticated


def signed_in(user: Any) -> bool:
    return bool(user.is_authenticated)


def everyone(user: Any) -> bool:
    return True


def init_nav(app: Flask) -> None:
    # URLs without arguments depend only on where the app is mounted: build each once.
    urls: dict[tuple[str, str, str], str] = {}

    def cached_url(endpoint: str, filename: str = "") -> str:
        key = (request.script_root, endpoint, filename)
        found = urls.get(key)
        if found is None:
            found = url_for(endpoint, filename=filename) if filename else url_for(endpoint)
            urls[key] = found
        return found

    def static_url(filename: str) -> str:
        """url_for('static', filename=...), built once per file."""
        return cached_url("static", filename)

    def nav_items() -> list[dict[str, Any]]:
        items = []
        for link in _LINKS:
            if not link.visible(current_user) or link.endpoint not in app.view_functions:
                continue
            items.append(
                {
                    "label": link.label,
                    "url": cached_url(link.endpoint),
                    "current": request.endpoint == link.endpoint,
                }
            )
        return items

    def fixed_url(endpoint: str) -> str:
        """url_for(endpoint) for an endpoint that takes no arguments, built once."""
        return cached_url(endpoint)

    app.jinja_env.globals.update(nav_items=nav_items, static_url=static_url, fixed_url=fixed_url)


add_nav_link(NavLink("Home", "core.home", everyone, order=0))
add_nav_link(NavLink("Profile", "auth.profile", signed_in, order=80))
add_nav_link(NavLink("Log in", "auth.login", anonymous, order=90))
add_nav_link(NavLink("Create account", "auth.register", anonymous, order=91))
