"""The graded post-test and knowledge checks: drawing a form, scoring it, passing, review.

Everything here is pure: bank items, responses and policies in, forms, scores and messages
out. The caller gathers the values from the database and stores what comes back.
"""

from __future__ import annotations

import itertools
import math
import random
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from fractions import Fraction

from ceu.domain.content import Difficulty, GradingMethod, ReviewPolicy
from ceu.domain.questions import QUESTION_TYPES, InvalidResponse, QuestionSpec, QuestionType

__all__ = [
    "PASS_TOLERANCE",
    "DrawnForm",
    "DrawnItem",
    "GradableEntry",
    "GradeResult",
    "ItemRef",
    "ItemResult",
    "ObjectiveResult",
    "Visibility",
    "attempts_left",
    "difficulty_targets",
    "draw_form",
    "grade_form",
    "is_pass",
    "next_attempt_allowed_at",
    "parse_responses",
    "result_of_record",
    "review_visibility",
]

PASS_TOLERANCE = 1e-9
SCORE_DECIMALS = 4


# --------------------------------------------------------------------------- drawing


@dataclass(frozen=True)
class ItemRef:
    """A bank item as the draw sees it: where it belongs and what it measures."""

    id: str
    module: str
    objectives: tuple[str, ...]
    difficulty: str
    type: str
    option_ids: tuple[str, ...]


@dataclass(frozen=True)
class DrawnItem:
    """One item of a drawn form with the option order this learner sees."""

    id: str
    option_order: tuple[str, ...]


@dataclass(frozen=True)
class DrawnForm:
    """The items of one attempt, in the order they are shown."""

    items: tuple[DrawnItem, ...]

    @property
    def item_ids(self) -> tuple[str, ...]:
        """The drawn item ids in form order (pass as ``avoid`` when drawing a retake)."""
        return tuple(item.id for item in self.items)


