"""One valid certificate per enrollment, under real concurrency: several gunicorn workers
answer 24 parallel approvals of one completion and 24 parallel claims of another, on the
test database (SQLite file or PostgreSQL). Exactly one certificate and one number each."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from ceu.audit.models import AuditEvent
from ceu.certificates import services
from ceu.certificates.models import Certificate, CertificateSequence
from ceu.extensions import db
from tests.conftest import PASSWORD, csrf_from

BIN = Path(sys.executable).parent
PROJECT_ROOT = Path(__file__).resolve().parents[2]
PARALLEL = 24


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Gunicorn:
    """`gunicorn 'ceu:create_app()'` with several workers on a free loopback port."""

    def __init__(self, database_url: str, instance: Path, log: Path) -> None:
        self.port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("CEU_")}
        env.update(
            CEU_DATABASE_URL=database_url,
            CEU_INSTANCE_PATH=str(instance),
            CEU_SECRET_KEY="concurrency-test-secret-key",
            CEU_RATELIMIT_ENABLED="0",
            CEU_BASE_URL=f"http://127.0.0.1:{self.port}",
        )
        self.log = log
        self._log = log.open("wb")
        self.process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--bind", f"127.0.0.1:{self.port}",
                "--workers", "3",
                "--threads", "4",
                "--graceful-timeout", "5",
                "ceu:create_app()",
            ],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if self.request("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"gunicorn did not start:\n{self.log.read_text()[-3000:]}")

    def request(
        self, method: str, path: str, *, cookie: str = "", form: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": cookie} if cookie else {}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read().decode()
        finally:
            connection.close()

    def log_in(self, email: str) -> tuple[str, str]:
        """A session cookie for `email` and a CSRF token of that session."""
        status, headers, html = self.request("GET", "/login")
        cookie = _cookie(headers)
        status, headers, _ = self.request(
            "POST",
            "/login",
            cookie=cookie,
            form={"email": email, "password": PASSWORD, "csrf_token": csrf_from(html)},
        )
        assert status == 302, "log-in failed"
        cookie = _cookie(headers)
        _, headers, page = self.request("GET", "/certificates", cookie=cookie)
        if "session=" in headers.get("Set-Cookie", ""):  # the new session's CSRF token
            cookie = _cookie(headers)
        return cookie, csrf_from(page)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self._log.close()


def _cookie(headers: dict[str, str]) -> str:
    match = re.search(r"(session=[^;]+)", headers.get("Set-Cookie", ""))
    assert match, headers
    return match.group(1)


@pytest.fixture
def server(app, database_url, tmp_path):
    instance = tmp_path / "server-instance"
    instance.mkdir()
    running = Gunicorn(database_url, instance, tmp_path / "gunicorn.log")
    try:
        running.wait_healthy()
        yield running
    finally:
        running.stop()


def test_parallel_approvals_and_claims_issue_one_certificate_each(
    app, server, course, make_user, finish, provider
):
    services.set_issue_mode(course=course, mode="automatic", actor=None)
    approved, claimed = make_user(), make_user()
    admin = make_user("admin")
    to_approve = finish(approved, evaluate=True)
    to_claim = finish(claimed, evaluate=True)
    db.session.commit()
    admin_cookie, admin_csrf = server.log_in(admin.email)
    learner_cookie, learner_csrf = server.log_in(claimed.email)

    requests = [
        (
            "/admin/certificates/approve",
            admin_cookie,
            {"enrollment": str(to_approve.id), "csrf_token": admin_csrf},
        )
    ] * PARALLEL + [
        (
            f"/courses/{course.slug}/certificate",
            learner_cookie,
            {"csrf_token": learner_csrf},
        )
    ] * PARALLEL
    barrier = threading.Barrier(len(requests))
    statuses: list[int] = []

    def fire(path: str, cookie: str, form: dict[str, str]) -> None:
        barrier.wait(timeout=30)
        statuses.append(server.request("POST", path, cookie=cookie, form=form)[0])

    threads = [threading.Thread(target=fire, args=r) for r in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert statuses == [302] * len(requests), server.log.read_text()[-3000:]
    db.session.expire_all()
    for enrollment in (to_approve, to_claim):
        rows = db.session.scalars(
            select(Certificate).where(Certificate.enrollment_id == enrollment.id)
        ).all()
        assert [c.status for c in rows] == ["valid"]
    year = date.today().year
    assert db.session.get(CertificateSequence, year).last == 2  # one number each, no gaps
    issued = db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action.in_(["certificate.issue", "certificate.issue_automatic"]))
    )
    assert issued == 2


def test_the_database_refuses_a_second_valid_certificate(app, make_user, finish, provider):
    learner = make_user()
    enrollment = finish(learner, evaluate=True)
    first = services.issue_for_enrollment(
        enrollment=enrollment, actor=None, verify_base="http://x/"
    )
    db.session.commit()
    copy_sql = text(
        "INSERT INTO certificate (number, year, sequence, verification_code, enrollment_id,"
        " user_id, course_id, status, record, record_hash, issued_at, revocation_reason)"
        " SELECT 'dup', year, sequence + 1000, 'dup-code', enrollment_id, user_id, course_id,"
        " :status, record, record_hash, issued_at, '' FROM certificate WHERE id = :id"
    )
    with pytest.raises(IntegrityError):
        db.session.execute(copy_sql, {"id": first.id, "status": "valid"})
    db.session.rollback()
    db.session.execute(copy_sql, {"id": first.id, "status": "revoked"})  # on record: allowed
    db.session.commit()
    again = services.issue_for_enrollment(
        enrollment=enrollment, actor=None, verify_base="http://x/"
    )
    assert again.id == first.id
