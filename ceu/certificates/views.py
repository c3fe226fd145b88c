"""Evaluation, certificates (HTML, PDF, credential), public verification, transcripts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask_login import current_user, login_required
from markupsafe import Markup

from ceu.auth.models import User
from ceu.auth.permissions import ensure, is_admin
from ceu.catalog.models import IssueMode
from ceu.certificates import credentials, openbadges, pdf, queries, services
from ceu.certificates.forms import PlainForm
from ceu.certificates.models import Certificate
from ceu.certificates.reports import csv_download
from ceu.core.cache import ProcessCache, fragment_key, process_cache, render_macro
from ceu.core.errors import on_refusal
from ceu.core.nav import NavLink, add_nav_link, signed_in
from ceu.domain import completion, credit
from ceu.domain.certificates import CertificateStatus, learner_subject_id
from ceu.domain.evaluation import ATTESTATION, LIKERT_LABELS
from ceu.extensions import db, limiter, utcnow
from ceu.learning.dashboard import add_course_panel, add_dashboard_panel, set_hours_source
from ceu.learning.views import enrollment_or_404

bp = Blueprint("certificates", __name__)


@bp.record_once
def _template_enums(state: BlueprintSetupState) -> None:
    """Templates compare statuses with the enums, never with bare strings."""
    state.app.jinja_env.globals.update(CertificateStatus=CertificateStatus, IssueMode=IssueMode)


add_nav_link(NavLink("My certificates", "certificates.mine", signed_in, order=30))


def verify_base() -> str:
    """The public origin printed on certificates (CEU_BASE_URL, else this request's)."""
    return current_app.config.get("BASE_URL") or request.url_root


# --- evaluation -------------------------------------------------------------------------


@bp.route("/courses/<slug>/evaluation", methods=["GET", "POST"])
@login_required
@on_refusal(redirect_to="learning.course_page")
def evaluation(slug: str) -> Any:
    course, enrollment = enrollment_or_404(slug)
    form = PlainForm()
    policy = enrollment.version.policy
    items = policy.evaluation
    objectives = {objective.id: objective.text for objective in policy.objectives}
    if enrollment.evaluation_submitted_at is not None:
        flash("Thank you: your evaluation is already recorded.", "info")
        return redirect(url_for("learning.course_page", slug=slug))
    if enrollment.post_test_passed_at is None:
        flash("The evaluation opens once you have passed the post-test.", "info")
        return redirect(url_for("learning.course_page", slug=slug))
    problems: list[Any] = []
    status = 200
    if form.validate_on_submit():
        problems = services.submit_evaluation(enrollment=enrollment, raw=request.form)
        if not problems:
            certificate = services.maybe_issue_automatically(
                enrollment=enrollment, verify_base=verify_base()
            )
            db.session.commit()
            flash("Thank you for your evaluation.", "success")
            if certificate is not None:
                flash(f"Your certificate {certificate.number} is ready.", "success")
            return redirect(url_for("learning.course_page", slug=slug))
        status = 422  # nothing was written: the answers are shown again with the problems
    return render_template(
        "certificates/evaluation.html",
        course=course,
        version=enrollment.version,
        items=items,
        objectives=objectives,
        form=form,
        problems=problems,
        labels=LIKERT_LABELS,
        attestation=ATTESTATION,
        values=request.form,
    ), status


@bp.post("/courses/<slug>/certificate")
@login_required
def claim(slug: str) -> Any:
    """Ask for the certificate once complete: issued now, or queued for approval."""
    PlainForm()
    course, enrollment = enrollment_or_404(slug)
    if queries.certificate_for(enrollment) is not None:
        return redirect(url_for("certificates.mine"))
    owed = completion.outstanding(queries.completion_state(enrollment))
    if owed:
        flash("Not complete yet: " + "; ".join(o.message for o in owed), "info")
        return redirect(url_for("learning.course_page", slug=slug))
    certificate = services.maybe_issue_automatically(
        enrollment=enrollment, verify_base=verify_base()
    )
    db.session.commit()
    if certificate is None:
        flash(
            "You have completed the course. Your certificate is waiting for the provider's "
            "approval; you will find it under My certificates.",
            "info",
        )
        return redirect(url_for("learning.course_page", slug=slug))
    flash(f"Your certificate {certificate.number} is ready.", "success")
    return redirect(url_for("certificates.show", cert_id=certificate.id))


def _course_panel(
    user: Any, enrollment: Any, state: Any, course: Any
) -> tuple[str, dict[str, Any]] | None:
    return "certificates/_course_panel.html", {
        "certificate": (
            queries.newest_brief(enrollment.id)
            if queries.may_hold_certificate(enrollment.status)
            else None
        ),
        "complete": not completion.outstanding(state),
        "mode": course.certificate_issue_mode,
        "slug": course.slug,
    }


add_course_panel(_course_panel)


# --- the learner's certificates and transcript ------------------------------------------


def _own_or_admin(cert_id: int) -> Certificate:
    certificate = db.get_or_404(Certificate, cert_id)
    ensure(certificate.user_id == current_user.id or is_admin(current_user))
    return certificate


@dataclass(frozen=True)
class Transcript:
    """A learner's certificates, their transcript rows and the hours that count."""

    certificates: list[Certificate]
    rows: list[pdf.TranscriptRow]
    hours: credit.HoursEarned


def _transcript(user_id: int) -> Transcript:
    certificates = queries.for_user(user_id)
    hours = credit.hours_earned(c.credit for c in certificates)
    rows = [
        pdf.TranscriptRow(
            certificate_number=c.number,
            course_title=c.frozen.course_title,
            completion_date=c.frozen.completion_date,
            contact_hours=c.frozen.contact_hours,
            status=c.status,
            counts=hours.counts(c.id),
        )
        for c in certificates
    ]
    return Transcript(certificates, rows, hours)


def _dashboard_hours(user: Any, rows: Any) -> credit.HoursEarned:
    if not any(queries.may_hold_certificate(row.status) for row in rows):
        return credit.HoursEarned()
    return credit.hours_earned(queries.credits_for_user(user.id))


set_hours_source(_dashboard_hours)


@bp.get("/certificates")
@login_required
def mine() -> str:
    transcript = _transcript(current_user.id)
    return render_template(
        "certificates/mine.html",
        certificates=transcript.certificates,
        per_year=transcript.hours.per_year,
        total=transcript.hours.total,
    )


TRANSCRIPT_COLUMNS = (
    "learner_name",
    "credential",
    "license_number",
    "license_state",
    "certificate_number",
    "course_title",
    "completion_date",
    "contact_hours",
    "status",
    "counts_toward_total",
)


@bp.get("/certificates/transcript.csv")
@login_required
def transcript_csv() -> Response:
    user: User = current_user  # type: ignore[assignment]
    transcript = _transcript(user.id)
    learner = (user.full_name, user.credential, user.license_number, user.license_state)
    rows: list[list[object]] = [
        [
            *learner,
            row.certificate_number,
            row.course_title,
            row.completion_date.isoformat(),
            f"{row.contact_hours:g}",
            row.status,
            "yes" if row.counts else "no",
        ]
        for row in transcript.rows
    ]
    rows.append([*learner, "", "Total contact hours", "", f"{transcript.hours.total:g}", "", ""])
    return csv_download("ceu-transcript.csv", TRANSCRIPT_COLUMNS, rows)


@bp.get("/certificates/transcript.pdf")
@login_required
def transcript_pdf() -> Response:
    user: User = current_user  # type: ignore[assignment]
    transcript = _transcript(user.id)
    data = pdf.render_transcript_pdf(
        learner_name=user.full_name,
        credential=user.credential,
        license_number=user.license_number,
        license_state=user.license_state,
        provider_name=services.provider_settings().provider_name,
        generated_on=utcnow().date(),
        rows=transcript.rows,
        hours=transcript.hours,
    )
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": "attachment; filename=ceu-transcript.pdf"},
    )