def draw_form(
    items: Sequence[ItemRef],
    blueprint: Sequence[tuple[str, int]],
    rng: random.Random,
    *,
    avoid: frozenset[str] = frozenset(),
) -> DrawnForm:
    """Draw a fresh, objective-covering, difficulty-balanced form so retakes test, not recall.

    Per module, in order of priority: repeat items of ``avoid`` only when the module runs
    out of fresh items, or — within an overall budget of a third of the form — when that is
    the only way to cover an objective; cover as many objectives as possible; then spread
    items evenly across objectives; then follow the pool's difficulty mix. Raises
    ``ValueError`` when the blueprint cannot be met.
    """
    pools = _pools_by_module(items)
    _check_blueprint(blueprint, pools)
    total = sum(count for _, count in blueprint)
    forced = {
        module: max(0, count - sum(item.id not in avoid for item in pools.get(module, ())))
        for module, count in blueprint
    }
    spare = max(0, total // 3 - sum(forced.values()))
    chosen: list[ItemRef] = []
    for module, count in blueprint:
        pool = pools.get(module, [])
        picked = _draw_module(pool, count, rng, avoid, forced[module] + spare)
        spare -= max(0, sum(item.id in avoid for item in picked) - forced[module])
        chosen.extend(picked)
    rng.shuffle(chosen)
    return DrawnForm(tuple(DrawnItem(item.id, _option_order(item, rng)) for item in chosen))


def difficulty_targets(difficulties: Sequence[str], count: int) -> dict[str, int]:
    """How many of ``count`` items each difficulty should get so a form mirrors its pool.

    Counts proportional to how often each difficulty occurs in ``difficulties`` (the pool),
    rounded by largest remainder; ties go to the more common difficulty, then the easier.
    """
    if count < 0:
        raise ValueError(f"cannot draw {count} items — the count must be 0 or more")
    frequency = Counter(difficulties)
    if not frequency:
        if count:
            raise ValueError(f"cannot draw {count} items from an empty pool")
        return {}
    size = len(difficulties)
    exact = {name: Fraction(count * seen, size) for name, seen in frequency.items()}
    targets = {name: math.floor(share) for name, share in exact.items()}
    left = count - sum(targets.values())
    by_remainder = sorted(
        exact, key=lambda name: (-(exact[name] - targets[name]), -frequency[name], *_rank(name))
    )
    for name in by_remainder[:left]:
        targets[name] += 1
    return targets


_DIFFICULTY_RANK: dict[str, int] = {name: rank for rank, name in enumerate(Difficulty)}


def _rank(difficulty: str) -> tuple[int, str]:
    return _DIFFICULTY_RANK.get(difficulty, len(_DIFFICULTY_RANK)), difficulty


def _pools_by_module(items: Sequence[ItemRef]) -> dict[str, list[ItemRef]]:
    pools: dict[str, list[ItemRef]] = {}
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise ValueError(f"item id {item.id!r} appears twice in the bank — ids must be unique")
        seen.add(item.id)
        unique = tuple(dict.fromkeys(item.objectives))
        normalized = item if unique == item.objectives else replace(item, objectives=unique)
        pools.setdefault(item.module, []).append(normalized)
    return pools


def _check_blueprint(
    blueprint: Sequence[tuple[str, int]], pools: Mapping[str, Sequence[ItemRef]]
) -> None:
    listed: set[str] = set()
    for module, count in blueprint:
        if module in listed:
            raise ValueError(f"the blueprint lists module {module!r} twice — list each module once")
        listed.add(module)
        if count < 0:
            raise ValueError(f"the blueprint asks for {count} items from module {module!r}")
        available = len(pools.get(module, ()))
        if available < count:
            raise ValueError(
                f"module {module!r} has {available} items but the blueprint asks for {count} — "
                f"add items to the module or lower its blueprint count"
            )


_Cost = tuple[int, int, int, int, int]

# Swapping two items at once is tried only when single swaps are stuck short of a perfect
# draw, and for at most this many trial pairs per module, so a draw stays a few milliseconds.
_MAX_PAIR_TRIALS = 5_000


def _draw_module(
    pool: Sequence[ItemRef],
    count: int,
    rng: random.Random,
    avoid: frozenset[str],
    allowance: int,
) -> list[ItemRef]:
    """Greedy pick by priority, then swap items while a swap improves the draw."""
    if count == 0:
        return []
    candidates = list(pool)
    rng.shuffle(candidates)  # the random tie-break: earlier candidates win equal costs
    targets = difficulty_targets([item.difficulty for item in pool], count)

    def cost(selection: Sequence[ItemRef]) -> _Cost:
        return _selection_cost(selection, avoid, allowance, targets)

    selection: list[ItemRef] = []
    for _ in range(count):
        taken = {item.id for item in selection}
        best = min(
            (item for item in candidates if item.id not in taken),
            key=lambda item: cost([*selection, item]),
        )
        selection.append(best)

    objectives = {objective for item in pool for objective in item.objectives}
    single = all(len(item.objectives) == 1 for item in pool)
    coverage_bound = min(count, len(objectives)) if single else len(objectives)

    def is_perfect(current: _Cost) -> bool:
        return current[0] == 0 and -current[1] == coverage_bound and current[4] == 0

    return _improve_by_swaps(selection, candidates, cost, is_perfect)


def _selection_cost(
    selection: Sequence[ItemRef],
    avoid: frozenset[str],
    allowance: int,
    targets: Mapping[str, int],
) -> _Cost:
    """Lower is better, compared in order: over budget, coverage, repeats, balance, mix.

    Runs thousands of times per draw, hence plain loops; items come from ``_pools_by_module``
    (no repeated objective within an item, every difficulty present in ``targets``).
    """
    repeats = 0
    usage: dict[str, int] = {}
    mix: dict[str, int] = {}
    for item in selection:
        if item.id in avoid:
            repeats += 1
        for objective in item.objectives:
            usage[objective] = usage.get(objective, 0) + 1
        mix[item.difficulty] = mix.get(item.difficulty, 0) + 1
    return (
        max(0, repeats - allowance),
        -len(usage),
        repeats,
        sum(uses * uses for uses in usage.values()),
        sum(abs(mix.get(name, 0) - target) for name, target in targets.items()),
    )


def _improve_by_swaps(
    selection: list[ItemRef],
    candidates: Sequence[ItemRef],
    cost: Callable[[Sequence[ItemRef]], _Cost],
    is_perfect: Callable[[_Cost], bool],
) -> list[ItemRef]:
    """First-improvement local search; ends because every accepted swap lowers the cost."""
    current = cost(selection)
    pair_budget = _MAX_PAIR_TRIALS
    while True:
        better, _ = _first_better_swap(selection, candidates, cost, current, size=1)
        if better is None and pair_budget > 0 and not is_perfect(current):
            better, used = _first_better_swap(
                selection, candidates, cost, current, size=2, limit=pair_budget
            )
            pair_budget -= used
        if better is None:
            return selection
        selection, current = better


def _first_better_swap(
    selection: list[ItemRef],
    candidates: Sequence[ItemRef],
    cost: Callable[[Sequence[ItemRef]], _Cost],
    current: _Cost,
    *,
    size: int,
    limit: int | None = None,
) -> tuple[tuple[list[ItemRef], _Cost] | None, int]:
    """The first swap of ``size`` items that lowers the cost, and how many swaps were tried."""
    taken = {item.id for item in selection}
    outside = [item for item in candidates if item.id not in taken]
    tried = 0
    for leaving in itertools.combinations(range(len(selection)), size):
        kept = [item for index, item in enumerate(selection) if index not in leaving]
        for entering in itertools.combinations(outside, size):
            if limit is not None and tried >= limit:
                return None, tried
            tried += 1
            trial = [*kept, *entering]
            trial_cost = cost(trial)
            if trial_cost < current:
                return (trial, trial_cost), tried
    return None, tried


def _option_order(item: ItemRef, rng: random.Random) -> tuple[str, ...]:
    return _type_named(item.type, item.id).option_order(item.option_ids, rng)


# --------------------------------------------------------------------------- grading


@dataclass(frozen=True)
class GradableEntry:
    """One answered item of an attempt, with what it measures and where it is taught."""

    spec: QuestionSpec
    response: frozenset[str]
    objectives: tuple[str, ...]
    module: str
    section: str


@dataclass(frozen=True)
class ItemResult:
    """How one item scored, the response as its type records it, and the key."""

    id: str
    score: float
    is_correct: bool
    chosen: tuple[str, ...]
    key: tuple[str, ...]


@dataclass(frozen=True)
class ObjectiveResult:
    """Points earned on the items measuring one objective, and where to review it."""

    objective: str
    correct: float
    total: int
    module: str
    sections: tuple[str, ...]


@dataclass(frozen=True)
class GradeResult:
    """The score of an attempt (0..1), per item and per objective."""

    score: float
    points: float
    possible: int
    items: tuple[ItemResult, ...]
    by_objective: tuple[ObjectiveResult, ...]


def grade_form(entries: Sequence[GradableEntry], *, partial_credit: bool) -> GradeResult:
    """Score an attempt through the question-type registry so every type grades its own way.

    The score is the mean item score rounded to 4 decimals (0 for an empty form); results
    by objective are sorted by id, their sections by name, so item order never matters;
    ``partial_credit`` applies to types that support it (multiple response). Raises
    ``InvalidResponse`` for a response the item cannot have, ``ValueError`` for an unknown
    question type or an item listed twice.
    """
    seen: set[str] = set()
    results: list[ItemResult] = []
    earned: dict[str, list[float]] = {}
    modules: dict[str, set[str]] = {}
    sections: dict[str, set[str]] = {}
    for entry in entries:
        spec = entry.spec
        if spec.id in seen:
            raise ValueError(f"question {spec.id} appears twice in the attempt")
        seen.add(spec.id)
        question_type = _question_type(spec)
        score = question_type.grade(spec, entry.response, partial_credit=partial_credit)
        results.append(
            ItemResult(
                id=spec.id,
                score=score,
                is_correct=score >= 1.0,
                chosen=question_type.record_response(spec, entry.response),
                key=spec.key,
            )
        )
        for objective in dict.fromkeys(entry.objectives):
            earned.setdefault(objective, []).append(score)
            modules.setdefault(objective, set()).add(entry.module)
            sections.setdefault(objective, set()).add(entry.section)
    points = math.fsum(result.score for result in results)
    possible = len(results)
    by_objective = tuple(
        ObjectiveResult(
            objective=objective,
            correct=round(math.fsum(earned[objective]), SCORE_DECIMALS),
            total=len(earned[objective]),
            module=min(modules[objective], key=_natural_key),
            sections=tuple(sorted(sections[objective] - {""}, key=_natural_key)),
        )
        for objective in sorted(earned, key=_natural_key)
    )
    return GradeResult(
        score=round(points / possible, SCORE_DECIMALS) if possible else 0.0,
        points=round(points, SCORE_DECIMALS),
        possible=possible,
        items=tuple(results),
        by_objective=by_objective,
    )


def parse_responses(
    specs: Sequence[QuestionSpec], raw: Mapping[str, Sequence[str]]
) -> dict[str, frozenset[str]]:
    """Read submitted form fields (one per question id, a list of option ids) before grading.

    A missing field is an empty response. Raises ``InvalidResponse`` naming the question
    for an unknown option, a repeated option, too many choices, or a field that is not a
    question of this form. Pass only the answer fields (no CSRF token), each as a list —
    e.g. ``{key: form.getlist(key) for key in form}``.
    """
    known = {spec.id for spec in specs}
    for field in raw:
        if field not in known:
            raise InvalidResponse(f"{field!r} is not a question of this form")
    parsed: dict[str, frozenset[str]] = {}
    for spec in specs:
        value = raw.get(spec.id, ())
        choices = (value,) if isinstance(value, str) else tuple(value)
        try:
            parsed[spec.id] = _question_type(spec).parse_response(spec, choices)
        except InvalidResponse as error:
            if spec.id in error.message:
                raise
            raise InvalidResponse(f"question {spec.id}: {error.message}") from error
    return parsed


def _question_type(spec: QuestionSpec) -> type[QuestionType]:
    return _type_named(spec.type, spec.id)


def _type_named(name: str, item_id: str) -> type[QuestionType]:
    try:
        return QUESTION_TYPES[name]
    except KeyError:
        known = ", ".join(sorted(QUESTION_TYPES))
        raise ValueError(
            f"question {item_id} has unknown type {name!r} — use one of {known}"
        ) from None


def _natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort "m2.o10" after "m2.o9" and "m10" after "m9"."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", text) if part
    )


