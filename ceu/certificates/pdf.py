"""Certificate, transcript and ZIP rendering: pure functions over frozen dataclasses.

No Flask, no database: everything a document shows arrives as an argument, so the same
input always gives byte-identical output and every renderer is testable on its own.

Fonts
    DejaVu Serif and DejaVu Sans (regular and bold), vendored unmodified in
    ``static/fonts/`` with their licence, embedded as subset TrueType (``/FontFile2``) so
    names such as "Zoë Ångström-Núñez", Polish, Vietnamese, Greek or Cyrillic render.
    Characters the faces lack (Hebrew, Arabic, CJK; right-to-left shaping) are not
    supported and are logged by fpdf2 as missing glyphs.

Accessibility (what is and is not tagged)
    Both documents are tagged PDFs (``/MarkInfo /Marked true`` with a ``/StructTreeRoot``)
    in reading order, with document language ``en-US``, a title shown by viewers
    (``/DisplayDocTitle``), author (the provider) and subject:

    * certificate: the heading "Certificate of Completion" is ``/H1``; every other text
      block (provider, learner, credential and licence, course, hours, dates and number,
      correction note, each approval statement, signatory, verification caption) is a
      ``/P``; the QR code is a ``/Figure`` whose ``/Alt`` gives the verification URL; the
      signature image, when present, is a ``/Figure`` with ``/Alt`` "Signature of ...";
      approval statements too long for page 1 continue on page 2 under an ``/H2``.
    * transcript: the title is ``/H1``, the learner details are ``/P``; the table is a real
      ``/Table`` of ``/TR`` rows with ``/TH`` header cells and ``/TD`` data cells,
      including the per-year subtotal rows and the overall total; the footnote is ``/P``.
    * Not tagged, marked ``/Artifact`` instead: borders, rules, the decorative seal on the
      certificate (it repeats the contact hours), table rules and shading, the repeated
      table header on continuation pages (only the first one is ``/TH``), and the
      "Page N of M" footers.
    * Not done: no XMP metadata and no PDF/UA or PDF/A identification (fpdf2 writes XMP
      only in its PDF/A mode), no ``/Lang`` on individual elements (all text is English
      apart from names), no ``/ActualText`` or ``/E`` expansions, no bookmarks.

    fpdf2 itself only tags images with ``alt_text``; it never tags text, which would
    leave a "tagged" file whose text a screen reader skips. The small structure builder
    below (``_StructTree``) and the ``_Document.tag``/``_Document.artifact`` helpers fill
    that gap using fpdf2's structure-tree classes; the tests walk the resulting tree and
    check that no text or drawing sits outside marked content.

Determinism
    The creation date is the record's issue date (transcripts: ``generated_on``) at
    00:00 UTC; fpdf2's ``/ID`` is an MD5 of the finished file, so it is stable too;
    images are built in memory as 8-bit greyscale (never CCITT, whose availability
    depends on the local libtiff); each font's subset always starts with the same
    base repertoire (printable ASCII and Latin-1), picked in a fixed order. The ZIP uses
    fixed timestamps and permissions.

Speed
    fpdf2 parses each TrueType file and runs the fontTools subsetter for every document
    (about 100 ms per document here). This module parses each face once per process
    (``_prototype``) and keeps the subset font programs in an LRU cache keyed by the
    glyph set (``_font_program``), through fpdf2's ``output_producer_class`` hook. Thanks
    to the base repertoire most documents share one glyph set per face. The tests assert
    that the cached path gives the same bytes as stock fpdf2.

Coupling to fpdf2
    The font cache (``_install_font``, ``_CachedFontOutputProducer``) and the tagging
    (``_StructTree``, ``_Document.tag``) use fpdf2 2.8 internals: TTFFont and SubsetMap
    attributes, private helpers of ``fpdf.output`` and ``FPDF._out``. An fpdf2 upgrade
    that changes them fails ``test_cached_fonts_match_stock_fpdf2`` and the tagging tests
    rather than producing bad files silently.
"""

from __future__ import annotations

import base64
import binascii
import copy
import functools
import io
import logging
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

import segno
from fontTools import subset as ftsubset
from fontTools import ttLib
from fpdf import FPDF
from fpdf.enums import TextEmphasis
from fpdf.fonts import SubsetMap, TTFFont
from fpdf.output import (
    CIDSystemInfo,
    OutputProducer,
    PDFContentStream,
    PDFFont,
    _build_cmap_blocks,
    _cid_font_widths,
)
from fpdf.prefs import ViewerPreferences
from fpdf.structure_tree import StructElem, StructureTreeBuilder
from fpdf.syntax import Name, PDFArray, PDFObject
from PIL import Image

from ceu.domain.certificates import (
    MAX_SIGNATURE_BYTES,
    MAX_SIGNATURE_PIXELS,
    SIGNATURE_RULE,
    CertificateRecord,
)
from ceu.domain.credit import HoursEarned

__all__ = [
    "FONT_DIR",
    "TranscriptRow",
    "certificates_zip",
    "contact_hours_phrase",
    "format_hours",
    "license_phrase",
    "long_date",
    "qr_matrix",
    "render_certificate_pdf",
    "render_transcript_pdf",
    "safe_pdf_name",
]

logger = logging.getLogger(__name__)

FONT_DIR = Path(__file__).resolve().parents[2] / "static" / "fonts"
FONT_FILES: dict[tuple[str, str], str] = {
    ("serif", ""): "DejaVuSerif.ttf",
    ("serif", "B"): "DejaVuSerif-Bold.ttf",
    ("sans", ""): "DejaVuSans.ttf",
    ("sans", "B"): "DejaVuSans-Bold.ttf",
}
# Always embedded, in this order: most documents then share one glyph set per face
# (so the font cache hits) and character codes do not depend on the text's order.
BASE_REPERTOIRE = "".join(chr(c) for c in range(0x20, 0x7F)) + "".join(
    chr(c) for c in range(0xA0, 0x100) if unicodedata.category(chr(c))[0] in "LNPS"
)
LANG = "en-US"


def nfc(text: str) -> str:
    """Composed form: "e" + combining diaeresis becomes one "ë" glyph, as the fonts expect."""
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


LETTER_LANDSCAPE = (792.0, 612.0)  # points
NAVY = (23, 42, 77)
GOLD = (169, 134, 62)
INK = (33, 37, 41)
MUTED = (88, 96, 108)
ALERT = (138, 28, 28)
RULE = (205, 210, 218)
SHADE = (241, 243, 247)

