"""The learner's transcript: a portrait Letter table of every certificate, with contact
hours totalled per year of completion and overall, over as many pages as needed.

Tagging: the title is ``/H1``, the learner details ``/P``; the table is a ``/Table`` of
``/TR`` rows with ``/TH`` header cells and ``/TD`` data cells (subtotals and the total
included); the footnote is ``/P``. Rules, shading, the repeated header on continuation
pages and the "Page N of M" footers are artifacts. Which certificates count is decided by
``ceu.domain.credit``: the rows say so (``counts``) and the totals arrive computed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from fpdf.structure_tree import StructElem

from ceu.certificates.pdf.document import GOLD, INK, MUTED, NAVY, RULE, SHADE, Document
from ceu.certificates.pdf.formatting import long_date
from ceu.domain.credit import HoursEarned


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
LEFT = 54.0
TABLE_W = sum(c[1] for c in _COLUMNS)
NOTE = (
    "Hours are contact hours (clock hours). Totals count valid certificates only: "
    "revoked and superseded certificates are listed but not counted."
)


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
) -> bytes:
    """A portrait Letter transcript of `rows`, with the totals of `hours`."""
    pdf = Document(
        orientation="portrait",
        texts=[learner_name, credential, license_number, license_state, provider_name]
        + [r.course_title for r in rows],
        created_on=generated_on,
        title=f"Continuing education transcript: {learner_name}",
        author=provider_name,
        subject=f"Contact hours earned by {learner_name}, as of {long_date(generated_on)}",
    )
    pdf.add_page()
    licence = _licence(credential, license_number, license_state)
    y = _draw_heading(pdf, provider_name, learner_name, licence, generated_on)
    table = _Table(pdf, y)
    _draw_rows(table, rows, hours)
    if not rows:
        y = table.room(16)
        with pdf.tag("P"):
            pdf.use("sans", "", 8.5, MUTED)
            pdf.line_at("No certificates yet.", LEFT, y + 6)
        table.y += 16
    y = table.room(30)
    with pdf.tag("P"):
        pdf.use("sans", "", 7.5, MUTED)
        for line in pdf.wrap(NOTE, TABLE_W):
            pdf.line_at(line, LEFT, y + 10)
            y += 10
    _draw_pagination(pdf, learner_name)
    return pdf.render()


def _licence(credential: str, license_number: str, license_state: str) -> str:
    licence = ", ".join(
        p for p in (credential, license_number and f"License No. {license_number}") if p
    )
    if license_state:
        licence = f"{licence} ({license_state})" if licence else f"Licensed in {license_state}"
    return licence or "—"


def _draw_heading(
    pdf: Document, provider_name: str, learner_name: str, licence: str, generated_on: date
) -> float:
    with pdf.tag("P"):
        pdf.use("serif", "B", 12, NAVY)
        pdf.line_at(provider_name, LEFT, 50)
    with pdf.tag("H1"):
        pdf.use("serif", "B", 20, NAVY)
        pdf.line_at("Continuing Education Transcript", LEFT, 68)
    with pdf.artifact():
        pdf.set_draw_color(*GOLD)
        pdf.set_line_width(1)
        pdf.line(LEFT, 96, LEFT + TABLE_W, 96)
    details = [
        ("Learner", learner_name),
        ("Credential and license", licence),
        ("Generated", long_date(generated_on)),
    ]
    y = 106.0
    for label, value in details:
        with pdf.tag("P"):
            pdf.use("sans", "B", 9, MUTED)
            pdf.line_at(f"{label}:", LEFT, y)
            pdf.use("sans", "", 9, INK)
            for line in pdf.wrap(value, TABLE_W - 130):
                pdf.line_at(line, LEFT + 130, y)
                y += 13
    return y + 10


def _draw_rows(table: _Table, rows: Sequence[TranscriptRow], hours: HoursEarned) -> None:
    by_year: dict[int, list[TranscriptRow]] = {}
    for row in sorted(rows, key=lambda r: (r.completion_date, r.certificate_number)):
        by_year.setdefault(row.completion_date.year, []).append(row)
    pdf = table.pdf
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
            table.row(cells, height, color=INK if row.counts else MUTED)
        subtotal = ([""], [f"Total for {year}"], [""], [f"{hours.in_year(year):.2f}"], [""])
        table.row(subtotal, 18, style="B", shade=True)
    total = ([""], ["Total, all years"], [""], [f"{hours.total:.2f}"], [""])
    table.row(total, 22, style="B", shade=True, strong=True)


def _draw_pagination(pdf: Document, learner_name: str) -> None:
    total_pages = pdf.page
    for page in range(1, total_pages + 1):
        pdf.page = page
        with pdf.artifact("Pagination"):
            pdf.use("sans", "", 7.5, MUTED)
            pdf.line_at(f"{learner_name}  ·  CE transcript", LEFT, pdf.h - 48)
            pdf.line_at(f"Page {page} of {total_pages}", LEFT, pdf.h - 48, align="R", box=TABLE_W)


class _Table:
    """The tagged table, continued on new pages (with an untagged repeated header)."""

    def __init__(self, pdf: Document, y: float) -> None:
        self.pdf = pdf
        self.bottom = pdf.h - 66
        self.element = pdf.group("Table")
        self.y = _table_header(pdf, self.element, LEFT, y, tagged=True)

    def room(self, needed: float) -> float:
        """The y where `needed` points fit, on a new page if this one is full."""
        if self.y + needed > self.bottom:
            self.pdf.add_page()
            self.element = self.pdf.group("Table")
            self.y = _table_header(self.pdf, self.element, LEFT, 54.0, tagged=False)
        return self.y

    def row(
        self,
        cells: Sequence[Sequence[str]],
        height: float,
        *,
        style: str = "",
        shade: bool = False,
        strong: bool = False,
        color: tuple[int, int, int] = INK,
    ) -> None:
        y = self.room(height + 2)
        _table_row(self.pdf, self.element, LEFT, y, height, cells, style=style, shade=shade,
                   strong=strong, color=color)  # fmt: skip
        self.y += height


def _table_header(
    pdf: Document, table: StructElem, left: float, y: float, *, tagged: bool
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
    pdf: Document,
    table: StructElem,
    left: float,
    y: float,
    height: float,
    cells: Sequence[Sequence[str]],
    *,
    style: str,
    cell_tag: str = "TD",
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