def _revoked_page(certificate: Certificate) -> tuple[str, int] | None:
    """A revoked certificate is refused to its learner (410, with the date); admins keep
    the original for the record."""
    if certificate.status != CertificateStatus.REVOKED or is_admin(current_user):
        return None
    page = render_template(
        "certificates/revoked.html",
        certificate=certificate,
        provider_name=services.provider_settings().provider_name,
    )
    return page, 410


@bp.get("/certificates/<int:cert_id>")
@login_required
def show(cert_id: int) -> Any:
    certificate = _own_or_admin(cert_id)
    refused = _revoked_page(certificate)
    if refused is not None:
        return refused
    return render_template(
        "certificates/show.html",
        certificate=certificate,
        record=certificate.frozen,
        replacement=queries.replacement_of(certificate),
    )


PDF_CACHE_SIZE = 128  # rendered certificates kept per process (about 60 kB each)


def certificate_pdf(certificate: Certificate) -> bytes:
    """The certificate's PDF, rendered once per process: the record is frozen, so its hash
    names the bytes. A revoked one is stamped with its date, under a key of its own."""
    cache = current_app.extensions.setdefault("ceu_certificate_pdfs", ProcessCache(PDF_CACHE_SIZE))
    revoked_on = (
        certificate.revoked_at.date()
        if certificate.status == CertificateStatus.REVOKED and certificate.revoked_at
        else None
    )
    return cache.get_or_make(
        ("certificate-pdf", certificate.record_hash, revoked_on),
        lambda: pdf.render_certificate_pdf(certificate.frozen, revoked_on=revoked_on),
    )


