"""Question types: each kind of question owns everything that differs between kinds.

A type is one class registered in ``QUESTION_TYPES`` with ``@register_question_type``: what
a valid item looks like (``problems``), the order its options are shown in
(``option_order``), what the test page may show before submitting (``public_view``), how a
submitted response is read (``parse_response``) and scored (``grade``), how a response is
recorded per option for item analysis (``record_response``), and the Jinja template whose
``take`` and ``review`` macros render it (``template``). Adding a kind means adding a class
and its template, never growing an if-chain. Everything here is pure: specs in, messages,
scores or plain values out.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar, TypeVar

__all__ = [
    "QUESTION_TYPES",
    "InvalidResponse",
    "MultipleResponse",
    "OptionSpec",
    "QuestionSpec",
    "QuestionType",
    "SingleBestAnswer",
    "SpecProblem",
    "TrueFalse",
    "register_question_type",
]

LETTER_IDS = ("a", "b", "c", "d", "e")
_ABOVE = re.compile(r"\b(all|none)\s+(of\s+)?the\s+(above|options)\b", re.IGNORECASE)


@dataclass(frozen=True)
class OptionSpec:
    """One answer option with the reason it is right or wrong."""

    id: str
    text: str
    rationale: str


@dataclass(frozen=True)
class QuestionSpec:
    """The gradable core of a question: its options and its key."""

    id: str
    type: str
    options: tuple[OptionSpec, ...]
    key: tuple[str, ...]

    @cached_property  # grading asks for it several times per item
    def option_ids(self) -> tuple[str, ...]:
        """Option ids in the order the author wrote them."""
        return tuple(option.id for option in self.options)


@dataclass(frozen=True)
class SpecProblem:
    """A validation message tied to the part of the item it is about.

    ``field`` is ``"key"``, ``"options"`` or ``"options[N].id|text|rationale"`` (N counts
    from 0), so a loader can point at the right line.
    """

    field: str
    message: str


class InvalidResponse(ValueError):
    """A learner's response names options that do not exist, or too many of them."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


QUESTION_TYPES: dict[str, type[QuestionType]] = {}


_T = TypeVar("_T", bound="type[QuestionType]")


def register_question_type(cls: _T) -> _T:
    """Add a question type to the registry under its ``name`` so loaders, graders and pages
    find it; its macros are in ``quiz/types/<name>.html`` unless it names a ``template``."""
    if not getattr(cls, "name", ""):
        raise ValueError(f"{cls.__name__} needs a non-empty class attribute 'name'")
    if cls.name in QUESTION_TYPES:
        raise ValueError(f"question type {cls.name!r} is already registered")
    if "template" not in vars(cls):
        cls.template = f"quiz/types/{cls.name}.html"
    QUESTION_TYPES[cls.name] = cls
    return cls


def _normalized(text: str) -> str:
    return " ".join(text.split()).casefold()


def _listing(ids: Sequence[str]) -> str:
    return ", ".join(ids) if ids else "(none)"


