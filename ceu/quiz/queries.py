"""Quiz reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import contains_eager, joinedload

from ceu.catalog import queries as catalog_queries
from ceu.catalog.models import CourseVersion
from ceu.domain import completion, grading
from ceu.domain.questions import QUESTION_TYPES
from ceu.extensions import db
from ceu.learning import queries as learning_queries
from ceu.learning.models import Enrollment
from ceu.quiz.models import FINAL_STATES, Attempt, AttemptKind, AttemptState

_OWN_ATTEMPT = (
    select(Attempt, CourseVersion.content_hash)
    .join(Attempt.enrollment)
    .join(Enrollment.course)
    .join(CourseVersion, CourseVersion.id == Enrollment.version_id)
    .options(
        contains_eager(Attempt.enrollment).contains_eager(Enrollment.course),
        joinedload(Attempt.form_row),
    )
    .where(Attempt.id == bindparam("attempt_id"), Enrollment.user_id == bindparam("user_id"))
)


def own_attempt(
    attempt_id: int, user_id: int
) -> tuple[Attempt, catalog_queries.VersionView] | None:
    """The user's attempt with its form, enrollment and course (one statement), and the
    snapshot of the course version it belongs to (kept per process); None if not theirs."""
    row = db.session.execute(_OWN_ATTEMPT, {"attempt_id": attempt_id, "user_id": user_id}).first()
    if row is None:
        return None
    attempt, content_hash = row
    return attempt, catalog_queries.version(attempt.enrollment.version_id, content_hash)


def open_attempt(
    enrollment: Enrollment, kind: AttemptKind, module_position: int = 0
) -> Attempt | None:
    return db.session.scalar(
        select(Attempt).where(
            Attempt.enrollment_id == enrollment.id,
            Attempt.kind == kind.value,
            Attempt.module_position == module_position,
            Attempt.state == AttemptState.IN_PROGRESS.value,
        )
    )


def attempts(enrollment: Enrollment, kind: AttemptKind, module_position: int = 0) -> list[Attempt]:
    """Every attempt of this test by this learner, oldest first."""
    return list(
        db.session.scalars(
            select(Attempt)
            .where(
                Attempt.enrollment_id == enrollment.id,
                Attempt.kind == kind.value,
                Attempt.module_position == module_position,
            )
            .order_by(Attempt.number)
        )
    )


def public_items(attempt: Attempt) -> list[dict[str, Any]]:
    """The attempt's items as the test page shows them, each as its type allows before
    submitting (never the key or rationales)."""
    return [
        {
            "id": item["id"],
            "type": item["type"],
            "stem": item["stem"],
            **QUESTION_TYPES[spec.type].public_view(spec),
        }
        for item, spec in zip(attempt.form, attempt.specs(), strict=True)
    ]


def post_test_unlocked(enrollment: Enrollment) -> bool:
    """Read every module (and the minimum time, if the course sets one)."""
    return completion.post_test_unlocked(learning_queries.enrollment_state(enrollment))


def result_of_record(enrollment: Enrollment, finished: list[Attempt]) -> float | None:
    method = enrollment.version.policy.post_test.grading_method
    return grading.result_of_record([a.score or 0.0 for a in finished], method)


@dataclass(frozen=True)
class HistoryRow:
    """A finished post-test attempt as the dashboard lists it."""

    attempt_id: int
    number: int
    graded_at: datetime | None
    score: float | None
    is_passed: bool | None
    course_title: str


_ATTEMPT, _ENROLLMENT, _VERSION = (
    Attempt.__table__,
    Enrollment.__table__,
    CourseVersion.__table__,
)
_HISTORY = (
    select(
        _ATTEMPT.c.id,
        _ATTEMPT.c.number,
        _ATTEMPT.c.graded_at,
        _ATTEMPT.c.score,
        _ATTEMPT.c.is_passed,
        _VERSION.c.title,
    )
    .join(_ENROLLMENT, _ENROLLMENT.c.id == _ATTEMPT.c.enrollment_id)
    .join(_VERSION, _VERSION.c.id == _ENROLLMENT.c.version_id)
    .where(
        _ENROLLMENT.c.user_id == bindparam("user_id"),
        _ATTEMPT.c.kind == AttemptKind.POST_TEST.value,
        _ATTEMPT.c.state.in_([state.value for state in FINAL_STATES]),
    )
    .order_by(_ATTEMPT.c.graded_at.desc())
)


def history(user_id: int) -> list[HistoryRow]:
    """A learner's finished post-test attempts across courses, newest first (dashboard):
    one Core statement, without the attempts' stored forms and answers."""
    return [HistoryRow(*row) for row in db.session.execute(_HISTORY, {"user_id": user_id})]
