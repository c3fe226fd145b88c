"""Quiz reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import contains_eager, joinedload

from ceu.catalog import queries as catalog_queries
from ceu.catalog.models import CourseVersion
from ceu.domain import completion, grading
from ceu.extensions import db
from ceu.learning import queries as learning_queries
from ceu.learning.models import Enrollment
from ceu.quiz.models import Attempt, AttemptKind, AttemptState

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


_A, _E, _V = Attempt.__table__, Enrollment.__table__, CourseVersion.__table__
_HISTORY = (
    select(_A.c.id, _A.c.number, _A.c.graded_at, _A.c.score, _A.c.is_passed, _V.c.title)
    .join(_E, _E.c.id == _A.c.enrollment_id)
    .join(_V, _V.c.id == _E.c.version_id)
    .where(
        _E.c.user_id == bindparam("user_id"),
        _A.c.kind == AttemptKind.POST_TEST.value,
        _A.c.state.in_([AttemptState.GRADED.value, AttemptState.EXPIRED.value]),
    )
    .order_by(_A.c.graded_at.desc())
)


def history(user_id: int) -> list[HistoryRow]:
    """A learner's finished post-test attempts across courses, newest first (dashboard):
    one Core statement, without the attempts' stored forms and answers."""
    return [HistoryRow(*row) for row in db.session.execute(_HISTORY, {"user_id": user_id})]