QR_MODULE_PX = 4  # pixels per QR module in the embedded image
QR_BORDER = 4  # quiet zone, in modules (the QR standard's minimum)

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


# --------------------------------------------------------------------------- formatting


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


# --------------------------------------------------------------------------- fonts


@functools.cache
def _prototype(filename: str) -> TTFFont:
    """Parse a vendored face once per process; documents get cheap clones of it."""
    scratch = FPDF(unit="pt")
    scratch.add_font("prototype", "", FONT_DIR / filename)
    return scratch.fonts["prototype"]  # type: ignore[return-value]


def _install_font(pdf: FPDF, family: str, style: str, filename: str) -> None:
    """Register a face on `pdf` without re-parsing it (what `FPDF.add_font` would do)."""
    proto = _prototype(filename)
    font = TTFFont.__new__(TTFFont)
    for slot in TTFFont.__slots__:
        if hasattr(proto, slot):
            setattr(font, slot, getattr(proto, slot))
    # Per-document state; everything else (metrics, cmap, widths) is read-only and shared.
    font.i = len(pdf.fonts) + 1
    font.fontkey = f"{family}{style}"
    font.emphasis = TextEmphasis.coerce(style)
    font.desc = copy.copy(proto.desc)
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font._hbfont = None
    font.subset = SubsetMap(font)
    picked, next_code, reserved = _base_subset(filename)
    font.subset._char_id_per_glyph = dict(picked)
    font.subset._next = next_code
    font.subset._reserved = list(reserved)
    pdf.fonts[font.fontkey] = font


@functools.cache
def _base_subset(filename: str) -> tuple[MappingProxyType, int, tuple[int, ...]]:
    """The SubsetMap state after picking BASE_REPERTOIRE, computed once per face."""
    subset = SubsetMap(_prototype(filename))
    for char in BASE_REPERTOIRE:
        subset.pick(ord(char))
    state = (MappingProxyType(dict(subset.items())), subset._next, tuple(subset._reserved))
    subset.pick.cache_clear()
    subset.get_glyph.cache_clear()
    return state


def _add_stock_fonts(pdf: FPDF, families: Sequence[str]) -> None:
    """Plain fpdf2 (parse and subset per document): the reference the fast path must match."""
    for (family, style), filename in FONT_FILES.items():
        if family in families:
            pdf.add_font(family, style, FONT_DIR / filename)
            font = pdf.fonts[f"{family}{style}"]
            for char in BASE_REPERTOIRE:
                font.subset.pick(ord(char))  # type: ignore[union-attr]


# Same options as fpdf2 2.8 uses in OutputProducer._add_fonts.
_DROPPED_TABLES = [
    "FFTM",
    "GDEF",
    "GPOS",
    "GSUB",
    "MATH",
    "hdmx",
    "meta",
    "sbix",
    "CBDT",
    "CBLC",
    "EBDT",
    "EBLC",
    "EBSC",
    "SVG ",
    "CPAL",
    "COLR",
]


@dataclass(frozen=True, eq=False)  # cached singletons: identity is equality
class _FontProgram:
    """A subset TrueType program: its length, its Flate-compressed bytes, glyph ids."""

    length: int
    compressed: bytes
    gids: MappingProxyType


@functools.lru_cache(maxsize=256)
def _font_program(path: str, glyph_names: frozenset[str]) -> _FontProgram:
    """Subset TrueType program for one glyph set, and each glyph's id inside it."""
    ttfont = ttLib.TTFont(path, recalcTimestamp=False, lazy=True)
    # Load the tables fpdf2's TTFFont reads, so the saved bytes match stock fpdf2 exactly.
    for tag in ("head", "hhea", "hmtx", "OS/2", "post", "name", "glyf"):
        ttfont[tag]  # noqa: B018
    ttfont.getBestCmap()
    options = ftsubset.Options(notdef_outline=True, recommended_glyphs=True)
    options.drop_tables += _DROPPED_TABLES
    subsetter = ftsubset.Subsetter(options)
    subsetter.populate(glyphs=sorted(glyph_names))
    subsetter.subset(ttfont)
    gids = {name: ttfont.getGlyphID(name) for name in glyph_names}
    out = io.BytesIO()
    ttfont.save(out)
    ttfont.close()
    program = out.getvalue()
    compressed = zlib.compress(program, level=PDFContentStream._COMPRESSION_LEVEL)
    return _FontProgram(len(program), compressed, MappingProxyType(gids))


@dataclass(frozen=True)
class _FontTables:
    """Per-document font tables that depend only on which glyph got which code."""

    widths: str  # the CIDFont /W array
    to_unicode: bytes  # the ToUnicode CMap, so text can be searched and copied
    cid_to_gid_map: bytes  # Flate-compressed CIDToGIDMap


@functools.lru_cache(maxsize=256)
def _font_tables(program: _FontProgram, used: tuple[tuple[int, str, Any, int], ...]) -> _FontTables:
    """Build (once per code assignment) what fpdf2 builds for every document."""
    widths = _cid_font_widths({code: width for code, _, _, width in used})
    table = bytearray(256 * 256 * 2)
    for code, name, _, _ in used:
        gid = program.gids[name]
        table[code * 2] = gid >> 8
        table[code * 2 + 1] = gid & 0xFF
    cid_to_gid = zlib.compress(table, level=PDFContentStream._COMPRESSION_LEVEL)
    return _FontTables(widths, _to_unicode_cmap(used).encode("latin-1"), cid_to_gid)


class _Precompressed(PDFContentStream):
    """A Flate stream built from cached, already-compressed bytes."""

    def __init__(self, compressed: bytes, length1: int | None = None) -> None:
        PDFObject.__init__(self)
        self._contents = compressed
        self.filter = Name("FlateDecode")
        self.length = len(compressed)
        if length1 is not None:
            self.length1 = length1  # what PDFFontStream adds: the uncompressed length


