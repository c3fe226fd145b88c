"""The course model back to folder text: the inverse of parse.

``course_files(course)`` returns course.yaml and each module's NN-slug/module.md and
NN-slug/questions.yaml, so that ``parse_course(slug, course_files(course)) == course``.
The text is in one canonical layout (docs/content-format.md, "Canonical layout"): keys in
the order of the format's documentation, optional keys left out when they hold their
default, mapping values wrapped at WIDTH columns as folded (``>-``) blocks, list items and
module front matter on one line, a blank line between questions. ``ceu courses format``
rewrites a folder into this layout.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.emitter import Emitter
from yaml.resolver import Resolver

from ceu.domain.content.model import (
    Accreditation,
    ContactHours,
    Course,
    Disclosures,
    EvaluationItem,
    EvaluationItemType,
    Module,
    Objective,
    Person,
    PostTestPolicy,
    Question,
    ReadingPolicy,
    Reference,
)
from ceu.domain.content.schema import COURSE_FILE, FORMAT_VERSION
from ceu.domain.questions import QUESTION_TYPES

__all__ = ["WIDTH", "course_files", "course_yaml", "module_md", "questions_yaml"]

WIDTH = 90  # columns for wrapped values in course.yaml and questions.yaml
_UNWRAPPED = 10**9
_STR_TAG = "tag:yaml.org,2002:str"
_NUMERIC_LOOKING = re.compile(r"[0-9][0-9.]*")  # "2018", "1.0.0": quoted, never plain


def course_files(course: Course) -> dict[str, str]:
    """Every file of the course folder, relative path -> text (the inverse of parse_course)."""
    files = {COURSE_FILE: course_yaml(course)}
    for module in course.modules:
        folder = f"{module.position:02d}-{module.slug}"
        files[f"{folder}/module.md"] = module_md(module)
        files[f"{folder}/questions.yaml"] = questions_yaml(module.questions)
    return dict(sorted(files.items()))


def course_yaml(course: Course) -> str:
    """The text of course.yaml."""
    return _document(
        [
            ("format", FORMAT_VERSION),
            ("slug", course.slug),
            ("title", course.title),
            ("version", course.version_label),
            ("summary", course.summary),
            ("audience", course.audience),
            ("level", str(course.level)),
            ("prerequisites", list(course.prerequisites)),
            ("objectives", [_objective(o) for o in course.objectives]),
            ("credit_requirements", course.credit_requirements),
            ("contact_hours", _contact_hours(course.contact_hours)),
            ("disclosures", _disclosures(course.disclosures)),
            *_accreditation(course.accreditation),
            ("references", [_reference(r) for r in course.references]),
            ("post_test", _post_test(course.post_test)),
            (
                "knowledge_check",
                _Map(
                    [
                        ("items", course.knowledge_check.items),
                        ("counts_toward_grade", course.knowledge_check.counts_toward_grade),
                    ]
                ),
            ),
            ("reading", _reading(course.reading)),
            ("evaluation", _Map([("items", _evaluation(course.evaluation))])),
        ],
        width=WIDTH,
    )


def module_md(module: Module) -> str:
    """The text of NN-slug/module.md: front matter between '---' lines, then the body."""
    front: list[tuple[str, Any]] = [
        ("title", module.title),
        ("estimated_minutes", module.estimated_minutes),
        ("objectives", [_objective(o) for o in module.objectives]),
        ("key_points", list(module.key_points)),
    ]
    if module.course_objectives:
        front.append(("course_objectives", _Flow(module.course_objectives)))
    return f"---\n{_document(front, width=_UNWRAPPED)}---\n{module.body_markdown}"


def questions_yaml(questions: Sequence[Question]) -> str:
    """The text of NN-slug/questions.yaml: one '- id: …' item per question, blank-line apart."""
    items = [_lines_of_item(_question(q), 0, WIDTH) for q in questions]
    return "\n".join("\n".join(lines) + "\n" for lines in items)


# --------------------------------------------------------------------------- the model as pairs


@dataclass(frozen=True)
class _Map:
    """A mapping written key by key in this order."""

    pairs: Sequence[tuple[str, Any]]


class _Flow(tuple[str, ...]):
    """A list of short ids written on one line: [a, b]."""


def _objective(objective: Objective) -> _Map:
    return _Map([("id", objective.id), ("text", objective.text)])


def _contact_hours(hours: ContactHours) -> _Map:
    return _Map(
        [
            ("reading_words_per_minute", hours.words_per_minute),
            ("post_test_minutes", hours.post_test_minutes),
            ("evaluation_minutes", hours.evaluation_minutes),
            ("other_minutes", hours.other_minutes),
            ("hours", hours.hours),
            ("basis", hours.basis),
        ]
    )


def _person(person: Person) -> _Map:
    return _Map([("name", person.name), ("credentials", person.credentials), ("role", person.role)])


def _disclosures(disclosures: Disclosures) -> _Map:
    return _Map(
        [
            ("commercial_support", disclosures.commercial_support),
            ("off_label", disclosures.off_label),
            ("conflicts_of_interest", disclosures.conflicts_of_interest),
            ("authors", [_person(p) for p in disclosures.authors]),
            ("reviewers", [_person(p) for p in disclosures.reviewers]),
        ]
    )


def _reference(reference: Reference) -> _Map:
    """Identity first, then how to check it (doi, url, note), then the APA parts."""
    pairs: list[tuple[str, Any]] = [("key", reference.key), ("short", reference.short)]
    checks = (("doi", reference.doi), ("url", reference.url), ("note", reference.note))
    pairs += [(name, value) for name, value in checks if value is not None]
    pairs += [
        ("authors", reference.authors),
        ("year", reference.year),
        ("title", reference.title),
    ]
    if reference.source:
        pairs.append(("source", reference.source))
    return _Map(pairs)


def _accreditation(accreditation: Accreditation | None) -> list[tuple[str, Any]]:
    if accreditation is None:
        return []
    names = ("release_date", "last_review_date", "expiry_date", "delivery_format")
    return [("accreditation", _Map([(name, getattr(accreditation, name)) for name in names]))]


def _reading(policy: ReadingPolicy) -> _Map:
    pairs: list[tuple[str, Any]] = [("auto_complete_at_end", policy.auto_complete_at_end)]
    if policy.minimum_time_share:
        pairs.append(("minimum_time_share", policy.minimum_time_share))
    return _Map(pairs)


def _post_test(policy: PostTestPolicy) -> _Map:
    return _Map(
        [
            ("pass_mark", policy.pass_mark),
            ("max_attempts", policy.max_attempts),
            ("wait_hours_between_attempts", policy.wait_hours_between_attempts),
            ("time_limit_minutes", policy.time_limit_minutes),
            ("grading_method", str(policy.grading_method)),
            ("multiple_response_scoring", str(policy.multiple_response_scoring)),
            ("review", str(policy.review)),
            ("minimum_reading_minutes", policy.minimum_reading_minutes),
            (
                "blueprint",
                [_Map([("module", e.module), ("items", e.items)]) for e in policy.blueprint],
            ),
        ]
    )


def _evaluation(items: Sequence[EvaluationItem]) -> list[_Map]:
    """The form as written: the per-objective items the parser expands fold back into one."""
    written: list[_Map] = []
    for item in items:
        if item.objective_id is None:
            written.append(_evaluation_item(item))
            continue
        group = item.id.removesuffix(f".{item.objective_id}")
        if written and written[-1].pairs[0] == ("id", group):
            continue  # one more objective of the same 'objectives' item
        folded = EvaluationItem(
            id=group,
            type=EvaluationItemType.OBJECTIVES,
            prompt=item.prompt,
            required=item.required,
            min=None,
            max=None,
            choices=(),
            objective_id=None,
        )
        written.append(_evaluation_item(folded))
    return written


def _evaluation_item(item: EvaluationItem) -> _Map:
    pairs: list[tuple[str, Any]] = [
        ("id", item.id),
        ("type", str(item.type)),
        ("prompt", item.prompt),
    ]
    pairs += [
        (name, value) for name, value in (("min", item.min), ("max", item.max)) if value is not None
    ]
    if item.type is EvaluationItemType.CHOICE:
        pairs.append(("choices", _Flow(item.choices)))
    if not item.required:
        pairs.append(("required", False))
    return _Map(pairs)


def _question(question: Question) -> _Map:
    key_is_list = QUESTION_TYPES[question.type].key_is_list
    return _Map(
        [
            ("id", question.id),
            ("type", question.type),
            ("pool", str(question.pool)),
            ("case", question.is_case),
            ("difficulty", str(question.difficulty)),
            ("objectives", _Flow(question.objectives)),
            ("section", question.section),
            ("stem", question.stem),
            (
                "options",
                [
                    _Map([("id", o.id), ("text", o.text), ("rationale", o.rationale)])
                    for o in question.options
                ],
            ),
            ("key", _Flow(question.key) if key_is_list else question.key[0]),
        ]
    )


# --------------------------------------------------------------------------- the emitter


def _document(pairs: Sequence[tuple[str, Any]], *, width: int) -> str:
    return "".join(line + "\n" for line in _lines_of_map(pairs, 0, width))


def _lines_of_map(pairs: Iterable[tuple[str, Any]], indent: int, width: int) -> list[str]:
    lines: list[str] = []
    for key, value in pairs:
        lines += _lines_of_entry(key, value, indent, width)
    return lines


def _lines_of_item(item: _Map, indent: int, width: int) -> list[str]:
    """A mapping as a list item: its first key after '- ', the rest under it."""
    lines = _lines_of_map(item.pairs, indent + 2, width)
    lines[0] = " " * indent + "- " + lines[0][indent + 2 :]
    return lines


def _lines_of_entry(key: str, value: Any, indent: int, width: int) -> list[str]:
    pad = " " * indent
    if isinstance(value, _Map):
        return [f"{pad}{key}:", *_lines_of_map(value.pairs, indent + 2, width)]
    if isinstance(value, _Flow):
        flow = f"{pad}{key}: [{', '.join(_flow_scalar(v) for v in value)}]"
        if len(flow) <= width or not value:
            return [flow]
        return [f"{pad}{key}:", *(f"{pad}  - {_one_line(v)}" for v in value)]
    if isinstance(value, list):
        if not value:
            return [f"{pad}{key}: []"]
        lines = [f"{pad}{key}:"]
        for item in value:
            if isinstance(item, _Map):
                lines += _lines_of_item(item, indent + 2, width)
            else:
                lines.append(f"{pad}  - {_one_line(item)}")
        return lines
    if not isinstance(value, str):
        return [f"{pad}{key}: {_plain_value(value)}"]
    head = f"{pad}{key}: "
    if _is_plain(value, flow=False) and len(head) + len(value) <= width:
        return [head + value]
    if _reads_as_text(value) and _is_foldable(value):
        inner = " " * (indent + 2)
        wrapped = textwrap.wrap(
            value,
            width=max(1, width - len(inner)),
            break_long_words=False,
            break_on_hyphens=False,
        )
        return [f"{pad}{key}: >-", *(inner + line for line in wrapped)]
    return [head + _quoted(value)]


def _plain_value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return yaml.safe_dump(value).removesuffix("\n...\n").strip()  # floats as YAML reads them


def _is_plain(text: str, *, flow: bool) -> bool:
    """Can the text stand unquoted and still read back as this exact string?"""
    if not text or "\n" in text or not _reads_as_text(text):
        return False
    analysis = Emitter(None).analyze_scalar(text)  # type: ignore[no-untyped-call]
    allowed = analysis.allow_flow_plain if flow else analysis.allow_block_plain
    return bool(allowed) and not analysis.multiline


def _reads_as_text(text: str) -> bool:
    """Unquoted, would YAML read it as a string (not 2018, true, null, a date)? Numbers-like
    text such as 1.0.0 is quoted too, so that nobody mistakes it for a number."""
    if _NUMERIC_LOOKING.fullmatch(text):
        return False
    return Resolver().resolve(yaml.ScalarNode, text, (True, False)) == _STR_TAG  # type: ignore[no-untyped-call]


def _is_foldable(text: str) -> bool:
    """A '>-' block folds line breaks into single spaces: only single-spaced one-line text."""
    return bool(text) and " ".join(text.split()) == text


def _one_line(text: Any) -> str:
    if not isinstance(text, str):
        return _plain_value(text)
    return text if _is_plain(text, flow=False) else _quoted(text)


def _flow_scalar(text: str) -> str:
    return text if _is_plain(text, flow=True) else _quoted(text)


def _quoted(text: str) -> str:
    dumped = yaml.safe_dump(text, default_style='"', allow_unicode=True, width=_UNWRAPPED)
    return dumped.removesuffix("\n")
