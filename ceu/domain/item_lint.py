"""Item-writing checks a test-wise learner would otherwise exploit, measured across a bank.

Each rule names a cue that lets someone pick the key without knowing the content (the key
is usually the second-longest option; "select 3" is always right; only the key hedges;
absolute words mark distractors), or a structural promise the course makes (case items
are real vignettes; a third of the post-test applies knowledge to a case). The rules are
warnings for `ceu courses validate` and errors with `--strict`. Pure: a validated Course
in, a list of LintWarning out.
"""

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from .content import Course, Module, Pool, Question, Scoring

MAX_RANK_SHARE = Fraction(35, 100)
MIN_ITEMS_FOR_RANK_CHECK = 10
MAX_KEY_COUNT_SHARE = Fraction(1, 2)
REQUIRED_KEY_COUNTS = (2, 3, 4)
MIN_ITEMS_FOR_KEY_COUNT_CHECK = 6
MAX_LENGTH_RATIO = 2.0
MIN_VIGNETTE_CHARS = 250
MIN_CASE_SHARE = Fraction(1, 3)
SELECT_ALL = "select all that apply"

ABSOLUTE_WORDS = (
    "always",
    "never",
    "all",
    "none",
    "only",
    "every",
    "completely",
    "entirely",
    "guaranteed",
    "guarantees",
    "impossible",
    "certainly",
    "absolutely",
)
HEDGE_WORDS = (
    "may",
    "might",
    "can",
    "could",
    "often",
    "usually",
    "sometimes",
    "generally",
    "typically",
    "likely",
    "possibly",
    "perhaps",
)
NEGATIVE_WORDS = ("not", "except", "least", "never")
PERSON = re.compile(
    r"\b(client|counselor|patient|student|clinician|he|she|they|his|her|their)\b"
    r"|\b\d{1,2}-year-old\b|\baged \d{1,2}\b",
    re.IGNORECASE,
)
SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"']))\s+(?=[A-Z\"'(])")