class _CachedFontOutputProducer(OutputProducer):
    """fpdf2's font embedding for plain TrueType faces, with the subsetting cached.

    Mirrors the TrueType branch of ``OutputProducer._add_fonts`` in fpdf2 2.8 object for
    object (``test_cached_fonts_match_stock_fpdf2`` compares the bytes).
    """

    def _add_fonts(self, *args: Any, **kwargs: Any) -> dict[int, Any]:
        fonts = sorted(self.fpdf.fonts.values(), key=lambda f: f.i)
        for font in fonts:
            if not isinstance(font, TTFFont) or font.color_font or font.is_cff:
                raise TypeError(f"only plain TrueType faces are supported, got {font!r}")
        font_objs_per_index: dict[int, Any] = {}
        for font in fonts:
            fontname = f"MPDFAA+{font.name}"
            if font.missing_glyphs:
                logger.warning(
                    "Font %s has no glyph for: %s",
                    fontname,
                    ", ".join(repr(chr(c)) for c in font.missing_glyphs[:10]),
                )
            used = tuple(
                (code, glyph.glyph_name, glyph.unicode, glyph.glyph_width)
                for glyph, code in font.subset.items()
                if glyph is not None
            )
            program = _font_program(str(font.ttffile), frozenset(g[1] for g in used))
            tables = _font_tables(program, used)

            composite_font_obj = PDFFont(subtype="Type0", base_font=fontname, encoding="Identity-H")
            self._add_pdf_obj(composite_font_obj, "fonts")
            font_objs_per_index[font.i] = composite_font_obj

            cid_font_obj = PDFFont(
                subtype="CIDFontType2",
                base_font=fontname,
                d_w=font.desc.missing_width,
                w=tables.widths,
            )
            self._add_pdf_obj(cid_font_obj, "fonts")
            composite_font_obj.descendant_fonts = PDFArray([cid_font_obj])

            to_unicode_obj = PDFContentStream(tables.to_unicode)
            self._add_pdf_obj(to_unicode_obj, "fonts")
            composite_font_obj.to_unicode = to_unicode_obj

            cid_system_info_obj = CIDSystemInfo()
            self._add_pdf_obj(cid_system_info_obj, "fonts")
            cid_font_obj.c_i_d_system_info = cid_system_info_obj

            font_descriptor_obj = font.desc
            font_descriptor_obj.font_name = Name(fontname)
            self._add_pdf_obj(font_descriptor_obj, "fonts")
            cid_font_obj.font_descriptor = font_descriptor_obj

            cid_to_gid_map_obj = _Precompressed(tables.cid_to_gid_map)
            self._add_pdf_obj(cid_to_gid_map_obj, "fonts")
            cid_font_obj.c_i_d_to_g_i_d_map = cid_to_gid_map_obj

            font_file_cs_obj = _Precompressed(program.compressed, length1=program.length)
            self._add_pdf_obj(font_file_cs_obj, "fonts")
            font_descriptor_obj.font_file2 = font_file_cs_obj  # type: ignore[attr-defined]

            font.subset.pick.cache_clear()
            font.subset.get_glyph.cache_clear()
        return font_objs_per_index


def _to_unicode_cmap(used: Sequence[tuple[int, str, Any, int]]) -> str:
    """The ToUnicode CMap exactly as fpdf2 writes it."""

    def utf16_hex(codepoint: int) -> str:
        if codepoint > 0xFFFF:
            high = 0xD800 | (codepoint - 0x10000) >> 10
            low = 0xDC00 | (codepoint & 0x3FF)
            return f"{high:04X}{low:04X}"
        return f"{codepoint:04X}"

    bf_char = [
        f"<{code:04X}> <{''.join(utf16_hex(c) for c in unicode)}>\n"
        for code, _, unicode, _ in used
        if isinstance(unicode, tuple) and unicode
    ]
    return (
        "/CIDInit /ProcSet findresource begin\n"
        "12 dict begin\n"
        "begincmap\n"
        "/CIDSystemInfo\n"
        "<</Registry (Adobe)\n"
        "/Ordering (UCS)\n"
        "/Supplement 0\n"
        ">> def\n"
        "/CMapName /Adobe-Identity-UCS def\n"
        "/CMapType 2 def\n"
        "1 begincodespacerange\n"
        "<0000> <FFFF>\n"
        "endcodespacerange\n"
        f"{_build_cmap_blocks(bf_char, 'bfchar')}"
        "endcmap\n"
        "CMapName currentdict /CMap defineresource pop\n"
        "end\n"
        "end"
    )


# --------------------------------------------------------------------------- tagging


class _StructTree(StructureTreeBuilder):
    """fpdf2's structure tree, plus nesting (Table > TR > TD) and per-page MCID counters."""

    def __init__(self) -> None:
        super().__init__()
        self._next_mcid: dict[int, int] = {}

    def next_mcid_for_page(self, page_number: int) -> int:
        return self._next_mcid.get(page_number, 0)

    def add_marked_content(
        self,
        page_number: int,
        struct_type: str,
        mcid: int | None = None,
        title: str | None = None,
        alt_text: str | None = None,
    ) -> tuple[StructElem, int]:
        # fpdf2 calls this for images with alt text: a direct child of /Document.
        if mcid is None:
            raise ValueError("every tagged element must own marked content")
        self._next_mcid[page_number] = mcid + 1
        return super().add_marked_content(page_number, struct_type, mcid, title, alt_text)

    def add_group(self, parent: StructElem | None, struct_type: str, page: Any) -> StructElem:
        """A container element (Table, TR) that owns no content itself."""
        parent = parent or self.doc_struct_elem
        elem = StructElem(struct_type=struct_type, parent=parent, kids=[], page_number=page.index())
        elem.pg = page
        parent.k.append(elem)
        return elem

    def add_leaf(
        self, parent: StructElem, struct_type: str, page: Any, page_number: int, mcid: int
    ) -> int:
        """A nested element owning marked content `mcid` on `page`."""
        spid = self.spid_per_page_number.setdefault(page_number, len(self.spid_per_page_number))
        elem = StructElem(struct_type=struct_type, parent=parent, kids=[mcid])
        elem.pg = page
        parent.k.append(elem)
        self.struct_tree_root.parent_tree.nums[spid].append(elem)
        self._next_mcid[page_number] = mcid + 1
        return spid

    def __iter__(self) -> Iterator[Any]:
        yield self.struct_tree_root
        yield self.doc_struct_elem
        yield self.struct_tree_root.parent_tree
        stack = list(reversed(self.doc_struct_elem.k))
        while stack:
            elem = stack.pop()
            yield elem
            stack.extend(reversed([k for k in elem.k if isinstance(k, StructElem)]))


