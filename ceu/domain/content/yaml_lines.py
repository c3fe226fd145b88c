"""A line-aware YAML reader: mappings and lists that remember the line each part starts on.

Every problem the parser reports names a line; PyYAML's SafeLoader knows the marks, so the
loader keeps them on the values it builds (``LineMap``, ``LineList``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml


class LineMap(dict[Any, Any]):
    """A YAML mapping that remembers where it, its keys and its values start."""

    line: int
    key_lines: dict[Any, int]
    value_lines: dict[Any, int]

    def key_line(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)

    def value_line(self, key: Any) -> int:
        return self.value_lines.get(key, self.line)


class LineList(list[Any]):
    """A YAML sequence that remembers where it and each item start."""

    line: int
    item_lines: list[int]

    def item_line(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


class LineLoader(yaml.SafeLoader):
    """SafeLoader that builds LineMap/LineList and records duplicate or unusable keys."""

    def __init__(self, stream: str, line_offset: int) -> None:
        super().__init__(stream)
        self.line_offset = line_offset
        self.key_problems: list[tuple[int, str]] = []

    def line_of(self, node: yaml.Node) -> int:
        return node.start_mark.line + 1 + self.line_offset


def _construct_map(loader: LineLoader, node: yaml.MappingNode) -> LineMap:
    loader.flatten_mapping(node)
    result = LineMap()
    result.line, result.key_lines, result.value_lines = loader.line_of(node), {}, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = loader.line_of(key_node)
        if not _hashable(key):
            loader.key_problems.append(
                (line, "a key must be a plain word, not a list or mapping — fix the key")
            )
            continue
        if key in result:
            loader.key_problems.append(
                (line, f"key '{key}' appears twice in the same mapping — keep only one")
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
        result.value_lines[key] = loader.line_of(value_node)
    return result


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _construct_list(loader: LineLoader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = loader.line_of(node)
    result.item_lines = [loader.line_of(child) for child in node.value]
    return result


LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_list)


def yaml_problem(exc: yaml.YAMLError, text: str) -> tuple[int | None, str]:
    """Turn a PyYAML error into (line, message) using the parser's own mark."""
    if isinstance(exc, yaml.reader.ReaderError):
        return text.count("\n", 0, max(0, exc.position)) + 1, (
            f"character #x{exc.character:04x} is not allowed in YAML — delete it "
            f"(control characters are often pasted in by accident)"
        )
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line: int | None = mark.line + 1 if mark is not None else None
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    detail = f"{context}, {problem}" if context else problem
    return line, (
        f"YAML syntax error: {detail} — fix the YAML here (check indentation, colons and "
        f"quotes; values containing ': ' or starting with a quote need quoting or '>-')"
    )


@dataclass(frozen=True)
class Loaded:
    """The outcome of reading one YAML text: ok is False on a syntax error (data is None)."""

    ok: bool
    data: Any
    problems: tuple[tuple[int | None, str], ...]


def load(text: str, line_offset: int = 0) -> Loaded:
    """Read YAML safely; duplicate or unusable keys are problems, but the data still loads."""
    loader: LineLoader | None = None
    try:
        loader = LineLoader(text, line_offset)  # the reader already checks characters
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        line, message = yaml_problem(exc, text)
        return Loaded(False, None, ((None if line is None else line + line_offset, message),))
    except RecursionError:
        return Loaded(False, None, ((None, "YAML nests too deeply — simplify the structure"),))
    finally:
        if loader is not None:
            loader.dispose()
    problems = tuple((line, message) for line, message in loader.key_problems)
    return Loaded(True, data, problems)
