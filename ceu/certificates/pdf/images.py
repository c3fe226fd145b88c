"""The images on a certificate: the verification QR code and the signatory's signature."""

from __future__ import annotations

import base64
import binascii
import io

import segno
from PIL import Image

from ceu.domain.certificates import MAX_SIGNATURE_BYTES, MAX_SIGNATURE_PIXELS, SIGNATURE_RULE

QR_MODULE_PX = 4  # pixels per QR module in the embedded image
QR_BORDER = 4  # quiet zone, in modules (the QR standard's minimum)


def qr_image(url: str) -> Image.Image:
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


def signature_image(b64: str) -> Image.Image:
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
        signature_image(b64)
    except (OSError, Image.DecompressionBombError) as exc:  # corrupt or hostile PNG
        raise ValueError("signature image could not be read as a PNG") from exc