class _Document(FPDF):
    """FPDF with tagging helpers, pre-registered fonts and deterministic metadata."""

    def __init__(
        self,
        *,
        orientation: str,
        families: Sequence[str],
        created_on: date,
        title: str,
        author: str,
        subject: str,
        stock_fonts: bool = False,
    ) -> None:
        super().__init__(orientation=orientation, unit="pt", format="letter")
        self.struct_builder = _StructTree()
        self.stock_fonts = stock_fonts
        self._element_has_text = False
        if stock_fonts:
            _add_stock_fonts(self, families)
        else:
            for (family, style), filename in FONT_FILES.items():
                if family in families:
                    _install_font(self, family, style, filename)
        self.set_auto_page_break(False)
        self.set_margins(0, 0, 0)
        self.set_lang(LANG)
        self.set_title(title)
        self.set_author(author)
        self.set_subject(subject)
        self.set_creator("ceu")
        self.set_creation_date(datetime.combine(created_on, time(0, 0), tzinfo=UTC))
        self.viewer_preferences = ViewerPreferences(display_doc_title=True)

    def render(self) -> bytes:
        if self.stock_fonts:
            return bytes(self.output())
        return bytes(self.output(output_producer_class=_CachedFontOutputProducer))

    # Marked content: fpdf2 has no public API for tagging text, only for images.
    @contextmanager
    def tag(self, struct_type: str, parent: StructElem | None = None) -> Iterator[None]:
        """Everything drawn inside becomes one structure element, in reading order."""
        builder: _StructTree = self.struct_builder  # type: ignore[assignment]
        mcid = builder.next_mcid_for_page(self.page)
        if parent is None:
            self._add_marked_content(struct_type=f"/{struct_type}", mcid=mcid)
        else:
            page = self.pages[self.page]
            page.struct_parents = builder.add_leaf(parent, f"/{struct_type}", page, self.page, mcid)
        self._out(f"/{struct_type} <</MCID {mcid}>> BDC")
        self._element_has_text = False
        yield
        self._out("EMC")

    @contextmanager
    def artifact(self, kind: str = "Layout") -> Iterator[None]:
        """Decoration that assistive technology should skip."""
        self._out(f"/Artifact <</Type /{kind}>> BDC")
        self._element_has_text = False
        yield
        self._out("EMC")

    def group(self, struct_type: str, parent: StructElem | None = None) -> StructElem:
        builder: _StructTree = self.struct_builder  # type: ignore[assignment]
        return builder.add_group(parent, f"/{struct_type}", self.pages[self.page])

    # Text helpers (unit: points; y is the top of the line box).
    def use(self, family: str, style: str, size: float, color: tuple[int, int, int]) -> None:
        self.set_font(family, style, size)
        self.set_text_color(*color)

    def width(self, text: str) -> float:
        """Advance width in points (what `get_string_width` computes, without its
        bidi and markdown passes, which these documents never use)."""
        widths = self.current_font.cw  # type: ignore[union-attr]
        return sum(widths[ord(c)] for c in nfc(text)) * self.font_size_pt * 0.001

    def line_at(self, text: str, x: float, y: float, *, align: str = "L", box: float = 0) -> None:
        """Draw one line whose box starts at y; align within [x, x + box]."""
        if align == "C":
            x += (box - self.width(text)) / 2
        elif align == "R":
            x += box - self.width(text)
        self.show(x, y + self.font_size_pt * 0.93, text, new_line=True)

    def show(self, x: float, baseline: float, text: str, *, new_line: bool) -> None:
        """Draw text at a baseline. A line after the first in the same element starts with
        a space, drawn one space-width to the left so nothing moves: text extraction and
        screen readers otherwise run the last word of a line into the next one."""
        if new_line and self._element_has_text:
            x -= self.width(" ")
            text = f" {text}"
        self._element_has_text = True
        self.text(x, baseline, nfc(text))

    def wrap(self, text: str, width: float) -> list[str]:
        """Greedy word wrap; a word wider than the line is broken between characters."""
        lines: list[str] = []
        current = ""
        for word in text.split():
            candidate = f"{current} {word}" if current else word
            if self.width(candidate) <= width:
                current = candidate
                continue
            if current:
                lines.append(current)
            while self.width(word) > width and len(word) > 1:
                cut = self._prefix_fitting(word, width)
                lines.append(word[:cut])
                word = word[cut:]
            current = word
        if current:
            lines.append(current)
        return lines or [""]

    def _prefix_fitting(self, word: str, width: float) -> int:
        low, high = 1, len(word)
        while low < high:
            mid = (low + high + 1) // 2
            if self.width(word[:mid]) <= width:
                low = mid
            else:
                high = mid - 1
        return low

    def fit(
        self,
        text: str,
        *,
        family: str,
        style: str,
        sizes: Sequence[float],
        width: float,
        max_lines: int,
        hard_max_lines: int | None = None,
    ) -> tuple[float, list[str]]:
        """Largest size at which `text` fits in `max_lines` lines, else in `hard_max_lines`;
        only beyond that, at the smallest size, is the last line cut with an ellipsis."""
        for limit in dict.fromkeys((max_lines, hard_max_lines or max_lines)):
            for size in sizes:
                self.set_font(family, style, size)
                lines = self.wrap(text, width)
                if len(lines) <= limit:
                    return size, lines
        limit = hard_max_lines or max_lines
        lines = lines[:limit]
        last = lines[-1]
        while last and self.width(last + "…") > width:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
        return sizes[-1], lines


# --------------------------------------------------------------------------- certificate


class _Tier(NamedTuple):
    """Type sizes and spacing for one attempt at fitting the certificate's middle."""

    name_sizes: tuple[float, ...]
    title_sizes: tuple[float, ...]
    approvals: float  # approval statements' type size
    gap: float  # multiplier on the space between blocks


@dataclass(frozen=True)
class _Para:
    """A block of centred lines in one style, tagged as one element."""

    tag: str
    lines: tuple[str, ...]
    family: str
    style: str
    size: float
    color: tuple[int, int, int]
    leading: float = 1.22
    space_before: float = 0.0

    @property
    def height(self) -> float:
        return len(self.lines) * self.size * self.leading


@dataclass(frozen=True)
class _Approval:
    """One approval statement: bold board and number, then the statement, wrapped."""

    lines: tuple[tuple[tuple[str, str], ...], ...]  # lines of (style, text) runs
    size: float
    leading: float = 1.3
    space_before: float = 3.0

    @property
    def height(self) -> float:
        return len(self.lines) * self.size * self.leading


