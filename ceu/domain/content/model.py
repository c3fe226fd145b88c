"""The course model: frozen dataclasses and typed policies that a course folder parses into.

Everything here is plain data: the parser builds it, the writer turns it back into folder
text, and the catalog stores it as a version snapshot.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date
from enum import StrEnum

from ceu.domain.markdown import Section
from ceu.domain.questions import OptionSpec, QuestionSpec

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
class Accreditation:
    """The dates and format an accrediting board asks a home-study course to state."""

    release_date: str  # ISO dates, kept as text so the stored front matter stays plain JSON
    last_review_date: str
    expiry_date: str  # at most three years after the last review
    delivery_format: str

    def is_expired_on(self, day: date) -> bool:
        """Past the expiry date, no certificate may be issued for the course."""
        return day > date.fromisoformat(self.expiry_date)


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
    minimum_time_share: float = 0  # share of each module's estimate a learner must spend


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
class CoursePolicy:
    """What a course version promises and asks of the learner, as the catalog keeps it.

    The version snapshot (``CourseVersion.policy``, stored as JSON by ``snapshot``) holds
    exactly this: the quiz, reading, evaluation, certificate and course pages read these
    typed objects, never dicts. A new field needs a default, so snapshots stored before
    it existed still load.
    """

    audience: str
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
    accreditation: Accreditation | None = None


# Course fields the catalog stores in columns of their own rather than in the policy
CATALOG_FIELDS = ("slug", "title", "version_label", "summary", "level")


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
    accreditation: Accreditation | None = None

    @property
    def policy(self) -> CoursePolicy:
        """The course-level promises a version snapshot keeps (the same typed objects)."""
        return CoursePolicy(
            **{field.name: getattr(self, field.name) for field in fields(CoursePolicy)}
        )

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


def apa_citation(*, authors: str, year: str, title: str, source: str) -> str:
    """APA 7 reference text from structured fields: "Authors (Year). Title. Source."."""

    def end(text: str) -> str:
        return text if text.endswith((".", "?", "!")) else text + "."

    text = f"{end(authors)} ({year}). {end(title)}"
    return f"{text} {end(source)}" if source else text


def content_hash(files: Iterable[tuple[str, str]]) -> str:
    """A stable fingerprint of a course's files, so unchanged content is not re-imported."""
    canonical = json.dumps(sorted(files), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
