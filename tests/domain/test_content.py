"""Course folders: the example loads; every kind of mistake is reported with file and line."""

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ceu.domain.content import (
    MIN_ITEMS_PER_OBJECTIVE,
    ContentError,
    Course,
    CourseInvalid,
    Difficulty,
    EvaluationItemType,
    Level,
    Pool,
    compute_contact_hours,
    content_hash,
    module_reading_minutes,
    parse_course,
)
from ceu.domain.questions import QUESTION_TYPES
from ceu.files import find_course_dirs, load_course, write_course

from .conftest import EXAMPLE_COURSE

M1 = "01-record-keeping"
M2 = "02-progress-notes"


def _errors(path: Path) -> tuple[ContentError, ...]:
    with pytest.raises(CourseInvalid) as caught:
        load_course(path)
    return caught.value.errors


def _line_of(path: Path, marker: str, occurrence: int = 1) -> int:
    lines = path.read_text(encoding="utf-8").split("\n")
    hits = [number for number, line in enumerate(lines, start=1) if marker in line]
    assert len(hits) >= occurrence, f"{marker!r} not found {occurrence} time(s) in {path}"
    return hits[occurrence - 1]


def _replace(relative: str, old: str, new: str) -> Callable[[Path], None]:
    def apply(course: Path) -> None:
        path = course / relative
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"fixture drift: {old!r} must occur once in {relative}"
        path.write_text(text.replace(old, new), encoding="utf-8")

    return apply


def _write(relative: str, data: bytes) -> Callable[[Path], None]:
    def apply(course: Path) -> None:
        (course / relative).parent.mkdir(parents=True, exist_ok=True)
        (course / relative).write_bytes(data)

    return apply


def _rename(old: str, new: str) -> Callable[[Path], None]:
    def apply(course: Path) -> None:
        (course / old).rename(course / new)

    return apply


def _delete(relative: str) -> Callable[[Path], None]:
    return lambda course: (course / relative).unlink()


@dataclass(frozen=True)
class Broken:
    """One mutation of the example course and the error it must produce."""

    id: str
    apply: Callable[[Path], None]
    file: str  # relative to the course folder
    # The expected line: a marker (its first line in the mutated file), (marker, nth occurrence),
    # a literal number, or None for a file-level error.
    line: str | tuple[str, int] | int | None
    fragment: str


