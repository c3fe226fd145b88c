"""Quiz reads."""

from __future__ import annotations

from sqlalchemy import select

from ceu.domain import completion, grading
from ceu.extensions import db
from ceu.learning import queries as learning_queries
from ceu.learning.models import Enrollment
from ceu.quiz.models import Attempt, AttemptKind, AttemptState


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
    method = enrollment.version.front["post_test"]["grading_method"]
    return grading.result_of_record([a.score or 0.0 for a in finished], method)


def history(user_id: int) -> list[tuple[Attempt, Enrollment]]:
    """A learner's finished post-test attempts across courses, newest first (dashboard)."""
    rows = db.session.execute(
        select(Attempt, Enrollment)
        .join(Enrollment, Enrollment.id == Attempt.enrollment_id)
        .where(
            Enrollment.user_id == user_id,
            Attempt.kind == AttemptKind.POST_TEST.value,
            Attempt.state.in_([AttemptState.GRADED.value, AttemptState.EXPIRED.value]),
        )
        .order_by(Attempt.graded_at.desc())
    ).all()
    return [(a, e) for a, e in rows]
