"""Real processes for the multi-process tests: a PostgreSQL cluster of the test's own
(initdb into a temporary folder, its own port; never the machine's shared server),
gunicorn servers, and a small cookie-keeping HTTP client.

Everything started here is stopped by the same object's `stop()`; tests use them as
context managers so a failing assertion still stops them.
"""

from __future__ import annotations

import contextlib
import glob
import http.client
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conftest import PASSWORD, csrf_from

BIN = Path(sys.executable).parent  # the virtualenv's bin/: gunicorn and ceu
PROJECT_ROOT = Path(__file__).resolve().parents[1]
SECRET_KEY = "multi-process-tests-secret-key-not-for-production"


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def postgres_bin() -> Path:
    """Debian's PostgreSQL server programs (the newest installed major version)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    assert found, (
        "PostgreSQL's server programs are missing (/usr/lib/postgresql/*/bin/initdb): "
        "install the Debian packages in debian-packages.txt (`make debian-packages`)"
    )
    return Path(found[-1]).parent


class PostgresCluster:
    """A throw-away cluster: trust auth on 127.0.0.1 and a socket in its own folder."""

    def __init__(self) -> None:
        self.bin = postgres_bin()
        self.root = Path(tempfile.mkdtemp(prefix="ceu-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.log = self.root / "server.log"
        # initdb and postgres refuse to run as root: run them as the `postgres` account
        self._as: list[str] = []
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            os.chown(self.root, account.pw_uid, account.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str, timeout: float = 120) -> None:
        subprocess.run([*self._as, *args], check=True, capture_output=True, timeout=timeout)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> PostgresCluster:
        if not self.data.exists():
            self._run(
                str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8",
            )  # fmt: skip
        self._pg_ctl("start", "-w", "-t", "60", "-l", str(self.log), "-o", self._options())
        return self

    def _options(self) -> str:
        return (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c max_connections=60 -c shared_buffers=16MB"
        )

    def _pg_ctl(self, *args: str) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), *args)

    def kill(self) -> None:
        """Stop at once, as a crash does: no checkpoint, connections cut mid-transaction."""
        self._pg_ctl("stop", "-m", "immediate", "-w")

    def create_database(self, name: str) -> str:
        from sqlalchemy import create_engine, text

        engine = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return self.url(name)

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.SubprocessError):
                self._pg_ctl("stop", "-m", "fast", "-w")
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PostgresCluster:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def ceu_command(env: dict[str, str], *args: str) -> str:
    """Run a `ceu` command as an operator would; its output."""
    done = subprocess.run(
        [str(BIN / "ceu"), *args],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, f"ceu {' '.join(args)} failed:\n{done.stdout}{done.stderr}"
    return done.stdout


def app_environment(database_url: str, instance: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CEU_")}
    env.update(
        CEU_DATABASE_URL=database_url,
        CEU_INSTANCE_PATH=str(instance),
        CEU_SECRET_KEY=SECRET_KEY,
        CEU_BASE_URL="http://ceu.test/",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    instance.mkdir(parents=True, exist_ok=True)
    return env


@dataclass
class Gunicorn:
    """`gunicorn 'ceu:create_app()'` on a loopback port, in its own process group."""

    env: dict[str, str]
    log_path: Path
    workers: int = 2
    port: int = 0
    _process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def start(self, timeout: float = 60) -> Gunicorn:
        self.port = self.port or free_port()
        log = self.log_path.open("ab")
        self._process = subprocess.Popen(
            [
                str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{self.port}",
                "--workers", str(self.workers), "--threads", "2",
                "--graceful-timeout", "10", "--access-logfile", "-", "ceu:create_app()",
            ],
            env=self.env, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self._process.poll() is None, f"gunicorn exited:\n{self.log_tail()}"
            with contextlib.suppress(OSError):
                if Client(self.address).get("/healthz").status == 200:
                    return self
            time.sleep(0.2)
        raise AssertionError(f"gunicorn did not become healthy:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """SIGTERM: gunicorn's graceful stop (requests in flight finish)."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(sig)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)

    def __enter__(self) -> Gunicorn:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: Any) -> None:
        self.stop()


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: str
    started: float
    ended: float