CORPUS = [
    Broken(
        "bad-yaml",
        _replace("course.yaml", "audience: Counselors and", "audience: Counselors: and"),
        "course.yaml",
        "audience: Counselors: and",
        "YAML syntax error: mapping values are not allowed here",
    ),
    Broken(
        "yaml-tab-indentation",
        _replace(f"{M1}/questions.yaml", "  pool: knowledge_check", "\tpool: knowledge_check"),
        f"{M1}/questions.yaml",
        "\tpool: knowledge_check",
        "YAML syntax error",
    ),
    Broken(
        "missing-required-key",
        _replace(
            f"{M1}/questions.yaml",
            "  stem: What is the main reason counselors keep clinical records?\n",
            "",
        ),
        f"{M1}/questions.yaml",
        "- id: m1-q01",
        "question m1-q01 is missing required key 'stem'",
    ),
    Broken(
        "unknown-key-course",
        _replace("course.yaml", "  pass_mark: 0.8\n", "  pass_mark: 0.8\n  pasmark: 0.7\n"),
        "course.yaml",
        "pasmark",
        "unknown key 'pasmark' in post_test — did you mean 'pass_mark'?",
    ),
    Broken(
        "unknown-key-front-matter",
        _replace(f"{M1}/module.md", "estimated_minutes: 3\n", "estimated_minutes: 3\nauthor: X\n"),
        f"{M1}/module.md",
        "author: X",
        "unknown key 'author' in the front matter",
    ),
    Broken(
        "duplicate-yaml-key",
        _replace("course.yaml", "level: introductory\n", "level: introductory\nlevel: advanced\n"),
        "course.yaml",
        "level: advanced",
        "key 'level' appears twice",
    ),
    Broken(
        "duplicate-question-id",
        _replace(f"{M2}/questions.yaml", "- id: m2-q01", "- id: m1-q01"),
        f"{M2}/questions.yaml",
        "- id: m1-q01",
        f"question id m1-q01 is already used at minimal-course/{M1}/questions.yaml:1",
    ),
    Broken(
        "key-not-among-options",
        _replace(
            f"{M1}/questions.yaml",
            "A record must describe this client.\n  key: b",
            "A record must describe this client.\n  key: e",
        ),
        f"{M1}/questions.yaml",
        "key: e",
        "question m1-q04: key 'e' is not one of the options a, b, c — set key to one of the "
        "option ids",
    ),
    Broken(
        "unknown-objective",
        _replace(f"{M1}/questions.yaml", "objectives: [m1.o3]", "objectives: [m1.o9]"),
        f"{M1}/questions.yaml",
        "objectives: [m1.o9]",
        "objective m1.o9 is not an objective of module record-keeping (m1.o1, m1.o2, m1.o3)",
    ),
    Broken(
        "uncovered-objective",
        _replace(f"{M2}/questions.yaml", "objectives: [m2.o3]", "objectives: [m2.o1]"),
        f"{M2}/module.md",
        "- id: m2.o3",
        f"objective m2.o3 is tested by 0 post_test question(s); it needs at least "
        f"{MIN_ITEMS_PER_OBJECTIVE}",
    ),
    Broken(
        "uncovered-course-objective",
        _replace(f"{M2}/module.md", "course_objectives: [CO2]", "course_objectives: [CO1]"),
        "course.yaml",
        "- id: CO2",
        "course objective CO2 is not listed in any module's course_objectives",
    ),
    Broken(
        "unknown-course-objective",
        _replace(f"{M2}/module.md", "course_objectives: [CO2]", "course_objectives: [CO2, CO7]"),
        f"{M2}/module.md",
        "course_objectives: [CO2, CO7]",
        "course_objectives lists CO7, which is not a course objective",
    ),
    Broken(
        "dangling-citation",
        _replace(f"{M1}/module.md", "[@hhs-hipaa]", "[@hhs-hipa]"),
        f"{M1}/module.md",
        "[@hhs-hipa]",
        "citation [@hhs-hipa] does not match any reference key in course.yaml",
    ),
    Broken(
        "malformed-citation",
        _replace(f"{M2}/module.md", "one day [@aca2014]", "one day [@ACA 2014]"),
        f"{M2}/module.md",
        "[@ACA 2014]",
        "malformed citation '[@ACA 2014]'",
    ),
    Broken(
        "script-tag",
        _replace(f"{M2}/module.md", "note specific.", "note specific.\n<script>alert(1)</script>"),
        f"{M2}/module.md",
        "<script>",
        "<script> tags are not allowed in module text",
    ),
    Broken(
        "onclick-attribute",
        _replace(f"{M2}/module.md", "note specific.", 'note <span onclick="steal()">x</span>.'),
        f"{M2}/module.md",
        "onclick",
        "event handler attribute onclick on <span> is not allowed",
    ),
    Broken(
        "javascript-link",
        _replace(f"{M2}/module.md", "note specific.", "note [specific](javascript:alert(1))."),
        f"{M2}/module.md",
        "javascript:",
        "javascript: URLs are not allowed",
    ),
    Broken(
        "data-url-link",
        _replace(f"{M2}/module.md", "note specific.", "note [x](data:text/html;base64,AAAA)."),
        f"{M2}/module.md",
        "data:text",
        "data: URLs are not allowed",
    ),
    Broken(
        "iframe-tag",
        _replace(f"{M2}/module.md", "note specific.", 'note.\n\n<iframe src="https://x.org">'),
        f"{M2}/module.md",
        "<iframe",
        "<iframe> tags are not allowed",
    ),
    Broken(
        "image",
        _replace(f"{M2}/module.md", "note specific.", "note ![chart](chart.png)."),
        f"{M2}/module.md",
        "![chart]",
        "images are not supported",
    ),
    Broken(
        "h1-in-body",
        _replace(
            f"{M2}/module.md", "## Structured note formats", "# Notes\n\n## Structured note formats"
        ),
        f"{M2}/module.md",
        "# Notes",
        "'#' (h1) headings are not allowed",
    ),
    Broken(
        "no-case-vignette",
        _replace(f"{M2}/module.md", "## Case vignette: Rewriting a vague note", "## Example"),
        f"{M2}/module.md",
        None,
        "no '## Case vignette…' section",
    ),
    Broken(
        "unknown-section",
        _replace(
            f"{M2}/questions.yaml",
            "section: structured-note-formats\n  stem: Which part",
            "section: note-formats\n  stem: Which part",
        ),
        f"{M2}/questions.yaml",
        "section: note-formats",
        "section note-formats is not a '##' section of module.md",
    ),
    Broken(
        "unsatisfiable-blueprint",
        _replace(
            "course.yaml",
            "module: progress-notes\n      items: 2",
            "module: progress-notes\n      items: 9",
        ),
        "course.yaml",
        "- module: progress-notes",
        "blueprint draws 9 items from module progress-notes, but its post_test pool has only 4",
    ),
    Broken(
        "blueprint-unknown-module",
        _replace("course.yaml", "module: progress-notes", "module: progress"),
        "course.yaml",
        "- module: progress",
        "blueprint names module progress, which does not exist",
    ),
    Broken(
        "blueprint-module-twice",
        _replace("course.yaml", "module: progress-notes", "module: record-keeping"),
        "course.yaml",
        ("- module: record-keeping", 2),
        "blueprint lists module record-keeping twice",
    ),
    Broken(
        "knowledge-check-pool-too-small",
        _replace("course.yaml", "knowledge_check:\n  items: 1", "knowledge_check:\n  items: 2"),
        "course.yaml",
        ("items: 2", 3),
        "knowledge_check draws 2 items per module, but module record-keeping has only 1",
    ),
    Broken(
        "wrong-contact-hours",
        _replace("course.yaml", "  hours: 0.25", "  hours: 1.5"),
        "course.yaml",
        "hours: 1.5",
        "contact_hours.hours is 1.5 but the computed value is 0.25",
    ),
    Broken(
        "pass-mark-out-of-range",
        _replace("course.yaml", "pass_mark: 0.8", "pass_mark: 1.5"),
        "course.yaml",
        "pass_mark: 1.5",
        "post_test.pass_mark must be more than 0 and at most 1",
    ),
    Broken(
        "bad-enum",
        _replace("course.yaml", "grading_method: highest", "grading_method: best"),
        "course.yaml",
        "grading_method: best",
        "post_test.grading_method 'best' is not one of highest, last, first, average",
    ),
    Broken(
        "stray-file",
        _write("notes.txt", b"draft\n"),
        "notes.txt",
        None,
        "unexpected file",
    ),
    Broken(
        "stray-file-in-module",
        _write(f"{M1}/draft.md", b"draft\n"),
        f"{M1}/draft.md",
        None,
        "unexpected file",
    ),
    Broken(
        "bad-module-folder-name",
        _rename(M2, "2-progress-notes"),
        "2-progress-notes/module.md",
        None,
        "module folders are named NN-name",
    ),
    Broken(
        "module-number-gap",
        _rename(M2, "03-progress-notes"),
        "03-progress-notes",
        None,
        "expected 02 here — rename the folder to 02-progress-notes",
    ),
    Broken(
        "missing-module-file",
        _delete(f"{M2}/questions.yaml"),
        f"{M2}/questions.yaml",
        None,
        "questions.yaml is missing",
    ),
    Broken(
        "slug-mismatch",
        _replace("course.yaml", "slug: minimal-course", "slug: other-course"),
        "course.yaml",
        "slug: other-course",
        "slug 'other-course' does not match the folder name 'minimal-course'",
    ),
    Broken(
        "true-false-bad-options",
        _replace(
            f"{M1}/questions.yaml",
            '- id: "true"\n      text: "True"\n      rationale: Incorrect. Retention',
            '- id: "yes"\n      text: "True"\n      rationale: Incorrect. Retention',
        ),
        f"{M1}/questions.yaml",
        '- id: "yes"',
        "question m1-q03: a true_false question has options yes, false — use exactly two options "
        'with ids "true" and "false"',
    ),
    Broken(
        "true-false-unquoted-id",
        _replace(
            f"{M2}/questions.yaml",
            '- id: "true"\n      text: "True"\n      rationale: Incorrect. DAP',
            '- id: true\n      text: "True"\n      rationale: Incorrect. DAP',
        ),
        f"{M2}/questions.yaml",
        "- id: true",
        "id must be a non-empty string, not true (a true/false value) — put the value in quotes, "
        'e.g. "true"',
    ),
    Broken(
        "all-of-the-above",
        _replace(
            f"{M1}/questions.yaml",
            "text: To replace conversations with the client.",
            "text: All of the above.",
        ),
        f"{M1}/questions.yaml",
        "text: All of the above.",
        "option 'c' says 'All of the above' — 'all/none of the above' options are not allowed",
    ),
    Broken(
        "multiple-with-one-key",
        _replace(f"{M2}/questions.yaml", "key: [a, c]", "key: [a]"),
        f"{M2}/questions.yaml",
        "key: [a]",
        "a multiple question needs at least 2 keys, not 1",
    ),
    Broken(
        "single-with-a-list-key",
        _replace(
            f"{M2}/questions.yaml",
            "Assessment records the counselor's understanding.\n  key: b",
            "Assessment records the counselor's understanding.\n  key: [b]",
        ),
        f"{M2}/questions.yaml",
        "key: [b]",
        "a single question has one key, not a list — write key: b",
    ),
    Broken(
        "html-in-stem",
        _replace(
            f"{M2}/questions.yaml",
            "stem: A DAP note has four parts.",
            "stem: A DAP note has <b>four</b> parts.",
        ),
        f"{M2}/questions.yaml",
        "<b>four</b>",
        "question m2-q03: the stem contains HTML (<b>)",
    ),
    Broken(
        "reference-without-doi-or-url",
        _replace("course.yaml", "    url: https://www.counseling.org\n", ""),
        "course.yaml",
        "- key: aca2014",
        "reference aca2014 has neither doi nor url",
    ),
    Broken(
        "bad-doi",
        _replace("course.yaml", "    url: https://www.counseling.org\n", "    doi: 1038/xyz\n"),
        "course.yaml",
        "doi: 1038/xyz",
        "reference aca2014: doi is not a valid DOI",
    ),
    Broken(
        "too-few-key-points",
        _replace(f"{M2}/module.md", "  - SOAP notes have four parts; DAP notes have three.\n", ""),
        f"{M2}/module.md",
        "  - Observations describe",
        "key_points has 2 key points; it needs 3–8",
    ),
    Broken(
        "too-few-objectives",
        _replace(
            f"{M2}/module.md",
            "  - id: m2.o3\n    text: Apply a structured format to rewrite a vague note.\n",
            "",
        ),
        f"{M2}/module.md",
        "  - id: m2.o1",
        "objectives has 2 objectives; it needs 3–5",
    ),
    Broken(
        "duplicate-objective-id",
        _replace(f"{M2}/module.md", "- id: m2.o1", "- id: m1.o1"),
        f"{M2}/module.md",
        "- id: m1.o1",
        "objective id m1.o1 is already used at minimal-course/01-record-keeping/module.md:5",
    ),
    Broken(
        "vague-objective-verb",
        _replace(f"{M2}/module.md", "text: Describe the SOAP", "text: Understand the SOAP"),
        f"{M2}/module.md",
        "Understand the SOAP",
        "starts with 'Understand', which cannot be measured",
    ),
    Broken(
        "number-where-string-expected",
        _replace("course.yaml", 'version: "0.1.0"', "version: 1.0"),
        "course.yaml",
        "version: 1.0",
        "version must be a non-empty string, not a number (1.0) — put the value in quotes, "
        'e.g. "1.0"',
    ),
    Broken(
        "list-where-mapping-expected",
        _replace(
            "course.yaml",
            "reading:\n  auto_complete_at_end: true",
            "reading:\n  - auto_complete_at_end: true",
        ),
        "course.yaml",
        "- auto_complete_at_end: true",
        "reading must be a mapping (key: value lines), not a list",
    ),
    Broken(
        "questions-file-is-a-mapping",
        _write(f"{M1}/questions.yaml", b"id: m1-q01\ntype: single\n"),
        f"{M1}/questions.yaml",
        1,
        "questions.yaml must be a list of questions",
    ),
    Broken(
        "empty-course-yaml",
        _write("course.yaml", b""),
        "course.yaml",
        None,
        "course.yaml is empty",
    ),
    Broken(
        "empty-questions",
        _write(f"{M1}/questions.yaml", b"\n"),
        f"{M1}/questions.yaml",
        None,
        "questions.yaml is empty",
    ),
    Broken(
        "empty-module",
        _write(f"{M1}/module.md", b""),
        f"{M1}/module.md",
        1,
        "module.md must start with a '---' line",
    ),
    Broken(
        "unclosed-front-matter",
        _replace(
            f"{M1}/module.md", "course_objectives: [CO1]\n---\n", "course_objectives: [CO1]\n"
        ),
        f"{M1}/module.md",
        1,
        "the front matter is never closed",
    ),
    Broken(
        "front-matter-yaml-error-line",
        _replace(f"{M1}/module.md", "estimated_minutes: 3", "estimated_minutes: [3"),
        f"{M1}/module.md",
        "objectives:",
        "YAML syntax error",
    ),
    Broken(
        "non-utf8",
        _write(f"{M1}/module.md", b"---\ntitle: Caf\xe9\n---\n"),
        f"{M1}/module.md",
        2,
        "not valid UTF-8 (byte 0xe9) — save the file as UTF-8",
    ),
    Broken(
        "evaluation-choice-without-choices",
        _replace("course.yaml", "      choices: [Text, Video, Live webinar]\n", ""),
        "course.yaml",
        "- id: format",
        "evaluation item format: a choice item needs 2 or more different choices",
    ),
    Broken(
        "evaluation-bad-type",
        _replace("course.yaml", "type: likert5", "type: likert7"),
        "course.yaml",
        "type: likert7",
        "evaluation item relevance: type 'likert7' is not one of likert5, number, text, "
        "objectives, choice — did you mean likert5?",
    ),
]


