"""Learner reads. Each page uses a fixed number of statements, whatever the data size."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import defer

from ceu.auth.models import User
from ceu.catalog.models import Course, CourseVersion, Module
from ceu.domain.completion import (
    LearnerState,
    ModuleState,
    ModuleStatus,
    percent_from_counts,
)
from ceu.extensions import contains_pattern, db
from ceu.learning.models import Enrollment, EnrollmentStatus, ModuleProgress

PAGE_SIZE = 20
LEVELS = ("introductory", "intermediate", "advanced")


@dataclass(frozen=True)
class CatalogRow:
    course: Course
    version: CourseVersion
    status: str  # "not_enrolled" | EnrollmentStatus value
    percent: int


@dataclass(frozen=True)
class CatalogPage:
    rows: list[CatalogRow]
    page: int
    pages: int
    total: int


def _published() -> Select[tuple[Course, CourseVersion]]:
    return (
        select(Course, CourseVersion)
        .join(CourseVersion, CourseVersion.id == Course.current_version_id)
        .where(Course.is_published.is_(True))
    )


def catalog(*, user: User | None, search: str = "", level: str = "", page: int = 1) -> CatalogPage:
    """Published courses, filtered and paginated, with the learner's status on each."""
    query = _published()
    if search:
        pattern = contains_pattern(search)
        query = query.where(CourseVersion.title.ilike(pattern, escape="\\"))
    if level in LEVELS:
        query = query.where(CourseVersion.level == level)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    found = db.session.execute(
        query.options(defer(CourseVersion.front))  # 16 kB of JSON per row the list never shows
        .order_by(CourseVersion.title, Course.id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    stats = _enrollment_stats(user, [course.id for course, _ in found])
    rows = []
    for course, version in found:
        status, percent = stats.get(course.id, ("not_enrolled", 0))
        rows.append(CatalogRow(course=course, version=version, status=status, percent=percent))
    return CatalogPage(rows=rows, page=page, pages=pages, total=total)


def _enrollment_stats(user: User | None, course_ids: list[int]) -> dict[int, tuple[str, int]]:
    """course id -> (status, percent) for this user, in one statement."""
    if user is None or not getattr(user, "is_authenticated", False) or not course_ids:
        return {}
    done = func.count(ModuleProgress.completed_at)
    rows = db.session.execute(
        select(Enrollment, CourseVersion.module_count, done)
        .join(CourseVersion, CourseVersion.id == Enrollment.version_id)
        .outerjoin(ModuleProgress, ModuleProgress.enrollment_id == Enrollment.id)
        .where(Enrollment.user_id == user.id, Enrollment.course_id.in_(course_ids))
        .group_by(Enrollment.id, CourseVersion.module_count)
    ).all()
    return {
        e.course_id: (e.status, enrollment_percent(e, user, total, complete))
        for e, total, complete in rows
    }


def enrollment_percent(
    enrollment: Enrollment, user: User, modules_total: int, modules_complete: int
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


def published_course(slug: str) -> tuple[Course, CourseVersion] | None:
    row = db.session.execute(_published().where(Course.slug == slug)).first()
    return (row[0], row[1]) if row else None


def enrollment_for(user: User, course: Course) -> Enrollment | None:
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


def module_at(version_id: int, position: int) -> Module | None:
    return db.session.scalar(
        select(Module).where(Module.version_id == version_id, Module.position == position)
    )


def progress_by_module(enrollment: Enrollment) -> dict[int, ModuleProgress]:
    rows = db.session.scalars(
        select(ModuleProgress).where(ModuleProgress.enrollment_id == enrollment.id)
    )
    return {p.module_id: p for p in rows}


def module_state(progress: ModuleProgress | None) -> ModuleState:
    if progress is None:
        return ModuleState.NOT_STARTED
    return ModuleState.COMPLETE if progress.is_complete else ModuleState.IN_PROGRESS


def learner_state(
    *,
    user: User,
    modules: list[Module],
    progress: dict[int, ModuleProgress],
    minimum_reading_minutes: float,
    enrollment: Enrollment | None = None,
) -> LearnerState:
    """The pure completion input for one enrollment."""
    return LearnerState(
        modules=tuple(
            ModuleStatus(
                position=m.position,
                title=m.title,
                state=module_state(progress.get(m.id)),
                seconds_spent=progress[m.id].seconds_spent if m.id in progress else 0,
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
        minimum_reading_minutes=version.front["post_test"]["minimum_reading_minutes"],
        enrollment=enrollment,
    )


@dataclass(frozen=True)
class DashboardRow:
    enrollment: Enrollment
    course: Course
    version: CourseVersion
    modules_complete: int
    last_module_position: int | None
    percent: int


def dashboard(user: User) -> list[DashboardRow]:
    """The learner's enrollments with their progress, in one statement."""
    done = func.count(ModuleProgress.completed_at)
    last_module = db.aliased(Module)
    rows = db.session.execute(
        select(Enrollment, Course, CourseVersion, done, last_module.position)
        .join(Course, Course.id == Enrollment.course_id)
        .join(CourseVersion, CourseVersion.id == Enrollment.version_id)
        .outerjoin(ModuleProgress, ModuleProgress.enrollment_id == Enrollment.id)
        .outerjoin(last_module, last_module.id == Enrollment.last_module_id)
        .where(Enrollment.user_id == user.id)
        .options(defer(CourseVersion.front))
        .group_by(Enrollment.id, Course.id, CourseVersion.id, last_module.position)
        .order_by(Enrollment.last_seen_at.desc().nulls_last(), Enrollment.enrolled_at.desc())
    ).all()
    return [
        DashboardRow(
            enrollment=e,
            course=c,
            version=v,
            modules_complete=n,
            last_module_position=pos,
            percent=enrollment_percent(e, user, v.module_count, n),
        )
        for e, c, v, n, pos in rows
    ]


def hours_earned(rows: list[DashboardRow], *, year: int) -> tuple[float, float]:
    """(this year, all time) contact hours from completed enrollments."""
    done = [r for r in rows if r.enrollment.status == EnrollmentStatus.COMPLETED]
    total = sum(r.version.contact_hours for r in done)
    this_year = sum(
        r.version.contact_hours
        for r in done
        if isinstance(r.enrollment.completed_at, datetime)
        and r.enrollment.completed_at.year == year
    )
    return this_year, total
