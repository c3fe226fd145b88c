"""Course writes: import a validated course folder as a new immutable version."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from ceu.auth.models import User
from ceu.catalog.models import Course, CourseFile, CourseVersion, Module, Question
from ceu.domain import content as dc
from ceu.domain.content.snapshot import to_json
from ceu.extensions import db


@dataclass(frozen=True)
class ImportResult:
    course: Course
    version: CourseVersion
    created: bool  # False: the content was already imported (same content hash)


def import_course(*, parsed: dc.Course, actor: User | None = None) -> ImportResult:
    """Store a validated course as a new version unless its content hash is already stored."""
    course = db.session.scalar(select(Course).where(Course.slug == parsed.slug))
    if course is None:
        course = Course(slug=parsed.slug)
        db.session.add(course)
        db.session.flush()
    existing = db.session.scalar(
        select(CourseVersion).where(
            CourseVersion.course_id == course.id,
            CourseVersion.content_hash == parsed.content_hash,
        )
    )
    if existing is not None:
        return ImportResult(course=course, version=existing, created=False)
    last = db.session.scalar(
        select(func.max(CourseVersion.number)).where(CourseVersion.course_id == course.id)
    )
    version = CourseVersion(
        course_id=course.id,
        number=(last or 0) + 1,
        version_label=parsed.version_label,
        content_hash=parsed.content_hash,
        title=parsed.title,
        summary=parsed.summary,
        level=str(parsed.level),
        contact_hours=float(parsed.contact_hours.hours),
        module_count=len(parsed.modules),
        policy=parsed.policy,
        imported_by_id=actor.id if actor else None,
    )
    version.files = [CourseFile(path=path, text=text) for path, text in parsed.files]
    version.modules = [_module(m) for m in parsed.modules]
    db.session.add(version)
    db.session.flush()
    course.current_version_id = version.id
    db.session.flush()
    return ImportResult(course=course, version=version, created=True)


def _module(m: dc.Module) -> Module:
    module = Module(
        position=m.position,
        slug=m.slug,
        title=m.title,
        estimated_minutes=m.estimated_minutes,
        word_count=m.word_count,
        objectives=to_json(m.objectives),
        key_points=list(m.key_points),
        sections=to_json(m.sections),
        cited_keys=list(m.cited_keys),
        html=m.html,
    )
    module.questions = [
        Question(
            position=i,
            qid=q.id,
            type=q.type,
            pool=str(q.pool),
            is_case=q.is_case,
            difficulty=str(q.difficulty),
            objectives=list(q.objectives),
            section=q.section,
            content={"stem": q.stem, "options": to_json(q.options), "key": list(q.key)},
            content_hash=q.content_hash,
        )
        for i, q in enumerate(m.questions, start=1)
    ]
    return module