def _wrap_runs(
    pdf: _Document, runs: Sequence[tuple[str, str]], family: str, size: float, width: float
) -> list[tuple[tuple[str, str], ...]]:
    """Word-wrap text made of styled runs; returns lines of (style, text) runs."""
    words: list[tuple[str, str]] = [(style, w) for style, text in runs for w in text.split()]
    lines: list[list[tuple[str, str]]] = []
    line: list[tuple[str, str]] = []
    used = 0.0
    for style, word in words:
        pdf.set_font(family, style, size)
        word_w = pdf.width(word)
        space_w = pdf.width(" ") if line else 0.0
        if line and used + space_w + word_w > width:
            lines.append(line)
            line, used, space_w = [], 0.0, 0.0
        while word_w > width and len(word) > 1:
            cut = pdf._prefix_fitting(word, width)
            lines.append([(style, word[:cut])])
            word = word[cut:]
            word_w = pdf.width(word)
        if line and line[-1][0] == style:
            line[-1] = (style, f"{line[-1][1]} {word}")
        else:
            line.append((style, f" {word}" if line else word))
        used += space_w + word_w
    if line:
        lines.append(line)
    return [tuple(x) for x in lines]


def _approval_blocks(
    pdf: _Document, record: CertificateRecord, size: float, width: float
) -> list[_Approval]:
    blocks = []
    for approval in record.approval_statements:
        head = approval.board.strip()
        if approval.number.strip():
            head = f"{head}, Approval No. {approval.number.strip()}"
        runs = [("B", f"{head}.") if head else ("B", ""), ("", approval.statement)]
        lines = _wrap_runs(pdf, [r for r in runs if r[1]], "sans", size, width)
        blocks.append(_Approval(lines=tuple(lines), size=size))
    return blocks


def _draw_runs_centered(
    pdf: _Document, line: Sequence[tuple[str, str]], size: float, y: float
) -> None:
    widths = []
    for style, text in line:
        pdf.set_font("sans", style, size)
        widths.append(pdf.width(text))
    x = (pdf.w - sum(widths)) / 2
    for i, ((style, text), w) in enumerate(zip(line, widths, strict=True)):
        pdf.set_font("sans", style, size)
        pdf.show(x, y + size * 0.93, text, new_line=i == 0)
        x += w


def _draw_border(pdf: _Document) -> None:
    w, h = pdf.w, pdf.h
    with pdf.artifact():
        pdf.set_draw_color(*NAVY)
        pdf.set_line_width(2.6)
        pdf.rect(20, 20, w - 40, h - 40)
        pdf.set_draw_color(*GOLD)
        pdf.set_line_width(0.8)
        pdf.rect(28, 28, w - 56, h - 56)
        pdf.set_line_width(0.4)
        pdf.rect(31.5, 31.5, w - 63, h - 63)
        pdf.set_fill_color(*GOLD)
        for cx, cy in ((28, 28), (w - 28, 28), (28, h - 28), (w - 28, h - 28)):
            pdf.polygon([(cx, cy - 6), (cx + 6, cy), (cx, cy + 6), (cx - 6, cy)], style="F")


def _draw_rule(pdf: _Document, y: float) -> None:
    cx = pdf.w / 2
    with pdf.artifact():
        pdf.set_draw_color(*GOLD)
        pdf.set_line_width(0.8)
        pdf.line(cx - 110, y, cx - 9, y)
        pdf.line(cx + 9, y, cx + 110, y)
        pdf.set_fill_color(*GOLD)
        pdf.polygon([(cx, y - 4), (cx + 4, y), (cx, y + 4), (cx - 4, y)], style="F")


def _draw_seal(pdf: _Document, record: CertificateRecord, cx: float, cy: float) -> None:
    with pdf.artifact():
        pdf.set_draw_color(*GOLD)
        pdf.set_line_width(1.6)
        pdf.circle(cx, cy, 34, style="D")
        pdf.set_line_width(0.5)
        pdf.circle(cx, cy, 30, style="D")
        hours = format_hours(record.contact_hours)
        pdf.use("serif", "B", 15 if len(hours) <= 4 else 11, GOLD)
        pdf.line_at(hours, cx - 30, cy - 12, align="C", box=60)
        pdf.use("sans", "B", 5.2, GOLD)
        pdf.line_at("CONTACT", cx - 30, cy + 4, align="C", box=60)
        pdf.line_at("HOURS", cx - 30, cy + 10.5, align="C", box=60)


def _qr_image(url: str) -> Image.Image:
    """The QR code for `url` as an 8-bit greyscale image, QR_MODULE_PX pixels a module."""
    matrix = qr_matrix(url)
    n = len(matrix) + 2 * QR_BORDER
    rows = bytearray(b"\xff" * (n * n))
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                rows[(r + QR_BORDER) * n + c + QR_BORDER] = 0
    image = Image.frombytes("L", (n, n), bytes(rows))
    return image.resize((n * QR_MODULE_PX, n * QR_MODULE_PX), Image.Resampling.NEAREST)


def qr_matrix(url: str) -> tuple[tuple[bool, ...], ...]:
    """Dark/light modules of the QR code a certificate embeds for `url` (no quiet zone)."""
    qr = segno.make(url, error="m", micro=False, boost_error=False)
    return tuple(tuple(bool(v) for v in row) for row in qr.matrix)


def _signature_image(b64: str) -> Image.Image:
    try:
        raw = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("signature image is not valid base64") from exc
    if len(raw) > MAX_SIGNATURE_BYTES or not raw.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ValueError(f"signature image must be {SIGNATURE_RULE}")
    with Image.open(io.BytesIO(raw)) as probe:
        if probe.width * probe.height > MAX_SIGNATURE_PIXELS:
            raise ValueError(f"signature image is too large: it must be {SIGNATURE_RULE}")
        probe.load()
        return probe.copy()


def check_signature_image(b64: str) -> None:
    """Refuse, at upload time, a signature that could not be drawn on a certificate."""
    try:
        _signature_image(b64)
    except (OSError, Image.DecompressionBombError) as exc:  # corrupt or hostile PNG
        raise ValueError("signature image could not be read as a PNG") from exc


