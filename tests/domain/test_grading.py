"""Post-test rules: drawing forms, grading, passing, result of record and review."""

import itertools
import random
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ceu.domain.content import GradingMethod, ReviewPolicy
from ceu.domain.grading import (
    DrawnForm,
    GradableEntry,
    ItemRef,
    ObjectiveResult,
    Visibility,
    attempts_left,
    difficulty_targets,
    draw_form,
    grade_form,
    is_pass,
    next_attempt_allowed_at,
    parse_responses,
    result_of_record,
    review_visibility,
)
from ceu.domain.questions import InvalidResponse, OptionSpec, QuestionSpec

DIFFICULTIES = ("easy", "medium", "hard")
OPTION_IDS = {
    "single": ("a", "b", "c", "d"),
    "multiple": ("a", "b", "c", "d", "e"),
    "true_false": ("true", "false"),
}


# --------------------------------------------------------------------------- helpers


def _item(
    item_id: str,
    module: str = "m1",
    objectives: tuple[str, ...] = ("o1",),
    difficulty: str = "medium",
    kind: str = "single",
    option_ids: tuple[str, ...] | None = None,
) -> ItemRef:
    ids = OPTION_IDS[kind] if option_ids is None else option_ids
    return ItemRef(item_id, module, objectives, difficulty, kind, ids)


def _module_bank(module: str, size: int, objectives: int = 4) -> list[ItemRef]:
    """size items spread round-robin over objectives and difficulties."""
    return [
        _item(
            f"{module}-q{index:02d}",
            module,
            (f"{module}.o{index % objectives}",),
            DIFFICULTIES[index % 3],
        )
        for index in range(size)
    ]


def _by_id(items: list[ItemRef]) -> dict[str, ItemRef]:
    return {item.id: item for item in items}


def _option(option_id: str) -> OptionSpec:
    return OptionSpec(option_id, f"Option {option_id}", f"Because {option_id}.")


def _spec(question_id: str, kind: str, key: tuple[str, ...]) -> QuestionSpec:
    options = tuple(_option(option_id) for option_id in OPTION_IDS[kind])
    return QuestionSpec(question_id, kind, options, key)


def _entry(
    spec: QuestionSpec,
    response: frozenset[str],
    objectives: tuple[str, ...] = ("o1",),
    module: str = "m1",
    section: str = "s1",
) -> GradableEntry:
    return GradableEntry(spec, response, objectives, module, section)


# --------------------------------------------------------------------------- strategies


@st.composite
def banks(
    draw: st.DrawFn, *, multi_objective: bool = False, max_size: int = 10
) -> tuple[list[ItemRef], list[tuple[str, int]]]:
    """A bank of 1–3 modules and a blueprint that the bank can satisfy."""
    items: list[ItemRef] = []
    blueprint: list[tuple[str, int]] = []
    for module_index in range(draw(st.integers(min_value=1, max_value=3))):
        module = f"mod{module_index}"
        objectives = [f"{module}.o{k}" for k in range(draw(st.integers(1, 4)))]
        size = draw(st.integers(min_value=1, max_value=max_size))
        for index in range(size):
            if multi_objective:
                chosen = draw(st.lists(st.sampled_from(objectives), min_size=1, max_size=2))
                item_objectives = tuple(dict.fromkeys(chosen))
            else:
                item_objectives = (draw(st.sampled_from(objectives)),)
            kind = draw(st.sampled_from(sorted(OPTION_IDS)))
            option_ids = tuple(draw(st.permutations(OPTION_IDS[kind])))
            difficulty = draw(st.sampled_from(DIFFICULTIES))
            items.append(
                ItemRef(f"{module}-q{index}", module, item_objectives, difficulty, kind, option_ids)
            )
        blueprint.append((module, draw(st.integers(min_value=0, max_value=size))))
    return items, blueprint


@st.composite
def banks_with_avoid(
    draw: st.DrawFn, *, multi_objective: bool = False, max_size: int = 10
) -> tuple[list[ItemRef], list[tuple[str, int]], frozenset[str]]:
    items, blueprint = draw(banks(multi_objective=multi_objective, max_size=max_size))
    avoid = draw(st.sets(st.sampled_from([item.id for item in items])))
    return items, blueprint, frozenset(avoid)


