"""Many certificates in one ZIP: safe, unique names and fixed timestamps."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable

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
