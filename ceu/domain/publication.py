"""What a course still lacks before a provider should publish it: warnings, not errors.

A course can be valid and still not ready for a board's review: no release, review and
expiry dates, no delivery format, or authors, reviewers and conflict-of-interest statements
still left for the provider to complete. `ceu courses validate` and `ceu courses import`
print these as warnings (they never block an import: the provider fills them in). Pure.
"""

from __future__ import annotations

from datetime import date

from .content import Course

PLACEHOLDER = "to be completed by the provider"


def publication_warnings(course: Course, today: date) -> list[str]:
    """Each accreditation detail the course does not state yet, as `file: message` lines."""
    where = f"{course.slug}/course.yaml"
    found = []
    accreditation = course.accreditation
    if accreditation is None:
        found.append(
            f"{where}: no accreditation section — add release_date, last_review_date, "
            f"expiry_date (at most three years after the review) and delivery_format"
        )
    elif accreditation.is_expired_on(today):
        found.append(
            f"{where}: accreditation.expiry_date {accreditation.expiry_date} has passed, so "
            f"no certificate can be issued — review the course, then set last_review_date "
            f"and a new expiry_date"
        )
    disclosures = course.disclosures
    for name, people in (("authors", disclosures.authors), ("reviewers", disclosures.reviewers)):
        if not people:
            found.append(
                f"{where}: disclosures.{name} is empty (shown as “To be completed by the "
                f"provider”) — list each one with name, credentials and role"
            )
    if PLACEHOLDER in disclosures.conflicts_of_interest.lower():
        found.append(
            f"{where}: disclosures.conflicts_of_interest is still “To be completed by the "
            f"provider” — state each author's and reviewer's relevant financial relationships, "
            f"or that there are none"
        )
    return found
