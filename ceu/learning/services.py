"""Learner writes: enroll, withdraw, record reading. Keyword-only; flush, never commit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm.attributes import set_committed_value

from ceu.auth.models import User
from ceu.catalog.models import Course, Module
from ceu.catalog.queries import CourseRef, ModuleView
from ceu.core.errors import UserError
from ceu.core.transactions import relax_durability
from ceu.domain.completion import credit_time
from ceu.extensions import db, utcnow
from ceu.learning.models import Enrollment, EnrollmentStatus, InvalidTransition, ModuleProgress
from ceu.learning.queries import ProgressView

READING_GAP_CAP_SECONDS = 600  # an idle tab counts for at most ten minutes


class EnrollmentError(UserError):
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
    try:
        enrollment.withdraw()
    except InvalidTransition as exc:
        raise EnrollmentError("You are not enrolled in this course.") from exc
    db.session.flush()
    return enrollment


# Reading is recorded on every page view, so it is written with plain statements, not the
# ORM's unit of work: the increment is atomic in the database (two tabs cannot lose each
# other's time), a module's first view inserts its row unless another tab just did (no
# savepoint), and nothing is read back that the caller has not already read.
_MODULE_PROGRESS, _ENROLLMENT = ModuleProgress.__table__, Enrollment.__table__
_ADD_SECONDS = (
    update(_MODULE_PROGRESS)
    .where(
        _MODULE_PROGRESS.c.enrollment_id == bindparam("enrollment"),
        _MODULE_PROGRESS.c.module_id == bindparam("module"),
    )
    .values(seconds_spent=_MODULE_PROGRESS.c.seconds_spent + bindparam("seconds"))
)
# Compare-and-set: the reader moves only from the page view this request read. Parallel
# views of one enrollment all read the same `last_seen_at`; the first to write wins and
# credits the gap, the others find it changed and credit nothing, so the time credited
# never exceeds the time that passed.
_MOVE_READER = (
    update(_ENROLLMENT)
    .where(
        _ENROLLMENT.c.id == bindparam("enrollment"),
        _ENROLLMENT.c.last_seen_at.is_not_distinct_from(
            bindparam("seen_before", type_=_ENROLLMENT.c.last_seen_at.type)
        ),
    )
    .values(last_module_id=bindparam("module"), last_seen_at=bindparam("seen_at"))
)
_MARK_COMPLETE = (
    update(_MODULE_PROGRESS)
    .where(
        _MODULE_PROGRESS.c.enrollment_id == bindparam("enrollment"),
        _MODULE_PROGRESS.c.module_id == bindparam("module"),
        _MODULE_PROGRESS.c.completed_at.is_(None),
    )
    .values(completed_at=bindparam("now", type_=_MODULE_PROGRESS.c.completed_at.type))
)
_PROGRESS_ROW = select(
    _MODULE_PROGRESS.c.module_id, _MODULE_PROGRESS.c.seconds_spent, _MODULE_PROGRESS.c.completed_at
).where(
    _MODULE_PROGRESS.c.enrollment_id == bindparam("enrollment"),
    _MODULE_PROGRESS.c.module_id == bindparam("module"),
)


def _first_view_statement(dialect: str) -> Any:
    """INSERT the module's progress row, doing nothing if it exists (both dialects)."""
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return (
        insert(_MODULE_PROGRESS)
        .values(
            enrollment_id=bindparam("enrollment"),
            module_id=bindparam("module"),
            seconds_spent=0,
            first_viewed_at=bindparam("now", type_=_MODULE_PROGRESS.c.first_viewed_at.type),
        )
        .on_conflict_do_nothing(
            index_elements=[_MODULE_PROGRESS.c.enrollment_id, _MODULE_PROGRESS.c.module_id]
        )
    )


_FIRST_VIEW = {dialect: _first_view_statement(dialect) for dialect in ("postgresql", "sqlite")}


class Reading(Protocol):
    """What recording a page view needs of an enrollment: the ORM object or its view."""

    id: int
    last_module_id: int | None
    last_seen_at: datetime | None


def _progress_row(enrollment_id: int, module_id: int) -> ProgressView | None:
    row = db.session.execute(
        _PROGRESS_ROW, {"enrollment": enrollment_id, "module": module_id}
    ).first()
    return ProgressView(row.module_id, row.seconds_spent, row.completed_at) if row else None


