"""Per-process caches for things that never change once written, and for rendered fragments.

Course versions are immutable snapshots (a change is a new import, a new version row), so
what is read or rendered from one can be kept for the life of the process. Every key names
the immutable thing it was made from (a version's id *and* its content hash), so an entry
can never be stale: nothing is invalidated, the least recently used entries are dropped.
Each app has its own cache (tests build many apps over reused databases).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from flask import current_app, get_template_attribute
from markupsafe import Markup

T = TypeVar("T")
EXTENSION = "ceu_process_cache"


class ProcessCache:
    """A bounded, thread-safe LRU map (gunicorn may run threaded workers)."""

    def __init__(self, maxsize: int = 2048) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_make(self, key: Hashable, make: Callable[[], T]) -> T:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                self.hits += 1
                return self._data[key]  # type: ignore[no-any-return]
            self.misses += 1
        value = make()  # outside the lock: making may query the database or render
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._data)


def process_cache() -> ProcessCache:
    """The current app's cache (created with the app, see `init_cache`)."""
    return current_app.extensions[EXTENSION]  # type: ignore[no-any-return]


def init_cache(app: Any, maxsize: int = 2048) -> None:
    app.extensions[EXTENSION] = ProcessCache(maxsize)


def render_macro(template: str, macro: str, *args: Any) -> Markup:
    """Call a Jinja macro from Python; its output is already escaped HTML."""
    return Markup(get_template_attribute(template, macro)(*args))  # noqa: S704 - Jinja output


def cached_macro(key: Hashable, template: str, macro: str, *args: Any) -> Markup:
    """Render `macro` of `template` once per `key` and reuse the HTML.

    Only for macros whose output depends on their arguments alone, and a key that names
    them: nothing about the user, the session, CSRF tokens or flashed messages may be in it.
    """
    return process_cache().get_or_make(
        ("macro", template, macro, key), lambda: render_macro(template, macro, *args)
    )
