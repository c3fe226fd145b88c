"""Certificate, transcript and ZIP rendering: pure functions over frozen dataclasses.

No Flask, no database: everything a document shows arrives as an argument, so the same
input always gives byte-identical output and every renderer is testable on its own.

Modules: ``fonts`` (faces and per-script fallbacks), ``document`` (tagging and text
helpers), ``certificate``, ``transcript``, ``images`` (QR code, signature), ``files``
(ZIP), ``formatting`` (dates, hours, licence lines).

Accessibility: both documents are tagged PDFs (``/MarkInfo /Marked true`` with a
``/StructTreeRoot``) in reading order, document language ``en-US``, a title viewers show
(``/DisplayDocTitle``), author (the provider) and subject. Not done: XMP metadata,
PDF/UA or PDF/A identification, ``/Lang`` on individual elements (names in other
scripts are not marked with their language), bookmarks.

Determinism: the creation date is the record's issue date (transcripts: the day they
are generated) at 00:00 UTC and fpdf2's ``/ID`` is a hash of the file, so the same input
gives the same bytes. Speed: fpdf2 parses and subsets the fonts for every document
(~100 ms); a certificate record is frozen and hashed, so the views cache its PDF by the
record hash and render each record once per process (``ceu.certificates.views``).
"""

from __future__ import annotations

from ceu.certificates.pdf.certificate import render_certificate_pdf
from ceu.certificates.pdf.files import certificates_zip, safe_pdf_name
from ceu.certificates.pdf.fonts import FONT_DIR, FONT_PACKAGES, missing_fallbacks
from ceu.certificates.pdf.formatting import (
    contact_hours_phrase,
    format_hours,
    license_phrase,
    long_date,
)
from ceu.certificates.pdf.images import check_signature_image, qr_matrix
from ceu.certificates.pdf.transcript import TranscriptRow, render_transcript_pdf

__all__ = [
    "FONT_DIR",
    "FONT_PACKAGES",
    "TranscriptRow",
    "certificates_zip",
    "check_signature_image",
    "contact_hours_phrase",
    "format_hours",
    "license_phrase",
    "long_date",
    "missing_fallbacks",
    "qr_matrix",
    "render_certificate_pdf",
    "render_transcript_pdf",
    "safe_pdf_name",
]
