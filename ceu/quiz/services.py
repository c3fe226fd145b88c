"""Quiz writes: start, save, submit and grade attempts. Keyword-only; flush, never commit.

Submitting is safe under double clicks, two tabs, replays and true parallelism: the
in_progress -> graded step is one conditional UPDATE, so exactly one request wins and
every other one sees the attempt already graded and shows the same result.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from ceu.catalog import queries as catalog_queries
from ceu.catalog.models import Module, Question
from ceu.core.errors import UserError
from ceu.domain import grading
from ceu.domain.content import PostTestPolicy, Scoring
from ceu.domain.questions import InvalidResponse, QuestionSpec
from ceu.extensions import db, utcnow
from ceu.learning import queries as learning_queries
from ceu.learning.models import Enrollment
from ceu.quiz import queries
from ceu.quiz.models import FINAL_STATES, Attempt, AttemptItem, AttemptKind, AttemptState


class QuizError(UserError):
    """A user-facing reason a quiz action was refused; nothing was changed."""


def _rng() -> random.Random:
    return random.Random(secrets.randbits(64))  # noqa: S311 (fairness, not secrecy)


def _snapshot(question: Question, module: Module, option_order: Sequence[str]) -> dict[str, Any]:
    """Everything needed to show, grade and review the item later, frozen at draw time."""
    options = {o["id"]: o for o in question.content["options"]}
    sections = {s["id"]: s["title"] for s in module.sections}
    return {
        "id": question.qid,
        "question_id": question.id,
        "content_hash": question.content_hash,
        "type": question.type,
        "stem": question.content["stem"],
        "options": [options[i] for i in option_order],
        "key": list(question.content["key"]),
        "objectives": list(question.objectives),
        "module": module.slug,
        "module_position": module.position,
        "module_title": module.title,
        "section": question.section,
        "section_title": sections.get(question.section, question.section),
    }


def _draw(
    modules: Sequence[Module],
    pool: str,
    blueprint: Sequence[tuple[str, int]],
    avoid: frozenset[str],
) -> list[dict[str, Any]]:
    by_slug = {m.slug: m for m in modules}
    questions = db.session.scalars(
        select(Question)
        .where(Question.module_id.in_([m.id for m in modules]), Question.pool == pool)
        .order_by(Question.module_id, Question.position)
    ).all()
    module_of = {m.id: m for m in modules}
    refs = [
        grading.ItemRef(
            id=q.qid,
            module=module_of[q.module_id].slug,
            objectives=tuple(q.objectives),
            difficulty=q.difficulty,
            type=q.type,
            option_ids=tuple(o["id"] for o in q.content["options"]),
        )
        for q in questions
    ]
    form = grading.draw_form(refs, blueprint, _rng(), avoid=avoid)
    by_qid = {q.qid: q for q in questions}
    return [
        _snapshot(
            by_qid[item.id], by_slug[module_of[by_qid[item.id].module_id].slug], item.option_order
        )
        for item in form.items
    ]


def start_attempt(
    *,
    enrollment: Enrollment,
    kind: AttemptKind,
    module_position: int = 0,
    now: datetime | None = None,
) -> Attempt:
    """Resume the attempt in progress, or draw a new form when the policy allows one."""
    now = now or utcnow()
    existing = queries.open_attempt(enrollment, kind, module_position)
    if existing is not None:
        return existing
    version = enrollment.version
    modules = learning_queries.modules_of(version.id)  # without the modules' HTML
    previous = queries.attempts(enrollment, kind, module_position)
    if kind == AttemptKind.POST_TEST:
        _check_post_test_allowed(enrollment, previous, now)
        policy = version.policy.post_test
        blueprint = [(entry.module, entry.items) for entry in policy.blueprint]
        time_limit = policy.time_limit_minutes
    else:
        module = next((m for m in modules if m.position == module_position), None)
        if module is None:
            raise QuizError("This module has no knowledge check.")
        count = min(
            version.policy.knowledge_check.items,
            sum(1 for q in module.questions if q.pool == "knowledge_check"),
        )
        if count == 0:
            raise QuizError("This module has no knowledge check.")
        modules, blueprint, time_limit = [module], [(module.slug, count)], None
    avoid = frozenset(item["id"] for item in previous[-1].form) if previous else frozenset()
    pool = "post_test" if kind == AttemptKind.POST_TEST else "knowledge_check"
    attempt = Attempt(
        enrollment_id=enrollment.id,
        kind=kind.value,
        module_position=module_position,
        number=len(previous) + 1,
        form=_draw(modules, pool, blueprint, avoid),
        answers={},
        started_at=now,
        deadline_at=now + timedelta(minutes=time_limit) if time_limit else None,
    )
    try:
        with db.session.begin_nested():  # a second tab may start the same test right now
            db.session.add(attempt)
    except IntegrityError:
        winner = queries.open_attempt(enrollment, kind, module_position)
        if winner is None:
            raise QuizError("The test could not be started; please try again.") from None
        return winner
    return attempt


def _check_post_test_allowed(
    enrollment: Enrollment, previous: list[Attempt], now: datetime
) -> None:
    policy = enrollment.version.policy.post_test
    if not enrollment.is_active:
        raise QuizError("You are not enrolled in this course.")
    if not queries.post_test_unlocked(enrollment):
        raise QuizError(
            "The post-test opens once you have read every module and spent the minimum "
            "reading time in each."
        )
    finished = [a for a in previous if a.is_final]
    if enrollment.post_test_passed_at is not None:  # the result of record already passes
        raise QuizError("You have already passed the post-test.")
    left = grading.attempts_left(len(finished), policy.max_attempts)
    if left is not None and left <= 0:
        raise QuizError("You have used every attempt this course allows.")
    last_end = max((a.graded_at for a in finished if a.graded_at), default=None)
    allowed_at = grading.next_attempt_allowed_at(last_end, policy.wait_hours_between_attempts)
    if allowed_at is not None and now < allowed_at:
        raise QuizError(f"Your next attempt opens at {allowed_at:%Y-%m-%d %H:%M} UTC.")


def read_answers(attempt: Attempt, raw: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """The form's answers as {question id: [option ids]}; QuizError when malformed."""
    return _parse_answers(attempt.specs(), raw)


