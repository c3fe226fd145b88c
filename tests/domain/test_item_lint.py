"""The item linter: each rule fires on the cue it names and stays quiet without it."""

from dataclasses import replace
from pathlib import Path

import pytest

from ceu.domain.content import Course, Difficulty, Pool, Question, Scoring
from ceu.domain.item_lint import (
    check_case_share,
    check_cue_words,
    check_key_counts,
    check_key_length_ranks,
    check_negatives,
    check_option_lengths,
    check_partial_credit,
    check_select_all,
    check_vignette,
    key_length_rank,
    lint_course,
)
from ceu.domain.questions import OptionSpec
from ceu.files import load_course

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "minimal-course"

VIGNETTE = (
    "Mara, a 41-year-old teacher seen in a community counseling clinic, has had generalized "
    "anxiety for ten years. She took two SSRIs for a few weeks each and stopped both early. "
    "She now asks her counselor whether she should book a ketamine infusion she saw "
    "advertised online. What should the counselor do first?"
)


def item(
    qid: str = "q1",
    *,
    options: tuple[str, ...] = ("Alpha beta gamma", "Delta epsilon zeta", "Eta theta iota"),
    key: tuple[str, ...] = ("a",),
    kind: str = "single",
    stem: str = "Which option is right?",
    is_case: bool = False,
    pool: Pool = Pool.POST_TEST,
) -> Question:
    return Question(
        id=qid,
        type=kind,
        pool=pool,
        is_case=is_case,
        difficulty=Difficulty.MEDIUM,
        objectives=("m1.o1",),
        section="s",
        stem=stem,
        options=tuple(
            OptionSpec(id=chr(97 + i), text=text, rationale="Because.")
            for i, text in enumerate(options)
        ),
        key=key,
        content_hash="x",
    )


@pytest.fixture(scope="module")
def example() -> Course:
    return load_course(EXAMPLE)


def with_items(course: Course, questions: list[Question], **post_test: object) -> Course:
    """The example course with its banks replaced by these questions (all in module 1)."""
    first, *rest = course.modules
    modules = (
        replace(first, questions=tuple(questions)),
        *(replace(m, questions=()) for m in rest),
    )
    return replace(course, modules=modules, post_test=replace(course.post_test, **post_test))


def one(course: Course, question: Question, rule) -> list[str]:
    return [w.rule for w in rule(course, course.modules[0], question)]


def test_key_length_rank_counts_longer_options() -> None:
    assert key_length_rank(item(options=("long long long", "short", "mid mid"))) == 1
    assert key_length_rank(item(options=("mid mid", "long long long", "short"))) == 2


def test_a_bank_whose_keys_are_usually_second_longest_is_flagged(example: Course) -> None:
    second = item(options=("mid mid mid", "the longest option", "short"))
    longest = item(options=("the longest option", "mid mid mid", "short"))
    skewed = with_items(
        example,
        [replace(second, id=f"s{i}") for i in range(8)]
        + [replace(longest, id=f"l{i}") for i in range(3)],
    )
    assert [w.rule for w in check_key_length_ranks(skewed)] == ["key-length-rank"]
    mixed = with_items(
        example,
        [replace(second, id=f"s{i}") for i in range(4)]
        + [replace(longest, id=f"l{i}") for i in range(4)]
        + [
            replace(item(options=("short", "mid mid mid", "the longest option")), id=f"t{i}")
            for i in range(4)
        ],
    )
    assert check_key_length_ranks(mixed) == []


def test_multiple_response_key_counts_must_vary(example: Course) -> None:
    five = ("one one", "two two", "three th", "four fo", "five fi")
    threes = [item(f"m{i}", kind="multiple", options=five, key=("a", "b", "c")) for i in range(6)]
    rules = [w.message for w in check_key_counts(with_items(example, threes))]
    assert len(rules) == 2
    assert "2, 4" in rules[0]
    assert "6 of 6" in rules[1]
    varied = [
        item(f"m{i}", kind="multiple", options=five, key=("a", "b", "c", "d")[: 2 + i % 3])
        for i in range(6)
    ]
    assert check_key_counts(with_items(example, varied)) == []


