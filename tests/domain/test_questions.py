"""Question types: validation messages, response parsing and scoring (with properties)."""

import random
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ceu.domain import questions
from ceu.domain.questions import (
    QUESTION_TYPES,
    InvalidResponse,
    OptionSpec,
    QuestionSpec,
    QuestionType,
    register_question_type,
)

LETTERS = ("a", "b", "c", "d", "e")


def _option(option_id: str, text: str | None = None) -> OptionSpec:
    return OptionSpec(option_id, text or f"Option {option_id}", f"Because {option_id}.")


def _spec(kind: str, ids: tuple[str, ...], key: tuple[str, ...]) -> QuestionSpec:
    return QuestionSpec("q1", kind, tuple(_option(option_id) for option_id in ids), key)


TRUE_FALSE_OPTIONS = (
    OptionSpec("true", "True", "Because it is."),
    OptionSpec("false", "False", "Because it is not."),
)


# --------------------------------------------------------------------------- strategies


@st.composite
def single_specs(draw: st.DrawFn) -> QuestionSpec:
    count = draw(st.integers(min_value=3, max_value=5))
    ids = tuple(draw(st.permutations(LETTERS)))[:count]
    return _spec("single", ids, (draw(st.sampled_from(ids)),))


@st.composite
def multiple_specs(draw: st.DrawFn) -> QuestionSpec:
    count = draw(st.integers(min_value=3, max_value=5))
    ids = tuple(draw(st.permutations(LETTERS)))[:count]
    key_size = draw(st.integers(min_value=2, max_value=count - 1))
    key = tuple(draw(st.permutations(ids)))[:key_size]
    return _spec("multiple", ids, key)


@st.composite
def true_false_specs(draw: st.DrawFn) -> QuestionSpec:
    options = tuple(draw(st.permutations(TRUE_FALSE_OPTIONS)))
    return QuestionSpec("q1", "true_false", options, (draw(st.sampled_from(["true", "false"])),))


any_spec = st.one_of(single_specs(), multiple_specs(), true_false_specs())


@st.composite
def spec_and_response(draw: st.DrawFn) -> tuple[QuestionSpec, frozenset[str]]:
    spec = draw(any_spec)
    limit = QUESTION_TYPES[spec.type].max_choices
    chosen = draw(st.sets(st.sampled_from(spec.option_ids), max_size=limit))
    return spec, frozenset(chosen)


# --------------------------------------------------------------------------- registry


def test_registry_holds_the_three_types() -> None:
    assert set(QUESTION_TYPES) == {"single", "multiple", "true_false"}
    assert all(issubclass(cls, QuestionType) for cls in QUESTION_TYPES.values())


