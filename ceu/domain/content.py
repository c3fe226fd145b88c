"""Course folders (docs/content-format.md) to frozen dataclasses, with every problem reported.

``load_course(path)`` reads one course folder, checks everything the format promises and
either returns a ``Course`` or raises ``CourseInvalid`` carrying *all* the problems found,
each as ``file:line: what is wrong — how to fix it``. Nothing is half-loaded.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from fractions import Fraction
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

import yaml

from ceu.domain.markdown import RenderedBody, Section, render_body
from ceu.domain.questions import QUESTION_TYPES, OptionSpec, QuestionSpec

__all__ = [
    "FORMAT_VERSION",
    "MIN_ITEMS_PER_OBJECTIVE",
    "BlueprintEntry",
    "ContactHours",
    "ContentError",
    "Course",
    "CourseInvalid",
    "Difficulty",
    "Disclosures",
    "EvaluationItem",
    "EvaluationItemType",
    "GradingMethod",
    "KnowledgeCheckPolicy",
    "Level",
    "Module",
    "Objective",
    "Person",
    "Pool",
    "PostTestPolicy",
    "Question",
    "ReadingPolicy",
    "Reference",
    "ReviewPolicy",
    "Scoring",
    "Section",
    "compute_contact_hours",
    "content_hash",
    "find_course_dirs",
    "load_course",
    "parse_course",
    "write_course",
]

FORMAT_VERSION = 1
MIN_ITEMS_PER_OBJECTIVE = 1  # post_test items per module objective the validator demands
OBJECTIVES_PER_MODULE = (3, 5)
KEY_POINTS_PER_MODULE = (3, 8)
MAX_FILE_BYTES = 1_000_000
COURSE_FILE = "course.yaml"
MODULE_FILES = ("module.md", "questions.yaml")

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_MODULE_FOLDER = re.compile(r"^(\d{2})-([a-z0-9][a-z0-9-]*)$")
_QUESTION_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_REFERENCE_KEY = re.compile(r"^[a-z0-9_-]+$")
_OBJECTIVE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_EVALUATION_ID = re.compile(r"^[a-z0-9_]+$")
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_URL = re.compile(r"^https?://\S+$")
_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(\s[^<>]*)?/?>")
_VAGUE_VERBS = ("understand", "know", "learn", "appreciate", "realize", "comprehend", "be aware")


# --------------------------------------------------------------------------- enums


class Level(StrEnum):
    """The course level shown in the catalog."""

    INTRODUCTORY = "introductory"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"


class GradingMethod(StrEnum):
    """Which attempt's score counts when a learner takes the post-test more than once."""

    HIGHEST = "highest"
    LAST = "last"
    FIRST = "first"
    AVERAGE = "average"


class Scoring(StrEnum):
    """How multiple-response items are scored on the post-test."""

    ALL_OR_NOTHING = "all_or_nothing"
    PARTIAL = "partial"


class ReviewPolicy(StrEnum):
    """When learners may see correct answers and rationales after an attempt."""

    MISSED_ONLY = "missed_only"
    AFTER_PASS_OR_LAST_ATTEMPT = "after_pass_or_last_attempt"  # noqa: S105 - not a password
    ALWAYS = "always"


class Pool(StrEnum):
    """Which bank a question belongs to: graded post-test or ungraded knowledge check."""

    POST_TEST = "post_test"
    KNOWLEDGE_CHECK = "knowledge_check"


class Difficulty(StrEnum):
    """The author's difficulty estimate, for blueprint balance and item statistics."""

    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"


class EvaluationItemType(StrEnum):
    """Kinds of course-evaluation items (objectives expands into likert5 items)."""

    LIKERT5 = "likert5"
    NUMBER = "number"
    TEXT = "text"
    OBJECTIVES = "objectives"
    CHOICE = "choice"


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class ContentError:
    """One problem: the file (relative to the course folder's parent), the line, the fix."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.message}"


class CourseInvalid(Exception):
    """Raised with every problem found; the caller shows them all and stores nothing."""

    def __init__(self, errors: Sequence[ContentError]) -> None:
        self.errors: tuple[ContentError, ...] = tuple(errors)
        super().__init__("\n".join(str(error) for error in self.errors))


@dataclass(frozen=True)
class Objective:
    """A learning objective: a stable id and a measurable statement."""

    id: str
    text: str


@dataclass(frozen=True)
class Person:
    """An author or reviewer named in the disclosures."""

    name: str
    credentials: str
    role: str


@dataclass(frozen=True)
class Disclosures:
    """The disclosures CE boards require on the course page."""

    commercial_support: str
    off_label: str
    conflicts_of_interest: str
    authors: tuple[Person, ...]
    reviewers: tuple[Person, ...]


@dataclass(frozen=True)
class Reference:
    """A cited source; doi and/or url make it checkable."""

    key: str
    short: str
    authors: str
    year: str
    title: str
    source: str
    citation: str  # APA 7 text assembled from the four fields above
    doi: str | None
    url: str | None
    note: str | None


@dataclass(frozen=True)
class ContactHours:
    """Declared hours with the inputs that justify them (the audited calculation)."""

    words_per_minute: int
    post_test_minutes: float
    evaluation_minutes: float
    other_minutes: float
    hours: float
    basis: str
    reading_words: int


@dataclass(frozen=True)
class BlueprintEntry:
    """How many post-test items to draw from one module's pool."""

    module: str
    items: int


@dataclass(frozen=True)
class PostTestPolicy:
    """Pass mark, attempts, timing, scoring and the draw blueprint of the post-test."""

    pass_mark: float
    max_attempts: int | None
    wait_hours_between_attempts: float
    time_limit_minutes: int | None
    grading_method: GradingMethod
    multiple_response_scoring: Scoring
    review: ReviewPolicy
    minimum_reading_minutes: float
    blueprint: tuple[BlueprintEntry, ...]

    @property
    def total_items(self) -> int:
        """How many items one post-test attempt draws."""
        return sum(entry.items for entry in self.blueprint)


@dataclass(frozen=True)
class KnowledgeCheckPolicy:
    """Per-module ungraded practice drawn from the knowledge_check pool."""

    items: int
    counts_toward_grade: bool


@dataclass(frozen=True)
class ReadingPolicy:
    """How reading progress is recorded."""

    auto_complete_at_end: bool


@dataclass(frozen=True)
class EvaluationItem:
    """One question of the course evaluation form."""

    id: str
    type: EvaluationItemType
    prompt: str
    required: bool
    min: float | None
    max: float | None
    choices: tuple[str, ...]
    objective_id: str | None


@dataclass(frozen=True)
class Question:
    """A validated bank item with a fingerprint, so statistics survive re-imports."""

    id: str
    type: str
    pool: Pool
    is_case: bool
    difficulty: Difficulty
    objectives: tuple[str, ...]
    section: str
    stem: str
    options: tuple[OptionSpec, ...]
    key: tuple[str, ...]
    content_hash: str

    @property
    def spec(self) -> QuestionSpec:
        """The gradable core, for QUESTION_TYPES[type].grade and friends."""
        return QuestionSpec(id=self.id, type=self.type, options=self.options, key=self.key)


