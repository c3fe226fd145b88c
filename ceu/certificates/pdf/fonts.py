"""The faces certificates and transcripts are set in, and the fallbacks for every script.

DejaVu Serif and Sans (vendored in ``static/fonts/`` with their licence) set Latin with
diacritics, Greek and Cyrillic. A name in any other script falls back, glyph by glyph, to
the Noto face that has it (fpdf2's ``set_fallback_fonts``); right-to-left and Indic text
is shaped by HarfBuzz (fpdf2's ``set_text_shaping``, through uharfbuzz). The Noto faces
come from Debian's packages (``FONT_PACKAGES``, listed in ``debian-packages.txt``, which
``make test`` installs); the fonts are embedded as subsets, so a reader needs none.

A document registers only the fallback faces its own text needs, so a Latin certificate
never pays for parsing the CJK collection.
"""

from __future__ import annotations

import functools
import logging
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from fontTools import ttLib
from fpdf import FPDF

logger = logging.getLogger(__name__)
# fpdf2 subsets every embedded face with fontTools, which logs each step at INFO
logging.getLogger("fontTools.subset").setLevel(logging.WARNING)

FONT_DIR = Path(__file__).resolve().parents[3] / "static" / "fonts"
PRIMARY: dict[tuple[str, str], str] = {
    ("serif", ""): "DejaVuSerif.ttf",
    ("serif", "B"): "DejaVuSerif-Bold.ttf",
    ("sans", ""): "DejaVuSans.ttf",
    ("sans", "B"): "DejaVuSans-Bold.ttf",
}

# The Debian packages that provide the fallback faces (as in debian-packages.txt).
FONT_PACKAGES = ("fonts-noto-core", "fonts-noto-cjk")
NOTO_DIRS = (Path("/usr/share/fonts/truetype/noto"), Path("/usr/share/fonts/opentype/noto"))


@dataclass(frozen=True)
class Fallback:
    """A Noto face (regular and bold) for the scripts the primary faces lack."""

    family: str
    regular: str
    bold: str
    collection_index: int = 0  # the face inside a .ttc collection (0: Japanese for CJK)


FALLBACKS = (
    Fallback("noto-arabic", "NotoNaskhArabic-Regular.ttf", "NotoNaskhArabic-Bold.ttf"),
    Fallback("noto-hebrew", "NotoSansHebrew-Regular.ttf", "NotoSansHebrew-Bold.ttf"),
    Fallback("noto-devanagari", "NotoSansDevanagari-Regular.ttf", "NotoSansDevanagari-Bold.ttf"),
    Fallback("noto-bengali", "NotoSansBengali-Regular.ttf", "NotoSansBengali-Bold.ttf"),
    Fallback("noto-tamil", "NotoSansTamil-Regular.ttf", "NotoSansTamil-Bold.ttf"),
    Fallback("noto-thai", "NotoSansThai-Regular.ttf", "NotoSansThai-Bold.ttf"),
    Fallback("noto-armenian", "NotoSansArmenian-Regular.ttf", "NotoSansArmenian-Bold.ttf"),
    Fallback("noto-georgian", "NotoSansGeorgian-Regular.ttf", "NotoSansGeorgian-Bold.ttf"),
    Fallback("noto-ethiopic", "NotoSansEthiopic-Regular.ttf", "NotoSansEthiopic-Bold.ttf"),
    Fallback("noto-cjk", "NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc"),
    Fallback("noto-sans", "NotoSans-Regular.ttf", "NotoSans-Bold.ttf"),
)


def find_font(filename: str) -> Path | None:
    for folder in NOTO_DIRS:
        if (folder / filename).is_file():
            return folder / filename
    return None


def missing_fallbacks() -> list[str]:
    """Fallback font files that are not installed (empty when the set-up is complete)."""
    return [name for fb in FALLBACKS for name in (fb.regular, fb.bold) if find_font(name) is None]


@functools.cache
def _coverage(path: Path, index: int) -> frozenset[int]:
    """The code points a face has a glyph for (read once per process)."""
    font = ttLib.TTFont(path, fontNumber=index, lazy=True)
    try:
        return frozenset(font.getBestCmap())
    finally:
        font.close()


@functools.cache
def _primary_coverage() -> frozenset[int]:
    """Code points every primary face has (so no style change can lose a glyph)."""
    sets = [_coverage(FONT_DIR / name, 0) for name in PRIMARY.values()]
    return frozenset.intersection(*sets)


def _printable(text: str) -> set[int]:
    return {ord(c) for c in text if unicodedata.category(c)[0] in "LMNPS"}


def needs_shaping(text: str) -> bool:
    """Right-to-left or complex-script text: joined, reordered and placed by HarfBuzz."""
    for char in text:
        if unicodedata.bidirectional(char) in ("R", "AL"):
            return True
        if 0x0900 <= ord(char) <= 0x0DFF or 0x0E00 <= ord(char) <= 0x0E7F:  # Indic, Thai
            return True
    return False


def add_fonts(pdf: FPDF, texts: Iterable[str]) -> None:
    """Register the primary faces and the fallbacks `texts` need; shape when they need it."""
    for (family, style), filename in PRIMARY.items():
        pdf.add_font(family, style, FONT_DIR / filename)
    text = "".join(texts)
    wanted = _printable(text) - _primary_coverage()
    families = []
    for fallback in FALLBACKS:
        if not wanted:
            break
        regular = find_font(fallback.regular)
        bold = find_font(fallback.bold)
        if regular is None or bold is None:
            continue
        covered = wanted & _coverage(regular, fallback.collection_index)
        if not covered:
            continue
        for style, path in (("", regular), ("B", bold)):
            pdf.add_font(
                fallback.family, style, path, collection_font_number=fallback.collection_index
            )
        families.append(fallback.family)
        wanted -= covered
    if wanted:
        sample = "".join(chr(c) for c in sorted(wanted)[:10])
        logger.warning(
            "no installed font has %r: install the Debian packages %s (debian-packages.txt)",
            sample,
            " ".join(FONT_PACKAGES),
        )
    if families:
        pdf.set_fallback_fonts(families, exact_match=False)
    if needs_shaping(text):
        pdf.set_text_shaping(use_shaping_engine=True)