def test_select_all_that_apply_is_required_and_counts_are_not_given(example: Course) -> None:
    told = item(kind="multiple", key=("a", "b"), stem="Which apply? Select 2.")
    assert one(example, told, check_select_all) == ["select-all"]
    good = item(kind="multiple", key=("a", "b"), stem="Which apply? Select all that apply.")
    assert one(example, good, check_select_all) == []
    assert one(example, item(), check_select_all) == []


def test_multiple_response_needs_partial_credit(example: Course) -> None:
    bank = [item(kind="multiple", key=("a", "b"), stem="Select all that apply.")]
    strict = with_items(example, bank, multiple_response_scoring=Scoring.ALL_OR_NOTHING)
    assert [w.rule for w in check_partial_credit(strict)] == ["partial-credit"]
    partial = with_items(example, bank, multiple_response_scoring=Scoring.PARTIAL)
    assert check_partial_credit(partial) == []


def test_absolute_words_only_in_distractors_are_flagged(example: Course) -> None:
    cued = item(options=("It depends on the dose", "It always works", "It never fails"))
    assert one(example, cued, check_cue_words) == ["absolute-words"]
    fair = item(options=("Only the dose matters", "It always works", "It depends on time"))
    assert one(example, fair, check_cue_words) == []


def test_a_key_that_alone_hedges_is_flagged(example: Course) -> None:
    cued = item(options=("It may help some people", "It cures anxiety", "It is harmless"))
    assert one(example, cued, check_cue_words) == ["hedge-words"]
    fair = item(options=("It may help some people", "It can cure anxiety", "It is harmless"))
    assert one(example, fair, check_cue_words) == []


def test_options_differ_too_much_in_length_or_form(example: Course) -> None:
    long = item(options=("Short one", "A much longer option that goes on and on", "Mid size"))
    assert one(example, long, check_option_lengths) == ["option-form"]
    mixed = item(options=("Alpha beta gamma.", "Delta epsilon zeta", "Eta theta iota"))
    assert one(example, mixed, check_option_lengths) == ["option-form"]
    assert one(example, item(), check_option_lengths) == []


def test_negatives_in_the_question_must_be_capitals(example: Course) -> None:
    low = item(stem="She has not slept. Which of these is not a known risk?")
    assert one(example, low, check_negatives) == ["negative"]
    caps = item(stem="She has not slept. Which of these is NOT a known risk?")
    assert one(example, caps, check_negatives) == []
    true_false = item(kind="true_false", stem="True or false: it has not been shown to help.")
    assert one(example, true_false, check_negatives) == ["negative"]


def test_case_items_need_a_real_vignette(example: Course) -> None:
    short = item(is_case=True, stem="A client asks about ketamine. What do you say?")
    assert one(example, short, check_vignette) == ["case-vignette"]
    assert one(example, item(is_case=True, stem=VIGNETTE), check_vignette) == []
    assert one(example, item(stem="A client asks. What now?"), check_vignette) == []


def test_a_third_of_the_post_test_must_be_cases(example: Course) -> None:
    few = [item("c", is_case=True, stem=VIGNETTE), item("d"), item("e"), item("f")]
    assert [w.rule for w in check_case_share(with_items(example, few))] == ["case-share"]
    enough = [item("c", is_case=True, stem=VIGNETTE), item("d"), item("e")]
    assert check_case_share(with_items(example, enough)) == []


def test_lint_course_reports_file_and_question(example: Course) -> None:
    warnings = lint_course(with_items(example, [item(is_case=True, stem="Too short?")]))
    located = [str(w) for w in warnings if w.question_id == "q1"]
    assert located
    assert located[0].startswith("minimal-course/01-")
    assert "question q1:" in located[0]