@st.composite
def specs(draw: st.DrawFn, question_id: str = "q1") -> QuestionSpec:
    kind = draw(st.sampled_from(sorted(OPTION_IDS)))
    ids = OPTION_IDS[kind]
    if kind == "multiple":
        key = tuple(draw(st.lists(st.sampled_from(ids), min_size=2, max_size=4, unique=True)))
    else:
        key = (draw(st.sampled_from(ids)),)
    options = tuple(_option(option_id) for option_id in draw(st.permutations(ids)))
    return QuestionSpec(question_id, kind, options, key)


@st.composite
def valid_responses(draw: st.DrawFn, spec: QuestionSpec) -> frozenset[str]:
    limit = None if spec.type == "multiple" else 1
    chosen = draw(st.lists(st.sampled_from(spec.option_ids), max_size=limit or 5, unique=True))
    return frozenset(chosen)


@st.composite
def attempts(draw: st.DrawFn) -> list[GradableEntry]:
    """A form of distinct questions, each with a well-formed response."""
    count = draw(st.integers(min_value=0, max_value=8))
    entries: list[GradableEntry] = []
    for index in range(count):
        spec = draw(specs(f"q{index}"))
        objectives = tuple(draw(st.sets(st.sampled_from(["o1", "o2", "o3"]), min_size=1)))
        section = draw(st.sampled_from(["intro", "dosing", "risk", ""]))
        response = draw(valid_responses(spec))
        entries.append(_entry(spec, response, tuple(sorted(objectives)), "m1", section))
    return entries


# --------------------------------------------------------------------------- draw_form


@given(banks_with_avoid(), st.integers(min_value=0, max_value=2**32))
def test_draw_gives_exactly_the_blueprint_counts_without_duplicates(
    bank: tuple[list[ItemRef], list[tuple[str, int]], frozenset[str]], seed: int
) -> None:
    items, blueprint, avoid = bank
    form = draw_form(items, blueprint, random.Random(seed), avoid=avoid)
    known = _by_id(items)
    assert len(set(form.item_ids)) == len(form.item_ids)
    assert set(form.item_ids) <= set(known)
    per_module = Counter(known[item_id].module for item_id in form.item_ids)
    assert {module: per_module[module] for module, _ in blueprint} == dict(blueprint)


@given(banks_with_avoid(), st.integers(min_value=0, max_value=2**32))
def test_draw_is_deterministic_for_a_seed(
    bank: tuple[list[ItemRef], list[tuple[str, int]], frozenset[str]], seed: int
) -> None:
    items, blueprint, avoid = bank
    first = draw_form(items, blueprint, random.Random(seed), avoid=avoid)
    assert draw_form(items, blueprint, random.Random(seed), avoid=avoid) == first


