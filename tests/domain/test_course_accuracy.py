"""The shipped course teaches the corrections of the seed articles' errors, and not the errors.

The errata are numbered as in ACCURACY.md §2 (the content-accuracy review of the seed
articles); docs/course-accuracy.md maps each one to the module section that teaches the
correction and to the post-test items that test it. The checks here are deliberately
phrase-based: if an edit drops a correction, reintroduces a seed's wrong wording or cites a
source outside the verified list (ACCURACY.md §3), a test names what went wrong.
"""

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from ceu.domain.content import Course, CourseInvalid, Pool
from ceu.files import load_course

COURSE_DIR = Path(__file__).resolve().parents[2] / "courses" / "ketamine-refractory-anxiety"


@dataclass(frozen=True)
class Erratum:
    """Where a seed error's correction is taught, what it must say, and what tests it."""

    number: int
    module: str
    phrases: tuple[str, ...]
    post_test_items: tuple[str, ...]


ERRATA = (
    Erratum(
        1,
        "mechanism-of-action",
        (
            "BDNF is a neurotrophin",
            "TrkB receptors",
            "but that description is wrong",
            "synaptogenesis and synaptic strengthening",
            "Neurogenesis is the birth of new neurons",
            "mostly from animal work",
        ),
        ("m2-q11", "m2-q12", "m2-q14", "m2-q15"),
    ),
    Erratum(
        2,
        "mechanism-of-action",
        (
            "fell about equally after ketamine and after midazolam",
            "serum BDNF did not change",
            "it should be taught as a hypothesis",
        ),
        ("m2-q13",),
    ),
    Erratum(
        3,
        "refractory-anxiety",
        (
            "DSM-5 moved it into a new chapter, Trauma- and Stressor-Related Disorders",
            "Articles that still list PTSD as an anxiety disorder are out of date",
        ),
        ("m1-q16", "m1-q19", "m1-q20"),
    ),
    Erratum(
        4,
        "administration-and-safety",
        (
            "only as an anesthetic",
            "Any use for anxiety is therefore off-label",
            "either investigational products in research or compounded products",
            "no REMS monitoring",
        ),
        ("m4-q01", "m4-q06", "m4-q17", "m5-q11", "m5-q13"),
    ),
    Erratum(
        5,
        "administration-and-safety",
        (
            "The nasal spray part is misleading",
            "no study of esketamine in a primary anxiety disorder",
            "subcutaneous",
            "intravenous infusion",
            "approved on 5 March 2019 for treatment-resistant depression",
            "acute suicidal ideation",
            "Neither indication is an anxiety disorder",
            "21 January 2025",
            "approved it as monotherapy for treatment-resistant depression",
        ),
        ("m4-q02", "m4-q04", "m5-q15"),
    ),
    Erratum(
        6,
        "ethics-and-scope",
        (
            "no approved indication for anxiety, no standard dose and no practice guideline",
            "It stressed how limited the data are",
        ),
        ("m5-q02", "m5-q14"),
    ),
    Erratum(
        7,
        "clinical-evidence",
        (
            "six acute RCTs, four of which were positive",
            "social anxiety disorder but not for PTSD",
            "the improvements were temporary",
            "the study had no control arm",
            "cite no verifiable study",
            "not to evidence of efficacy",
        ),
        ("m3-q01", "m3-q05", "m3-q06", "m3-q07", "m3-q08", "m3-q18", "m3-q19", "m5-q19"),
    ),
    Erratum(
        8,
        "multidisciplinary-care",
        (
            "No trials support ketamine for acute anxiety or panic",
            "has not been shown to prevent suicide",
            "That indication concerns depression",
            "follow standard crisis procedures",
        ),
        ("m2-q20", "m3-q15", "m6-q17", "m6-q18", "m6-q30"),
    ),
    Erratum(
        9,
        "administration-and-safety",
        (
            "Dissociation and rises in blood pressure and heart rate are dose-related",
            "10 mmHg higher at 30 minutes",
            "at least 2 hours of observation after each dose",
            "Long-term safety in repeated treatment use is unknown",
            "respiratory depression",
            "bladder toxicity",
            "Screening can lower risk but cannot remove it",
        ),
        ("m4-q11", "m4-q12", "m4-q14", "m4-q15", "m4-q18", "m4-q19", "m4-q20"),
    ),
    Erratum(
        10,
        "clinical-evidence",
        (
            "A single dose relieves anxiety for up to about a week",
            "open-label follow-up only",
            "Symptoms can return when treatment stops",
        ),
        ("m3-q09", "m3-q10", "m3-q17", "m6-q13", "m6-q31"),
    ),
    Erratum(
        11,
        "refractory-anxiety",
        (
            "There is no consensus definition",
            "a two-trial rule is only one of several proposals",
            "Pseudo-resistance describes apparent nonresponse",
        ),
        ("m1-q01", "m1-q02", "m1-q05", "m1-q06", "m1-q07"),
    ),
    Erratum(
        12,
        "multidisciplinary-care",
        (
            "That claim is not supported. The evidence is preliminary",
            "did not meet its primary outcome",
            "no randomized trial of psychotherapy combined with ketamine in anxiety disorders",
        ),
        ("m6-q06", "m6-q09", "m6-q10"),
    ),
    Erratum(
        13,
        "mechanism-of-action",
        (
            "The accurate description is a dissociative anesthetic that can produce hallucinations",
            "not a classic psychedelic",
        ),
        ("m2-q16", "m2-q17", "m2-q18"),
    ),
    Erratum(
        14,
        "ethics-and-scope",
        (
            "Counselors do not prescribe or administer ketamine",
            "referring to a psychiatrist or other prescriber",
            "supporting informed consent",
            "coordinating with prescribers",
        ),
        ("m5-q06", "m5-q07", "m5-q09", "m6-q01"),
    ),
)

