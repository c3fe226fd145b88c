"""The learner's attestation before the evaluation, kept with the certificate; no certificate
after the course version's expiry date."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ceu.catalog.services import import_course
from ceu.certificates import services
from ceu.certificates.models import Attestation, Certificate, EvaluationResponse
from ceu.domain.content import parse_course
from ceu.domain.evaluation import ATTESTATION
from ceu.extensions import db, utcnow
from ceu.files import read_folder
from ceu.learning.models import Enrollment
from tests.certificates.conftest import EVALUATION, pass_post_test
from tests.conftest import EXAMPLE_COURSE, csrf_from

URL = "/courses/minimal-course/evaluation"


def post(client, url, data):
    token = csrf_from(client.get("/password/reset").get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_evaluation_is_refused_without_the_attestation(client, login_as, finish):
    enrollment = finish(login_as())
    unticked = {k: v for k, v in EVALUATION.items() if k != "attest"}
    resp = post(client, URL, unticked)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "Attestation: Tick the attestation" in html
    assert count(EvaluationResponse) == 0
    assert count(Attestation) == 0
    db.session.expire_all()
    assert db.session.get(Enrollment, enrollment.id).evaluation_submitted_at is None


def test_the_evaluation_page_shows_the_attestation_first(client, login_as, finish):
    finish(login_as())
    html = client.get(URL).get_data(as_text=True)
    assert html.index(ATTESTATION) < html.index("Submit the evaluation")


def test_the_attestation_is_stored_and_copied_into_the_certificate(
    client, db, login_as, course, finish, provider
):
    course.certificate_issue_mode = "automatic"
    db.session.commit()
    enrollment = finish(login_as())
    assert post(client, URL, EVALUATION).status_code == 302
    db.session.expire_all()
    stored = db.session.get(Attestation, enrollment.id)
    assert stored.statement == ATTESTATION
    certificate = db.session.scalar(select(Certificate))
    assert certificate.record["learner_attestation"] == ATTESTATION
    assert certificate.record["attested_at"] == stored.attested_at.isoformat()


@pytest.fixture
def expiring_course(app):
    """The example course with an accreditation that expired yesterday."""
    files, errors = read_folder(EXAMPLE_COURSE)
    assert errors == []
    yesterday = (utcnow() - timedelta(days=1)).date()
    review = yesterday.replace(year=yesterday.year - 2)
    files["course.yaml"] = files["course.yaml"].replace(
        "references:\n",
        "accreditation:\n"
        f'  release_date: "{review}"\n  last_review_date: "{review}"\n'
        f'  expiry_date: "{yesterday}"\n  delivery_format: Home study\nreferences:\n',
        1,
    )
    result = import_course(parsed=parse_course(EXAMPLE_COURSE.name, files))
    db.session.commit()
    return result.course


def test_no_certificate_is_issued_after_the_expiry_date(
    login_as, expiring_course, enroll, provider
):
    from ceu.learning.services import complete_module

    enrollment = enroll(login_as(), expiring_course)
    for module in expiring_course.current_version.modules:
        complete_module(enrollment=enrollment, module=module)
    pass_post_test(enrollment)
    assert services.submit_evaluation(enrollment=enrollment, raw=EVALUATION) == []
    db.session.commit()
    with pytest.raises(services.CertificateError, match="expired on"):
        services.issue_for_enrollment(
            enrollment=enrollment, actor=None, verify_base="https://ce.example"
        )
    db.session.rollback()
    assert count(Certificate) == 0


def test_the_course_page_states_format_release_review_and_expiry(client, expiring_course):
    html = client.get("/courses/minimal-course").get_data(as_text=True)
    assert "Format, release and review" in html
    assert "Home study" in html
    expiry = (utcnow() - timedelta(days=1)).date().isoformat()
    assert (
        f'<span class="nowrap">{expiry}</span> (no certificate can be issued after this date)'
        in html
    )
