"""Certificate, transcript and ZIP rendering: read back with pypdf, no app, no database."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import logging
import os
import re
import shutil
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import segno
from PIL import Image, ImageDraw
from pypdf import PdfReader
from pypdf.generic import ContentStream, DictionaryObject

from ceu.certificates.pdf import (
    TranscriptRow,
    certificates_zip,
    contact_hours_phrase,
    format_hours,
    long_date,
    render_certificate_pdf,
    render_transcript_pdf,
    safe_pdf_name,
)
from ceu.certificates.pdf.images import QR_BORDER, QR_MODULE_PX
from ceu.domain import credit
from ceu.domain.certificates import ApprovalStatement, CertificateRecord

LONG_NAME = (  # 90 characters
    "Maximiliana Alexandra Konstantinopoulou-Wolfeschlegelsteinhausen de la Cruz y Montoya Ruiz"
)
LONG_TITLE = (  # 120 characters
    "Advanced Clinical Supervision: Integrating Trauma-Informed, Culturally Responsive and "
    "Ethically Grounded Practices Today"
)
NBCC = ApprovalStatement(
    board="NBCC",
    number="7012",
    statement=(
        "Northwind Counseling Education Institute has been approved by NBCC as an Approved "
        "Continuing Education Provider, ACEP No. 7012. Programs that do not qualify for NBCC "
        "credit are clearly identified. Northwind Counseling Education Institute is solely "
        "responsible for all aspects of the programs."
    ),
)
TEXAS = ApprovalStatement(
    board="Texas Behavioral Health Executive Council",
    number="CE-2291",
    statement=(
        "This course is accepted by the Texas State Board of Examiners of Professional "
        "Counselors for 2.25 hours of continuing education credit, including 2.25 hours of ethics."
    ),
)


def signature_png_b64(size: tuple[int, int] = (400, 100)) -> str:
    image = Image.new("RGBA", size, (255, 255, 255, 0))
    ImageDraw.Draw(image).line(
        [(10, 70), (60, 20), (90, 80), (140, 30), (200, 75), (390, 60)],
        fill=(20, 30, 90, 255),
        width=5,
    )
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def make_record(**overrides: Any) -> CertificateRecord:
    values: dict[str, Any] = {
        "certificate_number": "2026-000042",
        "verification_code": "Qx7vB2mN9pLk4TzR8sWc1A",
        "verify_url": "https://ce.example.org/verify/Qx7vB2mN9pLk4TzR8sWc1A",
        "learner_name": "Zoë Ångström-Núñez",
        "credential": "LPC",
        "license_number": "LPC-0048213",
        "license_state": "TX",
        "course_title": "Ethics and Boundaries in Telehealth Counseling",
        "course_slug": "ethics-telehealth",
        "course_version": "3.1",
        "contact_hours": 2.25,
        "completion_date": date(2026, 11, 22),
        "issue_date": date(2026, 11, 23),
        "provider_name": "Northwind Counseling Education Institute",
        "approval_statements": (NBCC, TEXAS),
        "signatory_name": "Dr. Miriam K. Okafor, PhD, LPC-S",
        "signatory_title": "Director of Continuing Education",
    }
    values.update(overrides)
    return CertificateRecord(**values)


def words(text: str) -> str:
    return " ".join(text.split())


def pdf_text(data: bytes) -> str:
    return words(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


def struct_elements(reader: PdfReader) -> list[DictionaryObject]:
    """Every structure element, depth first, in reading order."""
    found: list[DictionaryObject] = []

    def walk(node: Any) -> None:
        node = node.get_object()
        if isinstance(node, DictionaryObject) and node.get("/Type") == "/StructElem":
            found.append(node)
        kids = node.get("/K") if isinstance(node, DictionaryObject) else None
        if kids is None:
            return
        for kid in kids if isinstance(kids, list) else [kids]:
            if not isinstance(kid, int):
                walk(kid)

    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    return found


@pytest.fixture(scope="module")
def certificate() -> bytes:
    return render_certificate_pdf(make_record(signature_image_png_b64=signature_png_b64()))


@pytest.fixture(scope="module")
def certificate_text(certificate: bytes) -> str:
    return pdf_text(certificate)


# --------------------------------------------------------------------------- content


@pytest.mark.parametrize(
    "expected",
    [
        "Northwind Counseling Education Institute",
        "Certificate of Completion",
        "This certifies that",
        "Zoë Ångström-Núñez",
        "LPC",
        "License No. LPC-0048213 (TX)",
        "has completed",
        "Ethics and Boundaries in Telehealth Counseling",
        "Course version 3.1",
        "2.25 contact hours (clock hours)",
        "Completed November 22, 2026",
        "Issued November 23, 2026",
        "Certificate No. 2026-000042",
        "NBCC, Approval No. 7012.",
        words(NBCC.statement),
        "Texas Behavioral Health Executive Council, Approval No. CE-2291.",
        words(TEXAS.statement),
        "Dr. Miriam K. Okafor, PhD, LPC-S",
        "Director of Continuing Education",
        "Verify at https://ce.example.org/verify/Qx7vB2mN9pLk4TzR8sWc1A",
        "Verification code: Qx7vB2mN9pLk4TzR8sWc1A",
    ],
)
def test_certificate_shows_every_field(certificate_text: str, expected: str) -> None:
    assert expected in certificate_text


def test_certificate_is_one_landscape_letter_page(certificate: bytes) -> None:
    reader = PdfReader(io.BytesIO(certificate))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == (792, 612)


def test_certificate_embeds_truetype_fonts(certificate: bytes) -> None:
    fonts = PdfReader(io.BytesIO(certificate)).pages[0]["/Resources"]["/Font"]
    assert len(fonts) >= 2
    for ref in fonts.values():
        font = ref.get_object()
        assert font["/Subtype"] == "/Type0"
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor, f"{font['/BaseFont']} is not embedded"
        assert len(descriptor["/FontFile2"].get_object().get_data()) > 1000


def test_certificate_metadata(certificate: bytes) -> None:
    reader = PdfReader(io.BytesIO(certificate))
    info = reader.metadata
    assert info.title == "Certificate of Completion: Ethics and Boundaries in Telehealth Counseling"
    assert info.author == "Northwind Counseling Education Institute"
    assert "2026-000042" in info.subject
    assert "Zoë Ångström-Núñez" in info.subject
    assert info["/CreationDate"].startswith("D:20261123000000")
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en-US"
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])


def test_certificate_hours_are_singular_for_one_hour() -> None:
    text = pdf_text(render_certificate_pdf(make_record(contact_hours=1.0)))
    assert "1 contact hour (clock hour)" in text


@pytest.mark.parametrize(
    ("hours", "expected"),
    [(2.25, "2.25"), (3.0, "3"), (1.5, "1.5"), (0.75, "0.75"), (12.0, "12")],
)
def test_format_hours(hours: float, expected: str) -> None:
    assert format_hours(hours) == expected
    assert contact_hours_phrase(hours).startswith(f"{expected} contact hour")


def test_long_date_is_written_out() -> None:
    assert long_date(date(2026, 11, 22)) == "November 22, 2026"
    assert long_date(date(2027, 1, 5)) == "January 5, 2027"


# --------------------------------------------------------------------------- determinism


def test_same_record_gives_identical_bytes(certificate: bytes) -> None:
    again = render_certificate_pdf(make_record(signature_image_png_b64=signature_png_b64()))
    assert again == certificate


def test_same_record_gives_identical_bytes_in_a_fresh_process(certificate: bytes) -> None:
    code = (
        "import hashlib, sys\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from test_pdf import make_record, signature_png_b64\n"
        "from ceu.certificates.pdf import render_certificate_pdf\n"
        "pdf = render_certificate_pdf(make_record(signature_image_png_b64=signature_png_b64()))\n"
        "print(hashlib.sha256(pdf).hexdigest())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == hashlib.sha256(certificate).hexdigest()


@pytest.mark.parametrize(
    "change",
    [
        {"learner_name": "Zoe Angstrom-Nunez"},
        {"certificate_number": "2026-000043"},
        {"issue_date": date(2026, 11, 24)},
        {"contact_hours": 2.5},
        {"verify_url": "https://ce.example.org/verify/AAAAAAAAAAAAAAAAAAAAAA"},
    ],
)
def test_different_record_gives_different_bytes(certificate: bytes, change: dict) -> None:
    record = make_record(signature_image_png_b64=signature_png_b64(), **change)
    assert render_certificate_pdf(record) != certificate


# --------------------------------------------------------------------------- QR code


def embedded_images(data: bytes, page: int = 0) -> list[Image.Image]:
    return [img.image for img in PdfReader(io.BytesIO(data)).pages[page].images]


def expected_qr_pixels(url: str) -> Image.Image:
    """The QR matrix segno computes for `url`, drawn here independently of the renderer."""
    matrix = segno.make(url, error="m", micro=False, boost_error=False).matrix
    n = len(matrix) + 2 * QR_BORDER
    scale = QR_MODULE_PX
    image = Image.new("L", (n * scale, n * scale), 255)
    draw = ImageDraw.Draw(image)
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                x, y = (c + QR_BORDER) * scale, (r + QR_BORDER) * scale
                draw.rectangle([x, y, x + scale - 1, y + scale - 1], fill=0)
    return image


def test_qr_code_is_exactly_the_verify_url(certificate: bytes) -> None:
    url = make_record().verify_url
    expected = expected_qr_pixels(url)
    matches = [
        img
        for img in embedded_images(certificate)
        if img.size == expected.size and img.convert("L").tobytes() == expected.tobytes()
    ]
    assert len(matches) == 1


@pytest.mark.skipif(
    not (shutil.which("pdftoppm") and shutil.which("zbarimg"))
    and not os.environ.get("CEU_REQUIRE_BROWSER"),  # .ci/run installs both and sets this
    reason="needs poppler-utils and zbar-tools (apt-get install poppler-utils zbar-tools)",
)
def test_qr_code_scans_from_the_printed_page(certificate: bytes, tmp_path: Path) -> None:
    (tmp_path / "certificate.pdf").write_bytes(certificate)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", "certificate.pdf", "page"], cwd=tmp_path, check=True
    )
    scanned = subprocess.run(
        ["zbarimg", "--quiet", "--raw", "page-1.png"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert scanned.stdout.strip() == make_record().verify_url


def test_qr_code_changes_with_the_url() -> None:
    url = "https://ce.example.org/verify/ZZZZZZZZZZZZZZZZZZZZZZ"
    images = embedded_images(render_certificate_pdf(make_record(verify_url=url)))
    expected = expected_qr_pixels(url).tobytes()
    assert [img.convert("L").tobytes() == expected for img in images] == [True]


def test_qr_code_has_alt_text(certificate: bytes) -> None:
    figures = [
        e for e in struct_elements(PdfReader(io.BytesIO(certificate))) if e["/S"] == "/Figure"
    ]
    alts = [str(f.get("/Alt", "")) for f in figures]
    assert any(make_record().verify_url in alt and "QR code" in alt for alt in alts)


# --------------------------------------------------------------------------- tagging


def test_certificate_is_tagged_in_reading_order(certificate: bytes) -> None:
    reader = PdfReader(io.BytesIO(certificate))
    assert bool(reader.trailer["/Root"]["/MarkInfo"]["/Marked"])
    elements = struct_elements(reader)
    types = [e["/S"] for e in elements]
    assert types.count("/H1") == 1
    assert types.count("/Figure") == 2  # signature and QR code
    assert types.count("/P") >= 10
    assert types[:3] == ["/Document", "/P", "/H1"]  # provider, then the heading


def test_every_text_run_is_tagged_or_an_artifact(certificate: bytes) -> None:
    """Screen readers skip untagged text in a tagged PDF: nothing may be left out."""
    reader = PdfReader(io.BytesIO(certificate))
    page = reader.pages[0]
    content = ContentStream(page.get_contents(), reader)
    depth, mcids, untagged = 0, [], 0
    for operands, operator in content.operations:
        if operator in (b"BDC", b"BMC"):
            depth += 1
            if operator == b"BDC" and "/MCID" in operands[1]:
                mcids.append(int(operands[1]["/MCID"]))
        elif operator == b"EMC":
            depth -= 1
        elif operator in (b"Tj", b"TJ", b"Do", b"re", b"l", b"c") and depth == 0:
            untagged += 1
    assert untagged == 0
    assert depth == 0
    assert mcids == list(range(len(mcids)))
    # The parent tree maps each MCID on the page back to its structure element.
    parents = reader.trailer["/Root"]["/StructTreeRoot"]["/ParentTree"]["/Nums"]
    index = parents.index(page["/StructParents"])
    assert len(parents[index + 1]) == len(mcids)


def test_wrapped_lines_keep_the_space_between_words(certificate: bytes) -> None:
    """Assistive technology reads the shown strings back to back: a wrapped line must not
    glue its last word to the next line's first."""
    chunks: list[str] = []
    PdfReader(io.BytesIO(certificate)).pages[0].extract_text(
        visitor_text=lambda text, *_: chunks.append(text)
    )
    shown = "".join(chunk.replace("\n", "") for chunk in chunks)
    assert NBCC.statement in shown
    assert TEXAS.statement in shown
    assert "LPC-S Director of Continuing Education" in shown


