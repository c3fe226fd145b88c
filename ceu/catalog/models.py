"""Courses as immutable imported versions: modules (pre-rendered HTML), questions, files."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Dialect, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from ceu.domain.content import CoursePolicy
from ceu.domain.content.snapshot import policy_from_json, policy_to_json
from ceu.extensions import UTCDateTime, db, utcnow


class IssueMode(StrEnum):
    """How a course's certificates are issued once a learner completes it."""

    APPROVAL = "approval"  # completions wait in the admin queue
    AUTOMATIC = "automatic"  # issued on completion


class PolicyJSON(TypeDecorator[CoursePolicy]):
    """A version's CoursePolicy, stored as JSON and read back as the typed objects."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: CoursePolicy | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, CoursePolicy):
            raise TypeError(f"CourseVersion.policy takes a CoursePolicy, not {type(value)}")
        return policy_to_json(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> CoursePolicy | None:
        return None if value is None else policy_from_json(value)


class Course(db.Model):  # type: ignore[name-defined,misc]
    """A course is its slug; what learners see is its current version."""

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    is_published: Mapped[bool] = mapped_column(default=True)
    certificate_issue_mode: Mapped[str] = mapped_column(
        String(20), default=IssueMode.APPROVAL.value, server_default=IssueMode.APPROVAL.value
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("course_version.id", use_alter=True, ondelete="SET NULL"), default=None
    )

    current_version: Mapped[CourseVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True
    )
    versions: Mapped[list[CourseVersion]] = relationship(
        back_populates="course",
        foreign_keys="CourseVersion.course_id",
        order_by="CourseVersion.number",
    )


class CourseVersion(db.Model):  # type: ignore[name-defined,misc]
    """One imported, never-edited snapshot of a course folder."""

    __table_args__ = (
        UniqueConstraint("course_id", "number"),
        UniqueConstraint("course_id", "content_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    version_label: Mapped[str] = mapped_column(String(40))
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(String(20))
    contact_hours: Mapped[float] = mapped_column(Float)
    module_count: Mapped[int] = mapped_column(Integer, default=0)
    # the column keeps its first name; it holds the policy (ceu.domain.content.snapshot)
    policy: Mapped[CoursePolicy] = mapped_column("front", PolicyJSON)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), default=None
    )

    course: Mapped[Course] = relationship(back_populates="versions", foreign_keys=[course_id])
    modules: Mapped[list[Module]] = relationship(
        back_populates="version", order_by="Module.position", cascade="all, delete-orphan"
    )
    files: Mapped[list[CourseFile]] = relationship(
        order_by="CourseFile.path", cascade="all, delete-orphan"
    )


class Module(db.Model):  # type: ignore[name-defined,misc]
    __table_args__ = (UniqueConstraint("version_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("course_version.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    slug: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    estimated_minutes: Mapped[int] = mapped_column(Integer)
    word_count: Mapped[int] = mapped_column(Integer)
    objectives: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    key_points: Mapped[list[str]] = mapped_column(JSON)
    sections: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    cited_keys: Mapped[list[str]] = mapped_column(JSON)
    html: Mapped[str] = mapped_column(Text)

    version: Mapped[CourseVersion] = relationship(back_populates="modules")
    questions: Mapped[list[Question]] = relationship(
        back_populates="module", order_by="Question.position", cascade="all, delete-orphan"
    )


class Question(db.Model):  # type: ignore[name-defined,misc]
    """A bank item as imported; attempts snapshot what they showed, so this never changes."""

    __table_args__ = (UniqueConstraint("module_id", "qid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    qid: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(20))
    pool: Mapped[str] = mapped_column(String(20))
    is_case: Mapped[bool] = mapped_column()
    difficulty: Mapped[str] = mapped_column(String(10))
    objectives: Mapped[list[str]] = mapped_column(JSON)
    section: Mapped[str] = mapped_column(String(200))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))

    module: Mapped[Module] = relationship(back_populates="questions")


class CourseFile(db.Model):  # type: ignore[name-defined,misc]
    """The exact source text, so export gives back the folder that was imported."""

    __table_args__ = (UniqueConstraint("version_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("course_version.id", ondelete="CASCADE"), index=True
    )
    path: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