@given(banks_with_avoid(), st.integers(min_value=0, max_value=2**32))
def test_draw_repeats_at_most_a_third_unless_the_bank_forces_more(
    bank: tuple[list[ItemRef], list[tuple[str, int]], frozenset[str]], seed: int
) -> None:
    items, blueprint, avoid = bank
    form = draw_form(items, blueprint, random.Random(seed), avoid=avoid)
    total = sum(count for _, count in blueprint)
    fresh = Counter(item.module for item in items if item.id not in avoid)
    forced = sum(max(0, count - fresh[module]) for module, count in blueprint)
    repeats = len(set(form.item_ids) & avoid)
    assert repeats >= forced
    assert repeats <= max(forced, total // 3)


@given(banks(), st.integers(min_value=0, max_value=2**32))
def test_first_draw_covers_as_many_objectives_as_the_count_allows(
    bank: tuple[list[ItemRef], list[tuple[str, int]]], seed: int
) -> None:
    items, blueprint = bank
    form = draw_form(items, blueprint, random.Random(seed))
    known = _by_id(items)
    for module, count in blueprint:
        available = {item.objectives[0] for item in items if item.module == module}
        drawn = [known[item_id] for item_id in form.item_ids if known[item_id].module == module]
        uses = Counter(item.objectives[0] for item in drawn)
        assert len(uses) == min(count, len(available))
        # round robin: no objective gets a second item before every objective has one
        if uses and len(uses) < len(available):
            assert max(uses.values()) == 1


def _draw_quality(
    drawn: tuple[ItemRef, ...], pool: list[ItemRef], avoid: frozenset[str], allowance: int
) -> tuple[int, int, int, int, int]:
    """The draw's priorities, lower is better: over budget, -coverage, repeats, spread, mix."""
    repeats = sum(item.id in avoid for item in drawn)
    uses = Counter(objective for item in drawn for objective in item.objectives)
    targets = difficulty_targets([item.difficulty for item in pool], len(drawn))
    mix = Counter(item.difficulty for item in drawn)
    return (
        max(0, repeats - allowance),
        -len(uses),
        repeats,
        sum(count * count for count in uses.values()),
        sum(abs(mix[name] - target) for name, target in targets.items()),
    )


@given(banks_with_avoid(max_size=8), st.integers(min_value=0, max_value=2**32))
def test_draw_of_one_module_matches_the_brute_force_best(
    bank: tuple[list[ItemRef], list[tuple[str, int]], frozenset[str]], seed: int
) -> None:
    items, blueprint, avoid = bank
    module, count = blueprint[0]
    pool = [item for item in items if item.module == module]
    fresh = sum(item.id not in avoid for item in pool)
    allowance = max(count - fresh, count // 3)  # one module: the whole budget is its own
    form = draw_form(pool, [(module, count)], random.Random(seed), avoid=avoid)
    drawn = tuple(_by_id(pool)[item_id] for item_id in form.item_ids)
    best = min(
        _draw_quality(combo, pool, avoid, allowance)
        for combo in itertools.combinations(pool, count)
    )
    assert _draw_quality(drawn, pool, avoid, allowance) == best


@given(banks(multi_objective=True), st.integers(min_value=0, max_value=2**32))
def test_items_with_several_objectives_still_cover_one_new_objective_each(
    bank: tuple[list[ItemRef], list[tuple[str, int]]], seed: int
) -> None:
    items, blueprint = bank
    form = draw_form(items, blueprint, random.Random(seed))
    known = _by_id(items)
    for module, count in blueprint:
        available = {o for item in items if item.module == module for o in item.objectives}
        drawn = [known[item_id] for item_id in form.item_ids if known[item_id].module == module]
        covered = {objective for item in drawn for objective in item.objectives}
        assert len(covered) >= min(count, len(available))


@given(banks(), st.integers(min_value=0, max_value=2**32))
def test_true_false_keeps_true_then_false_and_other_options_are_permutations(
    bank: tuple[list[ItemRef], list[tuple[str, int]]], seed: int
) -> None:
    items, blueprint = bank
    known = _by_id(items)
    for drawn in draw_form(items, blueprint, random.Random(seed)).items:
        item = known[drawn.id]
        if item.type == "true_false":
            assert drawn.option_order == ("true", "false")
        else:
            assert sorted(drawn.option_order) == sorted(item.option_ids)


def test_options_of_other_types_are_shuffled() -> None:
    items = [_item("q1", kind="multiple")]
    orders = {
        draw_form(items, [("m1", 1)], random.Random(seed)).items[0].option_order
        for seed in range(30)
    }
    assert len(orders) > 1


def test_item_order_is_shuffled_across_modules() -> None:
    items = _module_bank("m1", 10) + _module_bank("m2", 10)
    patterns = set()
    for seed in range(30):
        form = draw_form(items, [("m1", 3), ("m2", 3)], random.Random(seed))
        patterns.add(tuple(item_id.split("-")[0] for item_id in form.item_ids))
    assert len(patterns) > 1


def test_retake_from_a_bank_of_twenty_repeats_nothing() -> None:
    items = [item for module in ("m1", "m2", "m3") for item in _module_bank(module, 20)]
    blueprint = [("m1", 5), ("m2", 5), ("m3", 5)]
    first = draw_form(items, blueprint, random.Random(7))
    for seed in range(20):
        retake = draw_form(items, blueprint, random.Random(seed), avoid=frozenset(first.item_ids))
        repeated = set(retake.item_ids) & set(first.item_ids)
        assert len(repeated) <= 15 // 3
        assert repeated == set()


def test_too_small_a_bank_still_draws_a_full_form() -> None:
    items = _module_bank("m1", 6)
    first = draw_form(items, [("m1", 5)], random.Random(1))
    retake = draw_form(items, [("m1", 5)], random.Random(2), avoid=frozenset(first.item_ids))
    assert len(retake.items) == 5
    unused = {item.id for item in items} - set(first.item_ids)
    assert unused <= set(retake.item_ids)


def test_retake_spends_the_repeat_budget_on_an_objective_only_seen_last_time() -> None:
    items = [
        *(_item(f"a{index}", objectives=("oA",)) for index in range(5)),
        *(_item(f"b{index}", objectives=("oB",)) for index in range(5)),
        _item("c0", objectives=("oC",)),
    ]
    first = draw_form(items, [("m1", 3)], random.Random(3))
    assert "c0" in first.item_ids
    retake = draw_form(items, [("m1", 3)], random.Random(4), avoid=frozenset(first.item_ids))
    assert set(retake.item_ids) & set(first.item_ids) == {"c0"}


def test_draw_follows_the_pool_difficulty_mix() -> None:
    mix = ("easy",) * 4 + ("medium",) * 4 + ("hard",) * 2
    items = [
        _item(f"q{objective}{index}", objectives=(f"o{objective}",), difficulty=difficulty)
        for objective in range(3)
        for index, difficulty in enumerate(mix)
    ]
    for seed in range(20):
        form = draw_form(items, [("m1", 5)], random.Random(seed))
        known = _by_id(items)
        drawn = Counter(known[item_id].difficulty for item_id in form.item_ids)
        assert drawn == Counter({"easy": 2, "medium": 2, "hard": 1})
        assert len({known[item_id].objectives for item_id in form.item_ids}) == 3


def test_difficulty_mix_relaxes_when_the_objectives_demand_it() -> None:
    items = [
        _item("e1", objectives=("o1",), difficulty="easy"),
        _item("e2", objectives=("o1",), difficulty="easy"),
        _item("e3", objectives=("o1",), difficulty="easy"),
        _item("h1", objectives=("o2",), difficulty="hard"),
    ]
    form = draw_form(items, [("m1", 2)], random.Random(0))
    assert "h1" in form.item_ids


@pytest.mark.parametrize(
    ("difficulties", "count", "expected"),
    [
        (["easy"] * 4 + ["medium"] * 4 + ["hard"] * 2, 5, {"easy": 2, "medium": 2, "hard": 1}),
        (["easy", "medium", "hard"], 2, {"easy": 1, "medium": 1, "hard": 0}),
        (["easy"] * 5 + ["hard"] * 1, 3, {"easy": 3, "hard": 0}),
        (["easy"] * 2 + ["hard"] * 1, 0, {"easy": 0, "hard": 0}),
    ],
)
def test_difficulty_targets_use_largest_remainder(
    difficulties: list[str], count: int, expected: dict[str, int]
) -> None:
    assert difficulty_targets(difficulties, count) == expected


@given(st.lists(st.sampled_from(DIFFICULTIES), min_size=1), st.integers(0, 40))
def test_difficulty_targets_sum_to_count_and_stay_within_one_of_the_share(
    difficulties: list[str], count: int
) -> None:
    targets = difficulty_targets(difficulties, count)
    assert sum(targets.values()) == count
    for name, target in targets.items():
        share = count * difficulties.count(name) / len(difficulties)
        assert share - 1 < target < share + 1


def test_too_few_items_in_a_module_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"module 'm1' has 3 items but the blueprint asks for 5"):
        draw_form(_module_bank("m1", 3), [("m1", 5)], random.Random(0))


def test_unknown_module_in_blueprint_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"module 'nope' has 0 items"):
        draw_form(_module_bank("m1", 3), [("nope", 1)], random.Random(0))


