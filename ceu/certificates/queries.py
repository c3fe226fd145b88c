"""Certificate reads: completion state, the approval queue, verification, transcripts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, func, select

from ceu.auth.models import User
from ceu.catalog import queries as catalog_queries
from ceu.catalog.models import Course, CourseVersion
from ceu.certificates.models import Certificate, EvaluationResponse
from ceu.domain.certificates import CertificateRecord, CertificateStatus, is_plausible_code
from ceu.domain.completion import LearnerState, outstanding
from ceu.domain.credit import Credit
from ceu.extensions import contains_pattern, db
from ceu.learning import queries as learning_queries
from ceu.learning.models import Enrollment, EnrollmentStatus, ModuleProgress


def completion_state(enrollment: Enrollment) -> LearnerState:
    return learning_queries.enrollment_state(enrollment)


def completion_date(enrollment: Enrollment) -> date:
    """The day the last requirement was met."""
    last_read = db.session.scalar(
        select(func.max(ModuleProgress.completed_at)).where(
            ModuleProgress.enrollment_id == enrollment.id
        )
    )
    moments = [
        m
        for m in (last_read, enrollment.post_test_passed_at, enrollment.evaluation_submitted_at)
        if m is not None
    ]
    return max(moments).date()


def certificate_for(enrollment: Enrollment) -> Certificate | None:
    """The newest certificate of an enrollment (valid, revoked or superseded)."""
    return db.session.scalar(
        select(Certificate)
        .where(Certificate.enrollment_id == enrollment.id)
        .order_by(Certificate.id.desc())
        .limit(1)
    )


def valid_certificate_for(enrollment_id: int) -> Certificate | None:
    """The one valid certificate of an enrollment (the database allows no second)."""
    return db.session.scalar(
        select(Certificate).where(
            Certificate.enrollment_id == enrollment_id,
            Certificate.status == CertificateStatus.VALID.value,
        )
    )


@dataclass(frozen=True)
class CertificateBrief:
    """What the course page and dashboard show of a certificate (no frozen record)."""

    id: int
    number: str
    status: str
    issued_at: datetime
    revoked_at: datetime | None
    course_title: str = ""


_CERTIFICATE = Certificate.__table__
_BRIEF_COLUMNS = (
    _CERTIFICATE.c.id,
    _CERTIFICATE.c.number,
    _CERTIFICATE.c.status,
    _CERTIFICATE.c.issued_at,
    _CERTIFICATE.c.revoked_at,
)
_NEWEST_FOR_ENROLLMENT = (
    select(*_BRIEF_COLUMNS)
    .where(_CERTIFICATE.c.enrollment_id == bindparam("enrollment_id"))
    .order_by(_CERTIFICATE.c.id.desc())
    .limit(1)
)
_ENROLLMENT, _VERSION = Enrollment.__table__, CourseVersion.__table__
# The course title as certified: the record takes it from the enrollment's pinned version,
# which never changes, so the join gives the same text without decoding the record.
_FOR_USER = (
    select(*_BRIEF_COLUMNS, _VERSION.c.title)
    .join(_ENROLLMENT, _ENROLLMENT.c.id == _CERTIFICATE.c.enrollment_id)
    .join(_VERSION, _VERSION.c.id == _ENROLLMENT.c.version_id)
    .where(_CERTIFICATE.c.user_id == bindparam("user_id"))
    .order_by(_CERTIFICATE.c.id)
)


def may_hold_certificate(enrollment_status: str) -> bool:
    """Issuing a certificate completes the enrollment (`services._create`), so only a
    completed enrollment can have one: pages need no lookup for the others."""
    return enrollment_status == EnrollmentStatus.COMPLETED


def newest_brief(enrollment_id: int) -> CertificateBrief | None:
    """`certificate_for` for display only: one Core statement, no record decoding."""
    row = db.session.execute(_NEWEST_FOR_ENROLLMENT, {"enrollment_id": enrollment_id}).first()
    return CertificateBrief(*row) if row is not None else None


def briefs_for_user(user_id: int) -> list[CertificateBrief]:
    """A learner's certificates for the dashboard, with the course title as certified."""
    return [CertificateBrief(*row) for row in db.session.execute(_FOR_USER, {"user_id": user_id})]


@dataclass(frozen=True)
class Verification:
    """What the public verification page needs of a certificate and its replacement."""

    id: int
    status: str
    revoked_at: datetime | None
    superseded_at: datetime | None
    record_hash: str
    replacement_code: str | None
    replacement_number: str | None
    replacement_status: str | None


_REPLACEMENT = Certificate.__table__.alias("replacement")
_VERIFY = (
    select(
        _CERTIFICATE.c.id,
        _CERTIFICATE.c.status,
        _CERTIFICATE.c.revoked_at,
        _CERTIFICATE.c.superseded_at,
        _CERTIFICATE.c.record_hash,
        _REPLACEMENT.c.verification_code,
        _REPLACEMENT.c.number,
        _REPLACEMENT.c.status,
    )
    .outerjoin(_REPLACEMENT, _REPLACEMENT.c.supersedes_id == _CERTIFICATE.c.id)
    .where(_CERTIFICATE.c.verification_code == bindparam("code"))
)
_RECORD = select(_CERTIFICATE.c.record).where(_CERTIFICATE.c.id == bindparam("id"))


