"""Catalog, course page, enrollment, module reader and the learner's dashboard."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ceu.auth.permissions import can_preview_courses, can_read_module, ensure
from ceu.core.nav import NavLink, add_nav_link, everyone, signed_in
from ceu.domain import completion
from ceu.extensions import db, utcnow
from ceu.learning import queries, services
from ceu.learning.dashboard import course_panels_for, panels_for
from ceu.learning.forms import ActionForm
from ceu.learning.models import InvalidTransition

bp = Blueprint("learning", __name__)

add_nav_link(NavLink("Courses", "learning.catalog", everyone, order=10))
add_nav_link(NavLink("My learning", "learning.dashboard", signed_in, order=20))


def _page_arg() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and len(raw) < 7 else 1


@bp.get("/courses")
def catalog() -> str:
    search = request.args.get("q", "").strip()[:100]
    level = request.args.get("level", "")
    result = queries.catalog(user=current_user, search=search, level=level, page=_page_arg())
    return render_template(
        "learning/catalog.html", result=result, search=search, level=level, levels=queries.LEVELS
    )


def _course_or_404(slug: str):  # type: ignore[no-untyped-def]
    found = queries.published_course(slug)
    if found is None:
        abort(404)
    return found


@bp.get("/courses/<slug>")
def course_page(slug: str) -> str:
    course, version = _course_or_404(slug)
    enrollment = queries.enrollment_for(current_user, course)
    pinned_id = enrollment.version_id if enrollment else version.id
    shown = version if pinned_id == version.id else enrollment.version  # type: ignore[union-attr]
    modules = queries.modules_of(shown.id)
    state = owed = None
    progress: dict = {}
    if enrollment is not None:
        progress = queries.progress_by_module(enrollment)
        state = queries.learner_state(
            user=current_user,  # type: ignore[arg-type]
            modules=modules,
            progress=progress,
            minimum_reading_minutes=shown.front["post_test"]["minimum_reading_minutes"],
            enrollment=enrollment,
        )
        owed = completion.outstanding(state)
    return render_template(
        "learning/course.html",
        course=course,
        version=shown,
        front=shown.front,
        modules=modules,
        enrollment=enrollment,
        progress=progress,
        state=state,
        owed=owed,
        module_state=queries.module_state,
        percent=completion.percent_complete(state) if state else 0,
        form=ActionForm(),
        newer_version=shown.id != version.id,
        panels=course_panels_for(current_user, enrollment, state) if enrollment else [],
    )


@bp.post("/courses/<slug>/enroll")
@login_required
def enroll(slug: str) -> Response:
    ActionForm()
    course, _ = _course_or_404(slug)
    try:
        services.enroll(user=current_user, course=course)  # type: ignore[arg-type]
    except services.EnrollmentError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("learning.course_page", slug=slug))
    db.session.commit()
    flash("You are enrolled. Start with module 1 whenever you are ready.", "success")
    return redirect(url_for("learning.course_page", slug=slug))


@bp.post("/courses/<slug>/withdraw")
@login_required
def withdraw(slug: str) -> Response:
    ActionForm()
    course, _ = _course_or_404(slug)
    enrollment = queries.enrollment_for(current_user, course)
    ensure(enrollment is not None)
    try:
        services.withdraw(enrollment=enrollment)  # type: ignore[arg-type]
    except InvalidTransition:
        db.session.rollback()
        flash("You are not enrolled in this course.", "error")
        return redirect(url_for("learning.course_page", slug=slug))
    db.session.commit()
    flash("You have withdrawn. Your progress is kept if you enroll again.", "info")
    return redirect(url_for("learning.course_page", slug=slug))


@bp.get("/courses/<slug>/resume")
@login_required
def resume(slug: str) -> Response:
    course, _ = _course_or_404(slug)
    enrollment = queries.enrollment_for(current_user, course)
    ensure(enrollment is not None and enrollment.is_active)
    modules = queries.modules_of(enrollment.version_id)  # type: ignore[union-attr]
    progress = queries.progress_by_module(enrollment)  # type: ignore[arg-type]
    state = queries.learner_state(
        user=current_user,  # type: ignore[arg-type]
        modules=modules,
        progress=progress,
        minimum_reading_minutes=0,
    )
    last = next(
        (m.position for m in modules if m.id == enrollment.last_module_id),  # type: ignore[union-attr]
        None,
    )
    position = completion.next_module_position(state, last) or 1
    return redirect(url_for("learning.module_page", slug=slug, position=position))


def _reader_context(slug: str, position: int):  # type: ignore[no-untyped-def]
    course, current = _course_or_404(slug)
    enrollment = queries.enrollment_for(current_user, course)
    ensure(can_read_module(current_user, enrollment))
    is_preview = enrollment is None or not (
        enrollment.is_active or enrollment.status == "completed"
    )
    version = current if is_preview else enrollment.version  # type: ignore[union-attr]
    module = queries.module_at(version.id, position)
    ensure(module is not None)
    return course, version, enrollment, module, is_preview


@bp.get("/courses/<slug>/modules/<int:position>")
@login_required
def module_page(slug: str, position: int) -> str:
    course, version, enrollment, module, is_preview = _reader_context(slug, position)
    progress = None
    if not is_preview and enrollment.is_active:
        progress = services.record_module_view(enrollment=enrollment, module=module, now=utcnow())
        db.session.commit()
    modules = queries.modules_of(version.id)
    cited = set(module.cited_keys)
    references = [r for r in version.front["references"] if r["key"] in cited]
    wpm = version.front["contact_hours"]["words_per_minute"]
    return render_template(
        "learning/module.html",
        course=course,
        version=version,
        module=module,
        modules=modules,
        previous=next((m for m in modules if m.position == position - 1), None),
        following=next((m for m in modules if m.position == position + 1), None),
        references=references,
        reading_minutes=max(1, round(module.word_count / wpm)),
        progress=progress,
        is_preview=is_preview,
        auto_complete=version.front["reading"]["auto_complete_at_end"],
        form=ActionForm(),
        can_preview=can_preview_courses(current_user),
    )


@bp.post("/courses/<slug>/modules/<int:position>/complete")
@login_required
def complete_module(slug: str, position: int) -> Response:
    form = ActionForm()
    course, version, enrollment, module, is_preview = _reader_context(slug, position)
    if is_preview or not enrollment.is_active:
        flash("Preview only: progress is kept for enrolled learners.", "info")
        return redirect(url_for("learning.module_page", slug=slug, position=position))
    services.complete_module(enrollment=enrollment, module=module, now=utcnow())
    db.session.commit()
    if form.then.data == "next":
        following = queries.module_at(version.id, position + 1)
        if following is not None:
            return redirect(url_for("learning.module_page", slug=slug, position=position + 1))
        flash("You have read every module.", "success")
        return redirect(url_for("learning.course_page", slug=slug))
    flash(f"Module {position} is marked as complete.", "success")
    return redirect(url_for("learning.module_page", slug=slug, position=position))


@bp.get("/dashboard")
@login_required
def dashboard() -> str:
    rows = queries.dashboard(current_user)  # type: ignore[arg-type]
    this_year, total = queries.hours_earned(rows, year=utcnow().year)
    active = [r for r in rows if r.enrollment.status == "active"]
    completed = [r for r in rows if r.enrollment.status == "completed"]
    withdrawn = [r for r in rows if r.enrollment.status == "withdrawn"]
    return render_template(
        "learning/dashboard.html",
        active=active,
        completed=completed,
        withdrawn=withdrawn,
        hours_this_year=this_year,
        hours_total=total,
        year=utcnow().year,
        panels=panels_for(current_user),
    )