def record_module_view(
    *,
    enrollment: Reading,
    module: Module | ModuleView,
    now: datetime | None = None,
    progress: Mapping[int, ProgressView] | None = None,
    durable: bool = True,
) -> ProgressView:
    """Credit the time since the last page view to the module read then; start this one.

    `progress`: the enrollment's progress by module id, when the caller has just read all
    of it (the reader has, with the enrollment); otherwise the module's row is read here.
    `durable=False`: a plain page view, whose commit need not wait for the disk (see
    `relax_durability`); marking a module complete keeps the default.
    Returns this module's progress as it now stands.
    """
    now = now or utcnow()
    if progress is not None:
        current = progress.get(module.id)
    else:
        current = _progress_row(enrollment.id, module.id)
    if current is not None and _recently_recorded(enrollment, module, now):
        # a reload of the same page: the next view credits this span to the same module,
        # so skipping the write loses nothing and spares a commit per reload
        return current
    if not durable:
        relax_durability()
    db.session.flush()  # pending ORM changes to these rows first, then the statements
    moved = (
        db.session.execute(
            _MOVE_READER,
            {
                "enrollment": enrollment.id,
                "module": module.id,
                "seen_at": now,
                "seen_before": enrollment.last_seen_at,
            },
        ).rowcount
        == 1
    )
    credited = _credit_previous(enrollment, now) if moved else 0
    first_view = current is None
    if current is None:
        inserted = db.session.execute(
            _FIRST_VIEW[_dialect()], {"enrollment": enrollment.id, "module": module.id, "now": now}
        )
        if inserted.rowcount == 1:
            current = ProgressView(module.id, 0, None)
        else:  # another tab inserted it a moment ago
            current = _progress_row(enrollment.id, module.id)
            if current is None:  # and it is gone again: let the caller see that
                raise LookupError("module progress row vanished")
    elif credited and enrollment.last_module_id == module.id:  # read before the credit
        current = ProgressView(module.id, current.seconds_spent + credited, current.completed_at)
    _reflect_on_loaded(
        enrollment.id,
        values={"last_module_id": module.id, "last_seen_at": now} if moved else None,
        new_progress_row=first_view,
    )
    return current


RELOAD_WINDOW_SECONDS = 30


def _recently_recorded(enrollment: Reading, module: Module | ModuleView, now: datetime) -> bool:
    return (
        enrollment.last_module_id == module.id
        and enrollment.last_seen_at is not None
        and 0 <= (now - enrollment.last_seen_at).total_seconds() < RELOAD_WINDOW_SECONDS
    )


def complete_module(
    *,
    enrollment: Reading,
    module: Module | ModuleView,
    now: datetime | None = None,
    progress: Mapping[int, ProgressView] | None = None,
) -> ProgressView:
    """Mark a module read (idempotent), crediting the reading time up to now."""
    now = now or utcnow()
    current = record_module_view(enrollment=enrollment, module=module, now=now, progress=progress)
    if current.completed_at is not None:
        return current
    db.session.execute(
        _MARK_COMPLETE, {"enrollment": enrollment.id, "module": module.id, "now": now}
    )
    _reflect_on_loaded(enrollment.id, module_id=module.id, expire=["completed_at"])
    return ProgressView(module.id, current.seconds_spent, now)


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _reflect_on_loaded(
    enrollment_id: int,
    *,
    values: dict[str, Any] | None = None,
    module_id: int | None = None,
    expire: Sequence[str] = (),
    new_progress_row: bool = False,
) -> None:
    """Objects of these rows already in the session must not contradict what was written:
    the enrollment gets the new values as committed ones (and a loaded `progress` list,
    short of a new row, is expired), a progress row's written attributes are expired."""
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Enrollment) and obj.id == enrollment_id:
            for key, value in (values or {}).items():
                set_committed_value(obj, key, value)
            if new_progress_row:
                db.session.expire(obj, ["progress"])
        elif (
            expire
            and isinstance(obj, ModuleProgress)
            and obj.enrollment_id == enrollment_id
            and obj.module_id == module_id
        ):
            db.session.expire(obj, expire)


def _credit_previous(enrollment: Reading, now: datetime) -> int:
    """Add the gap since the last page view to the module read then; the seconds added."""
    if enrollment.last_module_id is None or enrollment.last_seen_at is None:
        return 0
    gap = (now - enrollment.last_seen_at).total_seconds()
    seconds = credit_time(gap, cap_seconds=READING_GAP_CAP_SECONDS)
    if seconds <= 0:
        return 0
    db.session.execute(
        _ADD_SECONDS,
        {"enrollment": enrollment.id, "module": enrollment.last_module_id, "seconds": seconds},
    )
    _reflect_on_loaded(enrollment.id, module_id=enrollment.last_module_id, expire=["seconds_spent"])
    return seconds
