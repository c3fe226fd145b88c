"""In-process diagnosis: SQL statements and single-client service time per request.

Runs the same app through Flask's test client (one request at a time, no network, no
queueing), logged in through the real form as a learner who owns no load-test data, so
the figures explain the load results: how much of a page is SQL and how much is Python.
"""

from __future__ import annotations

import random
import re
import statistics
import time
from typing import Any

from flask import Flask
from sqlalchemy import event

from bench.load import choose_answers, parse_take_page
from ceu.extensions import db

CSRF_RE = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
REPEAT = 15


class StatementCounter:
    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0
        self._t0 = 0.0

    def before(self, *args: Any) -> None:
        self.count += 1
        self._t0 = time.perf_counter()

    def after(self, *args: Any) -> None:
        self.seconds += time.perf_counter() - self._t0


def diagnose(
    app: Flask, *, user: dict[str, Any], password: str, module_count: int
) -> dict[str, dict[str, float]]:
    """name -> {statements, ms (median), sql_ms (median)} for each benchmarked request."""
    counter = StatementCounter()
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", counter.before)
    event.listen(engine, "after_cursor_execute", counter.after)
    client = app.test_client()
    statements: dict[str, list[int]] = {}
    times: dict[str, list[tuple[float, float]]] = {}

    def measure(name: str, path: str, expect: int, data: dict[str, Any] | None = None) -> Any:
        counter.count, counter.seconds = 0, 0.0
        t0 = time.perf_counter()
        response = client.get(path) if data is None else client.post(path, data=data)
        elapsed = time.perf_counter() - t0
        if response.status_code != expect:
            raise RuntimeError(f"{name}: HTTP {response.status_code}, expected {expect}")
        statements.setdefault(name, []).append(counter.count)
        times.setdefault(name, []).append((elapsed * 1000, counter.seconds * 1000))
        return response

    try:
        page = client.get("/login")
        token = CSRF_RE.search(page.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
        login = client.post(
            "/login", data={"csrf_token": token, "email": user["email"], "password": password}
        )
        if login.status_code != 302:
            raise RuntimeError(f"diagnostic log-in answered {login.status_code}")
        slug = user["courses"][0]
        pages = {
            "healthz": "/healthz",
            "home": "/",
            "catalog": "/courses",
            "course": f"/courses/{slug}",
            "module": f"/courses/{slug}/modules/{module_count // 2 or 1}",
            "dashboard": "/dashboard",
        }
        for _ in range(REPEAT + 1):
            for name, path in pages.items():
                measure(name, path, 200)
        for slug in user["courses"]:
            start = measure("start", f"/courses/{slug}/post-test/start", 302, {"csrf_token": token})
            take_path = start.headers["Location"]
            take = measure("take", take_path, 200)
            html = take.get_data(as_text=True)
            token = CSRF_RE.search(html).group(1)  # type: ignore[union-attr]
            answers = choose_answers(parse_take_page(html), random.Random(slug))
            fields = {f"q-{q}": opts for q, opts in answers.items()}
            first = dict(list(fields.items())[:1])
            measure("save", take_path + "/save", 302, {"csrf_token": token, **first})
            measure(
                "submit",
                take_path + "/submit",
                302,
                {"csrf_token": token, **fields, "confirm": "1"},
            )
    finally:
        event.remove(engine, "before_cursor_execute", counter.before)
        event.remove(engine, "after_cursor_execute", counter.after)
        with app.app_context():
            db.engine.dispose()
    result = {}
    for name, samples in times.items():
        counts = statements[name]
        if len(samples) > 2:  # drop the first (cold) request: it fills the process caches
            samples, counts = samples[1:], counts[1:]
        result[name] = {
            "statements": round(statistics.median(counts)),
            "ms": statistics.median(ms for ms, _ in samples),
            "sql_ms": statistics.median(sql for _, sql in samples),
        }
    return result