def _expected_line(course: Path, case: Broken) -> int | None:
    if case.line is None or isinstance(case.line, int):
        return case.line
    if isinstance(case.line, tuple):
        return _line_of(course / case.file, *case.line)
    return _line_of(course / case.file, case.line)


@pytest.mark.parametrize("case", CORPUS, ids=[case.id for case in CORPUS])
def test_broken_course_reports_file_line_and_fix(course_dir: Path, case: Broken) -> None:
    case.apply(course_dir)
    errors = _errors(course_dir)
    expected = (f"minimal-course/{case.file}", _expected_line(course_dir, case))
    matching = [e for e in errors if (e.file, e.line) == expected and case.fragment in e.message]
    assert matching, "\n".join(str(error) for error in errors)
    assert all(" — " in error.message for error in errors), "every message says how to fix it"


def test_corpus_ids_are_unique() -> None:
    assert len({case.id for case in CORPUS}) == len(CORPUS)


# --------------------------------------------------------------------------- the example course


def test_example_course_loads() -> None:
    course = load_course(EXAMPLE_COURSE)
    assert isinstance(course, Course)
    assert course.slug == "minimal-course"
    assert course.level is Level.INTRODUCTORY
    assert [module.slug for module in course.modules] == ["record-keeping", "progress-notes"]
    assert [module.position for module in course.modules] == [1, 2]
    assert all(len(module.objectives) == 3 for module in course.modules)
    assert {question.type for question in course.questions} == set(QUESTION_TYPES)
    assert course.post_test.total_items == 4
    assert course.contact_hours.reading_words == sum(m.word_count for m in course.modules)


