"""Catalog, course page, enrollment, module reader, progress, resume and dashboard."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from ceu.catalog.models import Course, CourseVersion
from ceu.extensions import utcnow
from ceu.learning.models import Enrollment, EnrollmentStatus, ModuleProgress
from tests.conftest import csrf_from, log_in


def post(client, url, data=None, page=None):
    token = csrf_from(client.get(page or "/password/reset").get_data(as_text=True))
    return client.post(url, data={**(data or {}), "csrf_token": token})


def progress_rows(db, enrollment_id):
    db.session.expire_all()
    return {
        p.module.position: p
        for p in db.session.scalars(
            select(ModuleProgress).where(ModuleProgress.enrollment_id == enrollment_id)
        )
    }


def test_catalog_lists_published_course_for_anonymous(client, course):
    html = client.get("/courses").get_data(as_text=True)
    assert "Documentation Basics for Counselors" in html
    assert "0.25 contact hours" in html
    assert "Introductory" in html
    assert "2 modules" in html
    assert "Not enrolled" not in html  # status only for signed-in learners


def test_catalog_shows_learner_status_and_percent(client, course, login_as, enroll):
    learner = login_as()
    assert "Not enrolled" in client.get("/courses").get_data(as_text=True)
    enroll(learner, course)
    assert "In progress: 20% complete" in client.get("/courses").get_data(as_text=True)


def test_catalog_search_and_level_filter(client, course):
    assert "Documentation Basics" in client.get("/courses?q=documentation").get_data(True)
    assert "0 courses found" in client.get("/courses?q=ketamine").get_data(as_text=True)
    assert "0 courses found" in client.get("/courses?level=advanced").get_data(as_text=True)
    assert "1 course found" in client.get("/courses?level=introductory").get_data(True)
    # wildcard characters are taken literally
    assert "0 courses found" in client.get("/courses?q=%25%25").get_data(as_text=True)


def test_catalog_paginates(client, db, course):
    version = course.current_version
    for i in range(25):
        extra = Course(slug=f"extra-{i:02d}")
        db.session.add(extra)
        db.session.flush()
        v = CourseVersion(
            course_id=extra.id,
            number=1,
            version_label="1",
            content_hash=f"h{i}",
            title=f"Zeta course {i:02d}",
            summary="s",
            level="advanced",
            contact_hours=1.0,
            module_count=0,
            policy=version.policy,
        )
        db.session.add(v)
        db.session.flush()
        extra.current_version_id = v.id
    db.session.commit()
    first = client.get("/courses").get_data(as_text=True)
    assert "Page 1 of 2" in first
    assert "Next page" in first
    second = client.get("/courses?page=2").get_data(as_text=True)
    assert "Zeta course 24" in second
    assert "Zeta course 00" not in second
    assert client.get("/courses?page=999").status_code == 200
    assert client.get("/courses?page=abc").status_code == 200


def test_unpublished_course_is_hidden(client, db, course):
    course.is_published = False
    db.session.commit()
    assert "Documentation Basics" not in client.get("/courses").get_data(as_text=True)
    assert client.get("/courses/minimal-course").status_code == 404


def test_course_page_is_public_and_complete(client, course):
    resp = client.get("/courses/minimal-course")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    for expected in (
        "Learning objectives",
        "Explain the purpose",
        "Who it is for",
        "Contact hours: 0.25",
        "words per minute",
        "Disclosures",
        "No commercial support",
        "To be completed by the provider",
        "References",
        "pass mark 80%",
        "Log in",
    ):
        assert expected in html, expected


def test_unknown_course_is_404(client):
    assert client.get("/courses/nope").status_code == 404


def test_enroll_pins_current_version(client, db, course, login_as):
    learner = login_as()
    resp = post(client, "/courses/minimal-course/enroll")
    assert resp.status_code == 302
    enrollment = db.session.scalar(select(Enrollment).where(Enrollment.user_id == learner.id))
    assert enrollment.version_id == course.current_version_id
    assert enrollment.status == EnrollmentStatus.ACTIVE
    page = client.get("/courses/minimal-course").get_data(as_text=True)
    assert "Still to do for credit" in page
    assert "Read module 1" in page


def test_enroll_twice_keeps_one_enrollment(client, db, course, login_as):
    login_as()
    post(client, "/courses/minimal-course/enroll")
    post(client, "/courses/minimal-course/enroll")
    assert db.session.scalar(select(func.count()).select_from(Enrollment)) == 1


def test_enroll_requires_login_and_csrf(client, db, course):
    resp = client.post("/courses/minimal-course/enroll")
    assert resp.status_code == 400  # CSRF is checked before anything else
    assert db.session.scalar(select(func.count()).select_from(Enrollment)) == 0


def test_withdraw_keeps_progress_and_reenroll_restores_it(client, db, course, login_as, enroll):
    learner = login_as()
    enrollment = enroll(learner, course)
    client.get("/courses/minimal-course/modules/1")
    post(client, "/courses/minimal-course/withdraw")
    db.session.expire_all()
    assert db.session.get(Enrollment, enrollment.id).status == EnrollmentStatus.WITHDRAWN
    assert client.get("/courses/minimal-course/modules/1").status_code == 404
    assert progress_rows(db, enrollment.id)  # history kept
    post(client, "/courses/minimal-course/enroll")
    db.session.expire_all()
    assert db.session.get(Enrollment, enrollment.id).status == EnrollmentStatus.ACTIVE
    assert 1 in progress_rows(db, enrollment.id)


def test_module_reader_shows_stored_html_toc_objectives_key_points(
    client, course, login_as, enroll
):
    learner = login_as()
    enroll(learner, course)
    html = client.get("/courses/minimal-course/modules/1").get_data(as_text=True)
    assert "In this module" in html
    assert 'href="#why-records-matter"' in html
    assert 'id="why-records-matter"' in html
    assert "After this module you will be able to" in html
    assert "Key points" in html
    assert "Next: " in html
    assert "minute" in html


def test_citations_link_to_the_reference_list_on_the_page(client, course, login_as, enroll):
    learner = login_as()
    enroll(learner, course)
    module = course.current_version.modules[0]
    html = client.get("/courses/minimal-course/modules/1").get_data(as_text=True)
    for key in module.cited_keys:
        assert f'href="#ref-{key}"' in html
        assert f'id="ref-{key}"' in html


def test_non_enrolled_learner_cannot_read_modules(client, course, login_as):
    login_as()
    assert client.get("/courses/minimal-course/modules/1").status_code == 404


def test_staff_preview_without_enrolling_records_nothing(client, db, course, login_as):
    login_as("instructor")
    html = client.get("/courses/minimal-course/modules/2").get_data(as_text=True)
    assert "Preview" in html
    assert db.session.scalar(select(func.count()).select_from(ModuleProgress)) == 0


def test_missing_module_is_404(client, course, login_as, enroll):
    learner = login_as()
    enroll(learner, course)
    assert client.get("/courses/minimal-course/modules/99").status_code == 404


def test_time_is_measured_server_side_between_views_and_capped(
    client, db, course, login_as, enroll
):
    learner = login_as()
    enrollment = enroll(learner, course)
    client.get("/courses/minimal-course/modules/1")
    row = db.session.get(Enrollment, enrollment.id)
    row.last_seen_at = utcnow() - timedelta(seconds=125)
    db.session.commit()
    client.get("/courses/minimal-course/modules/2")
    rows = progress_rows(db, enrollment.id)
    assert 124 <= rows[1].seconds_spent <= 130
    # an idle tab (two hours) counts for at most ten minutes
    row = db.session.get(Enrollment, enrollment.id)
    row.last_seen_at = utcnow() - timedelta(hours=2)
    db.session.commit()
    client.get("/courses/minimal-course/modules/1")
    assert progress_rows(db, enrollment.id)[2].seconds_spent == 600


def test_finish_and_continue_completes_and_moves_on(client, db, course, login_as, enroll):
    learner = login_as()
    enrollment = enroll(learner, course)
    client.get("/courses/minimal-course/modules/1")
    resp = post(client, "/courses/minimal-course/modules/1/complete", {"then": "next"})
    assert resp.headers["Location"].endswith("/courses/minimal-course/modules/2")
    assert progress_rows(db, enrollment.id)[1].is_complete
    client.get("/courses/minimal-course/modules/2")
    last = post(client, "/courses/minimal-course/modules/2/complete", {"then": "next"})
    assert last.headers["Location"].endswith("/courses/minimal-course")
    page = client.get("/courses/minimal-course").get_data(as_text=True)
    assert "Read module" not in page
    assert "Pass the post-test" in page


def test_mark_complete_is_idempotent(client, db, course, login_as, enroll):
    learner = login_as()
    enrollment = enroll(learner, course)
    post(client, "/courses/minimal-course/modules/1/complete")
    first = progress_rows(db, enrollment.id)[1].completed_at
    post(client, "/courses/minimal-course/modules/1/complete")
    assert progress_rows(db, enrollment.id)[1].completed_at == first


def test_resume_goes_to_last_module_read(client, course, login_as, enroll):
    learner = login_as()
    enroll(learner, course)
    assert client.get("/courses/minimal-course/resume").headers["Location"].endswith("/modules/1")
    client.get("/courses/minimal-course/modules/2")
    assert client.get("/courses/minimal-course/resume").headers["Location"].endswith("/modules/2")


def test_resume_without_enrollment_is_404(client, course, login_as):
    login_as()
    assert client.get("/courses/minimal-course/resume").status_code == 404


def test_enrolled_learner_keeps_pinned_version_after_new_import(
    client, db, course, login_as, enroll
):
    learner = login_as()
    enrollment = enroll(learner, course)
    old_version = enrollment.version_id
    newer = CourseVersion(
        course_id=course.id,
        number=2,
        version_label="2.0",
        content_hash="new",
        title="Documentation Basics, second edition",
        summary="s",
        level="introductory",
        contact_hours=0.25,
        module_count=0,
        policy=course.current_version.policy,
    )
    db.session.add(newer)
    db.session.flush()
    course.current_version_id = newer.id
    db.session.commit()
    html = client.get("/courses/minimal-course").get_data(as_text=True)
    assert "Documentation Basics for Counselors" in html
    assert "your credit is for that version" in html
    assert client.get("/courses/minimal-course/modules/1").status_code == 200
    db.session.expire_all()
    assert db.session.get(Enrollment, enrollment.id).version_id == old_version


def test_dashboard_shows_progress_next_step_and_hours(client, db, course, login_as, enroll):
    learner = login_as()
    enroll(learner, course)
    client.get("/courses/minimal-course/modules/1")
    html = client.get("/dashboard").get_data(as_text=True)
    assert "Documentation Basics for Counselors" in html
    assert "0 of 2 modules read" in html
    assert "continue module 1" in html
    assert "in total" in html


def test_dashboard_hours_come_from_certificates_not_from_enrollment_status(
    client, db, course, login_as, enroll
):
    """A completed enrollment lists the course, but only a valid certificate earns hours
    (ceu.domain.credit; tests/certificates/test_hours.py covers issue, correct, revoke)."""
    learner = login_as()
    enrollment = enroll(learner, course)
    row = db.session.get(Enrollment, enrollment.id)
    row.status = EnrollmentStatus.COMPLETED
    row.completed_at = utcnow()
    db.session.commit()
    html = client.get("/dashboard").get_data(as_text=True)
    assert "<strong>0</strong> in" in html
    assert "No completed courses yet" not in html


def test_other_learners_progress_is_private(client, db, course, make_user, enroll):
    owner = make_user()
    enroll(owner, course)
    other = make_user()
    log_in(client, other)
    html = client.get("/dashboard").get_data(as_text=True)
    assert "Documentation Basics" not in html


def test_reloading_a_module_does_not_rewrite_progress(client, db, course, login_as, enroll):
    learner = login_as()
    enrollment = enroll(learner, course)
    client.get("/courses/minimal-course/modules/1")
    db.session.expire_all()
    first_seen = db.session.get(Enrollment, enrollment.id).last_seen_at
    client.get("/courses/minimal-course/modules/1")
    db.session.expire_all()
    assert db.session.get(Enrollment, enrollment.id).last_seen_at == first_seen
    # the span is not lost: the next page credits it to module 1
    row = db.session.get(Enrollment, enrollment.id)
    row.last_seen_at = first_seen - timedelta(seconds=90)
    db.session.commit()
    client.get("/courses/minimal-course/modules/2")
    assert progress_rows(db, enrollment.id)[1].seconds_spent >= 90
