"""The course evaluation: read a submitted form against the course's evaluation items."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ceu.domain.content import EvaluationItem, EvaluationItemType

LIKERT_LABELS = ("Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree")

# What the learner attests before the evaluation is accepted; stored with the certificate.
ATTESTATION = (
    "I attest that I completed this activity myself, and that the time I report for it is "
    "the time I actually spent on it."
)
ATTESTATION_FIELD = "attest"


def attestation_problem(raw: Mapping[str, str]) -> EvaluationProblem | None:
    """The evaluation is accepted only with the learner's attestation ticked."""
    if (raw.get(ATTESTATION_FIELD) or "").strip() == "yes":
        return None
    return EvaluationProblem(
        ATTESTATION_FIELD, "Tick the attestation: only the learner who did the course may submit."
    )


MAX_TEXT = 4000


@dataclass(frozen=True)
class EvaluationProblem:
    item_id: str
    message: str


def read_evaluation(
    items: Sequence[EvaluationItem], raw: Mapping[str, str]
) -> tuple[dict[str, Any], list[EvaluationProblem]]:
    """Answers keyed by item id, and every problem found; nothing is partly accepted."""
    answers: dict[str, Any] = {}
    problems: list[EvaluationProblem] = []
    for item in items:
        item_id = item.id
        value = (raw.get(f"e-{item_id}") or "").strip()
        if not value:
            if item.required:
                problems.append(EvaluationProblem(item_id, "Answer this question."))
            continue
        kind = item.type
        if kind is EvaluationItemType.LIKERT5:
            if value not in {"1", "2", "3", "4", "5"}:
                problems.append(EvaluationProblem(item_id, "Choose one of the five answers."))
            else:
                answers[item_id] = int(value)
        elif kind is EvaluationItemType.NUMBER:
            try:
                number = float(value)
            except ValueError:
                problems.append(EvaluationProblem(item_id, "Enter a number."))
                continue
            low, high = item.min, item.max
            if (low is not None and number < low) or (high is not None and number > high):
                problems.append(
                    EvaluationProblem(item_id, f"Enter a number from {low:g} to {high:g}.")
                )
            else:
                answers[item_id] = number
        elif kind is EvaluationItemType.CHOICE:
            if value not in item.choices:
                problems.append(EvaluationProblem(item_id, "Choose one of the answers."))
            else:
                answers[item_id] = value
        else:  # text
            if len(value) > MAX_TEXT:
                problems.append(EvaluationProblem(item_id, f"Use at most {MAX_TEXT:,} characters."))
            else:
                answers[item_id] = value
    return answers, problems


def summarize(
    items: Sequence[EvaluationItem], responses: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Per item: count and mean (likert, number), distribution (likert), comments (text)."""
    summary = []
    for item in items:
        values = [r[item.id] for r in responses if item.id in r]
        row: dict[str, Any] = {
            "id": item.id,
            "prompt": item.prompt,
            "type": str(item.type),
            "objective_id": item.objective_id,
            "count": len(values),
        }
        if item.type in (EvaluationItemType.LIKERT5, EvaluationItemType.NUMBER) and values:
            row["mean"] = round(sum(values) / len(values), 2)
        if item.type is EvaluationItemType.LIKERT5:
            row["distribution"] = [values.count(n) for n in range(1, 6)]
        if item.type is EvaluationItemType.TEXT:
            row["comments"] = list(values)
        summary.append(row)
    return summary
