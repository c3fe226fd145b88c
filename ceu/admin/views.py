"""The administrator's desk: certificate queue and actions, provider settings, audit log."""

from __future__ import annotations

import base64
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ceu.audit import services as audit
from ceu.audit.models import AuditEvent
from ceu.auth import services as auth_services
from ceu.auth.models import Role, User
from ceu.auth.permissions import ensure, role_required
from ceu.auth.services import find_user_by_email
from ceu.catalog.models import Course
from ceu.catalog.queries import course_by_slug
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
from ceu.certificates.views import verify_base
from ceu.core.nav import NavLink, add_nav_link
from ceu.domain.evaluation import summarize
from ceu.extensions import contains_pattern, db

bp = Blueprint("admin", __name__, url_prefix="/admin")
add_nav_link(
    NavLink(
        "Admin", "admin.index", lambda u: u.is_authenticated and u.has_role(Role.ADMIN), order=60
    )
)

MAX_SIGNATURE_BYTES = 200_000


@bp.get("/")
@role_required(Role.ADMIN)
def index() -> str:
    courses = db.session.scalars(select(Course).order_by(Course.slug)).all()
    return render_template(
        "admin/index.html",
        queue_size=len(queries.queue()),
        courses=courses,
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
    return [int(v) for v in request.form.getlist(field) if v.isdigit() and len(v) < 12]


@bp.post("/certificates/approve")
@role_required(Role.ADMIN)
def approve() -> Response:
    PlainForm()
    ids = _ids("enrollment")
    if not ids:
        flash("Select at least one completion to approve.", "error")
        return redirect(url_for("admin.certificates"))
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


@bp.post("/certificates/issue")
@role_required(Role.ADMIN)
def issue() -> Any:
    form = ManualIssueForm(prefix="manual")
    if not form.validate_on_submit():
        for field, errors in form.errors.items():
            flash(
                f"{getattr(form, field).label.text if hasattr(form, field) else field}: "
                f"{' '.join(errors)}",
                "error",
            )
        return redirect(url_for("admin.certificates"))
    user = find_user_by_email(form.email.data or "")
    course = course_by_slug((form.course.data or "").strip())
    if user is None or course is None:
        flash("No such learner or course: check the e-mail address and the course slug.", "error")
        return redirect(url_for("admin.certificates"))
    try:
        certificate = services.issue_manually(
            user=user,
            course=course,
            actor=current_user,  # type: ignore[arg-type]
            completed_on=form.completed_on.data,
            reason=form.reason.data or "",  # type: ignore[arg-type]
            verify_base=verify_base(),
        )
    except services.CertificateError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("admin.certificates"))
    db.session.commit()
    flash(f"Issued certificate {certificate.number} to {user.full_name}.", "success")
    return redirect(url_for("admin.certificate", cert_id=certificate.id))


@bp.get("/certificates/<int:cert_id>")
@role_required(Role.ADMIN)
def certificate(cert_id: int) -> str:
    cert = db.get_or_404(Certificate, cert_id)
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.target_type == "certificate", AuditEvent.target_id == cert.number)
        .order_by(AuditEvent.at)
    ).all()
    return render_template(
        "admin/certificate.html",
        certificate=cert,
        record=cert.frozen,
        owner=db.session.get(User, cert.user_id),
        events=events,
        revoke=RevokeForm(prefix="revoke"),
        correct=CorrectNameForm(prefix="correct"),
        replacement=queries.replacement_of(cert),
    )


@bp.post("/certificates/<int:cert_id>/revoke")
@role_required(Role.ADMIN)
def revoke(cert_id: int) -> Response:
    cert = db.get_or_404(Certificate, cert_id)
    form = RevokeForm(prefix="revoke")
    if not form.validate_on_submit():
        flash("Give a reason for the revocation.", "error")
        return redirect(url_for("admin.certificate", cert_id=cert_id))
    try:
        services.revoke_certificate(
            certificate=cert,
            actor=current_user,  # type: ignore[arg-type]
            reason=form.reason.data or "",
        )
    except services.CertificateError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("admin.certificate", cert_id=cert_id))
    db.session.commit()
    flash(f"Certificate {cert.number} is revoked.", "success")
    return redirect(url_for("admin.certificate", cert_id=cert_id))