class QuestionType:
    """Base class: shared option/key rules, response parsing and exact-match grading."""

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    min_options: ClassVar[int] = 2
    max_options: ClassVar[int] = 5
    max_choices: ClassVar[int | None] = None  # None: any number of options may be chosen
    key_is_list: ClassVar[bool] = False  # the YAML key is a list (multiple) or one id
    # the Jinja template whose macros render an item of this type: ``take(item, n, chosen,
    # missing)`` on the test page (``item`` is ``public_view`` plus id, type and stem) and
    # ``review(item, chosen)`` once keys may be shown (``item`` as the attempt stored it)
    template: ClassVar[str] = ""

    @classmethod
    def validate(cls, spec: QuestionSpec) -> list[str]:
        """Return human messages for everything wrong with the item (empty when valid)."""
        return [problem.message for problem in cls.problems(spec)]

    @classmethod
    def problems(cls, spec: QuestionSpec) -> list[SpecProblem]:
        """Like ``validate`` but each message says which field it is about."""
        return [
            *cls._option_problems(spec),
            *cls._key_problems(spec),
            *cls.type_problems(spec),
        ]

    @classmethod
    def type_problems(cls, spec: QuestionSpec) -> list[SpecProblem]:
        """Rules specific to one type; subclasses extend this."""
        return []

    @classmethod
    def _option_problems(cls, spec: QuestionSpec) -> list[SpecProblem]:
        found: list[SpecProblem] = []
        count = len(spec.options)
        if not cls.min_options <= count <= cls.max_options:
            wanted = (
                f"exactly {cls.min_options}"
                if cls.min_options == cls.max_options
                else f"{cls.min_options} to {cls.max_options}"
            )
            found.append(
                SpecProblem(
                    "options",
                    f"a {cls.name} question has {count} options but needs {wanted} — "
                    f"add or remove options",
                )
            )
        seen_ids: set[str] = set()
        seen_texts: dict[str, str] = {}
        for index, option in enumerate(spec.options):
            where = f"options[{index}]"
            text_field, rationale_field = f"{where}.text", f"{where}.rationale"
            if option.id in seen_ids:
                found.append(
                    SpecProblem(
                        f"{where}.id",
                        f"option id {option.id!r} is used twice — give each option its own id",
                    )
                )
            seen_ids.add(option.id)
            text = _normalized(option.text)
            if not text:
                found.append(
                    SpecProblem(
                        text_field, f"option {option.id!r} has no text — write the option text"
                    )
                )
            elif text in seen_texts:
                found.append(
                    SpecProblem(
                        text_field,
                        f"option {option.id!r} repeats the text of option {seen_texts[text]!r} — "
                        f"make every option text different",
                    )
                )
            else:
                seen_texts[text] = option.id
            above = _ABOVE.search(option.text)
            if above:
                found.append(
                    SpecProblem(
                        text_field,
                        f"option {option.id!r} says {above[0]!r} — 'all/none of the above' "
                        f"options are not allowed; write a real option",
                    )
                )
            if not option.rationale.strip():
                found.append(
                    SpecProblem(
                        rationale_field,
                        f"option {option.id!r} has no rationale — explain why it is right or wrong",
                    )
                )
        return found

    @classmethod
    def _key_problems(cls, spec: QuestionSpec) -> list[SpecProblem]:
        found: list[SpecProblem] = []
        option_ids = spec.option_ids
        if not spec.key:
            return [SpecProblem("key", "the key is empty — set key to the correct option id")]
        if len(set(spec.key)) != len(spec.key):
            found.append(
                SpecProblem("key", "the key lists an option twice — list each correct id once")
            )
        for key_id in dict.fromkeys(spec.key):
            if key_id not in option_ids:
                found.append(
                    SpecProblem(
                        "key",
                        f"key {key_id!r} is not one of the options {_listing(option_ids)} — "
                        f"set key to one of the option ids",
                    )
                )
        return found

    @classmethod
    def option_order(cls, option_ids: Sequence[str], rng: random.Random) -> tuple[str, ...]:
        """The order one learner sees the options in: shuffled, so position tells nothing."""
        order = list(option_ids)
        rng.shuffle(order)
        return tuple(order)

    @classmethod
    def public_view(cls, spec: QuestionSpec) -> dict[str, Any]:
        """What the test page may show before submitting: never the key or rationales."""
        return {"options": [{"id": option.id, "text": option.text} for option in spec.options]}

    @classmethod
    def record_response(cls, spec: QuestionSpec, response: frozenset[str]) -> tuple[str, ...]:
        """The response as item analysis counts it per option: the chosen option ids, in
        the order shown (``attempt_item.chosen``)."""
        return tuple(option for option in spec.option_ids if option in response)

    @classmethod
    def parse_response(cls, spec: QuestionSpec, raw: Sequence[str]) -> frozenset[str]:
        """Turn submitted option ids into a response, refusing anything a form cannot send."""
        option_ids = set(spec.option_ids)
        seen: set[str] = set()
        for choice in raw:
            if not isinstance(choice, str) or choice not in option_ids:
                raise InvalidResponse(f"{choice!r} is not an option of question {spec.id}")
            if choice in seen:
                raise InvalidResponse(f"option {choice!r} was chosen twice")
            seen.add(choice)
        if cls.max_choices is not None and len(seen) > cls.max_choices:
            raise InvalidResponse(
                f"question {spec.id} accepts at most {cls.max_choices} choice(s), got {len(seen)}"
            )
        return frozenset(seen)

    @classmethod
    def grade(
        cls, spec: QuestionSpec, response: frozenset[str], *, partial_credit: bool = False
    ) -> float:
        """Score a parsed response in [0, 1]; the base rule is exact match with the key."""
        cls._check_response(spec, response)
        return 1.0 if response == frozenset(spec.key) else 0.0

    @classmethod
    def _check_response(cls, spec: QuestionSpec, response: frozenset[str]) -> None:
        unknown = sorted(response - set(spec.option_ids), key=str)
        if unknown:
            raise InvalidResponse(f"{unknown[0]!r} is not an option of question {spec.id}")
        if cls.max_choices is not None and len(response) > cls.max_choices:
            raise InvalidResponse(f"question {spec.id} accepts at most {cls.max_choices} choice(s)")


