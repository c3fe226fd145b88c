"""People and roles, and the certificates report for auditors."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from ceu.audit.models import AuditEvent
from ceu.auth.models import Role
from ceu.certificates import services
from ceu.certificates.reports import spreadsheet_safe
from ceu.extensions import db
from tests.conftest import csrf_from


def post(client, url, data=None):
    token = csrf_from(client.get("/password/reset").get_data(as_text=True))
    return client.post(url, data={**(data or {}), "csrf_token": token})


def test_admin_grants_and_removes_a_role_and_it_is_audited(client, login_as, make_user):
    learner = make_user()
    login_as("admin")
    assert learner.email in client.get("/admin/users?q=" + learner.email).get_data(True)
    post(client, f"/admin/users/{learner.id}/roles", {"action": "grant", "role": "instructor"})
    db.session.expire_all()
    assert learner.has_role(Role.INSTRUCTOR)
    post(client, f"/admin/users/{learner.id}/roles", {"action": "revoke", "role": "instructor"})
    db.session.expire_all()
    assert not learner.has_role(Role.INSTRUCTOR)
    logged = list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert logged == ["user.role_grant", "user.role_revoke"]


def test_admin_cannot_remove_own_admin_role(client, login_as):
    admin = login_as("admin")
    post(client, f"/admin/users/{admin.id}/roles", {"action": "revoke", "role": "admin"})
    db.session.expire_all()
    assert admin.has_role(Role.ADMIN)


def test_bad_role_change_changes_nothing(client, login_as, make_user):
    learner = make_user()
    login_as("admin")
    post(client, f"/admin/users/{learner.id}/roles", {"action": "grant", "role": "learner"})
    post(client, f"/admin/users/{learner.id}/roles", {"action": "explode", "role": "admin"})
    db.session.expire_all()
    assert learner.role_set == {Role.LEARNER}


def test_certificates_report_lists_every_certificate(client, login_as, make_user, finish, provider):
    learner = make_user(full_name="=HYPERLINK(evil)")
    enrollment = finish(learner, evaluate=True)
    admin = make_user("admin")
    certificate = services.issue_for_enrollment(
        enrollment=enrollment, actor=admin, verify_base="http://localhost/"
    )
    db.session.commit()
    login_as("admin")
    resp = client.get("/admin/reports/certificates.csv")
    assert resp.data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
    rows = list(csv.DictReader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert resp.mimetype == "text/csv"
    assert len(rows) == 1
    assert rows[0]["certificate_number"] == certificate.number
    assert rows[0]["license_number"] == learner.license_number
    assert rows[0]["contact_hours"] == "0.25"
    assert rows[0]["learner_name"].startswith("'=")  # no formula injection


def test_spreadsheet_safe_neutralises_formulas():
    assert spreadsheet_safe("=1+1") == "'=1+1"
    assert spreadsheet_safe("@SUM(A1)") == "'@SUM(A1)"
    assert spreadsheet_safe("Dana Rivera") == "Dana Rivera"


def test_corrupt_png_signature_is_refused_at_upload(client, login_as):
    login_as("admin")
    token = csrf_from(client.get("/password/reset").get_data(as_text=True))
    resp = client.post(
        "/admin/provider",
        data={
            "csrf_token": token,
            "provider_name": "P",
            "signatory_name": "S",
            "signatory_title": "T",
            "signature": (io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"garbage" * 20), "sig.png"),
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 422
    assert services.provider_settings().signature_png_b64 == ""