# --------------------------------------------------------------------------- edge cases


@pytest.mark.parametrize(
    "name",
    [
        "Zoë Ångström-Núñez",
        "Łukasz Żółć",
        "Nguyễn Thị Minh Khai",
        "Ελένη Παπαδοπούλου",
        "Анна Кузнецова",
    ],
)
def test_unicode_names_render_without_missing_glyphs(
    name: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        data = render_certificate_pdf(make_record(learner_name=name))
    assert name in pdf_text(data)
    assert not [r for r in caplog.records if "glyph" in r.getMessage().lower()]


def test_decomposed_unicode_is_composed() -> None:
    decomposed = "Zoe\u0308 A\u030angstro\u0308m"
    assert "Zoë Ångström" in pdf_text(render_certificate_pdf(make_record(learner_name=decomposed)))


def text_runs(data: bytes, page: int = 0) -> list[tuple[str, float, float]]:
    runs: list[tuple[str, float, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], *_: Any) -> None:
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            runs.append((text.strip(), x, y))

    PdfReader(io.BytesIO(data)).pages[page].extract_text(visitor_text=visit)
    return runs


def test_long_name_and_title_wrap_within_the_page() -> None:
    assert len(LONG_NAME) == 90
    assert len(LONG_TITLE) == 120
    data = render_certificate_pdf(
        make_record(learner_name=LONG_NAME, course_title=LONG_TITLE, supersedes_number="2026-1")
    )
    assert len(PdfReader(io.BytesIO(data)).pages) == 1
    text = pdf_text(data)
    assert LONG_NAME in text  # wrapped or shrunk, never cut
    assert LONG_TITLE in text
    runs = text_runs(data)
    assert runs
    for fragment, x, y in runs:
        assert 32 <= x <= 760, fragment
        assert 32 <= y <= 580, fragment
    # Name and title lines are centred: a left edge inside the content box means the
    # right edge is inside it too.
    for fragment, x, _ in runs:
        if fragment in LONG_NAME or fragment in LONG_TITLE:
            assert x >= 70, fragment


def test_very_long_approvals_continue_on_a_second_page() -> None:
    statements = tuple(
        ApprovalStatement(f"Board {i}", f"N-{i}", words(NBCC.statement) * 2) for i in range(12)
    )
    data = render_certificate_pdf(make_record(approval_statements=statements))
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) >= 2
    assert all(float(p.mediabox.width) == 792 for p in reader.pages)
    assert "Approval statements continue on page 2" in words(reader.pages[0].extract_text())
    text = pdf_text(data)
    for statement in statements:
        assert f"{statement.board}, Approval No. {statement.number}." in text


