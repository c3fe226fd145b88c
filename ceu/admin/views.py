"""The administrator's desk: certificate queue and actions, provider settings, audit log."""

from __future__ import annotations

import base64
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ceu.audit import queries as audit_queries
from ceu.audit import services as audit
from ceu.auth import queries as auth_queries
from ceu.auth import services as auth_services
from ceu.auth.models import Role, User
from ceu.auth.permissions import ensure, role_required
from ceu.auth.services import find_user_by_email
from ceu.catalog.models import IssueMode
from ceu.catalog.queries import all_courses, course_by_slug
from ceu.certificates import pdf, queries, services
from ceu.certificates.forms import (
    CorrectNameForm,
    ManualIssueForm,
    PlainForm,
    ProviderForm,
    RevokeForm,
)
from ceu.certificates.models import Certificate
from ceu.certificates.reports import csv_download
from ceu.certificates.views import certificate_pdf, verify_base
from ceu.core.errors import UserError, on_refusal
from ceu.core.nav import NavLink, add_nav_link
from ceu.core.request_guard import INT_MAX
from ceu.domain.certificates import MAX_SIGNATURE_BYTES
from ceu.domain.evaluation import summarize
from ceu.extensions import db

bp = Blueprint("admin", __name__, url_prefix="/admin")
add_nav_link(
    NavLink(
        "Admin", "admin.index", lambda u: u.is_authenticated and u.has_role(Role.ADMIN), order=60
    )
)


@bp.get("/")
@role_required(Role.ADMIN)
def index() -> str:
    return render_template(
        "admin/index.html",
        queue_size=len(queries.queue()),
        courses=all_courses(),
        settings=services.provider_settings(),
        form=PlainForm(),
    )


@bp.get("/certificates")
@role_required(Role.ADMIN)
def certificates() -> str:
    search = request.args.get("q", "").strip()[:100]
    return render_template(
        "admin/certificates.html",
        queue=queries.queue(),
        issued=queries.certificates(search),
        search=search,
        form=PlainForm(),
        manual=ManualIssueForm(prefix="manual"),
        settings=services.provider_settings(),
    )


def _ids(field: str) -> list[int]:
    """The ids ticked in a list form; anything that cannot name a row is left out."""
    values = [v for v in request.form.getlist(field) if len(v) <= 10]
    return [int(v) for v in values if v.isascii() and v.isdigit() and int(v) <= INT_MAX]


@bp.post("/certificates/approve")
@role_required(Role.ADMIN)
@on_refusal(redirect_to="admin.certificates")
def approve() -> Response:
    PlainForm()
    ids = _ids("enrollment")
    if not ids:
        raise UserError("Select at least one completion to approve.")
    issued, refused = services.approve(
        enrollment_ids=ids,
        actor=current_user,  # type: ignore[arg-type]
        verify_base=verify_base(),
    )
    db.session.commit()
    if issued:
        flash(
            f"Issued {len(issued)} certificate(s): " + ", ".join(c.number for c in issued),
            "success",
        )
    for message in refused:
        flash(message, "error")
    return redirect(url_for("admin.certificates"))


def _form_problems(form: Any) -> str:
    """A refused form's field errors as one sentence per field, for the flash."""
    return " ".join(
        f"{getattr(form, field).label.text if hasattr(form, field) else field}: {' '.join(errors)}"
        for field, errors in form.errors.items()
    )


@bp.post("/certificates/issue")
@role_required(Role.ADMIN)
@on_refusal(redirect_to="admin.certificates")
def issue() -> Any:
    form = ManualIssueForm(prefix="manual")
    if not form.validate_on_submit():
        raise UserError(_form_problems(form))
    user = find_user_by_email(form.email.data or "")
    course = course_by_slug((form.course.data or "").strip())
    if user is None or course is None:
        raise UserError("No such learner or course: check the e-mail address and the course slug.")
    certificate = services.issue_manually(
        user=user,
        course=course,
        actor=current_user,  # type: ignore[arg-type]
        completed_on=form.completed_on.data,
        reason=form.reason.data or "",  # type: ignore[arg-type]
        verify_base=verify_base(),
    )
    db.session.commit()
    flash(f"Issued certificate {certificate.number} to {user.full_name}.", "success")
    return redirect(url_for("admin.certificate", cert_id=certificate.id))


