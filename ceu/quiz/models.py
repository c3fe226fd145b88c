"""Attempts at the post-test and knowledge checks, each a frozen snapshot of what it showed."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.ext.associationproxy import AssociationProxy, association_proxy
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ceu.domain.questions import OptionSpec, QuestionSpec
from ceu.extensions import UTCDateTime, db, utcnow
from ceu.learning.models import Enrollment, InvalidTransition


class AttemptKind(StrEnum):
    POST_TEST = "post_test"
    KNOWLEDGE_CHECK = "knowledge_check"


class AttemptState(StrEnum):
    IN_PROGRESS = "in_progress"
    GRADED = "graded"  # submitted and graded in one step (one conditional UPDATE)
    EXPIRED = "expired"  # the time limit ran out: graded on what was saved


FINAL_STATES = (AttemptState.GRADED, AttemptState.EXPIRED)


class AttemptForm(db.Model):  # type: ignore[name-defined,misc]
    """The items an attempt showed, exactly as shown (text, option order, key, rationales).

    Written once when the attempt starts and never changed, and tens of kilobytes for a
    30-item post-test: kept apart from the attempt's row, which every save and the submit
    rewrite (SQLite rewrites a whole row, overflow pages included, on any UPDATE).
    """

    __tablename__ = "attempt_form"

    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("attempt.id", ondelete="CASCADE"), primary_key=True
    )
    form: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class AttemptItem(db.Model):  # type: ignore[name-defined,misc]
    """One item of a graded attempt as a row: what was shown, what was chosen, its score.

    Written with the grade and only then (the primary key makes it once), so reports and
    item analysis aggregate responses in SQL instead of reading JSON blobs: per question
    (`question_id`, the imported bank item; `qid` and `question_hash`, the author's id and
    the item's wording, across course versions) and per option (`chosen`, as its type
    records a response: option ids in the order shown; SQLite `json_each`, PostgreSQL
    `json_array_elements_text`).
    """

    __tablename__ = "attempt_item"

    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("attempt.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)  # 1 = first shown
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), index=True)
    qid: Mapped[str] = mapped_column(String(100))
    question_hash: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(20))
    chosen: Mapped[list[str]] = mapped_column(JSON)
    score: Mapped[float] = mapped_column(Float)
    is_correct: Mapped[bool] = mapped_column()


class Attempt(db.Model):  # type: ignore[name-defined,misc]
    """One sitting. `form` snapshots the items exactly as shown (text, option order, key)."""

    __table_args__ = (
        UniqueConstraint("enrollment_id", "kind", "module_position", "number"),
        # at most one attempt in progress per learner and test, enforced by the database
        Index(
            "uq_attempt_one_in_progress",
            "enrollment_id",
            "kind",
            "module_position",
            unique=True,
            sqlite_where=text("state = 'in_progress'"),
            postgresql_where=text("state = 'in_progress'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollment.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    # 0 for the post-test; the module's position for a knowledge check
    module_position: Mapped[int] = mapped_column(Integer, default=0)
    number: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default=AttemptState.IN_PROGRESS.value)
    answers: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    answers_saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    graded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    score: Mapped[float | None] = mapped_column(Float, default=None)
    is_passed: Mapped[bool | None] = mapped_column(default=None)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)

    enrollment: Mapped[Enrollment] = relationship()
    form_row: Mapped[AttemptForm] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, single_parent=True
    )
    # `attempt.form` reads (and, for a new attempt, sets) the snapshot in its own table
    form: AssociationProxy[list[dict[str, Any]]] = association_proxy(
        "form_row", "form", creator=lambda form: AttemptForm(form=form)
    )

    @property
    def is_open(self) -> bool:
        return self.state == AttemptState.IN_PROGRESS

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES

    def specs(self) -> list[QuestionSpec]:
        """The gradable core of each item shown, in form order (options in the order shown)."""
        return [
            QuestionSpec(
                id=item["id"],
                type=item["type"],
                options=tuple(
                    OptionSpec(o["id"], o["text"], o["rationale"]) for o in item["options"]
                ),
                key=tuple(item["key"]),
            )
            for item in self.form
        ]

    def is_overdue(self, now: datetime) -> bool:
        return self.deadline_at is not None and now >= self.deadline_at

    def save_answers(self, answers: dict[str, list[str]], now: datetime) -> None:
        if not self.is_open:
            raise InvalidTransition(f"cannot change answers of an attempt that is {self.state}")
        self.answers = answers
        self.answers_saved_at = now

    def graded(
        self,
        *,
        answers: dict[str, list[str]],
        score: float,
        passed: bool,
        result: dict[str, Any],
        now: datetime,
        expired: bool,
    ) -> dict[str, Any]:
        """in_progress -> graded (or expired), submitted and graded in one step: the new
        column values, which `services.submit_attempt` writes with one conditional UPDATE
        (the only way a score is written)."""
        if not self.is_open:
            raise InvalidTransition(f"cannot grade an attempt that is {self.state}")
        state = AttemptState.EXPIRED if expired else AttemptState.GRADED
        return {
            "state": state.value,
            "answers": answers,
            "submitted_at": now,
            "graded_at": now,
            "score": score,
            "is_passed": passed,
            "result": result,
        }