def test_example_course_module_html_is_prerendered_and_safe() -> None:
    module = load_course(EXAMPLE_COURSE).modules[0]
    assert '<h2 id="why-records-matter">Why records matter</h2>' in module.html
    assert '<a class="cite" href="#ref-aca2014" rel="noopener noreferrer">ACA, 2014</a>' in (
        module.html
    )
    assert module.cited_keys == ("aca2014", "hhs-hipaa")
    assert module.sections[-1].id == "case-vignette-a-missing-intake-note"
    assert "---" not in module.body_markdown.split("\n")[0]


def test_questions_carry_enums_hash_and_spec() -> None:
    course = load_course(EXAMPLE_COURSE)
    question = course.module("progress-notes").questions[1]
    assert question.id == "m2-q02"
    assert question.pool is Pool.POST_TEST
    assert question.difficulty is Difficulty.MEDIUM
    assert question.key == ("a", "c")
    assert question.spec.option_ids == ("a", "b", "c", "d")
    assert len(question.content_hash) == 64
    assert len({q.content_hash for q in course.questions}) == len(course.questions)
    assert [q.id for q in course.modules[0].pool(Pool.KNOWLEDGE_CHECK)] == ["m1-q05"]


def test_evaluation_expands_objectives_item_per_course_objective() -> None:
    course = load_course(EXAMPLE_COURSE)
    ids = [item.id for item in course.evaluation]
    assert ids[:2] == ["objectives_met.CO1", "objectives_met.CO2"]
    first = course.evaluation[0]
    assert first.type is EvaluationItemType.LIKERT5
    assert first.objective_id == "CO1"
    assert course.evaluation[4].choices == ("Text", "Video", "Live webinar")
    assert course.evaluation[4].required is False


