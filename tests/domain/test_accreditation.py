"""Accreditation fields: parsed and checked (review at least every three years), written
back, warned about before publishing when missing, and expiry as the certificate rule."""

from datetime import date
from pathlib import Path

import pytest

from ceu.domain.content import Accreditation, CourseInvalid
from ceu.domain.publication import publication_warnings
from ceu.files import load_course

SECTION = (
    "accreditation:\n"
    '  release_date: "2026-01-15"\n'
    '  last_review_date: "{review}"\n'
    '  expiry_date: "{expiry}"\n'
    "  delivery_format: Home study — self-paced online\n"
)


def with_accreditation(course_dir: Path, review: str, expiry: str) -> Path:
    course_yaml = course_dir / "course.yaml"
    text = course_yaml.read_text(encoding="utf-8")
    section = SECTION.format(review=review, expiry=expiry)
    course_yaml.write_text(text.replace("references:\n", section + "references:\n", 1))
    return course_dir


def errors(course_dir: Path) -> list[str]:
    with pytest.raises(CourseInvalid) as invalid:
        load_course(course_dir)
    return [str(e) for e in invalid.value.errors]


def test_the_fields_are_parsed(course_dir: Path) -> None:
    course = load_course(with_accreditation(course_dir, "2026-06-30", "2029-06-30"))
    assert course.accreditation == Accreditation(
        "2026-01-15", "2026-06-30", "2029-06-30", "Home study — self-paced online"
    )


def test_an_expiry_more_than_three_years_after_review_is_refused(course_dir: Path) -> None:
    found = errors(with_accreditation(course_dir, "2026-06-30", "2029-07-01"))
    assert len(found) == 1
    assert "course.yaml:" in found[0]
    assert 'at most three years after it — set expiry_date: "2029-06-30" or earlier' in found[0]


def test_a_review_before_release_and_a_bad_date_are_refused(course_dir: Path) -> None:
    found = errors(with_accreditation(course_dir, "2025-12-31", "2027-13-01"))
    assert any("before the release date 2026-01-15" in e for e in found)
    assert any(
        'accreditation.expiry_date is not a date written as "YYYY-MM-DD"' in e for e in found
    )


def test_expiry_is_inclusive() -> None:
    accreditation = Accreditation("2026-01-15", "2026-01-15", "2029-01-15", "Home study")
    assert not accreditation.is_expired_on(date(2029, 1, 15))
    assert accreditation.is_expired_on(date(2029, 1, 16))


def test_publication_warnings_name_what_is_missing(course_dir: Path) -> None:
    bare = publication_warnings(load_course(course_dir), date(2026, 12, 4))
    assert any("no accreditation section" in w for w in bare)
    assert any("disclosures.authors is empty" in w for w in bare)
    assert any("disclosures.reviewers is empty" in w for w in bare)
    dated = load_course(with_accreditation(course_dir, "2026-06-30", "2029-06-30"))
    assert not any("accreditation" in w for w in publication_warnings(dated, date(2026, 12, 4)))
    late = publication_warnings(dated, date(2029, 7, 1))
    assert any("expiry_date 2029-06-30 has passed" in w for w in late)


def test_the_shipped_course_states_its_accreditation_and_leaves_people_to_the_provider() -> None:
    shipped = load_course(
        Path(__file__).resolve().parents[2] / "courses" / "ketamine-refractory-anxiety"
    )
    assert shipped.accreditation is not None
    assert shipped.accreditation.delivery_format == "Home study — self-paced online"
    assert shipped.disclosures.authors == ()
    assert shipped.disclosures.reviewers == ()
    assert "to be completed by the provider" in shipped.disclosures.conflicts_of_interest.lower()
