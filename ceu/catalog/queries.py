"""Course reads."""

from __future__ import annotations

from sqlalchemy import select

from ceu.catalog.models import Course, CourseFile, CourseVersion


def course_by_slug(slug: str) -> Course | None:
    from ceu.extensions import db

    return db.session.scalar(select(Course).where(Course.slug == slug))


def version_files(version: CourseVersion) -> list[tuple[str, str]]:
    """The exact files of an imported version, for export."""
    from ceu.extensions import db

    rows = db.session.execute(
        select(CourseFile.path, CourseFile.text)
        .where(CourseFile.version_id == version.id)
        .order_by(CourseFile.path)
    )
    return [(path, text) for path, text in rows]
