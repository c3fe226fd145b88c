"""`make bench`: seed at scale, serve with gunicorn, load it from another process, report.

One run, one report: SQLite always, PostgreSQL too when it answers on 127.0.0.1:5432
(database `ceu_bench`, created and dropped here). Results go to the console and to
bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench import report
from bench.cpu import CpuMeter
from bench.diagnose import diagnose
from bench.report import BackendResult, Figures
from bench.seed import BENCH_PASSWORD, seed
from bench.server import BIN, Gunicorn, server_env
from bench.verify import verify_quiz
from ceu import create_app
from ceu.config import PROJECT_ROOT

HERE = Path(__file__).resolve().parent
PG_URL = os.environ.get("CEU_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/")
PG_DATABASE = "ceu_bench"
CLIENTS = 16
QUIZ_LEARNERS_PER_CLIENT = 3
PDF_SECONDS = 5.0
LOADGEN_TIMEOUT = 600


def _postgres_admin_url() -> str:
    return make_url(PG_URL).set(database="postgres").render_as_string(hide_password=False)


def postgres_answers() -> bool:
    try:
        engine = create_engine(_postgres_admin_url(), connect_args={"connect_timeout": 2})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception:  # noqa: BLE001 - any failure means "no PostgreSQL here"
        return False
    return True


def _postgres_database(action: str) -> str:
    engine = create_engine(_postgres_admin_url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)'))
        if action == "create":
            conn.execute(text(f'CREATE DATABASE "{PG_DATABASE}"'))
    engine.dispose()
    return make_url(PG_URL).set(database=PG_DATABASE).render_as_string(hide_password=False)


@contextmanager
def environment(env: dict[str, str]) -> Iterator[None]:
    """create_app() reads the environment only: give it the server's for the in-process app."""
    keys = [k for k in env if k.startswith("CEU_")]
    saved = {k: os.environ.get(k) for k in keys}
    os.environ.update({k: env[k] for k in keys})
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _server_errors(log: Path) -> list[str]:
    if not log.exists():
        return []
    lines = log.read_text(errors="replace").splitlines()
    found = []
    for i, line in enumerate(lines):
        if "Traceback" in line or "ERROR" in line or "CRITICAL" in line:
            found.append(line)
            if "Traceback" in line:
                found += lines[i + 1 : i + 30]
    return found