def render_certificate_pdf(record: CertificateRecord, *, stock_fonts: bool = False) -> bytes:
    """The certificate of completion: one landscape Letter page (a second only if the
    approval statements cannot fit legibly on the first).

    `stock_fonts=True` embeds fonts through unmodified fpdf2 (slow; used by tests to
    check the cached path)."""
    pdf = _Document(
        orientation="landscape",
        families=("serif", "sans"),
        created_on=record.issue_date,
        title=f"Certificate of Completion: {record.course_title}",
        author=record.provider_name,
        subject=(
            f"Certificate {record.certificate_number} for {record.learner_name}: "
            f"{contact_hours_phrase(record.contact_hours)}"
        ),
        stock_fonts=stock_fonts,
    )
    pdf.set_keywords(f"certificate {record.certificate_number} {record.verify_url}")
    pdf.add_page()
    _draw_border(pdf)

    content_w = 640.0
    left = (pdf.w - content_w) / 2

    # Header (fixed)
    size, lines = pdf.fit(
        record.provider_name,
        family="serif",
        style="B",
        sizes=(13, 12, 11, 10, 9),
        width=600,
        max_lines=1,
    )
    with pdf.tag("P"):
        pdf.use("serif", "B", size, NAVY)
        pdf.line_at(lines[0], left, 50, align="C", box=content_w)
    with pdf.tag("H1"):
        pdf.use("serif", "B", 31, NAVY)
        pdf.line_at("Certificate of Completion", left, 72, align="C", box=content_w)
    _draw_rule(pdf, 118)

    # Footer geometry (fixed)
    footer_top = 462.0

    # Middle (flexible)
    top, bottom = 128.0, footer_top - 8
    blocks, approvals, gap, overflow_approvals = _plan_middle(pdf, record, content_w, bottom - top)
    used = sum(b.height + b.space_before * gap for b in blocks) + _approvals_height(approvals)
    spare = max(0.0, (bottom - top) - used)
    y = top + min(spare * 0.35, 14)
    stretch = 1.0 + (min(spare * 0.65, 60) / max(1.0, sum(b.space_before for b in blocks)))
    for block in blocks:
        y += block.space_before * gap * stretch
        with pdf.tag(block.tag):
            pdf.use(block.family, block.style, block.size, block.color)
            for line in block.lines:
                pdf.line_at(line, left, y, align="C", box=content_w)
                y += block.size * block.leading
    if approvals:
        y += 8
        y = _draw_approvals(pdf, approvals, y)

    _draw_footer(pdf, record, footer_top)

    if overflow_approvals:
        pdf.add_page()
        _draw_border(pdf)
        with pdf.tag("H2"):
            pdf.use("serif", "B", 18, NAVY)
            pdf.line_at("Approval statements", left, 56, align="C", box=content_w)
        with pdf.tag("P"):
            pdf.use("sans", "", 8.5, MUTED)
            pdf.line_at(
                f"Certificate No. {record.certificate_number}  ·  {record.learner_name}",
                left,
                82,
                align="C",
                box=content_w,
            )
        _draw_approvals(pdf, overflow_approvals, 108, page_bottom=pdf.h - 48)
    return pdf.render()


_TIERS = (  # from generous to tight; the first whose content fits is used
    _Tier((30, 28, 26, 24, 22, 20, 18, 16, 14), (20, 19, 18, 17, 16, 15, 14), 7.6, 1.0),
    _Tier((26, 24, 22, 20, 18, 16, 14), (17, 16, 15, 14, 13), 7.0, 0.8),
    _Tier((22, 20, 18, 16, 14, 13), (15, 14, 13, 12), 6.5, 0.6),
    _Tier((18, 16, 15, 14, 13, 12), (13, 12, 11), 6.0, 0.45),
)


def _plan_middle(
    pdf: _Document, record: CertificateRecord, width: float, available: float
) -> tuple[list[_Para], list[_Approval], float, list[_Approval]]:
    """Blocks, approvals and spacing for the largest type that fits between the header
    and the footer; approvals that cannot fit legibly go to a continuation page (last item)."""
    for tier in _TIERS:
        blocks = _middle_blocks(pdf, record, tier, width)
        approvals = _approval_blocks(pdf, record, tier.approvals, 600)
        height = sum(b.height + b.space_before * tier.gap for b in blocks)
        if height + _approvals_height(approvals) <= available:
            return blocks, approvals, tier.gap, []
    note = _Para(
        "P", ("Approval statements continue on page 2.",), "sans", "B", 8, MUTED, space_before=8
    )
    for tier in _TIERS:
        blocks = [*_middle_blocks(pdf, record, tier, width), note]
        if sum(b.height + b.space_before * tier.gap for b in blocks) <= available:
            break
    return blocks, [], tier.gap, _approval_blocks(pdf, record, 8.0, 600)


def _middle_blocks(
    pdf: _Document, record: CertificateRecord, tier: _Tier, width: float
) -> list[_Para]:
    name_size, name_lines = pdf.fit(
        record.learner_name,
        family="serif",
        style="B",
        sizes=tier.name_sizes,
        width=width,
        max_lines=2,
        hard_max_lines=3,
    )
    title_size, title_lines = pdf.fit(
        record.course_title,
        family="serif",
        style="B",
        sizes=tier.title_sizes,
        width=width,
        max_lines=3,
        hard_max_lines=4,
    )
    pdf.set_font("serif", "", 10.5)
    license_lines = pdf.wrap(license_phrase(record), width)
    pdf.set_font("sans", "", 8.8)
    details = (
        f"Completed {long_date(record.completion_date)}  ·  "
        f"Issued {long_date(record.issue_date)}  ·  "
        f"Certificate No. {record.certificate_number}"
    )
    details_lines = pdf.wrap(details, width)
    blocks = [
        _Para("P", ("This certifies that",), "serif", "", 12, MUTED),
        _Para("P", tuple(name_lines), "serif", "B", name_size, INK, 1.12, space_before=3),
        _Para("P", tuple(license_lines), "serif", "", 10.5, MUTED, space_before=2),
        _Para("P", ("has completed",), "serif", "", 12, MUTED, space_before=9),
        _Para("P", tuple(title_lines), "serif", "B", title_size, NAVY, 1.18, space_before=3),
    ]
    if record.course_version.strip():
        pdf.set_font("serif", "", 10)
        version = pdf.wrap(f"Course version {record.course_version.strip()}", width)
        blocks.append(_Para("P", tuple(version), "serif", "", 10, MUTED, space_before=1))
    blocks += [
        _Para(
            "P",
            (contact_hours_phrase(record.contact_hours),),
            "serif",
            "B",
            14,
            INK,
            space_before=8,
        ),
        _Para("P", tuple(details_lines), "sans", "", 8.8, MUTED, space_before=5),
    ]
    if record.supersedes_number.strip():
        pdf.set_font("sans", "B", 8.8)
        note = pdf.wrap(
            f"This certificate corrects certificate {record.supersedes_number.strip()}, "
            "which is superseded and no longer valid.",
            width,
        )
        blocks.append(_Para("P", tuple(note), "sans", "B", 8.8, ALERT, space_before=3))
    return blocks


