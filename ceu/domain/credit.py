"""Which certificates count toward a learner's contact hours: the one definition.

The dashboard, the transcript page, the transcript PDF and the transcript CSV all total
hours with `hours_earned`, so they can never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from ceu.domain.certificates import CertificateStatus


@dataclass(frozen=True)
class Credit:
    """One certificate as the hours total sees it (its frozen hours and completion date)."""

    certificate_id: int
    enrollment_id: int
    status: str
    contact_hours: float
    completion_date: date


def counts_toward_hours(credit: Credit) -> bool:
    """A valid certificate earns its hours. A revoked one earns none; a superseded one
    earns them through its replacement (the corrected certificate is the valid one)."""
    return credit.status == CertificateStatus.VALID


def counted(credits: Iterable[Credit]) -> list[Credit]:
    """The certificates whose hours count: valid ones, one per enrollment (a course
    completed once is credited once, even if a fault ever left two valid certificates)."""
    chosen: dict[int, Credit] = {}
    for credit in credits:
        if counts_toward_hours(credit):
            kept = chosen.get(credit.enrollment_id)
            if kept is None or credit.certificate_id < kept.certificate_id:
                chosen[credit.enrollment_id] = credit
    return sorted(chosen.values(), key=lambda c: (c.completion_date, c.certificate_id))


@dataclass(frozen=True)
class HoursEarned:
    """Contact hours earned per calendar year of completion, and overall."""

    per_year: dict[int, float] = field(default_factory=dict)
    total: float = 0.0
    counted_ids: frozenset[int] = frozenset()

    def in_year(self, year: int) -> float:
        return self.per_year.get(year, 0.0)

    def counts(self, certificate_id: int) -> bool:
        """Whether this certificate's hours are in the totals."""
        return certificate_id in self.counted_ids


def hours_earned(credits: Iterable[Credit]) -> HoursEarned:
    """Total the hours of the certificates that count, per year and overall."""
    chosen = counted(credits)
    per_year: dict[int, float] = {}
    for credit in chosen:
        year = credit.completion_date.year
        per_year[year] = per_year.get(year, 0.0) + credit.contact_hours
    return HoursEarned(  # rounded: boards count in quarter hours, never in float noise
        per_year={year: round(hours, 4) for year, hours in sorted(per_year.items())},
        total=round(sum(c.contact_hours for c in chosen), 4),
        counted_ids=frozenset(c.certificate_id for c in chosen),
    )
