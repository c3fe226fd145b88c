"""Every graded attempt has its items as `attempt_item` rows, written once with the grade,
and reports can aggregate them per question and per option in SQL."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select, true

from ceu.catalog.models import Question
from ceu.extensions import db, utcnow
from ceu.quiz import services
from ceu.quiz.models import FINAL_STATES, Attempt, AttemptItem, AttemptState
from tests.quiz.conftest import answers, post, start_post_test

PARALLEL_SUBMITS = 20


def item_rows(attempt_id: int) -> list[AttemptItem]:
    return list(
        db.session.scalars(
            select(AttemptItem)
            .where(AttemptItem.attempt_id == attempt_id)
            .order_by(AttemptItem.position)
        )
    )


def assert_rows_match_the_grade(attempt: Attempt) -> None:
    """One row per shown item, in form order, agreeing with the stored result and answers."""
    rows = item_rows(attempt.id)
    assert [row.position for row in rows] == list(range(1, len(attempt.form) + 1))
    for row, item in zip(rows, attempt.form, strict=True):
        graded = attempt.result["items"][item["id"]]
        chosen = set(attempt.answers.get(item["id"], []))
        assert (row.qid, row.question_id, row.question_hash, row.type) == (
            item["id"],
            item["question_id"],
            item["content_hash"],
            item["type"],
        )
        assert row.chosen == [o["id"] for o in item["options"] if o["id"] in chosen]
        assert (row.score, row.is_correct) == (graded["score"], graded["is_correct"])


def assert_every_graded_attempt_has_its_items() -> None:
    items = (
        select(AttemptItem.attempt_id, func.count().label("n"))
        .group_by(AttemptItem.attempt_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Attempt, items.c.n)
        .outerjoin(items, items.c.attempt_id == Attempt.id)
        .where(Attempt.state.in_([s.value for s in FINAL_STATES]))
    ).all()
    assert rows
    assert all(n == len(attempt.form) for attempt, n in rows), [
        (a.id, n, len(a.form)) for a, n in rows
    ]


def test_a_submitted_post_test_writes_one_row_per_item(client, ready_learner):
    attempt = start_post_test(client)
    resp = post(
        client, f"/attempts/{attempt.id}/submit", {**answers(attempt, correct=2), "confirm": "1"}
    )
    assert resp.status_code == 302
    db.session.expire_all()
    graded = db.session.get(Attempt, attempt.id)
    assert_rows_match_the_grade(graded)
    rows = item_rows(attempt.id)
    assert [row.is_correct for row in rows] == [True, True] + [False] * (len(rows) - 2)
    question = db.session.get(Question, rows[0].question_id)
    assert (question.qid, question.content_hash) == (rows[0].qid, rows[0].question_hash)


def test_an_unanswered_item_is_a_row_with_nothing_chosen(client, ready_learner):
    attempt = start_post_test(client)
    data = answers(attempt)
    skipped = attempt.form[0]["id"]
    del data[f"q-{skipped}"]
    post(client, f"/attempts/{attempt.id}/submit", {**data, "confirm": "1"})
    first = item_rows(attempt.id)[0]
    assert (first.qid, first.chosen, first.score, first.is_correct) == (skipped, [], 0.0, False)


def test_knowledge_checks_and_expired_attempts_write_their_rows(client, ready_learner):
    check_id = int(
        post(client, "/courses/minimal-course/modules/1/check").headers["Location"].split("/")[-1]
    )
    check = db.session.get(Attempt, check_id)
    post(client, f"/attempts/{check_id}/submit", {**answers(check, correct=1), "confirm": "1"})
    attempt = start_post_test(client)
    saved = answers(attempt, correct=2)
    post(client, f"/attempts/{attempt.id}/save", saved, page=f"/attempts/{attempt.id}")
    attempt.deadline_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert client.get(f"/attempts/{attempt.id}").status_code == 302  # graded on opening
    db.session.expire_all()
    expired = db.session.get(Attempt, attempt.id)
    assert expired.state == AttemptState.EXPIRED
    assert_rows_match_the_grade(expired)
    assert_rows_match_the_grade(db.session.get(Attempt, check_id))
    assert sum(row.is_correct for row in item_rows(attempt.id)) == 2
    assert_every_graded_attempt_has_its_items()


def test_a_repeated_submit_writes_the_rows_once(client, ready_learner):
    attempt = start_post_test(client)
    for _ in range(2):
        post(client, f"/attempts/{attempt.id}/submit", {**answers(attempt), "confirm": "1"})
    db.session.expire_all()
    assert len(item_rows(attempt.id)) == len(attempt.form)
    assert_every_graded_attempt_has_its_items()


def test_parallel_submits_grade_once_and_write_the_rows_once(app, client, ready_learner):
    attempt = start_post_test(client)
    data = answers(attempt, correct=3)
    barrier = threading.Barrier(PARALLEL_SUBMITS)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=30)
            with app.app_context():
                mine = db.session.get(Attempt, attempt.id)
                services.submit_attempt(attempt=mine, raw=data)
                db.session.commit()
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(PARALLEL_SUBMITS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    db.session.expire_all()
    graded = db.session.get(Attempt, attempt.id)
    assert graded.state == AttemptState.GRADED
    assert graded.score == 0.75
    assert_rows_match_the_grade(graded)
    assert db.session.scalar(select(func.count()).select_from(AttemptItem)) == len(graded.form)


def test_reports_aggregate_per_question_and_per_option_in_sql(client, ready_learner, backend):
    first = start_post_test(client)
    post(client, f"/attempts/{first.id}/submit", {**answers(first, correct=0), "confirm": "1"})
    second = start_post_test(client)
    post(client, f"/attempts/{second.id}/submit", {**answers(second), "confirm": "1"})
    db.session.expire_all()
    attempts = [db.session.get(Attempt, a.id) for a in (first, second)]

    facility = dict(
        db.session.execute(
            select(AttemptItem.qid, func.avg(AttemptItem.score)).group_by(AttemptItem.qid)
        ).all()
    )
    expected: dict[str, list[float]] = {}
    for attempt in attempts:
        for qid, graded in attempt.result["items"].items():
            expected.setdefault(qid, []).append(graded["score"])
    assert facility == {qid: sum(s) / len(s) for qid, s in expected.items()}

    # per option: the chosen option ids, one SQL row each (a JSON array's elements)
    elements = "json_each" if backend == "sqlite" else "json_array_elements_text"
    picked = getattr(func, elements)(AttemptItem.chosen).table_valued("value").alias("picked")
    counts = {
        (qid, value): n
        for qid, value, n in db.session.execute(
            select(AttemptItem.qid, picked.c.value, func.count())
            .select_from(AttemptItem)
            .join(picked, true())
            .group_by(AttemptItem.qid, picked.c.value)
        )
    }
    want: dict[tuple[str, str], int] = {}
    for attempt in attempts:
        for qid, chosen in attempt.answers.items():
            for option_id in chosen:
                want[qid, option_id] = want.get((qid, option_id), 0) + 1
    assert counts == want
    assert counts