@dataclass(frozen=True)
class Module:
    """A module with its HTML rendered once at import and its question bank."""

    slug: str
    position: int
    folder: str
    title: str
    estimated_minutes: int
    objectives: tuple[Objective, ...]
    key_points: tuple[str, ...]
    body_markdown: str
    html: str
    sections: tuple[Section, ...]
    word_count: int
    cited_keys: tuple[str, ...]
    questions: tuple[Question, ...]
    course_objectives: tuple[str, ...] = ()

    def pool(self, pool: Pool) -> tuple[Question, ...]:
        """The questions of one pool, in file order."""
        return tuple(question for question in self.questions if question.pool is pool)


@dataclass(frozen=True)
class Course:
    """A whole validated course, plus its exact files for export and its content hash."""

    slug: str
    title: str
    version_label: str
    summary: str
    audience: str
    level: Level
    prerequisites: tuple[str, ...]
    objectives: tuple[Objective, ...]
    credit_requirements: str
    contact_hours: ContactHours
    disclosures: Disclosures
    references: tuple[Reference, ...]
    post_test: PostTestPolicy
    knowledge_check: KnowledgeCheckPolicy
    reading: ReadingPolicy
    evaluation: tuple[EvaluationItem, ...]
    modules: tuple[Module, ...]
    files: tuple[tuple[str, str], ...]
    content_hash: str

    @property
    def questions(self) -> tuple[Question, ...]:
        """Every question of every module, in module then file order."""
        return tuple(question for module in self.modules for question in module.questions)

    def module(self, slug: str) -> Module:
        """The module with this slug (KeyError when there is none)."""
        for module in self.modules:
            if module.slug == slug:
                return module
        raise KeyError(slug)

    def reference(self, key: str) -> Reference:
        """The reference with this key (KeyError when there is none)."""
        for reference in self.references:
            if reference.key == key:
                return reference
        raise KeyError(key)


# --------------------------------------------------------------------------- public functions


def apa_citation(*, authors: str, year: str, title: str, source: str) -> str:
    """APA 7 reference text from structured fields: "Authors (Year). Title. Source."."""

    def end(text: str) -> str:
        return text if text.endswith((".", "?", "!")) else text + "."

    text = f"{end(authors)} ({year}). {end(title)}"
    return f"{text} {end(source)}" if source else text


def find_course_dirs(path: Path) -> list[Path]:
    """Resolve a CLI PATH: one course folder (has course.yaml) or a folder of course folders."""
    if (path / COURSE_FILE).is_file():
        return [path]
    if not path.is_dir():
        return []
    return sorted(
        child
        for child in path.iterdir()
        if child.is_dir() and not child.name.startswith(".") and (child / COURSE_FILE).is_file()
    )


def load_course(path: Path) -> Course:
    """Read and validate one course folder; raise CourseInvalid listing every problem."""
    files, errors = _read_folder(path)
    if not path.is_dir():
        raise CourseInvalid(errors)
    return _CourseParser(path.name, files, errors).parse()


def parse_course(folder_name: str, files: Mapping[str, str]) -> Course:
    """Validate a course held in memory (relative path -> text), e.g. from an upload."""
    return _CourseParser(folder_name, dict(files), []).parse()