def test_superseding_certificate_names_the_one_it_corrects() -> None:
    data = render_certificate_pdf(make_record(supersedes_number="2026-000041"))
    assert "This certificate corrects certificate 2026-000041" in pdf_text(data)


def test_no_correction_note_on_an_original(certificate_text: str) -> None:
    assert "corrects certificate" not in certificate_text


def test_signature_image_is_embedded_with_alt_text(certificate: bytes) -> None:
    sizes = [img.size for img in embedded_images(certificate)]
    assert (400, 100) in sizes
    figures = [
        e for e in struct_elements(PdfReader(io.BytesIO(certificate))) if e["/S"] == "/Figure"
    ]
    assert "Signature of Dr. Miriam K. Okafor, PhD, LPC-S" in [str(f["/Alt"]) for f in figures]


def test_without_a_signature_image_only_the_qr_code_is_embedded() -> None:
    assert len(embedded_images(render_certificate_pdf(make_record()))) == 1


@pytest.mark.parametrize(
    "bad",
    ["not base64!", base64.b64encode(b"GIF89a not a png").decode()],
)
def test_invalid_signature_image_is_a_clear_error(bad: str) -> None:
    with pytest.raises(ValueError, match="signature image"):
        render_certificate_pdf(make_record(signature_image_png_b64=bad))


