"""Which certificates count toward hours: ceu.domain.credit, the one definition."""

from __future__ import annotations

from datetime import date

from ceu.domain.credit import Credit, HoursEarned, counted, hours_earned


def credit(cert_id: int, enrollment: int, status: str, hours: float, day: date) -> Credit:
    return Credit(cert_id, enrollment, status, hours, day)


def test_valid_certificates_count_per_year_and_overall() -> None:
    hours = hours_earned(
        [
            credit(1, 1, "valid", 3.0, date(2025, 3, 2)),
            credit(2, 2, "valid", 1.5, date(2025, 9, 14)),
            credit(3, 3, "valid", 2.25, date(2026, 1, 5)),
        ]
    )
    assert hours.per_year == {2025: 4.5, 2026: 2.25}
    assert hours.total == 6.75
    assert hours.in_year(2024) == 0.0


def test_revoked_counts_nothing_and_superseded_counts_once_through_its_replacement() -> None:
    credits = [
        credit(1, 1, "revoked", 6.0, date(2025, 10, 1)),
        credit(2, 2, "superseded", 2.25, date(2026, 1, 5)),
        credit(3, 2, "valid", 2.25, date(2026, 1, 5)),  # the correction of 2
    ]
    hours = hours_earned(credits)
    assert hours.total == 2.25
    assert [c.certificate_id for c in counted(credits)] == [3]
    assert hours.counts(3)
    assert not hours.counts(2)
    assert not hours.counts(1)


def test_replacement_revoked_means_the_course_counts_nothing() -> None:
    credits = [
        credit(2, 2, "superseded", 2.25, date(2026, 1, 5)),
        credit(3, 2, "revoked", 2.25, date(2026, 1, 5)),
    ]
    assert hours_earned(credits) == HoursEarned(per_year={}, total=0.0)


def test_one_enrollment_is_credited_once_even_with_two_valid_certificates() -> None:
    credits = [
        credit(5, 9, "valid", 1.0, date(2026, 2, 1)),
        credit(4, 9, "valid", 1.0, date(2026, 2, 1)),
    ]
    hours = hours_earned(credits)
    assert hours.total == 1.0
    assert hours.counted_ids == frozenset({4})  # the first one issued


def test_quarter_hours_add_up_without_float_noise() -> None:
    credits = [credit(i, i, "valid", 0.1, date(2026, 1, 1)) for i in range(3)]
    assert hours_earned(credits).total == 0.3