@bp.get("/certificates/<int:cert_id>/pdf")
@login_required
def download_pdf(cert_id: int) -> Any:
    certificate = _own_or_admin(cert_id)
    refused = _revoked_page(certificate)
    if refused is not None:
        return refused
    return Response(
        certificate_pdf(certificate),
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f"attachment; filename=certificate-{certificate.number}.pdf"
        },
    )


def signed_credential(certificate: Certificate, alg: str = credentials.RS256) -> str:
    """The certificate as an Open Badges 3.0 VC-JWT (RS256 unless EdDSA is asked for)."""
    record = certificate.frozen
    original = certificate
    while original.supersedes_id is not None:  # awardedDate keeps the first award
        previous = db.session.get(Certificate, original.supersedes_id)
        if previous is None:
            break
        original = previous
    base = verify_base().rstrip("/")
    owner = db.session.get(User, certificate.user_id)
    list_number, index = credentials.status_list_position(certificate.id)
    credential = credentials.build_credential(
        record,
        issuer_id=openbadges.issuer_id(base),
        issuer_name=services.provider_settings().provider_name,
        issuer_url=base + "/",
        credential_id=record.verify_url,
        subject_id=learner_subject_id(owner.id, owner.created_at),  # type: ignore[union-attr]
        status=credentials.status_list_entry(openbadges.status_list_url(base, list_number), index),
        achievement_id=f"{base}/achievements/{record.course_slug}",
        achievement_description=openbadges.achievement_description(
            record.course_title, record.contact_hours
        ),
        criteria=openbadges.CRITERIA,
        valid_from=certificate.issued_at,
        awarded_date=original.issued_at,
    )
    key = openbadges.signing_key(alg)
    return credentials.sign_credential(credential, key, kid=credentials.key_url(base, key))


@bp.get("/certificates/<int:cert_id>/credential")
@login_required
def download_credential(cert_id: int) -> Any:
    certificate = _own_or_admin(cert_id)
    refused = _revoked_page(certificate)
    if refused is not None:
        return refused
    alg = credentials.ALG if request.args.get("alg") == credentials.ALG else credentials.RS256
    return Response(
        signed_credential(certificate, alg),
        mimetype="application/vc+jwt",
        headers={
            "Content-Disposition": f"attachment; filename=credential-{certificate.number}.jwt"
        },
    )


def _certificates_panel(user: Any, rows: Any) -> tuple[str, dict[str, Any]] | None:
    if not any(queries.may_hold_certificate(row.status) for row in rows):
        return None
    certificates = queries.briefs_for_user(user.id)
    if not certificates:
        return None
    return "certificates/_dashboard_panel.html", {"certificates": certificates}


add_dashboard_panel(_certificates_panel)


# --- public verification ----------------------------------------------------------------


@bp.get("/verify/<code>")
@limiter.limit("30 per minute; 300 per hour")
def verify(code: str) -> tuple[str, int]:
    found = queries.verification(code)
    if found is None:
        return render_template("certificates/verify.html", certificate=None, body=None), 404
    return render_template(
        "certificates/verify.html", certificate=found, body=_verified_body(found)
    ), 200


@dataclass(frozen=True)
class VerifiedBody:
    provider_name: str
    html: Markup


def _verified_body(found: queries.Verification) -> VerifiedBody:
    """The certificate as recorded: frozen at issue (its hash is in the key), so rendered
    once per process; only the status around it is read on every request."""

    def render() -> VerifiedBody:
        record = queries.frozen_record(found.id)
        html = render_macro("certificates/_record.html", "certificate_body", record)
        return VerifiedBody(provider_name=record.provider_name, html=html)

    key = fragment_key("verified", found.id, found.record_hash)
    return process_cache().get_or_make(key, render)


@bp.get("/verify/<code>/status")
@limiter.limit("60 per minute")
def status(code: str) -> tuple[Response, int]:
    """The credentialStatus endpoint of credentials issued before the shared status list
    (a 1EdTech revocation list for one credential); they keep answering here."""
    certificate = queries.by_code(code)
    if certificate is None:
        return jsonify(error="unknown credential"), 404
    record = certificate.frozen
    replacement = queries.replacement_of(certificate)
    base = verify_base().rstrip("/")
    body = credentials.revocation_status(
        status_url=f"{base}/verify/{code}/status",
        issuer_id=f"{base}/issuer",
        credential_id=record.verify_url,
        status=certificate.status,
        changed_at=certificate.revoked_at or certificate.superseded_at,
        reason="",  # the private reason never leaves the admin desk
        superseded_by=replacement.frozen.verify_url if replacement else "",
    )
    return jsonify(body), 200
