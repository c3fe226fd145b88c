"""The schema of the course format: every key, its shape, whether it is required, its rule.

The tables here are the single statement of what course.yaml, the module front matter and
questions.yaml may contain; the parser checks against them and the writer emits their keys
in this order. docs/content-format.md is the same schema for people.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ceu.domain.content.model import (
    Difficulty,
    EvaluationItemType,
    GradingMethod,
    Level,
    Pool,
    ReviewPolicy,
    Scoring,
)
from ceu.domain.questions import QUESTION_TYPES

FORMAT_VERSION = 1
MIN_ITEMS_PER_OBJECTIVE = 1  # post_test items per module objective the validator demands
OBJECTIVES_PER_MODULE = (3, 5)
KEY_POINTS_PER_MODULE = (3, 8)
MAX_FILE_BYTES = 1_000_000
COURSE_FILE = "course.yaml"
MODULE_FILES = ("module.md", "questions.yaml")

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
MODULE_FOLDER = re.compile(r"^(\d{2})-([a-z0-9][a-z0-9-]*)$")
QUESTION_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
REFERENCE_KEY = re.compile(r"^[a-z0-9_-]+$")
OBJECTIVE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
EVALUATION_ID = re.compile(r"^[a-z0-9_]+$")
DOI = re.compile(r"^10\.\d{4,9}/\S+$")
URL = re.compile(r"^https?://\S+$")
HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(\s[^<>]*)?/?>")
VAGUE_VERBS = ("understand", "know", "learn", "appreciate", "realize", "comprehend", "be aware")


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


def _iso_date(value: Any) -> str | None:
    try:
        date.fromisoformat(value)
    except (TypeError, ValueError):
        return 'is not a date written as "YYYY-MM-DD" (quote it)'
    return None


def _count_between(low: int, high: int, what: str) -> Check:
    return lambda value: (
        None if low <= len(value) <= high else f"has {len(value)} {what}; it needs {low}–{high}"
    )


COURSE_FIELDS = (
    Field("format", INTEGER, check=lambda v: None if v == FORMAT_VERSION else "must be 1"),
    Field("slug", TEXT, check=_matches(SLUG, "slug (lower-case letters, digits and dashes)")),
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
    Field("accreditation", optional(MAPPING), required=False),
)
ACCREDITATION_FIELDS = (
    Field("release_date", TEXT, check=_iso_date),
    Field("last_review_date", TEXT, check=_iso_date),
    Field("expiry_date", TEXT, check=_iso_date),
    Field("delivery_format", TEXT),
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
    Field("key", TEXT, check=_matches(REFERENCE_KEY, "key ([a-z0-9_-]+)")),
    Field("short", TEXT),
    Field("authors", TEXT),
    Field("year", TEXT),
    Field("title", TEXT),
    Field("source", optional(TEXT), required=False),
    Field("doi", optional(TEXT), required=False, check=_matches(DOI, "DOI (10.xxxx/...)")),
    Field("url", optional(TEXT), required=False, check=_matches(URL, "http(s) URL")),
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
READING_FIELDS = (
    Field("auto_complete_at_end", BOOLEAN),
    Field("minimum_time_share", NUMBER, required=False, default=0, check=_between(0, 1)),
)
EVALUATION_FIELDS = (Field("items", LIST, check=lambda v: None if v else "is empty"),)
EVALUATION_ITEM_FIELDS = (
    Field("id", TEXT, check=_matches(EVALUATION_ID, "id ([a-z0-9_]+)")),
    Field("type", one_of(EvaluationItemType)),
    Field("prompt", TEXT),
    Field("required", BOOLEAN, required=False, default=True),
    Field("min", optional(NUMBER), required=False),
    Field("max", optional(NUMBER), required=False),
    Field("choices", optional(TEXT_LIST), required=False),
)
OBJECTIVE_FIELDS = (
    Field("id", TEXT, check=_matches(OBJECTIVE_ID, "objective id (letters, digits, . _ -)")),
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
    Field("id", TEXT, check=_matches(QUESTION_ID, "question id ([a-z0-9-]+)")),
    Field("type", one_of(QUESTION_TYPES)),  # replaced per run: see question_fields
    Field("pool", one_of(Pool)),
    Field("case", BOOLEAN),
    Field("difficulty", one_of(Difficulty)),
    Field("objectives", TEXT_LIST, check=lambda v: None if v else "is empty; list an objective"),
    Field("section", TEXT),
    Field("stem", TEXT),
    Field("options", LIST),
    Field("key", OPTION_IDS),
)


def describe(value: Any) -> str:
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


def shape_message(name: str, kind: Kind, value: Any) -> str:
    if kind.choices and isinstance(value, str):
        close = difflib.get_close_matches(value, kind.choices, n=1)
        hint = f"did you mean {close[0]}?" if close else "use one of these"
        return f"{name} '{value}' is not one of {', '.join(kind.choices)} — {hint}"
    return f"{name} must be {kind.description}, not {describe(value)} — {_type_hint(kind, value)}"


def _type_hint(kind: Kind, value: Any) -> str:
    if kind.is_text and isinstance(value, (bool, int, float, date, datetime)):
        shown = str(value).lower() if isinstance(value, bool) else str(value)
        return f'put the value in quotes, e.g. "{shown}"'
    return f"write {kind.description}"


def unknown_key(key: Any, owner: str, known: Mapping[str, Field]) -> str:
    close = difflib.get_close_matches(str(key), list(known), n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"allowed keys: {', '.join(known)}"
    return f"unknown key '{key}' in {owner} — {hint} (unknown keys are refused)"


def check_hint(entry: Field, value: Any) -> str:
    if entry.key == "format":
        return "set format: 1"
    if entry.key == "slug":
        return "use lower-case letters, digits and dashes, e.g. my-course"
    if entry.kind is TEXT_LIST or entry.kind is LIST:
        return "adjust the list"
    return f"fix the value ({value!r})"


def vague_verb(text: str) -> str | None:
    lowered = text.casefold()
    for verb in VAGUE_VERBS:
        if lowered == verb or lowered.startswith(verb + " "):
            return text[: len(verb)]
    return None


def question_fields() -> tuple[Field, ...]:
    """The question table with the type list read now, so late-registered types count."""
    return tuple(
        Field("type", one_of(QUESTION_TYPES)) if entry.key == "type" else entry
        for entry in QUESTION_FIELDS
    )
