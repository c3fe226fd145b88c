"""Navigation by role: each feature registers its links; the base layout shows the allowed ones."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, request
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
    def nav_items() -> list[dict[str, Any]]:
        build = app.jinja_env.globals["url_for"]  # memoized (ceu.core.urls)
        items = []
        for link in _LINKS:
            if not link.visible(current_user) or link.endpoint not in app.view_functions:
                continue
            items.append(
                {
                    "label": link.label,
                    "url": build(link.endpoint),
                    "current": request.endpoint == link.endpoint,
                }
            )
        return items

    app.jinja_env.globals["nav_items"] = nav_items


add_nav_link(NavLink("Home", "core.home", everyone, order=0))
add_nav_link(NavLink("Profile", "auth.profile", signed_in, order=80))
add_nav_link(NavLink("Log in", "auth.login", anonymous, order=90))
add_nav_link(NavLink("Create account", "auth.register", anonymous, order=91))
