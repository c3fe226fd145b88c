"""The real servers a browser journey talks to: gunicorn on a fresh SQLite database, and SMTP.

Nothing here imports the application: the app runs in its own gunicorn processes, set up
with the same `ceu` commands an operator uses, so the browser sees what production serves.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

BIN = Path(sys.executable).parent  # the virtualenv's bin/: gunicorn and ceu live beside python
PROJECT_ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---------------------------------------------------------------------------------------
# Mail


@dataclass
class Mailbox:
    """Every message the local SMTP server received, newest last."""

    messages: list[EmailMessage] = field(default_factory=list)
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._arrived:
            self.messages.append(message)  # type: ignore[arg-type]
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, *, to: str, subject: str = "", timeout: float = 15) -> EmailMessage:
        """The first message to `to` whose subject contains `subject`; waits for it to arrive."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                for message in self.messages:
                    if to.lower() in str(message["To"]).lower() and subject in str(
                        message["Subject"]
                    ):
                        return message
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(str(m["To"]), str(m["Subject"])) for m in self.messages]
                    raise AssertionError(
                        f"no mail to {to!r} with subject containing {subject!r} within "
                        f"{timeout:g}s; received: {seen}"
                    )
                self._arrived.wait(left)

    @staticmethod
    def body(message: EmailMessage) -> str:
        part = message.get_body(preferencelist=("plain",))
        assert part is not None, "the message has no text/plain part"
        return str(part.get_content())

    @classmethod
    def links(cls, message: EmailMessage) -> list[str]:
        return re.findall(r"https?://[^\s<>\"]+", cls.body(message))


class SmtpServer:
    """aiosmtpd on a loopback port, in a thread; the app is pointed at it by CEU_SMTP_*."""

    def __init__(self) -> None:
        self.mailbox = Mailbox()
        self.port = free_port()
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()


# ---------------------------------------------------------------------------------------
# The application


@dataclass(frozen=True)
class Account:
    role: str
    email: str
    full_name: str
    password: str = PASSWORD


class LiveServer:
    """gunicorn serving `ceu:create_app()` from a fresh instance folder and SQLite database."""

    def __init__(self, instance: Path, *, smtp_port: int, log_path: Path) -> None:
        self.instance = instance
        self.log_path = log_path
        self.port = 0
        self.env = self._environment(smtp_port)
        self._process: subprocess.Popen[bytes] | None = None
        self._log: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _environment(self, smtp_port: int) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CEU_")}
        env.update(
            CEU_INSTANCE_PATH=str(self.instance),
            CEU_DATABASE_URL=f"sqlite:///{self.instance / 'ceu.sqlite3'}",
            CEU_SECRET_KEY="browser-tests-secret-key-not-for-production",
            # Every journey logs in from 127.0.0.1: the per-address limits would trip.
            CEU_RATELIMIT_ENABLED="0",
            CEU_SMTP_HOST="127.0.0.1",
            CEU_SMTP_PORT=str(smtp_port),
            CEU_MAIL_SENDER="ceu <no-reply@example.org>",
            PYTHONUNBUFFERED="1",
        )
        return env

    @property
    def database(self) -> Path:
        """The journey database (SQLite), for what a test must learn without the pages."""
        return Path(self.env["CEU_DATABASE_URL"].removeprefix("sqlite:///"))

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Read the journey database, read-only: e.g. an attempt's key, which no page shows."""
        uri = f"file:{self.database}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=10)) as connection:
            return connection.execute(sql, params).fetchall()

    def execute(self, sql: str, *params: Any) -> int:
        """Write to the journey database: to put shared state back, or to stand in for time."""
        with (
            contextlib.closing(sqlite3.connect(self.database, timeout=10)) as connection,
            connection,
        ):
            return connection.execute(sql, params).rowcount

    def ceu(self, *commands: list[str]) -> list[str]:
        """Run `ceu` commands side by side against this server's database; their outputs."""
        running = [
            (
                command,
                subprocess.Popen(
                    [str(BIN / "ceu"), *command],
                    env=self.env,
                    cwd=PROJECT_ROOT,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                ),
            )
            for command in commands
        ]
        outputs = []
        for command, process in running:
            output, _ = process.communicate(timeout=120)
            if process.returncode != 0:
                raise RuntimeError(
                    f"`ceu {' '.join(command)}` failed ({process.returncode}):\n{output}"
                )
            outputs.append(output)
        return outputs

    def prepare(self, accounts: list[Account]) -> None:
        """Migrate the empty database, import the shipped courses, create the accounts."""
        self.instance.mkdir(parents=True, exist_ok=True)
        self.ceu(["db", "upgrade"])
        self.ceu(["courses", "import", str(PROJECT_ROOT / "courses")])
        self.ceu(  # short writes after a slow hash: side by side is safe on SQLite
            *(
                [
                    "users",
                    "create",
                    "--email",
                    account.email,
                    "--name",
                    account.full_name,
                    *([] if account.role == "learner" else ["--role", account.role]),
                    "--password",
                    account.password,
                ]
                for account in accounts
            ),
        )

    def start(self, timeout: float = 30) -> LiveServer:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        for _attempt in range(3):  # the free port may be taken between probe and bind
            self.port = free_port()
            self._log = self.log_path.open("ab")
            self._process = subprocess.Popen(
                [
                    str(BIN / "gunicorn"),
                    "--bind", f"127.0.0.1:{self.port}",
                    "--workers", "2",
                    "--threads", "2",
                    "--access-logfile", "-",
                    "--graceful-timeout", "5",
                    "ceu:create_app()",
                ],
                env=self.env,
                cwd=PROJECT_ROOT,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
            if self._wait_healthy(timeout):
                return self
            self.stop()
        raise RuntimeError(f"gunicorn did not become healthy; its log:\n{self.log_tail()}")

    def _wait_healthy(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return True
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        return False

    def log_tail(self, lines: int = 60) -> str:
        if not self.log_path.exists():
            return "(no log)"
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)  # gunicorn's master stops its workers
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        if self._log is not None:
            self._log.close()
            self._log = None


def chromium_path() -> str | None:
    """Debian's Chromium (never a downloaded browser); CEU_CHROMIUM may point elsewhere."""
    candidate = os.environ.get("CEU_CHROMIUM") or "/usr/bin/chromium"
    if Path(candidate).is_file() and os.access(candidate, os.X_OK):
        return candidate
    return shutil.which(candidate) if os.sep not in candidate else None
