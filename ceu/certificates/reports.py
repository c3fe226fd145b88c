"""Helpers for the CSV files auditors and learners download."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from flask import Response


def spreadsheet_safe(value: str) -> str:
    """Never let a spreadsheet run a formula someone typed into a name or title."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def csv_download(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> Response:
    """A CSV attachment, UTF-8 with a byte-order mark (so Excel on Windows shows accented
    names right), every cell spreadsheet-safe."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([spreadsheet_safe(str(value)) for value in row])
    return Response(
        out.getvalue().encode("utf-8-sig"),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={filename}"},
    )
