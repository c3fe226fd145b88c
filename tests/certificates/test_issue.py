"""Evaluation, issuance (queue, automatic, manual), frozen records, revocation, correction,
verification, downloads, transcripts and the audit log."""

from __future__ import annotations

import csv
import io
import threading
import zipfile

import pytest
from sqlalchemy import func, select

from ceu.audit.models import AuditEvent
from ceu.certificates import services
from ceu.certificates.models import Certificate, EvaluationResponse
from ceu.domain.certificates import record_hash
from ceu.extensions import db, utcnow
from ceu.learning.models import Enrollment, EnrollmentStatus
from tests.certificates.conftest import EVALUATION
from tests.conftest import StatementCounter, csrf_from, log_in


def post(client, url, data=None, **kw):
    token = csrf_from(client.get("/password/reset").get_data(as_text=True))
    return client.post(url, data={**(data or {}), "csrf_token": token}, **kw)


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def actions() -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


# --- evaluation -------------------------------------------------------------------------


def test_evaluation_is_stored_without_identity_and_only_once(client, login_as, finish):
    learner = login_as()
    enrollment = finish(learner)
    resp = post(client, "/courses/minimal-course/evaluation", EVALUATION)
    assert resp.status_code == 302
    response = db.session.scalar(select(EvaluationResponse))
    assert response.answers["relevance"] == 4
    assert not hasattr(response, "enrollment_id")
    assert not hasattr(response, "user_id")
    assert len(response.submitted_on) == 7  # month only
    db.session.expire_all()
    assert db.session.get(Enrollment, enrollment.id).evaluation_submitted_at is not None
    again = post(client, "/courses/minimal-course/evaluation", EVALUATION)
    assert again.status_code == 302
    assert count(EvaluationResponse) == 1


def test_evaluation_with_missing_answers_is_refused(client, login_as, finish):
    learner = login_as()
    finish(learner)
    resp = post(client, "/courses/minimal-course/evaluation", {"e-relevance": "9"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "There is a problem" in html
    assert "Choose one of the five answers" in html
    assert count(EvaluationResponse) == 0


def test_evaluation_waits_for_the_post_test(client, login_as, course, enroll):
    learner = login_as()
    enroll(learner, course)
    resp = post(client, "/courses/minimal-course/evaluation", EVALUATION)
    assert resp.status_code == 302
    assert count(EvaluationResponse) == 0


# --- issuing ----------------------------------------------------------------------------


def test_approval_queue_then_bulk_approve_issues_sequential_numbers(
    client, app, login_as, make_user, finish, provider
):
    first, second = make_user(), make_user()
    finish(first, evaluate=True)
    finish(second, evaluate=True)
    admin = login_as("admin")
    page = client.get("/admin/certificates").get_data(as_text=True)
    assert first.full_name in page
    assert second.full_name in page
    ids = [str(e.id) for e in db.session.scalars(select(Enrollment).order_by(Enrollment.id))]
    resp = post(client, "/admin/certificates/approve", {"enrollment": ids})
    assert resp.status_code == 302
    numbers = sorted(db.session.scalars(select(Certificate.number)))
    year = utcnow().year
    assert numbers == [f"{year}-000001", f"{year}-000002"]
    assert actions().count("certificate.issue") == 2
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.issue"))
    assert event.actor_id == admin.id
    assert event.reason == "approved from the queue"
    assert "No completions are waiting" in client.get("/admin/certificates").get_data(True)
    for enrollment in db.session.scalars(select(Enrollment)):
        assert enrollment.status == EnrollmentStatus.COMPLETED


def test_claim_in_approval_mode_waits_in_the_queue(client, login_as, finish, provider):
    learner = login_as()
    finish(learner, evaluate=True)
    resp = post(client, "/courses/minimal-course/certificate")
    assert resp.status_code == 302
    assert count(Certificate) == 0


def test_automatic_mode_issues_on_evaluation(client, db, login_as, course, finish, provider):
    course.certificate_issue_mode = "automatic"
    db.session.commit()
    learner = login_as()
    finish(learner)
    post(client, "/courses/minimal-course/evaluation", EVALUATION)
    certificate = db.session.scalar(select(Certificate))
    assert certificate is not None
    assert certificate.user_id == learner.id
    assert "certificate.issue_automatic" in actions()
    assert certificate.record["verify_url"].startswith("http://localhost/verify/")


def test_incomplete_profile_keeps_the_certificate_back(client, login_as, course, finish, provider):
    course.certificate_issue_mode = "automatic"
    db.session.commit()
    learner = login_as(complete_profile=False)
    finish(learner)
    post(client, "/courses/minimal-course/evaluation", EVALUATION)
    assert count(Certificate) == 0
    page = client.get("/courses/minimal-course").get_data(as_text=True)
    assert "Complete your profile" in page


def test_no_certificate_without_provider_settings(app, make_user, finish, course):
    learner = make_user()
    enrollment = finish(learner, evaluate=True)
    with pytest.raises(services.CertificateError, match="provider"):
        services.issue_for_enrollment(enrollment=enrollment, actor=None, verify_base="http://x/")
    db.session.rollback()
    assert count(Certificate) == 0


def test_incomplete_enrollment_cannot_be_approved(app, make_user, course, enroll, provider):
    learner = make_user()
    enrollment = enroll(learner, course)
    admin = make_user("admin")
    issued, refused = services.approve(
        enrollment_ids=[enrollment.id], actor=admin, verify_base="http://x/"
    )
    assert issued == []
    assert "Not complete yet" in refused[0]


def test_manual_issue_needs_a_reason_and_is_audited(client, login_as, make_user, course, provider):
    learner = make_user()
    login_as("admin")
    data = {
        "manual-email": learner.email,
        "manual-course": "minimal-course",
        "manual-completed_on": "2026-05-03",
        "manual-reason": "",
    }
    post(client, "/admin/certificates/issue", data)
    assert count(Certificate) == 0
    data["manual-reason"] = "Attended the live session of 3 May 2026."
    resp = post(client, "/admin/certificates/issue", data)
    assert resp.status_code == 302
    certificate = db.session.scalar(select(Certificate))
    assert certificate.record["completion_date"] == "2026-05-03"
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "certificate.issue_manual")
    )
    assert event.reason == "Attended the live session of 3 May 2026."


