"""Parsing one module folder: module.md (front matter and body) and questions.yaml."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from ceu.domain.content.checks import Checker
from ceu.domain.content.model import Difficulty, Objective, Pool, Question
from ceu.domain.content.schema import (
    FRONT_MATTER_FIELDS,
    HTML_TAG,
    OPTION_FIELDS,
    describe,
    question_fields,
)
from ceu.domain.content.yaml_lines import LineList, LineMap
from ceu.domain.markdown import RenderedBody, render_body
from ceu.domain.questions import QUESTION_TYPES, OptionSpec, QuestionSpec


@dataclass
class ModuleDraft:
    folder: str
    position: int
    slug: str
    front: dict[str, Any] | None = None
    front_node: LineMap | None = None
    objectives: tuple[Objective, ...] | None = None
    body: str | None = None
    rendered: RenderedBody | None = None
    questions: list[Question] = field(default_factory=list)
    questions_ok: bool = False


class ModuleParser(Checker):
    """The module half of a validation run; parse.CourseParser adds course.yaml and the rest."""

    def parse_module(self, draft: ModuleDraft) -> None:
        relative = f"{draft.folder}/module.md"
        text = self.text_of(relative)
        if text is not None:
            self.parse_module_text(draft, relative, text)
        self.parse_questions(draft)

    def parse_module_text(self, draft: ModuleDraft, relative: str, text: str) -> None:
        lines = text.split("\n")
        if lines[0].strip() != "---":
            self.error(
                relative,
                1,
                "module.md must start with a '---' line that opens the YAML front matter — "
                "add the front matter (title, estimated_minutes, objectives, key_points)",
            )
            return
        closing = next(
            (index for index in range(1, len(lines)) if lines[index].strip() in {"---", "..."}),
            None,
        )
        if closing is None:
            self.error(relative, 1, "the front matter is never closed — add a '---' line after it")
            return
        ok, data = self.load_yaml(relative, "\n".join(lines[1:closing]), line_offset=1)
        if ok and data is None:
            self.error(relative, 1, "the front matter is empty — add title, objectives, …")
        elif ok:
            front = self.fields(relative, data, FRONT_MATTER_FIELDS, "the front matter", line=1)
            if front is not None:
                draft.front, draft.front_node = front, data
                if "objectives" in front:
                    draft.objectives = self.objectives(relative, front["objectives"])
        draft.body = "\n".join(lines[closing + 1 :])
        self.check_body(draft, relative, body_offset=closing + 1)

    def check_body(self, draft: ModuleDraft, relative: str, body_offset: int) -> None:
        body = draft.body or ""
        labels = None
        if self.references is not None:
            labels = {key: reference.short for key, reference in self.references.items()}
        rendered = render_body(body, labels)
        for problem in rendered.problems:
            line = None if problem.line is None else problem.line + body_offset
            self.error(relative, line, problem.message)
        if not any(s.title.casefold().startswith("case vignette") for s in rendered.sections):
            self.error(
                relative,
                None,
                "the module has no '## Case vignette…' section — add a section whose heading "
                "starts with 'Case vignette'",
            )
        draft.rendered = rendered

    def parse_questions(self, draft: ModuleDraft) -> None:
        relative = f"{draft.folder}/questions.yaml"
        text = self.text_of(relative)
        if text is None:
            return
        ok, data = self.load_yaml(relative, text)
        if not ok:
            return
        if data is None:
            self.error(relative, None, "questions.yaml is empty — add a list of questions")
            return
        if not isinstance(data, LineList):
            self.error(
                relative,
                getattr(data, "line", 1),
                f"questions.yaml must be a list of questions ('- id: …' items), not "
                f"{describe(data)} — start each question with '- '",
            )
            return
        before = len(self.errors)
        for index, item in enumerate(data):
            question = self.parse_question(draft, relative, item, data.item_line(index))
            if question is not None:
                draft.questions.append(question)
        draft.questions_ok = len(self.errors) == before

    def parse_question(
        self, draft: ModuleDraft, relative: str, node: Any, line: int
    ) -> Question | None:
        qid = node.get("id") if isinstance(node, LineMap) else None
        owner = f"question {qid}" if isinstance(qid, str) else f"the question at line {line}"
        table = question_fields()
        values = self.fields(relative, node, table, owner, prefix=f"{owner}: ", line=line)
        if values is None or not isinstance(node, LineMap):
            return None
        if "id" in values:
            self.claim_question_id(relative, node, values["id"])
        options = self.question_options(relative, node, values, owner)
        key = self.question_key(relative, node, values, owner)
        self.check_plain_text(relative, node, values, owner)
        self.check_question_links(draft, relative, node, values, owner)
        if "type" not in values or options is None or key is None:
            return None
        spec = QuestionSpec(str(values.get("id", "")), values["type"], options, key)
        problems = QUESTION_TYPES[values["type"]].problems(spec)
        for problem in problems:
            self.error(relative, _problem_line(node, problem.field), f"{owner}: {problem.message}")
        if problems or len(values) != len(table):
            return None
        return _question(values, options, key)

    def claim_question_id(self, relative: str, node: LineMap, qid: str) -> None:
        site = f"{self.label(relative)}:{node.value_line('id')}"
        if qid in self.question_sites:
            self.error(
                relative,
                node.value_line("id"),
                f"question id {qid} is already used at {self.question_sites[qid]} — "
                f"question ids are unique across the course",
            )
        else:
            self.question_sites[qid] = site

    def question_options(
        self, relative: str, node: LineMap, values: dict[str, Any], owner: str
    ) -> tuple[OptionSpec, ...] | None:
        if "options" not in values:
            return None
        options: list[OptionSpec] = []
        good = self.item_maps(relative, values["options"], OPTION_FIELDS, f"{owner}: option")
        for _, _, option in good:
            if len(option) == len(OPTION_FIELDS):
                options.append(
                    OptionSpec(option["id"], option["text"].strip(), option["rationale"].strip())
                )
        if len(options) != len(values["options"]):
            return None
        return tuple(options)

    def question_key(
        self, relative: str, node: LineMap, values: dict[str, Any], owner: str
    ) -> tuple[str, ...] | None:
        if "key" not in values or "type" not in values:
            return None
        raw = values["key"]
        if isinstance(raw, list) and not QUESTION_TYPES[values["type"]].key_is_list:
            self.error(
                relative,
                node.value_line("key"),
                f"{owner}: a {values['type']} question has one key, not a list — write "
                f"key: {raw[0] if raw else 'a'}",
            )
            return None
        return tuple(raw) if isinstance(raw, list) else (raw,)

    def check_plain_text(
        self, relative: str, node: LineMap, values: dict[str, Any], owner: str
    ) -> None:
        texts: list[tuple[int, str, str]] = []
        if "stem" in values:
            texts.append((node.value_line("stem"), "the stem", values["stem"]))
        options = node.get("options")
        for option in options if isinstance(options, LineList) else ():
            if not isinstance(option, LineMap):
                continue
            for key in ("text", "rationale"):
                if isinstance(option.get(key), str):
                    name = f"option {option.get('id')} {key}"
                    texts.append((option.value_line(key), name, option[key]))
        for line, name, text in texts:
            tag = HTML_TAG.search(text)
            if tag:
                self.error(
                    relative,
                    line,
                    f"{owner}: {name} contains HTML ({tag[0]}) — stems, options and rationales "
                    f"are plain text; remove the markup (write NOT/EXCEPT in capitals instead "
                    f"of bold)",
                )

    def check_question_links(
        self,
        draft: ModuleDraft,
        relative: str,
        node: LineMap,
        values: dict[str, Any],
        owner: str,
    ) -> None:
        if draft.objectives is not None and "objectives" in values:
            known = [objective.id for objective in draft.objectives]
            for objective_id in values["objectives"]:
                if objective_id not in known:
                    self.error(
                        relative,
                        node.value_line("objectives"),
                        f"{owner}: objective {objective_id} is not an objective of module "
                        f"{draft.slug} ({', '.join(known)}) — use one of this module's "
                        f"objective ids",
                    )
        if draft.rendered is not None and "section" in values:
            sections = [section.id for section in draft.rendered.sections]
            if values["section"] not in sections:
                self.error(
                    relative,
                    node.value_line("section"),
                    f"{owner}: section {values['section']} is not a '##' section of module.md "
                    f"({', '.join(sections) or 'none'}) — use one of these ids",
                )


_OPTION_FIELD = re.compile(r"^options\[(\d+)\](?:\.(\w+))?$")


def _problem_line(node: LineMap, where: str) -> int:
    """Map a SpecProblem field (key, options, options[2].text) to its line in the file."""
    match = _OPTION_FIELD.match(where)
    options = node.get("options")
    if match and isinstance(options, LineList):
        index = int(match.group(1))
        option = options[index] if index < len(options) else None
        if match.group(2) and isinstance(option, LineMap) and match.group(2) in option:
            return option.value_line(match.group(2))
        return options.item_line(index)
    if where in node.value_lines:
        return node.value_line(where)
    return node.line


def _question(
    values: dict[str, Any], options: tuple[OptionSpec, ...], key: tuple[str, ...]
) -> Question:
    canonical = {
        "id": values["id"],
        "type": values["type"],
        "pool": values["pool"],
        "case": values["case"],
        "difficulty": values["difficulty"],
        "objectives": list(values["objectives"]),
        "section": values["section"],
        "stem": values["stem"].strip(),
        "options": [
            {"id": option.id, "text": option.text, "rationale": option.rationale}
            for option in options
        ],
        "key": list(key),
    }
    digest = hashlib.sha256(
        json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    ).hexdigest()
    return Question(
        id=values["id"],
        type=values["type"],
        pool=Pool(values["pool"]),
        is_case=values["case"],
        difficulty=Difficulty(values["difficulty"]),
        objectives=tuple(values["objectives"]),
        section=values["section"],
        stem=values["stem"].strip(),
        options=options,
        key=key,
        content_hash=digest,
    )