@bp.post("/certificates/<int:cert_id>/correct")
@role_required(Role.ADMIN)
def correct(cert_id: int) -> Response:
    cert = db.get_or_404(Certificate, cert_id)
    form = CorrectNameForm(prefix="correct")
    if not form.validate_on_submit():
        flash("Enter the corrected name and the reason.", "error")
        return redirect(url_for("admin.certificate", cert_id=cert_id))
    try:
        new = services.correct_name(
            certificate=cert,
            actor=current_user,  # type: ignore[arg-type]
            new_name=form.new_name.data or "",
            reason=form.reason.data or "",
            verify_base=verify_base(),
        )
    except services.CertificateError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("admin.certificate", cert_id=cert_id))
    db.session.commit()
    flash(f"Certificate {cert.number} is superseded by {new.number}.", "success")
    return redirect(url_for("admin.certificate", cert_id=new.id))


@bp.post("/certificates/zip")
@role_required(Role.ADMIN)
def download_zip() -> Response:
    PlainForm()
    chosen = queries.by_ids(_ids("certificate"))
    if not chosen:
        flash("Select at least one certificate to download.", "error")
        return redirect(url_for("admin.certificates"))
    data = pdf.certificates_zip(
        (f"certificate-{c.number}.pdf", pdf.render_certificate_pdf(c.frozen)) for c in chosen
    )
    services.audit_download(actor=current_user, numbers=[c.number for c in chosen])  # type: ignore[arg-type]
    db.session.commit()
    return Response(
        data,
        mimetype="application/zip",
        headers={"Content-Disposition": "attachment; filename=certificates.zip"},
    )


@bp.post("/courses/<slug>/issue-mode")
@role_required(Role.ADMIN)
def issue_mode(slug: str) -> Response:
    PlainForm()
    course = course_by_slug(slug)
    ensure(course is not None)
    try:
        services.set_issue_mode(
            course=course,
            mode=request.form.get("mode", ""),  # type: ignore[arg-type]
            actor=current_user,
        )  # type: ignore[arg-type]
    except services.CertificateError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("admin.index"))
    db.session.commit()
    how = {"automatic": "automatically on completion", "approval": "after an admin approves"}
    mode = course.certificate_issue_mode  # type: ignore[union-attr]
    flash(f"{slug}: certificates are now issued {how[mode]}.", "success")
    return redirect(url_for("admin.index"))


