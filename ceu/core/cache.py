"""Per-process caches for things that never change once written, and for rendered fragments.

Course versions are immutable snapshots (a change is a new import, a new version row), so
what is read or rendered from one can be kept for the life of the process. Every key names
the immutable thing it was made from (a version's id *and* its content hash), so an entry
can never be stale: nothing is invalidated, the oldest entries are dropped when full.
Each app has its own cache (tests build many apps over reused databases).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from flask import current_app, get_template_attribute, request
from markupsafe import Markup

T = TypeVar("T")
EXTENSION = "ceu_process_cache"


_MISSING = object()


class ProcessCache:
    """A bounded map, safe for threaded workers; the oldest entries go first when full.

    Reads take no lock (a dict read is atomic in CPython) and do not reorder: this is on
    every hot page, and with a bound well above the working set, first-in-first-out
    eviction is as good as least-recently-used.
    """

    def __init__(self, maxsize: int = 2048) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_make(self, key: Hashable, make: Callable[[], T]) -> T:
        found = self._data.get(key, _MISSING)
        if found is not _MISSING:
            return found  # type: ignore[no-any-return]
        value = make()  # no lock held: making may query the database or render
        with self._lock:
            self._data[key] = value
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
    Links inside depend on where the app is mounted, so that is part of the key too.
    """
    return process_cache().get_or_make(
        fragment_key("macro", template, macro, key), lambda: render_macro(template, macro, *args)
    )


def fragment_key(*parts: Hashable) -> tuple[Hashable, ...]:
    """A cache key for rendered HTML: `parts` plus where the app is mounted (its links)."""
    return (request.script_root, *parts)
