"""The version snapshot: the typed course policy as JSON and back, nothing lost or guessed."""

from __future__ import annotations

import dataclasses
import json

import pytest

from ceu.domain.content import CATALOG_FIELDS, Course, CoursePolicy, GradingMethod
from ceu.domain.content.snapshot import SnapshotInvalid, policy_from_json, policy_to_json
from ceu.files import find_course_dirs, load_course

from .conftest import EXAMPLE_COURSE, REPO_ROOT

COURSES = [EXAMPLE_COURSE, *find_course_dirs(REPO_ROOT / "courses")]


def _stored(policy: CoursePolicy) -> dict:
    """What the database hands back: the JSON text parsed again."""
    return json.loads(json.dumps(policy_to_json(policy)))


@pytest.mark.parametrize("folder", COURSES, ids=lambda path: path.name)
def test_the_policy_survives_the_database_as_the_same_typed_objects(folder) -> None:
    policy = load_course(folder).policy
    again = policy_from_json(_stored(policy))
    assert again == policy
    assert isinstance(again.post_test.grading_method, GradingMethod)
    assert isinstance(again.evaluation, tuple)
    assert again.contact_hours.hours == policy.contact_hours.hours


def test_every_course_field_is_in_the_policy_or_a_catalog_column() -> None:
    """A field added to the model must be placed: kept in the snapshot or stored apart."""
    structure = {"modules", "files", "content_hash"}
    course_fields = {f.name for f in dataclasses.fields(Course)}
    policy_fields = {f.name for f in dataclasses.fields(CoursePolicy)}
    assert course_fields == policy_fields | set(CATALOG_FIELDS) | structure
    assert not policy_fields & set(CATALOG_FIELDS)


def test_an_unknown_key_in_a_stored_policy_is_refused() -> None:
    data = _stored(load_course(EXAMPLE_COURSE).policy)
    data["post_test"]["pasmark"] = 0.8
    with pytest.raises(SnapshotInvalid, match=r"policy.post_test: unknown keys \['pasmark'\]"):
        policy_from_json(data)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("post_test", "grading_method"), "best", "'best' is not a GradingMethod"),
        (("post_test", "pass_mark"), "0.8", "expected a number"),
        (("post_test", "max_attempts"), True, "expected int"),
        (("knowledge_check", "counts_toward_grade"), "no", "expected bool"),
        (("prerequisites",), "none", "expected a list"),
        (("disclosures",), [], "expected a mapping"),
    ],
)
def test_a_stored_policy_of_the_wrong_shape_is_refused(path, value, message) -> None:
    data = _stored(load_course(EXAMPLE_COURSE).policy)
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(SnapshotInvalid, match=message):
        policy_from_json(data)


def test_a_missing_key_without_a_default_is_refused() -> None:
    data = _stored(load_course(EXAMPLE_COURSE).policy)
    del data["reading"]
    with pytest.raises(SnapshotInvalid, match="reading is missing"):
        policy_from_json(data)
