"""The shipped course meets the provider's stricter content policy, not just the format."""

from collections import Counter
from pathlib import Path

import pytest

from ceu.domain.content import Course, CourseInvalid, Pool
from ceu.domain.item_lint import lint_course
from ceu.files import load_course

COURSE_DIR = Path(__file__).resolve().parents[2] / "courses" / "ketamine-refractory-anxiety"

MODULES = 6
BODY_WORDS = (1000, 2000)
OBJECTIVES_PER_MODULE = (3, 5)
MIN_ITEMS_PER_MODULE = 24
MIN_ITEMS_TOTAL = 144
MAX_TRUE_FALSE_SHARE = 0.20
MIN_CASE_SHARE = 1 / 3
MIN_ITEMS_PER_OBJECTIVE = 6
MIN_ITEMS_TOTAL_AFTER_REVIEW = 156
POST_TEST_ITEMS = 30


@pytest.fixture(scope="module")
def course() -> Course:
    try:
        return load_course(COURSE_DIR)
    except CourseInvalid as invalid:
        pytest.fail(f"{COURSE_DIR.name} does not validate:\n{invalid}", pytrace=False)


def test_course_validates(course: Course) -> None:
    assert course.slug == COURSE_DIR.name


def test_has_six_modules(course: Course) -> None:
    assert len(course.modules) == MODULES


def test_module_bodies_are_1000_to_2000_words(course: Course) -> None:
    low, high = BODY_WORDS
    outside = {m.slug: m.word_count for m in course.modules if not low <= m.word_count <= high}
    assert outside == {}


def test_modules_have_3_to_5_objectives(course: Course) -> None:
    low, high = OBJECTIVES_PER_MODULE
    outside = {
        m.slug: len(m.objectives) for m in course.modules if not low <= len(m.objectives) <= high
    }
    assert outside == {}


def test_banks_are_large_enough(course: Course) -> None:
    small = {
        m.slug: len(m.questions) for m in course.modules if len(m.questions) < MIN_ITEMS_PER_MODULE
    }
    assert small == {}
    assert len(course.questions) >= MIN_ITEMS_TOTAL


def test_true_false_is_at_most_a_fifth_of_each_bank(course: Course) -> None:
    heavy = {}
    for module in course.modules:
        share = sum(q.type == "true_false" for q in module.questions) / max(
            1, len(module.questions)
        )
        if share > MAX_TRUE_FALSE_SHARE:
            heavy[module.slug] = round(share, 3)
    assert heavy == {}


def test_at_least_a_third_of_each_bank_is_case_based(course: Course) -> None:
    light = {}
    for module in course.modules:
        share = sum(q.is_case for q in module.questions) / max(1, len(module.questions))
        if share < MIN_CASE_SHARE:
            light[module.slug] = round(share, 3)
    assert light == {}


def test_every_objective_is_tested_by_at_least_six_items(course: Course) -> None:
    counts = Counter(objective for q in course.questions for objective in set(q.objectives))
    thin = {
        objective.id: counts[objective.id]
        for module in course.modules
        for objective in module.objectives
        if counts[objective.id] < MIN_ITEMS_PER_OBJECTIVE
    }
    assert thin == {}


def test_the_bank_keeps_its_size_after_the_item_review(course: Course) -> None:
    assert len(course.questions) >= MIN_ITEMS_TOTAL_AFTER_REVIEW


def test_the_bank_passes_the_item_linter_strictly(course: Course) -> None:
    """What `ceu courses validate --strict` enforces for the shipped course."""
    assert [str(warning) for warning in lint_course(course)] == []


def test_every_option_has_a_rationale(course: Course) -> None:
    missing = [(q.id, o.id) for q in course.questions for o in q.options if not o.rationale.strip()]
    assert missing == []


def test_every_reference_has_a_doi_or_url(course: Course) -> None:
    assert [r.key for r in course.references if not (r.doi or r.url)] == []


def test_post_test_policy(course: Course) -> None:
    assert course.post_test.total_items == POST_TEST_ITEMS
    assert course.post_test.pass_mark == 0.8
    assert course.post_test.max_attempts == 3


def test_blueprint_covers_every_module_from_its_post_test_pool(course: Course) -> None:
    drawn = {entry.module: entry.items for entry in course.post_test.blueprint}
    assert set(drawn) == {module.slug for module in course.modules}
    for module in course.modules:
        assert drawn[module.slug] <= len(module.pool(Pool.POST_TEST))