def test_module_listed_twice_in_blueprint_is_an_error() -> None:
    with pytest.raises(ValueError, match="twice"):
        draw_form(_module_bank("m1", 5), [("m1", 1), ("m1", 1)], random.Random(0))


def test_duplicate_item_ids_in_the_bank_are_an_error() -> None:
    with pytest.raises(ValueError, match="appears twice"):
        draw_form([_item("q1"), _item("q1")], [("m1", 1)], random.Random(0))


def test_empty_blueprint_draws_an_empty_form() -> None:
    assert draw_form(_module_bank("m1", 3), [], random.Random(0)) == DrawnForm(())


# --------------------------------------------------------------------------- grade_form


@given(attempts(), st.booleans())
def test_scores_lie_between_zero_and_one(entries: list[GradableEntry], partial: bool) -> None:
    result = grade_form(entries, partial_credit=partial)
    assert 0.0 <= result.score <= 1.0
    assert 0.0 <= result.points <= result.possible
    assert all(0.0 <= item.score <= 1.0 for item in result.items)
    assert result.possible == len(entries)


@given(attempts(), st.booleans(), st.randoms(use_true_random=False))
def test_item_order_never_changes_the_score(
    entries: list[GradableEntry], partial: bool, rng: random.Random
) -> None:
    shuffled = list(entries)
    rng.shuffle(shuffled)
    before = grade_form(entries, partial_credit=partial)
    after = grade_form(shuffled, partial_credit=partial)
    assert after.score == before.score
    assert after.by_objective == before.by_objective


