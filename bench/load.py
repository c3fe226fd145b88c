"""The load generator, run in its own process: `python -m bench.load PLAN.json OUT.json`.

Each virtual user is a signed-in learner (logged in through the real /login form) with
its own cookie jar and connection; 16 of them run concurrently over loopback. Page phases
run for a fixed time after a warm-up; quiz phases walk a bounded list of work and stop
at the time cap. Everything stops by itself.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.client import Browser, HTTPError, Response
from bench.cpu import CpuMeter

ATTEMPT_RE = re.compile(r"^/attempts/(\d+)$")
RESULT_RE = re.compile(r"^/attempts/(\d+)/result$")
SLICE_WARMUP = 0.25  # seconds before each later slice of a page is measured
ITEM_SPLIT = '<li id="item-'
INPUT_RE = re.compile(r'<input type="(radio|checkbox)" id="[^"]*" name="q-([^"]+)" value="([^"]+)"')
SELECT_RE = re.compile(r"Select (\d+)\.")


@dataclass
class Phase:
    """What one measured phase saw: latencies of the requests that started in the window."""

    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    started_at: float = 0.0
    finished_at: float = 0.0
    cpu: float = 0.0
    share: dict[str, float] | None = None

    def record(self, seconds: float, ok: bool, detail: str = "") -> None:
        self.latencies.append(seconds)
        if not ok:
            self.errors += 1
            if len(self.error_samples) < 5:
                self.error_samples.append(detail)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "latencies": self.latencies,
            "errors": self.errors,
            "error_samples": self.error_samples,
            "elapsed": self.elapsed,
            "client_cpu": self.cpu,
            "share": self.share,
        }

    @property
    def elapsed(self) -> float:
        return max(self.finished_at - self.started_at, 1e-9)

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.elapsed

    def merge(self, other: Phase) -> Phase:
        """This phase and a later slice of the same page, as one phase."""
        merged = Phase(self.name, self.latencies + other.latencies, self.errors + other.errors)
        merged.error_samples = (self.error_samples + other.error_samples)[:5]
        merged.started_at = 0.0
        merged.finished_at = self.elapsed + other.elapsed
        merged.cpu = self.cpu + other.cpu
        if self.share is not None and other.share is not None:
            totals = {k: self.share[k] + other.share[k] for k in ("wall", "server", "database")}
            for k in self.share:
                if k.startswith("cores_"):  # a rate: weigh each slice by its wall time
                    totals[k] = (
                        self.share[k] * self.share["wall"] + other.share[k] * other.share["wall"]
                    ) / max(totals["wall"], 1e-9)
            merged.share = totals
        return merged

    def measured(self, meter: CpuMeter | None) -> None:
        share = meter.stop(self.cpu) if meter is not None else None
        if share is not None:
            self.share = {"wall": share.wall, "server": share.server, "database": share.database}
            self.share.update({f"cores_{k}": v for k, v in share.cores_used().items()})


def _describe(response: Response | None, exc: BaseException | None) -> str:
    if exc is not None:
        return f"{type(exc).__name__}: {exc}"
    assert response is not None
    return f"HTTP {response.status} -> {response.location or '(no redirect)'}"


async def _timed(call: Awaitable[Response]) -> tuple[float, Response | None, BaseException | None]:
    t0 = time.perf_counter()
    try:
        response = await call
    except (OSError, HTTPError, asyncio.IncompleteReadError, ValueError) as exc:
        return time.perf_counter() - t0, None, exc
    return time.perf_counter() - t0, response, None


# --- pages ----------------------------------------------------------------------------


async def page_phase(
    name: str,
    users: list[tuple[Browser, dict[str, Any]]],
    pick: Callable[[dict[str, Any], random.Random], str],
    warmup: float,
    duration: float,
    meter: CpuMeter | None,
) -> Phase:
    phase = Phase(name)
    begin = time.perf_counter()
    measure_from = begin + warmup
    end = measure_from + duration
    cpu0 = 0.0

    async def run(index: int, browser: Browser, user: dict[str, Any]) -> None:
        rng = random.Random(index)
        while (now := time.perf_counter()) < end:
            path = pick(user, rng)
            seconds, response, exc = await _timed(browser.get(path))
            if now >= measure_from:
                ok = response is not None and response.status == 200
                phase.record(seconds, ok, f"GET {path}: {_describe(response, exc)}")
                phase.finished_at = max(phase.finished_at, time.perf_counter())

    async def cpu_mark() -> None:
        nonlocal cpu0
        await asyncio.sleep(max(0.0, measure_from - time.perf_counter()))
        cpu0 = time.process_time()
        if meter is not None:
            meter.start()

    phase.started_at = measure_from
    await asyncio.gather(cpu_mark(), *(run(i, b, u) for i, (b, u) in enumerate(users)))
    phase.cpu = time.process_time() - cpu0
    phase.measured(meter)
    return phase


def _paths(
    module_count: int, codes: list[str]
) -> dict[str, Callable[[dict[str, Any], random.Random], str]]:
    return {
        "verify": lambda u, r: f"/verify/{r.choice(codes)}",
        "healthz": lambda u, r: "/healthz",
        "catalog": lambda u, r: "/courses",
        "course": lambda u, r: f"/courses/{r.choice(u['courses'])}",
        "module": lambda u, r: (
            f"/courses/{r.choice(u['courses'])}/modules/{r.randint(1, module_count)}"
        ),
        "dashboard": lambda u, r: "/dashboard",
    }


# --- quiz -----------------------------------------------------------------------------


@dataclass
class Work:
    """One (learner, course) pair in the quiz phases."""

    browser: Browser
    email: str
    slug: str
    attempt_id: int | None = None
    items: list[tuple[str, str, list[str], int]] = field(default_factory=list)
    answers: dict[str, list[str]] = field(default_factory=dict)
    saved: bool = False
    submitted: bool = False


def parse_take_page(html: str) -> list[tuple[str, str, list[str], int]]:
    """(question id, input type, option ids, how many to select) for every item shown."""
    items = []
    for chunk in html.split(ITEM_SPLIT)[1:]:
        inputs = INPUT_RE.findall(chunk)
        if not inputs:
            continue
        kind, qid = inputs[0][0], inputs[0][1]
        select = SELECT_RE.search(chunk)
        items.append((qid, kind, [v for _, _, v in inputs], int(select.group(1)) if select else 1))
    return items


def choose_answers(
    items: list[tuple[str, str, list[str], int]], rng: random.Random
) -> dict[str, list[str]]:
    return {qid: sorted(rng.sample(options, min(n, len(options)))) for qid, _, options, n in items}


def _answer_fields(answers: dict[str, list[str]]) -> list[tuple[str, str]]:
    return [(f"q-{qid}", option) for qid, options in answers.items() for option in options]


async def quiz_phase(
    name: str,
    lanes: list[list[Work]],
    step: Callable[[Work, Phase], Awaitable[None]],
    wanted: Callable[[Work], bool],
    cap: float,
    meter: CpuMeter | None,
) -> Phase:
    """Each lane (virtual user) walks its own work list until done or the time cap."""
    phase = Phase(name)
    if meter is not None:
        meter.start()
    phase.started_at = time.perf_counter()
    end = phase.started_at + cap
    cpu0 = time.process_time()

    async def run(lane: list[Work]) -> None:
        for work in lane:
            if time.perf_counter() >= end:
                return
            if wanted(work):
                await step(work, phase)
                phase.finished_at = max(phase.finished_at, time.perf_counter())

    await asyncio.gather(*(run(lane) for lane in lanes))
    phase.cpu = time.process_time() - cpu0
    phase.measured(meter)
    return phase


async def step_start(work: Work, phase: Phase) -> None:
    path = f"/courses/{work.slug}/post-test/start"
    seconds, response, exc = await _timed(
        work.browser.post(path, [("csrf_token", work.browser.csrf)])
    )
    found = ATTEMPT_RE.match(response.location) if response is not None else None
    ok = response is not None and response.status == 302 and found is not None
    phase.record(seconds, ok, f"POST {path}: {_describe(response, exc)}")
    if ok and found:
        work.attempt_id = int(found.group(1))


async def step_take(work: Work, phase: Phase) -> None:
    path = f"/attempts/{work.attempt_id}"
    seconds, response, exc = await _timed(work.browser.get(path))
    ok = response is not None and response.status == 200
    if ok and response is not None:
        html = response.body.decode()
        work.items = parse_take_page(html)
        token = response.csrf_token()
        if token:
            work.browser.csrf = token
        ok = len(work.items) > 0
    phase.record(seconds, ok, f"GET {path}: {_describe(response, exc)}")


async def step_save(work: Work, phase: Phase) -> None:
    path = f"/attempts/{work.attempt_id}/save"
    rng = random.Random(work.attempt_id)
    first = choose_answers(work.items[:1], rng)
    fields = [("csrf_token", work.browser.csrf), *_answer_fields(first)]
    seconds, response, exc = await _timed(work.browser.post(path, fields))
    ok = response is not None and response.status == 302 and response.location == path[:-5]
    phase.record(seconds, ok, f"POST {path}: {_describe(response, exc)}")
    work.saved = ok


async def step_submit(work: Work, phase: Phase) -> None:
    path = f"/attempts/{work.attempt_id}/submit"
    work.answers = choose_answers(work.items, random.Random(work.attempt_id))
    fields = [("csrf_token", work.browser.csrf), *_answer_fields(work.answers), ("confirm", "1")]
    seconds, response, exc = await _timed(work.browser.post(path, fields))
    found = RESULT_RE.match(response.location) if response is not None else None
    ok = response is not None and response.status == 302 and found is not None
    phase.record(seconds, ok, f"POST {path}: {_describe(response, exc)}")
    work.submitted = ok


async def race(work: Work) -> dict[str, Any]:
    """Two tabs start the same test at once, then both submit it at once."""
    first, second = work.browser, work.browser.fork()
    path = f"/courses/{work.slug}/post-test/start"
    started = await asyncio.gather(
        first.post(path, [("csrf_token", first.csrf)]),
        second.post(path, [("csrf_token", second.csrf)]),
        return_exceptions=True,
    )
    ids = []
    for r in started:
        found = ATTEMPT_RE.match(r.location) if isinstance(r, Response) else None
        ids.append(int(found.group(1)) if found else None)
    outcome: dict[str, Any] = {"email": work.email, "slug": work.slug, "start_ids": ids}
    if ids[0] is None:
        second.close()
        return outcome
    take = await first.get(f"/attempts/{ids[0]}")
    items = parse_take_page(take.body.decode())
    token = take.csrf_token() or first.csrf
    answers = choose_answers(items, random.Random(ids[0]))
    fields = [("csrf_token", token), *_answer_fields(answers), ("confirm", "1")]
    submitted = await asyncio.gather(
        first.post(f"/attempts/{ids[0]}/submit", fields),
        second.post(f"/attempts/{ids[0]}/submit", fields),
        return_exceptions=True,
    )
    outcome["submit"] = [
        f"{r.status} {r.location}" if isinstance(r, Response) else repr(r) for r in submitted
    ]
    outcome["submit_ok"] = all(
        isinstance(r, Response) and r.status == 302 and RESULT_RE.match(r.location)
        for r in submitted
    )
    outcome["attempt_id"] = ids[0]
    outcome["answers"] = answers
    second.close()
    return outcome


# --- the run --------------------------------------------------------------------------


async def log_in_all(
    browsers: list[tuple[Browser, str]], password: str, clients: int
) -> tuple[Phase, list[str]]:
    """Log everyone in, `clients` at a time (each log-in costs the server one argon2 check)."""
    phase = Phase("log-in")
    phase.started_at = time.perf_counter()
    queue: asyncio.Queue[tuple[Browser, str]] = asyncio.Queue()
    for item in browsers:
        queue.put_nowait(item)
    failures: list[str] = []

    async def worker() -> None:
        while not queue.empty():
            browser, email = queue.get_nowait()
            seconds, response, exc = await _timed(browser.log_in(email, password))
            phase.record(seconds, exc is None, f"log-in {email}: {_describe(response, exc)}")
            if exc is not None:
                failures.append(email)
            phase.finished_at = time.perf_counter()

    await asyncio.gather(*(worker() for _ in range(clients)))
    return phase, failures


async def main_async(plan: dict[str, Any]) -> dict[str, Any]:
    host, port = plan["host"], plan["port"]
    password = plan["password"]
    clients = plan["clients"]
    out: dict[str, Any] = {"phases": [], "fatal": None}

    page_users = [(Browser(host, port, u["email"]), u) for u in plan["page_users"]]
    lanes: list[list[Work]] = []
    races: list[Work] = []
    quiz_browsers: list[tuple[Browser, str]] = []
    for lane_users in plan["quiz_lanes"]:
        lane: list[Work] = []
        browsers = []
        for u in lane_users:
            b = Browser(host, port, u["email"])
            browsers.append((b, u))
            quiz_browsers.append((b, u["email"]))
        # interleave learners so consecutive requests of a lane use different sessions
        for i in range(max(len(u["courses"]) for _, u in browsers)):
            for b, u in browsers:
                if i < len(u["courses"]):
                    lane.append(Work(b, u["email"], u["courses"][i]))
        races.append(lane.pop())  # the last pair of each lane is kept for the race check
        lanes.append(lane)

    login, failures = await log_in_all(
        [(b, u["email"]) for b, u in page_users] + quiz_browsers, password, clients
    )
    out["phases"].append(login.as_json())
    if failures:
        out["fatal"] = f"{len(failures)} log-ins failed: {login.error_samples}"
        return out

    meter = CpuMeter(plan["server_pid"], plan["database"]) if plan.get("server_pid") else None
    paths = _paths(plan["module_count"], plan["codes"])
    # Interleaved: every page (and /healthz) is measured in `rounds` slices taken in turn,
    # so a slow or fast spell of the machine falls on all of them alike; a page's figures
    # are the sum of its slices.
    rounds = max(1, int(plan.get("rounds", 1)))
    merged: dict[str, Phase] = {}
    out["rounds"] = []
    for r in range(rounds):
        row = {}
        for name in plan["pages"]:
            warmup = plan["warmup"] if r == 0 else min(plan["warmup"], SLICE_WARMUP)
            phase = await page_phase(
                name, page_users, paths[name], warmup, plan["duration"] / rounds, meter
            )
            row[name] = phase.rps
            merged[name] = merged[name].merge(phase) if name in merged else phase
        out["rounds"].append(row)
    out["phases"].extend(merged[name].as_json() for name in plan["pages"])

    cap = plan["quiz_cap"]
    steps = [
        ("start", step_start, lambda w: True),
        ("take", step_take, lambda w: w.attempt_id is not None),
        ("save", step_save, lambda w: bool(w.items)),
        ("submit", step_submit, lambda w: bool(w.items)),
    ]
    for name, step, wanted in steps:
        phase = await quiz_phase(name, lanes, step, wanted, cap, meter)
        out["phases"].append(phase.as_json())

    out["race"] = [await race(w) for w in races]  # one at a time: both workers free
    every = [w for lane in lanes for w in lane]
    out["quiz"] = {
        "pairs": len(every),
        "started": [
            {"email": w.email, "slug": w.slug, "attempt_id": w.attempt_id}
            for w in every
            if w.attempt_id is not None
        ],
        "submitted": [
            {"attempt_id": w.attempt_id, "answers": w.answers} for w in every if w.submitted
        ],
        "saved": sum(1 for w in every if w.saved),
    }
    for b, _ in page_users:
        b.close()
    for b, _ in quiz_browsers:
        b.close()
    return out


def main() -> None:
    plan = json.loads(Path(sys.argv[1]).read_text())
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    out = asyncio.run(main_async(plan))
    out["wall"] = time.perf_counter() - t0
    out["client_cpu"] = time.process_time() - cpu0
    Path(sys.argv[2]).write_text(json.dumps(out))


if __name__ == "__main__":
    main()
