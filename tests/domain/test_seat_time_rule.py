"""The minimum time per module in the completion rule (pure)."""

from ceu.domain.completion import (
    LearnerState,
    ModuleState,
    ModuleStatus,
    Step,
    minutes_remaining,
    module_minimum_seconds,
    outstanding,
    post_test_unlocked,
)


def state(*spent: tuple[int, int]) -> LearnerState:
    return LearnerState(
        modules=tuple(
            ModuleStatus(i + 1, f"M{i + 1}", ModuleState.COMPLETE, seconds, minimum)
            for i, (seconds, minimum) in enumerate(spent)
        )
    )


def test_the_minimum_is_a_share_of_the_estimate_in_whole_seconds() -> None:
    assert module_minimum_seconds(8, 0.5) == 240
    assert module_minimum_seconds(9, 0.5) == 270
    assert module_minimum_seconds(7, 0.33) == 139  # 138.6 rounds up
    assert module_minimum_seconds(10, 0) == 0


def test_every_module_must_meet_its_own_minimum() -> None:
    assert post_test_unlocked(state((240, 240), (270, 270)))
    assert not post_test_unlocked(state((2000, 240), (269, 270)))


def test_time_left_is_owed_per_module_in_whole_minutes() -> None:
    owed = [o for o in outstanding(state((240, 240), (100, 270))) if o.step is Step.MINIMUM_TIME]
    assert [(o.module_position, o.message) for o in owed] == [
        (2, "Module 2: about 3 more minute(s) of reading time before the post-test")
    ]
    assert minutes_remaining(ModuleStatus(1, "M1", ModuleState.IN_PROGRESS, 300, 240)) == 0
