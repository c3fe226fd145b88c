"""Knowledge checks and the post-test: start, answer, save, submit, result and review."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ceu.auth.permissions import ensure
from ceu.catalog.queries import VersionView
from ceu.core.errors import on_refusal
from ceu.domain import grading
from ceu.domain.content import PostTestPolicy, Scoring
from ceu.domain.questions import QUESTION_TYPES
from ceu.extensions import db, utcnow
from ceu.learning.dashboard import add_dashboard_panel
from ceu.learning.views import enrollment_or_404
from ceu.quiz import queries, services
from ceu.quiz.forms import QuizForm
from ceu.quiz.models import Attempt, AttemptKind, AttemptState

bp = Blueprint("quiz", __name__)


@bp.record_once
def _template_globals(state: BlueprintSetupState) -> None:
    """Templates compare kinds and states with the enums, and render each item with the
    macros of its question type."""
    state.app.jinja_env.globals.update(
        AttemptKind=AttemptKind,
        AttemptState=AttemptState,
        question_template=lambda name: QUESTION_TYPES[name].template,
    )


def _own_attempt_or_404(attempt_id: int) -> tuple[Attempt, VersionView]:
    found = queries.own_attempt(attempt_id, current_user.id)
    ensure(found is not None)
    return found  # type: ignore[return-value]


def _policy_summary(policy: PostTestPolicy) -> dict[str, Any]:
    return {
        "items": policy.total_items,
        "pass_mark": round(policy.pass_mark * 100),
        "max_attempts": policy.max_attempts,
        "time_limit": policy.time_limit_minutes,
        "wait_hours": policy.wait_hours_between_attempts,
        "grading_method": str(policy.grading_method),
        "partial_credit": policy.multiple_response_scoring is Scoring.PARTIAL,
    }


@bp.get("/courses/<slug>/post-test")
@login_required
def overview(slug: str) -> str:
    course, enrollment = enrollment_or_404(slug)
    attempts = queries.attempts(enrollment, AttemptKind.POST_TEST)
    finished = [a for a in attempts if a.is_final]
    policy = enrollment.version.policy.post_test
    left = grading.attempts_left(len(finished), policy.max_attempts)
    return render_template(
        "quiz/overview.html",
        course=course,
        version=enrollment.version,
        enrollment=enrollment,
        attempts=attempts,
        open_attempt=next((a for a in attempts if a.is_open), None),
        unlocked=queries.post_test_unlocked(enrollment),
        policy=_policy_summary(policy),
        seat_time=enrollment.version.policy.reading.minimum_time_share > 0,
        attempts_left=left,
        result_of_record=queries.result_of_record(enrollment, finished),
        form=QuizForm(),
    )


@bp.post("/courses/<slug>/post-test/start")
@login_required
@on_refusal(redirect_to="quiz.overview")
def start(slug: str) -> Response:
    course, enrollment = enrollment_or_404(slug)
    attempt = services.start_attempt(enrollment=enrollment, kind=AttemptKind.POST_TEST)
    db.session.commit()
    return redirect(url_for("quiz.take", attempt_id=attempt.id))


@bp.post("/courses/<slug>/modules/<int:position>/check")
@login_required
@on_refusal(redirect_to="learning.module_page")
def start_check(slug: str, position: int) -> Response:
    course, enrollment = enrollment_or_404(slug)
    ensure(enrollment.is_active)
    attempt = services.start_attempt(
        enrollment=enrollment, kind=AttemptKind.KNOWLEDGE_CHECK, module_position=position
    )
    db.session.commit()
    return redirect(url_for("quiz.take", attempt_id=attempt.id))


def _render_take(
    attempt: Attempt,
    version: VersionView,
    *,
    errors: list[str] | None = None,
    unanswered: list[int] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    course = attempt.enrollment.course
    return render_template(
        "quiz/take.html",
        attempt=attempt,
        course=course,
        version=version,
        items=queries.public_items(attempt),
        answers=attempt.answers or {},
        errors=errors or [],
        unanswered=unanswered or [],
        form=QuizForm(),
        now=utcnow(),
    ), status


def _refused_take(message: str, attempt_id: int) -> tuple[str, int]:
    """The attempt again, with why the answers were not accepted."""
    attempt, version = _own_attempt_or_404(attempt_id)
    return _render_take(attempt, version, errors=[message], status=422)


@bp.get("/attempts/<int:attempt_id>")
@login_required
def take(attempt_id: int) -> Response | tuple[str, int]:
    attempt, version = _own_attempt_or_404(attempt_id)
    if attempt.is_open and attempt.is_overdue(utcnow()):
        services.finish_overdue(attempt=attempt)
        db.session.commit()
        flash("The time limit ran out; your saved answers were graded.", "info")
    if not attempt.is_open:
        return redirect(url_for("quiz.result", attempt_id=attempt.id))
    return _render_take(attempt, version)


@bp.post("/attempts/<int:attempt_id>/save")
@login_required
@on_refusal(render=_refused_take)
def save(attempt_id: int) -> Response | tuple[str, int]:
    attempt, version = _own_attempt_or_404(attempt_id)
    services.save_answers(attempt=attempt, raw=request.form.to_dict(flat=False))
    db.session.commit()
    if not attempt.is_open:
        return redirect(url_for("quiz.result", attempt_id=attempt.id))
    flash("Your answers are saved. You can come back to this attempt later.", "success")
    return redirect(url_for("quiz.take", attempt_id=attempt.id))


@bp.post("/attempts/<int:attempt_id>/submit")
@login_required
@on_refusal(render=_refused_take)
def submit(attempt_id: int) -> Response | tuple[str, int]:
    attempt, version = _own_attempt_or_404(attempt_id)
    raw = request.form.to_dict(flat=False)
    if attempt.is_open and not attempt.is_overdue(utcnow()) and "confirm" not in raw:
        answers = services.read_answers(attempt, raw)
        missing = [i for i, item in enumerate(attempt.form, 1) if item["id"] not in answers]
        if missing:
            services.save_answers(attempt=attempt, raw=raw)
            db.session.commit()
            return _render_take(attempt, version, unanswered=missing, status=422)
    services.submit_attempt(attempt=attempt, raw=raw, version=version)
    db.session.commit()
    return redirect(url_for("quiz.result", attempt_id=attempt.id))


@bp.get("/attempts/<int:attempt_id>/result")
@login_required
def result(attempt_id: int) -> Response | str:
    attempt, version = _own_attempt_or_404(attempt_id)
    if attempt.is_open:
        return redirect(url_for("quiz.take", attempt_id=attempt.id))
    enrollment = attempt.enrollment
    policy = version.policy.post_test
    is_check = attempt.kind == AttemptKind.KNOWLEDGE_CHECK
    finished = [
        a
        for a in queries.attempts(enrollment, AttemptKind(attempt.kind), attempt.module_position)
        if a.is_final
    ]
    left = grading.attempts_left(len(finished), policy.max_attempts)
    if is_check:
        visibility = grading.Visibility(show_missed=True, show_key_and_rationales=True)
    else:
        visibility = grading.review_visibility(
            policy.review,
            passed=enrollment.post_test_passed_at is not None,
            attempts_left=left,
        )
    objective_text = {o.id: o.text for m in version.modules for o in m.objectives}
    return render_template(
        "quiz/result.html",
        attempt=attempt,
        course=enrollment.course,
        version=version,
        enrollment=enrollment,
        is_check=is_check,
        visibility=visibility,
        objective_text=objective_text,
        attempts_left=None if is_check else left,
        pass_mark=round(policy.pass_mark * 100),
        form=QuizForm(),
    )


def _history_panel(user: Any, enrollments: Any) -> tuple[str, dict[str, Any]] | None:
    # every final post-test sets its enrollment's score of record (services.submit_attempt),
    # so a learner with none has no history to read
    if all(e.post_test_score is None for e in enrollments):
        return None
    history = queries.history(user.id)
    if not history:
        return None
    return "quiz/_history_panel.html", {"history": history}


add_dashboard_panel(_history_panel)