# The only citable references, with their DOIs (None: no DOI exists). First ACCURACY.md §3,
# then the sources of ACCURACY.md §4 and §4a, then official texts and validation papers that
# docs/course-accuracy.md lists as added by the 2026-12 revision (each with its evidence).
VERIFIED_REFERENCES = {
    "zanos2018": "10.1038/mp.2017.255",
    "tully2022": "10.1111/bcp.15374",
    "glue2017": "10.1177/0269881117705089",
    "glue2018": "10.1177/0269881118762073",
    "taylor2018": "10.1038/npp.2017.194",
    "glue2020": "10.1177/0269881119874457",
    "whittaker2021": "10.1177/20451253211056743",
    "fda2019": None,
    "sanacora2017": "10.1001/jamapsychiatry.2017.0080",
    "fda2023": None,
    "dea1999": None,
    "aca2014": None,
    "mcintyre2021": "10.1176/appi.ajp.2020.20081251",
    "roybyrne2015": "10.31887/DCNS.2015.17.2/proybyrne",
    "dore2019": "10.1080/02791072.2019.1587556",
    # ACCURACY.md §4 and §4a
    "spravato2025": None,
    "jnj2025": None,
    "esketreview2025": "10.1177/02698811251389583",
    "wilkinson2021": "10.1159/000517074",
    "apa2022": "10.1176/appi.books.9780890425787",
    "glue2020er": None,
    # added by the 2026-12 revision (docs/course-accuracy.md, "References added")
    "spitzer2006": "10.1001/archinte.166.10.1092",
    "kroenke2001": "10.1046/j.1525-1497.2001.016009606.x",
    "hhs164506": None,
    "hhs164508": None,
    "cfr42part2": None,
}

# Pages that are not documents: a reference must link to the document itself.
HOME_PAGES = re.compile(r"^https?://(www\.)?[^/]+/?$")

# Wording of the seeds' errors (ACCURACY.md §2) that must not reappear in any module text,
# not even as a quoted claim: paraphrase a claim when correcting it.
FORBIDDEN_PHRASES = (
    "another neurotransmitter, brain-derived",
    "resulting neurogenesis",
    "upsurge in BDNF",
    "no significant long-term risks",
    "well-established protocols",
    "long-lasting relief",
    "resolving within minutes",
    "lack of these chronic side effects",
    "without depressing the respiratory system",
    "rather than a hallucinogenic",
    "valuable tool for urgent cases",
    "critical intervention tool",
    "particularly effective in reinforcing",
    "rapid onset and lasting effects",
    "at least two standard treatments",
)

# Affirmative patterns that are wrong wherever they occur outside a quoted claim.
FORBIDDEN_PATTERNS = (
    re.compile(r"\bbdnf,? (is|as) (a|an|another) (\w+ )?neurotransmitter"),
    re.compile(r"\bneurotransmitter,? (called )?(bdnf|brain-derived)"),
    re.compile(r"\bketamine,? (is|as) an? (\w+ )?psychedelic"),
    re.compile(r"\bpsychedelic (medicine|drug)\b"),
    re.compile(r"\bketamine (causes|promotes|triggers|induces) neurogenesis"),
)

# A sentence that mentions one of these topics must also signal that it corrects an error.
CORRECTED_TOPICS = {
    "bdnf called a neurotransmitter": (("bdnf", "neurotransmitter"), ("not", "wrong", "error")),
    "neurogenesis as the mechanism": (
        ("neurogenesis",),
        ("not", "rather than", "error", "neurogenesis is the birth of new neurons"),
    ),
    "the untraceable wilkins citation": (("wilkins",), ("could not be found", "fabricated")),
    "approval for anxiety": (("approved for", "anxiety"), ("not", "no", "neither", "nor")),
}


