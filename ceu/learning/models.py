"""Enrollments (pinned to a course version) and per-module reading progress."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ceu.catalog.models import Course, CourseVersion, Module
from ceu.extensions import UTCDateTime, db, utcnow


class EnrollmentStatus(StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"
    COMPLETED = "completed"


class InvalidTransition(Exception):
    """A state change that the current state does not allow."""


class Enrollment(db.Model):  # type: ignore[name-defined,misc]
    """One learner in one course; withdrawing keeps the row and its progress."""

    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("course_version.id"))
    status: Mapped[str] = mapped_column(String(20), default=EnrollmentStatus.ACTIVE.value)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_module_id: Mapped[int | None] = mapped_column(
        ForeignKey("module.id", ondelete="SET NULL"), default=None
    )
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # written by later steps (quiz, evaluation) so that completion reads one row
    post_test_passed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    post_test_score: Mapped[float | None] = mapped_column(default=None)
    evaluation_submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    course: Mapped[Course] = relationship()
    version: Mapped[CourseVersion] = relationship()
    progress: Mapped[list[ModuleProgress]] = relationship(
        back_populates="enrollment", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:
        return self.status == EnrollmentStatus.ACTIVE

    @property
    def is_completed(self) -> bool:
        return self.status == EnrollmentStatus.COMPLETED

    def withdraw(self) -> None:
        if self.status != EnrollmentStatus.ACTIVE:
            raise InvalidTransition(f"cannot withdraw an enrollment that is {self.status}")
        self.status = EnrollmentStatus.WITHDRAWN
        self.withdrawn_at = utcnow()

    def reactivate(self) -> None:
        if self.status != EnrollmentStatus.WITHDRAWN:
            raise InvalidTransition(f"cannot re-enroll an enrollment that is {self.status}")
        self.status = EnrollmentStatus.ACTIVE
        self.withdrawn_at = None


class ModuleProgress(db.Model):  # type: ignore[name-defined,misc]
    __table_args__ = (UniqueConstraint("enrollment_id", "module_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollment.id", ondelete="CASCADE"), index=True
    )
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id", ondelete="CASCADE"))
    seconds_spent: Mapped[int] = mapped_column(Integer, default=0)
    first_viewed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    enrollment: Mapped[Enrollment] = relationship(back_populates="progress")
    module: Mapped[Module] = relationship()

    @property
    def is_complete(self) -> bool:
        return self.completed_at is not None
