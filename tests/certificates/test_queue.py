"""The approval queue holds exactly the enrollments the completion rule accepts.

`queries.queue` narrows enrollments down in SQL and leaves the decision to
`ceu.domain.completion.outstanding`; this test generates sets of enrollments in every
combination of the requirements (modules read or not, reading time, post-test, evaluation,
profile fields empty or blank, withdrawn or completed) and compares the queue with the
rule applied to what was generated, on both databases.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ceu.auth.models import User
from ceu.catalog.models import CourseVersion
from ceu.certificates import queries
from ceu.domain.completion import LearnerState, ModuleState, ModuleStatus, outstanding
from ceu.extensions import db, utcnow
from ceu.learning.models import Enrollment, EnrollmentStatus, ModuleProgress

MINIMUM_MINUTES = 5
_serial = itertools.count(1)


@dataclass(frozen=True)
class Reading:
    viewed: bool
    complete: bool
    seconds: int


@dataclass(frozen=True)
class Spec:
    status: EnrollmentStatus
    readings: tuple[Reading, ...]
    post_test_passed: bool
    evaluation_submitted: bool
    full_name: str
    credential: str
    license_number: str
    license_state: str


# Weighted towards meeting each requirement, so that many generated enrollments are
# complete but for one detail (the cases where SQL and the rule could disagree).
MOSTLY = st.sampled_from([True, True, True, False])
PROFILE_VALUE = st.sampled_from(["LPC", "LPC", "", "   ", "\t"])
READING = st.builds(
    Reading,
    viewed=MOSTLY,
    complete=MOSTLY,
    seconds=st.sampled_from([0, 60, 149, 150, 151, 300, 900]),
)


def specs(module_count: int) -> st.SearchStrategy[Spec]:
    return st.builds(
        Spec,
        status=st.sampled_from([EnrollmentStatus.ACTIVE] * 3 + list(EnrollmentStatus)),
        readings=st.tuples(*[READING] * module_count),
        post_test_passed=MOSTLY,
        evaluation_submitted=MOSTLY,
        full_name=st.sampled_from(["Dana Rivera", "Dana Rivera", "", "  "]),
        credential=PROFILE_VALUE,
        license_number=PROFILE_VALUE,
        license_state=PROFILE_VALUE,
    )


def accepted(spec: Spec, titles: list[str]) -> bool:
    """The rule applied to the generated values, with no database in between."""
    state = LearnerState(
        modules=tuple(
            ModuleStatus(
                position=position,
                title=title,
                state=(
                    ModuleState.NOT_STARTED
                    if not reading.viewed
                    else ModuleState.COMPLETE
                    if reading.complete
                    else ModuleState.IN_PROGRESS
                ),
                seconds_spent=reading.seconds if reading.viewed else 0,
            )
            for position, (title, reading) in enumerate(zip(titles, spec.readings, strict=True), 1)
        ),
        minimum_reading_minutes=MINIMUM_MINUTES,
        post_test_passed=spec.post_test_passed,
        evaluation_submitted=spec.evaluation_submitted,
        profile_complete=all(
            v.strip()
            for v in (spec.full_name, spec.credential, spec.license_number, spec.license_state)
        ),
    )
    return spec.status == EnrollmentStatus.ACTIVE and not outstanding(state)


def store(spec: Spec, course, version: CourseVersion, modules) -> int:
    n = next(_serial)
    now = utcnow()
    user = User(
        email=f"queue{n}@example.org",
        full_name=spec.full_name,
        password_hash="x",
        credential=spec.credential,
        license_number=spec.license_number,
        license_state=spec.license_state,
    )
    db.session.add(user)
    db.session.flush()
    enrollment = Enrollment(
        user_id=user.id,
        course_id=course.id,
        version_id=version.id,
        status=spec.status.value,
        post_test_passed_at=now - timedelta(hours=1) if spec.post_test_passed else None,
        evaluation_submitted_at=now - timedelta(minutes=n) if spec.evaluation_submitted else None,
    )
    db.session.add(enrollment)
    db.session.flush()
    for module, reading in zip(modules, spec.readings, strict=True):
        if reading.viewed:
            db.session.add(
                ModuleProgress(
                    enrollment_id=enrollment.id,
                    module_id=module.id,
                    seconds_spent=reading.seconds,
                    completed_at=now - timedelta(hours=2) if reading.complete else None,
                )
            )
    db.session.flush()
    return enrollment.id


def test_the_queue_is_exactly_what_the_completion_rule_accepts(app, course):
    version = course.current_version
    post_test = replace(version.policy.post_test, minimum_reading_minutes=MINIMUM_MINUTES)
    version.policy = replace(version.policy, post_test=post_test)
    db.session.commit()
    modules = sorted(version.modules, key=lambda m: m.position)
    titles = [m.title for m in modules]
    assert len(modules) >= 2

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(st.lists(specs(len(modules)), min_size=1, max_size=6))
    def check(generated: list[Spec]) -> None:
        ids = {store(spec, course, version, modules): spec for spec in generated}
        db.session.commit()
        queued = {e.id for e, _, _, _ in queries.queue()} & set(ids)
        assert queued == {i for i, spec in ids.items() if accepted(spec, titles)}

    check()


def test_a_blank_profile_or_too_little_reading_keeps_a_completion_out_of_the_queue(app, course):
    """The two ways the queue's SQL once disagreed with the rule, spelled out."""
    version = course.current_version
    post_test = replace(version.policy.post_test, minimum_reading_minutes=MINIMUM_MINUTES)
    version.policy = replace(version.policy, post_test=post_test)
    db.session.commit()
    modules = sorted(version.modules, key=lambda m: m.position)
    done = Reading(viewed=True, complete=True, seconds=900)
    complete = Spec(
        EnrollmentStatus.ACTIVE, (done,) * len(modules), True, True, "Dana", "LPC", "L-1", "OH"
    )
    short = (Reading(viewed=True, complete=True, seconds=60),) * len(modules)
    blank_name, blank_state, too_quick = (
        store(replace(complete, **change), course, version, modules)
        for change in ({"full_name": "  "}, {"license_state": " "}, {"readings": short})
    )
    ready = store(complete, course, version, modules)
    db.session.commit()
    queued = [e.id for e, _, _, _ in queries.queue()]
    assert queued == [ready]
    assert {blank_name, blank_state, too_quick}.isdisjoint(queued)