def normalise(text: str) -> str:
    """Lower case, Markdown emphasis and citation markers removed, whitespace collapsed."""
    text = re.sub(r"\s*\[@[^\]]*\]", "", text)
    text = text.replace("*", "")
    return " ".join(text.lower().split())


def unquoted(text: str) -> str:
    """The text without "quoted" spans: a quoted claim is reported, not asserted."""
    return re.sub(r'"[^"]*"', " ", text)


def sentences(text: str) -> list[str]:
    """Normalised sentences (and table cells) of a Markdown text."""
    found = []
    for block in re.split(r"\n\s*\n", text):
        for part in re.split(r"(?<=[.!?])\s+|\s\|\s", normalise(block)):
            if part.strip(" |"):
                found.append(part.strip(" |"))
    return found


def forbidden_phrase_hits(text: str) -> list[str]:
    normal = normalise(text)
    return [phrase for phrase in FORBIDDEN_PHRASES if normalise(phrase) in normal]


def forbidden_pattern_hits(text: str) -> list[str]:
    return [
        match.group(0)
        for sentence in sentences(unquoted(text))
        for pattern in FORBIDDEN_PATTERNS
        for match in pattern.finditer(sentence)
    ]


def uncorrected_sentences(text: str) -> list[str]:
    """Sentences that raise a corrected topic without any sign of the correction."""
    problems = []
    for sentence in sentences(unquoted(text)):
        for topic, (needles, cues) in CORRECTED_TOPICS.items():
            if all(re.search(rf"\b{re.escape(n)}\b", sentence) for n in needles) and not any(
                re.search(rf"\b{re.escape(cue)}s?\b", sentence) for cue in cues
            ):
                problems.append(f"{topic}: {sentence}")
    return problems


def module_texts(course: Course) -> dict[str, str]:
    """Everything a learner reads in each module: objectives, body and key points."""
    texts = {}
    for module in course.modules:
        parts = [module.title, *(o.text for o in module.objectives), module.body_markdown]
        texts[module.slug] = "\n\n".join([*parts, *module.key_points])
    texts["course.yaml"] = "\n\n".join(
        [course.summary, *(o.text for o in course.objectives), course.disclosures.off_label]
    )
    return texts


@pytest.fixture(scope="module")
def course() -> Course:
    try:
        return load_course(COURSE_DIR)
    except CourseInvalid as invalid:
        pytest.fail(f"{COURSE_DIR.name} does not validate:\n{invalid}", pytrace=False)


def test_all_fourteen_errata_are_mapped() -> None:
    assert [erratum.number for erratum in ERRATA] == list(range(1, 15))


@pytest.mark.parametrize("erratum", ERRATA, ids=lambda e: f"erratum-{e.number}")
def test_correction_is_taught_in_its_module(course: Course, erratum: Erratum) -> None:
    body = normalise(course.module(erratum.module).body_markdown)
    missing = [phrase for phrase in erratum.phrases if normalise(phrase) not in body]
    assert missing == []


@pytest.mark.parametrize("erratum", ERRATA, ids=lambda e: f"erratum-{e.number}")
def test_correction_is_tested_by_post_test_items(course: Course, erratum: Erratum) -> None:
    post_test = {q.id for m in course.modules for q in m.pool(Pool.POST_TEST)}
    assert erratum.post_test_items
    assert [item for item in erratum.post_test_items if item not in post_test] == []


def test_no_module_repeats_a_seed_error_verbatim(course: Course) -> None:
    hits = {slug: forbidden_phrase_hits(text) for slug, text in module_texts(course).items()}
    assert {slug: found for slug, found in hits.items() if found} == {}


def test_no_module_asserts_a_known_error(course: Course) -> None:
    hits = {slug: forbidden_pattern_hits(text) for slug, text in module_texts(course).items()}
    assert {slug: found for slug, found in hits.items() if found} == {}


def test_corrected_topics_are_only_raised_as_corrections(course: Course) -> None:
    found = {slug: uncorrected_sentences(text) for slug, text in module_texts(course).items()}
    assert {slug: problems for slug, problems in found.items() if problems} == {}


def test_no_keyed_answer_states_a_known_error(course: Course) -> None:
    hits = {}
    for question in course.questions:
        for option in question.options:
            if option.id in question.key:
                found = forbidden_phrase_hits(option.text) + forbidden_pattern_hits(option.text)
                if found:
                    hits[question.id] = found
    assert hits == {}


