"""ceu: continuing education for licensed mental-health counselors."""

from __future__ import annotations

from typing import Any

from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application; `config` overrides the environment (tests pass TestConfig)."""
    from ceu.app import build_app

    return build_app(config)
