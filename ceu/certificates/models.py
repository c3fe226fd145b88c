"""Certificates (frozen records), their numbering, provider settings and evaluations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ceu.domain.certificates import CertificateRecord, CertificateStatus
from ceu.domain.credit import Credit
from ceu.extensions import UTCDateTime, db, utcnow
from ceu.learning.models import Enrollment, InvalidTransition


class ProviderSettings(db.Model):  # type: ignore[name-defined,misc]
    """The CE provider's identity as printed on certificates (one row)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_name: Mapped[str] = mapped_column(String(200), default="")
    signatory_name: Mapped[str] = mapped_column(String(200), default="")
    signatory_title: Mapped[str] = mapped_column(String(200), default="")
    signature_png_b64: Mapped[str] = mapped_column(Text, default="")
    approval_statements: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def is_complete(self) -> bool:
        return bool(self.provider_name and self.signatory_name and self.signatory_title)


class CertificateSequence(db.Model):  # type: ignore[name-defined,misc]
    """The last number used per year; bumped with one UPDATE so concurrent issues never clash."""

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0)


# A corrected certificate is superseded and a revoked one stays on record, so only the
# valid one is unique: one valid certificate per enrollment, enforced by the database.
ONE_VALID_PER_ENROLLMENT = "uq_certificate_one_valid_per_enrollment"
_IS_VALID = text(f"status = '{CertificateStatus.VALID.value}'")


class Certificate(db.Model):  # type: ignore[name-defined,misc]
    __table_args__ = (
        UniqueConstraint("year", "sequence"),
        Index(
            ONE_VALID_PER_ENROLLMENT,
            "enrollment_id",
            unique=True,
            sqlite_where=_IS_VALID,
            postgresql_where=_IS_VALID,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    verification_code: Mapped[str] = mapped_column(String(64), unique=True)
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollment.id", ondelete="RESTRICT"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(20), default=CertificateStatus.VALID.value)
    record: Mapped[dict[str, Any]] = mapped_column(JSON)
    record_hash: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), default=None
    )
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    revocation_reason: Mapped[str] = mapped_column(Text, default="")
    # indexed: the public verification page looks up a certificate's replacement
    supersedes_id: Mapped[int | None] = mapped_column(
        ForeignKey("certificate.id", ondelete="SET NULL"), default=None, index=True
    )
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    enrollment: Mapped[Enrollment] = relationship()

    @property
    def frozen(self) -> CertificateRecord:
        return CertificateRecord.from_json(self.record)

    @property
    def credit(self) -> Credit:
        """What this certificate contributes to the hours total (see ceu.domain.credit)."""
        record = self.frozen
        return Credit(
            certificate_id=self.id,
            enrollment_id=self.enrollment_id,
            status=self.status,
            contact_hours=record.contact_hours,
            completion_date=record.completion_date,
        )

    @property
    def is_valid(self) -> bool:
        return self.status == CertificateStatus.VALID

    def revoke(self, *, reason: str, now: datetime) -> None:
        if self.status != CertificateStatus.VALID:
            raise InvalidTransition(f"cannot revoke a certificate that is {self.status}")
        self.status = CertificateStatus.REVOKED
        self.revoked_at = now
        self.revocation_reason = reason

    def supersede(self, *, now: datetime) -> None:
        if self.status != CertificateStatus.VALID:
            raise InvalidTransition(f"cannot correct a certificate that is {self.status}")
        self.status = CertificateStatus.SUPERSEDED
        self.superseded_at = now


class Attestation(db.Model):  # type: ignore[name-defined,misc]
    """What the learner attested before the evaluation; at most one per enrollment (the
    primary key), copied into the certificate record when one is issued."""

    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollment.id", ondelete="CASCADE"), primary_key=True
    )
    statement: Mapped[str] = mapped_column(Text)
    attested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class EvaluationResponse(db.Model):  # type: ignore[name-defined,misc]
    """Answers to the course evaluation, kept apart from who gave them (no user link)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("course_version.id", ondelete="CASCADE"))
    submitted_on: Mapped[str] = mapped_column(String(7))  # YYYY-MM only: not re-identifying
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