@bp.get("/certificates/<int:cert_id>")
@role_required(Role.ADMIN)
def certificate(cert_id: int) -> str:
    cert = db.get_or_404(Certificate, cert_id)
    return render_template(
        "admin/certificate.html",
        certificate=cert,
        record=cert.frozen,
        owner=db.session.get(User, cert.user_id),
        events=audit_queries.events_for(target_type="certificate", target_id=cert.number),
        revoke=RevokeForm(prefix="revoke"),
        correct=CorrectNameForm(prefix="correct"),
        replacement=queries.replacement_of(cert),
    )


@bp.post("/certificates/<int:cert_id>/revoke")
@role_required(Role.ADMIN)
@on_refusal(redirect_to="admin.certificate")
def revoke(cert_id: int) -> Response:
    cert = db.get_or_404(Certificate, cert_id)
    form = RevokeForm(prefix="revoke")
    if not form.validate_on_submit():
        raise UserError("Give a reason for the revocation.")
    services.revoke_certificate(
        certificate=cert,
        actor=current_user,  # type: ignore[arg-type]
        reason=form.reason.data or "",
    )
    db.session.commit()
    flash(f"Certificate {cert.number} is revoked.", "success")
    return redirect(url_for("admin.certificate", cert_id=cert_id))


@bp.post("/certificates/<int:cert_id>/correct")
@role_required(Role.ADMIN)
@on_refusal(redirect_to="admin.certificate")
def correct(cert_id: int) -> Response:
    cert = db.get_or_404(Certificate, cert_id)
    form = CorrectNameForm(prefix="correct")
    if not form.validate_on_submit():
        raise UserError("Enter the corrected name and the reason.")
    new = services.correct_name(
        certificate=cert,
        actor=current_user,  # type: ignore[arg-type]
        new_name=form.new_name.data or "",
        reason=form.reason.data or "",
        verify_base=verify_base(),
    )
    db.session.commit()
    flash(f"Certificate {cert.number} is superseded by {new.number}.", "success")
    return redirect(url_for("admin.certificate", cert_id=new.id))


@bp.post("/certificates/zip")
@role_required(Role.ADMIN)
@on_refusal(redirect_to="admin.certificates")
def download_zip() -> Response:
    PlainForm()
    chosen = queries.by_ids(_ids("certificate"))
    if not chosen:
        raise UserError("Select at least one certificate to download.")
    data = pdf.certificates_zip((f"certificate-{c.number}.pdf", certificate_pdf(c)) for c in chosen)
    services.audit_download(actor=current_user, numbers=[c.number for c in chosen])  # type: ignore[arg-type]
    db.session.commit()
    return Response(
        data,
        mimetype="application/zip",
        headers={"Content-Disposition": "attachment; filename=certificates.zip"},
    )


@bp.post("/courses/<slug>/issue-mode")
@role_required(Role.ADMIN)
@on_refusal(redirect_to="admin.index")
def issue_mode(slug: str) -> Response:
    PlainForm()
    course = course_by_slug(slug)
    ensure(course is not None)
    services.set_issue_mode(
        course=course,  # type: ignore[arg-type]
        mode=request.form.get("mode", ""),
        actor=current_user,  # type: ignore[arg-type]
    )
    db.session.commit()
    how = {
        IssueMode.AUTOMATIC: "automatically on completion",
        IssueMode.APPROVAL: "after an admin approves",
    }
    mode = course.certificate_issue_mode  # type: ignore[union-attr]
    flash(f"{slug}: certificates are now issued {how[mode]}.", "success")
    return redirect(url_for("admin.index"))


def _posted_statements() -> list[dict[str, str]]:
    boards = request.form.getlist("board")
    numbers = request.form.getlist("number")
    texts = request.form.getlist("statement")
    return [
        {"board": b[:200], "number": n[:100], "statement": t[:2000]}
        for b, n, t in zip(boards, numbers, texts, strict=False)
    ]


def _posted_signature() -> str | None:
    """The uploaded signature as base64 ("" to remove it, None to keep the current one)."""
    if request.form.get("remove_signature"):
        return ""
    upload = request.files.get("signature")
    if not upload or not upload.filename:
        return None
    # one byte over the limit is enough for the service to refuse it
    return base64.b64encode(upload.read(MAX_SIGNATURE_BYTES + 1)).decode("ascii")


