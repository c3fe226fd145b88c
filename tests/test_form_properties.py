"""Property-based: whatever is typed into any form, the answer is never 5xx, and a refusal
(4xx) changes nothing in the database.

Every form of the app is listed in FORMS with the page that shows it; the fields sent are
the ones that page renders (so prefixes and per-question names are covered), filled by
hypothesis with arbitrary Unicode (NUL and other control characters included), repeated
values, overlong and empty values, or left out.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from ceu.auth.models import Role
from ceu.extensions import db
from tests.conftest import csrf_from, log_in


@dataclass(frozen=True)
class FormCase:
    name: str
    role: str  # "anonymous", "learner" (owns the objects) or "admin"
    page: Callable[[dict[str, Any]], str]
    action: Callable[[dict[str, Any]], str] | None = None  # default: the page itself
    # an incomplete submit keeps what was typed (answers saved) while it lists what is missing
    refusal_saves_draft: bool = False


FORMS = [
    FormCase("register", "anonymous", lambda o: "/register"),
    FormCase("login", "anonymous", lambda o: "/login"),
    FormCase("reset request", "anonymous", lambda o: "/password/reset"),
    FormCase("reset password", "anonymous", lambda o: f"/password/reset/{o['reset_token']}"),
    FormCase("profile", "learner", lambda o: "/account/profile"),
    FormCase("change password", "learner", lambda o: "/account/password"),
    FormCase(
        "quiz save",
        "learner",
        lambda o: f"/attempts/{o['attempt'].id}",
        lambda o: f"/attempts/{o['attempt'].id}/save",
    ),
    FormCase(
        "quiz submit",
        "learner",
        lambda o: f"/attempts/{o['attempt'].id}",
        lambda o: f"/attempts/{o['attempt'].id}/submit",
        refusal_saves_draft=True,
    ),
    FormCase("evaluation", "finished", lambda o: "/courses/minimal-course/evaluation"),
    FormCase(
        "revoke",
        "admin",
        lambda o: f"/admin/certificates/{o['certificate'].id}",
        lambda o: f"/admin/certificates/{o['certificate'].id}/revoke",
    ),
    FormCase(
        "correct name",
        "admin",
        lambda o: f"/admin/certificates/{o['certificate'].id}",
        lambda o: f"/admin/certificates/{o['certificate'].id}/correct",
    ),
    FormCase(
        "manual issue",
        "admin",
        lambda o: "/admin/certificates",
        lambda o: "/admin/certificates/issue",
    ),
    FormCase(
        "approve", "admin", lambda o: "/admin/certificates", lambda o: "/admin/certificates/approve"
    ),
    FormCase("provider", "admin", lambda o: "/admin/provider"),
    FormCase(
        "roles",
        "admin",
        lambda o: "/admin/users",
        lambda o: f"/admin/users/{o['learner'].id}/roles",
    ),
]

_NAME = re.compile(r'name="([^"]+)"')
_value = st.one_of(
    st.text(max_size=40),
    st.text(max_size=3000),
    st.sampled_from(["", " ", "0", "-1", "99999999999999999999", "2026-02-30", "grant", "admin"]),
)
_field = st.one_of(_value, st.lists(_value, min_size=2, max_size=3))


@pytest.fixture
def app_config(app_config):
    app_config["RATELIMIT_ENABLED"] = False  # hundreds of posts from one address
    return app_config


@pytest.fixture
def objects(make_user, course, enroll) -> dict[str, Any]:
    from ceu.auth.services import make_reset_token
    from ceu.certificates import services as certificates
    from ceu.learning.services import complete_module
    from ceu.quiz import services as quiz
    from ceu.quiz.models import AttemptKind

    learner = make_user(Role.LEARNER)
    attempt = quiz.start_attempt(
        enrollment=enroll(learner, course), kind=AttemptKind.KNOWLEDGE_CHECK, module_position=1
    )
    finished = make_user(Role.LEARNER)
    enrollment = enroll(finished, course)
    for module in course.current_version.modules:
        complete_module(enrollment=enrollment, module=module)
    post_test = quiz.start_attempt(enrollment=enrollment, kind=AttemptKind.POST_TEST)
    quiz.submit_attempt(
        attempt=post_test, raw={f"q-{i['id']}": list(i["key"]) for i in post_test.form}
    )
    certificates.update_provider_settings(
        actor=None, provider_name="P", signatory_name="S", signatory_title="T",
        approval_statements=[],
    )  # fmt: skip
    admin = make_user(Role.ADMIN)
    certificate = certificates.issue_manually(
        user=make_user(Role.LEARNER),
        course=course,
        actor=admin,
        completed_on=date(2026, 1, 5),
        reason="property test",
        verify_base="http://localhost/",
    )
    db.session.commit()
    return {
        "anonymous": None,
        "learner": learner,
        "finished": finished,
        "admin": admin,
        "attempt": attempt,
        "certificate": certificate,
        "reset_token": make_reset_token(user=make_user(Role.LEARNER)),
    }


# Bookkeeping a refusal is meant to write: a wrong password counts toward the throttle.
BOOKKEEPING = {"login_throttle", "rate_limit_counter"}


def snapshot() -> list[Any]:
    """Every row of every table, to tell whether a request changed anything."""
    db.session.rollback()
    return [
        sorted(map(repr, db.session.execute(select(table)).all()))
        for table in db.metadata.sorted_tables
        if table.name not in BOOKKEEPING
    ]


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.name)
def test_any_input_to_any_form_is_answered_without_a_server_error(form, app, objects):
    client = app.test_client()
    if objects[form.role] is not None:
        log_in(client, objects[form.role])
    page = client.get(form.page(objects))
    html = page.get_data(as_text=True)
    assert page.status_code == 200, form.name
    names = sorted(set(_NAME.findall(html)) - {"csrf_token"})
    assert names, f"{form.name}: the page shows no fields"
    token = csrf_from(html)
    action = (form.action or form.page)(objects)

    @settings(
        max_examples=12,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(data=st.fixed_dictionaries({}, optional=dict.fromkeys(names, _field)))
    def check(data: dict[str, Any]) -> None:
        before = snapshot()
        resp = client.post(action, data={**data, "csrf_token": token})
        resp.close()
        assert resp.status_code < 500, (form.name, data)
        if 400 <= resp.status_code < 500 and not form.refusal_saves_draft:
            assert snapshot() == before, f"{form.name}: refused with {resp.status_code} yet wrote"

    check()