def _approvals_height(approvals: Sequence[_Approval]) -> float:
    if not approvals:
        return 0.0
    return 8 + sum(a.height + a.space_before for a in approvals)


def _draw_approvals(
    pdf: _Document, approvals: Sequence[_Approval], y: float, page_bottom: float | None = None
) -> float:
    pdf.set_text_color(*INK)
    for approval in approvals:
        y += approval.space_before
        if page_bottom is not None and y + approval.height > page_bottom:
            pdf.add_page()
            _draw_border(pdf)
            y = 56
        with pdf.tag("P"):
            for line in approval.lines:
                _draw_runs_centered(pdf, line, approval.size, y)
                y += approval.size * approval.leading
    return y


def _draw_footer(pdf: _Document, record: CertificateRecord, top: float) -> None:
    # Signature (left)
    line_y = top + 60
    sig_left, sig_w = 64.0, 230.0
    if record.signature_image_png_b64:
        image = _signature_image(record.signature_image_png_b64)
        pdf.image(
            image,
            x=sig_left + 10,
            y=top + 8,
            w=sig_w - 20,
            h=48,
            keep_aspect_ratio=True,
            alt_text=f"Signature of {record.signatory_name}",
        )
    with pdf.artifact():
        pdf.set_draw_color(*INK)
        pdf.set_line_width(0.6)
        pdf.line(sig_left, line_y, sig_left + sig_w, line_y)
    size, lines = pdf.fit(
        record.signatory_name,
        family="serif",
        style="B",
        sizes=(11, 10, 9, 8),
        width=sig_w,
        max_lines=1,
    )
    with pdf.tag("P"):
        pdf.use("serif", "B", size, INK)
        pdf.line_at(lines[0], sig_left, line_y + 5, align="C", box=sig_w)
        title_size, title_lines = pdf.fit(
            record.signatory_title,
            family="serif",
            style="",
            sizes=(9, 8.5, 8, 7.5, 7),
            width=sig_w,
            max_lines=2,
        )
        pdf.use("serif", "", title_size, MUTED)
        for i, line in enumerate(title_lines):
            pdf.line_at(line, sig_left, line_y + 19 + i * title_size * 1.2, align="C", box=sig_w)

    _draw_seal(pdf, record, pdf.w / 2, top + 50)

    # QR (right) and its caption, right-aligned to the QR's left edge.
    qr_size = 78.0
    qr_x, qr_y = pdf.w - 60 - qr_size, top + 14
    pdf.image(
        _qr_image(record.verify_url),
        x=qr_x,
        y=qr_y,
        w=qr_size,
        h=qr_size,
        alt_text=f"QR code linking to the verification page {record.verify_url}",
    )
    cap_w = 200.0
    cap_x = qr_x - 8 - cap_w
    with pdf.tag("P"):
        pdf.use("sans", "", 7.2, MUTED)
        pdf.line_at("Verify at", cap_x, qr_y + 18, align="R", box=cap_w)
        size, url_lines = pdf.fit(
            record.verify_url,
            family="sans",
            style="",
            sizes=(7.2, 6.8, 6.4, 6.0, 5.6, 5.2),
            width=cap_w,
            max_lines=1,
        )
        if url_lines[0].endswith("…"):  # never truncate the URL: break it instead
            pdf.set_font("sans", "", 5.2)
            url_lines = pdf.wrap(record.verify_url, cap_w)
        pdf.set_font("sans", "", size)
        y = qr_y + 27
        for line in url_lines:
            pdf.line_at(line, cap_x, y, align="R", box=cap_w)
            y += size * 1.25
        pdf.use("sans", "", 7.2, MUTED)
        code = f"Verification code: {record.verification_code}"
        code_size, code_lines = pdf.fit(
            code, family="sans", style="", sizes=(7.2, 6.6, 6.0), width=cap_w, max_lines=2
        )
        pdf.set_font("sans", "", code_size)
        for line in code_lines:
            pdf.line_at(line, cap_x, y + 3, align="R", box=cap_w)
            y += code_size * 1.25


# --------------------------------------------------------------------------- transcript


@dataclass(frozen=True)
class TranscriptRow:
    """One certificate on a learner's transcript."""

    certificate_number: str
    course_title: str
    completion_date: date
    contact_hours: float
    status: str
    counts: bool  # in the totals (ceu.domain.credit decides; the renderer only shows it)


_COLUMNS = (  # (header, width, align)
    ("Certificate No.", 84.0, "L"),
    ("Course", 210.0, "L"),
    ("Completed", 102.0, "L"),
    ("Hours", 40.0, "R"),
    ("Status", 68.0, "L"),
)
_CELL_PAD = 4.0