@bp.route("/provider", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def provider() -> Any:
    settings = services.provider_settings()
    form = ProviderForm(obj=settings)
    statements = settings.approval_statements or []
    if form.validate_on_submit():
        boards = request.form.getlist("board")
        numbers = request.form.getlist("number")
        texts = request.form.getlist("statement")
        approvals = [
            {"board": b[:200], "number": n[:100], "statement": t[:2000]}
            for b, n, t in zip(boards, numbers, texts, strict=False)
        ]
        signature = None
        upload = request.files.get("signature")
        if request.form.get("remove_signature"):
            signature = ""
        elif upload and upload.filename:
            raw = upload.read(MAX_SIGNATURE_BYTES + 1)
            signature = base64.b64encode(raw).decode("ascii")
            try:
                if len(raw) > MAX_SIGNATURE_BYTES:
                    raise ValueError("too large")
                pdf.check_signature_image(signature)
            except ValueError:
                flash(
                    "The signature must be a PNG image of at most 200 kB and 2000 × 2000 pixels.",
                    "error",
                )
                return render_template(
                    "admin/provider.html", form=form, settings=settings, statements=approvals
                ), 422
        services.update_provider_settings(
            actor=current_user,  # type: ignore[arg-type]
            provider_name=form.provider_name.data or "",
            signatory_name=form.signatory_name.data or "",
            signatory_title=form.signatory_title.data or "",
            approval_statements=approvals,
            signature_png_b64=signature,
        )
        db.session.commit()
        flash("Provider settings saved. They apply to certificates issued from now on.", "success")
        return redirect(url_for("admin.provider"))
    status = 422 if form.errors else 200
    return render_template(
        "admin/provider.html", form=form, settings=settings, statements=statements
    ), status


@bp.get("/audit")
@role_required(Role.ADMIN)
def audit_log() -> str:
    action = request.args.get("action", "").strip()[:60]
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(500)
    if action:
        query = query.where(AuditEvent.action == action)
    return render_template(
        "admin/audit.html", events=db.session.scalars(query).all(), action=action
    )


@bp.get("/courses/<slug>/evaluations")
@role_required(Role.ADMIN)
def evaluations(slug: str) -> str:
    course = course_by_slug(slug)
    ensure(course is not None and course.current_version is not None)
    version = course.current_version  # type: ignore[union-attr]
    responses = [r.answers for r in queries.evaluations(course.id)]  # type: ignore[union-attr]
    objectives = {o["id"]: o["text"] for o in version.front["objectives"]}
    return render_template(
        "admin/evaluations.html",
        course=course,
        version=version,
        summary=summarize(version.front["evaluation"], responses),
        count=len(responses),
        objectives=objectives,
    )


@bp.get("/users")
@role_required(Role.ADMIN)
def users() -> str:
    search = request.args.get("q", "").strip()[:100]
    query = select(User).order_by(User.email).limit(200)
    if search:
        pattern = contains_pattern(search)
        query = query.where(
            User.email.ilike(pattern, escape="\\") | User.full_name.ilike(pattern, escape="\\")
        )
    return render_template(
        "admin/users.html",
        users=db.session.scalars(query).all(),
        search=search,
        form=PlainForm(),
        roles=[Role.INSTRUCTOR, Role.ADMIN],
    )


@bp.post("/users/<int:user_id>/roles")
@role_required(Role.ADMIN)
def change_role(user_id: int) -> Response:
    PlainForm()
    user = db.get_or_404(User, user_id)
    action, raw_role = request.form.get("action", ""), request.form.get("role", "")
    if action not in ("grant", "revoke") or raw_role not in (Role.INSTRUCTOR, Role.ADMIN):
        flash("Choose a role to grant or remove.", "error")
        return redirect(url_for("admin.users"))
    role = Role(raw_role)
    if action == "revoke" and role == Role.ADMIN and user.id == current_user.id:
        flash("You cannot remove your own admin role; ask another admin.", "error")
        return redirect(url_for("admin.users"))
    changed = (auth_services.grant_role if action == "grant" else auth_services.revoke_role)(
        user=user, role=role
    )
    if changed:
        audit.record(
            actor=current_user,
            action=f"user.role_{action}",
            target_type="user",
            target_id=user.email,
            details={"role": role.value},
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
    rows = []
    for cert, user in queries.certificates(limit=1_000_000):
        r = cert.frozen
        rows.append(
            [
                cert.number,
                cert.status,
                r.learner_name,
                user.email,
                r.credential,
                r.license_number,
                r.license_state,
                r.course_title,
                r.course_version,
                f"{r.contact_hours:g}",
                r.completion_date.isoformat(),
                r.issue_date.isoformat(),
                cert.revoked_at.date().isoformat() if cert.revoked_at else "",
            ]
        )
    audit.record(
        actor=current_user,
        action="report.certificates_csv",
        target_type="report",
        target_id="certificates",
    )
    db.session.commit()
    return csv_download("ceu-certificates.csv", REPORT_COLUMNS, rows)
