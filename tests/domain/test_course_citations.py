"""Every factual paragraph of the shipped course cites a reference (the citation rule).

The rule: a module is split into its `##` sections; case-vignette sections (fictional
clients, taught as applications, not as facts) are skipped. Every other section is split
into units: a paragraph, a table, or a list together with the paragraph that introduces it
(the one ending in ":"). Each unit must contain at least one `[@key]` citation.

Paragraphs that state no fact from the literature (orientation, definitions of study
design, practice guidance that follows from cited paragraphs) are exempt only if listed in
UNCITED_BY_DESIGN below, by module and opening words; docs/course-accuracy.md records that
each of them was read by hand and why it needs no citation. A new paragraph without a
citation fails until it cites a source or is reviewed and listed here. Key points, which
summarise the cited body, are not units.
"""

import re
from pathlib import Path

import pytest

from ceu.domain.content import Course, CourseInvalid
from ceu.files import load_course

COURSE_DIR = Path(__file__).resolve().parents[2] / "courses" / "ketamine-refractory-anxiety"

CITATION = re.compile(r"\[@[a-z0-9_-]+(?:;\s*@[a-z0-9_-]+)*\]")
LIST_OR_TABLE = re.compile(r"^([-*+]|\d+\.)\s|^\|")

# (module slug, opening words): paragraphs reviewed by hand that state no cited fact.
UNCITED_BY_DESIGN = {
    ("refractory-anxiety", "Clients now arrive in counseling offices"),
    ("refractory-anxiety", "The practical consequence is that"),
    ("clinical-evidence", "Clients who have lived with anxiety for years"),
    ("clinical-evidence", "Two design terms recur throughout this module"),
    ("ethics-and-scope", "Clients whose anxiety has not improved after several"),
    ("ethics-and-scope", "Medical details belong in the record"),
    ("multidisciplinary-care", "Clear roles protect the client"),
    ("multidisciplinary-care", "Agreeing on a communication plan early"),
    ("multidisciplinary-care", "A personalized plan starts from the client's history"),
    ("multidisciplinary-care", "The same measures should be given before treatment"),
    ("multidisciplinary-care", "A counselor who notices these raises them"),
    ("multidisciplinary-care", "Counselors therefore follow standard crisis procedures"),
    ("multidisciplinary-care", "A client's hope that one more infusion"),
}


def citation_units(body: str) -> list[tuple[str, str]]:
    """(section heading, unit text) for every unit the citation rule applies to."""
    units = []
    for section in re.split(r"(?m)^## ", body):
        heading, _, text = section.partition("\n")
        if not text.strip() or heading.strip().lower().startswith("case vignette"):
            continue
        merged: list[str] = []
        for block in (b.strip() for b in re.split(r"\n\s*\n", text)):
            if not block:
                continue
            if LIST_OR_TABLE.match(block) and merged and merged[-1].endswith(":"):
                merged[-1] += "\n" + block
            else:
                merged.append(block)
        units.extend((heading.strip(), unit) for unit in merged)
    return units


def uncited_units(slug: str, body: str) -> list[str]:
    """Units without a citation that are not listed as reviewed exemptions."""
    missing = []
    for heading, unit in citation_units(body):
        if CITATION.search(unit):
            continue
        flat = " ".join(unit.split())
        if any(slug == module and flat.startswith(words) for module, words in UNCITED_BY_DESIGN):
            continue
        missing.append(f"{slug} › {heading}: {flat[:90]}")
    return missing


@pytest.fixture(scope="module")
def course() -> Course:
    try:
        return load_course(COURSE_DIR)
    except CourseInvalid as invalid:
        pytest.fail(f"{COURSE_DIR.name} does not validate:\n{invalid}", pytrace=False)


def test_every_factual_paragraph_cites_a_reference(course: Course) -> None:
    missing = [line for m in course.modules for line in uncited_units(m.slug, m.body_markdown)]
    assert missing == []


def test_every_exemption_still_matches_a_paragraph(course: Course) -> None:
    openings = {
        (m.slug, " ".join(unit.split()))
        for m in course.modules
        for _, unit in citation_units(m.body_markdown)
    }
    stale = {
        (module, words)
        for module, words in UNCITED_BY_DESIGN
        if not any(slug == module and text.startswith(words) for slug, text in openings)
    }
    assert stale == set()


def test_the_rule_flags_an_uncited_paragraph_and_skips_vignettes() -> None:
    body = (
        "## Facts\n\nKetamine is Schedule III [@dea1999].\n\nIt was approved in 2019.\n\n"
        "Known risks include:\n\n- misuse\n- bladder toxicity [@fda2023]\n\n"
        "## Case vignette: Ana\n\nAna, a fictional client, asks about ketamine.\n"
    )
    assert uncited_units("demo", body) == ["demo › Facts: It was approved in 2019."]


def test_a_list_counts_with_its_lead_in() -> None:
    body = "## Facts\n\nRisks include [@fda2023]:\n\n- misuse\n- dependence\n"
    assert [unit for _, unit in citation_units(body)] == [
        "Risks include [@fda2023]:\n- misuse\n- dependence"
    ]
    assert uncited_units("demo", body) == []