def test_adding_a_type_is_adding_a_class(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(questions, "QUESTION_TYPES", dict(QUESTION_TYPES))

    @register_question_type
    class Ranking(QuestionType):
        name = "ranking"

    assert questions.QUESTION_TYPES["ranking"] is Ranking
    assert "ranking" not in QUESTION_TYPES


def test_registering_a_name_twice_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(questions, "QUESTION_TYPES", dict(QUESTION_TYPES))
    with pytest.raises(ValueError, match="already registered"):

        @register_question_type
        class Again(QuestionType):
            name = "single"


def test_a_type_renders_with_the_template_named_after_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(questions, "QUESTION_TYPES", dict(QUESTION_TYPES))

    @register_question_type
    class Ranking(QuestionType):
        name = "ranking"

    assert Ranking.template == "quiz/types/ranking.html"
    assert QUESTION_TYPES["single"].template == "quiz/types/single.html"
    assert QUESTION_TYPES["true_false"].template == "quiz/types/single.html"  # its own choice


# --------------------------------------------------------------------------- what a type shows


@given(any_spec)
def test_the_public_view_never_holds_the_key_or_rationales(spec: QuestionSpec) -> None:
    view = QUESTION_TYPES[spec.type].public_view(spec)
    assert view["options"] == [{"id": o.id, "text": o.text} for o in spec.options]
    assert "key" not in view
    assert "select" not in view  # not even how many options are keyed


@given(any_spec, st.randoms(use_true_random=False))
def test_option_order_is_a_permutation_and_true_false_is_fixed(
    spec: QuestionSpec, rng: random.Random
) -> None:
    order = QUESTION_TYPES[spec.type].option_order(spec.option_ids, rng)
    assert sorted(order) == sorted(spec.option_ids)
    if spec.type == "true_false":
        assert order == ("true", "false")


@given(spec_and_response())
def test_a_response_is_recorded_as_the_chosen_options_in_the_order_shown(
    case: tuple[QuestionSpec, frozenset[str]],
) -> None:
    spec, response = case
    recorded = QUESTION_TYPES[spec.type].record_response(spec, response)
    assert set(recorded) == response
    assert list(recorded) == [o for o in spec.option_ids if o in response]


# --------------------------------------------------------------------------- validation


@given(any_spec)
def test_generated_specs_are_valid(spec: QuestionSpec) -> None:
    assert QUESTION_TYPES[spec.type].validate(spec) == []


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        (_spec("single", ("a", "b"), ("a",)), "has 2 options but needs 3 to 5"),
        (_spec("single", LETTERS + ("f",), ("a",)), "has 6 options but needs 3 to 5"),
        (_spec("single", ("a", "b", "c"), ("e",)), "key 'e' is not one of the options a, b, c"),
        (_spec("single", ("a", "b", "c"), ("a", "b")), "exactly one key"),
        (_spec("single", ("a", "b", "c"), ()), "the key is empty"),
        (_spec("single", ("a", "b", "x"), ("a",)), "option id 'x' is not a letter a–e"),
        (_spec("single", ("a", "b", "b"), ("a",)), "option id 'b' is used twice"),
        (_spec("multiple", ("a", "b", "c"), ("a",)), "needs at least 2 keys, not 1"),
        (_spec("multiple", ("a", "b", "c"), ("a", "b", "c")), "leave at least one option"),
        (_spec("multiple", ("a", "b", "c"), ("a", "a")), "lists an option twice"),
        (_spec("true_false", ("yes", "no"), ("yes",)), 'ids "true" and "false"'),
        (_spec("true_false", ("true", "false", "a"), ("true",)), "needs exactly 2"),
        (
            QuestionSpec("q1", "true_false", TRUE_FALSE_OPTIONS, ("true", "false")),
            "exactly one key",
        ),
        (
            QuestionSpec("q1", "true_false", TRUE_FALSE_OPTIONS, ("maybe",)),
            "key 'maybe' is not one of the options true, false",
        ),
    ],
)
def test_validate_explains_what_is_wrong(spec: QuestionSpec, fragment: str) -> None:
    messages = QUESTION_TYPES[spec.type].validate(spec)
    assert any(fragment in message for message in messages), messages
    assert all(" — " in message for message in messages)


def test_true_false_texts_must_be_true_and_false() -> None:
    options = (OptionSpec("true", "Yes", "r"), OptionSpec("false", "False", "r"))
    spec = QuestionSpec("q1", "true_false", options, ("true",))
    assert QUESTION_TYPES["true_false"].validate(spec) == [
        "option 'true' has text 'Yes' — set its text to 'True'"
    ]


@pytest.mark.parametrize(
    "text", ["All of the above", "none of the above.", "Both a and b; all the above"]
)
def test_all_or_none_of_the_above_is_refused(text: str) -> None:
    spec = _spec("single", ("a", "b", "c"), ("a",))
    spec = replace(spec, options=(*spec.options[:2], _option("c", text)))
    messages = QUESTION_TYPES["single"].validate(spec)
    assert any("all/none of the above" in message for message in messages)


def test_repeated_option_text_is_refused_ignoring_case_and_spacing() -> None:
    spec = QuestionSpec(
        "q1",
        "single",
        (_option("a", "Same text"), _option("b", "same   TEXT"), _option("c")),
        ("a",),
    )
    assert any(
        "repeats the text of option 'a'" in m for m in QUESTION_TYPES["single"].validate(spec)
    )


def test_missing_rationale_is_refused() -> None:
    spec = _spec("single", ("a", "b", "c"), ("a",))
    spec = replace(spec, options=(OptionSpec("a", "x", " "), *spec.options[1:]))
    assert any("has no rationale" in m for m in QUESTION_TYPES["single"].validate(spec))


def test_problems_point_at_the_field() -> None:
    spec = _spec("single", ("a", "b", "b"), ("z",))
    fields = {problem.field for problem in QUESTION_TYPES["single"].problems(spec)}
    assert fields == {"options[2].id", "options[2].text", "key"}


# --------------------------------------------------------------------------- responses


def test_parse_response_returns_a_frozenset() -> None:
    spec = _spec("multiple", ("a", "b", "c", "d"), ("a", "b"))
    assert QUESTION_TYPES["multiple"].parse_response(spec, ["b", "a"]) == frozenset({"a", "b"})


