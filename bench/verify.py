"""After the run, count rows: one attempt per started test, each submitted one graded once
(with its 30 attempt_item rows)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import create_engine, func, select

from ceu.auth.models import User
from ceu.catalog.models import Course
from ceu.learning.models import Enrollment
from ceu.quiz.models import Attempt, AttemptItem


def verify_quiz(
    database_url: str, quiz_emails: list[str], load: dict[str, Any]
) -> tuple[bool, list[str]]:
    """(all good, one line per check) from the database rows and what the clients saw."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(
                    Attempt.id,
                    Attempt.enrollment_id,
                    Attempt.kind,
                    Attempt.number,
                    Attempt.state,
                    Attempt.submitted_at,
                    Attempt.graded_at,
                    Attempt.score,
                    Attempt.answers,
                    Attempt.result,
                    select(func.count())
                    .where(AttemptItem.attempt_id == Attempt.id)
                    .correlate(Attempt)
                    .scalar_subquery()
                    .label("item_rows"),
                    Enrollment.post_test_score,
                    User.email,
                    Course.slug,
                )
                .join(Enrollment, Enrollment.id == Attempt.enrollment_id)
                .join(User, User.id == Enrollment.user_id)
                .join(Course, Course.id == Enrollment.course_id)
                .where(User.email.in_(quiz_emails))
            ).all()
    finally:
        engine.dispose()

    checks: list[tuple[bool, str]] = []
    quiz = load.get("quiz", {})
    races = load.get("race", [])
    race_pairs = {(r["email"], r["slug"]) for r in races}
    by_pair = Counter((r.email, r.slug) for r in rows)
    by_id = {r.id: r for r in rows}

    errors = sum(
        p["errors"] for p in load["phases"] if p["name"] in ("start", "take", "save", "submit")
    )
    checks.append((errors == 0, f"HTTP errors in the quiz phases: {errors}"))

    started = {s["attempt_id"]: (s["email"], s["slug"]) for s in quiz.get("started", [])}
    load_rows = {r.id for r in rows if (r.email, r.slug) not in race_pairs}
    missing = set(started) - load_rows
    extra = load_rows - set(started)
    checks.append(
        (
            not missing and not extra and len(started) > 0,
            f"attempts started by clients {len(started)} = attempt rows {len(load_rows)}"
            f" (lost {len(missing)}, unexpected {len(extra)})",
        )
    )
    doubled = [p for p, n in by_pair.items() if n != 1]
    checks.append(
        (
            not doubled,
            f"exactly one attempt per started test: {len(by_pair)} tests,"
            f" {len(doubled)} with more than one",
        )
    )
    wrong_pair = [
        a for a, pair in started.items() if a in by_id and (by_id[a].email, by_id[a].slug) != pair
    ]
    checks.append(
        (not wrong_pair, f"attempts on the right learner and course: {len(wrong_pair)} wrong")
    )

    submitted = {s["attempt_id"]: s["answers"] for s in quiz.get("submitted", [])}
    bad_grade = []
    for attempt_id, answers in submitted.items():
        r = by_id.get(attempt_id)
        if (
            r is None
            or r.state != "graded"
            or r.graded_at is None
            or r.submitted_at is None
            or r.score is None
            or r.answers != answers
            or len((r.result or {}).get("items", {})) != 30
            or r.item_rows != 30
            or r.post_test_score is None
            or abs(r.post_test_score - r.score) > 1e-9
        ):
            bad_grade.append(attempt_id)
    graded_rows = sum(
        1 for r in rows if r.state in ("graded", "expired") and (r.email, r.slug) not in race_pairs
    )
    checks.append(
        (
            not bad_grade and graded_rows == len(submitted) and len(submitted) > 0,
            f"submitted {len(submitted)} = graded rows {graded_rows}; graded once with the answers"
            f" sent, 30 items and 30 attempt_item rows, score of record set:"
            f" {len(submitted) - len(bad_grade)} ok, {len(bad_grade)} not",
        )
    )
    open_rows = sum(
        1 for r in rows if r.state == "in_progress" and (r.email, r.slug) not in race_pairs
    )
    checks.append(
        (
            open_rows == len(started) - len(submitted),
            f"started but not submitted (time cap) still in progress: {open_rows}",
        )
    )

    race_bad = []
    for r in races:
        ids = r.get("start_ids", [])
        pair_rows = [row for row in rows if (row.email, row.slug) == (r["email"], r["slug"])]
        if (
            len(ids) != 2
            or ids[0] is None
            or ids[0] != ids[1]
            or not r.get("submit_ok")
            or len(pair_rows) != 1
            or pair_rows[0].state != "graded"
            or pair_rows[0].answers != r.get("answers")
        ):
            race_bad.append(f"{r['slug']}: starts {ids}, submits {r.get('submit')}")
    checks.append(
        (
            not race_bad and len(races) > 0,
            f"two tabs at once (double start + double submit) x{len(races)}: one attempt, same id,"
            f" graded once: {len(races) - len(race_bad)} ok"
            + (f"; {race_bad[:2]}" if race_bad else ""),
        )
    )
    return all(ok for ok, _ in checks), [("OK   " if ok else "FAIL ") + s for ok, s in checks]
