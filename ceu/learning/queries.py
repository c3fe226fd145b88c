"""Learner reads. Each page uses a fixed number of statements, whatever the data size."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import defer

from ceu.auth.models import User
from ceu.catalog import queries as catalog_queries
from ceu.catalog.models import Course, CourseVersion, Module
from ceu.catalog.queries import CourseRef, ModuleView, VersionView
from ceu.domain.completion import (
    LearnerState,
    ModuleState,
    ModuleStatus,
    module_minimum_seconds,
    percent_from_counts,
)
from ceu.domain.content import Level
from ceu.extensions import contains_pattern, db
from ceu.learning.models import Enrollment, EnrollmentStatus, ModuleProgress

PAGE_SIZE = 20


@dataclass(frozen=True)
class CatalogRow:
    slug: str
    version: VersionView
    status: EnrollmentStatus | None  # None: not enrolled
    percent: int

    @property
    def card_key(self) -> tuple[Any, ...]:
        """Names everything a catalog card shows: the immutable version and the slug."""
        return (*self.version.key, self.slug)


@dataclass(frozen=True)
class CatalogPage:
    rows: list[CatalogRow]
    page: int
    pages: int
    total: int


_COURSE, _VERSION = Course.__table__, CourseVersion.__table__
_ENROLLMENT, _MODULE_PROGRESS = Enrollment.__table__, ModuleProgress.__table__


_ENROLLED_VERSION = CourseVersion.__table__.alias("enrolled_version")


def _catalog_statement(*, search: bool, level: bool) -> Select[Any]:
    """One page of the catalog for one combination of filters, in one statement: the
    courses in title order, the total (a scalar subquery, computed once), and the
    learner's enrollment on each with the modules read. Built and compiled once."""
    where = [_COURSE.c.is_published.is_(True)]
    if search:
        where.append(_VERSION.c.title.ilike(bindparam("pattern"), escape="\\"))
    if level:
        where.append(_VERSION.c.level == bindparam("level"))
    joined = _COURSE.join(_VERSION, _VERSION.c.id == _COURSE.c.current_version_id)
    total = select(func.count()).select_from(joined).where(*where).scalar_subquery()
    done = (
        select(func.count(_MODULE_PROGRESS.c.completed_at))
        .where(_MODULE_PROGRESS.c.enrollment_id == _ENROLLMENT.c.id)
        .correlate(_ENROLLMENT)
        .scalar_subquery()
    )
    return (
        select(
            _COURSE.c.id,
            _COURSE.c.slug,
            _VERSION.c.id.label("version_id"),
            _VERSION.c.content_hash,
            total.label("total"),
            _ENROLLMENT.c.status,
            _ENROLLMENT.c.post_test_passed_at,
            _ENROLLMENT.c.evaluation_submitted_at,
            _ENROLLED_VERSION.c.module_count,
            done.label("done"),
        )
        .select_from(
            joined.outerjoin(
                _ENROLLMENT,
                (_ENROLLMENT.c.course_id == _COURSE.c.id)
                & (_ENROLLMENT.c.user_id == bindparam("user_id")),
            ).outerjoin(_ENROLLED_VERSION, _ENROLLED_VERSION.c.id == _ENROLLMENT.c.version_id)
        )
        .where(*where)
        .order_by(_VERSION.c.title, _COURSE.c.id)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


_CATALOG = {
    (s, lv): _catalog_statement(search=s, level=lv) for s in (False, True) for lv in (False, True)
}


def catalog(*, user: User | None, search: str = "", level: str = "", page: int = 1) -> CatalogPage:
    """Published courses, filtered and paginated, with the learner's status on each.

    One statement (`_catalog_statement`); what a card shows comes from the version
    snapshots (`ceu.catalog.queries.version`). Only a page past the last one costs more
    statements, to show the last page instead.
    """
    signed_in = user is not None and getattr(user, "is_authenticated", False)
    params: dict[str, Any] = {"limit": PAGE_SIZE, "user_id": user.id if signed_in else None}
    if search:
        params["pattern"] = contains_pattern(search)
    if level in {str(choice) for choice in Level}:
        params["level"] = level
    statement = _CATALOG[("pattern" in params, "level" in params)]
    page = max(1, page)
    params["offset"] = (page - 1) * PAGE_SIZE
    found = db.session.execute(statement, params).all()
    if not found and page > 1:  # past the last page: show the last one
        params["offset"] = 0
        first = db.session.execute(statement, params).first()
        page = max(1, -(-(first.total if first else 0) // PAGE_SIZE))
        params["offset"] = (page - 1) * PAGE_SIZE
        found = db.session.execute(statement, params).all()
    total = found[0].total if found else 0
    rows = []
    for row in found:
        status, percent = None, 0
        if row.status is not None:
            status = EnrollmentStatus(row.status)
            percent = enrollment_percent(row, user, row.module_count, row.done)  # type: ignore[arg-type]
        snapshot = catalog_queries.version(row.version_id, row.content_hash)
        rows.append(CatalogRow(slug=row.slug, version=snapshot, status=status, percent=percent))
    return CatalogPage(rows=rows, page=page, pages=max(1, -(-total // PAGE_SIZE)), total=total)


def enrollment_percent(
    enrollment: Any, user: User, modules_total: int, modules_complete: int
) -> int:
    """Progress for list pages, from counts aggregated in SQL."""
    if enrollment.status == EnrollmentStatus.COMPLETED:
        return 100
    return percent_from_counts(
        modules_total=modules_total,
        modules_complete=modules_complete,
        post_test_passed=enrollment.post_test_passed_at is not None,
        evaluation_submitted=enrollment.evaluation_submitted_at is not None,
        profile_complete=bool(user.has_complete_profile),
    )


@dataclass(frozen=True)
class EnrollmentView:
    """An enrollment as read for display and the completion rule (the columns of the
    model, no session); `ceu.learning.services` records reading from it directly."""

    id: int
    user_id: int
    course_id: int
    version_id: int
    status: str
    enrolled_at: datetime
    withdrawn_at: datetime | None
    completed_at: datetime | None
    last_module_id: int | None
    last_seen_at: datetime | None
    post_test_passed_at: datetime | None
    post_test_score: float | None
    evaluation_submitted_at: datetime | None

    @property
    def is_active(self) -> bool:
        return self.status == EnrollmentStatus.ACTIVE

    @property
    def is_completed(self) -> bool:
        return self.status == EnrollmentStatus.COMPLETED


@dataclass(frozen=True)
class LearnerCourse:
    """A published course as one learner sees it: the course, their enrollment (if any)
    and its reading progress by module id, all read in one statement."""

    course: CourseRef
    enrollment: EnrollmentView | None
    progress: dict[int, ProgressView]


_ENROLLMENT_KEYS = [c.key for c in _ENROLLMENT.columns]
_PROGRESS_KEYS = ["id", "module_id", "seconds_spent", "completed_at"]  # what ProgressView needs
_ENROLLMENT_COLUMNS = [_ENROLLMENT.c[k].label(f"e_{k}") for k in _ENROLLMENT_KEYS]
_PROGRESS_COLUMNS = [_MODULE_PROGRESS.c[k].label(f"p_{k}") for k in _PROGRESS_KEYS]
_LEARNER_COURSE = (
    select(
        _COURSE.c.id,
        _COURSE.c.slug,
        _COURSE.c.is_published,
        _COURSE.c.certificate_issue_mode,
        _COURSE.c.current_version_id,
        _VERSION.c.content_hash,
        *_ENROLLMENT_COLUMNS,
        *_PROGRESS_COLUMNS,
    )
    .select_from(_COURSE)
    .outerjoin(_VERSION, _VERSION.c.id == _COURSE.c.current_version_id)
    .outerjoin(
        _ENROLLMENT,
        (_ENROLLMENT.c.course_id == _COURSE.c.id) & (_ENROLLMENT.c.user_id == bindparam("user_id")),
    )
    .outerjoin(_MODULE_PROGRESS, _MODULE_PROGRESS.c.enrollment_id == _ENROLLMENT.c.id)
    .where(_COURSE.c.slug == bindparam("slug"))
)


def learner_course(user: User | None, slug: str) -> LearnerCourse | None:
    """The course by slug with this user's enrollment and progress, in one statement;
    None unless it is published with a current version."""
    signed_in = user is not None and getattr(user, "is_authenticated", False)
    rows = db.session.execute(
        _LEARNER_COURSE, {"slug": slug, "user_id": user.id if signed_in else None}
    ).all()
    first = rows[0] if rows else None
    course = catalog_queries.published_ref(first)
    if course is None or first is None:
        return None
    enrollment = None
    progress: dict[int, ProgressView] = {}
    if first.e_id is not None:
        enrollment = EnrollmentView(**{k: first._mapping[f"e_{k}"] for k in _ENROLLMENT_KEYS})
        for row in rows:
            if row.p_id is not None:
                progress[row.p_module_id] = ProgressView(
                    row.p_module_id, row.p_seconds_spent, row.p_completed_at
                )
    return LearnerCourse(course=course, enrollment=enrollment, progress=progress)


def own_enrollment(user: User, slug: str) -> tuple[Course, Enrollment] | None:
    """A published course and this user's enrollment in it (ORM objects, for pages that
    write: quiz, evaluation, certificate), in one statement; None without either."""
    if not getattr(user, "is_authenticated", False):
        return None
    row = db.session.execute(
        select(Course, Enrollment)
        .join(Enrollment, Enrollment.course_id == Course.id)
        .where(
            Course.is_published.is_(True),
            Course.current_version_id.is_not(None),
            Course.slug == slug,
            Enrollment.user_id == user.id,
        )
    ).first()
    return (row[0], row[1]) if row else None


def enrollment_for(user: User, course: Course | CourseRef) -> Enrollment | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(
        select(Enrollment).where(Enrollment.user_id == user.id, Enrollment.course_id == course.id)
    )


def modules_of(version_id: int) -> list[Module]:
    """A version's modules in order, without their HTML (list pages never need it)."""
    return list(
        db.session.scalars(
            select(Module)
            .where(Module.version_id == version_id)
            .order_by(Module.position)
            .options(defer(Module.html))
        )
    )


@dataclass(frozen=True)
class ProgressView:
    """A module's reading progress, as read for display and the completion rule."""

    module_id: int
    seconds_spent: int
    completed_at: datetime | None

    @property
    def is_complete(self) -> bool:
        return self.completed_at is not None


_PROGRESS_OF_ONE = select(
    _MODULE_PROGRESS.c.module_id, _MODULE_PROGRESS.c.seconds_spent, _MODULE_PROGRESS.c.completed_at
).where(_MODULE_PROGRESS.c.enrollment_id == bindparam("enrollment_id"))


def progress_by_module(enrollment: Enrollment) -> dict[int, ProgressView]:
    rows = db.session.execute(_PROGRESS_OF_ONE, {"enrollment_id": enrollment.id})
    return {row.module_id: ProgressView(*row) for row in rows}


def module_state(progress: ProgressView | ModuleProgress | None) -> ModuleState:
    if progress is None:
        return ModuleState.NOT_STARTED
    return ModuleState.COMPLETE if progress.is_complete else ModuleState.IN_PROGRESS


def learner_state(
    *,
    user: User,
    modules: Sequence[Module | ModuleView],
    progress: Mapping[int, ProgressView],
    minimum_reading_minutes: float,
    enrollment: Enrollment | None = None,
    minimum_time_share: float = 0,
) -> LearnerState:
    """The pure completion input for one enrollment."""
    return LearnerState(
        modules=tuple(
            ModuleStatus(
                position=m.position,
                title=m.title,
                state=module_state(progress.get(m.id)),
                seconds_spent=progress[m.id].seconds_spent if m.id in progress else 0,
                minimum_seconds=module_minimum_seconds(m.estimated_minutes, minimum_time_share),
            )
            for m in modules
        ),
        minimum_reading_minutes=minimum_reading_minutes,
        post_test_passed=enrollment is not None and enrollment.post_test_passed_at is not None,
        evaluation_submitted=enrollment is not None
        and enrollment.evaluation_submitted_at is not None,
        profile_complete=user.has_complete_profile,
    )


def enrollment_state(enrollment: Enrollment) -> LearnerState:
    """The completion input for an enrollment, loaded from the database (4 statements)."""
    version = enrollment.version
    return learner_state(
        user=db.session.get(User, enrollment.user_id),  # type: ignore[arg-type]
        modules=modules_of(version.id),
        progress=progress_by_module(enrollment),
        minimum_reading_minutes=version.policy.post_test.minimum_reading_minutes,
        enrollment=enrollment,
        minimum_time_share=version.policy.reading.minimum_time_share,
    )


_PROGRESS_OF_MANY = select(
    _MODULE_PROGRESS.c.enrollment_id,
    _MODULE_PROGRESS.c.module_id,
    _MODULE_PROGRESS.c.seconds_spent,
    _MODULE_PROGRESS.c.completed_at,
).where(_MODULE_PROGRESS.c.enrollment_id.in_(bindparam("ids", expanding=True)))


def enrollment_states(
    rows: Sequence[tuple[Enrollment, User, CourseVersion]],
) -> dict[int, LearnerState]:
    """The completion input for many enrollments, by enrollment id: one statement for
    their reading progress; modules and policy from the per-process version snapshots."""
    progress: dict[int, dict[int, ProgressView]] = {e.id: {} for e, _, _ in rows}
    if progress:
        for row in db.session.execute(_PROGRESS_OF_MANY, {"ids": list(progress)}):
            progress[row.enrollment_id][row.module_id] = ProgressView(*row[1:])
    states = {}
    for enrollment, user, version_row in rows:
        version = catalog_queries.version(version_row.id, version_row.content_hash)
        states[enrollment.id] = learner_state(
            user=user,
            modules=version.modules,
            progress=progress[enrollment.id],
            minimum_reading_minutes=version.policy.post_test.minimum_reading_minutes,
            enrollment=enrollment,
            minimum_time_share=version.policy.reading.minimum_time_share,
        )
    return states


@dataclass(frozen=True)
class DashboardRow:
    """One enrollment on the dashboard: its course, progress and where to pick up."""

    slug: str
    title: str
    contact_hours: float
    module_count: int
    status: str
    completed_at: datetime | None
    modules_complete: int
    last_module_position: int | None
    percent: int
    # set once a post-test attempt is final (graded or expired): the score of record
    post_test_score: float | None = None


_LAST_MODULE = Module.__table__.alias("last_module")
_DASHBOARD = (
    select(
        _COURSE.c.slug,
        _VERSION.c.title,
        _VERSION.c.contact_hours,
        _VERSION.c.module_count,
        _ENROLLMENT.c.status,
        _ENROLLMENT.c.completed_at,
        _ENROLLMENT.c.post_test_passed_at,
        _ENROLLMENT.c.evaluation_submitted_at,
        _ENROLLMENT.c.post_test_score,
        func.count(_MODULE_PROGRESS.c.completed_at).label("done"),
        _LAST_MODULE.c.position.label("last_position"),
    )
    .join(_COURSE, _COURSE.c.id == _ENROLLMENT.c.course_id)
    .join(_VERSION, _VERSION.c.id == _ENROLLMENT.c.version_id)
    .outerjoin(_MODULE_PROGRESS, _MODULE_PROGRESS.c.enrollment_id == _ENROLLMENT.c.id)
    .outerjoin(_LAST_MODULE, _LAST_MODULE.c.id == _ENROLLMENT.c.last_module_id)
    .where(_ENROLLMENT.c.user_id == bindparam("user_id"))
    .group_by(_ENROLLMENT.c.id, _COURSE.c.id, _VERSION.c.id, _LAST_MODULE.c.position)
    .order_by(_ENROLLMENT.c.last_seen_at.desc().nulls_last(), _ENROLLMENT.c.enrolled_at.desc())
)


def dashboard(user: User) -> list[DashboardRow]:
    """The learner's enrollments with their progress, in one Core statement."""
    rows = db.session.execute(_DASHBOARD, {"user_id": user.id}).all()
    return [
        DashboardRow(
            slug=r.slug,
            title=r.title,
            contact_hours=r.contact_hours,
            module_count=r.module_count,
            status=r.status,
            completed_at=r.completed_at,
            modules_complete=r.done,
            last_module_position=r.last_position,
            percent=enrollment_percent(r, user, r.module_count, r.done),
            post_test_score=r.post_test_score,
        )
        for r in rows
    ]
