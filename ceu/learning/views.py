"""Catalog, course page, enrollment, module reader and the learner's dashboard."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.wrappers import Response

from ceu.auth.permissions import can_preview_courses, can_read_module, ensure
from ceu.catalog import queries as catalog_queries
from ceu.catalog.models import Course
from ceu.catalog.queries import CourseRef, ModuleView, VersionView
from ceu.core.cache import cached_macro, fragment_key, process_cache, render_macro
from ceu.core.errors import on_refusal
from ceu.core.nav import NavLink, add_nav_link, everyone, signed_in
from ceu.domain import completion
from ceu.domain.completion import ModuleState, Step
from ceu.domain.content import Level
from ceu.extensions import db, utcnow
from ceu.learning import queries, services
from ceu.learning.dashboard import course_panels_for, hours_for, panels_for
from ceu.learning.forms import ActionForm
from ceu.learning.models import Enrollment, EnrollmentStatus

bp = Blueprint("learning", __name__)


@bp.record_once
def _template_enums(state: BlueprintSetupState) -> None:
    """Templates compare statuses with the enums, never with bare strings."""
    state.app.jinja_env.globals.update(
        EnrollmentStatus=EnrollmentStatus, ModuleState=ModuleState, Step=Step
    )


FRAGMENTS = "learning/_fragments.html"  # macros rendered once per version (ceu.core.cache)

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
    cards = [
        cached_macro(row.card_key, FRAGMENTS, "catalog_card", row.slug, row.version)
        for row in result.rows
    ]
    return render_template(
        "learning/catalog.html",
        result=result,
        cards=cards,
        search=search,
        level=level,
        levels=list(Level),
    )


def enrollment_or_404(slug: str) -> tuple[Course, Enrollment]:
    """The published course and the signed-in learner's enrollment, or 404 (another
    learner's enrollment is never revealed)."""
    found = queries.own_enrollment(current_user, slug)  # type: ignore[arg-type]
    ensure(found is not None)
    return found  # type: ignore[return-value]


def _course_or_404(slug: str) -> CourseRef:
    found = catalog_queries.published_course(slug)
    if found is None:
        abort(404)
    return found


def _learner_course_or_404(slug: str) -> queries.LearnerCourse:
    found = queries.learner_course(current_user, slug)  # type: ignore[arg-type]
    if found is None:
        abort(404)
    return found


@bp.get("/courses/<slug>")
def course_page(slug: str) -> str:
    seen = _learner_course_or_404(slug)
    course, enrollment, progress = seen.course, seen.enrollment, seen.progress
    current = catalog_queries.current_version(course)
    shown = catalog_queries.enrolled_version(course, enrollment) if enrollment else current
    state = owed = None
    if enrollment is not None:
        state = queries.learner_state(
            user=current_user,  # type: ignore[arg-type]
            modules=shown.modules,
            progress=progress,
            minimum_reading_minutes=shown.policy.post_test.minimum_reading_minutes,
            enrollment=enrollment,
            minimum_time_share=shown.policy.reading.minimum_time_share,
        )
        owed = completion.outstanding(state)
    return render_template(
        "learning/course.html",
        course=course,
        version=shown,
        modules=shown.modules,
        about=cached_macro(shown.key, FRAGMENTS, "course_about", shown),
        enrollment=enrollment,
        progress=progress,
        state=state,
        owed=owed,
        module_state=queries.module_state,
        percent=completion.percent_complete(state) if state else 0,
        time_left={s.position: completion.minutes_remaining(s) for s in state.modules}
        if state
        else {},
        newer_version=shown.id != current.id,
        can_preview=can_preview_courses(current_user),
        panels=course_panels_for(current_user, enrollment, state, course) if enrollment else [],
    )


@bp.post("/courses/<slug>/enroll")
@login_required
@on_refusal(redirect_to="learning.course_page")
def enroll(slug: str) -> Response:
    ActionForm()
    course = _course_or_404(slug)
    services.enroll(user=current_user, course=course)  # type: ignore[arg-type]
    db.session.commit()
    flash("You are enrolled. Start with module 1 whenever you are ready.", "success")
    return redirect(url_for("learning.course_page", slug=slug))


@bp.post("/courses/<slug>/withdraw")
@login_required
@on_refusal(redirect_to="learning.course_page")
def withdraw(slug: str) -> Response:
    ActionForm()
    course = _course_or_404(slug)
    enrollment = queries.enrollment_for(current_user, course)
    ensure(enrollment is not None)
    services.withdraw(enrollment=enrollment)  # type: ignore[arg-type]
    db.session.commit()
    flash("You have withdrawn. Your progress is kept if you enroll again.", "info")
    return redirect(url_for("learning.course_page", slug=slug))


