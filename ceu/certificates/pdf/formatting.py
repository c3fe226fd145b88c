"""How certificates and transcripts spell dates, hours and licences (locale-independent)."""

from __future__ import annotations

import unicodedata
from datetime import date

from ceu.domain.certificates import CertificateRecord

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def long_date(value: date) -> str:
    """Spell the date out (November 22, 2026) whatever the process locale."""
    return f"{_MONTHS[value.month - 1]} {value.day}, {value.year}"


def format_hours(hours: float) -> str:
    """2.25 -> "2.25", 3.0 -> "3", 1.5 -> "1.5" (quarter-hour precision is what boards use)."""
    return f"{hours:.2f}".rstrip("0").rstrip(".")


def contact_hours_phrase(hours: float) -> str:
    """The hours line (2.25 contact hours (clock hours)); singular for exactly one hour."""
    text = format_hours(hours)
    if text == "1":
        return "1 contact hour (clock hour)"
    return f"{text} contact hours (clock hours)"


def license_phrase(record: CertificateRecord) -> str:
    """Credential and licence on one line, leaving out whatever is blank."""
    parts = [record.credential.strip()]
    number, state = record.license_number.strip(), record.license_state.strip()
    if number and state:
        parts.append(f"License No. {number} ({state})")
    elif number:
        parts.append(f"License No. {number}")
    elif state:
        parts.append(f"Licensed in {state}")
    return "  ·  ".join(p for p in parts if p)


def nfc(text: str) -> str:
    """Composed form: "e" + combining diaeresis becomes one "ë" glyph, as the fonts expect."""
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)
