"""People and roles, and the certificates report for auditors."""

from __future__ import annotations

import csv
import io

import pytest
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


def test_admins_remove_each_other_but_never_the_last_one(client, login_as, make_user):
    other = make_user("admin")
    admin = login_as("admin")
    resp = post(client, f"/admin/users/{other.id}/roles", {"action": "revoke", "role": "admin"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert not other.has_role(Role.ADMIN)
    assert admin.has_role(Role.ADMIN)  # alone now: removing it is refused, and says why
    resp = post(client, f"/admin/users/{admin.id}/roles", {"action": "revoke", "role": "admin"})
    assert resp.headers["Location"] == "/admin/users"
    with client.session_transaction() as session:
        assert session["_flashes"] == [
            ("error", "You cannot remove your own admin role; ask another admin.")
        ]
    db.session.expire_all()
    assert admin.has_role(Role.ADMIN)
    logged = list(db.session.scalars(select(AuditEvent.action)))
    assert logged == ["user.role_revoke"]


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
    assert spreadsheet_safe("\tcmd") == "'\tcmd"
    assert spreadsheet_safe("\r=1") == "'\r=1"
    assert spreadsheet_safe("-2+3") == "'-2+3"
    assert spreadsheet_safe("+1") == "'+1"
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


def test_one_signature_size_limit_for_upload_and_certificate(client, login_as):
    import base64
    import os

    from PIL import Image

    from ceu.certificates.pdf import check_signature_image
    from ceu.domain.certificates import MAX_SIGNATURE_BYTES

    noise = Image.frombytes("RGB", (300, 300), os.urandom(300 * 300 * 3))
    buffer = io.BytesIO()
    noise.save(buffer, format="PNG")
    too_big = buffer.getvalue()
    assert len(too_big) > MAX_SIGNATURE_BYTES
    with pytest.raises(ValueError, match="200 kB"):
        check_signature_image(base64.b64encode(too_big).decode("ascii"))
    login_as("admin")
    token = csrf_from(client.get("/admin/provider").get_data(as_text=True))
    resp = client.post(
        "/admin/provider",
        data={
            "csrf_token": token,
            "provider_name": "Typed Provider",
            "signatory_name": "S",
            "signatory_title": "T",
            "board": "NBCC",
            "number": "6000",
            "statement": "Approved typed statement",
            "signature": (io.BytesIO(too_big), "sig.png"),
        },
        content_type="multipart/form-data",
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "The signature must be a PNG image of at most 200 kB" in html
    assert 'value="Typed Provider"' in html
    assert "Approved typed statement" in html
    db.session.expire_all()
    settings = services.provider_settings()
    assert settings.signature_png_b64 == ""
    assert settings.provider_name != "Typed Provider"