# --------------------------------------------------------------------------- transcript


def transcript_row(number: str, title: str, day: date, hours: float, status: str) -> TranscriptRow:
    return TranscriptRow(number, title, day, hours, status, counts=False)


def sample_rows() -> list[TranscriptRow]:
    return [
        transcript_row("2025-000010", "Suicide Risk Assessment", date(2025, 3, 2), 3.0, "valid"),
        transcript_row("2025-000020", "Ethics Refresher", date(2025, 9, 14), 1.5, "valid"),
        transcript_row("2025-000030", "Revoked Course", date(2025, 10, 1), 6.0, "revoked"),
        transcript_row("2026-000001", "Telehealth Basics", date(2026, 1, 5), 2.25, "superseded"),
        transcript_row("2026-000002", "Telehealth Basics", date(2026, 1, 5), 2.25, "valid"),
        transcript_row("2026-000042", "Ethics and Boundaries", date(2026, 11, 22), 2.25, "valid"),
    ]


def transcript_kwargs(rows: list[TranscriptRow]) -> dict[str, Any]:
    """The renderer's arguments, with the hours that count decided by ceu.domain.credit."""
    hours = credit.hours_earned(
        credit.Credit(i, i, r.status, r.contact_hours, r.completion_date)
        for i, r in enumerate(rows)
    )
    rows = [dataclasses.replace(r, counts=hours.counts(i)) for i, r in enumerate(rows)]
    return {
        "hours": hours,
        "learner_name": "Zoë Ångström-Núñez",
        "credential": "LPC",
        "license_number": "LPC-0048213",
        "license_state": "TX",
        "provider_name": "Northwind Counseling Education Institute",
        "generated_on": date(2026, 11, 23),
        "rows": rows,
    }