def test_files_and_hash_cover_every_file_exactly() -> None:
    course = load_course(EXAMPLE_COURSE)
    on_disk = {
        path.relative_to(EXAMPLE_COURSE).as_posix(): path.read_bytes().decode("utf-8")
        for path in EXAMPLE_COURSE.rglob("*")
        if path.is_file()
    }
    assert dict(course.files) == on_disk
    assert [name for name, _ in course.files] == sorted(on_disk)
    assert course.content_hash == content_hash(on_disk.items())


def test_content_hash_changes_with_any_byte(course_dir: Path) -> None:
    before = load_course(course_dir).content_hash
    path = course_dir / M1 / "questions.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert load_course(course_dir).content_hash != before


# --------------------------------------------------------------------------- several errors


def test_all_errors_are_collected_at_once(course_dir: Path) -> None:
    for case_id in (
        "wrong-contact-hours",
        "key-not-among-options",
        "dangling-citation",
        "stray-file",
        "h1-in-body",
        "slug-mismatch",
    ):
        next(case for case in CORPUS if case.id == case_id).apply(course_dir)
    errors = _errors(course_dir)
    text = "\n".join(str(error) for error in errors)
    for fragment in (
        "computed value is",
        "key 'e' is not one of",
        "[@hhs-hipa]",
        "unexpected file",
        "(h1) headings",
        "does not match the folder name",
    ):
        assert fragment in text
    files = {error.file for error in errors}
    assert {
        f"minimal-course/{name}"
        for name in (
            "course.yaml",
            f"{M1}/questions.yaml",
            f"{M1}/module.md",
            f"{M2}/module.md",
            "notes.txt",
        )
    } <= files


