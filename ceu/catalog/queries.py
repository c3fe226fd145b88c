"""Course reads for the hot pages: a course by slug, and immutable version snapshots.

A version never changes after import, so its snapshot (the typed CoursePolicy, modules
without their HTML) is read once per process and kept (`ceu.core.cache`), keyed by id and
content hash. What can change about a course (published, current version, issue mode) is
read on every request with one Core statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select

from ceu.catalog.models import Course, CourseFile, CourseVersion, Module
from ceu.core.cache import process_cache
from ceu.domain.content import CoursePolicy, Level, Objective, Section
from ceu.extensions import db

_COURSE = Course.__table__
_VERSION = CourseVersion.__table__
_MODULE = Module.__table__


@dataclass(frozen=True)
class CourseRef:
    """The mutable facts of a course, read fresh on every request."""

    id: int
    slug: str
    is_published: bool
    certificate_issue_mode: str
    current_version_id: int
    current_version_hash: str


@dataclass(frozen=True)
class ModuleView:
    """A module of a cached version, without its HTML (read apart: `module_html`)."""

    id: int
    version_id: int
    position: int
    slug: str
    title: str
    estimated_minutes: int
    word_count: int
    objectives: tuple[Objective, ...]
    key_points: tuple[str, ...]
    sections: tuple[Section, ...]
    cited_keys: tuple[str, ...]


@dataclass(frozen=True)
class VersionView:
    """A course version as imported; never changes, so it is safe to keep per process."""

    id: int
    course_id: int
    number: int
    version_label: str
    content_hash: str
    title: str
    summary: str
    level: Level
    contact_hours: float
    module_count: int
    policy: CoursePolicy
    modules: tuple[ModuleView, ...]

    @property
    def key(self) -> tuple[int, str]:
        return (self.id, self.content_hash)

    def module_at(self, position: int) -> ModuleView | None:
        return next((m for m in self.modules if m.position == position), None)


_COURSE_BY_SLUG = (
    select(
        _COURSE.c.id,
        _COURSE.c.slug,
        _COURSE.c.is_published,
        _COURSE.c.certificate_issue_mode,
        _COURSE.c.current_version_id,
        _VERSION.c.content_hash,
    )
    .outerjoin(_VERSION, _VERSION.c.id == _COURSE.c.current_version_id)
    .where(_COURSE.c.slug == bindparam("slug"))
)
_VERSION_HASH = select(_VERSION.c.content_hash).where(_VERSION.c.id == bindparam("version_id"))
_VERSION_COLUMNS = {
    **{c.name: c for c in _VERSION.c},
    "policy": _VERSION.c.front,
}  # the column's first name
_VERSION_FIELDS = [name for name in VersionView.__dataclass_fields__ if name != "modules"]
_VERSION_ROW = select(*[_VERSION_COLUMNS[name].label(name) for name in _VERSION_FIELDS]).where(
    _VERSION.c.id == bindparam("version_id")
)
_MODULE_ROWS = (
    select(*[_MODULE.c[name] for name in ModuleView.__dataclass_fields__])
    .where(_MODULE.c.version_id == bindparam("version_id"))
    .order_by(_MODULE.c.position)
)
_MODULE_HTML = select(_MODULE.c.html).where(_MODULE.c.id == bindparam("module_id"))


def published_course(slug: str) -> CourseRef | None:
    """A published course with a current version, by slug (one statement)."""
    return published_ref(db.session.execute(_COURSE_BY_SLUG, {"slug": slug}).first())


def published_ref(row: Any) -> CourseRef | None:
    """A CourseRef from a row with course columns and the current version's content_hash;
    None unless the course is published and has a current version."""
    if row is None or not row.is_published or row.content_hash is None:
        return None
    return CourseRef(
        id=row.id,
        slug=row.slug,
        is_published=row.is_published,
        certificate_issue_mode=row.certificate_issue_mode,
        current_version_id=row.current_version_id,
        current_version_hash=row.content_hash,
    )


def current_version(course: CourseRef) -> VersionView:
    return version(course.current_version_id, course.current_version_hash)


def enrolled_version(course: CourseRef, enrollment: Any) -> VersionView:
    """The version an enrollment is pinned to (usually the current one, already known)."""
    if enrollment.version_id == course.current_version_id:
        return current_version(course)
    return version(enrollment.version_id)


def version(version_id: int, content_hash: str | None = None) -> VersionView:
    """The snapshot of a version; read from the database once per process.

    Without the content hash (an enrollment knows only the id) one small statement reads
    it, so that a reused id (rows deleted and ids handed out again) is never mistaken for
    the version that was cached.
    """
    if content_hash is None:
        content_hash = db.session.execute(_VERSION_HASH, {"version_id": version_id}).scalar_one()
    return process_cache().get_or_make(
        ("version", version_id, content_hash), lambda: _load_version(version_id)
    )


def _load_version(version_id: int) -> VersionView:
    row = db.session.execute(_VERSION_ROW, {"version_id": version_id}).one()
    modules = tuple(
        _module_view(m) for m in db.session.execute(_MODULE_ROWS, {"version_id": version_id})
    )
    values = {**row._mapping, "level": Level(row.level)}
    return VersionView(**values, modules=modules)


def _module_view(row: Any) -> ModuleView:
    """The typed objects of the content model, from the module row's JSON columns."""
    return ModuleView(
        **{
            **row._mapping,
            "objectives": tuple(Objective(o["id"], o["text"]) for o in row.objectives),
            "key_points": tuple(row.key_points),
            "sections": tuple(Section(s["id"], s["title"]) for s in row.sections),
            "cited_keys": tuple(row.cited_keys),
        }
    )


def module_html(module_id: int) -> str:
    """A module's stored, sanitized HTML (rendered once, at import)."""
    return db.session.execute(_MODULE_HTML, {"module_id": module_id}).scalar_one()  # type: ignore[no-any-return]


def course_by_slug(slug: str) -> Course | None:
    return db.session.scalar(select(Course).where(Course.slug == slug))


def all_courses() -> list[Course]:
    """Every course, published or not, by slug (the administrator's list)."""
    return list(db.session.scalars(select(Course).order_by(Course.slug)))


def version_files(version: CourseVersion) -> list[tuple[str, str]]:
    """The exact files of an imported version, for export."""
    rows = db.session.execute(
        select(CourseFile.path, CourseFile.text)
        .where(CourseFile.version_id == version.id)
        .order_by(CourseFile.path)
    )
    return [(path, text) for path, text in rows]