@given(attempts(), st.booleans(), st.randoms(use_true_random=False))
def test_option_order_never_changes_the_score(
    entries: list[GradableEntry], partial: bool, rng: random.Random
) -> None:
    def shuffled_options(entry: GradableEntry) -> GradableEntry:
        options = list(entry.spec.options)
        rng.shuffle(options)
        return replace(entry, spec=replace(entry.spec, options=tuple(options)))

    reordered = [shuffled_options(entry) for entry in entries]
    before = grade_form(entries, partial_credit=partial)
    assert grade_form(reordered, partial_credit=partial).score == before.score


@given(attempts(), st.booleans())
def test_the_key_always_scores_one(entries: list[GradableEntry], partial: bool) -> None:
    keyed = [replace(entry, response=frozenset(entry.spec.key)) for entry in entries]
    result = grade_form(keyed, partial_credit=partial)
    assert all(item.is_correct for item in result.items)
    assert result.score == (1.0 if entries else 0.0)
    assert all(objective.correct == objective.total for objective in result.by_objective)


@given(attempts(), st.booleans())
def test_an_empty_response_scores_zero(entries: list[GradableEntry], partial: bool) -> None:
    blank = [replace(entry, response=frozenset()) for entry in entries]
    result = grade_form(blank, partial_credit=partial)
    assert result.score == 0.0
    assert result.points == 0.0


def test_empty_form_scores_zero() -> None:
    result = grade_form([], partial_credit=False)
    assert (result.score, result.points, result.possible) == (0.0, 0.0, 0)
    assert result.by_objective == ()


def test_twenty_four_of_thirty_scores_point_eight_and_passes() -> None:
    spec = _spec("q", "single", ("a",))
    entries = [
        _entry(replace(spec, id=f"q{index}"), frozenset({"a" if index < 24 else "b"}))
        for index in range(30)
    ]
    result = grade_form(entries, partial_credit=False)
    assert result.score == 0.8
    assert result.points == 24.0
    assert is_pass(result.score, 0.8)


def test_partial_credit_applies_only_when_asked() -> None:
    entry = _entry(_spec("q1", "multiple", ("a", "b")), frozenset({"a"}))
    assert grade_form([entry], partial_credit=True).score == 0.5
    assert grade_form([entry], partial_credit=False).score == 0.0


def test_score_is_rounded_to_four_decimals() -> None:
    entries = [
        _entry(_spec("q1", "single", ("a",)), frozenset({"a"})),
        _entry(_spec("q2", "single", ("a",)), frozenset()),
        _entry(_spec("q3", "single", ("a",)), frozenset()),
    ]
    assert grade_form(entries, partial_credit=False).score == 0.3333


def test_item_results_carry_choices_and_key_in_option_order() -> None:
    spec = _spec("q1", "multiple", ("d", "b"))
    item = grade_form([_entry(spec, frozenset({"e", "a"}))], partial_credit=False).items[0]
    assert (item.id, item.score, item.is_correct) == ("q1", 0.0, False)
    assert item.chosen == ("a", "e")
    assert item.key == ("d", "b")


