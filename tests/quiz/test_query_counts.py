"""The quiz's hot requests read the attempt, its enrollment and course in one statement
and take the course version from the per-process snapshot."""

from __future__ import annotations

from ceu.extensions import db
from tests.conftest import StatementCounter, csrf_from
from tests.quiz.conftest import answers, start_post_test


def _count(client, method: str, url: str, data: dict | None = None) -> tuple[int, list[str]]:
    token = csrf_from(client.get("/password/reset").get_data(as_text=True))
    with StatementCounter(db.engine) as counter:
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={**(data or {}), "csrf_token": token})
    assert response.status_code in (200, 302), response.status_code
    return counter.count, counter.statements


def test_take_submit_and_result_use_few_statements(client, ready_learner):
    attempt = start_post_test(client)
    client.get(f"/attempts/{attempt.id}")  # the version's snapshot is now in this process
    take, _ = _count(client, "GET", f"/attempts/{attempt.id}")
    submit, statements = _count(
        client, "POST", f"/attempts/{attempt.id}/submit", {**answers(attempt), "confirm": "1"}
    )
    result, _ = _count(client, "GET", f"/attempts/{attempt.id}/result")
    assert take == 2  # the signed-in user; the attempt with its enrollment and course
    # ... then the earlier scores, the attempt's one UPDATE, its items' one INSERT (one
    # executemany for every item), the enrollment's score of record
    assert submit == 6, statements
    writes = [s.split()[:3] for s in statements if s.startswith(("UPDATE", "INSERT"))]
    assert writes == [
        ["UPDATE", "attempt", "SET"],
        ["INSERT", "INTO", "attempt_item"],
        ["UPDATE", "enrollment", "SET"],
    ]
    assert result == 3  # ... and the attempts at this test, for the attempts left