def test_transcript_totals_per_year_and_overall() -> None:
    data = render_transcript_pdf(**transcript_kwargs(sample_rows()))
    text = pdf_text(data)
    assert "Total for 2025 4.50" in text  # the revoked 6 hours do not count
    assert "Total for 2026 4.50" in text  # the superseded certificate does not count
    assert "Total, all years 9.00" in text
    for row in sample_rows():
        assert row.certificate_number in text
    for expected in ("Zoë Ångström-Núñez", "LPC, License No. LPC-0048213 (TX)", "Revoked"):
        assert expected in text
    assert "Generated: November 23, 2026" in text


def test_transcript_is_portrait_letter_and_tagged_as_a_table() -> None:
    reader = PdfReader(io.BytesIO(render_transcript_pdf(**transcript_kwargs(sample_rows()))))
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == (612, 792)
    types = [e["/S"] for e in struct_elements(reader)]
    assert types.count("/Table") == 1
    assert types.count("/TH") == 5
    assert types.count("/TR") == 1 + len(sample_rows()) + 2 + 1  # header, rows, years, total
    assert types.count("/TD") == 5 * (len(sample_rows()) + 3)


def test_transcript_with_sixty_rows_runs_over_several_pages() -> None:
    rows = [
        transcript_row(
            f"{2024 + i % 3}-{i:06d}",
            f"Course {i}: " + ("a long title that wraps onto a second line " * (i % 3)),
            date(2024 + i % 3, 1 + i % 12, 1 + i % 28),
            1.0 + (i % 4) * 0.25,
            "valid",
        )
        for i in range(60)
    ]
    data = render_transcript_pdf(**transcript_kwargs(rows))
    reader = PdfReader(io.BytesIO(data))
    pages = len(reader.pages)
    assert pages >= 2
    text = pdf_text(data)
    for row in rows:
        assert row.certificate_number in text
    for year in (2024, 2025, 2026):
        total = sum(r.contact_hours for r in rows if r.completion_date.year == year)
        assert f"Total for {year} {total:.2f}" in text
    assert f"Total, all years {sum(r.contact_hours for r in rows):.2f}" in text
    assert f"Page 1 of {pages}" in text
    assert f"Page {pages} of {pages}" in text
    for page in reader.pages:
        assert "Certificate No. Course Completed Hours Status" in words(page.extract_text())
    for page_number in range(pages):
        for fragment, x, y in text_runs(data, page_number):
            assert 36 <= x <= 576, fragment
            assert 36 <= y <= 756, fragment