def _parse_answers(
    specs: Sequence[QuestionSpec], raw: Mapping[str, Sequence[str]]
) -> dict[str, list[str]]:
    fields = {k[2:]: list(v) for k, v in raw.items() if k.startswith("q-")}
    try:
        parsed = grading.parse_responses(specs, fields)
    except InvalidResponse as exc:
        raise QuizError(str(exc)) from exc
    return {qid: sorted(choice) for qid, choice in parsed.items() if choice}


def save_answers(
    *, attempt: Attempt, raw: Mapping[str, Sequence[str]], now: datetime | None = None
) -> Attempt:
    """Keep the learner's answers so far (the attempt survives a closed browser)."""
    now = now or utcnow()
    if attempt.is_open and attempt.is_overdue(now):
        return finish_overdue(attempt=attempt, now=now)
    answers = read_answers(attempt, raw)
    if not attempt.is_open:
        raise QuizError("This attempt is already submitted; your answers can no longer change.")
    attempt.save_answers(answers, now)
    db.session.flush()
    return attempt


def submit_attempt(
    *,
    attempt: Attempt,
    raw: Mapping[str, Sequence[str]] | None,
    now: datetime | None = None,
    version: catalog_queries.VersionView | None = None,
) -> Attempt:
    """Save the final answers and grade once; a repeated submit returns the same result.

    The attempt is graded first, in memory, and the earlier attempts' scores are read
    before anything is written; then one conditional UPDATE submits and grades it and the
    enrollment's score of record follows. On SQLite the write lock is held for those two
    writes and the commit only. `version`: the snapshot of the attempt's course version,
    when the caller has it (otherwise it is looked up).
    """
    now = now or utcnow()
    if not attempt.is_open:
        return attempt  # double click, second tab or replay: already graded
    expired = attempt.is_overdue(now)
    specs = attempt.specs()
    answers = attempt.answers if expired or raw is None else _parse_answers(specs, raw)
    version = version or catalog_queries.version(attempt.enrollment.version_id)
    policy = version.policy.post_test
    grade, item_rows = _grade(attempt, specs, answers, policy)
    values = attempt.graded(**grade, now=now, expired=expired)
    is_post_test = attempt.kind == AttemptKind.POST_TEST
    # no other attempt at this test can end meanwhile: only one is ever in progress
    earlier = _final_post_test_scores(attempt.enrollment_id) if is_post_test else []
    claimed = db.session.execute(_SUBMIT_AND_GRADE, {"attempt_id": attempt.id, **values}).rowcount
    if claimed != 1:
        db.session.refresh(attempt)
        return attempt  # another request won the race and graded it
    if item_rows:  # one executemany, by the request that graded it
        db.session.execute(_INSERT_ITEMS, item_rows)
    for key, value in values.items():
        set_committed_value(attempt, key, value)
    if is_post_test:
        _update_result_of_record(attempt.enrollment, [*earlier, values["score"]], policy, now)
    return attempt


