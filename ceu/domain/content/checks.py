"""The machinery every parsing step shares: errors with file and line, and schema checks.

A ``Checker`` holds one validation run's files and the problems found so far; the module
and course parsers build on it (parse_module.py, parse.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ceu.domain.content import yaml_lines
from ceu.domain.content.model import ContentError, Objective, Reference
from ceu.domain.content.schema import (
    OBJECTIVE_FIELDS,
    Field,
    check_hint,
    describe,
    shape_message,
    unknown_key,
    vague_verb,
)
from ceu.domain.content.yaml_lines import LineList, LineMap


class Checker:
    """One validation run's files and errors, and the course-wide ids claimed so far."""

    def __init__(self, root: str, files: dict[str, str], errors: Sequence[ContentError]) -> None:
        self.root = root
        self.files = files
        self.errors = list(errors)
        self.unreadable = {error.file for error in errors}
        self.objective_sites: dict[str, str] = {}
        self.objective_lines: dict[str, int] = {}
        self.question_sites: dict[str, str] = {}
        self.references: dict[str, Reference] | None = None

    # ---- reporting

    def label(self, relative: str) -> str:
        return f"{self.root}/{relative}"

    def error(self, relative: str, line: int | None, message: str) -> None:
        self.errors.append(ContentError(self.label(relative), line, message))

    def text_of(self, relative: str) -> str | None:
        if relative not in self.files:
            return None
        if self.label(relative) in self.unreadable:
            return None
        return self.files[relative].replace("\r\n", "\n").replace("\r", "\n")

    def load_yaml(self, relative: str, text: str, line_offset: int = 0) -> tuple[bool, Any]:
        loaded = yaml_lines.load(text, line_offset)
        for line, message in loaded.problems:
            self.error(relative, line, message)
        return loaded.ok, loaded.data

    def fields(
        self,
        relative: str,
        node: Any,
        table: Sequence[Field],
        owner: str,
        *,
        prefix: str = "",
        line: int | None = None,
    ) -> dict[str, Any] | None:
        """Check a mapping against a table; return the good values (None if not a mapping)."""
        if not isinstance(node, LineMap):
            self.error(
                relative,
                getattr(node, "line", line),
                f"{owner} must be a mapping (key: value lines), not {describe(node)} — "
                f"write it as 'key: value' lines",
            )
            return None
        known = {entry.key: entry for entry in table}
        for key in node:
            if key not in known:
                self.error(relative, node.key_line(key), unknown_key(key, owner, known))
        result: dict[str, Any] = {}
        for entry in table:
            if entry.key not in node:
                if entry.required:
                    self.error(
                        relative,
                        node.line,
                        f"{owner} is missing required key '{entry.key}' — add "
                        f"'{entry.key}:' with {entry.kind.description}",
                    )
                else:
                    result[entry.key] = entry.default
                continue
            value = node[entry.key]
            where = node.value_line(entry.key)
            if not entry.kind.accepts(value):
                self.error(relative, where, shape_message(prefix + entry.key, entry.kind, value))
                continue
            problem = entry.check(value) if entry.check and value is not None else None
            if problem:
                self.error(
                    relative, where, f"{prefix}{entry.key} {problem} — {check_hint(entry, value)}"
                )
                continue
            result[entry.key] = value
        return result

    def item_maps(
        self, relative: str, items: LineList, table: Sequence[Field], what: str
    ) -> list[tuple[int, LineMap, dict[str, Any]]]:
        """Check each item of a list of mappings; return (line, node, values) for good ones."""
        good: list[tuple[int, LineMap, dict[str, Any]]] = []
        for index, item in enumerate(items):
            line = items.item_line(index)
            owner = f"{what} {item_name(item, index)}"
            values = self.fields(relative, item, table, owner, prefix=f"{owner}: ", line=line)
            if values is not None and isinstance(item, LineMap):
                good.append((line, item, values))
        return good

    def objectives(self, relative: str, items: LineList) -> tuple[Objective, ...]:
        found: list[Objective] = []
        for line, node, values in self.item_maps(relative, items, OBJECTIVE_FIELDS, "objective"):
            if "id" not in values or "text" not in values:
                continue
            objective = Objective(values["id"], values["text"].strip())
            site = f"{self.label(relative)}:{line}"
            if objective.id in self.objective_sites:
                self.error(
                    relative,
                    node.value_line("id"),
                    f"objective id {objective.id} is already used at "
                    f"{self.objective_sites[objective.id]} — objective ids are unique across "
                    f"the course",
                )
                continue
            self.objective_sites[objective.id] = site
            self.objective_lines[objective.id] = line
            vague = vague_verb(objective.text)
            if vague:
                self.error(
                    relative,
                    node.value_line("text"),
                    f"objective {objective.id} starts with '{vague}', which cannot be measured "
                    f"— start with a measurable verb (Describe, Explain, Identify, Apply, …)",
                )
            found.append(objective)
        return tuple(found)


def item_name(item: Any, index: int) -> str:
    if isinstance(item, LineMap):
        for key in ("id", "key", "module", "name"):
            if isinstance(item.get(key), str) and item[key].strip():
                return str(item[key])
    return f"#{index + 1}"