def test_empty_transcript_says_so() -> None:
    text = pdf_text(render_transcript_pdf(**transcript_kwargs([])))
    assert "No certificates yet." in text
    assert "Total, all years 0.00" in text


def test_transcript_is_deterministic() -> None:
    kwargs = transcript_kwargs(sample_rows())
    assert render_transcript_pdf(**kwargs) == render_transcript_pdf(**kwargs)
    changed = dataclasses.replace(sample_rows()[0], contact_hours=3.25)
    assert render_transcript_pdf(**kwargs) != render_transcript_pdf(
        **transcript_kwargs([changed, *sample_rows()[1:]])
    )


# --------------------------------------------------------------------------- zip


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("2026-000042.pdf", "2026-000042.pdf"),
        ("../../etc/passwd", "passwd.pdf"),
        ("C:\\Windows\\evil.pdf", "evil.pdf"),
        ("Zoë Ångström-Núñez 2026.pdf", "Zoe_Angstrom-Nunez_2026.pdf"),
        (".hidden", "hidden.pdf"),
        ("", "certificate.pdf"),
        ("////", "certificate.pdf"),
        ("a" * 300, "a" * 96 + ".pdf"),
    ],
)
def test_safe_pdf_name(name: str, expected: str) -> None:
    assert safe_pdf_name(name) == expected


def test_zip_contains_every_pdf_under_a_safe_unique_name(certificate: bytes) -> None:
    files = [
        ("2026-000042 Zoë.pdf", certificate),
        ("../2026-000042 Zoë.pdf", b"%PDF-second"),
        ("nested/dir/other.pdf", b"%PDF-third"),
    ]
    data = certificates_zip(files)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert names == ["2026-000042_Zoe.pdf", "2026-000042_Zoe-2.pdf", "other.pdf"]
        assert archive.read(names[0]) == certificate
        assert archive.read(names[1]) == b"%PDF-second"
        for info in archive.infolist():
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert re.fullmatch(r"[A-Za-z0-9._-]+\.pdf", info.filename)
    assert certificates_zip(files) == data  # deterministic
