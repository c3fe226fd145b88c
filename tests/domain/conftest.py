"""Fixtures for the pure domain tests: the example course and disposable copies of it."""

import shutil
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_COURSE = REPO_ROOT / "docs" / "examples" / "minimal-course"


@pytest.fixture
def course_dir(tmp_path: Path) -> Path:
    """A private copy of the minimal example course that a test may break."""
    target = tmp_path / EXAMPLE_COURSE.name
    shutil.copytree(EXAMPLE_COURSE, target)
    return target