def test_errors_are_sorted_with_course_yaml_first(course_dir: Path) -> None:
    _replace(f"{M1}/module.md", "[@hhs-hipaa]", "[@nope]")(course_dir)
    _replace("course.yaml", "  hours: 0.25", "  hours: 3")(course_dir)
    errors = _errors(course_dir)
    assert errors[0].file == "minimal-course/course.yaml"


def test_error_string_format() -> None:
    error = ContentError("c/01-x/questions.yaml", 42, "question q: key 'e' is bad — fix it")
    assert str(error) == "c/01-x/questions.yaml:42: question q: key 'e' is bad — fix it"
    assert str(ContentError("c/notes.txt", None, "stray — remove")) == "c/notes.txt: stray — remove"


def test_course_invalid_message_lists_every_error() -> None:
    errors = [ContentError("a", 1, "x — y"), ContentError("b", None, "z — w")]
    assert str(CourseInvalid(errors)) == "a:1: x — y\nb: z — w"


def test_not_a_folder(tmp_path: Path) -> None:
    errors = _errors(tmp_path / "missing")
    assert "is not a folder" in errors[0].message


def test_folder_without_course_yaml(tmp_path: Path) -> None:
    (tmp_path / "empty-course").mkdir()
    (tmp_path / "empty-course" / "README.md").write_text("hi\n", encoding="utf-8")
    messages = [error.message for error in _errors(tmp_path / "empty-course")]
    assert any("course.yaml is missing" in message for message in messages)