def test_empty_response_is_valid_and_empty() -> None:
    spec = _spec("single", ("a", "b", "c"), ("a",))
    assert QUESTION_TYPES["single"].parse_response(spec, []) == frozenset()


@given(any_spec, st.text(min_size=1, max_size=5))
def test_unknown_option_ids_raise(spec: QuestionSpec, junk: str) -> None:
    if junk in spec.option_ids:
        junk += "?"
    with pytest.raises(InvalidResponse, match="is not an option"):
        QUESTION_TYPES[spec.type].parse_response(spec, [spec.option_ids[0], junk])


@given(any_spec, st.data())
def test_repeated_option_ids_raise(spec: QuestionSpec, data: st.DataObject) -> None:
    choice = data.draw(st.sampled_from(spec.option_ids))
    with pytest.raises(InvalidResponse, match="chosen twice"):
        QUESTION_TYPES[spec.type].parse_response(spec, [choice, choice])


@given(st.one_of(single_specs(), true_false_specs()))
def test_single_answer_types_refuse_two_choices(spec: QuestionSpec) -> None:
    with pytest.raises(InvalidResponse, match="at most 1"):
        QUESTION_TYPES[spec.type].parse_response(spec, list(spec.option_ids[:2]))


def test_non_string_choice_raises() -> None:
    spec = _spec("single", ("a", "b", "c"), ("a",))
    with pytest.raises(InvalidResponse):
        QUESTION_TYPES["single"].parse_response(spec, [1])  # type: ignore[list-item]


def test_grade_refuses_responses_outside_the_options() -> None:
    spec = _spec("multiple", ("a", "b", "c"), ("a", "b"))
    with pytest.raises(InvalidResponse):
        QUESTION_TYPES["multiple"].grade(spec, frozenset({"z"}))


# --------------------------------------------------------------------------- scoring


@given(spec_and_response(), st.booleans())
def test_scores_are_between_zero_and_one(
    case: tuple[QuestionSpec, frozenset[str]], partial: bool
) -> None:
    spec, response = case
    assert 0.0 <= QUESTION_TYPES[spec.type].grade(spec, response, partial_credit=partial) <= 1.0


@given(spec_and_response(), st.booleans(), st.randoms(use_true_random=False))
def test_option_order_never_changes_a_score(
    case: tuple[QuestionSpec, frozenset[str]], partial: bool, rng: random.Random
) -> None:
    spec, response = case
    shuffled = list(spec.options)
    rng.shuffle(shuffled)
    kind = QUESTION_TYPES[spec.type]
    assert kind.grade(replace(spec, options=tuple(shuffled)), response, partial_credit=partial) == (
        kind.grade(spec, response, partial_credit=partial)
    )


@given(any_spec, st.booleans())
def test_the_key_always_scores_one(spec: QuestionSpec, partial: bool) -> None:
    kind = QUESTION_TYPES[spec.type]
    response = kind.parse_response(spec, list(spec.key))
    assert kind.grade(spec, response, partial_credit=partial) == 1.0


@given(any_spec, st.booleans())
def test_empty_response_scores_zero(spec: QuestionSpec, partial: bool) -> None:
    assert QUESTION_TYPES[spec.type].grade(spec, frozenset(), partial_credit=partial) == 0.0


@given(multiple_specs())
def test_all_or_nothing_gives_no_credit_for_a_partly_right_response(spec: QuestionSpec) -> None:
    response = frozenset(spec.key[:1])
    assert QUESTION_TYPES["multiple"].grade(spec, response) == 0.0


@pytest.mark.parametrize(
    ("chosen", "expected"),
    [
        ({"a", "b"}, 1.0),
        ({"a"}, 0.5),
        ({"a", "c"}, 0.0),
        ({"c", "d"}, 0.0),
        ({"a", "b", "c"}, 0.5),
        ({"a", "b", "c", "d"}, 0.0),
    ],
)
def test_partial_credit_is_right_minus_wrong_over_keys(chosen: set[str], expected: float) -> None:
    spec = _spec("multiple", ("a", "b", "c", "d"), ("a", "b"))
    score = QUESTION_TYPES["multiple"].grade(spec, frozenset(chosen), partial_credit=True)
    assert score == expected


def test_single_ignores_partial_credit() -> None:
    spec = _spec("single", ("a", "b", "c"), ("b",))
    kind = QUESTION_TYPES["single"]
    assert kind.grade(spec, frozenset({"a"}), partial_credit=True) == 0.0
    assert kind.grade(spec, frozenset({"b"}), partial_credit=True) == 1.0