def verification(code: str) -> Verification | None:
    """A certificate and its replacement by verification code, in one statement; the
    frozen record is not read (it never changes: see `frozen_record`)."""
    if not is_plausible_code(code):
        return None
    row = db.session.execute(_VERIFY, {"code": code}).first()
    return Verification(*row) if row is not None else None


def frozen_record(certificate_id: int) -> CertificateRecord:
    return CertificateRecord.from_json(
        db.session.execute(_RECORD, {"id": certificate_id}).scalar_one()
    )


def by_code(code: str) -> Certificate | None:
    if not is_plausible_code(code):
        return None
    return db.session.scalar(select(Certificate).where(Certificate.verification_code == code))


def queue() -> list[tuple[Enrollment, User, CourseVersion, Course]]:
    """Completions waiting for an admin: every requirement met, no certificate yet.

    SQL only narrows the enrollments down to those that may be complete (active, post-test
    passed, evaluation in, every module marked read, no certificate: each one necessary);
    the completion rule itself (`ceu.domain.completion.outstanding`) decides, so the
    queue can never disagree with the course page or the issuing service.
    """
    done = (
        select(func.count(ModuleProgress.id))
        .where(
            ModuleProgress.enrollment_id == Enrollment.id, ModuleProgress.completed_at.is_not(None)
        )
        .correlate(Enrollment)
        .scalar_subquery()
    )
    has_certificate = select(Certificate.id).where(Certificate.enrollment_id == Enrollment.id)
    rows = db.session.execute(
        select(Enrollment, User, CourseVersion, Course)
        .join(User, User.id == Enrollment.user_id)
        .join(CourseVersion, CourseVersion.id == Enrollment.version_id)
        .join(Course, Course.id == Enrollment.course_id)
        .where(
            Enrollment.status == EnrollmentStatus.ACTIVE.value,
            Enrollment.post_test_passed_at.is_not(None),
            Enrollment.evaluation_submitted_at.is_not(None),
            done >= CourseVersion.module_count,
            ~has_certificate.exists(),
        )
        .order_by(Enrollment.evaluation_submitted_at, Enrollment.id)
    ).all()
    states = learning_queries.enrollment_states([(e, u, v) for e, u, v, _ in rows])
    return [(e, u, v, c) for e, u, v, c in rows if not outstanding(states[e.id])]


def certificates(search: str = "", limit: int = 200) -> list[tuple[Certificate, User]]:
    """Issued certificates for the admin desk, newest first, filtered by name/e-mail/number."""
    query = select(Certificate, User).join(User, User.id == Certificate.user_id)
    if search:
        pattern = contains_pattern(search)
        query = query.where(
            User.email.ilike(pattern, escape="\\")
            | User.full_name.ilike(pattern, escape="\\")
            | Certificate.number.ilike(pattern, escape="\\")
        )
    rows = db.session.execute(query.order_by(Certificate.id.desc()).limit(limit)).all()
    return [(c, u) for c, u in rows]


_CREDITS = select(
    _CERTIFICATE.c.id,
    _CERTIFICATE.c.enrollment_id,
    _CERTIFICATE.c.status,
    Certificate.record["contact_hours"].as_float(),
    Certificate.record["completion_date"].as_string(),
).where(_CERTIFICATE.c.user_id == bindparam("user_id"))


def credits_for_user(user_id: int) -> list[Credit]:
    """Every certificate of a learner as the hours total sees it, in one statement that
    reads two members of each frozen record (not the whole record: it holds the image)."""
    return [
        Credit(
            certificate_id=row[0],
            enrollment_id=row[1],
            status=row[2],
            contact_hours=float(row[3]),
            completion_date=date.fromisoformat(row[4]),
        )
        for row in db.session.execute(_CREDITS, {"user_id": user_id})
    ]


def for_user(user_id: int) -> list[Certificate]:
    return list(
        db.session.scalars(
            select(Certificate).where(Certificate.user_id == user_id).order_by(Certificate.id)
        )
    )


def by_ids(ids: list[int]) -> list[Certificate]:
    return list(db.session.scalars(select(Certificate).where(Certificate.id.in_(ids))))


def evaluations(course_id: int) -> list[EvaluationResponse]:
    return list(
        db.session.scalars(
            select(EvaluationResponse).where(EvaluationResponse.course_id == course_id)
        )
    )


def replacement_of(certificate: Certificate) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(Certificate.supersedes_id == certificate.id))


@dataclass(frozen=True)
class AchievementView:
    """A published course as an Open Badges Achievement (its current version)."""

    title: str
    contact_hours: float
    version_label: str


def achievement(slug: str) -> AchievementView | None:
    ref = catalog_queries.published_course(slug)
    if ref is None:
        return None
    version = db.session.get(CourseVersion, ref.current_version_id)
    return AchievementView(version.title, float(version.contact_hours), version.version_label)


def not_valid_ids(first: int, stop: int) -> list[int]:
    """Ids in [first, stop) of certificates that no longer verify (revoked or superseded):
    the bits set in the shared status list."""
    return list(
        db.session.scalars(
            select(Certificate.id).where(
                Certificate.id >= first,
                Certificate.id < stop,
                Certificate.status != CertificateStatus.VALID.value,
            )
        )
    )