def run_backend(backend: str, url: str, work: Path, settings: dict[str, Any]) -> BackendResult:
    result = BackendResult(backend=backend, url=url)
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    inst = work / backend / "instance"
    inst.mkdir(parents=True)
    env = server_env(
        CEU_DATABASE_URL=url,
        CEU_INSTANCE_PATH=str(inst),
        CEU_SECRET_KEY=secrets.token_urlsafe(32),
        CEU_RATELIMIT_ENABLED="0",
    )
    t0 = time.perf_counter()
    upgraded = subprocess.run(
        [str(BIN / "ceu"), "db", "upgrade"],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if upgraded.returncode != 0:
        result.fatal = f"ceu db upgrade failed: {upgraded.stderr.strip()[-800:]}"
        return result
    schema_seconds = time.perf_counter() - t0

    with environment(env):
        app = create_app()
    logging.getLogger().setLevel(logging.WARNING)
    seeded = seed(app, clients=settings["clients"], quiz_learners_per_client=settings["quiz_per"])
    result.seed_timings = {"schema (ceu db upgrade)": schema_seconds, **seeded.timings}
    result.seed_seconds = sum(result.seed_timings.values())
    result.counts = seeded.counts
    print(f"   seeded in {result.seed_seconds:.1f} s", flush=True)

    try:
        result.diagnosis = diagnose(
            app, user=seeded.diag_user, password=BENCH_PASSWORD, module_count=seeded.module_count
        )
    except Exception as exc:  # noqa: BLE001 - reported, the load run still tells a lot
        result.notes.append(f"in-process diagnosis failed: {type(exc).__name__}: {exc}")

    plan = {
        "host": "127.0.0.1",
        "port": 0,
        "password": BENCH_PASSWORD,
        "clients": settings["clients"],
        "warmup": settings["warmup"],
        "duration": settings["duration"],
        "quiz_cap": settings["quiz_cap"],
        "pages": ["healthz", "catalog", "course", "module", "dashboard", "verify"],
        "rounds": settings["rounds"],
        "codes": seeded.verification_codes,
        "module_count": seeded.module_count,
        "page_users": seeded.page_users,
        "quiz_lanes": seeded.quiz_lanes,
    }
    log = work / backend / "gunicorn.log"
    plan_path, out_path = work / backend / "plan.json", work / backend / "load.json"
    with Gunicorn(env, log) as server:
        plan["port"] = server.port
        print(f"   serving on 127.0.0.1:{server.port}; load generator running…", flush=True)
        assert server.proc is not None
        plan["server_pid"] = server.proc.pid
        plan["database"] = PG_DATABASE if backend == "PostgreSQL" else ""
        plan_path.write_text(json.dumps(plan))
        meter = CpuMeter(server.proc.pid, plan["database"])
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        try:
            loaded = subprocess.run(
                [sys.executable, "-m", "bench.load", str(plan_path), str(out_path)],
                cwd=PROJECT_ROOT,
                timeout=LOADGEN_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            result.fatal = f"load generator still running after {LOADGEN_TIMEOUT} s: killed"
            return result
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        share = meter.stop(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    result.server_errors = _server_errors(log)
    if loaded.returncode != 0 or not out_path.exists():
        result.fatal = f"load generator exited with {loaded.returncode}"
        return result
    load = json.loads(out_path.read_text())
    if load.get("fatal"):
        result.fatal = load["fatal"]
    for phase in load["phases"]:
        fig = Figures.of(phase)
        if phase["name"] == "log-in":
            result.login = fig
        else:
            result.figures[phase["name"]] = fig
    result.notes.append(
        f"load generator: {load['client_cpu']:.0f} s CPU in {load['wall']:.0f} s wall"
    )
    if share is not None:
        result.notes.append("whole load run: " + share.describe())
    result.rounds = load.get("rounds", [])
    quiz = load.get("quiz", {})
    if quiz:
        result.notes.append(
            f"quiz work: {quiz['pairs']} (learner, course) pairs offered; "
            f"{len(quiz['started'])} started, {quiz['saved']} saved, "
            f"{len(quiz['submitted'])} submitted within the caps"
        )
    home, healthz = result.diagnosis.get("home"), result.diagnosis.get("healthz")
    if home and healthz:
        result.notes.append(
            f"floor: a signed-in page that renders only the layout (GET /) costs "
            f"{home['ms']:.1f} ms in-process, /healthz {healthz['ms']:.1f} ms"
        )
    cores = os.cpu_count() or 1
    load_after = os.getloadavg()[0]
    others = share.cores_used()["others"] if share is not None else 0.0
    busy = (
        f"; other processes took {others:.2f} of {cores} cores during the load run, so "
        "throughput and latency are pessimistic (the CPU-based ratios are not)"
        if others > 0.1
        else ""
    )
    result.notes.append(
        f"1-min load average {load_before:.1f} before, {load_after:.1f} after{busy}"
    )
    if not result.fatal:
        result.checks_ok, result.checks = verify_quiz(url, seeded.quiz_emails, load)
    result.wall_seconds = time.perf_counter() - started
    return result


def guarded(
    run: Any, backend: str, url: str, work: Path, settings: dict[str, Any]
) -> BackendResult:
    """A crash in one backend is reported, and the other backend still runs."""
    try:
        result: BackendResult = run(backend, url, work, settings)
    except Exception as exc:  # noqa: BLE001 - reported as FATAL with its traceback
        result = BackendResult(backend=backend, url=url)
        tail = traceback.format_exc().strip().splitlines()[-6:]
        result.fatal = f"{type(exc).__name__}: {exc}\n" + "\n".join(tail)
    return result


def run_pdf(seconds: float) -> list[str]:
    if not (HERE / "pdf_bench.py").exists():
        return ["bench/pdf_bench.py is not there yet: PDF certificate bench skipped."]
    try:
        from bench.pdf_bench import bench_pdf  # type: ignore[import-not-found,unused-ignore]

        outcome = bench_pdf(seconds)
    except Exception as exc:  # noqa: BLE001 - someone else's bench must not sink this one
        return [f"PDF bench failed: {type(exc).__name__}: {exc}"]
    if outcome is None:
        return ["(PDF bench printed its own figures above)"]
    if isinstance(outcome, dict):
        return [f"- {k}: {v}" for k, v in outcome.items()]
    return [str(outcome)]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--duration", type=float, default=8.0, help="measured seconds per page")
    parser.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds per page")
    parser.add_argument(
        "--rounds", type=int, default=4, help="slices per page, taken in turn with the others"
    )
    parser.add_argument("--quiz-cap", type=float, default=8.0, help="cap per quiz step, seconds")
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--no-pdf", action="store_true")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", message="Using the in-memory storage")
    settings = {
        "clients": args.clients,
        "warmup": args.warmup,
        "duration": args.duration,
        "rounds": max(1, args.rounds),
        "quiz_cap": args.quiz_cap,
        "quiz_per": QUIZ_LEARNERS_PER_CLIENT,
    }
    begin = time.perf_counter()
    info = report.machine()
    print("ceu bench — " + ", ".join(f"{k} {v}" for k, v in info.items()), flush=True)
    results: list[BackendResult] = []
    wanted = args.backends.split(",")
    with tempfile.TemporaryDirectory(prefix="ceu-bench-") as tmp:
        work = Path(tmp)
        if "sqlite" in wanted:
            url = f"sqlite:///{work / 'ceu-bench.sqlite3'}"
            print("\n-- SQLite: seeding…", flush=True)
            results.append(guarded(run_backend, "SQLite", url, work, settings))
            print(report.console(results[-1], settings), flush=True)
        if "postgresql" in wanted:
            if postgres_answers():
                print("\n-- PostgreSQL: seeding…", flush=True)
                url = _postgres_database("create")
                try:
                    results.append(guarded(run_backend, "PostgreSQL", url, work, settings))
                finally:
                    _postgres_database("drop")
                print(report.console(results[-1], settings), flush=True)
            else:
                print(f"\nPostgreSQL does not answer at {PG_URL}: skipped.", flush=True)
    extra: list[str] = []
    if not args.no_pdf:
        print("\n-- certificates (PDF)", flush=True)
        extra = run_pdf(PDF_SECONDS)
        print("\n".join(extra), flush=True)
    total = time.perf_counter() - begin
    report.write_markdown(HERE / "RESULTS.md", info, settings, results, extra, total)
    print("\n" + "\n".join(report.verdict(r) for r in results), flush=True)
    print(f"Whole run {total:.0f} s; figures written to bench/RESULTS.md", flush=True)
    failed = [r.backend for r in results if r.fatal or not r.checks_ok]
    if failed:
        print("FAIL: " + ", ".join(failed), flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
