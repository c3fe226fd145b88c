"""The certificate as a frozen record: what was true at issue time, hashed, never re-derived."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import uuid
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from enum import StrEnum

# The provider's signature image, uploaded once and drawn on every certificate.
MAX_SIGNATURE_BYTES = 200_000
MAX_SIGNATURE_SIDE = 2000  # pixels: at most this many pixels in all, as a square
MAX_SIGNATURE_PIXELS = MAX_SIGNATURE_SIDE * MAX_SIGNATURE_SIDE
SIGNATURE_RULE = (
    f"a PNG image of at most {MAX_SIGNATURE_BYTES // 1000} kB"
    f" and {MAX_SIGNATURE_SIDE} × {MAX_SIGNATURE_SIDE} pixels"
)


class CertificateStatus(StrEnum):
    VALID = "valid"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"


@dataclass(frozen=True)
class ApprovalStatement:
    """One board's approval, as the provider typed it (the software invents none)."""

    board: str
    number: str
    statement: str


@dataclass(frozen=True)
class CertificateRecord:
    """Everything a certificate shows. The PDF, HTML and credential are built from this alone."""

    certificate_number: str
    verification_code: str
    verify_url: str
    learner_name: str
    credential: str
    license_number: str
    license_state: str
    course_title: str
    course_slug: str
    course_version: str
    contact_hours: float
    completion_date: date
    issue_date: date
    provider_name: str
    approval_statements: tuple[ApprovalStatement, ...]
    signatory_name: str
    signatory_title: str
    signature_image_png_b64: str = ""  # optional; empty when the provider uploaded none
    supersedes_number: str = ""  # the certificate this one corrects, if any
    learner_email_hash: str = field(default="")  # sha256 of the e-mail, for the credential
    learner_attestation: str = ""  # what the learner attested before the evaluation
    attested_at: str = ""  # when (ISO 8601, UTC); empty for certificates issued before

    def to_json(self) -> dict[str, object]:
        """Plain JSON-ready form, with dates as ISO strings."""
        data = asdict(self)
        data["completion_date"] = self.completion_date.isoformat()
        data["issue_date"] = self.issue_date.isoformat()
        data["approval_statements"] = [asdict(a) for a in self.approval_statements]
        return data

    @classmethod
    def from_json(cls, data: dict[str, object]) -> CertificateRecord:
        values = dict(data)
        values["completion_date"] = date.fromisoformat(str(values["completion_date"]))
        values["issue_date"] = date.fromisoformat(str(values["issue_date"]))
        values["approval_statements"] = tuple(
            ApprovalStatement(**a)  # type: ignore[arg-type]
            for a in values["approval_statements"]  # type: ignore[union-attr]
        )
        values["contact_hours"] = float(values["contact_hours"])  # type: ignore[arg-type]
        return cls(**values)  # type: ignore[arg-type]


def record_hash(record: CertificateRecord) -> str:
    """SHA-256 over canonical JSON: any change to any field changes the hash."""
    canonical = json.dumps(
        record.to_json(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def new_verification_code() -> str:
    """128 random bits, URL-safe (22 characters); unguessable, so verification can be public."""
    return secrets.token_urlsafe(16)


VERIFICATION_CODE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def is_plausible_code(code: str) -> bool:
    """Cheap shape check before touching the database."""
    return bool(VERIFICATION_CODE.match(code))


def format_certificate_number(year: int, sequence: int) -> str:
    """Sequential per year: 2026-000042."""
    return f"{year}-{sequence:06d}"


def email_hash(email: str, salt: str) -> str:
    """Open Badges `identifier` style: sha256$hex of the salted, lower-cased address."""
    digest = hashlib.sha256((email.strip().lower() + salt).encode("utf-8")).hexdigest()
    return f"sha256${digest}"


# A fixed namespace for learners' credentialSubject ids (uuid5 over it, below).
LEARNER_NAMESPACE = uuid.UUID("6f1e9a52-4c1b-5d3e-9a7e-2b8c0d4f1a63")


def learner_subject_id(user_id: int, created_at: datetime) -> str:
    """A stable per-learner URN for credentialSubject.id (and the JWT `sub`): the same for
    every credential of the learner, revealing neither the e-mail nor, by itself, the id."""
    return f"urn:uuid:{uuid.uuid5(LEARNER_NAMESPACE, f'{user_id}:{created_at.isoformat()}')}"