# --------------------------------------------------------------------------- pass and record


def is_pass(score: float, pass_mark: float) -> bool:
    """Compare with a tolerance so exact fractions such as 24/30 at 0.8 pass despite floats."""
    return score >= pass_mark - PASS_TOLERANCE


def _average(scores: Sequence[float]) -> float:
    return round(math.fsum(scores) / len(scores), SCORE_DECIMALS)


_RECORD_RULES: dict[str, Callable[[Sequence[float]], float]] = {
    GradingMethod.HIGHEST: max,
    GradingMethod.LAST: lambda scores: scores[-1],
    GradingMethod.FIRST: lambda scores: scores[0],
    GradingMethod.AVERAGE: _average,
}


def result_of_record(scores: Sequence[float], method: str) -> float | None:
    """Pick the score that counts under the course's grading method (scores oldest first)."""
    try:
        rule = _RECORD_RULES[method]
    except KeyError:
        known = ", ".join(_RECORD_RULES)
        raise ValueError(f"unknown grading method {method!r} — use one of {known}") from None
    return rule(scores) if scores else None


def attempts_left(used: int, max_attempts: int | None) -> int | None:
    """Attempts still open to the learner; None means unlimited."""
    if used < 0:
        raise ValueError(f"attempts used cannot be negative, got {used}")
    if max_attempts is None:
        return None
    return max(0, max_attempts - used)


