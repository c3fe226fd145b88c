"""A course version's snapshot holds the typed CoursePolicy, in the ORM and in the cache."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

from ceu.catalog import queries
from ceu.catalog.models import CourseVersion
from ceu.domain.content import CoursePolicy, Level, PostTestPolicy
from ceu.extensions import db
from tests.conftest import parsed_example_course


def test_an_imported_version_reads_back_its_policy_as_typed_objects(course):
    db.session.expire_all()
    version = db.session.scalar(select(CourseVersion).where(CourseVersion.course_id == course.id))
    assert isinstance(version.policy, CoursePolicy)
    assert isinstance(version.policy.post_test, PostTestPolicy)
    assert version.policy == parsed_example_course().policy


def test_the_cached_snapshot_carries_the_policy_and_the_level_enum(course):
    view = queries.version(course.current_version_id)
    parsed = parsed_example_course()
    assert view.policy == parsed.policy
    assert view.level is Level.INTRODUCTORY
    for shown, module in zip(view.modules, parsed.modules, strict=True):
        assert shown.objectives == module.objectives  # Objective, not dicts
        assert shown.sections == module.sections
        assert shown.key_points == module.key_points


def test_the_stored_json_keeps_its_shape(course):
    """Versions imported before the policy was typed hold the same JSON, so they still load."""
    raw = db.session.execute(
        text("SELECT front FROM course_version WHERE id = :id"), {"id": course.current_version_id}
    ).scalar_one()
    stored = raw if isinstance(raw, dict) else json.loads(raw)
    assert stored["post_test"]["grading_method"] == "highest"
    assert stored["evaluation"][0]["objective_id"] == "CO1"


def test_a_version_refuses_a_policy_that_is_not_typed(course):
    version = db.session.get(CourseVersion, course.current_version_id)
    version.policy = {"post_test": {}}
    with pytest.raises(StatementError, match="takes a CoursePolicy"):
        db.session.flush()
    db.session.rollback()
