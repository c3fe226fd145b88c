"""Writing the model back to folder text: parse(write(m)) == m, and the shipped courses are
already in the writer's layout, byte for byte."""

from __future__ import annotations

import dataclasses
import json
import string
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ceu.domain.content import (
    Accreditation,
    BlueprintEntry,
    ContactHours,
    Course,
    Difficulty,
    Disclosures,
    EvaluationItem,
    EvaluationItemType,
    GradingMethod,
    KnowledgeCheckPolicy,
    Level,
    Module,
    Objective,
    Person,
    Pool,
    PostTestPolicy,
    Question,
    ReadingPolicy,
    Reference,
    ReviewPolicy,
    Scoring,
    compute_contact_hours,
    module_reading_minutes,
    parse_course,
)
from ceu.domain.content.snapshot import policy_from_json, policy_to_json
from ceu.domain.content.write import WIDTH, course_files
from ceu.domain.markdown import render_body
from ceu.domain.questions import OptionSpec
from ceu.files import find_course_dirs, read_folder

from .conftest import EXAMPLE_COURSE, REPO_ROOT

SHIPPED = find_course_dirs(REPO_ROOT / "courses")

# --------------------------------------------------------------------------- byte for byte


@pytest.mark.parametrize("folder", [*SHIPPED, EXAMPLE_COURSE], ids=lambda path: path.name)
def test_writing_a_parsed_course_reproduces_its_files_byte_for_byte(folder: Path) -> None:
    files, errors = read_folder(folder)
    assert errors == []
    written = course_files(parse_course(folder.name, files, errors))
    assert sorted(written) == sorted(files)
    changed = [name for name in files if written[name] != files[name]]
    assert changed == [], (
        f"{folder.name}: these files are not in the canonical layout: {changed} — run "
        f"`ceu courses format {folder}` (it changes the layout only, never the content)"
    )


def test_the_shipped_courses_are_found() -> None:
    assert SHIPPED, "courses/ holds at least one course folder"


# --------------------------------------------------------------------------- the layout rules


def _one_module_course() -> Course:
    files, _ = read_folder(EXAMPLE_COURSE)
    return parse_course(EXAMPLE_COURSE.name, files)


def test_values_that_would_read_as_numbers_or_booleans_are_quoted() -> None:
    course = dataclasses.replace(_one_module_course(), version_label="2018")
    text = course_files(course)["course.yaml"]
    assert 'version: "2018"\n' in text
    assert yaml.safe_load(text)["version"] == "2018"


def test_long_values_fold_at_the_width_and_short_ones_stay_on_their_line() -> None:
    summary = " ".join(["word"] * 60)
    course = dataclasses.replace(_one_module_course(), summary=summary, audience="Counselors.")
    text = course_files(course)["course.yaml"]
    assert "summary: >-\n  word word" in text
    assert "audience: Counselors.\n" in text
    assert max(len(line) for line in text.splitlines() if "word" in line) <= WIDTH


def test_text_that_cannot_fold_is_written_double_quoted() -> None:
    course = _one_module_course()
    module = course.modules[0]
    question = dataclasses.replace(module.questions[0], stem="Line one\nline  two: #3")
    module = dataclasses.replace(module, questions=(question, *module.questions[1:]))
    written = course_files(dataclasses.replace(course, modules=(module, *course.modules[1:])))
    assert '  stem: "Line one\\nline  two: #3"\n' in written[f"{module.folder}/questions.yaml"]
    reparsed = parse_course(course.slug, written)
    assert reparsed.modules[0].questions[0].stem == "Line one\nline  two: #3"


# --------------------------------------------------------------------------- generated courses

