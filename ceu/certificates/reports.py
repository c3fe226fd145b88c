"""Helpers for the CSV files auditors and learners download."""

from __future__ import annotations


def spreadsheet_safe(value: str) -> str:
    """Never let a spreadsheet run a formula someone typed into a name or title."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
