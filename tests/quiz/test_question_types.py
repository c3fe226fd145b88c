"""A question type is one class plus its macros: a toy type, registered by the test, is
imported, drawn, rendered, parsed, graded, reviewed and recorded without touching ceu."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy import select

from ceu.catalog.services import import_course
from ceu.domain.questions import (
    QUESTION_TYPES,
    QuestionSpec,
    QuestionType,
    SpecProblem,
    register_question_type,
)
from ceu.extensions import db
from ceu.files import load_course
from ceu.learning.services import complete_module
from ceu.quiz.models import Attempt, AttemptItem
from tests.conftest import EXAMPLE_COURSE
from tests.quiz.conftest import post

TOY_MACROS = """
{% macro take(item, n, chosen, missing) -%}
<fieldset class="toy"><legend>Question {{ n }}: {{ item.stem }} ({{ item.hint }})</legend>
<select multiple name="q-{{ item.id }}" aria-label="Choices for question {{ n }}">
{% for o in item.options %}
<option value="{{ o.id }}"{% if o.id in chosen %} selected{% endif %}>{{ o.text }}</option>
{% endfor %}
</select></fieldset>
{%- endmacro %}
{% macro review(item, chosen) -%}
<p class="toy-review">Toy key {{ item.key|join('+') }}; toy answer {{ chosen|join('+') }}</p>
{%- endmacro %}
"""


class PickTwo(QuestionType):
    """Pick the two right options of four: half a point for each one found."""

    name = "pick_two"
    label = "Pick two"
    min_options = 4
    max_options = 4
    max_choices = 2
    key_is_list = True

    @classmethod
    def type_problems(cls, spec: QuestionSpec) -> list[SpecProblem]:
        if len(spec.key) != 2:
            return [SpecProblem("key", "a pick_two question has exactly two keys")]
        return []

    @classmethod
    def public_view(cls, spec: QuestionSpec) -> dict[str, Any]:
        return {**super().public_view(spec), "hint": "pick two"}

    @classmethod
    def grade(
        cls, spec: QuestionSpec, response: frozenset[str], *, partial_credit: bool = False
    ) -> float:
        cls._check_response(spec, response)
        return len(response & set(spec.key)) / 2

    @classmethod
    def record_response(cls, spec: QuestionSpec, response: frozenset[str]) -> tuple[str, ...]:
        return tuple(sorted(response, reverse=True))  # this type's own record: z to a


@pytest.fixture
def toy_type(app) -> Iterator[type[QuestionType]]:
    toy = register_question_type(PickTwo)
    app.jinja_env.loader = ChoiceLoader(
        [DictLoader({"quiz/types/pick_two.html": TOY_MACROS}), app.jinja_env.loader]
    )
    yield toy
    del QUESTION_TYPES[toy.name]


def toy_course(folder: Path) -> Path:
    """The example course with every post-test item of module 1 made a pick_two item."""
    course = folder / "minimal-course"
    shutil.copytree(EXAMPLE_COURSE, course)
    bank = course / "01-record-keeping" / "questions.yaml"
    items = yaml.safe_load(bank.read_text(encoding="utf-8"))
    for item in items:
        if item["pool"] != "post_test":
            continue
        item["type"] = "pick_two"
        item["options"] = [
            {"id": letter, "text": f"Toy option {letter}.", "rationale": f"Why {letter}."}
            for letter in "abcd"
        ]
        item["key"] = ["a", "c"]
    bank.write_text(yaml.safe_dump(items, sort_keys=False), encoding="utf-8")
    policy = course / "course.yaml"
    policy.write_text(
        policy.read_text(encoding="utf-8").replace(
            "review: after_pass_or_last_attempt", "review: always"
        ),
        encoding="utf-8",
    )
    return course


def test_a_registered_toy_type_is_taken_end_to_end(client, login_as, enroll, toy_type, tmp_path):
    course = import_course(parsed=load_course(toy_course(tmp_path))).course
    db.session.commit()
    learner = login_as()
    enrollment = enroll(learner, course)
    for module in course.current_version.modules:
        complete_module(enrollment=enrollment, module=module)
    db.session.commit()

    started = post(client, "/courses/minimal-course/post-test/start")
    attempt = db.session.get(Attempt, int(started.headers["Location"].split("/")[-1]))
    toys = [item for item in attempt.form if item["type"] == "pick_two"]
    assert len(toys) == 2  # the blueprint draws two items of module 1
    page = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    for item in toys:
        assert f'<select multiple name="q-{item["id"]}"' in page
        assert f"{item['stem']} (pick two)" in page
    assert "Toy key" not in page  # keys stay hidden before submitting

    data = {}
    for item in attempt.form:
        if item["type"] == "pick_two":
            data[f"q-{item['id']}"] = ["a", "b"]  # one of the two keys
        else:
            data[f"q-{item['id']}"] = list(item["key"])
    too_many = {**data, f"q-{toys[0]['id']}": ["a", "b", "c"]}
    refused = post(client, f"/attempts/{attempt.id}/submit", {**too_many, "confirm": "1"})
    assert refused.status_code == 422  # the type's max_choices, through the generic parser
    assert (
        post(client, f"/attempts/{attempt.id}/submit", {**data, "confirm": "1"}).status_code == 302
    )

    db.session.expire_all()
    graded = db.session.get(Attempt, attempt.id)
    assert graded.score == 0.75  # 0.5 + 0.5 + 1 + 1 over four items
    assert {graded.result["items"][item["id"]]["score"] for item in toys} == {0.5}
    rows = db.session.scalars(
        select(AttemptItem).where(
            AttemptItem.attempt_id == attempt.id, AttemptItem.type == "pick_two"
        )
    ).all()
    assert [(row.chosen, row.score, row.is_correct) for row in rows] == [
        (["b", "a"], 0.5, False)
    ] * 2

    review = client.get(f"/attempts/{attempt.id}/result").get_data(as_text=True)
    assert review.count("Toy key a+c; toy answer a+b") == 2
    assert "(correct answer)" in review  # the built-in types keep their own review
