"""The certificate of completion: one landscape Letter page, laid out from the frozen
record alone (a second page only when the approval statements cannot fit legibly).

Tagging: the heading "Certificate of Completion" is ``/H1``; every other text block
(provider, learner, credential and licence, course, hours, dates and number, correction
note, each approval statement, signatory, verification caption, revocation stamp) is a
``/P``; the QR code and the signature are ``/Figure`` with ``/Alt``; approval statements
that continue on page 2 come under an ``/H2``. Borders, rules and the seal are artifacts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from ceu.certificates.pdf.document import ALERT, GOLD, INK, MUTED, NAVY, Document
from ceu.certificates.pdf.formatting import (
    contact_hours_phrase,
    format_hours,
    license_phrase,
    long_date,
)
from ceu.certificates.pdf.images import qr_image, signature_image
from ceu.domain.certificates import CertificateRecord


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
    pdf: Document, runs: Sequence[tuple[str, str]], family: str, size: float, width: float
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
    pdf: Document, record: CertificateRecord, size: float, width: float
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
    pdf: Document, line: Sequence[tuple[str, str]], size: float, y: float
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


def _draw_border(pdf: Document) -> None:
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


def _draw_rule(pdf: Document, y: float) -> None:
    cx = pdf.w / 2
    with pdf.artifact():
        pdf.set_draw_color(*GOLD)
        pdf.set_line_width(0.8)
        pdf.line(cx - 110, y, cx - 9, y)
        pdf.line(cx + 9, y, cx + 110, y)
        pdf.set_fill_color(*GOLD)
        pdf.polygon([(cx, y - 4), (cx + 4, y), (cx, y + 4), (cx - 4, y)], style="F")


def _draw_seal(pdf: Document, record: CertificateRecord, cx: float, cy: float) -> None:
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


CONTENT_W = 640.0
FOOTER_TOP = 462.0


def record_texts(record: CertificateRecord) -> list[str]:
    """Every piece of text the certificate may print (to choose its fonts)."""
    texts = [
        record.learner_name,
        record.course_title,
        record.provider_name,
        record.signatory_name,
        record.signatory_title,
        license_phrase(record),
        record.course_version,
    ]
    for approval in record.approval_statements:
        texts += [approval.board, approval.number, approval.statement]
    return texts


def render_certificate_pdf(record: CertificateRecord, *, revoked_on: date | None = None) -> bytes:
    """The certificate of completion: one landscape Letter page (a second only if the
    approval statements cannot fit legibly on the first). With `revoked_on`, every page
    is stamped "REVOKED on <date>": the original, for the record, never a clean copy."""
    pdf = Document(
        orientation="landscape",
        texts=record_texts(record),
        created_on=record.issue_date,
        title=f"Certificate of Completion: {record.course_title}",
        author=record.provider_name,
        subject=(
            f"Certificate {record.certificate_number} for {record.learner_name}: "
            f"{contact_hours_phrase(record.contact_hours)}"
        ),
    )
    pdf.set_keywords(f"certificate {record.certificate_number} {record.verify_url}")
    pdf.add_page()
    _draw_border(pdf)
    _draw_header(pdf, record)
    overflow = _draw_middle(pdf, record)
    _draw_footer(pdf, record, FOOTER_TOP)
    if overflow:
        _draw_continuation(pdf, record, overflow)
    if revoked_on is not None:
        _stamp_revoked(pdf, revoked_on)
    return pdf.render()


def _draw_header(pdf: Document, record: CertificateRecord) -> None:
    left = (pdf.w - CONTENT_W) / 2
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
        pdf.line_at(lines[0], left, 50, align="C", box=CONTENT_W)
    with pdf.tag("H1"):
        pdf.use("serif", "B", 31, NAVY)
        pdf.line_at("Certificate of Completion", left, 72, align="C", box=CONTENT_W)
    _draw_rule(pdf, 118)


def _draw_middle(pdf: Document, record: CertificateRecord) -> list[_Approval]:
    """The flexible middle, spread over the room between header and footer; returns the
    approval statements that go to a continuation page."""
    left = (pdf.w - CONTENT_W) / 2
    top, bottom = 128.0, FOOTER_TOP - 8
    blocks, approvals, gap, overflow = _plan_middle(pdf, record, CONTENT_W, bottom - top)
    used = sum(b.height + b.space_before * gap for b in blocks) + _approvals_height(approvals)
    spare = max(0.0, (bottom - top) - used)
    y = top + min(spare * 0.35, 14)
    stretch = 1.0 + (min(spare * 0.65, 60) / max(1.0, sum(b.space_before for b in blocks)))
    for block in blocks:
        y += block.space_before * gap * stretch
        with pdf.tag(block.tag):
            pdf.use(block.family, block.style, block.size, block.color)
            for line in block.lines:
                pdf.line_at(line, left, y, align="C", box=CONTENT_W)
                y += block.size * block.leading
    if approvals:
        _draw_approvals(pdf, approvals, y + 8)
    return overflow


def _draw_continuation(
    pdf: Document, record: CertificateRecord, approvals: Sequence[_Approval]
) -> None:
    left = (pdf.w - CONTENT_W) / 2
    pdf.add_page()
    _draw_border(pdf)
    with pdf.tag("H2"):
        pdf.use("serif", "B", 18, NAVY)
        pdf.line_at("Approval statements", left, 56, align="C", box=CONTENT_W)
    with pdf.tag("P"):
        pdf.use("sans", "", 8.5, MUTED)
        pdf.line_at(
            f"Certificate No. {record.certificate_number}  ·  {record.learner_name}",
            left,
            82,
            align="C",
            box=CONTENT_W,
        )
    _draw_approvals(pdf, approvals, 108, page_bottom=pdf.h - 48)


def _stamp_revoked(pdf: Document, revoked_on: date) -> None:
    """A large red stamp across every page, tagged, so no page reads as valid."""
    stamp = f"REVOKED on {long_date(revoked_on)}"
    for page in range(1, pdf.page + 1):
        pdf.page = page
        with pdf.tag("P"), pdf.rotation(24, x=pdf.w / 2, y=pdf.h / 2):
            pdf.use("sans", "B", 46, ALERT)
            pdf.line_at(stamp, 0, pdf.h / 2 - 30, align="C", box=pdf.w)


_TIERS = (  # from generous to tight; the first whose content fits is used
    _Tier((30, 28, 26, 24, 22, 20, 18, 16, 14), (20, 19, 18, 17, 16, 15, 14), 7.6, 1.0),
    _Tier((26, 24, 22, 20, 18, 16, 14), (17, 16, 15, 14, 13), 7.0, 0.8),
    _Tier((22, 20, 18, 16, 14, 13), (15, 14, 13, 12), 6.5, 0.6),
    _Tier((18, 16, 15, 14, 13, 12), (13, 12, 11), 6.0, 0.45),
)


def _plan_middle(
    pdf: Document, record: CertificateRecord, width: float, available: float
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
    pdf: Document, record: CertificateRecord, tier: _Tier, width: float
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
    pdf: Document, approvals: Sequence[_Approval], y: float, page_bottom: float | None = None
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


def _draw_footer(pdf: Document, record: CertificateRecord, top: float) -> None:
    _draw_signature(pdf, record, top)
    _draw_seal(pdf, record, pdf.w / 2, top + 50)
    _draw_verification(pdf, record, top)


def _draw_signature(pdf: Document, record: CertificateRecord, top: float) -> None:
    """The signature image, the line and the signatory's name and title (left)."""
    line_y = top + 60
    sig_left, sig_w = 64.0, 230.0
    if record.signature_image_png_b64:
        image = signature_image(record.signature_image_png_b64)
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


def _draw_verification(pdf: Document, record: CertificateRecord, top: float) -> None:
    """The QR code (right) and its caption, right-aligned to the QR's left edge."""
    qr_size = 78.0
    qr_x, qr_y = pdf.w - 60 - qr_size, top + 14
    pdf.image(
        qr_image(record.verify_url),
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
