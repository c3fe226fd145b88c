"""Revoked means revoked everywhere: the learner is refused the HTML, PDF and credential
with a page that says when; an admin gets the original stamped "REVOKED on <date>". The
PDF of a record is rendered once and cached by its hash, the stamp under its own key."""

from __future__ import annotations

import io

from pypdf import PdfReader

from ceu.certificates import pdf, services
from ceu.certificates.pdf import long_date
from ceu.extensions import db
from tests.conftest import log_in


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(data)).pages)


def issued(make_user, finish):
    learner = make_user()
    admin = make_user("admin")
    enrollment = finish(learner, evaluate=True)
    certificate = services.issue_for_enrollment(
        enrollment=enrollment, actor=admin, verify_base="http://localhost/"
    )
    db.session.commit()
    return learner, admin, certificate


def test_learner_is_refused_a_revoked_certificate_with_the_date(
    client, make_user, finish, provider
):
    learner, admin, certificate = issued(make_user, finish)
    services.revoke_certificate(certificate=certificate, actor=admin, reason="audit")
    db.session.commit()
    log_in(client, learner)
    day = long_date(certificate.revoked_at.date())
    for suffix in ("", "/pdf", "/credential"):
        resp = client.get(f"/certificates/{certificate.id}{suffix}")
        assert resp.status_code == 410, suffix
        page = resp.get_data(as_text=True)
        assert f"Certificate {certificate.number} was revoked" in page
        assert day in page
        assert "audit" not in page  # the private reason stays on the admin desk


def test_admin_gets_the_original_stamped_and_the_clean_copy_is_not_reused(
    client, make_user, finish, provider, monkeypatch
):
    learner, admin, certificate = issued(make_user, finish)
    renders = []
    real = pdf.render_certificate_pdf

    def counting(record, **kwargs):
        renders.append(kwargs.get("revoked_on"))
        return real(record, **kwargs)

    monkeypatch.setattr(pdf, "render_certificate_pdf", counting)
    log_in(client, learner)
    clean = client.get(f"/certificates/{certificate.id}/pdf")
    assert client.get(f"/certificates/{certificate.id}/pdf").data == clean.data
    assert renders == [None]  # rendered once, then served from the cache
    assert "REVOKED" not in pdf_text(clean.data)

    services.revoke_certificate(certificate=certificate, actor=admin, reason="audit")
    db.session.commit()
    log_in(client, admin)
    stamped = client.get(f"/certificates/{certificate.id}/pdf")
    assert stamped.status_code == 200
    text = pdf_text(stamped.data)
    assert f"REVOKED on {long_date(certificate.revoked_at.date())}" in text
    assert certificate.number in text  # the original underneath
    assert renders == [None, certificate.revoked_at.date()]
