"""`ceu courses validate | import | export | format`: versions by content hash, round trips."""

from __future__ import annotations

import filecmp
import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ceu.catalog.models import Course, CourseVersion, Module, Question
from ceu.cli import cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "minimal-course"
SHIPPED = ROOT / "courses"


@pytest.fixture
def run(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(cli, [str(a) for a in args])


@pytest.fixture
def course_dir(tmp_path) -> Path:
    dest = tmp_path / "src" / "minimal-course"
    shutil.copytree(EXAMPLE, dest)
    return dest


def count(db, model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def assert_same_tree(a: Path, b: Path) -> None:
    cmp = filecmp.dircmp(a, b)
    assert not cmp.left_only, cmp.left_only
    assert not cmp.right_only, cmp.right_only
    assert not cmp.diff_files, cmp.diff_files
    for sub in cmp.common_dirs:
        assert_same_tree(a / sub, b / sub)
    for name in cmp.common_files:
        assert (a / name).read_bytes() == (b / name).read_bytes()


def test_validate_accepts_the_example(run, course_dir):
    result = run("courses", "validate", course_dir)
    assert result.exit_code == 0, result.output
    assert "ok  minimal-course" in result.output


def test_validate_strict_turns_item_warnings_into_errors(run, course_dir):
    lenient = run("courses", "validate", course_dir)
    assert "warning: minimal-course/" in lenient.output
    assert "[case-vignette]" in lenient.output
    strict = run("courses", "validate", "--strict", course_dir)
    assert strict.exit_code == 1, strict.output
    assert "error: minimal-course/" in strict.output
    assert "item-writing problem(s) found (--strict)" in strict.output


def test_import_then_reimport_is_unchanged(run, db, course_dir):
    first = run("courses", "import", course_dir)
    assert first.exit_code == 0, first.output
    assert "imported as version 1" in first.output
    again = run("courses", "import", course_dir)
    assert "unchanged, still version 1" in again.output
    assert count(db, CourseVersion) == 1
    assert count(db, Module) >= 2
    assert count(db, Question) > 0


def test_changed_content_becomes_a_new_version_and_old_one_stays(run, db, course_dir):
    run("courses", "import", course_dir)
    course_yaml = course_dir / "course.yaml"
    text = course_yaml.read_text(encoding="utf-8")
    course_yaml.write_text(re.sub(r"(?m)^version: .*$", 'version: "9.9.9"', text), encoding="utf-8")
    result = run("courses", "import", course_dir)
    assert "imported as version 2" in result.output, result.output
    db.session.expire_all()
    course = db.session.scalar(select(Course))
    assert [v.number for v in course.versions] == [1, 2]
    assert [v.version_label for v in course.versions][1] == "9.9.9"
    assert course.current_version.number == 2


def test_export_is_byte_identical_and_reimports_unchanged(run, db, course_dir, tmp_path):
    run("courses", "import", course_dir)
    out = tmp_path / "out"
    result = run("courses", "export", "minimal-course", out)
    assert result.exit_code == 0, result.output
    assert_same_tree(course_dir, out / "minimal-course")
    assert "unchanged" in run("courses", "import", out / "minimal-course").output


def _unwrap_summary(course_dir: Path) -> str:
    """Rewrite the example's folded summary as one long line: same content, other layout."""
    course_yaml = course_dir / "course.yaml"
    canonical = course_yaml.read_text(encoding="utf-8")
    folded = re.search(r"(?m)^summary: >-\n((?:  .*\n)+)", canonical)
    assert folded is not None
    one_line = " ".join(folded.group(1).split())
    course_yaml.write_text(
        canonical.replace(folded.group(0), f"summary: {one_line}\n"), encoding="utf-8"
    )
    return canonical


def test_export_writes_the_canonical_layout_or_the_files_as_imported(run, db, course_dir, tmp_path):
    canonical = _unwrap_summary(course_dir)
    imported = (course_dir / "course.yaml").read_text(encoding="utf-8")
    assert run("courses", "import", course_dir).exit_code == 0
    result = run("courses", "export", "minimal-course", tmp_path / "canonical")
    assert result.exit_code == 0, result.output
    written = tmp_path / "canonical" / "minimal-course" / "course.yaml"
    assert written.read_text(encoding="utf-8") == canonical
    result = run("courses", "export", "minimal-course", tmp_path / "raw", "--as-imported")
    assert result.exit_code == 0, result.output
    raw = tmp_path / "raw" / "minimal-course"
    assert (raw / "course.yaml").read_text(encoding="utf-8") == imported
    assert_same_tree(course_dir, raw)


def test_format_rewrites_the_layout_and_keeps_the_content(run, course_dir):
    canonical = _unwrap_summary(course_dir)
    check = run("courses", "format", "--check", course_dir)
    assert check.exit_code == 1
    assert "not canonical: minimal-course/course.yaml" in check.output
    assert (course_dir / "course.yaml").read_text(encoding="utf-8") != canonical  # check only
    result = run("courses", "format", course_dir)
    assert result.exit_code == 0, result.output
    assert "rewrote: minimal-course/course.yaml" in result.output
    assert (course_dir / "course.yaml").read_text(encoding="utf-8") == canonical
    assert_same_tree(EXAMPLE, course_dir)
    assert "already canonical" in run("courses", "format", "--check", course_dir).output


def test_format_leaves_an_invalid_course_untouched(run, course_dir):
    _unwrap_summary(course_dir)
    bank = sorted(course_dir.glob("01-*/questions.yaml"))[0]
    bank.write_text(bank.read_text(encoding="utf-8") + "\n- id: [unclosed\n", encoding="utf-8")
    before = {p: p.read_bytes() for p in course_dir.rglob("*") if p.is_file()}
    result = run("courses", "format", course_dir)
    assert result.exit_code == 1
    assert "questions.yaml:" in result.output
    assert "not valid, left unchanged" in result.output
    assert {p: p.read_bytes() for p in course_dir.rglob("*") if p.is_file()} == before


def test_export_refuses_non_empty_destination(run, course_dir, tmp_path):
    run("courses", "import", course_dir)
    (tmp_path / "out" / "minimal-course").mkdir(parents=True)
    (tmp_path / "out" / "minimal-course" / "x").write_text("keep me")
    result = run("courses", "export", "minimal-course", tmp_path / "out")
    assert result.exit_code != 0
    assert (tmp_path / "out" / "minimal-course" / "x").read_text() == "keep me"


def test_export_unknown_course_fails_clearly(run, tmp_path):
    result = run("courses", "export", "no-such-course", tmp_path)
    assert result.exit_code != 0
    assert "No course" in result.output


def test_broken_course_imports_nothing(run, db, course_dir):
    bank = sorted(course_dir.glob("01-*/questions.yaml"))[0]
    bank.write_text(bank.read_text(encoding="utf-8") + "\n- id: [unclosed\n", encoding="utf-8")
    result = run("courses", "import", course_dir)
    assert result.exit_code == 1
    assert "questions.yaml:" in result.output
    assert "nothing was imported" in result.output
    assert count(db, Course) == 0
    assert count(db, CourseVersion) == 0


def test_one_broken_course_in_a_folder_blocks_all(run, db, course_dir, tmp_path):
    other = course_dir.parent / "second-course"
    shutil.copytree(course_dir, other)
    result = run("courses", "import", course_dir.parent)
    assert result.exit_code == 1  # slug mismatch in the copy
    assert count(db, Course) == 0


def test_shipped_courses_round_trip(run, db, tmp_path):
    result = run("courses", "import", SHIPPED)
    assert result.exit_code == 0, result.output
    out = tmp_path / "export"
    for course in db.session.scalars(select(Course)):
        assert run("courses", "export", course.slug, out).exit_code == 0
        assert_same_tree(SHIPPED / course.slug, out / course.slug)


def test_validate_strict_passes_the_shipped_course_and_warns_about_provider_details(run):
    shipped = Path(__file__).resolve().parents[2] / "courses" / "ketamine-refractory-anxiety"
    result = run("courses", "validate", "--strict", shipped)
    assert result.exit_code == 0, result.output
    assert "0 item warning(s)" in result.output
    assert "warning (before publishing): ketamine-refractory-anxiety/course.yaml: " in (
        result.output
    )
    assert "disclosures.authors is empty" in result.output