def test_manual_issue_refuses_future_dates_and_unknown_people(
    client, login_as, make_user, provider, course
):
    learner = make_user()
    login_as("admin")
    post(
        client,
        "/admin/certificates/issue",
        {
            "manual-email": learner.email,
            "manual-course": "minimal-course",
            "manual-completed_on": "2999-01-01",
            "manual-reason": "x",
        },
    )
    post(
        client,
        "/admin/certificates/issue",
        {
            "manual-email": "ghost@example.org",
            "manual-course": "minimal-course",
            "manual-completed_on": "2026-01-01",
            "manual-reason": "x",
        },
    )
    post(
        client,
        "/admin/certificates/issue",
        {
            "manual-email": learner.email,
            "manual-course": "minimal-course",
            "manual-completed_on": "not a date",
            "manual-reason": "x",
        },
    )
    assert count(Certificate) == 0


def _issue(make_user, finish, verify_base="http://localhost/"):
    learner = make_user(full_name="Zoë Ångström-Núñez")
    enrollment = finish(learner, evaluate=True)
    admin = make_user("admin")
    certificate = services.issue_for_enrollment(
        enrollment=enrollment, actor=admin, verify_base=verify_base
    )
    db.session.commit()
    return learner, admin, certificate


def test_record_is_frozen_and_hashed(app, make_user, finish, provider):
    learner, _, certificate = _issue(make_user, finish)
    record = certificate.frozen
    assert record.learner_name == "Zoë Ångström-Núñez"
    assert record.credential == "LPC"
    assert record.contact_hours == 0.25
    assert record.provider_name == "Example CE Provider"
    assert record.approval_statements[0].board == "NBCC"
    assert len(record.verification_code) >= 16  # 128 random bits
    assert record_hash(record) == certificate.record_hash
    learner.full_name = "Someone Else"
    learner.license_number = "CHANGED"
    services.update_provider_settings(
        actor=None,
        provider_name="Renamed Provider",
        signatory_name="X",
        signatory_title="Y",
        approval_statements=[],
    )
    db.session.commit()
    db.session.expire_all()
    again = db.session.get(Certificate, certificate.id).frozen
    assert again == record


