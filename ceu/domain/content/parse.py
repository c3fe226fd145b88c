"""Course folder text to the model, with every problem reported at once.

``parse_course(folder_name, files)`` checks everything the format promises and either
returns a ``Course`` or raises ``CourseInvalid`` carrying *all* the problems found, each as
``file:line: what is wrong — how to fix it``. Nothing is half-built. Reading the files
from disk is ceu.files' job; this module only sees text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date
from fractions import Fraction
from typing import Any, TypeVar

from ceu.domain.content.model import (
    Accreditation,
    BlueprintEntry,
    ContactHours,
    ContentError,
    Course,
    CourseInvalid,
    Disclosures,
    EvaluationItem,
    EvaluationItemType,
    GradingMethod,
    KnowledgeCheckPolicy,
    Level,
    Module,
    Objective,
    Person,
    Pool,
    PostTestPolicy,
    ReadingPolicy,
    Reference,
    ReviewPolicy,
    Scoring,
    apa_citation,
    content_hash,
)
from ceu.domain.content.parse_module import ModuleDraft, ModuleParser
from ceu.domain.content.schema import (
    ACCREDITATION_FIELDS,
    BLUEPRINT_FIELDS,
    CONTACT_HOURS_FIELDS,
    COURSE_FIELDS,
    COURSE_FILE,
    DISCLOSURE_FIELDS,
    EVALUATION_FIELDS,
    EVALUATION_ITEM_FIELDS,
    KNOWLEDGE_CHECK_FIELDS,
    MIN_ITEMS_PER_OBJECTIVE,
    MODULE_FILES,
    MODULE_FOLDER,
    PERSON_FIELDS,
    POST_TEST_FIELDS,
    READING_FIELDS,
    REFERENCE_FIELDS,
)
from ceu.domain.content.yaml_lines import LineList, LineMap


def parse_course(
    folder_name: str, files: Mapping[str, str], read_errors: Sequence[ContentError] = ()
) -> Course:
    """Validate a course held as text (relative path -> text); raise CourseInvalid with all.

    read_errors are the problems met while reading the files (ceu.files), reported together
    with the parser's own; a file named in one of them is treated as unreadable.
    """
    return CourseParser(folder_name, dict(files), read_errors).parse()


def module_reading_minutes(words: int, words_per_minute: int) -> int:
    """A module's estimate: its words at the course's rate, to the nearest minute (at least 1)."""
    return max(1, math.floor(Fraction(words, words_per_minute) + Fraction(1, 2)))


def _iso(value: Any) -> date | None:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def three_years_after(day: date) -> date:
    """The latest expiry a review allows (29 February falls back to the 28th)."""
    try:
        return day.replace(year=day.year + 3)
    except ValueError:
        return day.replace(year=day.year + 3, day=28)


def compute_contact_hours(
    module_words: Sequence[int],
    words_per_minute: int,
    post_test_minutes: float,
    evaluation_minutes: float,
    other_minutes: float,
) -> float:
    """Total minutes rounded down to the quarter hour: the documented, auditable formula
    (the validator holds every course's declared hours to it). Reading time is the sum of
    the module estimates, so the estimates add up to the total."""
    total = contact_minutes(
        module_words, words_per_minute, post_test_minutes, evaluation_minutes, other_minutes
    )
    return float(Fraction(math.floor(total * 4 / 60), 4))


def contact_minutes(
    module_words: Sequence[int], wpm: int, post_test: float, evaluation: float, other: float
) -> Fraction:
    """The exact minutes behind the contact hours: the module estimates plus the extras."""
    reading = sum(module_reading_minutes(words, wpm) for words in module_words)
    exact = [Fraction(repr(value)) for value in (post_test, evaluation, other)]
    return Fraction(reading) + sum(exact, Fraction(0))


class CourseParser(ModuleParser):
    """One validation run over one course; collects errors, builds the Course if none."""

    def __init__(self, root: str, files: dict[str, str], errors: Sequence[ContentError]) -> None:
        super().__init__(root, files, errors)
        self.course: dict[str, Any] | None = None
        self.course_node: LineMap | None = None
        self.course_objectives: tuple[Objective, ...] | None = None
        self.modules: list[ModuleDraft] = []

    # ---- entry point

    def parse(self) -> Course:
        self.check_layout()
        self.parse_course_yaml()
        for draft in self.modules:
            self.parse_module(draft)
        self.cross_check()
        if self.errors:
            raise CourseInvalid(_sorted_errors(self.errors))
        return self.build()

    # ---- layout

    def check_layout(self) -> None:
        folders: dict[str, set[str]] = {}
        for relative in sorted(self.files):
            parts = relative.split("/")
            if parts == [COURSE_FILE]:
                continue
            if len(parts) == 2 and MODULE_FOLDER.match(parts[0]) and parts[1] in MODULE_FILES:
                folders.setdefault(parts[0], set()).add(parts[1])
                continue
            if len(parts) >= 2 and not MODULE_FOLDER.match(parts[0]):
                self.error(
                    relative,
                    None,
                    f"unexpected file in folder '{parts[0]}' — module folders are named NN-name "
                    f"(two digits, a dash, lower-case letters, digits and dashes); rename the "
                    f"folder or remove the file",
                )
                continue
            self.error(
                relative,
                None,
                "unexpected file — a course folder holds only course.yaml and "
                "NN-name/module.md + NN-name/questions.yaml; remove or move it",
            )
        if COURSE_FILE not in self.files:
            self.error(COURSE_FILE, None, "course.yaml is missing — add it (see the format doc)")
        self.plan_modules(folders)

    def plan_modules(self, folders: dict[str, set[str]]) -> None:
        if not folders and COURSE_FILE in self.files:
            self.error(
                COURSE_FILE, None, "the course has no module folders — add 01-name/module.md"
            )
        seen_numbers: dict[int, str] = {}
        for folder in sorted(folders):
            match = MODULE_FOLDER.match(folder)
            if match is None:  # pragma: no cover - filtered above
                continue
            number, slug = int(match.group(1)), match.group(2)
            for name in MODULE_FILES:
                if name not in folders[folder]:
                    self.error(f"{folder}/{name}", None, f"{name} is missing — add {folder}/{name}")
            if number in seen_numbers:
                self.error(
                    folder,
                    None,
                    f"module number {number:02d} is also used by {seen_numbers[number]} — "
                    f"give every module folder its own number",
                )
                continue
            seen_numbers[number] = folder
            self.modules.append(ModuleDraft(folder=folder, position=number, slug=slug))
        for expected, draft in enumerate(self.modules, start=1):
            if draft.position != expected:
                self.error(
                    draft.folder,
                    None,
                    f"module folders must be numbered 01, 02, … without gaps; expected "
                    f"{expected:02d} here — rename the folder to {expected:02d}-{draft.slug}",
                )
                break

    # ---- course.yaml

    def parse_course_yaml(self) -> None:
        text = self.text_of(COURSE_FILE)
        if text is None:
            return
        ok, data = self.load_yaml(COURSE_FILE, text)
        if not ok:
            return
        if data is None:
            self.error(COURSE_FILE, None, "course.yaml is empty — fill it in (see the format doc)")
            return
        course = self.fields(COURSE_FILE, data, COURSE_FIELDS, "course.yaml", line=1)
        if course is None:
            return
        self.course, self.course_node = course, data
        if "slug" in course and course["slug"] != self.root:
            self.error(
                COURSE_FILE,
                data.value_line("slug"),
                f"slug '{course['slug']}' does not match the folder name '{self.root}' — "
                f"rename the folder or set slug: {self.root}",
            )
        if "objectives" in course:
            self.course_objectives = self.objectives(COURSE_FILE, course["objectives"])
        self.references = self.parse_references(course.get("references"))
        for key, table in (
            ("contact_hours", CONTACT_HOURS_FIELDS),
            ("post_test", POST_TEST_FIELDS),
            ("knowledge_check", KNOWLEDGE_CHECK_FIELDS),
            ("reading", READING_FIELDS),
        ):
            if key in course:
                course[key] = self.fields(COURSE_FILE, course[key], table, key, prefix=f"{key}.")
        if course.get("accreditation") is not None:
            course["accreditation"] = self.fields(
                COURSE_FILE,
                course["accreditation"],
                ACCREDITATION_FIELDS,
                "accreditation",
                prefix="accreditation.",
            )
            self.check_accreditation(course["accreditation"])
        self.parse_disclosures(course)
        self.parse_blueprint(course)
        self.parse_evaluation(course)

    def check_accreditation(self, values: dict[str, Any] | None) -> None:
        """Released, then reviewed, then expiring at most three years after the review."""
        if values is None or self.course_node is None:
            return
        release, review, expiry = (
            _iso(values.get(name)) for name in ("release_date", "last_review_date", "expiry_date")
        )
        node = self.course_node["accreditation"]
        if release and review and review < release:
            self.error(
                COURSE_FILE,
                node.value_line("last_review_date"),
                f"accreditation.last_review_date {review} is before the release date {release} "
                f"— a course is reviewed on or after its release",
            )
        if not review or not expiry:
            return  # a missing or malformed date is reported by the field check
        limit = three_years_after(review)
        if not review < expiry <= limit:
            self.error(
                COURSE_FILE,
                node.value_line("expiry_date"),
                f"accreditation.expiry_date {expiry} must be after the last review ({review}) "
                f'and at most three years after it — set expiry_date: "{limit}" or earlier',
            )

    def parse_references(self, items: LineList | None) -> dict[str, Reference] | None:
        if items is None:
            return None
        references: dict[str, Reference] = {}
        for line, node, values in self.item_maps(COURSE_FILE, items, REFERENCE_FIELDS, "reference"):
            if not {f.key for f in REFERENCE_FIELDS} <= values.keys():
                if "key" in values:  # keep the key so citations to it are not reported too
                    references.setdefault(
                        values["key"],
                        Reference(
                            values["key"], values["key"], "", "", "", "", "", None, None, None
                        ),
                    )
                continue
            key = values["key"]
            if key in references:
                self.error(
                    COURSE_FILE,
                    node.value_line("key"),
                    f"reference key {key} is used twice — give each reference its own key",
                )
                continue
            if not values["doi"] and not values["url"]:
                self.error(
                    COURSE_FILE,
                    line,
                    f"reference {key} has neither doi nor url — add doi: 10.xxxx/… or "
                    f"url: https://…",
                )
            parts = {
                name: " ".join((values.get(name) or "").split())
                for name in ("authors", "year", "title", "source")
            }
            references[key] = Reference(
                key=key,
                short=values["short"].strip(),
                **parts,
                citation=apa_citation(**parts),
                doi=values["doi"],
                url=values["url"],
                note=values["note"],
            )
        return references

    def parse_disclosures(self, course: dict[str, Any]) -> None:
        if "disclosures" not in course:
            return
        values = self.fields(
            COURSE_FILE,
            course["disclosures"],
            DISCLOSURE_FIELDS,
            "disclosures",
            prefix="disclosures.",
        )
        if values is None:
            course["disclosures"] = None
            return
        for key in ("authors", "reviewers"):
            if key in values:
                people = self.item_maps(
                    COURSE_FILE, values[key], PERSON_FIELDS, key.removesuffix("s")
                )
                values[key] = tuple(
                    Person(v["name"], v["credentials"], v["role"])
                    for _, _, v in people
                    if len(v) == len(PERSON_FIELDS)
                )
        course["disclosures"] = values

    def parse_blueprint(self, course: dict[str, Any]) -> None:
        post_test = course.get("post_test")
        if not post_test or "blueprint" not in post_test:
            return
        entries: list[tuple[int, BlueprintEntry]] = []
        seen: set[str] = set()
        for line, node, values in self.item_maps(
            COURSE_FILE, post_test["blueprint"], BLUEPRINT_FIELDS, "blueprint entry"
        ):
            if len(values) != len(BLUEPRINT_FIELDS):
                continue
            if values["module"] in seen:
                self.error(
                    COURSE_FILE,
                    node.value_line("module"),
                    f"blueprint lists module {values['module']} twice — list each module once",
                )
                continue
            seen.add(values["module"])
            entries.append((line, BlueprintEntry(values["module"], values["items"])))
        post_test["blueprint"] = entries

    def parse_evaluation(self, course: dict[str, Any]) -> None:
        if "evaluation" not in course:
            return
        values = self.fields(
            COURSE_FILE,
            course["evaluation"],
            EVALUATION_FIELDS,
            "evaluation",
            prefix="evaluation.",
        )
        course["evaluation"] = None
        if values is None or "items" not in values:
            return
        items: list[EvaluationItem] = []
        seen: set[str] = set()
        for _, node, item in self.item_maps(
            COURSE_FILE, values["items"], EVALUATION_ITEM_FIELDS, "evaluation item"
        ):
            if len(item) != len(EVALUATION_ITEM_FIELDS):
                continue
            if item["id"] in seen:
                self.error(
                    COURSE_FILE,
                    node.value_line("id"),
                    f"evaluation item id {item['id']} is used twice — give each item its own id",
                )
                continue
            seen.add(item["id"])
            if self.evaluation_item_ok(node, item):
                items.extend(self.expand_evaluation_item(item))
        course["evaluation"] = tuple(items)

    def evaluation_item_ok(self, node: LineMap, item: dict[str, Any]) -> bool:
        kind = EvaluationItemType(item["type"])
        problems: list[tuple[str, str]] = []
        if kind is not EvaluationItemType.NUMBER:
            problems += [
                (key, f"{key} applies only to number items — remove it")
                for key in ("min", "max")
                if item[key] is not None
            ]
        elif item["min"] is not None and item["max"] is not None and item["min"] > item["max"]:
            problems.append(("min", "min is larger than max — swap them"))
        if kind is EvaluationItemType.CHOICE:
            choices = item["choices"] or []
            if len(choices) < 2 or len(set(choices)) != len(choices):
                problems.append(
                    (
                        "choices",
                        "a choice item needs 2 or more different choices "
                        "— list them under choices:",
                    )
                )
        elif item["choices"] is not None:
            problems.append(("choices", "choices applies only to choice items — remove it"))
        for key, message in problems:
            self.error(
                COURSE_FILE, node.value_line(key), f"evaluation item {item['id']}: {message}"
            )
        return not problems

    def expand_evaluation_item(self, item: dict[str, Any]) -> list[EvaluationItem]:
        kind = EvaluationItemType(item["type"])
        if kind is not EvaluationItemType.OBJECTIVES:
            return [
                EvaluationItem(
                    id=item["id"],
                    type=kind,
                    prompt=item["prompt"].strip(),
                    required=item["required"],
                    min=item["min"],
                    max=item["max"],
                    choices=tuple(item["choices"] or ()),
                    objective_id=None,
                )
            ]
        return [
            EvaluationItem(
                id=f"{item['id']}.{objective.id}",
                type=EvaluationItemType.LIKERT5,
                prompt=item["prompt"].strip(),
                required=item["required"],
                min=None,
                max=None,
                choices=(),
                objective_id=objective.id,
            )
            for objective in self.course_objectives or ()
        ]

    # ---- whole-course rules

    def cross_check(self) -> None:
        self.check_module_slugs()
        self.check_objective_coverage()
        self.check_course_objective_coverage()
        self.check_blueprint()
        self.check_knowledge_check()
        self.check_contact_hours()

    def check_module_slugs(self) -> None:
        seen: dict[str, str] = {}
        for draft in self.modules:
            if draft.slug in seen:
                self.error(
                    draft.folder,
                    None,
                    f"module slug {draft.slug} is also used by {seen[draft.slug]} — "
                    f"rename one folder",
                )
            seen.setdefault(draft.slug, draft.folder)

    def check_objective_coverage(self) -> None:
        for draft in self.modules:
            if draft.objectives is None or not draft.questions_ok:
                continue
            for objective in draft.objectives:
                count = sum(
                    1
                    for question in draft.questions
                    if question.pool is Pool.POST_TEST and objective.id in question.objectives
                )
                if count < MIN_ITEMS_PER_OBJECTIVE:
                    self.error(
                        f"{draft.folder}/module.md",
                        self.objective_lines[objective.id],
                        f"objective {objective.id} is tested by {count} post_test question(s); "
                        f"it needs at least {MIN_ITEMS_PER_OBJECTIVE} — add a post_test "
                        f"question with objectives: [{objective.id}]",
                    )

    def check_course_objective_coverage(self) -> None:
        if self.course_objectives is None:
            return
        known = {objective.id for objective in self.course_objectives}
        declared: set[str] = set()
        any_declared = False
        for draft in self.modules:
            listed = (draft.front or {}).get("course_objectives")
            if listed is None or draft.front_node is None:
                continue
            any_declared = True
            for objective_id in listed:
                declared.add(objective_id)
                if objective_id not in known:
                    self.error(
                        f"{draft.folder}/module.md",
                        draft.front_node.value_line("course_objectives"),
                        f"course_objectives lists {objective_id}, which is not a course "
                        f"objective ({', '.join(sorted(known))}) — use an id from course.yaml",
                    )
        if not any_declared:
            return
        for objective in self.course_objectives:
            if objective.id not in declared:
                self.error(
                    COURSE_FILE,
                    self.objective_lines[objective.id],
                    f"course objective {objective.id} is not listed in any module's "
                    f"course_objectives — add it to the module(s) that teach it",
                )

    def check_blueprint(self) -> None:
        post_test = (self.course or {}).get("post_test") or {}
        by_slug = {draft.slug: draft for draft in self.modules}
        for line, entry in post_test.get("blueprint") or ():
            draft = by_slug.get(entry.module)
            if draft is None:
                self.error(
                    COURSE_FILE,
                    line,
                    f"blueprint names module {entry.module}, which does not exist — use one of "
                    f"{', '.join(by_slug) or '(no modules)'}",
                )
                continue
            available = sum(1 for q in draft.questions if q.pool is Pool.POST_TEST)
            if draft.questions_ok and entry.items > available:
                self.error(
                    COURSE_FILE,
                    line,
                    f"blueprint draws {entry.items} items from module {entry.module}, but its "
                    f"post_test pool has only {available} — lower items or add questions",
                )

    def check_knowledge_check(self) -> None:
        policy = (self.course or {}).get("knowledge_check") or {}
        items = policy.get("items")
        if not items or self.course_node is None:
            return
        line = self.course_node["knowledge_check"].value_line("items")
        for draft in self.modules:
            available = sum(1 for q in draft.questions if q.pool is Pool.KNOWLEDGE_CHECK)
            if draft.questions_ok and items > available:
                self.error(
                    COURSE_FILE,
                    line,
                    f"knowledge_check draws {items} items per module, but module {draft.slug} "
                    f"has only {available} knowledge_check questions — add questions or lower "
                    f"knowledge_check.items",
                )

    def check_contact_hours(self) -> None:
        hours = (self.course or {}).get("contact_hours")
        if not hours or len(hours) != len(CONTACT_HOURS_FIELDS) or self.course_node is None:
            return
        if any(draft.rendered is None for draft in self.modules):
            return
        words = sum(draft.rendered.word_count for draft in self.modules if draft.rendered)
        wpm = hours["reading_words_per_minute"]
        estimates = [
            module_reading_minutes(draft.rendered.word_count, wpm)
            for draft in self.modules
            if draft.rendered
        ]
        self.check_module_estimates(wpm)
        extra = (hours["post_test_minutes"], hours["evaluation_minutes"], hours["other_minutes"])
        module_words = [draft.rendered.word_count for draft in self.modules if draft.rendered]
        computed = compute_contact_hours(module_words, wpm, *extra)
        if Fraction(repr(hours["hours"])) != Fraction(computed):
            total = contact_minutes(module_words, wpm, *extra)
            self.error(
                COURSE_FILE,
                self.course_node["contact_hours"].value_line("hours"),
                f"contact_hours.hours is {hours['hours']:g} but the computed value is "
                f"{computed:g} ({words:,} words / {wpm} wpm = {sum(estimates)} min "
                f"reading (the module estimates) + {extra[0]:g} post-test + "
                f"{extra[1]:g} evaluation + {extra[2]:g} other = {float(total):.1f} min, "
                f"rounded down to the quarter hour) — set hours: {computed:g}",
            )

    def check_module_estimates(self, wpm: int) -> None:
        """Each module's estimated_minutes is its words at the course's reading rate."""
        for draft in self.modules:
            if draft.rendered is None or draft.front is None or draft.front_node is None:
                continue
            expected = module_reading_minutes(draft.rendered.word_count, wpm)
            if draft.front.get("estimated_minutes") not in (None, expected):
                self.error(
                    f"{draft.folder}/module.md",
                    draft.front_node.value_line("estimated_minutes"),
                    f"estimated_minutes is {draft.front['estimated_minutes']} but the module "
                    f"has {draft.rendered.word_count:,} words, {expected} min at the course's "
                    f"{wpm} words per minute — set estimated_minutes: {expected}",
                )

    # ---- building (only reached without errors)

    def build(self) -> Course:
        course = _present(self.course)
        hours = course["contact_hours"]
        post = course["post_test"]
        disclosures = course["disclosures"]
        modules = tuple(self.build_module(draft) for draft in self.modules)
        files = tuple(sorted(self.files.items()))
        return Course(
            slug=course["slug"],
            title=course["title"].strip(),
            version_label=course["version"].strip(),
            summary=" ".join(course["summary"].split()),
            audience=" ".join(course["audience"].split()),
            level=Level(course["level"]),
            prerequisites=tuple(item.strip() for item in course["prerequisites"]),
            objectives=_present(self.course_objectives),
            credit_requirements=" ".join(course["credit_requirements"].split()),
            contact_hours=ContactHours(
                words_per_minute=hours["reading_words_per_minute"],
                post_test_minutes=hours["post_test_minutes"],
                evaluation_minutes=hours["evaluation_minutes"],
                other_minutes=hours["other_minutes"],
                hours=hours["hours"],
                basis=" ".join(hours["basis"].split()),
                reading_words=sum(module.word_count for module in modules),
            ),
            disclosures=Disclosures(
                commercial_support=" ".join(disclosures["commercial_support"].split()),
                off_label=" ".join(disclosures["off_label"].split()),
                conflicts_of_interest=" ".join(disclosures["conflicts_of_interest"].split()),
                authors=disclosures["authors"],
                reviewers=disclosures["reviewers"],
            ),
            references=tuple(_present(self.references).values()),
            post_test=PostTestPolicy(
                pass_mark=post["pass_mark"],
                max_attempts=post["max_attempts"],
                wait_hours_between_attempts=post["wait_hours_between_attempts"],
                time_limit_minutes=post["time_limit_minutes"],
                grading_method=GradingMethod(post["grading_method"]),
                multiple_response_scoring=Scoring(post["multiple_response_scoring"]),
                review=ReviewPolicy(post["review"]),
                minimum_reading_minutes=post["minimum_reading_minutes"],
                blueprint=tuple(entry for _, entry in post["blueprint"]),
            ),
            knowledge_check=KnowledgeCheckPolicy(**course["knowledge_check"]),
            reading=ReadingPolicy(**course["reading"]),
            evaluation=course["evaluation"],
            modules=modules,
            files=files,
            content_hash=content_hash(files),
            accreditation=(
                Accreditation(**course["accreditation"]) if course.get("accreditation") else None
            ),
        )

    def build_module(self, draft: ModuleDraft) -> Module:
        front = _present(draft.front)
        rendered = _present(draft.rendered)
        return Module(
            slug=draft.slug,
            position=draft.position,
            folder=draft.folder,
            title=front["title"].strip(),
            estimated_minutes=front["estimated_minutes"],
            objectives=_present(draft.objectives),
            key_points=tuple(point.strip() for point in front["key_points"]),
            body_markdown=_present(draft.body),
            html=rendered.html,
            sections=rendered.sections,
            word_count=rendered.word_count,
            cited_keys=rendered.cited_keys,
            questions=tuple(draft.questions),
            course_objectives=tuple(front["course_objectives"] or ()),
        )


_T = TypeVar("_T")


def _present(value: _T | None) -> _T:
    if value is None:  # pragma: no cover - every None path has reported an error
        raise RuntimeError("course built despite a missing part; this is a validator bug")
    return value


def _sorted_errors(errors: list[ContentError]) -> list[ContentError]:
    def order(error: ContentError) -> tuple[int, str, int]:
        top = error.file.count("/") == 1 and error.file.endswith("/" + COURSE_FILE)
        return (0 if top else 1, error.file, error.line or 0)

    return sorted(errors, key=order)