def test_results_by_objective_add_up_points_and_sections() -> None:
    right, wrong = frozenset({"a"}), frozenset({"b"})
    entries = [
        _entry(_spec("q1", "single", ("a",)), right, ("m1.o10",), "m1", "intro"),
        _entry(_spec("q2", "single", ("a",)), wrong, ("m1.o2", "m1.o10"), "m1", "dosing"),
        _entry(_spec("q3", "single", ("a",)), wrong, ("m1.o2",), "m1", "dosing"),
        _entry(_spec("q4", "multiple", ("a", "b")), right, ("m2.o1",), "m2", "risk"),
    ]
    result = grade_form(entries, partial_credit=True)
    assert result.by_objective == (
        ObjectiveResult("m1.o2", 0.0, 2, "m1", ("dosing",)),
        ObjectiveResult("m1.o10", 1.0, 2, "m1", ("dosing", "intro")),
        ObjectiveResult("m2.o1", 0.5, 1, "m2", ("risk",)),
    )
    assert result.points == 1.5
    assert result.score == 0.375


def test_grading_a_malformed_response_raises() -> None:
    entry = _entry(_spec("q1", "single", ("a",)), frozenset({"a", "b"}))
    with pytest.raises(InvalidResponse, match="q1"):
        grade_form([entry], partial_credit=False)


def test_unknown_question_type_is_a_clear_error() -> None:
    spec = replace(_spec("q1", "single", ("a",)), type="essay")
    with pytest.raises(ValueError, match="unknown type 'essay'"):
        grade_form([_entry(spec, frozenset())], partial_credit=False)


def test_the_same_question_twice_is_an_error() -> None:
    entry = _entry(_spec("q1", "single", ("a",)), frozenset())
    with pytest.raises(ValueError, match="appears twice"):
        grade_form([entry, entry], partial_credit=False)


# --------------------------------------------------------------------------- parse_responses


def test_parse_reads_fields_by_question_id_and_missing_is_empty() -> None:
    specs = [
        _spec("q1", "single", ("a",)),
        _spec("q2", "multiple", ("a", "b")),
        _spec("q3", "true_false", ("true",)),
    ]
    raw = {"q1": ["c"], "q2": ["b", "a"]}
    assert parse_responses(specs, raw) == {
        "q1": frozenset({"c"}),
        "q2": frozenset({"a", "b"}),
        "q3": frozenset(),
    }


def test_parse_treats_a_bare_string_as_one_choice() -> None:
    spec = _spec("q1", "true_false", ("true",))
    assert parse_responses([spec], {"q1": "false"}) == {"q1": frozenset({"false"})}


@pytest.mark.parametrize(
    ("kind", "raw", "message"),
    [
        ("single", {"q1": ["z"]}, "'z' is not an option of question q1"),
        ("multiple", {"q1": ["a", "a"]}, "question q1: option 'a' was chosen twice"),
        ("single", {"q1": ["a", "b"]}, "question q1 accepts at most 1"),
        ("true_false", {"q1": ["true", "false"]}, "question q1 accepts at most 1"),
        ("single", {"q1": ["a"], "q9": ["a"]}, "'q9' is not a question of this form"),
        ("single", {"q1": [""]}, "'' is not an option of question q1"),
    ],
)
def test_parse_refuses_malformed_responses(
    kind: str, raw: dict[str, list[str]], message: str
) -> None:
    spec = _spec("q1", kind, OPTION_IDS[kind][:1] if kind != "multiple" else ("a", "b"))
    with pytest.raises(InvalidResponse) as raised:
        parse_responses([spec], raw)
    assert message in raised.value.message


@given(specs(), st.lists(st.text(max_size=4), min_size=1, max_size=3))
def test_parse_refuses_any_unknown_option_naming_the_question(
    spec: QuestionSpec, junk: list[str]
) -> None:
    choices = [choice + "?" for choice in junk]  # "?" never appears in an option id
    with pytest.raises(InvalidResponse, match=spec.id):
        parse_responses([spec], {spec.id: choices})