def test_concurrent_issues_get_unique_sequential_numbers(app, make_user, finish, provider):
    enrollments = [finish(make_user(), evaluate=True) for _ in range(4)]
    admin = make_user("admin")
    ids = [e.id for e in enrollments]
    barrier = threading.Barrier(len(ids))
    errors: list[BaseException] = []

    def worker(enrollment_id: int) -> None:
        try:
            with app.app_context():
                enrollment = db.session.get(Enrollment, enrollment_id)
                actor = db.session.get(type(admin), admin.id)
                barrier.wait(timeout=10)
                services.issue_for_enrollment(
                    enrollment=enrollment, actor=actor, verify_base="http://x/"
                )
                db.session.commit()
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    db.session.expire_all()
    sequences = sorted(db.session.scalars(select(Certificate.sequence)))
    assert sequences == [1, 2, 3, 4]


# --- revocation, correction, verification -----------------------------------------------


def test_verify_page_valid_then_revoked_without_the_reason(
    client, app, login_as, make_user, finish, provider
):
    _, _, certificate = _issue(make_user, finish)
    url = f"/verify/{certificate.verification_code}"
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Valid." in html
    assert "Zoë Ångström-Núñez" in html
    assert certificate.number in html
    login_as("admin")
    missing = post(client, f"/admin/certificates/{certificate.id}/revoke", {"revoke-reason": ""})
    assert missing.status_code == 302
    db.session.expire_all()
    assert db.session.get(Certificate, certificate.id).status == "valid"
    post(
        client,
        f"/admin/certificates/{certificate.id}/revoke",
        {"revoke-reason": "Post-test answers were shared between learners."},
    )
    public = app.test_client().get(url).get_data(as_text=True)
    assert "Revoked." in public
    assert "shared between learners" not in public
    status = app.test_client().get(f"{url}/status").get_json()
    assert status["status"] == "revoked"
    assert "revokedAt" in status
    assert status["revokedCredentials"][0]["id"] == certificate.record["verify_url"]
    assert "shared between learners" not in str(status)
    assert "certificate.revoke" in actions()


def test_learner_sees_the_revocation(client, app, make_user, finish, provider):
    learner, admin, certificate = _issue(make_user, finish)
    services.revoke_certificate(certificate=certificate, actor=admin, reason="Error in record.")
    db.session.commit()
    log_in(client, learner)
    assert "was revoked on" in client.get("/courses/minimal-course").get_data(as_text=True)
    assert "Revoked" in client.get("/certificates").get_data(as_text=True)


def test_unknown_code_has_the_same_page_shape_and_404(client):
    resp = client.get("/verify/AAAAAAAAAAAAAAAAAAAAAA")
    assert resp.status_code == 404
    assert "Certificate verification" in resp.get_data(as_text=True)
    assert client.get("/verify/short").status_code == 404
    assert client.get("/verify/%3Cscript%3E").status_code == 404


def test_verification_is_rate_limited(client):
    statuses = [client.get(f"/verify/code{i:020d}").status_code for i in range(32)]
    assert statuses[0] == 404
    assert 429 in statuses


def test_name_correction_supersedes_and_points_back(
    client, app, login_as, make_user, finish, provider
):
    _, _, certificate = _issue(make_user, finish)
    login_as("admin")
    resp = post(
        client,
        f"/admin/certificates/{certificate.id}/correct",
        {
            "correct-new_name": "Zoe Angstrom-Nunez",
            "correct-reason": "Learner asked for the spelling on the license.",
        },
    )
    assert resp.status_code == 302
    db.session.expire_all()
    old = db.session.get(Certificate, certificate.id)
    new = db.session.scalar(select(Certificate).where(Certificate.supersedes_id == old.id))
    assert old.status == "superseded"
    assert new.frozen.learner_name == "Zoe Angstrom-Nunez"
    assert new.frozen.supersedes_number == old.number
    assert new.frozen.completion_date == old.frozen.completion_date
    old_page = app.test_client().get(f"/verify/{old.verification_code}").get_data(True)
    assert "Superseded." in old_page
    assert new.verification_code in old_page


def test_verification_reads_one_statement_and_caches_only_the_frozen_record(
    app, make_user, finish, provider
):
    _, admin, certificate = _issue(make_user, finish)
    url = f"/verify/{certificate.verification_code}"
    visitor = app.test_client()
    assert "Valid." in visitor.get(url).text  # fills the cache with the rendered record
    with StatementCounter(db.engine) as counter:
        page = visitor.get(url).text
    assert counter.count == 1
    assert "Zoë Ångström-Núñez" in page
    services.revoke_certificate(certificate=certificate, actor=admin, reason="Shared answers.")
    db.session.commit()
    assert "Revoked." in visitor.get(url).text  # the status is never cached


# --- downloads and transcripts ----------------------------------------------------------


