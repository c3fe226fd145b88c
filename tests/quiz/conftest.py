"""Quiz fixtures: a learner who has read every module of the example course."""

from __future__ import annotations

from typing import Any

import pytest

from ceu.extensions import db
from ceu.learning.services import complete_module
from ceu.quiz.models import Attempt
from tests.conftest import csrf_from


@pytest.fixture
def ready_learner(login_as, course, enroll) -> Any:
    """Logged in, enrolled, every module read: the post-test is open."""
    learner = login_as()
    enrollment = enroll(learner, course)
    for module in course.current_version.modules:
        complete_module(enrollment=enrollment, module=module)
    db.session.commit()
    return learner


def post(client, url: str, data: dict | None = None, *, page: str = "/password/reset"):
    token = csrf_from(client.get(page).get_data(as_text=True))
    return client.post(url, data={**(data or {}), "csrf_token": token})


def start_post_test(client) -> Attempt:
    resp = post(client, "/courses/minimal-course/post-test/start")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    attempt_id = int(resp.headers["Location"].rstrip("/").split("/")[-1])
    db.session.expire_all()
    return db.session.get(Attempt, attempt_id)


def answers(attempt: Attempt, *, correct: int | None = None) -> dict[str, list[str]]:
    """Form data answering the first `correct` items right and the rest wrong (all if None)."""
    data: dict[str, list[str]] = {}
    for i, item in enumerate(attempt.form):
        right = correct is None or i < correct
        if right:
            data[f"q-{item['id']}"] = list(item["key"])
        else:
            wrong = [o["id"] for o in item["options"] if o["id"] not in item["key"]]
            data[f"q-{item['id']}"] = wrong[:1]
    return data
