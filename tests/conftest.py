"""Fixtures: app, db, client, login_as(role), factories — on SQLite, and PostgreSQL when set.

Every test runs once per backend: SQLite always, PostgreSQL too when CEU_TEST_POSTGRES_URL
is set. Each xdist worker has its own database; rows are deleted after every test.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from ceu import create_app
from ceu.auth import passwords
from ceu.auth.models import Role, User
from ceu.config import config_for_tests
from ceu.extensions import db as _db
from ceu.extensions import limiter

# Property tests check what holds, not how fast: on a loaded machine (CI shares its two
# cores) an example can outlast hypothesis's default 200 ms deadline without anything wrong.
settings.register_profile("ceu", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ceu")

PASSWORD = "correct horse battery staple"
POSTGRES_URL = os.environ.get("CEU_TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite", *(["postgresql"] if POSTGRES_URL else [])]


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing() -> Iterator[None]:
    """argon2id with the cheapest parameters: same code path, milliseconds per hash."""
    original = passwords._hasher
    passwords._hasher = PasswordHasher.from_parameters(CHEAPEST)
    yield
    passwords._hasher = original


def _worker_id(request: pytest.FixtureRequest) -> str:
    return getattr(request.config, "workerinput", {}).get("workerid", "main")


# Two checkouts of the project (or two CI runs) may test against the same PostgreSQL at
# once: every database name carries a tag of this checkout's path so they never collide.
CHECKOUT_TAG = hashlib.sha256(str(Path(__file__).resolve().parent).encode()).hexdigest()[:8]


def create_postgres_database(name: str) -> str:
    """A fresh, empty PostgreSQL database next to the one in CEU_TEST_POSTGRES_URL.

    `name` is made unique to this checkout, so parallel checkouts do not drop each
    other's databases; drop it with the same `name`.
    """
    name = f"{name}_{CHECKOUT_TAG}"
    base = make_url(POSTGRES_URL)
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(name: str) -> None:
    name = f"{name}_{CHECKOUT_TAG}"
    admin = create_engine(make_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """One database per backend per worker, with the models' tables."""
    worker = _worker_id(request)
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        name = ""
    else:
        name = f"ceu_test_{worker}"
        url = create_postgres_database(name)
    app = create_app(config_for_tests(url, str(tmp_path_factory.mktemp("instance"))))
    with app.app_context():
        _db.create_all()
        _db.engine.dispose()
    yield url
    if name:
        drop_postgres_database(name)


@pytest.fixture
def backend(database_url: str) -> str:
    return "postgresql" if database_url.startswith("postgresql") else "sqlite"


@pytest.fixture
def app_config(database_url: str, tmp_path: Any) -> dict[str, Any]:
    """The test configuration; a test may change it before asking for `app`."""
    instance = tmp_path / "instance"
    instance.mkdir()
    return config_for_tests(database_url, str(instance))


class RequestIsolatingClient(FlaskClient):
    """Each request gets its own app context (own `g` and DB session), as in production.

    The test itself holds an app context for its own queries; without this, `g` (and
    Flask-Login's cached user) would leak from one request into the next.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def app(app_config: dict[str, Any]) -> Iterator[Flask]:
    app = create_app(app_config)
    app.test_client_class = RequestIsolatingClient
    with app.app_context():
        yield app
        _db.session.rollback()
        _db.session.remove()
        _clear_tables()
        _db.engine.dispose()
    limiter.reset()


def _clear_tables() -> None:
    with _db.engine.begin() as conn:
        for table in reversed(_db.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def db(app: Flask) -> Any:
    return _db


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


_counter = itertools.count(1)


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    """Factory: a committed user with the given roles and a complete profile by default."""
    from ceu.auth import services

    def make(
        role: Role | str = Role.LEARNER,
        *,
        email: str | None = None,
        full_name: str | None = None,
        password: str = PASSWORD,
        complete_profile: bool = True,
    ) -> User:
        n = next(_counter)
        role = Role(role)
        user = services.create_user(
            email=email or f"{role.value}{n}@example.org",
            full_name=full_name or f"Test {role.value.title()} {n}",
            password=password,
            roles=(role,),
            credential="LPC" if complete_profile else "",
            license_number=f"L-{n:05d}" if complete_profile else "",
            license_state="Ohio" if complete_profile else "",
        )
        _db.session.commit()
        return user

    return make


def log_in(client: FlaskClient, user: User) -> None:
    """Put the user in the session the way Flask-Login does after a real log-in."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


@pytest.fixture
def login_as(client: FlaskClient, make_user: Callable[..., User]) -> Callable[..., User]:
    """Create a user with `role` and log the test client in as them."""

    def login(role: Role | str = Role.LEARNER, **kwargs: Any) -> User:
        user = make_user(role, **kwargs)
        log_in(client, user)
        return user

    return login


CSRF_RE = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|'
    r'name="csrf_token" value="([^"]+)"'
)


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


def post_form(
    client: FlaskClient, url: str, data: dict[str, Any], *, page: str | None = None, **kw: Any
) -> Any:
    """Submit a form as a browser does: load the page, take its CSRF token, POST."""
    html = client.get(page or url).get_data(as_text=True)
    return client.post(url, data={**data, "csrf_token": csrf_from(html)}, **kw)


EXAMPLE_COURSE = Path(__file__).resolve().parents[1] / "docs" / "examples" / "minimal-course"


@functools.cache
def parsed_example_course() -> Any:
    from ceu.files import load_course

    return load_course(EXAMPLE_COURSE)


@pytest.fixture
def course(app: Flask) -> Any:
    """The example course, imported and published (two modules, a small bank)."""
    from ceu.catalog.services import import_course

    result = import_course(parsed=parsed_example_course())
    _db.session.commit()
    return result.course


@pytest.fixture
def enroll(app: Flask) -> Callable[..., Any]:
    from ceu.learning.services import enroll as enroll_service

    def do(user: User, course: Any) -> Any:
        enrollment = enroll_service(user=user, course=course)
        _db.session.commit()
        return enrollment

    return do


def commit_durability(conn: Any) -> str:
    """What the database will do at this connection's next commit: wait for the disk
    ("full") or not ("relaxed", see ceu.core.transactions.relax_durability)?"""
    if conn.dialect.name == "postgresql":
        relaxed = conn.exec_driver_sql("SHOW synchronous_commit").scalar() == "off"
    else:
        relaxed = conn.connection.dbapi_connection.execute("PRAGMA synchronous").fetchone()[0] == 1
    return "relaxed" if relaxed else "full"


@pytest.fixture
def commits(app: Flask) -> Iterator[list[str]]:
    """The durability each COMMIT on the engine ran with, in order."""
    seen: list[str] = []

    def on_commit(conn: Any) -> None:
        seen.append(commit_durability(conn))

    event.listen(_db.engine, "commit", on_commit)
    yield seen
    event.remove(_db.engine, "commit", on_commit)


class StatementCounter:
    """Counts SQL statements sent while active (for constant-queries-per-page tests)."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.statements: list[str] = []

    def _count(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE")):
            self.statements.append(statement)

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc: Any) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)

    @property
    def count(self) -> int:
        return len(self.statements)
