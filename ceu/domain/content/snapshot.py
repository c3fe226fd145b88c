"""The course policy as JSON and back: how a version snapshot is stored in the database.

``policy_to_json`` turns the frozen dataclasses and enums of the model into plain JSON
values; ``policy_from_json`` rebuilds the typed objects from the field types, so every
reader gets ``policy.post_test.pass_mark`` rather than ``front["post_test"]["pass_mark"]``.
A key missing from an older snapshot takes the field's default; an unknown key is refused.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Mapping
from functools import cache
from typing import Any

from ceu.domain.content.model import CoursePolicy

__all__ = ["SnapshotInvalid", "policy_from_json", "policy_to_json", "to_json"]


class SnapshotInvalid(ValueError):
    """A stored snapshot does not fit the model (a bug or a missing data migration)."""


def to_json(value: Any) -> Any:
    """Dataclasses, enums and tuples to JSON-ready dicts, strings and lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    return value


def policy_to_json(policy: CoursePolicy) -> dict[str, Any]:
    """The JSON stored for a version's policy."""
    stored: dict[str, Any] = to_json(policy)
    return stored


def policy_from_json(data: Mapping[str, Any]) -> CoursePolicy:
    """The typed policy from its stored JSON (SnapshotInvalid when it does not fit)."""
    policy: CoursePolicy = _decode(CoursePolicy, data, "policy")
    return policy


def _decode(kind: Any, value: Any, where: str) -> Any:
    if dataclasses.is_dataclass(kind) and isinstance(kind, type):
        return _decode_dataclass(kind, value, where)
    origin = typing.get_origin(kind)
    if origin in (types.UnionType, typing.Union):
        options = typing.get_args(kind)
        if value is None and type(None) in options:
            return None
        (inner,) = [option for option in options if option is not type(None)]
        return _decode(inner, value, where)
    if origin is tuple:
        if not isinstance(value, list):
            raise SnapshotInvalid(f"{where}: expected a list, got {type(value).__name__}")
        (inner, _) = typing.get_args(kind)
        return tuple(_decode(inner, item, f"{where}[{i}]") for i, item in enumerate(value))
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        try:
            return kind(value)
        except ValueError as exc:
            raise SnapshotInvalid(f"{where}: {value!r} is not a {kind.__name__}") from exc
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SnapshotInvalid(f"{where}: expected a number, got {value!r}")
        return value
    if kind in (str, int, bool):
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise SnapshotInvalid(f"{where}: expected {kind.__name__}, got {value!r}")
        return value
    raise SnapshotInvalid(f"{where}: cannot read a {kind!r}")  # pragma: no cover - model bug


def _decode_dataclass(kind: type, value: Any, where: str) -> Any:
    if not isinstance(value, Mapping):
        raise SnapshotInvalid(f"{where}: expected a mapping, got {type(value).__name__}")
    hints = _hints(kind)
    unknown = set(value) - set(hints)
    if unknown:
        raise SnapshotInvalid(f"{where}: unknown keys {sorted(unknown)}")
    values = {}
    for field in dataclasses.fields(kind):
        if field.name in value:
            values[field.name] = _decode(
                hints[field.name], value[field.name], f"{where}.{field.name}"
            )
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise SnapshotInvalid(f"{where}: {field.name} is missing")
    return kind(**values)


@cache
def _hints(kind: type) -> dict[str, Any]:
    return typing.get_type_hints(kind)