@dataclass
class Client:
    """A browser's share of HTTP: one connection per request, cookies kept, no redirects."""

    address: tuple[str, int]
    cookies: dict[str, str] = field(default_factory=dict)
    timeout: float = 30

    def request(self, method: str, path: str, data: dict[str, Any] | None = None) -> Response:
        headers = {"Host": "ceu.test"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.monotonic()
        conn = http.client.HTTPConnection(*self.address, timeout=self.timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            raw = conn.getresponse()
            text = raw.read().decode("utf-8", errors="replace")
            for name, value in raw.getheaders():
                if name.lower() == "set-cookie":
                    key, _, rest = value.partition("=")
                    cookie_value = rest.split(";", 1)[0]
                    if "expires=thu, 01 jan 1970" in value.lower() or not cookie_value:
                        self.cookies.pop(key, None)
                    else:
                        self.cookies[key] = cookie_value
            return Response(raw.status, dict(raw.getheaders()), text, started, time.monotonic())
        finally:
            conn.close()

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, data: dict[str, Any]) -> Response:
        return self.request("POST", path, data)


# ---------------------------------------------------------------------------------------
# Learners set up in-process for the load tests

EVALUATION = {
    "attest": "yes",
    "e-objectives_met.CO1": "5",
    "e-objectives_met.CO2": "4",
    "e-relevance": "4",
    "e-minutes_taken": "20",
    "e-comments": "Clear and useful.",
}


@dataclass
class Learner:
    email: str
    attempt_id: int
    answers: dict[str, list[str]]
    log: list[tuple[float, float, int, str]] = field(default_factory=list)
    submitted: bool = False
    evaluated: bool = False


def prepare_learners(url: str, instance: Path, *, count: int) -> list[Learner]:
    """Learners who have read every module and have a post-test open (set up in-process)."""
    from ceu import create_app
    from ceu.auth.models import Role
    from ceu.auth.services import create_user
    from ceu.catalog.queries import course_by_slug
    from ceu.certificates.services import update_provider_settings
    from ceu.config import config_for_tests
    from ceu.extensions import db
    from ceu.learning.services import complete_module, enroll
    from ceu.quiz.models import AttemptKind
    from ceu.quiz.services import start_attempt

    app = create_app({**config_for_tests(url, str(instance)), "SECRET_KEY": SECRET_KEY})
    learners = []
    with app.app_context():
        update_provider_settings(
            actor=None, provider_name="Example CE Provider", signatory_name="J. Example",
            signatory_title="Director", approval_statements=[],
        )  # fmt: skip
        course = course_by_slug("minimal-course")
        course.certificate_issue_mode = "automatic"
        for n in range(count):
            user = create_user(
                email=f"learner{n}@example.org", full_name=f"Learner {n}", password=PASSWORD,
                roles=(Role.LEARNER,), credential="LPC", license_number=f"L-{n}",
                license_state="Ohio",
            )  # fmt: skip
            enrollment = enroll(user=user, course=course)
            for module in course.current_version.modules:
                complete_module(enrollment=enrollment, module=module)
            attempt = start_attempt(enrollment=enrollment, kind=AttemptKind.POST_TEST)
            answers = {f"q-{item['id']}": list(item["key"]) for item in attempt.form}
            learners.append(Learner(user.email, attempt.id, answers))
        db.session.commit()
        db.engine.dispose()
    return learners


def log_in_through_the_form(client: Client, learner: Learner) -> str:
    """Log in as a browser does; the CSRF token of the signed-in session."""
    token = csrf_from(client.get("/login").body)
    resp = client.post("/login", {"email": learner.email, "password": PASSWORD,
                                  "csrf_token": token})  # fmt: skip
    assert resp.status == 302, resp.body[:500]
    return csrf_from(client.get("/password/reset").body)
