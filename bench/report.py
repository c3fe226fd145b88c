"""Figures from raw latencies, the console table, and bench/RESULTS.md."""

from __future__ import annotations

import math
import os
import platform
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.load import SLICE_WARMUP

WORKERS = 2
PAGE_TARGET_RATIO = 0.5
PAGE_TARGET_P99_MS = 50.0
SUBMIT_TARGET_RATIO = 0.3

LABELS = {
    "healthz": "/healthz",
    "catalog": "catalog /courses",
    "course": "course page",
    "module": "module page",
    "dashboard": "dashboard",
    "verify": "verify /verify/<code>",
    "start": "post-test start",
    "take": "take page",
    "save": "save answers",
    "submit": "submit 30 items",
}
PAGES = ("catalog", "course", "module", "dashboard", "verify")
QUIZ = ("start", "take", "save", "submit")


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(p * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass
class Figures:
    name: str
    count: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    elapsed: float
    client_cpu: float
    error_samples: list[str] = field(default_factory=list)
    share: dict[str, float] | None = None

    @classmethod
    def of(cls, phase: dict[str, Any]) -> Figures:
        lat = sorted(phase["latencies"])
        return cls(
            name=phase["name"],
            count=len(lat),
            rps=len(lat) / phase["elapsed"] if lat else 0.0,
            p50_ms=percentile(lat, 0.50) * 1000,
            p99_ms=percentile(lat, 0.99) * 1000,
            errors=phase["errors"],
            elapsed=phase["elapsed"],
            client_cpu=phase["client_cpu"],
            error_samples=phase["error_samples"],
            share=phase.get("share"),
        )


@dataclass
class BackendResult:
    backend: str
    url: str
    seed_seconds: float = 0.0
    seed_timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    figures: dict[str, Figures] = field(default_factory=dict)
    login: Figures | None = None
    diagnosis: dict[str, dict[str, float]] = field(default_factory=dict)
    checks_ok: bool = False
    checks: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    fatal: str | None = None
    wall_seconds: float = 0.0
    rounds: list[dict[str, float]] = field(default_factory=list)  # req/s by page, per round


def target(name: str, fig: Figures, healthz_rps: float) -> str:
    ratio = fig.rps / healthz_rps if healthz_rps else 0.0
    if name in PAGES:
        misses = []
        if ratio < PAGE_TARGET_RATIO:
            misses.append(f"x{ratio:.2f}<{PAGE_TARGET_RATIO}")
        if fig.p99_ms >= PAGE_TARGET_P99_MS:
            misses.append(f"p99>={PAGE_TARGET_P99_MS:.0f}")
        if fig.errors:
            misses.append("errors")
        return "PASS" if not misses else "MISS " + ", ".join(misses)
    if name == "submit":
        misses = []
        if ratio < SUBMIT_TARGET_RATIO:
            misses.append(f"x{ratio:.2f}<{SUBMIT_TARGET_RATIO}")
        if fig.errors:
            misses.append("errors")
        return "PASS" if not misses else "MISS " + ", ".join(misses)
    return ""


def _cpu_per_request(fig: Figures) -> float:
    """Server plus database CPU seconds per request: capacity, whatever else ran."""
    if not fig.share or not fig.count:
        return 0.0
    return (fig.share["server"] + fig.share["database"]) / fig.count


def table_rows(result: BackendResult) -> list[list[str]]:
    healthz = result.figures.get("healthz")
    base = healthz.rps if healthz else 0.0
    base_cpu = _cpu_per_request(healthz) if healthz else 0.0
    rows = []
    for name in ("healthz", *PAGES, *QUIZ):
        fig = result.figures.get(name)
        if fig is None:
            continue
        diag = result.diagnosis.get(name, {})
        share = fig.share
        rows.append(
            [
                LABELS[name],
                f"{fig.rps:.1f}",
                f"{fig.p50_ms:.1f}",
                f"{fig.p99_ms:.1f}",
                str(fig.errors),
                f"{fig.rps / base:.2f}" if base else "-",
                f"{base_cpu / _cpu_per_request(fig):.2f}"
                if base_cpu and _cpu_per_request(fig)
                else "-",
                f"{WORKERS * 1000 / fig.rps:.1f}" if fig.rps else "-",
                f"{1000 * share['server'] / fig.count:.1f}" if share and fig.count else "-",
                f"{1000 * share['database'] / fig.count:.1f}"
                if share and fig.count and result.backend != "SQLite"
                else "-",
                f"{share['cores_others']:.2f}" if share else "-",
                f"{diag['statements']:.0f}" if diag else "-",
                f"{diag['ms']:.1f}" if diag else "-",
                f"{diag['sql_ms']:.1f}" if diag else "-",
                target(name, fig, base) or "-",
            ]
        )
    return rows


HEADER = [
    "request",
    "req/s",
    "p50 ms",
    "p99 ms",
    "errors",
    "x healthz",
    "x healthz by CPU",
    "worker ms/req",
    "app CPU ms/req",
    "DB CPU ms/req",
    "others (cores)",
    "SQL/req",
    "1-client ms",
    "of which SQL",
    "target",
]


def _text_table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [HEADER, *rows]) for i in range(len(HEADER))]
    lines = []
    for r in [HEADER, *rows]:
        cells = [r[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(r[1:-1], widths[1:-1], strict=True)
        ]
        lines.append("  ".join(cells) + "  " + r[-1])
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def _md_table(rows: list[list[str]]) -> str:
    lines = [
        "| " + " | ".join(HEADER) + " |",
        "|" + "|".join(["---"] + ["---:"] * 13 + ["---"]) + "|",
    ]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def seed_line(result: BackendResult) -> str:
    c = result.counts
    parts = ", ".join(f"{k} {v:.1f} s" for k, v in result.seed_timings.items())
    return (
        f"seeded {c.get('learners', 0):,} learners, {c.get('courses', 0)} courses, "
        f"{c.get('enrollments', 0):,} enrollments, {c.get('module_progress', 0):,} module-progress "
        f"rows ({c.get('progress_complete', 0):,} complete) in {result.seed_seconds:.1f} s\n"
        f"  ({parts})"
    )


def rounds_lines(result: BackendResult) -> list[str]:
    """Each round's /healthz req/s and each page's ratio to it: how steady the machine was."""
    lines = []
    for i, row in enumerate(result.rounds, 1):
        base = row.get("healthz", 0.0)
        ratios = ", ".join(
            f"{name} {row[name] / base:.2f}" for name in PAGES if name in row and base
        )
        lines.append(f"round {i}: /healthz {base:.0f} req/s; x healthz: {ratios}")
    return lines


def console(result: BackendResult, settings: dict[str, Any]) -> str:
    title = f"== {result.backend} ({result.url}) =="
    out = [title, seed_line(result)]
    if result.fatal:
        out.append(f"FATAL: {result.fatal}")
    if result.login:
        out.append(
            f"log-in of {result.login.count} learners through /login (argon2), 16 at a time: "
            f"{result.login.elapsed:.1f} s, p50 {result.login.p50_ms:.0f} ms, "
            f"{result.login.errors} errors"
        )
    out.append(
        f"{settings['clients']} clients, gunicorn -w 2 (sync); pages: {settings['duration']:.0f} s "
        f"each in {settings['rounds']} interleaved slices; quiz steps: each attempt once, "
        f"cap {settings['quiz_cap']:.0f} s per step"
    )
    if result.figures:
        out.append(_text_table(table_rows(result)))
    out += rounds_lines(result)
    out += [f"quiz integrity: {line}" for line in result.checks]
    out.append("quiz integrity: " + ("OK" if result.checks_ok else "FAIL"))
    out += [f"note: {n}" for n in result.notes]
    if result.server_errors:
        out.append(f"server log: {len(result.server_errors)} error line(s); first:")
        out += ["  " + line for line in result.server_errors[:8]]
    for fig in result.figures.values():
        for sample in fig.error_samples[:2]:
            out.append(f"error sample ({fig.name}): {sample}")
    out.append(f"({result.backend} took {result.wall_seconds:.0f} s in all)")
    return "\n".join(out)


def machine() -> dict[str, str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    try:
        gunicorn = subprocess.run(
            [str(Path(sys.executable).parent / "gunicorn"), "--version"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        gunicorn = "unknown"
    return {
        "nproc": str(os.cpu_count()),
        "CPU": model,
        "RAM": ram,
        "Python": platform.python_version(),
        "gunicorn": gunicorn,
        "OS": platform.platform(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def write_markdown(
    path: Path,
    info: dict[str, str],
    settings: dict[str, Any],
    results: list[BackendResult],
    extra: list[str],
    total_seconds: float,
) -> None:
    out = [
        "# ceu load benchmark",
        "",
        "Written by `make bench` (`python -m bench`); overwritten on every run.",
        "",
        "## Machine",
        "",
        *[f"- {k}: {v}" for k, v in info.items()],
        "",
        "## Set-up",
        "",
        f"- {settings['clients']} concurrent clients (one asyncio load-generator process, "
        "HTTP/1.1 over loopback), each a learner logged in through the real /login form",
        "- server: `gunicorn -w 2 -b 127.0.0.1:PORT 'ceu:create_app()'` (sync workers), "
        "rate limits off (`CEU_RATELIMIT_ENABLED=0`)",
        f"- pages: {settings['duration']:.0f} s measured per page, in {settings['rounds']} "
        f"slices of {settings['duration'] / settings['rounds']:.1f} s: /healthz and the pages "
        "take turns, round after round, so that a slow or fast spell of the machine falls on "
        f"all of them alike ({settings['warmup']:.0f} s warm-up before a page's first slice, "
        f"{SLICE_WARMUP:g} s before the others); course and module pages pick one of the "
        "learner's 10 courses (and a module) at random",
        f"- quiz: learners who have read every module; each step (start, take page, save one "
        f"answer, submit all 30 answers with confirm=1) runs once per attempt, capped at "
        f"{settings['quiz_cap']:.0f} s; then 16 double-start + double-submit races",
        f"- targets: pages >= {PAGE_TARGET_RATIO} x /healthz throughput and p99 < "
        f"{PAGE_TARGET_P99_MS:.0f} ms; submit >= {SUBMIT_TARGET_RATIO} x /healthz with zero "
        "errors",
        "- `worker ms/req`: 2 workers / throughput, i.e. what one request costs a worker under "
        "load (queueing excluded); with 16 clients on 2 sync workers, latency is about "
        "8 x this",
        "- `SQL/req`, `1-client ms` and `of which SQL`: the same requests in-process (Flask "
        "test client, one at a time, median), i.e. service time without queueing",
        "- `x healthz by CPU`: /healthz's server+database CPU per request divided by this "
        "request's: the capacity ratio, which other processes on the machine do not skew",
        "- `app CPU ms/req` and `DB CPU ms/req`: CPU the gunicorn workers and the PostgreSQL "
        "sessions of the bench used per request during the phase (from /proc); `others "
        "(cores)`: CPU that processes outside the bench took meanwhile (the machine may be "
        "shared: anything above ~0.1 makes the figures pessimistic)",
        "",
    ]
    out += ["## Verdict", "", *[f"- {verdict(r)}" for r in results], ""]
    for result in results:
        out += [f"## {result.backend}", "", seed_line(result).replace("\n  ", "\n\n"), ""]
        if result.fatal:
            out += [f"**FATAL:** {result.fatal}", ""]
        if result.login:
            out += [
                f"Log-in of {result.login.count} learners through /login: p50 "
                f"{result.login.p50_ms:.0f} ms, {result.login.errors} errors.",
                "",
            ]
        if result.figures:
            out += [_md_table(table_rows(result)), ""]
        if result.rounds:
            out += ["By round (the figures above are the sum of the rounds):", ""]
            out += [*[f"- {line}" for line in rounds_lines(result)], ""]
        out += ["Quiz integrity (rows counted after the run):", ""]
        out += [f"- {line}" for line in result.checks]
        out += [f"- **{'OK' if result.checks_ok else 'FAIL'}**", ""]
        if result.notes:
            out += [*[f"- note: {n}" for n in result.notes], ""]
        if result.server_errors:
            out += [
                "Server log errors (first lines):",
                "",
                "```",
                *result.server_errors[:8],
                "```",
                "",
            ]
    if extra:
        out += ["## Certificates (PDF)", "", *extra, ""]
    out += [f"Whole run: {total_seconds:.0f} s.", ""]
    path.write_text("\n".join(out))


def verdict(result: BackendResult) -> str:
    """One line: which targets were met."""
    if result.fatal or "healthz" not in result.figures:
        return f"{result.backend}: no figures ({result.fatal or 'incomplete run'})"
    base = result.figures["healthz"].rps
    parts = []
    for name in (*PAGES, "submit"):
        fig = result.figures.get(name)
        if fig is not None:
            parts.append(f"{name} {target(name, fig, base).split(' ')[0]}")
    integrity = "OK" if result.checks_ok else "FAIL"
    return f"{result.backend}: targets " + ", ".join(parts) + f"; quiz integrity {integrity}"