_WORDS = (
    "client",
    "counselor",
    "notes",
    "consent",
    "plan",
    "risk",
    "trial",
    "2018",
    "1.0",
    "true",
    "null",
    "yes",
    "~",
    "café",
    "naïve",
    "—",
    "“quoted”",
    "'single'",
    '"double"',
    "key:",
    "a: b",
    "#tag",
    "-dash",
    "?why",
    "*star",
    "&amp",
    "!bang",
    "%pct",
    "@at",
    "`tick`",
    "|pipe",
    ">gt",
    "[x]",
    "{y}",
    "50%",
    "e.g.,",
    "supercalifragilisticexpialidocious-and-more-words-joined-by-dashes-beyond-width",
)
_ID_CHARS = string.ascii_lowercase + string.digits


def _normalized(words: list[str]) -> str:
    return " ".join(words)


def text(*, min_words: int = 1, max_words: int = 30) -> st.SearchStrategy[str]:
    """Single-spaced text made to trip YAML up: numbers, booleans, ': ', ' #', quotes."""
    return st.lists(st.sampled_from(_WORDS), min_size=min_words, max_size=max_words).map(
        _normalized
    )


def stripped_text() -> st.SearchStrategy[str]:
    """Text kept as written apart from the ends: may hold double spaces and line breaks."""
    return st.one_of(
        text(),
        st.tuples(text(max_words=5), st.sampled_from(["  ", "\n", " \n "]), text(max_words=5)).map(
            "".join
        ),
    )


def ident(prefix: str) -> st.SearchStrategy[str]:
    return st.text(_ID_CHARS, min_size=1, max_size=6).map(lambda tail: f"{prefix}{tail}")


def _unique(strategy: st.SearchStrategy[str], size: int) -> st.SearchStrategy[list[str]]:
    return st.lists(strategy, min_size=size, max_size=size, unique=True)


@st.composite
def courses(draw: st.DrawFn) -> Course:
    """A valid course with 1–3 modules, written in the model as authoring would build it."""
    module_count = draw(st.integers(1, 3))
    course_objectives = tuple(
        Objective(oid, "Describe " + draw(text()))
        for oid in draw(_unique(ident("CO"), draw(st.integers(1, 3))))
    )
    keys = draw(_unique(ident("ref"), draw(st.integers(1, 3))))
    references = tuple(
        Reference(
            key=key,
            short=draw(text(max_words=3)),
            authors=draw(text(max_words=8)),
            year=draw(st.sampled_from(["2018", "n.d.", "2019, March 5", "2020a"])),
            title=draw(text()),
            source=draw(st.sampled_from(["", "Journal of Tests, 1(2), 3–4"])),
            citation="",
            doi=draw(st.sampled_from([None, "10.1000/xyz-123"])),
            url="https://example.org/" + key,
            note=draw(st.none() | text(max_words=6)),
        )
        for key in keys
    )
    modules = []
    for position in range(1, module_count + 1):
        modules.append(draw(_modules(position, keys, course_objectives, module_count)))
    module_words = [render_body(m.body_markdown, None).word_count for m in modules]
    words = sum(module_words)
    wpm = draw(st.integers(1, 300))
    # estimates follow the course's rate (the parser refuses any other value)
    modules = [
        dataclasses.replace(m, estimated_minutes=module_reading_minutes(n, wpm))
        for m, n in zip(modules, module_words, strict=True)
    ]
    minutes = [draw(st.sampled_from([0, 5, 7.5, 30, 12.25])) for _ in range(3)]
    hours = compute_contact_hours(module_words, wpm, *minutes)
    blueprint = tuple(
        BlueprintEntry(m.slug, draw(st.integers(1, len(m.pool(Pool.POST_TEST))))) for m in modules
    )
    kc_available = min(len(m.pool(Pool.KNOWLEDGE_CHECK)) for m in modules)
    return Course(
        slug=draw(ident("course-")),
        title=draw(stripped_text()),
        version_label=draw(st.sampled_from(["1.0.0", "2", "2026 edition", "v1"])),
        summary=draw(text(max_words=80)),
        audience=draw(text()),
        level=draw(st.sampled_from(Level)),
        prerequisites=tuple(draw(st.lists(stripped_text(), max_size=3))),
        objectives=course_objectives,
        credit_requirements=draw(text(max_words=50)),
        contact_hours=ContactHours(
            words_per_minute=wpm,
            post_test_minutes=minutes[0],
            evaluation_minutes=minutes[1],
            other_minutes=minutes[2],
            hours=hours,
            basis=draw(text(max_words=60)),
            reading_words=words,
        ),
        disclosures=Disclosures(
            commercial_support=draw(text()),
            off_label=draw(text()),
            conflicts_of_interest=draw(text()),
            authors=tuple(draw(st.lists(_people(), max_size=2))),
            reviewers=tuple(draw(st.lists(_people(), max_size=2))),
        ),
        references=references,
        post_test=PostTestPolicy(
            pass_mark=draw(st.sampled_from([0.7, 0.8, 1, 0.75])),
            max_attempts=draw(st.none() | st.integers(1, 5)),
            wait_hours_between_attempts=draw(st.sampled_from([0, 24, 0.5])),
            time_limit_minutes=draw(st.none() | st.integers(1, 120)),
            grading_method=draw(st.sampled_from(GradingMethod)),
            multiple_response_scoring=draw(st.sampled_from(Scoring)),
            review=draw(st.sampled_from(ReviewPolicy)),
            minimum_reading_minutes=draw(st.sampled_from([0, 10, 2.5])),
            blueprint=blueprint,
        ),
        knowledge_check=KnowledgeCheckPolicy(
            items=draw(st.integers(0, kc_available)),
            counts_toward_grade=draw(st.booleans()),
        ),
        reading=ReadingPolicy(
            auto_complete_at_end=draw(st.booleans()),
            minimum_time_share=draw(st.sampled_from([0, 0.5, 0.25, 1])),
        ),
        accreditation=draw(
            st.none()
            | st.builds(
                Accreditation,
                release_date=st.just("2026-01-15"),
                last_review_date=st.sampled_from(["2026-01-15", "2026-06-30"]),
                expiry_date=st.sampled_from(["2028-12-31", "2029-01-15"]),
                delivery_format=text(max_words=6),
            )
        ),
        evaluation=draw(_evaluation(course_objectives)),
        modules=tuple(modules),
        files=(),
        content_hash="",
    )


