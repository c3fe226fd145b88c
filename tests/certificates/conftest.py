"""Certificate fixtures: provider settings, and learners who finished the example course."""

from __future__ import annotations

from typing import Any

import pytest

from ceu.certificates import services
from ceu.extensions import db
from ceu.learning.services import complete_module
from ceu.quiz import services as quiz_services
from ceu.quiz.models import AttemptKind

APPROVAL = {
    "board": "NBCC",
    "number": "0000",
    "statement": "Example Provider has been approved by NBCC as an Approved Continuing "
    "Education Provider. Example Provider is solely responsible for all aspects of the "
    "programs.",
}


@pytest.fixture
def provider(app) -> Any:
    settings = services.update_provider_settings(
        actor=None,
        provider_name="Example CE Provider",
        signatory_name="Jordan Example",
        signatory_title="Continuing Education Director",
        approval_statements=[APPROVAL],
    )
    db.session.commit()
    return settings


def pass_post_test(enrollment) -> None:
    attempt = quiz_services.start_attempt(enrollment=enrollment, kind=AttemptKind.POST_TEST)
    raw = {f"q-{item['id']}": list(item["key"]) for item in attempt.form}
    quiz_services.submit_attempt(attempt=attempt, raw=raw)


@pytest.fixture
def finish(course, enroll) -> Any:
    """Bring a learner to 'everything but the evaluation' (or everything, with evaluate=True)."""

    def do(user, *, evaluate: bool = False):
        enrollment = enroll(user, course)
        for module in course.current_version.modules:
            complete_module(enrollment=enrollment, module=module)
        pass_post_test(enrollment)
        if evaluate:
            assert services.submit_evaluation(enrollment=enrollment, raw=EVALUATION) == []
        db.session.commit()
        return enrollment

    return do


EVALUATION = {
    "attest": "yes",
    "e-objectives_met.CO1": "5",
    "e-objectives_met.CO2": "4",
    "e-relevance": "4",
    "e-minutes_taken": "20",
    "e-comments": "Clear and useful.",
}