@given(specs(), st.data())
def test_parse_accepts_every_well_formed_response(spec: QuestionSpec, data: st.DataObject) -> None:
    response = data.draw(valid_responses(spec))
    assert parse_responses([spec], {spec.id: sorted(response)}) == {spec.id: response}


# --------------------------------------------------------------------------- pass and record


@pytest.mark.parametrize(
    ("score", "pass_mark", "expected"),
    [
        (0.8, 0.8, True),
        (24 / 30, 0.8, True),
        (0.8 - 1e-12, 0.8, True),
        (0.7999, 0.8, False),
        (23 / 30, 0.8, False),
        (1.0, 1.0, True),
        (0.0, 0.0, True),
        (0.75, 0.7, True),
    ],
)
def test_is_pass_boundary(score: float, pass_mark: float, expected: bool) -> None:
    assert is_pass(score, pass_mark) is expected


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("highest", 0.9),
        ("last", 0.7),
        ("first", 0.6),
        ("average", 0.7333),
        (GradingMethod.HIGHEST, 0.9),
        (GradingMethod.AVERAGE, 0.7333),
    ],
)
def test_result_of_record_for_each_method(method: str, expected: float) -> None:
    assert result_of_record([0.6, 0.9, 0.7], method) == expected


@pytest.mark.parametrize("method", list(GradingMethod))
def test_result_of_record_knows_every_grading_method_and_none_without_scores(
    method: GradingMethod,
) -> None:
    assert result_of_record([], method) is None
    assert result_of_record([0.5], method) == 0.5


def test_result_of_record_refuses_unknown_methods() -> None:
    with pytest.raises(ValueError, match="unknown grading method 'median'"):
        result_of_record([0.5], "median")


@pytest.mark.parametrize(
    ("used", "max_attempts", "expected"),
    [(0, 3, 3), (2, 3, 1), (3, 3, 0), (5, 3, 0), (4, None, None), (0, None, None)],
)
def test_attempts_left(used: int, max_attempts: int | None, expected: int | None) -> None:
    assert attempts_left(used, max_attempts) == expected


def test_attempts_used_cannot_be_negative() -> None:
    with pytest.raises(ValueError, match="negative"):
        attempts_left(-1, 3)


def test_next_attempt_waits_the_configured_hours() -> None:
    finished = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    assert next_attempt_allowed_at(finished, 24) == finished + timedelta(hours=24)
    assert next_attempt_allowed_at(finished, 1.5) == finished + timedelta(minutes=90)


@pytest.mark.parametrize(
    ("finished", "hours"),
    [(None, 24), (datetime(2025, 3, 1, tzinfo=UTC), 0)],
)
def test_no_wait_without_a_finished_attempt_or_a_wait(
    finished: datetime | None, hours: float
) -> None:
    assert next_attempt_allowed_at(finished, hours) is None


# --------------------------------------------------------------------------- review


@pytest.mark.parametrize(
    ("policy", "passed", "left", "expected"),
    [
        ("missed_only", False, 2, Visibility(True, False)),
        ("missed_only", True, 0, Visibility(True, False)),
        ("missed_only", False, None, Visibility(True, False)),
        ("after_pass_or_last_attempt", False, 2, Visibility(True, False)),
        ("after_pass_or_last_attempt", False, None, Visibility(True, False)),
        ("after_pass_or_last_attempt", True, 2, Visibility(True, True)),
        ("after_pass_or_last_attempt", True, None, Visibility(True, True)),
        ("after_pass_or_last_attempt", False, 0, Visibility(True, True)),
        ("always", False, 2, Visibility(True, True)),
        ("always", True, None, Visibility(True, True)),
    ],
)
def test_review_visibility_table(
    policy: str, passed: bool, left: int | None, expected: Visibility
) -> None:
    assert review_visibility(policy, passed=passed, attempts_left=left) == expected


@pytest.mark.parametrize("policy", list(ReviewPolicy))
def test_review_visibility_knows_every_policy(policy: ReviewPolicy) -> None:
    assert review_visibility(policy, passed=True, attempts_left=0).show_missed


def test_review_visibility_refuses_unknown_policies() -> None:
    with pytest.raises(ValueError, match="unknown review policy 'never'"):
        review_visibility("never", passed=True, attempts_left=0)