def _provider_page(form: ProviderForm | None = None, refusal: str | None = None) -> tuple[str, int]:
    settings = services.provider_settings()
    form = form or ProviderForm(obj=settings)
    if refusal:
        form.form_errors.append(refusal)
    posted = request.method == "POST"
    return render_template(
        "admin/provider.html",
        form=form,
        settings=settings,
        statements=_posted_statements() if posted else settings.approval_statements or [],
    ), 422 if form.errors else 200


@bp.route("/provider", methods=["GET", "POST"])
@role_required(Role.ADMIN)
@on_refusal(render=lambda message: _provider_page(refusal=message))
def provider() -> Any:
    form = ProviderForm(obj=services.provider_settings())
    if not form.validate_on_submit():
        return _provider_page(form)
    services.update_provider_settings(
        actor=current_user,  # type: ignore[arg-type]
        provider_name=form.provider_name.data or "",
        signatory_name=form.signatory_name.data or "",
        signatory_title=form.signatory_title.data or "",
        approval_statements=_posted_statements(),
        signature_png_b64=_posted_signature(),
    )
    db.session.commit()
    flash("Provider settings saved. They apply to certificates issued from now on.", "success")
    return redirect(url_for("admin.provider"))


@bp.get("/audit")
@role_required(Role.ADMIN)
def audit_log() -> str:
    action = request.args.get("action", "").strip()[:60]
    return render_template(
        "admin/audit.html", events=audit_queries.recent(action=action), action=action
    )


@bp.get("/courses/<slug>/evaluations")
@role_required(Role.ADMIN)
def evaluations(slug: str) -> str:
    course = course_by_slug(slug)
    ensure(course is not None and course.current_version is not None)
    version = course.current_version  # type: ignore[union-attr]
    responses = [r.answers for r in queries.evaluations(course.id)]  # type: ignore[union-attr]
    objectives = {objective.id: objective.text for objective in version.policy.objectives}
    return render_template(
        "admin/evaluations.html",
        course=course,
        version=version,
        summary=summarize(version.policy.evaluation, responses),
        count=len(responses),
        objectives=objectives,
    )


@bp.get("/users")
@role_required(Role.ADMIN)
def users() -> str:
    search = request.args.get("q", "").strip()[:100]
    return render_template(
        "admin/users.html",
        users=auth_queries.search_users(search),
        search=search,
        form=PlainForm(),
        roles=auth_services.STAFF_ROLES,
    )


@bp.post("/users/<int:user_id>/roles")
@role_required(Role.ADMIN)
@on_refusal(redirect_to="admin.users")
def change_role(user_id: int) -> Response:
    PlainForm()
    user = db.get_or_404(User, user_id)
    action, raw_role = request.form.get("action", ""), request.form.get("role", "")
    if action not in ("grant", "revoke") or raw_role not in auth_services.STAFF_ROLES:
        raise UserError("Choose a role to grant or remove.")
    role = Role(raw_role)
    auth_services.change_role(
        actor=current_user,  # type: ignore[arg-type]
        user=user,
        role=role,
        grant=action == "grant",
    )
    db.session.commit()
    verb = "now has" if action == "grant" else "no longer has"
    flash(f"{user.email} {verb} the {role.value} role.", "success")
    return redirect(url_for("admin.users", q=user.email))


REPORT_COLUMNS = (
    "certificate_number",
    "status",
    "learner_name",
    "email",
    "credential",
    "license_number",
    "license_state",
    "course_title",
    "course_version",
    "contact_hours",
    "completion_date",
    "issue_date",
    "revoked_on",
)


@bp.get("/reports/certificates.csv")
@role_required(Role.ADMIN)
def certificates_report() -> Response:
    """Every certificate as a roster (CE Broker-style columns) for auditors and boards."""
    rows = [_roster_row(cert, user) for cert, user in queries.certificates(limit=1_000_000)]
    audit.record(
        actor=current_user,
        action="report.certificates_csv",
        target_type="report",
        target_id="certificates",
    )
    db.session.commit()
    return csv_download("ceu-certificates.csv", REPORT_COLUMNS, rows)


def _roster_row(cert: Certificate, user: User) -> tuple[str, ...]:
    record = cert.frozen
    return (
        cert.number,
        cert.status,
        record.learner_name,
        user.email,
        record.credential,
        record.license_number,
        record.license_state,
        record.course_title,
        record.course_version,
        f"{record.contact_hours:g}",
        record.completion_date.isoformat(),
        record.issue_date.isoformat(),
        cert.revoked_at.date().isoformat() if cert.revoked_at else "",
    )
