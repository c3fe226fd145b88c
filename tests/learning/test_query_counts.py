"""Pages use a constant number of SQL statements, whatever the number of enrollments."""

from __future__ import annotations

import pytest

from ceu.auth.models import Role
from ceu.extensions import db as _db
from ceu.learning.services import complete_module, enroll
from tests.conftest import StatementCounter, log_in

PAGES = [
    "/courses",
    "/courses/minimal-course",
    "/courses/minimal-course/modules/1",
    "/dashboard",
]


def populate(course, make_user, n: int):
    users = [make_user(Role.LEARNER) for _ in range(n)]
    for user in users:
        e = enroll(user=user, course=course)
        _db.session.flush()
        complete_module(enrollment=e, module=course.current_version.modules[0])
    _db.session.commit()
    return users[0]


def statements(app, user, url: str) -> int:
    client = app.test_client()
    log_in(client, user)
    client.get(url)  # warm-up: first view creates progress rows
    with StatementCounter(_db.engine) as counter:
        assert client.get(url).status_code == 200
    return counter.count


@pytest.mark.parametrize("url", PAGES)
def test_statement_count_is_constant_and_small(app, course, make_user, url):
    learner = populate(course, make_user, 1)
    few = statements(app, learner, url)
    populate(course, make_user, 199)
    many = statements(app, learner, url)
    assert few == many, f"{url}: {few} statements with 1 enrollment, {many} with 200"
    assert many <= 4, f"{url}: {many} statements"
