"""Certificate writes: evaluation, issue (automatic, approved, manual), revoke, correct.

Every action an administrator takes is written to the audit log in the same transaction.
Keyword-only; flush, never commit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ceu.audit import services as audit
from ceu.auth.models import User
from ceu.catalog.models import Course, IssueMode
from ceu.certificates import queries
from ceu.certificates.models import (
    Attestation,
    Certificate,
    CertificateSequence,
    EvaluationResponse,
    ProviderSettings,
)
from ceu.certificates.pdf import check_signature_image
from ceu.core.errors import UserError
from ceu.domain import completion
from ceu.domain.certificates import (
    SIGNATURE_RULE,
    ApprovalStatement,
    CertificateRecord,
    email_hash,
    format_certificate_number,
    new_verification_code,
    record_hash,
)
from ceu.domain.evaluation import (
    ATTESTATION,
    EvaluationProblem,
    attestation_problem,
    read_evaluation,
)
from ceu.extensions import db, utcnow
from ceu.learning import services as learning_services
from ceu.learning.models import Enrollment, EnrollmentStatus, InvalidTransition

ISSUE_MODES = tuple(IssueMode)


class CertificateError(UserError):
    """A user-facing reason a certificate action was refused; nothing was changed."""


# --- provider settings ------------------------------------------------------------------


def provider_settings() -> ProviderSettings:
    """The single settings row, created empty on first use."""
    settings = db.session.get(ProviderSettings, 1)
    if settings is None:
        settings = ProviderSettings(id=1, approval_statements=[])
        try:
            with db.session.begin_nested():
                db.session.add(settings)
        except IntegrityError:
            settings = db.session.get(ProviderSettings, 1)
    return settings  # type: ignore[return-value]


def update_provider_settings(
    *,
    actor: User | None,
    provider_name: str,
    signatory_name: str,
    signatory_title: str,
    approval_statements: Sequence[Mapping[str, str]],
    signature_png_b64: str | None = None,
) -> ProviderSettings:
    """Save what certificates print about the provider (new certificates only)."""
    settings = provider_settings()
    before = {
        "provider_name": settings.provider_name,
        "signatory_name": settings.signatory_name,
        "signatory_title": settings.signatory_title,
        "approval_statements": settings.approval_statements,
    }
    settings.provider_name = " ".join(provider_name.split())
    settings.signatory_name = " ".join(signatory_name.split())
    settings.signatory_title = " ".join(signatory_title.split())
    settings.approval_statements = [
        {k: " ".join(str(a.get(k, "")).split()) for k in ("board", "number", "statement")}
        for a in approval_statements
        if str(a.get("board", "")).strip() or str(a.get("statement", "")).strip()
    ]
    if signature_png_b64:
        try:
            check_signature_image(signature_png_b64)
        except ValueError as exc:
            raise CertificateError(f"The signature must be {SIGNATURE_RULE}.") from exc
    if signature_png_b64 is not None:
        settings.signature_png_b64 = signature_png_b64
    settings.updated_at = utcnow()
    db.session.flush()
    audit.record(
        actor=actor,
        action="provider.update",
        target_type="provider",
        target_id=1,
        details={"before": before},
    )
    return settings


def set_issue_mode(*, course: Course, mode: str, actor: User | None) -> None:
    """Choose automatic issue on completion or the admin approval queue for a course."""
    if mode not in ISSUE_MODES:
        raise CertificateError("Choose automatic issue or admin approval.")
    previous = course.certificate_issue_mode
    course.certificate_issue_mode = mode
    db.session.flush()
    audit.record(
        actor=actor,
        action="course.issue_mode",
        target_type="course",
        target_id=course.slug,
        details={"from": previous, "to": mode},
    )


# --- evaluation -------------------------------------------------------------------------


def submit_evaluation(
    *, enrollment: Enrollment, raw: Mapping[str, str], now: datetime | None = None
) -> list[EvaluationProblem]:
    """Store one evaluation per enrollment, apart from the learner's identity."""
    now = now or utcnow()
    items = enrollment.version.policy.evaluation
    answers, problems = read_evaluation(items, raw)
    unattested = attestation_problem(raw)
    if unattested is not None:
        problems = [unattested, *problems]
    if problems:
        return problems
    claimed = db.session.execute(
        update(Enrollment)
        .where(Enrollment.id == enrollment.id, Enrollment.evaluation_submitted_at.is_(None))
        .values(evaluation_submitted_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(enrollment)
    if claimed != 1:
        raise CertificateError("You have already submitted the evaluation for this course.")
    db.session.add(Attestation(enrollment_id=enrollment.id, statement=ATTESTATION, attested_at=now))
    db.session.add(
        EvaluationResponse(
            course_id=enrollment.course_id,
            version_id=enrollment.version_id,
            submitted_on=now.strftime("%Y-%m"),
            answers=answers,
        )
    )
    db.session.flush()
    return []


# --- issuing ----------------------------------------------------------------------------


def _next_number(year: int) -> tuple[int, str]:
    """Allocate the next sequence number of the year with one atomic UPDATE."""
    if db.session.get(CertificateSequence, year) is None:
        try:
            with db.session.begin_nested():
                db.session.add(CertificateSequence(year=year, last=0))
        except IntegrityError:
            pass  # another request created the year's row first
    sequence = db.session.execute(
        update(CertificateSequence)
        .where(CertificateSequence.year == year)
        .values(last=CertificateSequence.last + 1)
        .returning(CertificateSequence.last)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    return sequence, format_certificate_number(year, sequence)


def _build_record(
    *,
    number: str,
    code: str,
    verify_url: str,
    user: User,
    enrollment: Enrollment,
    completed_on: date,
    issued_on: date,
    learner_name: str | None = None,
) -> CertificateRecord:
    settings = provider_settings()
    version = enrollment.version
    attestation = (  # given with the evaluation, so there is none before it
        db.session.get(Attestation, enrollment.id) if enrollment.evaluation_submitted_at else None
    )
    return CertificateRecord(
        certificate_number=number,
        verification_code=code,
        verify_url=verify_url,
        learner_name=learner_name or user.full_name,
        credential=user.credential,
        license_number=user.license_number,
        license_state=user.license_state,
        course_title=version.title,
        course_slug=enrollment.course.slug,
        course_version=version.version_label,
        contact_hours=float(version.contact_hours),
        completion_date=completed_on,
        issue_date=issued_on,
        provider_name=settings.provider_name,
        approval_statements=tuple(
            ApprovalStatement(a["board"], a["number"], a["statement"])
            for a in settings.approval_statements
        ),
        signatory_name=settings.signatory_name,
        signatory_title=settings.signatory_title,
        signature_image_png_b64=settings.signature_png_b64,
        learner_email_hash=email_hash(user.email, number),
        learner_attestation=attestation.statement if attestation else "",
        attested_at=attestation.attested_at.isoformat() if attestation else "",
    )


def _create(
    *,
    enrollment: Enrollment,
    user: User,
    actor: User | None,
    verify_base: str,
    completed_on: date,
    now: datetime,
    learner_name: str | None = None,
    supersedes: Certificate | None = None,
) -> Certificate:
    """A new certificate: its record built from the current profile and provider
    settings, or, for a correction (`supersedes`), copied from the record it corrects."""
    settings = provider_settings()
    if not settings.is_complete:
        raise CertificateError(
            "Set the provider name, signatory name and title under Provider settings first."
        )
    accreditation = enrollment.version.policy.accreditation
    if accreditation is not None and accreditation.is_expired_on(now.date()):
        raise CertificateError(
            f"This course version expired on {accreditation.expiry_date}: no certificate "
            f"can be issued for it until the provider reviews the course and releases a new "
            f"version."
        )
    sequence, number = _next_number(now.year)
    code = new_verification_code()
    verify_url = f"{verify_base.rstrip('/')}/verify/{code}"
    if supersedes is not None:  # frozen: only the identity of the new certificate changes
        record = dataclasses.replace(
            supersedes.frozen,
            certificate_number=number,
            verification_code=code,
            verify_url=verify_url,
            issue_date=now.date(),
            learner_name=learner_name or supersedes.frozen.learner_name,
            supersedes_number=supersedes.number,
            learner_email_hash=email_hash(user.email, number),
        )
    else:
        record = _build_record(
            number=number,
            code=code,
            verify_url=verify_url,
            user=user,
            enrollment=enrollment,
            completed_on=completed_on,
            issued_on=now.date(),
            learner_name=learner_name,
        )
    certificate = Certificate(
        number=number,
        year=now.year,
        sequence=sequence,
        verification_code=code,
        enrollment_id=enrollment.id,
        user_id=user.id,
        course_id=enrollment.course_id,
        record=record.to_json(),
        record_hash=record_hash(record),
        issued_at=now,
        issued_by_id=actor.id if actor else None,
        supersedes_id=supersedes.id if supersedes else None,
    )
    db.session.add(certificate)
    if enrollment.status != EnrollmentStatus.COMPLETED:
        enrollment.status = EnrollmentStatus.COMPLETED
        enrollment.completed_at = datetime.combine(completed_on, now.timetz())
    db.session.flush()
    return certificate


def lock_enrollment(enrollment: Enrollment) -> None:
    """Hold the enrollment until commit, so one request at a time issues or corrects its
    certificate: the others wait here, then see what the first one wrote.

    PostgreSQL locks the row (SELECT ... FOR UPDATE). SQLite has no row locks; a write
    takes its single write lock, held to commit (it is the first write of the request, so
    the reads that follow see every certificate committed before it).
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            select(Enrollment.id).where(Enrollment.id == enrollment.id).with_for_update()
        )
    else:
        db.session.execute(
            update(Enrollment)
            .where(Enrollment.id == enrollment.id)
            .values(status=Enrollment.status)
            .execution_options(synchronize_session=False)
        )
    db.session.refresh(enrollment)


def _issue_once(
    *,
    enrollment: Enrollment,
    actor: User | None,
    verify_base: str,
    reason: str,
    now: datetime,
) -> tuple[Certificate, bool]:
    """The enrollment's certificate and whether this call issued it (False: it existed)."""
    lock_enrollment(enrollment)
    valid = queries.valid_certificate_for(enrollment.id)
    if valid is not None:
        return valid, False  # issued by a request that got here first
    newest = queries.certificate_for(enrollment)
    if newest is not None:
        raise CertificateError(
            f"Certificate {newest.number} of this enrollment is {newest.status}; "
            "it is not issued again."
        )
    if enrollment.status == EnrollmentStatus.WITHDRAWN:
        raise CertificateError("The learner has withdrawn from this course.")
    user = db.session.get(User, enrollment.user_id)
    owed = completion.outstanding(queries.completion_state(enrollment))
    if owed:
        raise CertificateError("Not complete yet: " + "; ".join(o.message for o in owed))
    try:
        with db.session.begin_nested():  # the number is consumed only if the row is written
            certificate = _create(
                enrollment=enrollment,
                user=user,  # type: ignore[arg-type]
                actor=actor,
                verify_base=verify_base,
                completed_on=queries.completion_date(enrollment),
                now=now,
            )
    except IntegrityError:
        # the partial unique index: another writer got past the lock (it cannot on
        # PostgreSQL or SQLite; kept so a future path that forgets the lock stays correct)
        existing = queries.valid_certificate_for(enrollment.id)
        if existing is None:
            raise
        return existing, False
    audit.record(
        actor=actor,
        action="certificate.issue" if actor else "certificate.issue_automatic",
        target_type="certificate",
        target_id=certificate.number,
        reason=reason,
        details={"enrollment": enrollment.id, "record_hash": certificate.record_hash},
    )
    return certificate, True


def issue_for_enrollment(
    *,
    enrollment: Enrollment,
    actor: User | None,
    verify_base: str,
    reason: str = "",
    now: datetime | None = None,
) -> Certificate:
    """Issue once every requirement is met (automatic issue or an admin's approval).

    Issuing twice gives the same certificate: a request that loses a race to issue it
    gets the one the winner issued, never a second valid certificate or number."""
    certificate, _ = _issue_once(
        enrollment=enrollment,
        actor=actor,
        verify_base=verify_base,
        reason=reason,
        now=now or utcnow(),
    )
    return certificate


def approve(
    *, enrollment_ids: Sequence[int], actor: User, verify_base: str
) -> tuple[list[Certificate], list[str]]:
    """Approve many queued completions at once; each one that fails says why."""
    issued: list[Certificate] = []
    refused: list[str] = []
    for enrollment_id in enrollment_ids:
        enrollment = db.session.get(Enrollment, enrollment_id)
        if enrollment is None:
            refused.append(f"Enrollment {enrollment_id} does not exist.")
            continue
        try:
            with db.session.begin_nested():
                certificate, created = _issue_once(
                    enrollment=enrollment,
                    actor=actor,
                    verify_base=verify_base,
                    reason="approved from the queue",
                    now=utcnow(),
                )
        except CertificateError as exc:
            refused.append(f"Enrollment {enrollment_id}: {exc}")
            continue
        if created:
            issued.append(certificate)
        else:
            refused.append(
                f"Enrollment {enrollment_id}: certificate {certificate.number} was already issued."
            )
    return issued, refused


def issue_manually(
    *,
    user: User,
    course: Course,
    actor: User | None,
    completed_on: date,
    reason: str,
    verify_base: str,
    now: datetime | None = None,
) -> Certificate:
    """Issue without the online requirements (e.g. a live session); the reason is required."""
    now = now or utcnow()
    if not reason.strip():
        raise CertificateError("Give a reason for a manual issue.")
    if completed_on > now.date():
        raise CertificateError("The completion date cannot be in the future.")
    if not user.has_complete_profile:
        raise CertificateError(
            "The learner's profile needs a credential, license number and licensing state first."
        )
    enrollment = learning_services.enroll(user=user, course=course)
    lock_enrollment(enrollment)
    if queries.certificate_for(enrollment) is not None:
        raise CertificateError("This learner already has a certificate for this course.")
    certificate = _create(
        enrollment=enrollment,
        user=user,
        actor=actor,
        verify_base=verify_base,
        completed_on=completed_on,
        now=now,
    )
    audit.record(
        actor=actor,
        action="certificate.issue_manual",
        target_type="certificate",
        target_id=certificate.number,
        reason=reason.strip(),
        details={
            "user": user.email,
            "course": course.slug,
            "completed_on": completed_on.isoformat(),
        },
    )
    return certificate


def maybe_issue_automatically(*, enrollment: Enrollment, verify_base: str) -> Certificate | None:
    """After any step that may complete a course: issue now if the course says so.

    Returns the enrollment's valid certificate, also one a concurrent request has just
    issued; None while it waits (approval mode, requirements or provider settings)."""
    if enrollment.course.certificate_issue_mode != IssueMode.AUTOMATIC:
        return None
    existing = queries.certificate_for(enrollment)
    if existing is not None:
        return existing if existing.is_valid else None
    if not enrollment.is_active:
        return None
    if completion.outstanding(queries.completion_state(enrollment)):
        return None
    if not provider_settings().is_complete:
        return None  # waits in the queue until the provider is set up
    return issue_for_enrollment(enrollment=enrollment, actor=None, verify_base=verify_base)


def revoke_certificate(
    *, certificate: Certificate, actor: User | None, reason: str, now: datetime | None = None
) -> Certificate:
    """Revoke with a mandatory reason; the public page shows the date, never the reason."""
    if not reason.strip():
        raise CertificateError("Give a reason for the revocation.")
    try:
        certificate.revoke(reason=reason.strip(), now=now or utcnow())
    except InvalidTransition as exc:
        raise CertificateError(
            f"This certificate is {certificate.status}; it cannot be revoked."
        ) from exc
    db.session.flush()
    audit.record(
        actor=actor,
        action="certificate.revoke",
        target_type="certificate",
        target_id=certificate.number,
        reason=reason.strip(),
    )
    return certificate


def correct_name(
    *,
    certificate: Certificate,
    actor: User,
    new_name: str,
    reason: str,
    verify_base: str,
    now: datetime | None = None,
) -> Certificate:
    """A name correction supersedes the certificate with a new one pointing back to it:
    a copy of the frozen record in which only the name (and the new certificate's number,
    code and issue date) differ; the licence and provider text stay as certified."""
    now = now or utcnow()
    name = " ".join(new_name.split())
    if not name:
        raise CertificateError("Enter the corrected name.")
    if not reason.strip():
        raise CertificateError("Give a reason for the correction.")
    lock_enrollment(certificate.enrollment)
    db.session.refresh(certificate)  # a concurrent correction or revocation may have won
    try:
        certificate.supersede(now=now)
    except InvalidTransition as exc:
        raise CertificateError(
            f"This certificate is {certificate.status}; it cannot be corrected."
        ) from exc
    db.session.flush()  # no longer valid before its replacement is: the unique index
    old = certificate.frozen
    user = db.session.get(User, certificate.user_id)
    replacement = _create(
        enrollment=certificate.enrollment,
        user=user,
        actor=actor,  # type: ignore[arg-type]
        verify_base=verify_base,
        completed_on=old.completion_date,
        now=now,
        learner_name=name,
        supersedes=certificate,
    )
    audit.record(
        actor=actor,
        action="certificate.correct_name",
        target_type="certificate",
        target_id=certificate.number,
        reason=reason.strip(),
        details={
            "replacement": replacement.number,
            "changed": {"learner_name": {"old": old.learner_name, "new": name}},
        },
    )
    return replacement


def audit_download(*, actor: User, numbers: Sequence[str]) -> None:
    """Bulk downloads by admins are logged too (who took which records)."""
    audit.record(
        actor=actor,
        action="certificate.download_zip",
        target_type="certificate",
        target_id=f"{len(numbers)} certificates",
        details={"numbers": list(numbers)},
    )