def test_pdf_download_is_for_the_owner_and_admins_only(client, app, make_user, finish, provider):
    learner, admin, certificate = _issue(make_user, finish)
    log_in(client, learner)
    resp = client.get(f"/certificates/{certificate.id}/pdf")
    assert resp.status_code == 200
    assert resp.mimetype == "application/pdf"
    assert resp.data.startswith(b"%PDF")
    other = app.test_client()
    log_in(other, make_user())
    assert other.get(f"/certificates/{certificate.id}/pdf").status_code == 404
    assert other.get(f"/certificates/{certificate.id}").status_code == 404
    staff = app.test_client()
    log_in(staff, admin)
    assert staff.get(f"/certificates/{certificate.id}/pdf").status_code == 200


def test_signed_credential_verifies_with_the_published_keys(
    client, app, make_user, finish, provider
):
    from ceu.certificates import credentials

    learner, _, certificate = _issue(make_user, finish)
    log_in(client, learner)
    token = client.get(f"/certificates/{certificate.id}/credential").get_data(as_text=True)
    jwks = app.test_client().get("/.well-known/jwks.json").get_json()
    assert all("d" not in key for key in jwks["keys"])
    credential = credentials.verify_credential(token, jwks)
    subject = credential["credentialSubject"]
    assert subject["creditsEarned"] == 0.25
    assert subject["licenseNumber"] == certificate.frozen.license_number
    assert credential["credentialStatus"]["type"] == "BitstringStatusListEntry"
    head, body, signature = token.split(".")
    forged = ".".join(
        [head, body[:-4] + ("AAAA" if not body.endswith("AAAA") else "BBBB"), signature]
    )
    with pytest.raises(credentials.CredentialInvalid):
        credentials.verify_credential(forged, jwks)


def test_admin_zip_of_many_pdfs_is_audited(client, login_as, make_user, finish, provider):
    _, _, first = _issue(make_user, finish)
    _, _, second = _issue(make_user, finish)
    login_as("admin")
    resp = post(client, "/admin/certificates/zip", {"certificate": [first.id, second.id]})
    assert resp.mimetype == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(resp.data)).namelist()
    assert len(names) == 2
    assert "certificate.download_zip" in actions()


def test_transcript_page_csv_and_pdf(client, make_user, finish, provider):
    learner, _, certificate = _issue(make_user, finish)
    log_in(client, learner)
    page = client.get("/certificates").get_data(as_text=True)
    assert certificate.number in page
    assert "Total: 0.25 hours" in page
    data = client.get("/certificates/transcript.csv").data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(data)))
    assert rows[0]["certificate_number"] == certificate.number
    assert rows[0]["contact_hours"] == "0.25"
    pdf = client.get("/certificates/transcript.pdf")
    assert pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")


def test_provider_settings_page_saves_statements_and_checks_the_signature(client, login_as):
    login_as("admin")
    resp = post(
        client,
        "/admin/provider",
        {
            "provider_name": "Example CE Provider",
            "signatory_name": "Jordan Example",
            "signatory_title": "Director",
            "board": ["NBCC", ""],
            "number": ["ACEP 1", ""],
            "statement": ["Approved statement text.", ""],
        },
    )
    assert resp.status_code == 302
    settings = services.provider_settings()
    db.session.refresh(settings)
    assert settings.approval_statements == [
        {"board": "NBCC", "number": "ACEP 1", "statement": "Approved statement text."}
    ]
    bad = post(
        client,
        "/admin/provider",
        {
            "provider_name": "P",
            "signatory_name": "S",
            "signatory_title": "T",
            "signature": (io.BytesIO(b"GIF89a not a png"), "sig.gif"),
        },
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422
    assert "PNG" in bad.get_data(as_text=True)
    assert "provider.update" in actions()


def test_evaluation_report_is_aggregate(client, login_as, make_user, finish):
    finish(make_user(), evaluate=True)
    login_as("admin")
    html = client.get("/admin/courses/minimal-course/evaluations").get_data(as_text=True)
    assert "1 evaluation." in html
    assert "Clear and useful." in html


def test_withdrawn_enrollment_gets_no_certificate(app, make_user, finish, provider):
    learner = make_user()
    enrollment = finish(learner, evaluate=True)
    enrollment.withdraw()
    db.session.commit()
    with pytest.raises(services.CertificateError, match="withdrawn"):
        services.issue_for_enrollment(enrollment=enrollment, actor=None, verify_base="http://x/")