_ATTEMPT = Attempt.__table__
_GRADED_COLUMNS = ("state", "answers", "submitted_at", "graded_at", "score", "is_passed", "result")
_SUBMIT_AND_GRADE = (
    update(_ATTEMPT)
    .where(
        _ATTEMPT.c.id == bindparam("attempt_id"),
        _ATTEMPT.c.state == AttemptState.IN_PROGRESS.value,
    )
    .values({name: bindparam(name, type_=_ATTEMPT.c[name].type) for name in _GRADED_COLUMNS})
)


_INSERT_ITEMS = insert(AttemptItem.__table__)


def finish_overdue(*, attempt: Attempt, now: datetime | None = None) -> Attempt:
    """Past the time limit: grade what was saved (the server's clock decides)."""
    return submit_attempt(attempt=attempt, raw=None, now=now or utcnow())


def _grade(
    attempt: Attempt,
    specs: Sequence[QuestionSpec],
    answers: Mapping[str, Sequence[str]],
    policy: PostTestPolicy,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Score, pass and the stored result of these answers to the attempt's form, and its
    `attempt_item` rows."""
    partial = policy.multiple_response_scoring is Scoring.PARTIAL
    entries = [
        grading.GradableEntry(
            spec=spec,
            response=frozenset(answers.get(spec.id, [])),
            objectives=tuple(item["objectives"]),
            module=item["module"],
            section=item["section"],
        )
        for spec, item in zip(specs, attempt.form, strict=True)
    ]
    result = grading.grade_form(entries, partial_credit=partial)
    if attempt.kind == AttemptKind.POST_TEST:
        passed = grading.is_pass(result.score, policy.pass_mark)
    else:
        passed = result.score == 1
    item_rows = [
        {
            "attempt_id": attempt.id,
            "position": position,
            "question_id": item["question_id"],
            "qid": item["id"],
            "question_hash": item["content_hash"],
            "type": item["type"],
            "chosen": list(graded.chosen),
            "score": graded.score,
            "is_correct": graded.is_correct,
        }
        for position, (item, graded) in enumerate(zip(attempt.form, result.items, strict=True), 1)
    ]
    return {
        "answers": dict(answers),
        "score": result.score,
        "passed": passed,
        "result": {
            "points": result.points,
            "possible": result.possible,
            "items": {r.id: {"score": r.score, "is_correct": r.is_correct} for r in result.items},
            "by_objective": [
                {
                    "objective": o.objective,
                    "correct": o.correct,
                    "total": o.total,
                    "module": o.module,
                    "sections": list(o.sections),
                }
                for o in result.by_objective
            ],
        },
    }, item_rows


_FINAL_POST_TEST_SCORES = (
    select(_ATTEMPT.c.score)
    .where(
        _ATTEMPT.c.enrollment_id == bindparam("enrollment"),
        _ATTEMPT.c.kind == AttemptKind.POST_TEST.value,
        _ATTEMPT.c.module_position == 0,
        _ATTEMPT.c.state.in_([state.value for state in FINAL_STATES]),
    )
    .order_by(_ATTEMPT.c.number)
)


_ENROLLMENT = Enrollment.__table__
_SCORE_OF_RECORD = (
    update(_ENROLLMENT)
    .where(_ENROLLMENT.c.id == bindparam("enrollment"))
    .values(
        post_test_score=bindparam("score", type_=_ENROLLMENT.c.post_test_score.type),
        post_test_passed_at=bindparam("passed_at", type_=_ENROLLMENT.c.post_test_passed_at.type),
    )
)


def _final_post_test_scores(enrollment_id: int) -> list[float]:
    """The scores of the learner's finished post-test attempts, oldest first."""
    scores = db.session.scalars(_FINAL_POST_TEST_SCORES, {"enrollment": enrollment_id})
    return [score or 0.0 for score in scores]


def _update_result_of_record(
    enrollment: Enrollment, scores: list[float], policy: PostTestPolicy, now: datetime
) -> None:
    """The course's grading method decides the score that counts (highest by default)."""
    score = grading.result_of_record(scores, policy.grading_method)
    passed_at = None
    if score is not None and grading.is_pass(score, policy.pass_mark):
        passed_at = enrollment.post_test_passed_at or now
    if (score, passed_at) == (enrollment.post_test_score, enrollment.post_test_passed_at):
        return
    db.session.execute(
        _SCORE_OF_RECORD, {"enrollment": enrollment.id, "score": score, "passed_at": passed_at}
    )
    set_committed_value(enrollment, "post_test_score", score)
    set_committed_value(enrollment, "post_test_passed_at", passed_at)
