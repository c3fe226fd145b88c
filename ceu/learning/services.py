"""Learner writes: enroll, withdraw, record reading. Keyword-only; flush, never commit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from ceu.auth.models import User
from ceu.catalog.models import Course, Module
from ceu.catalog.queries import CourseRef, ModuleView
from ceu.domain.completion import credit_time
from ceu.extensions import db, utcnow
from ceu.learning.models import Enrollment, EnrollmentStatus, ModuleProgress

READING_GAP_CAP_SECONDS = 600  # an idle tab counts for at most ten minutes


class EnrollmentError(ValueError):
    """A user-facing reason an enrollment action was refused."""


def enroll(*, user: User, course: Course | CourseRef) -> Enrollment:
    """Enroll (or re-enroll) a learner; a new enrollment pins the course's current version."""
    if not course.is_published or course.current_version_id is None:
        raise EnrollmentError("This course is not open for enrollment.")
    enrollment = db.session.scalar(
        select(Enrollment).where(Enrollment.user_id == user.id, Enrollment.course_id == course.id)
    )
    if enrollment is None:
        enrollment = Enrollment(
            user_id=user.id, course_id=course.id, version_id=course.current_version_id
        )
        db.session.add(enrollment)
    elif enrollment.status == EnrollmentStatus.WITHDRAWN:
        enrollment.reactivate()
    db.session.flush()
    return enrollment


def withdraw(*, enrollment: Enrollment) -> Enrollment:
    """Leave a course; progress and history are kept for a later return."""
    enrollment.withdraw()
    db.session.flush()
    return enrollment


def _progress_for(enrollment: Enrollment, module_id: int) -> ModuleProgress | None:
    return db.session.scalar(
        select(ModuleProgress).where(
            ModuleProgress.enrollment_id == enrollment.id, ModuleProgress.module_id == module_id
        )
    )


# Every page view writes these two: plain UPDATEs (the increment is atomic in the
# database, so two tabs cannot lose each other's time), not the ORM's unit of work.
_P, _E = ModuleProgress.__table__, Enrollment.__table__
_ADD_SECONDS = (
    update(_P)
    .where(_P.c.enrollment_id == bindparam("enrollment"), _P.c.module_id == bindparam("module"))
    .values(seconds_spent=_P.c.seconds_spent + bindparam("seconds"))
)
_MOVE_READER = (
    update(_E)
    .where(_E.c.id == bindparam("enrollment"))
    .values(last_module_id=bindparam("module"), last_seen_at=bindparam("seen_at"))
)


def record_module_view(
    *,
    enrollment: Enrollment,
    module: Module | ModuleView,
    now: datetime | None = None,
    known: Callable[[int], ModuleProgress | None] | None = None,
) -> ModuleProgress:
    """Credit the time since the last page view to the module read then; start this one.

    `known(module_id)`: the enrollment's progress rows, when the caller has just read all
    of them (the reader has, with the enrollment); otherwise they are looked up here.
    """
    now = now or utcnow()

    def lookup(module_id: int) -> ModuleProgress | None:
        return known(module_id) if known is not None else _progress_for(enrollment, module_id)

    if _recently_recorded(enrollment, module, now):
        # a reload of the same page: the next view credits this span to the same module,
        # so skipping the write loses nothing and spares a commit per reload
        found = lookup(module.id)
        if found is not None:
            return found
    _credit_previous(enrollment, now)
    progress = lookup(module.id)
    if progress is None:
        progress = ModuleProgress(
            enrollment_id=enrollment.id, module_id=module.id, first_viewed_at=now
        )
        try:
            with db.session.begin_nested():  # two tabs may open the same module at once
                db.session.add(progress)
        except IntegrityError:
            found = _progress_for(enrollment, module.id)
            if found is None:  # the other writer's row vanished: let the caller see it
                raise
            progress = found
    db.session.execute(
        _MOVE_READER, {"enrollment": enrollment.id, "module": module.id, "seen_at": now}
    )
    set_committed_value(enrollment, "last_module_id", module.id)
    set_committed_value(enrollment, "last_seen_at", now)
    db.session.flush()
    return progress


RELOAD_WINDOW_SECONDS = 30


def _recently_recorded(enrollment: Enrollment, module: Module | ModuleView, now: datetime) -> bool:
    return (
        enrollment.last_module_id == module.id
        and enrollment.last_seen_at is not None
        and 0 <= (now - enrollment.last_seen_at).total_seconds() < RELOAD_WINDOW_SECONDS
    )


def complete_module(
    *,
    enrollment: Enrollment,
    module: Module | ModuleView,
    now: datetime | None = None,
    known: Callable[[int], ModuleProgress | None] | None = None,
) -> ModuleProgress:
    """Mark a module read (idempotent), crediting the reading time up to now."""
    now = now or utcnow()
    progress = record_module_view(enrollment=enrollment, module=module, now=now, known=known)
    if progress.completed_at is None:
        progress.completed_at = now
    db.session.flush()
    return progress


def _credit_previous(enrollment: Enrollment, now: datetime) -> None:
    if enrollment.last_module_id is None or enrollment.last_seen_at is None:
        return
    gap = (now - enrollment.last_seen_at).total_seconds()
    seconds = credit_time(gap, cap_seconds=READING_GAP_CAP_SECONDS)
    if seconds <= 0:
        return
    db.session.flush()  # pending ORM changes to the row first, then the increment
    db.session.execute(
        _ADD_SECONDS,
        {"enrollment": enrollment.id, "module": enrollment.last_module_id, "seconds": seconds},
    )
    for obj in list(db.session.identity_map.values()):  # a loaded copy is now behind
        if (
            isinstance(obj, ModuleProgress)
            and obj.enrollment_id == enrollment.id
            and obj.module_id == enrollment.last_module_id
        ):
            db.session.expire(obj, ["seconds_spent"])