def next_attempt_allowed_at(
    last_finished_at: datetime | None, wait_hours: float
) -> datetime | None:
    """When the enforced cool-down after the last attempt ends; None when there is none."""
    if last_finished_at is None or wait_hours <= 0:
        return None
    return last_finished_at + timedelta(hours=wait_hours)


# --------------------------------------------------------------------------- review


@dataclass(frozen=True)
class Visibility:
    """What the review page of a finished attempt may show."""

    show_missed: bool
    show_key_and_rationales: bool


_REVIEW_RULES: dict[str, Callable[[bool, int | None], Visibility]] = {
    ReviewPolicy.MISSED_ONLY: lambda passed, left: Visibility(True, False),
    ReviewPolicy.AFTER_PASS_OR_LAST_ATTEMPT: lambda passed, left: Visibility(
        True, passed or left == 0
    ),
    ReviewPolicy.ALWAYS: lambda passed, left: Visibility(True, True),
}


def review_visibility(policy: str, *, passed: bool, attempts_left: int | None) -> Visibility:
    """Keep keys hidden while they could still be copied into a later attempt, per policy."""
    try:
        rule = _REVIEW_RULES[policy]
    except KeyError:
        known = ", ".join(_REVIEW_RULES)
        raise ValueError(f"unknown review policy {policy!r} — use one of {known}") from None
    return rule(passed, attempts_left)