@st.composite
def _people(draw: st.DrawFn) -> Person:
    return Person(draw(text(max_words=3)), draw(st.sampled_from(["PhD", "LPC, NCC"])), "Author")


@st.composite
def _evaluation(draw: st.DrawFn, objectives: tuple[Objective, ...]) -> tuple[EvaluationItem, ...]:
    ids = draw(_unique(st.text("abcdefgh_", min_size=1, max_size=5), draw(st.integers(1, 4))))
    items: list[EvaluationItem] = []
    for item_id in ids:
        kind = draw(st.sampled_from(EvaluationItemType))
        prompt = draw(stripped_text())
        required = draw(st.booleans())
        if kind is EvaluationItemType.OBJECTIVES:
            items += [
                EvaluationItem(
                    f"{item_id}.{o.id}",
                    EvaluationItemType.LIKERT5,
                    prompt,
                    required,
                    None,
                    None,
                    (),
                    o.id,
                )  # fmt: skip
                for o in objectives
            ]
            continue
        low = draw(st.none() | st.integers(0, 10)) if kind is EvaluationItemType.NUMBER else None
        high = (
            draw(st.none() | st.integers(10, 2000)) if kind is EvaluationItemType.NUMBER else None
        )
        choices: tuple[str, ...] = ()
        if kind is EvaluationItemType.CHOICE:
            choices = tuple(draw(st.lists(text(max_words=3), min_size=2, max_size=4, unique=True)))
        items.append(EvaluationItem(item_id, kind, prompt, required, low, high, choices, None))
    return tuple(items)