def test_symlinks_are_refused(course_dir: Path) -> None:
    (course_dir / M1 / "extra.md").symlink_to(course_dir / M1 / "module.md")
    assert any("symbolic links" in error.message for error in _errors(course_dir))


def test_empty_module_folder_is_reported(course_dir: Path) -> None:
    (course_dir / "03-more").mkdir()
    errors = _errors(course_dir)
    assert any(e.file == "minimal-course/03-more" and "empty folder" in e.message for e in errors)


def test_crlf_files_load_and_keep_their_bytes(course_dir: Path, tmp_path: Path) -> None:
    path = course_dir / M2 / "questions.yaml"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    course = load_course(course_dir)
    assert dict(course.files)[f"{M2}/questions.yaml"].count("\r\n") > 10
    out = tmp_path / "out" / "minimal-course"
    write_course(course.files, out)
    assert (out / M2 / "questions.yaml").read_bytes() == path.read_bytes()


def test_parse_course_works_in_memory() -> None:
    files = dict(load_course(EXAMPLE_COURSE).files)
    assert parse_course("minimal-course", files).content_hash == content_hash(files.items())
    with pytest.raises(CourseInvalid):
        parse_course("minimal-course", {**files, "extra.txt": "x"})


# --------------------------------------------------------------------------- no crashes on junk

_EXAMPLE_FILES = {
    path.relative_to(EXAMPLE_COURSE).as_posix(): path.read_text(encoding="utf-8")
    for path in EXAMPLE_COURSE.rglob("*")
    if path.is_file()
}


def _assert_errors_not_crash(files: dict[str, str]) -> None:
    """Parsing either succeeds or raises CourseInvalid with explained errors; nothing else."""
    outcome: Course | tuple[ContentError, ...]
    try:
        outcome = parse_course("minimal-course", files)
    except CourseInvalid as invalid:
        outcome = invalid.errors
    if not isinstance(outcome, Course):
        assert outcome, "CourseInvalid must carry at least one error"
        assert all(isinstance(error, ContentError) for error in outcome)
        assert all(" — " in error.message for error in outcome), [str(e) for e in outcome]


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    target=st.sampled_from(sorted(_EXAMPLE_FILES)),
    junk=st.one_of(st.text(max_size=200), yaml_values.map(yaml.safe_dump)),
)
def test_any_file_content_gives_errors_not_crashes(target: str, junk: str) -> None:
    _assert_errors_not_crash({**_EXAMPLE_FILES, target: junk})


@settings(max_examples=40, deadline=None)
@given(
    field=st.sampled_from(["stem", "key", "options", "objectives", "case", "id", "type"]),
    value=yaml_values,
)
def test_any_question_value_gives_errors_not_crashes(field: str, value: object) -> None:
    questions = yaml.safe_load(_EXAMPLE_FILES[f"{M1}/questions.yaml"])
    questions[0][field] = value
    files = {**_EXAMPLE_FILES, f"{M1}/questions.yaml": yaml.safe_dump(questions)}
    _assert_errors_not_crash(files)


COURSE_PATHS = [
    ("title",),
    ("objectives",),
    ("objectives", 0),
    ("contact_hours",),
    ("contact_hours", "hours"),
    ("disclosures", "authors"),
    ("references",),
    ("references", 0),
    ("post_test", "blueprint"),
    ("post_test", "blueprint", 0),
    ("post_test", "max_attempts"),
    ("knowledge_check", "items"),
    ("evaluation", "items"),
    ("evaluation", "items", 0),
    ("evaluation", "items", 2, "min"),
]


@settings(max_examples=60, deadline=None)
@given(path=st.sampled_from(COURSE_PATHS), value=yaml_values)
def test_any_course_yaml_value_gives_errors_not_crashes(
    path: tuple[str | int, ...], value: object
) -> None:
    data = yaml.safe_load(_EXAMPLE_FILES["course.yaml"])
    target = data
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    files = {**_EXAMPLE_FILES, "course.yaml": yaml.safe_dump(data, sort_keys=False)}
    _assert_errors_not_crash(files)


