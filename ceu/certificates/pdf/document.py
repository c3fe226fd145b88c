"""The PDF document both renderers draw on: tagging (structure tree), fonts, text helpers.

fpdf2 tags images with ``alt_text`` but never text, which would leave a "tagged" file
whose text a screen reader skips. ``_StructTree`` and ``Document.tag``/``artifact`` fill
that gap with fpdf2's structure-tree classes (its 2.8 internals: an upgrade that changes
them fails the tagging tests rather than producing bad files silently).

Text is drawn with ``FPDF.cell``, so fallback fonts and text shaping (``fonts.add_fonts``)
apply to every line, and widths come from ``get_string_width`` for the same reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from typing import Any

from fpdf import FPDF
from fpdf.prefs import ViewerPreferences
from fpdf.structure_tree import StructElem, StructureTreeBuilder

from ceu.certificates.pdf.fonts import add_fonts
from ceu.certificates.pdf.formatting import nfc

LANG = "en-US"
NAVY = (23, 42, 77)
GOLD = (169, 134, 62)
INK = (33, 37, 41)
MUTED = (88, 96, 108)
ALERT = (138, 28, 28)
RULE = (205, 210, 218)
SHADE = (241, 243, 247)
BASELINE = 0.93  # a line box's baseline, as a fraction of the type size below its top
CELL_BASELINE = 0.3  # fpdf2 puts a zero-height cell's baseline this far below its y


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


class Document(FPDF):
    """FPDF with tagging helpers, fonts for the given text and deterministic metadata."""

    def __init__(
        self,
        *,
        orientation: str,
        texts: Iterable[str],
        created_on: date,
        title: str,
        author: str,
        subject: str,
    ) -> None:
        super().__init__(orientation=orientation, unit="pt", format="letter")
        self.struct_builder = _StructTree()
        self._element_has_text = False
        add_fonts(self, (nfc(t) for t in texts))
        self.set_auto_page_break(False)
        self.set_margins(0, 0, 0)
        self.c_margin = 0
        self.set_lang(LANG)
        self.set_title(title)
        self.set_author(author)
        self.set_subject(subject)
        self.set_creator("ceu")
        self.set_creation_date(datetime.combine(created_on, time(0, 0), tzinfo=UTC))
        self.viewer_preferences = ViewerPreferences(display_doc_title=True)

    def render(self) -> bytes:
        try:
            return bytes(self.output())
        finally:
            self.close_fonts()

    def close_fonts(self) -> None:
        """fpdf2 reads the faces lazily and leaves their files open."""
        for font in self.fonts.values():
            ttfont = getattr(font, "ttfont", None)
            if ttfont is not None:
                ttfont.close()

    def __del__(self) -> None:  # a document abandoned half-drawn (e.g. a bad signature)
        self.close_fonts()

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
        """Advance width in points, fallback fonts and shaping included."""
        return self.get_string_width(nfc(text))

    def line_at(self, text: str, x: float, y: float, *, align: str = "L", box: float = 0) -> None:
        """Draw one line whose box starts at y; align within [x, x + box]."""
        if align == "C":
            x += (box - self.width(text)) / 2
        elif align == "R":
            x += box - self.width(text)
        self.show(x, y + self.font_size_pt * BASELINE, text, new_line=True)

    def show(self, x: float, baseline: float, text: str, *, new_line: bool) -> None:
        """Draw text at a baseline. A line after the first in the same element starts with
        a space, drawn one space-width to the left so nothing moves: text extraction and
        screen readers otherwise run the last word of a line into the next one."""
        if new_line and self._element_has_text:
            x -= self.width(" ")
            text = f" {text}"
        self._element_has_text = True
        text = nfc(text)
        self.set_xy(x, baseline - self.font_size_pt * CELL_BASELINE)
        self.cell(w=self.width(text), h=0, text=text)

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