@st.composite
def _modules(
    draw: st.DrawFn,
    position: int,
    reference_keys: list[str],
    course_objectives: tuple[Objective, ...],
    module_count: int,
) -> Module:
    objective_ids = draw(_unique(ident(f"m{position}.o"), draw(st.integers(3, 5))))
    objectives = tuple(Objective(oid, "Explain " + draw(stripped_text())) for oid in objective_ids)
    cite = draw(st.sampled_from(reference_keys))
    body = (
        f"\n## Background\n\nText {draw(text(max_words=60))} [@{cite}].\n\n"
        f"## Case vignette {draw(text(max_words=4))}\n\nText {draw(text(max_words=40))}\n"
    )
    sections = [section.id for section in render_body(body, None).sections]
    questions = []
    for index, objective in enumerate(objectives):
        questions.append(draw(_questions(f"m{position}-q{index}", objective.id, sections, True)))
    for index in range(draw(st.integers(1, 3))):
        questions.append(
            draw(_questions(f"m{position}-k{index}", objectives[0].id, sections, False))
        )
    # every course objective is taught somewhere: the last module declares what is left
    declared: tuple[str, ...] = ()
    if course_objectives and position == module_count:
        declared = tuple(o.id for o in course_objectives)
    return Module(
        slug=draw(ident(f"m{position}-")),
        position=position,
        folder="",
        title=draw(stripped_text()),
        estimated_minutes=draw(st.integers(1, 90)),
        objectives=objectives,
        key_points=tuple(draw(st.lists(stripped_text(), min_size=3, max_size=8))),
        body_markdown=body,
        html="",
        sections=(),
        word_count=0,
        cited_keys=(),
        questions=tuple(questions),
        course_objectives=declared,
    )


@st.composite
def _questions(
    draw: st.DrawFn, qid: str, objective: str, sections: list[str], graded: bool
) -> Question:
    kind = draw(st.sampled_from(["single", "multiple", "true_false"]))
    if kind == "true_false":
        options = (
            OptionSpec("true", "True", draw(text())),
            OptionSpec("false", "False", draw(text())),
        )
        key: tuple[str, ...] = (draw(st.sampled_from(["true", "false"])),)
    else:
        count = draw(st.integers(3, 5))
        texts = draw(st.lists(stripped_text(), min_size=count, max_size=count, unique=True))
        options = tuple(
            OptionSpec(letter, f"Option {letter} {option_text}", draw(stripped_text()))
            for letter, option_text in zip("abcde", texts, strict=False)
        )
        size = 1 if kind == "single" else draw(st.integers(2, count - 1))
        key = tuple(sorted(draw(st.permutations("abcde"[:count]))[:size]))
    return Question(
        id=qid,
        type=kind,
        pool=Pool.POST_TEST if graded else Pool.KNOWLEDGE_CHECK,
        is_case=draw(st.booleans()),
        difficulty=draw(st.sampled_from(Difficulty)),
        objectives=(objective,),
        section=draw(st.sampled_from(sections)),
        stem=draw(stripped_text()),
        options=options,
        key=key,
        content_hash="",
    )


def _authored(value: Any) -> Any:
    """The model minus what the parser derives (HTML, counts, hashes, citations, files)."""
    derived = {
        "html",
        "sections",
        "word_count",
        "cited_keys",
        "content_hash",
        "citation",
        "files",
        "folder",
        "reading_words",
    }
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _authored(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name not in derived
        }
    if isinstance(value, tuple | list):
        return [_authored(item) for item in value]
    return value


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(courses())
def test_parse_of_write_is_the_model_for_generated_courses(authored: Course) -> None:
    parsed = parse_course(authored.slug, course_files(authored))
    assert _authored(parsed) == _authored(authored)  # nothing the author wrote is lost
    files = course_files(parsed)
    assert parse_course(parsed.slug, files) == parsed  # parse(write(m)) == m, derived parts too
    assert dict(parsed.files) == files  # and the text is stable: write(parse(t)) == t
    stored = json.loads(json.dumps(policy_to_json(parsed.policy)))
    assert policy_from_json(stored) == parsed.policy  # the version snapshot keeps it all
