"""Seat time: the post-test opens only after the minimum reading time in every module."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from ceu.catalog.services import import_course
from ceu.domain.completion import module_minimum_seconds
from ceu.domain.content import parse_course
from ceu.extensions import db
from ceu.files import read_folder
from ceu.learning.models import ModuleProgress
from ceu.learning.services import complete_module
from ceu.quiz.models import Attempt
from tests.conftest import EXAMPLE_COURSE
from tests.quiz.conftest import post

URL = "/courses/minimal-course/post-test"
SHARE = 0.5


@pytest.fixture
def seat_time_course(app) -> Any:
    """The example course with half of each module's estimate required as reading time."""
    files, errors = read_folder(EXAMPLE_COURSE)
    assert errors == []
    files["course.yaml"] = files["course.yaml"].replace(
        "reading:\n  auto_complete_at_end: true",
        f"reading:\n  auto_complete_at_end: true\n  minimum_time_share: {SHARE}",
    )
    result = import_course(parsed=parse_course(EXAMPLE_COURSE.name, files))
    db.session.commit()
    return result.course


@pytest.fixture
def learner_who_marked_everything_read(login_as, seat_time_course, enroll) -> Any:
    learner = login_as()
    enrollment = enroll(learner, seat_time_course)
    for module in seat_time_course.current_version.modules:
        complete_module(enrollment=enrollment, module=module)
    db.session.commit()
    return enrollment


def attempts() -> int:
    return db.session.scalar(select(func.count()).select_from(Attempt))


def record_reading(enrollment: Any, seconds_by_position: dict[int, int]) -> None:
    for row in db.session.scalars(select(ModuleProgress).filter_by(enrollment_id=enrollment.id)):
        row.seconds_spent = seconds_by_position[row.module.position]
    db.session.commit()


def minimums(enrollment: Any) -> dict[int, int]:
    return {
        m.position: module_minimum_seconds(m.estimated_minutes, SHARE)
        for m in enrollment.version.modules
    }


def test_modules_marked_read_at_once_do_not_open_the_post_test(
    client, learner_who_marked_everything_read
):
    page = client.get(URL).get_data(as_text=True)
    assert "spent the minimum reading time in each" in page
    assert "Start the post-test" not in page
    resp = post(client, f"{URL}/start")
    assert resp.status_code == 302
    assert attempts() == 0


def test_the_course_page_shows_the_time_left_per_module(client, learner_who_marked_everything_read):
    enrollment = learner_who_marked_everything_read
    need = minimums(enrollment)
    record_reading(enrollment, {1: need[1], 2: 0})
    page = client.get("/courses/minimal-course").get_data(as_text=True)
    assert "Module 2: about 1 more minute(s) of reading time before the post-test" in page
    assert "1 min of reading time still to record" in page
    assert "Module 1: about" not in page


def test_one_module_short_of_its_minimum_keeps_the_post_test_closed(
    client, learner_who_marked_everything_read
):
    enrollment = learner_who_marked_everything_read
    need = minimums(enrollment)
    record_reading(enrollment, {1: need[1] * 10, 2: need[2] - 1})
    post(client, f"{URL}/start")
    assert attempts() == 0


def test_the_post_test_opens_once_every_module_has_its_minimum(
    client, learner_who_marked_everything_read
):
    enrollment = learner_who_marked_everything_read
    record_reading(enrollment, minimums(enrollment))
    resp = post(client, f"{URL}/start")
    assert resp.status_code == 302
    assert "/attempts/" in resp.headers["Location"]
    assert attempts() == 1