@settings(max_examples=40, deadline=None)
@given(
    field=st.sampled_from(["title", "objectives", "key_points", "course_objectives"]),
    value=yaml_values,
)
def test_any_front_matter_value_gives_errors_not_crashes(field: str, value: object) -> None:
    _, front, body = _EXAMPLE_FILES[f"{M1}/module.md"].split("---\n", 2)
    data = yaml.safe_load(front)
    data[field] = value
    text = f"---\n{yaml.safe_dump(data)}---\n{body}"
    _assert_errors_not_crash({**_EXAMPLE_FILES, f"{M1}/module.md": text})


# --------------------------------------------------------------------------- export round trip


def test_load_write_load_is_byte_identical(tmp_path: Path) -> None:
    first = load_course(EXAMPLE_COURSE)
    out = tmp_path / "export" / first.slug
    write_course(first.files, out)
    second = load_course(out)
    assert second.files == first.files
    assert second.content_hash == first.content_hash
    source = sorted(p.relative_to(EXAMPLE_COURSE) for p in EXAMPLE_COURSE.rglob("*") if p.is_file())
    written = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert written == source
    for relative in source:
        assert (out / relative).read_bytes() == (EXAMPLE_COURSE / relative).read_bytes()


def test_write_course_refuses_a_non_empty_destination(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("x", encoding="utf-8")
    with pytest.raises(FileExistsError):
        write_course([("course.yaml", "x")], tmp_path)


@pytest.mark.parametrize("bad", ["../escape.txt", "/abs.txt", "a/../../b", "a\\b", ""])
def test_write_course_refuses_unsafe_paths(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError, match="unsafe path"):
        write_course({bad: "x"}, tmp_path / "out")
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- finding courses


def test_find_course_dirs_accepts_one_course_or_a_folder_of_them(tmp_path: Path) -> None:
    for name in ("b-course", "a-course"):
        shutil.copytree(EXAMPLE_COURSE, tmp_path / name)
    (tmp_path / "not-a-course").mkdir()
    (tmp_path / "file.md").write_text("x", encoding="utf-8")
    assert find_course_dirs(tmp_path) == [tmp_path / "a-course", tmp_path / "b-course"]
    assert find_course_dirs(tmp_path / "a-course") == [tmp_path / "a-course"]
    assert find_course_dirs(tmp_path / "nowhere") == []


# --------------------------------------------------------------------------- contact hours


@pytest.mark.parametrize(
    ("words", "wpm", "minutes", "expected"),
    [
        ((269, 190), 100, (10, 5, 0), 0.25),  # 3 + 2 + 15 = 20 min
        ((1500,), 100, (0, 0, 0), 0.25),  # exactly 15 min
        ((1449,), 100, (0, 0, 0), 0.0),  # 14.49 -> 14 min
        ((1450,), 100, (0, 0, 0), 0.25),  # 14.5 -> 15 min (half rounds up)
        ((9000,), 100, (30, 10, 0), 2.0),  # 130 min -> 2.1667 -> 2.0
        ((9000,), 100, (30, 10, 5), 2.25),  # 135 min exactly
        ((), 250, (7.5, 7.5, 0), 0.25),
        ((740, 740), 100, (0, 0, 0), 0.0),  # 7 + 7 = 14: the estimates are what add up
    ],
)
def test_contact_hours_round_down_to_the_quarter_hour(
    words: tuple[int, ...], wpm: int, minutes: tuple[float, float, float], expected: float
) -> None:
    assert compute_contact_hours(words, wpm, *minutes) == expected


@pytest.mark.parametrize(("words", "wpm", "expected"), [(269, 100, 3), (20, 100, 1), (250, 100, 3)])
def test_module_estimate_is_its_words_at_the_course_rate(
    words: int, wpm: int, expected: int
) -> None:
    assert module_reading_minutes(words, wpm) == expected


def test_a_module_estimate_that_does_not_follow_the_rate_is_refused(course_dir: Path) -> None:
    module = next(course_dir.glob("01-*/module.md"))
    module.write_text(module.read_text().replace("estimated_minutes: 3", "estimated_minutes: 9"))
    errors = _errors(course_dir)
    assert any(
        "estimated_minutes is 9 but the module has 269 words" in e.message
        and "set estimated_minutes: 3" in e.message
        and e.line == 3
        for e in errors
    ), errors
