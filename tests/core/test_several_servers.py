"""Two gunicorn servers behind HAProxy (Debian's), on one PostgreSQL and one Redis.

No sticky sessions: HAProxy sends requests round-robin and names the server that
answered in `X-Server`. The PostgreSQL cluster is the test's own (never the shared one);
Redis is the machine's, with a key prefix unique to this run.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.clusters import (
    EVALUATION,
    PROJECT_ROOT,
    Client,
    Gunicorn,
    Learner,
    PostgresCluster,
    app_environment,
    ceu_command,
    free_port,
    log_in_through_the_form,
    prepare_learners,
)
from tests.conftest import csrf_from

pytestmark = pytest.mark.slow

HAPROXY_CONFIG = """
global
    maxconn 200
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    retries 3
    option redispatch
    retry-on conn-failure empty-response
frontend ceu
    bind 127.0.0.1:{port}
    option forwardfor
    default_backend app
backend app
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
    http-response set-header X-Server %[srv_name]
    server a 127.0.0.1:{a} check inter 300ms fall 2 rise 2
    server b 127.0.0.1:{b} check inter 300ms fall 2 rise 2
"""


class HAProxy:
    def __init__(self, root: Path, backends: list[int]) -> None:
        binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
        assert Path(binary).exists(), "haproxy is missing: `make debian-packages` installs it"
        self.port = free_port()
        self.config = root / "haproxy.cfg"
        self.config.write_text(
            HAPROXY_CONFIG.format(port=self.port, a=backends[0], b=backends[1]), encoding="utf-8"
        )
        self.log = root / "haproxy.log"
        with self.log.open("ab") as log:
            self._process = subprocess.Popen(
                [binary, "-db", "-f", str(self.config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if Client(self.address).get("/healthz").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise AssertionError(f"haproxy did not serve: {self.log.read_text(errors='replace')}")

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=5)


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("stack")
    prefix = f"ceu-test-{uuid.uuid4().hex[:12]}"
    with PostgresCluster() as cluster:
        url = cluster.create_database("ceu")
        env = app_environment(
            url,
            root / "instance",
            CEU_REDIS_URL="redis://127.0.0.1:6379/0",
            CEU_REDIS_PREFIX=prefix,
            CEU_PROXY_COUNT="1",
        )
        ceu_command(env, "db", "upgrade")
        ceu_command(env, "courses", "import", str(PROJECT_ROOT / "docs/examples/minimal-course"))
        learners = prepare_learners(url, root / "instance", count=8)
        servers = [Gunicorn(env, root / f"gunicorn-{name}.log") for name in "ab"]
        try:
            for server in servers:
                server.start()
            balancer = HAProxy(root, [s.port for s in servers])
            try:
                yield {"lb": balancer.address, "servers": servers, "url": url, "env": env,
                       "learners": learners, "root": root, "prefix": prefix}  # fmt: skip
            finally:
                balancer.stop()
        finally:
            for server in servers:
                server.stop()
            _forget_redis_keys(prefix)


def _forget_redis_keys(prefix: str) -> None:
    import redis

    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    for key in client.scan_iter(f"*{prefix}*"):  # limits adds its own prefix in front
        client.delete(key)
    client.close()


def _served_by(resp) -> str:
    return resp.headers.get("X-Server") or resp.headers.get("x-server", "?")


def test_a_session_moves_between_servers(stack):
    learner = stack["learners"][0]
    client = Client(stack["lb"])
    log_in_through_the_form(client, learner)
    seen = Counter()
    for _ in range(6):
        resp = client.get("/account/profile")
        assert resp.status == 200, "signed out on another server"
        seen[_served_by(resp)] += 1
    assert set(seen) == {"a", "b"}, seen


def test_rate_limits_are_shared_by_both_servers(stack):
    client = Client(stack["lb"])
    answers = []
    token = csrf_from(client.get("/login").body)
    for n in range(6):  # 5 failed log-ins a minute per address, whichever server counts
        resp = client.post(
            "/login",
            {"email": f"nobody{n}@example.org", "password": "wrong password", "csrf_token": token},
        )
        answers.append((resp.status, _served_by(resp)))
    _forget_redis_keys(stack["prefix"])  # the next tests log in from this address too
    assert [status for status, _ in answers] == [422] * 5 + [429], answers
    assert {server for _, server in answers[:5]} == {"a", "b"}


def test_certificate_numbers_stay_unique_and_contiguous_when_both_servers_issue(stack):
    from sqlalchemy import create_engine, text

    learners = stack["learners"][1:7]
    clients = []
    for learner in learners:
        client = Client(stack["lb"])
        token = log_in_through_the_form(client, learner)
        submitted = client.post(
            f"/attempts/{learner.attempt_id}/submit", {**learner.answers, "csrf_token": token}
        )
        assert submitted.status == 302
        clients.append((client, token))
    barrier = threading.Barrier(len(clients))
    results: list[tuple[int, str]] = []

    def evaluate(client: Client, token: str) -> None:
        barrier.wait(timeout=30)
        resp = client.post(
            "/courses/minimal-course/evaluation", {**EVALUATION, "csrf_token": token}
        )
        results.append((resp.status, _served_by(resp)))

    threads = [threading.Thread(target=evaluate, args=pair) for pair in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [status for status, _ in results] == [302] * len(learners), results
    assert {server for _, server in results} == {"a", "b"}
    engine = create_engine(stack["url"])
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT number, year, sequence FROM certificate")).all()
    engine.dispose()
    sequences = sorted(row.sequence for row in rows)
    assert len({row.number for row in rows}) == len(rows) == len(learners)
    assert sequences == list(range(sequences[0], sequences[0] + len(learners)))


def test_a_course_imported_beside_one_server_is_served_by_the_other_at_once(stack, tmp_path):
    a, b = stack["servers"]
    course = tmp_path / "minimal-course"
    shutil.copytree(PROJECT_ROOT / "docs/examples/minimal-course", course)
    assert Client(b.address).get("/courses/minimal-course").status == 200  # b has it cached
    yaml = (course / "course.yaml").read_text(encoding="utf-8")
    changed = re.sub(r"^title: (.*)$", r"title: \1 (second edition)", yaml, count=1, flags=re.M)
    changed = re.sub(r"^version: .*$", 'version: "9.9.9"', changed, count=1, flags=re.M)
    assert "(second edition)" in changed
    (course / "course.yaml").write_text(changed, encoding="utf-8")
    ceu_command({**a.env}, "courses", "import", str(course))  # the operator on server a
    after = Client(b.address).get("/courses/minimal-course").body
    assert "(second edition)" in after


def test_one_server_stopping_mid_load_loses_nothing(stack):
    from sqlalchemy import create_engine, text

    a, _ = stack["servers"]
    learner: Learner = stack["learners"][7]
    stop = threading.Event()
    statuses: list[tuple[int, str]] = []
    errors: list[BaseException] = []

    def browse() -> None:
        client = Client(stack["lb"])
        try:
            log_in_through_the_form(client, learner)
            while not stop.is_set():
                resp = client.get("/courses/minimal-course/modules/1")
                statuses.append((resp.status, _served_by(resp)))
        except BaseException as exc:  # noqa: BLE001  (asserted below)
            errors.append(exc)

    submitter = Client(stack["lb"])
    token = log_in_through_the_form(submitter, learner)
    workers = [threading.Thread(target=browse) for _ in range(4)]
    for worker in workers:
        worker.start()
    time.sleep(1.0)
    a.stop()  # SIGTERM: gunicorn finishes what it is serving and stops
    submitted = submitter.post(
        f"/attempts/{learner.attempt_id}/submit", {**learner.answers, "csrf_token": token}
    )
    time.sleep(1.5)
    stop.set()
    for worker in workers:
        worker.join(timeout=30)
    a.start()  # back for any later test
    assert not errors, errors
    assert submitted.status == 302
    bad = [s for s in statuses if s[0] >= 500]
    assert not bad, bad[:5]
    assert {server for _, server in statuses} == {"a", "b"}
    engine = create_engine(stack["url"])
    with engine.connect() as conn:
        graded = conn.execute(
            text(
                "SELECT a.state, count(i.position) FROM attempt a LEFT JOIN attempt_item i"
                " ON i.attempt_id = a.id WHERE a.id = :id GROUP BY a.id"
            ),
            {"id": learner.attempt_id},
        ).one()
    engine.dispose()
    assert tuple(graded) == ("graded", len(learner.answers))