@dataclass(frozen=True)
class LintWarning:
    """One problem: where it is, which rule, and how to fix it."""

    file: str
    rule: str
    message: str
    question_id: str | None = None

    def __str__(self) -> str:
        subject = f"question {self.question_id}: " if self.question_id else ""
        return f"{self.file}: {subject}{self.message} [{self.rule}]"


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+(?:'[a-z]+)?", text.lower()))


def _has_any(text: str, words: Iterable[str]) -> bool:
    return bool(_words(text) & set(words))


def _bank_file(course: Course, module: Module) -> str:
    return f"{course.slug}/{module.folder}/questions.yaml"


def _items(course: Course) -> Iterable[tuple[Module, Question]]:
    for module in course.modules:
        for question in module.questions:
            yield module, question


def key_length_rank(question: Question) -> int:
    """1 when the key is the longest option, 2 when one option is longer, and so on."""
    key_length = len(next(o.text for o in question.options if o.id == question.key[0]))
    return 1 + sum(len(o.text) > key_length for o in question.options)


def final_sentence(stem: str) -> str:
    """The sentence that asks the question (a vignette's facts come before it)."""
    text = re.sub(r"\s*select all that apply\.?\s*$", "", " ".join(stem.split()), flags=re.I)
    parts = [p for p in SENTENCE_END.split(text) if p]
    return parts[-1] if parts else ""


def check_key_length_ranks(course: Course) -> list[LintWarning]:
    """No length rank of the key may hold more than 35% of the single-answer items."""
    ranks = {q.id: key_length_rank(q) for _, q in _items(course) if q.type == "single"}
    if len(ranks) < MIN_ITEMS_FOR_RANK_CHECK:
        return []
    counts = Counter(ranks.values())
    found = []
    for rank, count in sorted(counts.items()):
        share = Fraction(count, len(ranks))
        if share > MAX_RANK_SHARE:
            ids = sorted(q for q, r in ranks.items() if r == rank)
            found.append(
                LintWarning(
                    f"{course.slug}",
                    "key-length-rank",
                    f"in {count} of {len(ranks)} single-answer items ({float(share):.0%}) the "
                    f"key is the option of length rank {rank} (1 = longest), above "
                    f"{float(MAX_RANK_SHARE):.0%}; lengthen or shorten keys or distractors so "
                    f"the key's rank varies — items: {', '.join(ids)}",
                )
            )
    return found


def check_key_counts(course: Course) -> list[LintWarning]:
    """Multiple-response keys of 2, 3 and 4 options all used, none above half the items."""
    counts = Counter(len(q.key) for _, q in _items(course) if q.type == "multiple")
    total = sum(counts.values())
    if total < MIN_ITEMS_FOR_KEY_COUNT_CHECK:
        return []
    found = []
    missing = [n for n in REQUIRED_KEY_COUNTS if not counts[n]]
    if missing:
        found.append(
            LintWarning(
                course.slug,
                "key-count",
                f"no multiple-response item has a key of {', '.join(map(str, missing))} "
                f"options; use keys of 2, 3 and 4 options",
            )
        )
    for size, count in sorted(counts.items()):
        if Fraction(count, total) > MAX_KEY_COUNT_SHARE:
            found.append(
                LintWarning(
                    course.slug,
                    "key-count",
                    f"{count} of {total} multiple-response items have a key of exactly {size} "
                    f"options (above half); vary the number of correct options",
                )
            )
    return found


def check_partial_credit(course: Course) -> list[LintWarning]:
    """Select-all-that-apply items are scored with partial credit the instructions explain."""
    has_multiple = any(q.type == "multiple" for _, q in _items(course))
    if has_multiple and course.post_test.multiple_response_scoring is not Scoring.PARTIAL:
        return [
            LintWarning(
                course.slug,
                "partial-credit",
                "the bank has select-all-that-apply items but post_test."
                "multiple_response_scoring is not partial; set it to partial (the post-test "
                "instructions then explain how each item is scored)",
            )
        ]
    return []


def check_select_all(course: Course, module: Module, question: Question) -> list[LintWarning]:
    """The stem says "Select all that apply" and nothing that reveals the key count."""
    if question.type != "multiple":
        return []
    stem = question.stem.lower()
    problems = []
    if SELECT_ALL not in stem:
        problems.append('end the stem with "Select all that apply."')
    if re.search(r"\b(select|choose|pick) (two|three|four|[2-5])\b", stem):
        problems.append("remove the number of correct options from the stem")
    if not problems:
        return []
    return [LintWarning(_bank_file(course, module), "select-all", "; ".join(problems), question.id)]


def check_cue_words(course: Course, module: Module, question: Question) -> list[LintWarning]:
    """Absolute words only in distractors, or hedges only in the key, give the key away."""
    if question.type == "true_false":
        return []
    keys = [o for o in question.options if o.id in question.key]
    distractors = [o for o in question.options if o.id not in question.key]
    found = []
    absolute_distractors = [o.id for o in distractors if _has_any(o.text, ABSOLUTE_WORDS)]
    if absolute_distractors and not any(_has_any(o.text, ABSOLUTE_WORDS) for o in keys):
        found.append(
            LintWarning(
                _bank_file(course, module),
                "absolute-words",
                f"absolute words (always, never, only, all…) appear only in distractors "
                f"{', '.join(absolute_distractors)}; reword them so the wording does not "
                f"mark them wrong",
                question.id,
            )
        )
    hedged_keys = [o.id for o in keys if _has_any(o.text, HEDGE_WORDS)]
    if hedged_keys and not any(_has_any(o.text, HEDGE_WORDS) for o in distractors):
        found.append(
            LintWarning(
                _bank_file(course, module),
                "hedge-words",
                f"only the key ({', '.join(hedged_keys)}) is hedged (may, can, often…); "
                f"hedge a distractor too or state the key without the hedge",
                question.id,
            )
        )
    return found


def check_option_lengths(course: Course, module: Module, question: Question) -> list[LintWarning]:
    """Options of similar length and form, so neither length nor grammar points to the key."""
    if question.type == "true_false":
        return []
    texts = [" ".join(o.text.split()) for o in question.options]
    problems = []
    longest, shortest = max(map(len, texts)), min(map(len, texts))
    if longest > MAX_LENGTH_RATIO * shortest:
        problems.append(
            f"the longest option ({longest} characters) is more than {MAX_LENGTH_RATIO:g}× "
            f"the shortest ({shortest}); make the options similar in length"
        )
    if len({t.endswith(".") for t in texts}) > 1:
        problems.append("some options end with a full stop and others do not; make them match")
    return [
        LintWarning(_bank_file(course, module), "option-form", problem, question.id)
        for problem in problems
    ]


def check_negatives(course: Course, module: Module, question: Question) -> list[LintWarning]:
    """A negative in the question itself is written in capitals (NOT, EXCEPT, LEAST)."""
    stem = re.sub(r'"[^"]*"', '""', question.stem)  # a client's quoted words are not the question
    asked = stem if question.type == "true_false" else final_sentence(stem)
    lowered = [
        word
        for word in re.findall(r"[A-Za-z]+(?:'[a-z]+)?", asked)
        if (word.lower() in NEGATIVE_WORDS or word.lower().endswith("n't")) and not word.isupper()
    ]
    if not lowered:
        return []
    return [
        LintWarning(
            _bank_file(course, module),
            "negative",
            f"the question contains the negative {lowered[0]!r} in lower case; write it in "
            f"capitals (NOT, EXCEPT, LEAST, NEVER) or ask the question positively",
            question.id,
        )
    ]


def check_vignette(course: Course, module: Module, question: Question) -> list[LintWarning]:
    """A case item gives a person, a setting and presenting facts before asking."""
    if not question.is_case:
        return []
    stem = " ".join(question.stem.split())
    sentences = [p for p in SENTENCE_END.split(stem) if p]
    problems = []
    if len(stem) < MIN_VIGNETTE_CHARS:
        problems.append(f"its stem has {len(stem)} characters, fewer than {MIN_VIGNETTE_CHARS}")
    if len(sentences) < 3:
        problems.append("it needs at least two sentences of facts before the question")
    if not PERSON.search(stem):
        problems.append("it names no person (a client, a counselor, an age)")
    if not problems:
        return []
    return [
        LintWarning(
            _bank_file(course, module),
            "case-vignette",
            "marked case: true but is not a vignette: "
            + "; ".join(problems)
            + " — describe who, where and what is presenting, or set case: false",
            question.id,
        )
    ]


def check_case_share(course: Course) -> list[LintWarning]:
    """At least a third of the post-test pool applies knowledge to a case."""
    pool = [q for m in course.modules for q in m.pool(Pool.POST_TEST)]
    if not pool:
        return []
    cases = sum(q.is_case for q in pool)
    if Fraction(cases, len(pool)) >= MIN_CASE_SHARE:
        return []
    return [
        LintWarning(
            course.slug,
            "case-share",
            f"{cases} of {len(pool)} post-test items are cases; at least one third must be",
        )
    ]


ItemRule = Callable[[Course, Module, Question], list[LintWarning]]
BankRule = Callable[[Course], list[LintWarning]]

ITEM_RULES: Sequence[ItemRule] = (
    check_select_all,
    check_cue_words,
    check_option_lengths,
    check_negatives,
    check_vignette,
)
BANK_RULES: Sequence[BankRule] = (
    check_key_length_ranks,
    check_key_counts,
    check_partial_credit,
    check_case_share,
)


def lint_course(course: Course) -> list[LintWarning]:
    """Every item-writing problem in the course's banks, bank-wide rules first."""
    found = [warning for rule in BANK_RULES for warning in rule(course)]
    for module, question in _items(course):
        for item_rule in ITEM_RULES:
            found.extend(item_rule(course, module, question))
    return found