@bp.get("/courses/<slug>/resume")
@login_required
def resume(slug: str) -> Response:
    course = _course_or_404(slug)
    enrollment = queries.enrollment_for(current_user, course)
    ensure(enrollment is not None and enrollment.is_active)
    modules = catalog_queries.version(enrollment.version_id).modules  # type: ignore[union-attr]
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
    seen = _learner_course_or_404(slug)
    course, enrollment = seen.course, seen.enrollment
    ensure(can_read_module(current_user, enrollment))
    is_preview = enrollment is None or not (enrollment.is_active or enrollment.is_completed)
    if is_preview:
        version = catalog_queries.current_version(course)
    else:
        version = catalog_queries.enrolled_version(course, enrollment)
    module = version.module_at(position)
    ensure(module is not None)
    return seen, version, module, is_preview


@dataclass(frozen=True)
class ModuleFragments:
    toc: Markup
    body: Markup
    reading_minutes: int


def _module_fragments(version: VersionView, module: ModuleView) -> ModuleFragments:
    """The module's table of contents and body (HTML, objectives, key points, references)
    are the same for every reader of this version: rendered once per process."""

    def render() -> ModuleFragments:
        cited = set(module.cited_keys)
        references = [r for r in version.policy.references if r.key in cited]
        html = Markup(catalog_queries.module_html(module.id))  # noqa: S704 - sanitized at import
        wpm = version.policy.contact_hours.words_per_minute
        return ModuleFragments(
            toc=render_macro(FRAGMENTS, "module_toc", module, references),
            body=render_macro(FRAGMENTS, "module_body", module, html, references),
            reading_minutes=max(1, round(module.word_count / wpm)),
        )

    return process_cache().get_or_make(fragment_key("module", version.key, module.id), render)


@bp.get("/courses/<slug>/modules/<int:position>")
@login_required
def module_page(slug: str, position: int) -> str:
    seen, version, module, is_preview = _reader_context(slug, position)
    progress = None
    if not is_preview and seen.enrollment.is_active:
        progress = services.record_module_view(
            enrollment=seen.enrollment,
            module=module,
            now=utcnow(),
            progress=seen.progress,
            durable=False,  # a page view: a crash may cost its few seconds, nothing else
        )
        db.session.commit()
    fragments = _module_fragments(version, module)
    return render_template(
        "learning/module.html",
        course=seen.course,
        version=version,
        module=module,
        modules=version.modules,
        previous=version.module_at(position - 1),
        following=version.module_at(position + 1),
        fragments=fragments,
        reading_minutes=fragments.reading_minutes,
        progress=progress,
        is_preview=is_preview,
        auto_complete=version.policy.reading.auto_complete_at_end,
    )


@bp.post("/courses/<slug>/modules/<int:position>/complete")
@login_required
def complete_module(slug: str, position: int) -> Response:
    form = ActionForm()
    seen, version, module, is_preview = _reader_context(slug, position)
    if is_preview or not seen.enrollment.is_active:
        flash("Preview only: progress is kept for enrolled learners.", "info")
        return redirect(url_for("learning.module_page", slug=slug, position=position))
    services.complete_module(
        enrollment=seen.enrollment,
        module=module,
        now=utcnow(),
        progress=seen.progress,
    )
    db.session.commit()
    if form.then.data == "next":
        if version.module_at(position + 1) is not None:
            return redirect(url_for("learning.module_page", slug=slug, position=position + 1))
        flash("You have read every module.", "success")
        return redirect(url_for("learning.course_page", slug=slug))
    flash(f"Module {position} is marked as complete.", "success")
    return redirect(url_for("learning.module_page", slug=slug, position=position))


@bp.get("/dashboard")
@login_required
def dashboard() -> str:
    rows = queries.dashboard(current_user)  # type: ignore[arg-type]
    hours = hours_for(current_user, rows)
    year = utcnow().year
    active = [r for r in rows if r.status == EnrollmentStatus.ACTIVE]
    completed = [r for r in rows if r.status == EnrollmentStatus.COMPLETED]
    withdrawn = [r for r in rows if r.status == EnrollmentStatus.WITHDRAWN]
    return render_template(
        "learning/dashboard.html",
        active=active,
        completed=completed,
        withdrawn=withdrawn,
        hours_this_year=hours.in_year(year),
        hours_total=hours.total,
        year=year,
        panels=panels_for(current_user, rows),
    )
