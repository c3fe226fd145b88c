"""Every name prints: Latin with diacritics, Greek, Cyrillic, CJK, Hangul, Arabic and Hebrew
(right to left, shaped) and Devanagari, on the certificate (centred) and the transcript,
with the fonts embedded and the PDF still tagged. Read back with poppler's pdftotext."""

from __future__ import annotations

import html
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from ceu.certificates.pdf import (
    FONT_PACKAGES,
    TranscriptRow,
    missing_fallbacks,
    render_certificate_pdf,
    render_transcript_pdf,
)
from ceu.domain.credit import HoursEarned
from tests.certificates.test_pdf import make_record

NAMES = {
    "latin": "Zoë Ångström-Núñez",
    "greek": "Αλέξανδρος Παπαδόπουλος",
    "cyrillic": "Анна Кузнецова",
    "chinese": "李小龍",
    "korean": "김민준",
    "arabic": "محمد علي",
    "hebrew": "דוד כהן",
    "devanagari": "अर्जुन शर्मा",
}
LINE = re.compile(r'<line xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"[^>]*>(.*?)</line>', re.S)
WORD = re.compile(r"<word[^>]*>(.*?)</word>", re.S)


def compact(text: str) -> str:
    """Text without whitespace or bidi controls: pdftotext puts a space inside some shaped
    Devanagari clusters and wraps right-to-left runs in embedding marks."""
    return "".join(c for c in text if not c.isspace() and c not in "\u202a\u202b\u202c")


def pdftotext(data: bytes, tmp_path, *options: str) -> str:
    assert shutil.which("pdftotext"), "pdftotext missing: install poppler-utils (.ci/run)"
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", *options, "-f", "1", "-l", "1", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout


def lines_of(data: bytes, tmp_path) -> list[tuple[float, float, str]]:
    """Each line's horizontal extent and text, in the order the glyphs sit on the page
    (so right-to-left text reads reversed here)."""
    out = pdftotext(data, tmp_path, "-bbox-layout")
    return [
        (float(x0), float(x1), " ".join(html.unescape(w) for w in WORD.findall(body)))
        for x0, x1, body in LINE.findall(out)
    ]


def test_the_fallback_fonts_are_installed() -> None:
    assert missing_fallbacks() == [], (
        f"install the Debian packages {' '.join(FONT_PACKAGES)} (debian-packages.txt)"
    )


@pytest.mark.parametrize("script", list(NAMES))
def test_certificate_prints_the_name_centred(script: str, tmp_path) -> None:
    name = NAMES[script]
    data = render_certificate_pdf(make_record(learner_name=name))
    assert compact(name) in compact(pdftotext(data, tmp_path, "-layout")), name
    seen = (compact(name), compact(name)[::-1])  # logical order, or visual for RTL
    found = [(x0, x1) for x0, x1, text in lines_of(data, tmp_path) if compact(text) in seen]
    assert found, f"{name!r} not on a line of its own"
    x0, x1 = found[0]
    # within 6 pt of the page's centre line: poppler measures shaped text (Devanagari
    # marks) by the fonts' nominal widths, a few points off the shaped advances
    assert abs((x0 + x1) / 2 - 792 / 2) < 6, f"{name!r} is not centred: {x0}..{x1}"
    reader = PdfReader(io.BytesIO(data))
    assert "/StructTreeRoot" in reader.trailer["/Root"]
    for font in _fonts(reader):
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor or "/FontFile3" in descriptor, font["/BaseFont"]


@pytest.mark.parametrize("script", ["chinese", "arabic", "devanagari"])
def test_transcript_prints_the_name(script: str, tmp_path) -> None:
    name = NAMES[script]
    data = render_transcript_pdf(
        learner_name=name,
        credential="LPC",
        license_number="1",
        license_state="TX",
        provider_name="Provider",
        generated_on=make_record().issue_date,
        rows=[
            TranscriptRow("2026-000001", "Ethics", make_record().completion_date, 1, "valid", True)
        ],
        hours=HoursEarned(per_year={2026: 1.0}, total=1.0),
    )
    assert compact(name) in compact(pdftotext(data, tmp_path, "-layout"))


def _fonts(reader: PdfReader) -> list:
    fonts = reader.pages[0]["/Resources"]["/Font"]
    return [fonts[key].get_object() for key in fonts]


def test_the_font_packages_are_in_the_projects_debian_list() -> None:
    listed = {
        line.split("#")[0].strip()
        for line in (Path(__file__).resolve().parents[2] / "debian-packages.txt")
        .read_text()
        .splitlines()
    }
    assert set(FONT_PACKAGES) <= listed