def content_hash(files: Iterable[tuple[str, str]]) -> str:
    """A stable fingerprint of a course's files, so unchanged content is not re-imported."""
    canonical = json.dumps(sorted(files), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def compute_contact_hours(
    reading_words: int,
    words_per_minute: int,
    post_test_minutes: float,
    evaluation_minutes: float,
    other_minutes: float,
) -> float:
    """Total minutes rounded down to the quarter hour: the documented, auditable formula."""
    extra = (post_test_minutes, evaluation_minutes, other_minutes)
    return float(_quarter_hours(_total_minutes(reading_words, words_per_minute, *extra)))


def write_course(course_files: Iterable[tuple[str, str]] | Mapping[str, str], dest: Path) -> None:
    """Export: write the files byte for byte into dest (the course folder), which must be empty."""
    items = course_files.items() if isinstance(course_files, Mapping) else course_files
    pairs = list(items)
    for relative, _ in pairs:
        _check_relative_path(relative)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise FileExistsError(f"{dest} exists and is not an empty folder")
    for relative, text in pairs:
        target = dest.joinpath(*PurePosixPath(relative).parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode("utf-8"))


def _check_relative_path(relative: str) -> None:
    pure = PurePosixPath(relative)
    if (
        not relative
        or "\\" in relative
        or pure.is_absolute()
        or any(part in {"", ".", ".."} for part in relative.split("/"))
    ):
        raise ValueError(f"unsafe path in course files: {relative!r}")


def _total_minutes(
    words: int, wpm: int, post_test: float, evaluation: float, other: float
) -> Fraction:
    exact = [Fraction(repr(value)) for value in (post_test, evaluation, other)]
    return Fraction(words, wpm) + sum(exact, Fraction(0))


def _quarter_hours(total_minutes: Fraction) -> Fraction:
    return Fraction(math.floor(total_minutes * 4 / 60), 4)


# --------------------------------------------------------------------------- reading the folder


def _read_folder(path: Path) -> tuple[dict[str, str], list[ContentError]]:
    root = path.name
    errors: list[ContentError] = []
    files: dict[str, str] = {}
    if not path.is_dir():
        message = f"{path} is not a folder — pass a course folder (one that holds course.yaml)"
        return files, [ContentError(root, None, message)]
    for entry in sorted(path.rglob("*")):
        relative = entry.relative_to(path).as_posix()
        label = f"{root}/{relative}"
        if entry.is_symlink():
            errors.append(
                ContentError(label, None, "symbolic links are not allowed — copy the file in")
            )
        elif entry.is_dir():
            if not any(entry.iterdir()):
                errors.append(ContentError(label, None, "empty folder — remove it"))
        else:
            text, error = _read_text(entry, label)
            if error is not None:
                errors.append(error)
            files[relative] = text if text is not None else ""
    return files, errors


def _read_text(entry: Path, label: str) -> tuple[str | None, ContentError | None]:
    if entry.stat().st_size > MAX_FILE_BYTES:
        message = f"file is larger than {MAX_FILE_BYTES:,} bytes — split or shorten it"
        return None, ContentError(label, None, message)
    data = entry.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        message = f"not valid UTF-8 (byte 0x{data[exc.start]:02x}) — save the file as UTF-8"
        return None, ContentError(label, line, message)
    if text.startswith("\ufeff"):
        message = "file starts with a byte-order mark — save it as UTF-8 without BOM"
        return None, ContentError(label, 1, message)
    return text, None


# --------------------------------------------------------------------------- YAML with lines


class LineMap(dict[Any, Any]):
    """A YAML mapping that remembers where it, its keys and its values start."""

    line: int
    key_lines: dict[Any, int]
    value_lines: dict[Any, int]

    def key_line(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)

    def value_line(self, key: Any) -> int:
        return self.value_lines.get(key, self.line)


class LineList(list[Any]):
    """A YAML sequence that remembers where it and each item start."""

    line: int
    item_lines: list[int]

    def item_line(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that builds LineMap/LineList and records duplicate or unusable keys."""

    def __init__(self, stream: str, line_offset: int) -> None:
        super().__init__(stream)
        self.line_offset = line_offset
        self.key_problems: list[tuple[int, str]] = []

    def line_of(self, node: yaml.Node) -> int:
        return node.start_mark.line + 1 + self.line_offset


def _construct_map(loader: _LineLoader, node: yaml.MappingNode) -> LineMap:
    loader.flatten_mapping(node)
    result = LineMap()
    result.line, result.key_lines, result.value_lines = loader.line_of(node), {}, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = loader.line_of(key_node)
        if not _hashable(key):
            loader.key_problems.append(
                (line, "a key must be a plain word, not a list or mapping — fix the key")
            )
            continue
        if key in result:
            loader.key_problems.append(
                (line, f"key '{key}' appears twice in the same mapping — keep only one")
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
        result.value_lines[key] = loader.line_of(value_node)
    return result


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _construct_list(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = loader.line_of(node)
    result.item_lines = [loader.line_of(child) for child in node.value]
    return result


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_list)


def _yaml_problem(exc: yaml.YAMLError, text: str) -> tuple[int | None, str]:
    """Turn a PyYAML error into (line, message) using the parser's own mark."""
    if isinstance(exc, yaml.reader.ReaderError):
        return text.count("\n", 0, max(0, exc.position)) + 1, (
            f"character #x{exc.character:04x} is not allowed in YAML — delete it "
            f"(control characters are often pasted in by accident)"
        )
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line: int | None = mark.line + 1 if mark is not None else None
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    detail = f"{context}, {problem}" if context else problem
    return line, (
        f"YAML syntax error: {detail} — fix the YAML here (check indentation, colons and "
        f"quotes; values containing ': ' or starting with a quote need quoting or '>-')"
    )


# --------------------------------------------------------------------------- schema tables


@dataclass(frozen=True)
class Kind:
    """A value shape: a description for messages and a test."""

    description: str
    accepts: Callable[[Any], bool]
    is_text: bool = False
    choices: tuple[str, ...] = ()


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


TEXT = Kind("a non-empty string", _is_text, is_text=True)
INTEGER = Kind("a whole number", _is_int)
NUMBER = Kind("a number", _is_number)
BOOLEAN = Kind("true or false", lambda value: isinstance(value, bool))
MAPPING = Kind("a mapping (key: value lines)", lambda value: isinstance(value, dict))
LIST = Kind("a list ('- ' items)", lambda value: isinstance(value, list))
TEXT_LIST = Kind(
    "a list of non-empty strings",
    lambda value: isinstance(value, list) and all(_is_text(item) for item in value),
)
OPTION_IDS = Kind(
    "an option id or a list of option ids",
    lambda value: (
        _is_text(value) or (isinstance(value, list) and all(_is_text(item) for item in value))
    ),
    is_text=True,
)


def optional(kind: Kind) -> Kind:
    """The same shape, or null."""
    return Kind(f"{kind.description} or null", lambda v: v is None or kind.accepts(v), kind.is_text)


def one_of(values: Iterable[str]) -> Kind:
    """A string from a fixed set (an enum or a registry)."""
    allowed = tuple(values)
    return Kind(
        f"one of {', '.join(allowed)}",
        lambda value: isinstance(value, str) and value in allowed,
        is_text=True,
        choices=allowed,
    )


Check = Callable[[Any], str | None]


@dataclass(frozen=True)
class Field:
    """One key of a mapping: its shape, whether it is required, and an extra rule."""

    key: str
    kind: Kind
    required: bool = True
    default: Any = None
    check: Check | None = None


def _matches(pattern: re.Pattern[str], what: str) -> Check:
    return lambda value: None if pattern.match(value) else f"is not a valid {what}"


def _between(low: float, high: float | None, *, low_open: bool = False) -> Check:
    def check(value: Any) -> str | None:
        if value is None:
            return None
        too_low = value <= low if low_open else value < low
        if too_low or (high is not None and value > high):
            if high is None:
                return f"must be {'more than' if low_open else 'at least'} {low:g}"
            return f"must be {'more than' if low_open else 'at least'} {low:g} and at most {high:g}"
        return None

    return check


def _count_between(low: int, high: int, what: str) -> Check:
    return lambda value: (
        None if low <= len(value) <= high else f"has {len(value)} {what}; it needs {low}–{high}"
    )


COURSE_FIELDS = (
    Field("format", INTEGER, check=lambda v: None if v == FORMAT_VERSION else "must be 1"),
    Field("slug", TEXT, check=_matches(_SLUG, "slug (lower-case letters, digits and dashes)")),
    Field("title", TEXT),
    Field("version", TEXT),
    Field("summary", TEXT),
    Field("audience", TEXT),
    Field("level", one_of(Level)),
    Field("prerequisites", TEXT_LIST),
    Field("objectives", LIST, check=lambda v: None if v else "is empty; list at least one"),
    Field("credit_requirements", TEXT),
    Field("contact_hours", MAPPING),
    Field("disclosures", MAPPING),
    Field("references", LIST),
    Field("post_test", MAPPING),
    Field("knowledge_check", MAPPING),
    Field("reading", MAPPING),
    Field("evaluation", MAPPING),
)
CONTACT_HOURS_FIELDS = (
    Field("reading_words_per_minute", INTEGER, check=_between(0, None, low_open=True)),
    Field("post_test_minutes", NUMBER, check=_between(0, None)),
    Field("evaluation_minutes", NUMBER, check=_between(0, None)),
    Field("other_minutes", NUMBER, check=_between(0, None)),
    Field("hours", NUMBER, check=_between(0, None)),
    Field("basis", TEXT),
)
DISCLOSURE_FIELDS = (
    Field("commercial_support", TEXT),
    Field("off_label", TEXT),
    Field("conflicts_of_interest", TEXT),
    Field("authors", LIST),
    Field("reviewers", LIST),
)
PERSON_FIELDS = (Field("name", TEXT), Field("credentials", TEXT), Field("role", TEXT))
REFERENCE_FIELDS = (
    Field("key", TEXT, check=_matches(_REFERENCE_KEY, "key ([a-z0-9_-]+)")),
    Field("short", TEXT),
    Field("authors", TEXT),
    Field("year", TEXT),
    Field("title", TEXT),
    Field("source", optional(TEXT), required=False),
    Field("doi", optional(TEXT), required=False, check=_matches(_DOI, "DOI (10.xxxx/...)")),
    Field("url", optional(TEXT), required=False, check=_matches(_URL, "http(s) URL")),
    Field("note", optional(TEXT), required=False),
)
POST_TEST_FIELDS = (
    Field("pass_mark", NUMBER, check=_between(0, 1, low_open=True)),
    Field("max_attempts", optional(INTEGER), check=_between(1, None)),
    Field("wait_hours_between_attempts", NUMBER, check=_between(0, None)),
    Field("time_limit_minutes", optional(INTEGER), check=_between(1, None)),
    Field("grading_method", one_of(GradingMethod)),
    Field("multiple_response_scoring", one_of(Scoring)),
    Field("review", one_of(ReviewPolicy)),
    Field("minimum_reading_minutes", NUMBER, check=_between(0, None)),
    Field("blueprint", LIST, check=lambda v: None if v else "is empty; add one entry per module"),
)
BLUEPRINT_FIELDS = (Field("module", TEXT), Field("items", INTEGER, check=_between(1, None)))
KNOWLEDGE_CHECK_FIELDS = (
    Field("items", INTEGER, check=_between(0, None)),
    Field("counts_toward_grade", BOOLEAN),
)
READING_FIELDS = (Field("auto_complete_at_end", BOOLEAN),)
EVALUATION_FIELDS = (Field("items", LIST, check=lambda v: None if v else "is empty"),)
EVALUATION_ITEM_FIELDS = (
    Field("id", TEXT, check=_matches(_EVALUATION_ID, "id ([a-z0-9_]+)")),
    Field("type", one_of(EvaluationItemType)),
    Field("prompt", TEXT),
    Field("required", BOOLEAN, required=False, default=True),
    Field("min", optional(NUMBER), required=False),
    Field("max", optional(NUMBER), required=False),
    Field("choices", optional(TEXT_LIST), required=False),
)
OBJECTIVE_FIELDS = (
    Field("id", TEXT, check=_matches(_OBJECTIVE_ID, "objective id (letters, digits, . _ -)")),
    Field("text", TEXT),
)
FRONT_MATTER_FIELDS = (
    Field("title", TEXT),
    Field("estimated_minutes", INTEGER, check=_between(1, None)),
    Field("objectives", LIST, check=_count_between(*OBJECTIVES_PER_MODULE, "objectives")),
    Field("key_points", TEXT_LIST, check=_count_between(*KEY_POINTS_PER_MODULE, "key points")),
    Field("course_objectives", TEXT_LIST, required=False, default=None),
)
OPTION_FIELDS = (Field("id", TEXT), Field("text", TEXT), Field("rationale", TEXT))
QUESTION_FIELDS = (
    Field("id", TEXT, check=_matches(_QUESTION_ID, "question id ([a-z0-9-]+)")),
    Field("type", one_of(QUESTION_TYPES)),  # replaced per run: see _question_fields
    Field("pool", one_of(Pool)),
    Field("case", BOOLEAN),
    Field("difficulty", one_of(Difficulty)),
    Field("objectives", TEXT_LIST, check=lambda v: None if v else "is empty; list an objective"),
    Field("section", TEXT),
    Field("stem", TEXT),
    Field("options", LIST),
    Field("key", OPTION_IDS),
)


def _describe(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a true/false value)"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    if isinstance(value, (date, datetime)):
        return f"a date ({value})"
    if isinstance(value, str):
        return "an empty string" if not value.strip() else "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _shape_message(name: str, kind: Kind, value: Any) -> str:
    if kind.choices and isinstance(value, str):
        close = difflib.get_close_matches(value, kind.choices, n=1)
        hint = f"did you mean {close[0]}?" if close else "use one of these"
        return f"{name} '{value}' is not one of {', '.join(kind.choices)} — {hint}"
    return f"{name} must be {kind.description}, not {_describe(value)} — {_type_hint(kind, value)}"


def _type_hint(kind: Kind, value: Any) -> str:
    if kind.is_text and isinstance(value, (bool, int, float, date, datetime)):
        shown = str(value).lower() if isinstance(value, bool) else str(value)
        return f'put the value in quotes, e.g. "{shown}"'
    return f"write {kind.description}"


# --------------------------------------------------------------------------- the parser


@dataclass
class _ModuleDraft:
    folder: str
    position: int
    slug: str
    front: dict[str, Any] | None = None
    front_node: LineMap | None = None
    objectives: tuple[Objective, ...] | None = None
    body: str | None = None
    rendered: RenderedBody | None = None
    questions: list[Question] = field(default_factory=list)
    questions_ok: bool = False


class _CourseParser:
    """One validation run over one course; collects errors, builds the Course if none."""

    def __init__(self, root: str, files: dict[str, str], errors: list[ContentError]) -> None:
        self.root = root
        self.files = files
        self.errors = list(errors)
        self.unreadable = {error.file for error in errors}
        self.objective_sites: dict[str, str] = {}
        self.objective_lines: dict[str, int] = {}
        self.question_sites: dict[str, str] = {}
        self.course: dict[str, Any] | None = None
        self.course_node: LineMap | None = None
        self.course_objectives: tuple[Objective, ...] | None = None
        self.references: dict[str, Reference] | None = None
        self.modules: list[_ModuleDraft] = []

    # ---- reporting

    def label(self, relative: str) -> str:
        return f"{self.root}/{relative}"

    def error(self, relative: str, line: int | None, message: str) -> None:
        self.errors.append(ContentError(self.label(relative), line, message))

    def text_of(self, relative: str) -> str | None:
        if relative not in self.files:
            return None
        if self.label(relative) in self.unreadable:
            return None
        return self.files[relative].replace("\r\n", "\n").replace("\r", "\n")

    def load_yaml(self, relative: str, text: str, line_offset: int = 0) -> tuple[bool, Any]:
        loader: _LineLoader | None = None
        try:
            loader = _LineLoader(text, line_offset)  # the reader already checks characters
            data = loader.get_single_data()
        except yaml.YAMLError as exc:
            line, message = _yaml_problem(exc, text)
            self.error(relative, None if line is None else line + line_offset, message)
            return False, None
        except RecursionError:
            self.error(relative, None, "YAML nests too deeply — simplify the structure")
            return False, None
        finally:
            if loader is not None:
                loader.dispose()
        for line, message in loader.key_problems:
            self.error(relative, line, message)
        return True, data

    def fields(
        self,
        relative: str,
        node: Any,
        table: Sequence[Field],
        owner: str,
        *,
        prefix: str = "",
        line: int | None = None,
    ) -> dict[str, Any] | None:
        """Check a mapping against a table; return the good values (None if not a mapping)."""
        if not isinstance(node, LineMap):
            self.error(
                relative,
                getattr(node, "line", line),
                f"{owner} must be a mapping (key: value lines), not {_describe(node)} — "
                f"write it as 'key: value' lines",
            )
            return None
        known = {entry.key: entry for entry in table}
        for key in node:
            if key not in known:
                self.error(relative, node.key_line(key), _unknown_key(key, owner, known))
        result: dict[str, Any] = {}
        for entry in table:
            if entry.key not in node:
                if entry.required:
                    self.error(
                        relative,
                        node.line,
                        f"{owner} is missing required key '{entry.key}' — add "
                        f"'{entry.key}:' with {entry.kind.description}",
                    )
                else:
                    result[entry.key] = entry.default
                continue
            value = node[entry.key]
            where = node.value_line(entry.key)
            if not entry.kind.accepts(value):
                self.error(relative, where, _shape_message(prefix + entry.key, entry.kind, value))
                continue
            problem = entry.check(value) if entry.check and value is not None else None
            if problem:
                self.error(
                    relative, where, f"{prefix}{entry.key} {problem} — {_check_hint(entry, value)}"
                )
                continue
            result[entry.key] = value
        return result

    def item_maps(
        self, relative: str, items: LineList, table: Sequence[Field], what: str
    ) -> list[tuple[int, LineMap, dict[str, Any]]]:
        """Check each item of a list of mappings; return (line, node, values) for good ones."""
        good: list[tuple[int, LineMap, dict[str, Any]]] = []
        for index, item in enumerate(items):
            line = items.item_line(index)
            owner = f"{what} {_item_name(item, index)}"
            values = self.fields(relative, item, table, owner, prefix=f"{owner}: ", line=line)
            if values is not None and isinstance(item, LineMap):
                good.append((line, item, values))
        return good

    # ---- entry point

    def parse(self) -> Course:
        self.check_layout()
        self.parse_course_yaml()
        for draft in self.modules:
            self.parse_module(draft)
        self.cross_check()
        if self.errors:
            raise CourseInvalid(_sorted_errors(self.errors))
        return self.build()

    # ---- layout

    def check_layout(self) -> None:
        folders: dict[str, set[str]] = {}
        for relative in sorted(self.files):
            parts = relative.split("/")
            if parts == [COURSE_FILE]:
                continue
            if len(parts) == 2 and _MODULE_FOLDER.match(parts[0]) and parts[1] in MODULE_FILES:
                folders.setdefault(parts[0], set()).add(parts[1])
                continue
            if len(parts) >= 2 and not _MODULE_FOLDER.match(parts[0]):
                self.error(
                    relative,
                    None,
                    f"unexpected file in folder '{parts[0]}' — module folders are named NN-name "
                    f"(two digits, a dash, lower-case letters, digits and dashes); rename the "
                    f"folder or remove the file",
                )
                continue
            self.error(
                relative,
                None,
                "unexpected file — a course folder holds only course.yaml and "
                "NN-name/module.md + NN-name/questions.yaml; remove or move it",
            )
        if COURSE_FILE not in self.files:
            self.error(COURSE_FILE, None, "course.yaml is missing — add it (see the format doc)")
        self.plan_modules(folders)

    def plan_modules(self, folders: dict[str, set[str]]) -> None:
        if not folders and COURSE_FILE in self.files:
            self.error(
                COURSE_FILE, None, "the course has no module folders — add 01-name/module.md"
            )
        seen_numbers: dict[int, str] = {}
        for folder in sorted(folders):
            match = _MODULE_FOLDER.match(folder)
            if match is None:  # pragma: no cover - filtered above
                continue
            number, slug = int(match.group(1)), match.group(2)
            for name in MODULE_FILES:
                if name not in folders[folder]:
                    self.error(f"{folder}/{name}", None, f"{name} is missing — add {folder}/{name}")
            if number in seen_numbers:
                self.error(
                    folder,
                    None,
                    f"module number {number:02d} is also used by {seen_numbers[number]} — "
                    f"give every module folder its own number",
                )
                continue
            seen_numbers[number] = folder
            self.modules.append(_ModuleDraft(folder=folder, position=number, slug=slug))
        for expected, draft in enumerate(self.modules, start=1):
            if draft.position != expected:
                self.error(
                    draft.folder,
                    None,
                    f"module folders must be numbered 01, 02, … without gaps; expected "
                    f"{expected:02d} here — rename the folder to {expected:02d}-{draft.slug}",
                )
                break

    # ---- course.yaml

    def parse_course_yaml(self) -> None:
        text = self.text_of(COURSE_FILE)
        if text is None:
            return
        ok, data = self.load_yaml(COURSE_FILE, text)
        if not ok:
            return
        if data is None:
            self.error(COURSE_FILE, None, "course.yaml is empty — fill it in (see the format doc)")
            return
        course = self.fields(COURSE_FILE, data, COURSE_FIELDS, "course.yaml", line=1)
        if course is None:
            return
        self.course, self.course_node = course, data
        if "slug" in course and course["slug"] != self.root:
            self.error(
                COURSE_FILE,
                data.value_line("slug"),
                f"slug '{course['slug']}' does not match the folder name '{self.root}' — "
                f"rename the folder or set slug: {self.root}",
            )
        if "objectives" in course:
            self.course_objectives = self.objectives(COURSE_FILE, course["objectives"])
        self.references = self.parse_references(course.get("references"))
        for key, table in (
            ("contact_hours", CONTACT_HOURS_FIELDS),
            ("post_test", POST_TEST_FIELDS),
            ("knowledge_check", KNOWLEDGE_CHECK_FIELDS),
            ("reading", READING_FIELDS),
        ):
            if key in course:
                course[key] = self.fields(COURSE_FILE, course[key], table, key, prefix=f"{key}.")
        self.parse_disclosures(course)
        self.parse_blueprint(course)
        self.parse_evaluation(course)

    def objectives(self, relative: str, items: LineList) -> tuple[Objective, ...]:
        found: list[Objective] = []
        for line, node, values in self.item_maps(relative, items, OBJECTIVE_FIELDS, "objective"):
            if "id" not in values or "text" not in values:
                continue
            objective = Objective(values["id"], values["text"].strip())
            site = f"{self.label(relative)}:{line}"
            if objective.id in self.objective_sites:
                self.error(
                    relative,
                    node.value_line("id"),
                    f"objective id {objective.id} is already used at "
                    f"{self.objective_sites[objective.id]} — objective ids are unique across "
                    f"the course",
                )
                continue
            self.objective_sites[objective.id] = site
            self.objective_lines[objective.id] = line
            vague = _vague_verb(objective.text)
            if vague:
                self.error(
                    relative,
                    node.value_line("text"),
                    f"objective {objective.id} starts with '{vague}', which cannot be measured "
                    f"— start with a measurable verb (Describe, Explain, Identify, Apply, …)",
                )
            found.append(objective)
        return tuple(found)

    def parse_references(self, items: LineList | None) -> dict[str, Reference] | None:
        if items is None:
            return None
        references: dict[str, Reference] = {}
        for line, node, values in self.item_maps(COURSE_FILE, items, REFERENCE_FIELDS, "reference"):
            if not {f.key for f in REFERENCE_FIELDS} <= values.keys():
                if "key" in values:  # keep the key so citations to it are not reported too
                    references.setdefault(
                        values["key"],
                        Reference(
                            values["key"], values["key"], "", "", "", "", "", None, None, None
                        ),
                    )
                continue
            key = values["key"]
            if key in references:
                self.error(
                    COURSE_FILE,
                    node.value_line("key"),
                    f"reference key {key} is used twice — give each reference its own key",
                )
                continue
            if not values["doi"] and not values["url"]:
                self.error(
                    COURSE_FILE,
                    line,
                    f"reference {key} has neither doi nor url — add doi: 10.xxxx/… or "
                    f"url: https://…",
                )
            parts = {
                name: " ".join((values.get(name) or "").split())
                for name in ("authors", "year", "title", "source")
            }
            references[key] = Reference(
                key=key,
                short=values["short"].strip(),
                **parts,
                citation=apa_citation(**parts),
                doi=values["doi"],
                url=values["url"],
                note=values["note"],
            )
        return references

    def parse_disclosures(self, course: dict[str, Any]) -> None:
        if "disclosures" not in course:
            return
        values = self.fields(
            COURSE_FILE,
            course["disclosures"],
            DISCLOSURE_FIELDS,
            "disclosures",
            prefix="disclosures.",
        )
        if values is None:
            course["disclosures"] = None
            return
        for key in ("authors", "reviewers"):
            if key in values:
                people = self.item_maps(
                    COURSE_FILE, values[key], PERSON_FIELDS, key.removesuffix("s")
                )
                values[key] = tuple(
                    Person(v["name"], v["credentials"], v["role"])
                    for _, _, v in people
                    if len(v) == len(PERSON_FIELDS)
                )
        course["disclosures"] = values

    def parse_blueprint(self, course: dict[str, Any]) -> None:
        post_test = course.get("post_test")
        if not post_test or "blueprint" not in post_test:
            return
        entries: list[tuple[int, BlueprintEntry]] = []
        seen: set[str] = set()
        for line, node, values in self.item_maps(
            COURSE_FILE, post_test["blueprint"], BLUEPRINT_FIELDS, "blueprint entry"
        ):
            if len(values) != len(BLUEPRINT_FIELDS):
                continue
            if values["module"] in seen:
                self.error(
                    COURSE_FILE,
                    node.value_line("module"),
                    f"blueprint lists module {values['module']} twice — list each module once",
                )
                continue
            seen.add(values["module"])
            entries.append((line, BlueprintEntry(values["module"], values["items"])))
        post_test["blueprint"] = entries

    def parse_evaluation(self, course: dict[str, Any]) -> None:
        if "evaluation" not in course:
            return
        values = self.fields(
            COURSE_FILE,
            course["evaluation"],
            EVALUATION_FIELDS,
            "evaluation",
            prefix="evaluation.",
        )
        course["evaluation"] = None
        if values is None or "items" not in values:
            return
        items: list[EvaluationItem] = []
        seen: set[str] = set()
        for _, node, item in self.item_maps(
            COURSE_FILE, values["items"], EVALUATION_ITEM_FIELDS, "evaluation item"
        ):
            if len(item) != len(EVALUATION_ITEM_FIELDS):
                continue
            if item["id"] in seen:
                self.error(
                    COURSE_FILE,
                    node.value_line("id"),
                    f"evaluation item id {item['id']} is used twice — give each item its own id",
                )
                continue
            seen.add(item["id"])
            if self.evaluation_item_ok(node, item):
                items.extend(self.expand_evaluation_item(item))
        course["evaluation"] = tuple(items)

    def evaluation_item_ok(self, node: LineMap, item: dict[str, Any]) -> bool:
        kind = EvaluationItemType(item["type"])
        problems: list[tuple[str, str]] = []
        if kind is not EvaluationItemType.NUMBER:
            problems += [
                (key, f"{key} applies only to number items — remove it")
                for key in ("min", "max")
                if item[key] is not None
            ]
        elif item["min"] is not None and item["max"] is not None and item["min"] > item["max"]:
            problems.append(("min", "min is larger than max — swap them"))
        if kind is EvaluationItemType.CHOICE:
            choices = item["choices"] or []
            if len(choices) < 2 or len(set(choices)) != len(choices):
                problems.append(
                    (
                        "choices",
                        "a choice item needs 2 or more different choices "
                        "— list them under choices:",
                    )
                )
        elif item["choices"] is not None:
            problems.append(("choices", "choices applies only to choice items — remove it"))
        for key, message in problems:
            self.error(
                COURSE_FILE, node.value_line(key), f"evaluation item {item['id']}: {message}"
            )
        return not problems

    def expand_evaluation_item(self, item: dict[str, Any]) -> list[EvaluationItem]:
        kind = EvaluationItemType(item["type"])
        if kind is not EvaluationItemType.OBJECTIVES:
            return [
                EvaluationItem(
                    id=item["id"],
                    type=kind,
                    prompt=item["prompt"].strip(),
                    required=item["required"],
                    min=item["min"],
                    max=item["max"],
                    choices=tuple(item["choices"] or ()),
                    objective_id=None,
                )
            ]
        return [
            EvaluationItem(
                id=f"{item['id']}.{objective.id}",
                type=EvaluationItemType.LIKERT5,
                prompt=item["prompt"].strip(),
                required=item["required"],
                min=None,
                max=None,
                choices=(),
                objective_id=objective.id,
            )
            for objective in self.course_objectives or ()
        ]

    # ---- modules

    def parse_module(self, draft: _ModuleDraft) -> None:
        relative = f"{draft.folder}/module.md"
        text = self.text_of(relative)
        if text is not None:
            self.parse_module_text(draft, relative, text)
        self.parse_questions(draft)

    def parse_module_text(self, draft: _ModuleDraft, relative: str, text: str) -> None:
        lines = text.split("\n")
        if lines[0].strip() != "---":
            self.error(
                relative,
                1,
                "module.md must start with a '---' line that opens the YAML front matter — "
                "add the front matter (title, estimated_minutes, objectives, key_points)",
            )
            return
        closing = next(
            (index for index in range(1, len(lines)) if lines[index].strip() in {"---", "..."}),
            None,
        )
        if closing is None:
            self.error(relative, 1, "the front matter is never closed — add a '---' line after it")
            return
        ok, data = self.load_yaml(relative, "\n".join(lines[1:closing]), line_offset=1)
        if ok and data is None:
            self.error(relative, 1, "the front matter is empty — add title, objectives, …")
        elif ok:
            front = self.fields(relative, data, FRONT_MATTER_FIELDS, "the front matter", line=1)
            if front is not None:
                draft.front, draft.front_node = front, data
                if "objectives" in front:
                    draft.objectives = self.objectives(relative, front["objectives"])
        draft.body = "\n".join(lines[closing + 1 :])
        self.check_body(draft, relative, body_offset=closing + 1)

    def check_body(self, draft: _ModuleDraft, relative: str, body_offset: int) -> None:
        body = draft.body or ""
        labels = None
        if self.references is not None:
            labels = {key: reference.short for key, reference in self.references.items()}
        rendered = render_body(body, labels)
        for problem in rendered.problems:
            line = None if problem.line is None else problem.line + body_offset
            self.error(relative, line, problem.message)
        if not any(s.title.casefold().startswith("case vignette") for s in rendered.sections):
            self.error(
                relative,
                None,
                "the module has no '## Case vignette…' section — add a section whose heading "
                "starts with 'Case vignette'",
            )
        draft.rendered = rendered

    def parse_questions(self, draft: _ModuleDraft) -> None:
        relative = f"{draft.folder}/questions.yaml"
        text = self.text_of(relative)
        if text is None:
            return
        ok, data = self.load_yaml(relative, text)
        if not ok:
            return
        if data is None:
            self.error(relative, None, "questions.yaml is empty — add a list of questions")
            return
        if not isinstance(data, LineList):
            self.error(
                relative,
                getattr(data, "line", 1),
                f"questions.yaml must be a list of questions ('- id: …' items), not "
                f"{_describe(data)} — start each question with '- '",
            )
            return
        before = len(self.errors)
        for index, item in enumerate(data):
            question = self.parse_question(draft, relative, item, data.item_line(index))
            if question is not None:
                draft.questions.append(question)
        draft.questions_ok = len(self.errors) == before

    def parse_question(
        self, draft: _ModuleDraft, relative: str, node: Any, line: int
    ) -> Question | None:
        qid = node.get("id") if isinstance(node, LineMap) else None
        owner = f"question {qid}" if isinstance(qid, str) else f"the question at line {line}"
        table = _question_fields()
        values = self.fields(relative, node, table, owner, prefix=f"{owner}: ", line=line)
        if values is None or not isinstance(node, LineMap):
            return None
        if "id" in values:
            self.claim_question_id(relative, node, values["id"])
        options = self.question_options(relative, node, values, owner)
        key = self.question_key(relative, node, values, owner)
        self.check_plain_text(relative, node, values, owner)
        self.check_question_links(draft, relative, node, values, owner)
        if "type" not in values or options is None or key is None:
            return None
        spec = QuestionSpec(str(values.get("id", "")), values["type"], options, key)
        problems = QUESTION_TYPES[values["type"]].problems(spec)
        for problem in problems:
            self.error(relative, _problem_line(node, problem.field), f"{owner}: {problem.message}")
        if problems or len(values) != len(table):
            return None
        return _question(values, options, key)

    def claim_question_id(self, relative: str, node: LineMap, qid: str) -> None:
        site = f"{self.label(relative)}:{node.value_line('id')}"
        if qid in self.question_sites:
            self.error(
                relative,
                node.value_line("id"),
                f"question id {qid} is already used at {self.question_sites[qid]} — "
                f"question ids are unique across the course",
            )
        else:
            self.question_sites[qid] = site

    def question_options(
        self, relative: str, node: LineMap, values: dict[str, Any], owner: str
    ) -> tuple[OptionSpec, ...] | None:
        if "options" not in values:
            return None
        options: list[OptionSpec] = []
        good = self.item_maps(relative, values["options"], OPTION_FIELDS, f"{owner}: option")
        for _, _, option in good:
            if len(option) == len(OPTION_FIELDS):
                options.append(
                    OptionSpec(option["id"], option["text"].strip(), option["rationale"].strip())
                )
        if len(options) != len(values["options"]):
            return None
        return tuple(options)

    def question_key(
        self, relative: str, node: LineMap, values: dict[str, Any], owner: str
    ) -> tuple[str, ...] | None:
        if "key" not in values or "type" not in values:
            return None
        raw = values["key"]
        if isinstance(raw, list) and not QUESTION_TYPES[values["type"]].key_is_list:
            self.error(
                relative,
                node.value_line("key"),
                f"{owner}: a {values['type']} question has one key, not a list — write "
                f"key: {raw[0] if raw else 'a'}",
            )
            return None
        return tuple(raw) if isinstance(raw, list) else (raw,)

    def check_plain_text(
        self, relative: str, node: LineMap, values: dict[str, Any], owner: str
    ) -> None:
        texts: list[tuple[int, str, str]] = []
        if "stem" in values:
            texts.append((node.value_line("stem"), "the stem", values["stem"]))
        options = node.get("options")
        for option in options if isinstance(options, LineList) else ():
            if not isinstance(option, LineMap):
                continue
            for key in ("text", "rationale"):
                if isinstance(option.get(key), str):
                    name = f"option {option.get('id')} {key}"
                    texts.append((option.value_line(key), name, option[key]))
        for line, name, text in texts:
            tag = _HTML_TAG.search(text)
            if tag:
                self.error(
                    relative,
                    line,
                    f"{owner}: {name} contains HTML ({tag[0]}) — stems, options and rationales "
                    f"are plain text; remove the markup (write NOT/EXCEPT in capitals instead "
                    f"of bold)",
                )

    def check_question_links(
        self,
        draft: _ModuleDraft,
        relative: str,
        node: LineMap,
        values: dict[str, Any],
        owner: str,
    ) -> None:
        if draft.objectives is not None and "objectives" in values:
            known = [objective.id for objective in draft.objectives]
            for objective_id in values["objectives"]:
                if objective_id not in known:
                    self.error(
                        relative,
                        node.value_line("objectives"),
                        f"{owner}: objective {objective_id} is not an objective of module "
                        f"{draft.slug} ({', '.join(known)}) — use one of this module's "
                        f"objective ids",
                    )
        if draft.rendered is not None and "section" in values:
            sections = [section.id for section in draft.rendered.sections]
            if values["section"] not in sections:
                self.error(
                    relative,
                    node.value_line("section"),
                    f"{owner}: section {values['section']} is not a '##' section of module.md "
                    f"({', '.join(sections) or 'none'}) — use one of these ids",
                )

    # ---- whole-course rules

    def cross_check(self) -> None:
        self.check_module_slugs()
        self.check_objective_coverage()
        self.check_course_objective_coverage()
        self.check_blueprint()
        self.check_knowledge_check()
        self.check_contact_hours()

    def check_module_slugs(self) -> None:
        seen: dict[str, str] = {}
        for draft in self.modules:
            if draft.slug in seen:
                self.error(
                    draft.folder,
                    None,
                    f"module slug {draft.slug} is also used by {seen[draft.slug]} — "
                    f"rename one folder",
                )
            seen.setdefault(draft.slug, draft.folder)

    def check_objective_coverage(self) -> None:
        for draft in self.modules:
            if draft.objectives is None or not draft.questions_ok:
                continue
            for objective in draft.objectives:
                count = sum(
                    1
                    for question in draft.questions
                    if question.pool is Pool.POST_TEST and objective.id in question.objectives
                )
                if count < MIN_ITEMS_PER_OBJECTIVE:
                    self.error(
                        f"{draft.folder}/module.md",
                        self.objective_lines[objective.id],
                        f"objective {objective.id} is tested by {count} post_test question(s); "
                        f"it needs at least {MIN_ITEMS_PER_OBJECTIVE} — add a post_test "
                        f"question with objectives: [{objective.id}]",
                    )

    def check_course_objective_coverage(self) -> None:
        if self.course_objectives is None:
            return
        known = {objective.id for objective in self.course_objectives}
        declared: set[str] = set()
        any_declared = False
        for draft in self.modules:
            listed = (draft.front or {}).get("course_objectives")
            if listed is None or draft.front_node is None:
                continue
            any_declared = True
            for objective_id in listed:
                declared.add(objective_id)
                if objective_id not in known:
                    self.error(
                        f"{draft.folder}/module.md",
                        draft.front_node.value_line("course_objectives"),
                        f"course_objectives lists {objective_id}, which is not a course "
                        f"objective ({', '.join(sorted(known))}) — use an id from course.yaml",
                    )
        if not any_declared:
            return
        for objective in self.course_objectives:
            if objective.id not in declared:
                self.error(
                    COURSE_FILE,
                    self.objective_lines[objective.id],
                    f"course objective {objective.id} is not listed in any module's "
                    f"course_objectives — add it to the module(s) that teach it",
                )

    def check_blueprint(self) -> None:
        post_test = (self.course or {}).get("post_test") or {}
        by_slug = {draft.slug: draft for draft in self.modules}
        for line, entry in post_test.get("blueprint") or ():
            draft = by_slug.get(entry.module)
            if draft is None:
                self.error(
                    COURSE_FILE,
                    line,
                    f"blueprint names module {entry.module}, which does not exist — use one of "
                    f"{', '.join(by_slug) or '(no modules)'}",
                )
                continue
            available = sum(1 for q in draft.questions if q.pool is Pool.POST_TEST)
            if draft.questions_ok and entry.items > available:
                self.error(
                    COURSE_FILE,
                    line,
                    f"blueprint draws {entry.items} items from module {entry.module}, but its "
                    f"post_test pool has only {available} — lower items or add questions",
                )

    def check_knowledge_check(self) -> None:
        policy = (self.course or {}).get("knowledge_check") or {}
        items = policy.get("items")
        if not items or self.course_node is None:
            return
        line = self.course_node["knowledge_check"].value_line("items")
        for draft in self.modules:
            available = sum(1 for q in draft.questions if q.pool is Pool.KNOWLEDGE_CHECK)
            if draft.questions_ok and items > available:
                self.error(
                    COURSE_FILE,
                    line,
                    f"knowledge_check draws {items} items per module, but module {draft.slug} "
                    f"has only {available} knowledge_check questions — add questions or lower "
                    f"knowledge_check.items",
                )

    def check_contact_hours(self) -> None:
        hours = (self.course or {}).get("contact_hours")
        if not hours or len(hours) != len(CONTACT_HOURS_FIELDS) or self.course_node is None:
            return
        if any(draft.rendered is None for draft in self.modules):
            return
        words = sum(draft.rendered.word_count for draft in self.modules if draft.rendered)
        wpm = hours["reading_words_per_minute"]
        extra = (hours["post_test_minutes"], hours["evaluation_minutes"], hours["other_minutes"])
        total = _total_minutes(words, wpm, *extra)
        computed = _quarter_hours(total)
        if Fraction(repr(hours["hours"])) != computed:
            self.error(
                COURSE_FILE,
                self.course_node["contact_hours"].value_line("hours"),
                f"contact_hours.hours is {hours['hours']:g} but the computed value is "
                f"{float(computed):g} ({words:,} words / {wpm} wpm = "
                f"{float(Fraction(words, wpm)):.1f} min reading + {extra[0]:g} post-test + "
                f"{extra[1]:g} evaluation + {extra[2]:g} other = {float(total):.1f} min, "
                f"rounded down to the quarter hour) — set hours: {float(computed):g}",
            )

    # ---- building (only reached without errors)

    def build(self) -> Course:
        course = _present(self.course)
        hours = course["contact_hours"]
        post = course["post_test"]
        disclosures = course["disclosures"]
        modules = tuple(self.build_module(draft) for draft in self.modules)
        files = tuple(sorted(self.files.items()))
        return Course(
            slug=course["slug"],
            title=course["title"].strip(),
            version_label=course["version"].strip(),
            summary=" ".join(course["summary"].split()),
            audience=" ".join(course["audience"].split()),
            level=Level(course["level"]),
            prerequisites=tuple(item.strip() for item in course["prerequisites"]),
            objectives=_present(self.course_objectives),
            credit_requirements=" ".join(course["credit_requirements"].split()),
            contact_hours=ContactHours(
                words_per_minute=hours["reading_words_per_minute"],
                post_test_minutes=hours["post_test_minutes"],
                evaluation_minutes=hours["evaluation_minutes"],
                other_minutes=hours["other_minutes"],
                hours=hours["hours"],
                basis=" ".join(hours["basis"].split()),
                reading_words=sum(module.word_count for module in modules),
            ),
            disclosures=Disclosures(
                commercial_support=" ".join(disclosures["commercial_support"].split()),
                off_label=" ".join(disclosures["off_label"].split()),
                conflicts_of_interest=" ".join(disclosures["conflicts_of_interest"].split()),
                authors=disclosures["authors"],
                reviewers=disclosures["reviewers"],
            ),
            references=tuple(_present(self.references).values()),
            post_test=PostTestPolicy(
                pass_mark=post["pass_mark"],
                max_attempts=post["max_attempts"],
                wait_hours_between_attempts=post["wait_hours_between_attempts"],
                time_limit_minutes=post["time_limit_minutes"],
                grading_method=GradingMethod(post["grading_method"]),
                multiple_response_scoring=Scoring(post["multiple_response_scoring"]),
                review=ReviewPolicy(post["review"]),
                minimum_reading_minutes=post["minimum_reading_minutes"],
                blueprint=tuple(entry for _, entry in post["blueprint"]),
            ),
            knowledge_check=KnowledgeCheckPolicy(**course["knowledge_check"]),
            reading=ReadingPolicy(**course["reading"]),
            evaluation=course["evaluation"],
            modules=modules,
            files=files,
            content_hash=content_hash(files),
        )

    def build_module(self, draft: _ModuleDraft) -> Module:
        front = _present(draft.front)
        rendered = _present(draft.rendered)
        return Module(
            slug=draft.slug,
            position=draft.position,
            folder=draft.folder,
            title=front["title"].strip(),
            estimated_minutes=front["estimated_minutes"],
            objectives=_present(draft.objectives),
            key_points=tuple(point.strip() for point in front["key_points"]),
            body_markdown=_present(draft.body),
            html=rendered.html,
            sections=rendered.sections,
            word_count=rendered.word_count,
            cited_keys=rendered.cited_keys,
            questions=tuple(draft.questions),
            course_objectives=tuple(front["course_objectives"] or ()),
        )


# --------------------------------------------------------------------------- small helpers


_T = TypeVar("_T")


def _present(value: _T | None) -> _T:
    if value is None:  # pragma: no cover - every None path has reported an error
        raise RuntimeError("course built despite a missing part; this is a validator bug")
    return value


def _unknown_key(key: Any, owner: str, known: Mapping[str, Field]) -> str:
    close = difflib.get_close_matches(str(key), list(known), n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"allowed keys: {', '.join(known)}"
    return f"unknown key '{key}' in {owner} — {hint} (unknown keys are refused)"


def _check_hint(entry: Field, value: Any) -> str:
    if entry.key == "format":
        return "set format: 1"
    if entry.key == "slug":
        return "use lower-case letters, digits and dashes, e.g. my-course"
    if entry.kind is TEXT_LIST or entry.kind is LIST:
        return "adjust the list"
    return f"fix the value ({value!r})"


def _item_name(item: Any, index: int) -> str:
    if isinstance(item, LineMap):
        for key in ("id", "key", "module", "name"):
            if isinstance(item.get(key), str) and item[key].strip():
                return str(item[key])
    return f"#{index + 1}"


def _vague_verb(text: str) -> str | None:
    lowered = text.casefold()
    for verb in _VAGUE_VERBS:
        if lowered == verb or lowered.startswith(verb + " "):
            return text[: len(verb)]
    return None


def _question_fields() -> tuple[Field, ...]:
    """The question table with the type list read now, so late-registered types count."""
    return tuple(
        Field("type", one_of(QUESTION_TYPES)) if entry.key == "type" else entry
        for entry in QUESTION_FIELDS
    )


_OPTION_FIELD = re.compile(r"^options\[(\d+)\](?:\.(\w+))?$")


def _problem_line(node: LineMap, where: str) -> int:
    """Map a SpecProblem field (key, options, options[2].text) to its line in the file."""
    match = _OPTION_FIELD.match(where)
    options = node.get("options")
    if match and isinstance(options, LineList):
        index = int(match.group(1))
        option = options[index] if index < len(options) else None
        if match.group(2) and isinstance(option, LineMap) and match.group(2) in option:
            return option.value_line(match.group(2))
        return options.item_line(index)
    if where in node.value_lines:
        return node.value_line(where)
    return node.line


def _question(
    values: dict[str, Any], options: tuple[OptionSpec, ...], key: tuple[str, ...]
) -> Question:
    canonical = {
        "id": values["id"],
        "type": values["type"],
        "pool": values["pool"],
        "case": values["case"],
        "difficulty": values["difficulty"],
        "objectives": list(values["objectives"]),
        "section": values["section"],
        "stem": values["stem"].strip(),
        "options": [
            {"id": option.id, "text": option.text, "rationale": option.rationale}
            for option in options
        ],
        "key": list(key),
    }
    digest = hashlib.sha256(
        json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    ).hexdigest()
    return Question(
        id=values["id"],
        type=values["type"],
        pool=Pool(values["pool"]),
        is_case=values["case"],
        difficulty=Difficulty(values["difficulty"]),
        objectives=tuple(values["objectives"]),
        section=values["section"],
        stem=values["stem"].strip(),
        options=options,
        key=key,
        content_hash=digest,
    )


def _sorted_errors(errors: list[ContentError]) -> list[ContentError]:
    def order(error: ContentError) -> tuple[int, str, int]:
        top = error.file.count("/") == 1 and error.file.endswith("/" + COURSE_FILE)
        return (0 if top else 1, error.file, error.line or 0)

    return sorted(errors, key=order)