def render_transcript_pdf(
    *,
    learner_name: str,
    credential: str,
    license_number: str,
    license_state: str,
    provider_name: str,
    generated_on: date,
    rows: Sequence[TranscriptRow],
    hours: HoursEarned,
    stock_fonts: bool = False,
) -> bytes:
    """A portrait Letter transcript: every certificate, with contact hours totalled per
    year of completion and overall (valid certificates only), over as many pages as needed."""
    pdf = _Document(
        orientation="portrait",
        families=("serif", "sans"),
        created_on=generated_on,
        title=f"Continuing education transcript: {learner_name}",
        author=provider_name,
        subject=f"Contact hours earned by {learner_name}, as of {long_date(generated_on)}",
        stock_fonts=stock_fonts,
    )
    left, table_w = 54.0, sum(c[1] for c in _COLUMNS)
    bottom = pdf.h - 66

    pdf.add_page()
    with pdf.tag("P"):
        pdf.use("serif", "B", 12, NAVY)
        pdf.line_at(provider_name, left, 50)
    with pdf.tag("H1"):
        pdf.use("serif", "B", 20, NAVY)
        pdf.line_at("Continuing Education Transcript", left, 68)
    with pdf.artifact():
        pdf.set_draw_color(*GOLD)
        pdf.set_line_width(1)
        pdf.line(left, 96, left + table_w, 96)
    licence = ", ".join(
        p for p in (credential, license_number and f"License No. {license_number}") if p
    )
    if license_state:
        licence = f"{licence} ({license_state})" if licence else f"Licensed in {license_state}"
    details = [
        ("Learner", learner_name),
        ("Credential and license", licence or "—"),
        ("Generated", long_date(generated_on)),
    ]
    y = 106.0
    for label, value in details:
        with pdf.tag("P"):
            pdf.use("sans", "B", 9, MUTED)
            pdf.line_at(f"{label}:", left, y)
            pdf.use("sans", "", 9, INK)
            for line in pdf.wrap(value, table_w - 130):
                pdf.line_at(line, left + 130, y)
                y += 13
    y += 10

    table = pdf.group("Table")
    y = _table_header(pdf, table, left, y, tagged=True)

    ordered = sorted(rows, key=lambda r: (r.completion_date, r.certificate_number))
    by_year: dict[int, list[TranscriptRow]] = {}
    for row in ordered:
        by_year.setdefault(row.completion_date.year, []).append(row)

    def ensure_room(y: float, needed: float) -> float:
        nonlocal table
        if y + needed <= bottom:
            return y
        pdf.add_page()
        table = pdf.group("Table")
        return _table_header(pdf, table, left, 54.0, tagged=False)

    for year, year_rows in by_year.items():
        for row in year_rows:
            pdf.set_font("sans", "", 8.5)
            values = (
                row.certificate_number,
                row.course_title,
                long_date(row.completion_date),
                f"{row.contact_hours:.2f}",
                row.status.strip().capitalize(),
            )
            cells = [
                pdf.wrap(value, width - 2 * _CELL_PAD)
                for value, (_, width, _) in zip(values, _COLUMNS, strict=True)
            ]
            height = max(len(lines) for lines in cells) * 11 + 6
            y = ensure_room(y, height)
            _table_row(
                pdf,
                table,
                left,
                y,
                height,
                cells,
                style="",
                cell_tag="TD",
                color=INK if row.counts else MUTED,
            )
            y += height
        year_total = hours.in_year(year)
        y = ensure_room(y, 20)
        _table_row(
            pdf,
            table,
            left,
            y,
            18,
            ([""], [f"Total for {year}"], [""], [f"{year_total:.2f}"], [""]),
            style="B",
            cell_tag="TD",
            shade=True,
        )
        y += 18
    y = ensure_room(y, 24)
    _table_row(
        pdf,
        table,
        left,
        y,
        22,
        ([""], ["Total, all years"], [""], [f"{hours.total:.2f}"], [""]),
        style="B",
        cell_tag="TD",
        shade=True,
        strong=True,
    )
    y += 22
    if not rows:
        y = ensure_room(y, 16)
        with pdf.tag("P"):
            pdf.use("sans", "", 8.5, MUTED)
            pdf.line_at("No certificates yet.", left, y + 6)
        y += 16
    y = ensure_room(y, 30)
    with pdf.tag("P"):
        pdf.use("sans", "", 7.5, MUTED)
        note = (
            "Hours are contact hours (clock hours). Totals count valid certificates only: "
            "revoked and superseded certificates are listed but not counted."
        )
        for line in pdf.wrap(note, table_w):
            pdf.line_at(line, left, y + 10)
            y += 10

    total_pages = pdf.page
    for page in range(1, total_pages + 1):
        pdf.page = page
        with pdf.artifact("Pagination"):
            pdf.use("sans", "", 7.5, MUTED)
            pdf.line_at(f"{learner_name}  ·  CE transcript", left, pdf.h - 48)
            pdf.line_at(f"Page {page} of {total_pages}", left, pdf.h - 48, align="R", box=table_w)
    return pdf.render()


def _table_header(
    pdf: _Document, table: StructElem, left: float, y: float, *, tagged: bool
) -> float:
    height = 20.0
    with pdf.artifact():
        pdf.set_fill_color(*NAVY)
        pdf.rect(left, y, sum(c[1] for c in _COLUMNS), height, style="F")
    pdf.use("sans", "B", 8.5, (255, 255, 255))
    if tagged:
        tr = pdf.group("TR", table)
    x = left
    for header, width, align in _COLUMNS:
        if tagged:
            with pdf.tag("TH", tr):
                pdf.line_at(header, x + _CELL_PAD, y + 6, align=align, box=width - 2 * _CELL_PAD)
        else:
            with pdf.artifact():
                pdf.line_at(header, x + _CELL_PAD, y + 6, align=align, box=width - 2 * _CELL_PAD)
        x += width
    return y + height


def _table_row(
    pdf: _Document,
    table: StructElem,
    left: float,
    y: float,
    height: float,
    cells: Sequence[Sequence[str]],
    *,
    style: str,
    cell_tag: str,
    shade: bool = False,
    strong: bool = False,
    color: tuple[int, int, int] = INK,
) -> None:
    table_w = sum(c[1] for c in _COLUMNS)
    with pdf.artifact():
        if shade:
            pdf.set_fill_color(*SHADE)
            pdf.rect(left, y, table_w, height, style="F")
        pdf.set_draw_color(*(NAVY if strong else RULE))
        pdf.set_line_width(0.8 if strong else 0.4)
        pdf.line(left, y + height, left + table_w, y + height)
    tr = pdf.group("TR", table)
    pdf.use("sans", style, 8.5, color)
    x = left
    for (_, width, align), lines in zip(_COLUMNS, cells, strict=True):
        with pdf.tag(cell_tag, tr):
            for i, line in enumerate(lines):
                pdf.line_at(
                    line, x + _CELL_PAD, y + 4 + i * 11, align=align, box=width - 2 * _CELL_PAD
                )
        x += width


# --------------------------------------------------------------------------- zip


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)


def safe_pdf_name(name: str) -> str:
    """A portable file name: ASCII letters, digits, '.', '_' and '-', no directories,
    no leading dot, at most 100 characters, ending in .pdf."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    ascii_name = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    cleaned = _UNSAFE.sub("_", ascii_name).strip("._-")
    stem = cleaned[:-4] if cleaned.lower().endswith(".pdf") else cleaned
    stem = stem.strip("._-")[:96] or "certificate"
    return f"{stem}.pdf"


def certificates_zip(files: Iterable[tuple[str, bytes]]) -> bytes:
    """A ZIP of many PDFs: safe, unique names, fixed timestamps, so the same input gives
    the same bytes."""
    buffer = io.BytesIO()
    seen: set[str] = set()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            safe = safe_pdf_name(name)
            stem, n = safe[:-4], 2
            while safe.lower() in seen:
                safe = f"{stem}-{n}.pdf"
                n += 1
            seen.add(safe.lower())
            info = zipfile.ZipInfo(safe, date_time=ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, whatever the host
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()
