"""What a learner still owes before credit is earned: a pure checklist."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction


class ModuleState(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETE = "complete"


class Step(StrEnum):
    READ_MODULES = "read_modules"
    MINIMUM_TIME = "minimum_time"
    POST_TEST = "post_test"
    EVALUATION = "evaluation"
    PROFILE = "profile"


@dataclass(frozen=True)
class ModuleStatus:
    position: int
    title: str
    state: ModuleState
    seconds_spent: int = 0
    minimum_seconds: int = 0  # server-measured time this module asks for before the post-test


@dataclass(frozen=True)
class LearnerState:
    """Everything the rule needs, gathered by the caller from the database."""

    modules: tuple[ModuleStatus, ...]
    minimum_reading_minutes: float = 0
    post_test_passed: bool = False
    evaluation_submitted: bool = False
    profile_complete: bool = False


@dataclass(frozen=True)
class Owed:
    step: Step
    message: str
    module_position: int | None = None


def module_minimum_seconds(estimated_minutes: int, share: float) -> int:
    """Seat time a module asks for: a share of its reading estimate, in whole seconds."""
    return math.ceil(Fraction(repr(share)) * estimated_minutes * 60)


def minutes_remaining(module: ModuleStatus) -> int:
    """Whole minutes of reading time this module still asks for (0 when met)."""
    return math.ceil(max(0, module.minimum_seconds - module.seconds_spent) / 60)


def reading_seconds(state: LearnerState) -> int:
    """Server-measured reading time across the course."""
    return sum(m.seconds_spent for m in state.modules)


def modules_complete(state: LearnerState) -> bool:
    return all(m.state is ModuleState.COMPLETE for m in state.modules)


def post_test_unlocked(state: LearnerState) -> bool:
    """The post-test opens once every module is read and the minimum time is met."""
    return modules_complete(state) and _minimum_time_met(state)


def _minimum_time_met(state: LearnerState) -> bool:
    course_met = reading_seconds(state) >= state.minimum_reading_minutes * 60
    return course_met and all(m.seconds_spent >= m.minimum_seconds for m in state.modules)


def outstanding(state: LearnerState) -> list[Owed]:
    """Every requirement not yet met, in the order a learner would meet them."""
    owed: list[Owed] = []
    for module in state.modules:
        if module.state is not ModuleState.COMPLETE:
            owed.append(
                Owed(
                    Step.READ_MODULES,
                    f"Read module {module.position}: {module.title}",
                    module.position,
                )
            )
    for module in state.modules:
        if left := minutes_remaining(module):
            owed.append(
                Owed(
                    Step.MINIMUM_TIME,
                    f"Module {module.position}: about {left} more minute(s) of reading time "
                    f"before the post-test",
                    module.position,
                )
            )
    if reading_seconds(state) < state.minimum_reading_minutes * 60:
        remaining = max(1, round(state.minimum_reading_minutes - reading_seconds(state) / 60))
        owed.append(
            Owed(Step.MINIMUM_TIME, f"Spend about {remaining} more minute(s) with the modules")
        )
    if not state.post_test_passed:
        owed.append(Owed(Step.POST_TEST, "Pass the post-test"))
    if not state.evaluation_submitted:
        owed.append(Owed(Step.EVALUATION, "Complete the course evaluation"))
    if not state.profile_complete:
        owed.append(
            Owed(Step.PROFILE, "Complete your profile: credential, license number and state")
        )
    return owed


def percent_complete(state: LearnerState) -> int:
    """Share of the course's requirements met, for progress bars (0–100)."""
    return percent_from_counts(
        modules_total=len(state.modules),
        modules_complete=sum(m.state is ModuleState.COMPLETE for m in state.modules),
        post_test_passed=state.post_test_passed,
        evaluation_submitted=state.evaluation_submitted,
        profile_complete=state.profile_complete,
    )


def percent_from_counts(
    *,
    modules_total: int,
    modules_complete: int,
    post_test_passed: bool = False,
    evaluation_submitted: bool = False,
    profile_complete: bool = False,
) -> int:
    """The same share from counts, for list pages that aggregate in SQL."""
    total = modules_total + 3  # every module, the post-test, the evaluation, the profile
    done = min(modules_complete, modules_total)
    done += post_test_passed + evaluation_submitted + profile_complete
    return round(100 * done / total)


def next_module_position(state: LearnerState, last_position: int | None) -> int | None:
    """Where "resume" goes: the last module read, else the first one not complete."""
    positions = [m.position for m in state.modules]
    if last_position in positions:
        return last_position
    for m in state.modules:
        if m.state is not ModuleState.COMPLETE:
            return m.position
    return positions[0] if positions else None


def credit_time(previous_seen_seconds_ago: float | None, *, cap_seconds: int = 600) -> int:
    """Seconds to credit to the module read before this page view.

    The browser is never trusted: time is the gap between two page views of the same
    enrollment, capped so that an idle tab does not count as reading.
    """
    if previous_seen_seconds_ago is None or previous_seen_seconds_ago < 0:
        return 0
    return int(min(previous_seen_seconds_ago, cap_seconds))
