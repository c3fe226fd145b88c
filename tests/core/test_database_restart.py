"""PostgreSQL crashes and comes back under load: only 503s while it is down, 2xx after,
and afterwards every submitted attempt is graded exactly once and every learner who
finished holds exactly one certificate.

The test starts its own PostgreSQL cluster (initdb into a temporary folder, its own
port) and its own gunicorn; the machine's shared PostgreSQL is never touched.
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.clusters import (
    EVALUATION,
    PROJECT_ROOT,
    Client,
    Gunicorn,
    Learner,
    PostgresCluster,
    app_environment,
    ceu_command,
    log_in_through_the_form,
    prepare_learners,
)

pytestmark = pytest.mark.slow

LEARNERS = 6


def _journey(
    address: Any, learner: Learner, submit_after: float, ready: threading.Barrier,
    stop: threading.Event,
) -> None:  # fmt: skip
    """Log in, then (once every learner has) read, submit the post-test and send the
    evaluation; resend what got a 503."""
    client = Client(address, timeout=20)
    token = log_in_through_the_form(client, learner)
    ready.wait(timeout=120)  # the outage starts only once everybody is signed in
    submit_at = time.monotonic() + submit_after

    def send(method: str, path: str, data: dict[str, Any] | None = None) -> int:
        resp = client.request(method, path, data and {**data, "csrf_token": token})
        learner.log.append((resp.started, resp.ended, resp.status, f"{method} {path}"))
        return resp.status

    while not stop.is_set():
        send("GET", "/courses/minimal-course/modules/1")
        if not learner.submitted and time.monotonic() >= submit_at:
            status = send("POST", f"/attempts/{learner.attempt_id}/submit", learner.answers)
            learner.submitted = status == 302
        elif learner.submitted and not learner.evaluated:
            status = send("POST", "/courses/minimal-course/evaluation", EVALUATION)
            learner.evaluated = status == 302
        time.sleep(0.05)


def test_a_database_crash_under_load_answers_503_then_recovers_losing_nothing(tmp_path):
    with PostgresCluster() as cluster:
        url = cluster.create_database("ceu")
        env = app_environment(url, tmp_path / "instance", CEU_RATELIMIT_ENABLED="0")
        ceu_command(env, "db", "upgrade")
        ceu_command(env, "courses", "import", str(PROJECT_ROOT / "docs/examples/minimal-course"))
        learners = prepare_learners(url, tmp_path / "instance", count=LEARNERS)

        with Gunicorn(env, tmp_path / "gunicorn.log") as server:
            stop = threading.Event()
            # Signing in hashes a password at full cost: on a loaded machine it can take
            # longer than the time before the outage, so the clock starts after it.
            ready = threading.Barrier(LEARNERS + 1)
            threads = [
                threading.Thread(
                    target=_journey, args=(server.address, learner, 0.4 * n, ready, stop)
                )
                for n, learner in enumerate(learners)
            ]
            for thread in threads:
                thread.start()
            ready.wait(timeout=120)
            time.sleep(1.2)  # some learners have submitted, others will while it is down
            down_at = time.monotonic()
            cluster.kill()
            time.sleep(1.0)
            cluster.start()
            up_at = time.monotonic()
            deadline = up_at + 30
            while time.monotonic() < deadline and not all(x.evaluated for x in learners):
                time.sleep(0.2)
            time.sleep(1.0)  # a last round of page views after everyone finished
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
            health = Client(server.address).get("/healthz").status
            server_log = server.log_tail()

        log = sorted(entry for learner in learners for entry in learner.log)
        statuses = {status for _, _, status, _ in log}
        assert statuses <= {200, 302, 503}, (statuses, server_log)
        unavailable = [entry for entry in log if entry[2] == 503]
        assert unavailable, "no request met the outage: the test did not test it"
        grace = 1.0  # a request sent just as the server came back may still meet the old pool
        late = [entry for entry in unavailable if entry[0] > up_at + grace]
        assert not late, f"503 after the database was back: {late[:5]}"
        early = [e for e in unavailable if e[1] < down_at]
        assert not early, f"503 before the database went down: {early[:5]}"
        assert health == 200
        assert all(x.submitted and x.evaluated for x in learners), server_log

        engine = create_engine(url)
        with engine.connect() as conn:
            for learner in learners:
                attempts = conn.execute(
                    text(
                        "SELECT a.state, a.is_passed, count(i.position) FROM attempt a "
                        "LEFT JOIN attempt_item i ON i.attempt_id = a.id "
                        "WHERE a.enrollment_id = (SELECT enrollment_id FROM attempt "
                        "WHERE id = :id) AND a.kind = 'post_test' GROUP BY a.id"
                    ),
                    {"id": learner.attempt_id},
                ).all()
                assert [(a.state, a.is_passed, a[2]) for a in attempts] == [
                    ("graded", True, len(learner.answers))
                ], learner.email
            per_enrollment = conn.execute(
                text("SELECT enrollment_id, count(*) FROM certificate GROUP BY enrollment_id")
            ).all()
            numbers = conn.execute(text("SELECT number FROM certificate")).scalars().all()
        engine.dispose()
        assert len(per_enrollment) == LEARNERS
        assert all(count == 1 for _, count in per_enrollment)
        assert len(set(numbers)) == LEARNERS
        assert all(re.search(r"\d", n) for n in numbers)