# The esketamine label as of January 2025 (ACCURACY.md §4): what module 4 must teach.
CURRENT_LABEL_FACTS = (
    "approved on 5 March 2019 for treatment-resistant depression",
    "On 21 January 2025 the FDA approved it as monotherapy for treatment-resistant depression",
    "it may now be used with or without an oral antidepressant",
    "the suicidal-ideation indication is still in conjunction with an oral antidepressant",
    "has not been shown to prevent suicide or to reduce suicidal ideation or behavior",
    "at least 2 hours after each dose",
    "Neither indication is an anxiety disorder",
)

# Words that show a sentence about the TRD indication is dated or already current.
LABEL_CURRENCY_CUES = ("monotherapy", "on its own", "with or without", "at first", "2019", "alone")


def outdated_label_sentences(text: str) -> list[str]:
    """Sentences tying the TRD approval to an oral antidepressant as if still required."""
    return [
        sentence
        for sentence in sentences(text)
        if re.search(r"\b(esketamine|spravato|nasal spray)\b", sentence)
        and "treatment-resistant depression" in sentence
        and "oral antidepressant" in sentence
        and not any(cue in sentence for cue in LABEL_CURRENCY_CUES)
    ]


def learner_texts(course: Course) -> list[str]:
    """Module texts plus every stem, option and rationale."""
    texts = [*module_texts(course).values()]
    for question in course.questions:
        texts.append(question.stem)
        texts.extend(f"{o.text} {o.rationale}" for o in question.options)
    return texts


def test_module_4_teaches_the_current_esketamine_label(course: Course) -> None:
    body = normalise(course.module("administration-and-safety").body_markdown)
    assert [fact for fact in CURRENT_LABEL_FACTS if normalise(fact) not in body] == []


def test_label_sources_are_the_2025_label_and_release(course: Course) -> None:
    cited = set(course.module("administration-and-safety").cited_keys)
    assert {"spravato2025", "jnj2025"} <= cited


def test_no_text_describes_the_pre_2025_label_as_current(course: Course) -> None:
    found = [hit for text in learner_texts(course) for hit in outdated_label_sentences(text)]
    assert found == []


def test_the_label_check_catches_an_outdated_sentence() -> None:
    outdated = (
        "Esketamine nasal spray is approved for treatment-resistant depression together with "
        "an oral antidepressant."
    )
    current = (
        "Esketamine nasal spray was approved in 2019 for treatment-resistant depression with an "
        "oral antidepressant. Since 2025 it may be used as monotherapy for treatment-resistant "
        "depression, with or without an oral antidepressant."
    )
    assert len(outdated_label_sentences(outdated)) == 1
    assert outdated_label_sentences(current) == []


def test_references_link_to_documents_not_home_pages(course: Course) -> None:
    assert [r.key for r in course.references if r.url and HOME_PAGES.match(r.url)] == []


def test_course_lists_exactly_the_verified_references(course: Course) -> None:
    assert {reference.key for reference in course.references} == set(VERIFIED_REFERENCES)


def test_reference_dois_match_the_verified_list(course: Course) -> None:
    dois = {reference.key: reference.doi for reference in course.references}
    assert dois == VERIFIED_REFERENCES


def test_modules_cite_only_verified_references(course: Course) -> None:
    cited = {key for module in course.modules for key in module.cited_keys}
    assert cited - set(VERIFIED_REFERENCES) == set()


def test_the_checks_catch_planted_errors() -> None:
    planted = (
        "Ketamine boosts another neurotransmitter, brain-derived neurotrophic factor. "
        "The resulting neurogenesis brings long-lasting relief.\n\n"
        "BDNF is a neurotransmitter. Ketamine is a psychedelic. "
        "Ketamine promotes neurogenesis in people with anxiety. "
        "Wilkins et al. (2021) showed that most patients improved. "
        "Ketamine is approved for anxiety."
    )
    assert forbidden_phrase_hits(planted) == [
        "another neurotransmitter, brain-derived",
        "resulting neurogenesis",
        "long-lasting relief",
    ]
    assert forbidden_pattern_hits(planted) == [
        "neurotransmitter, brain-derived",
        "bdnf is a neurotransmitter",
        "ketamine is a psychedelic",
        "ketamine promotes neurogenesis",
    ]
    topics = [problem.split(":")[0] for problem in uncorrected_sentences(planted)]
    assert topics == [
        "neurogenesis as the mechanism",
        "bdnf called a neurotransmitter",
        "neurogenesis as the mechanism",
        "the untraceable wilkins citation",
        "approval for anxiety",
    ]


def test_the_checks_accept_quoted_and_negated_claims() -> None:
    corrected = (
        'A website says ketamine "floods the brain with the neurotransmitter BDNF." '
        "BDNF is a growth factor, not a neurotransmitter. "
        "Current hypotheses centre on synaptogenesis, not neurogenesis. "
        "No ketamine product is approved for anxiety."
    )
    assert forbidden_pattern_hits(corrected) == []
    assert uncorrected_sentences(corrected) == []