def _letter_problems(spec: QuestionSpec) -> list[SpecProblem]:
    return [
        SpecProblem(
            f"options[{index}].id",
            f"option id {option.id!r} is not a letter a–e — use ids a, b, c, d, e",
        )
        for index, option in enumerate(spec.options)
        if option.id not in LETTER_IDS
    ]


@register_question_type
class SingleBestAnswer(QuestionType):
    """One best answer among 3–5 lettered options."""

    name = "single"
    label = "Single best answer"
    min_options = 3
    max_options = 5
    max_choices = 1

    @classmethod
    def type_problems(cls, spec: QuestionSpec) -> list[SpecProblem]:
        """Lettered ids and exactly one key."""
        found = _letter_problems(spec)
        if len(spec.key) > 1:
            found.append(
                SpecProblem(
                    "key",
                    f"a single question has exactly one key, not {len(spec.key)} — "
                    f"keep one key or change type to multiple",
                )
            )
        return found


@register_question_type
class MultipleResponse(QuestionType):
    """Select all that apply: two or more keys, their number not shown to the learner."""

    name = "multiple"
    label = "Multiple response"
    min_options = 3
    max_options = 5
    max_choices = None
    key_is_list = True

    @classmethod
    def type_problems(cls, spec: QuestionSpec) -> list[SpecProblem]:
        """Lettered ids, at least two keys and at least one option outside the key."""
        found = _letter_problems(spec)
        key = set(spec.key)
        if len(key) < 2:
            found.append(
                SpecProblem(
                    "key",
                    f"a multiple question needs at least 2 keys, not {len(key)} — "
                    f"list 2 or more option ids, or change type to single",
                )
            )
        if spec.options and not set(spec.option_ids) - key:
            found.append(
                SpecProblem(
                    "key",
                    "every option is in the key — leave at least one option outside the key",
                )
            )
        return found

    @classmethod
    def grade(
        cls, spec: QuestionSpec, response: frozenset[str], *, partial_credit: bool = False
    ) -> float:
        """All-or-nothing by default; partial credit is (right − wrong) / keys, floored at 0."""
        cls._check_response(spec, response)
        key = frozenset(spec.key)
        if not partial_credit:
            return 1.0 if response == key else 0.0
        if not key:
            return 0.0
        right = len(response & key)
        wrong = len(response - key)
        return max(0.0, (right - wrong) / len(key))


@register_question_type
class TrueFalse(QuestionType):
    """A statement judged true or false; options are fixed."""

    name = "true_false"
    label = "True/false"
    min_options = 2
    max_options = 2
    max_choices = 1
    template = "quiz/types/single.html"  # shown like a single best answer: radio buttons

    _EXPECTED: ClassVar[dict[str, str]] = {"true": "True", "false": "False"}

    @classmethod
    def option_order(cls, option_ids: Sequence[str], rng: random.Random) -> tuple[str, ...]:
        """Always True, then False (any other option after them, as written)."""
        head = tuple(option for option in cls._EXPECTED if option in option_ids)
        return head + tuple(option for option in option_ids if option not in head)

    @classmethod
    def type_problems(cls, spec: QuestionSpec) -> list[SpecProblem]:
        """Options are exactly true/True and false/False, and the key is one of them."""
        found: list[SpecProblem] = []
        ids = sorted(spec.option_ids)
        if ids != ["false", "true"]:
            found.append(
                SpecProblem(
                    "options",
                    f"a true_false question has options {_listing(spec.option_ids)} — "
                    f'use exactly two options with ids "true" and "false"',
                )
            )
        for index, option in enumerate(spec.options):
            expected = cls._EXPECTED.get(option.id)
            if expected is not None and option.text.strip() != expected:
                found.append(
                    SpecProblem(
                        f"options[{index}].text",
                        f"option {option.id!r} has text {option.text!r} — "
                        f"set its text to {expected!r}",
                    )
                )
        if len(spec.key) > 1:
            found.append(
                SpecProblem(
                    "key",
                    'a true_false question has exactly one key — set key to "true" or "false"',
                )
            )
        return found
