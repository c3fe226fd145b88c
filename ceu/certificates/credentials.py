"""Open Badges 3.0 credentials for certificates: build, sign (VC-JWT, RS256 or EdDSA),
verify, and the shared revocation list (W3C Bitstring Status List).

Plain functions over a frozen `CertificateRecord`: no Flask, no database. The caller passes
the base URLs and the signing key.

Spec sources (1EdTech Open Badges 3.0, repository 1EdTech/openbadges-specification):

- data model, appendix B.1 (AchievementCredential, AchievementSubject, Achievement,
  IdentityObject, CredentialStatus, AchievementType, IdentifierTypeEnum, DateTime/DateTimeZ);
- section 8.2 "JSON Web Token Proof Format" (`ob_v3p0/.../spec/integrity.md`): JOSE header,
  JWT payload claims, verification steps;
- implementation guide, "Key provenance" (`ob_v3p0/impl/recommended-practices.md`): keys are
  published as a JWK Set at `https://{authority}/.well-known/jwks.json`, the header `kid`
  names a key of that set, and a JWK may carry `iss` = the issuer id;
- W3C Bitstring Status List v1.0 (BitstringStatusListEntry/Credential, GZIP + multibase
  base64url, bit 0 the left-most bit); the older per-credential 1EdTech Revocation List
  (`revocation_status`) still answers for credentials issued before the shared list.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import json
import os
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from joserfc import jws
from joserfc.errors import InvalidKeyCurveError, JoseError
from joserfc.jwa import JWSAlgModel
from joserfc.jwk import OKPKey, RSAKey
from joserfc.jws import JWSRegistry

from ceu.domain.certificates import CertificateRecord, CertificateStatus

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_V3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
# Defines the 1EdTech terms used here (`1EdTechRevocationList`); the spec's complete example
# lists it third, after the two required contexts.
OB_V3_EXTENSIONS_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
CONTEXTS = (VC_V2_CONTEXT, OB_V3_CONTEXT, OB_V3_EXTENSIONS_CONTEXT)

STATUS_TYPE = "1EdTechRevocationList"
ACHIEVEMENT_TYPE = "CertificateOfCompletion"

KEY_FILENAME = "ob3_signing_key.pem"  # Ed25519 (EdDSA), the first key ceu signed with
RSA_KEY_FILENAME = "ob3_rsa_signing_key.pem"  # RS256: what OB 3.0 requires of VC-JWT
ALG = "EdDSA"
RS256 = "RS256"
ALGS = (RS256, ALG)
RSA_BITS = 3072
# OB 3.0 section 8.2.3: "typ ... If present, MUST be set to 'JWT'". VC-JOSE-COSE prefers
# "vc+jwt"; the verifier accepts both so that switching TYP later keeps old tokens valid.
TYP = "JWT"
ACCEPTED_TYPS = frozenset({"JWT", "vc+jwt"})
HEADER_NAMES = frozenset({"alg", "kid", "typ"})  # section 8.2.3: no other JOSE headers
JWT_CLAIMS = ("iss", "jti", "sub", "nbf", "iat", "exp")
CLOCK_LEEWAY = timedelta(seconds=60)
# A date-only value (completion, original award) is written at 12:00 UTC, so a wallet that
# shows it in local time still shows the same calendar day anywhere from UTC-11 to UTC+11.
DATE_ONLY_TIME = time(12, 0)


class CredentialInvalid(ValueError):
    """The token is not a credential this issuer signed, or it is not valid now."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- keys -------------------------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


PrivateKey = Ed25519PrivateKey | rsa.RSAPrivateKey


@dataclass(frozen=True)
class SigningKey:
    """A private key (Ed25519 for EdDSA, RSA for RS256) and its kid (the RFC 7638
    thumbprint of the public key; the published JWK's kid is the URL of the key)."""

    private_key: PrivateKey
    kid: str
    alg: str = ALG

    @classmethod
    def from_private_key(cls, private_key: PrivateKey) -> SigningKey:
        if isinstance(private_key, Ed25519PrivateKey):
            return cls(private_key=private_key, kid=_thumbprint(_public_members(private_key)))
        if isinstance(private_key, rsa.RSAPrivateKey) and private_key.key_size >= 2048:
            return cls(private_key, _thumbprint(_public_members(private_key)), RS256)
        raise ValueError(
            "the credential signing key must be an Ed25519 or an RSA (2048 bits or more) key"
        )

    @classmethod
    def from_pem(cls, pem: str | bytes) -> SigningKey:
        """Load a PKCS8 PEM private key; anything but Ed25519 or RSA is refused."""
        data = pem.encode("utf-8") if isinstance(pem, str) else pem
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"not a readable unencrypted PEM private key: {exc}") from exc
        if not isinstance(key, Ed25519PrivateKey | rsa.RSAPrivateKey):
            raise ValueError(
                "the credential signing key must be an Ed25519 or an RSA (2048 bits or more) key"
            )
        return cls.from_private_key(key)

    def to_pem(self) -> bytes:
        return self.private_key.private_bytes(
            encoding=serialization.Encoding.PEM,
            format=serialization.PrivateFormat.PKCS8,
            encryption_algorithm=serialization.NoEncryption(),
        )

    def public_jwk(self, kid: str | None = None) -> dict[str, str]:
        """The public half as a JWK (never "d"): what /.well-known/jwks.json publishes."""
        return {**_public_members(self.private_key), "kid": kid or self.kid, "alg": self.alg,
                "use": "sig"}  # fmt: skip

    def _jose_key(self) -> OKPKey | RSAKey:
        if self.alg == RS256:
            return RSAKey.import_key(self.private_key)  # type: ignore[arg-type]
        return OKPKey.import_key(self.private_key)  # type: ignore[arg-type]

    def __repr__(self) -> str:  # keep the private key out of logs and tracebacks
        return f"SigningKey(alg={self.alg!r}, kid={self.kid!r})"


def _public_members(private_key: PrivateKey) -> dict[str, str]:
    """The JWK members RFC 7638 hashes, in its lexicographic order."""
    if isinstance(private_key, rsa.RSAPrivateKey):
        numbers = private_key.public_key().public_numbers()
        return {"e": _b64url_int(numbers.e), "kty": "RSA", "n": _b64url_int(numbers.n)}
    raw = private_key.public_key().public_bytes(
        encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw
    )
    return {"crv": "Ed25519", "kty": "OKP", "x": _b64url(raw)}


def _b64url_int(value: int) -> str:
    return _b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def _thumbprint(members: Mapping[str, str]) -> str:
    """RFC 7638: SHA-256 over the required members in lexicographic order, no whitespace."""
    canonical = json.dumps(dict(sorted(members.items())), separators=(",", ":"))
    return _b64url(hashlib.sha256(canonical.encode("ascii")).digest())


def _generate(alg: str) -> SigningKey:
    if alg == RS256:
        return SigningKey.from_private_key(
            rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
        )
    return SigningKey.from_private_key(Ed25519PrivateKey.generate())


def load_or_create_signing_key(
    instance_path: Path, env_value: str | None = None, *, alg: str = ALG
) -> SigningKey:
    """A credential signing key: the PEM in `env_value` (CEU_SIGNING_KEY for EdDSA,
    CEU_RSA_SIGNING_KEY for RS256) if set, else one kept in instance/.

    The file is created once with mode 0600. It is written to a private temporary file and
    hard-linked into place, so a second process starting at the same moment either wins the
    link or reads the complete key the first one wrote: never a half-written file.
    """
    if env_value and env_value.strip():
        pem = env_value.strip()
        if "\n" not in pem:  # a PEM squeezed onto one line in an env file
            pem = pem.replace("\\n", "\n")
        key = SigningKey.from_pem(pem)
        if key.alg != alg:
            raise ValueError(f"the {alg} signing key must be an {_KIND[alg]} private key")
        return key

    filename = RSA_KEY_FILENAME if alg == RS256 else KEY_FILENAME
    path = Path(instance_path) / filename
    if path.exists():
        return SigningKey.from_pem(path.read_bytes())

    path.parent.mkdir(parents=True, exist_ok=True)
    key = _generate(alg)
    tmp = path.with_name(f".{filename}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(key.to_pem())
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return SigningKey.from_pem(path.read_bytes())
    finally:
        tmp.unlink(missing_ok=True)
    return key


_KIND = {ALG: "Ed25519", RS256: "RSA"}


def key_url(base: str, key: SigningKey) -> str:
    """The key's own URL: the kid of new credentials, answering with the JWK."""
    return f"{base.rstrip('/')}/.well-known/jwks/{key.kid}"


def jwks(
    keys: Sequence[SigningKey], *, issuer_id: str | None = None, base: str | None = None
) -> dict[str, Any]:
    """The JWK Set for /.well-known/jwks.json: public members only, current and retired keys.

    With `base`, each kid is the key's URL (`key_url`); with `issuer_id`, each JWK carries
    `iss`, which the OB 3.0 implementation guide proposes so a verifier can tie the key to
    the credential's issuer.
    """
    out = []
    for key in keys:
        jwk: dict[str, str] = key.public_jwk(key_url(base, key) if base else None)
        if issuer_id:
            jwk["iss"] = issuer_id
        out.append(jwk)
    return {"keys": out}


# --- building ---------------------------------------------------------------------------------


def _utc_z(moment: datetime) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("datetimes in a credential must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _date_z(day: date | datetime) -> str:
    if isinstance(day, datetime):
        return _utc_z(day)
    return datetime.combine(day, DATE_ONLY_TIME, tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_z(value: object, field: str) -> datetime:
    if not isinstance(value, str):
        raise CredentialInvalid(f"{field} is missing")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise CredentialInvalid(f"{field} is not an ISO 8601 date-time") from exc
    if moment.tzinfo is None:
        raise CredentialInvalid(f"{field} has no time zone")
    return moment


def _hours(value: float) -> str:
    return f"{value:g}"


def build_credential(
    record: CertificateRecord,
    *,
    issuer_id: str,
    issuer_name: str,
    issuer_url: str,
    credential_id: str,
    subject_id: str,
    status: Mapping[str, Any],
    achievement_id: str,
    achievement_description: str,
    criteria: str,
    valid_from: datetime,
    awarded_date: date | datetime | None = None,
) -> dict[str, Any]:
    """The certificate as an unsigned OpenBadgeCredential (OB 3.0 on the VC 2.0 data model).

    `issuer_id` should be an https URL on the host that serves /.well-known/jwks.json: the
    implementation guide has verifiers look for the key set at that URL's authority.
    `credential_id` is the certificate's public URL; `subject_id` the learner's stable
    URN (credentialSubject.id, and so the JWT `sub`); `status` the credentialStatus entry
    (`status_list_entry`). `valid_from` is when this credential was issued; `awarded_date`
    when credit was first awarded: for a certificate that corrects (supersedes) another,
    pass the FIRST certificate's issue instant, since validFrom moves with every re-issue
    and awardedDate is what keeps the original. Without it, awardedDate = validFrom, and a
    superseding record without it is refused.

    The learner's salted e-mail hash (salt = certificate number) and name are kept as
    IdentityObjects (`identifier`); AchievementSubject has no `name` property and the
    implementation guide recommends this form for names.
    """
    if record.supersedes_number and awarded_date is None:
        raise ValueError(
            "a superseding certificate must carry the original award date (awarded_date)"
        )
    valid_from_z = _utc_z(valid_from)
    subject: dict[str, Any] = {
        "id": subject_id,
        "type": ["AchievementSubject"],
        "identifier": _identifiers(record),
        "achievement": _achievement(record, achievement_id, achievement_description, criteria),
        "creditsEarned": float(record.contact_hours),
        "activityEndDate": _date_z(record.completion_date),
    }
    if record.license_number:
        subject["licenseNumber"] = record.license_number
    return {
        "@context": list(CONTEXTS),
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{record.course_title} — Certificate of Completion",
        "description": _description(record),
        "issuer": {"id": issuer_id, "type": ["Profile"], "name": issuer_name, "url": issuer_url},
        "validFrom": valid_from_z,
        "awardedDate": valid_from_z if awarded_date is None else _date_z(awarded_date),
        "credentialSubject": subject,
        "credentialStatus": dict(status),
    }


def _identifiers(record: CertificateRecord) -> list[dict[str, Any]]:
    identifiers: list[dict[str, Any]] = []
    if record.learner_email_hash:
        identifiers.append(
            {
                "type": "IdentityObject",
                "identityHash": record.learner_email_hash,
                "identityType": "emailAddress",
                "hashed": True,
                "salt": record.certificate_number,
            }
        )
    identifiers.append(
        {
            "type": "IdentityObject",
            "identityHash": record.learner_name,
            "identityType": "name",
            "hashed": False,
        }
    )
    return identifiers


def _achievement(
    record: CertificateRecord, achievement_id: str, description: str, criteria: str
) -> dict[str, Any]:
    achievement: dict[str, Any] = {
        "id": achievement_id,
        "type": ["Achievement"],
        "achievementType": ACHIEVEMENT_TYPE,
        "name": record.course_title,
        "description": description,
        "criteria": {"narrative": criteria},
        "creditsAvailable": float(record.contact_hours),
    }
    if record.course_version:
        achievement["version"] = record.course_version
    return achievement


def _description(record: CertificateRecord) -> str:
    parts = [
        f"Certificate {record.certificate_number}: {_hours(record.contact_hours)} contact hours "
        f"of continuing education, completed {record.completion_date.isoformat()}, "
        f"provider {record.provider_name}."
    ]
    if record.approval_statements:
        approvals = "; ".join(f"{a.board} {a.number}".strip() for a in record.approval_statements)
        parts.append(f"Approvals: {approvals}.")
    if record.supersedes_number:
        parts.append(f"Corrects certificate {record.supersedes_number}.")
    return " ".join(parts)


def revocation_status(
    *,
    status_url: str,
    issuer_id: str,
    credential_id: str,
    status: CertificateStatus | str,
    changed_at: datetime | None = None,
    reason: str = "",
    superseded_by: str = "",
) -> dict[str, Any]:
    """The JSON the credentialStatus URL answers: one certificate's 1EdTech revocation list.

    Shape (per-credential list, so fetching it reveals no other learner):

        {"id": status_url, "issuer": issuer_id,
         "revokedCredentials": [] | [{"id": credential_id, "revoked": true,
                                      "revocationReason": "..."}],
         "credential": credential_id,
         "status": "valid" | "revoked" | "superseded",
         "revokedAt": "...Z"          (revoked or superseded, when known),
         "supersededBy": "https://..." (superseded, when known)}

    `revokedCredentials` is what 1EdTech verifiers read (a credential is revoked when its id
    is listed and `revoked` is true or absent). A superseded certificate is listed too: its
    correction replaces it, so the old credential must stop verifying. The other members are
    ours, for the verify page and for people reading the JSON.
    """
    state = CertificateStatus(status)
    doc: dict[str, Any] = {
        "id": status_url,
        "issuer": issuer_id,
        "revokedCredentials": [],
        "credential": credential_id,
        "status": state.value,
    }
    if state is CertificateStatus.VALID:
        return doc
    if state is CertificateStatus.SUPERSEDED:
        why = "Superseded by a corrected certificate"
        why += f" ({superseded_by})." if superseded_by else "."
    else:
        why = reason or "Revoked by the issuer."
    doc["revokedCredentials"] = [{"id": credential_id, "revoked": True, "revocationReason": why}]
    if changed_at is not None:
        doc["revokedAt"] = _utc_z(changed_at)
    if superseded_by and state is CertificateStatus.SUPERSEDED:
        doc["supersededBy"] = superseded_by
    return doc


# --- the shared status list (W3C Bitstring Status List) ---------------------------------------

STATUS_ENTRY_TYPE = "BitstringStatusListEntry"
STATUS_PURPOSE = "revocation"
STATUS_LIST_SIZE = 131_072  # bits: the specification's minimum, so a list hides who is checked


def status_list_position(certificate_id: int) -> tuple[int, int]:
    """(list number from 1, index in that list) of a certificate's revocation bit."""
    return certificate_id // STATUS_LIST_SIZE + 1, certificate_id % STATUS_LIST_SIZE


def status_list_entry(list_url: str, index: int) -> dict[str, Any]:
    """The credentialStatus of a credential whose bit is `index` of the list at `list_url`."""
    return {
        "id": f"{list_url}#{index}",
        "type": STATUS_ENTRY_TYPE,
        "statusPurpose": STATUS_PURPOSE,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


def encode_status_list(set_indexes: Iterable[int], size: int = STATUS_LIST_SIZE) -> str:
    """Multibase base64url (no padding) of the GZIP of the bitstring; bit 0 is the
    left-most bit of the first byte (the specification's order)."""
    bits = bytearray(size // 8)
    for index in set_indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    return "u" + _b64url(gzip.compress(bytes(bits), mtime=0))


def decode_status_list(encoded: str) -> bytes:
    if not encoded.startswith("u"):
        raise ValueError("the encoded list must be multibase base64url ('u' prefix)")
    return gzip.decompress(_b64url_decode(encoded[1:]))


def status_bit(bitstring: bytes, index: int) -> bool:
    return bool(bitstring[index // 8] & (0x80 >> (index % 8)))


def status_list_credential(
    *, list_url: str, issuer_id: str, valid_from: datetime, revoked: Iterable[int]
) -> dict[str, Any]:
    """The BitstringStatusListCredential every credential's status points to: one bit per
    certificate, set when it was revoked or superseded (its correction replaces it)."""
    return {
        "@context": [VC_V2_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id,
        "validFrom": _utc_z(valid_from),
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": STATUS_PURPOSE,
            "encodedList": encode_status_list(revoked),
        },
    }


# --- signing and verifying (VC-JWT) -----------------------------------------------------------


class _Ed25519EdDSA(JWSAlgModel):
    """JWS "EdDSA" pinned to the Ed25519 curve.

    RFC 9864 deprecates "EdDSA" because the name leaves the curve open, and joserfc's own
    EdDSA warns on every use; pinning the curve closes that gap, and "EdDSA" is still the
    name VC wallets and JOSE libraries recognise, where RFC 9864's "Ed25519" mostly is not.
    """

    name = ALG
    description = "EdDSA over Ed25519 (RFC 8037)"
    key_type = "OKP"

    def check_key(self, key: Any) -> None:
        super().check_key(key)
        if key.curve_name != "Ed25519":
            raise InvalidKeyCurveError("credentials are signed with Ed25519 keys only")

    def sign(self, msg: bytes, key: Any) -> bytes:
        op_key = key.get_op_key("sign")
        if not isinstance(op_key, Ed25519PrivateKey):
            raise InvalidKeyCurveError("credentials are signed with Ed25519 keys only")
        return op_key.sign(msg)

    def verify(self, msg: bytes, sig: bytes, key: Any) -> bool:
        op_key = key.get_op_key("verify")
        if not isinstance(op_key, Ed25519PublicKey):
            raise InvalidKeyCurveError("credentials are verified with Ed25519 keys only")
        try:
            op_key.verify(sig, msg)
        except InvalidSignature:
            return False
        return True


class _CredentialRegistry(JWSRegistry):
    """A JWS registry that knows RS256 and EdDSA (Ed25519): "none", HS256... do not exist."""

    # Own class-level tables, so the shared default registry is left untouched.
    algorithms: dict[str, JWSAlgModel] = {
        RS256: JWSRegistry.algorithms[RS256],
        ALG: _Ed25519EdDSA(),
    }
    recommended: list[str] = list(ALGS)


_REGISTRY = _CredentialRegistry(algorithms=list(ALGS))


def _issuer_id(credential: Mapping[str, Any]) -> str | None:
    issuer = credential.get("issuer")
    if isinstance(issuer, str):
        return issuer
    if isinstance(issuer, Mapping) and isinstance(issuer.get("id"), str):
        return str(issuer["id"])
    return None


def _subject_claim(credential: Mapping[str, Any]) -> str | None:
    """`sub`: credentialSubject.id (section 8.2.4), else the hashed e-mail identity.

    Our subjects have no id (learners have no DID), so the e-mail IdentityObject is what
    binds the token to the learner; with neither, there is no `sub`.
    """
    subject = credential.get("credentialSubject")
    if not isinstance(subject, Mapping):
        return None
    if isinstance(subject.get("id"), str):
        return str(subject["id"])
    for ident in subject.get("identifier") or ():
        if (
            isinstance(ident, Mapping)
            and ident.get("identityType") == "emailAddress"
            and isinstance(ident.get("identityHash"), str)
        ):
            return str(ident["identityHash"])
    return None


def sign_credential(
    credential: Mapping[str, Any],
    key: SigningKey,
    *,
    kid: str | None = None,
    now: datetime | None = None,
) -> str:
    """The credential as a VC-JWT: a compact JWS whose payload is the credential itself.

        OB 3.0 section 8.2 (not the VC 1.1 `vc` claim): the JWT payload IS the credential JSON,
        with the registered claims added beside it — iss = issuer.id, jti = id, sub = subject
        (see `_subject_claim`), nbf = validFrom, iat = signing time, and exp = validUntil only
        when the credential has one. Header: {"alg": "EdDSA", "typ": "JWT", "kid": key.kid};
        the kid names a key in /.well-known/jwks.json (implementation guide, key provenance): pass
    `kid=key_url(base, key)` so that it is a URL a verifier can dereference to the key.
    """
    issuer_id = _issuer_id(credential)
    if not issuer_id or not isinstance(credential.get("id"), str):
        raise ValueError("a credential needs an id and an issuer id to be signed")
    payload: dict[str, Any] = dict(credential)
    clash = [name for name in JWT_CLAIMS if name in payload]
    if clash:
        raise ValueError(f"the credential already has JWT claim names: {clash}")
    payload["iss"] = issuer_id
    payload["jti"] = credential["id"]
    sub = _subject_claim(credential)
    if sub is not None:
        payload["sub"] = sub
    payload["nbf"] = int(_parse_z(credential.get("validFrom"), "validFrom").timestamp())
    payload["iat"] = int((now or datetime.now(UTC)).timestamp())
    if "validUntil" in credential:
        payload["exp"] = int(_parse_z(credential["validUntil"], "validUntil").timestamp())

    header = {"alg": key.alg, "typ": TYP, "kid": kid or key.kid}
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return jws.serialize_compact(header, body, key._jose_key(), registry=_REGISTRY)


def _read_header(token: str) -> dict[str, Any]:
    parts = token.split(".")
    if len(parts) != 3 or not all(parts[:2]):
        raise CredentialInvalid("not a compact JWS (header.payload.signature)")
    try:
        header = json.loads(_b64url_decode(parts[0]))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise CredentialInvalid("the JOSE header is not base64url JSON") from exc
    if not isinstance(header, dict):
        raise CredentialInvalid("the JOSE header is not a JSON object")
    return header


def _select_key(
    jwks_doc: Mapping[str, Any], kid: str, alg: str
) -> tuple[OKPKey | RSAKey, dict[str, Any]]:
    """The published key named by `kid`: its URL (new credentials) or its bare thumbprint
    (the first EdDSA credentials), so both keep verifying."""
    keys = jwks_doc.get("keys") if isinstance(jwks_doc, Mapping) else None
    if not isinstance(keys, list):
        raise CredentialInvalid("the key set has no keys")
    wanted = kid.rsplit("/", 1)[-1]
    for jwk in keys:
        if not isinstance(jwk, Mapping) or not isinstance(jwk.get("kid"), str):
            continue
        if jwk["kid"] != kid and jwk["kid"].rsplit("/", 1)[-1] != wanted:
            continue
        if jwk.get("alg", alg) != alg or jwk.get("use", "sig") != "sig":
            raise CredentialInvalid(f"key {kid!r} is not for {alg} signatures")
        return _public_key(jwk, kid, alg), dict(jwk)
    raise CredentialInvalid(f"unknown key id {kid!r}")


def _public_key(jwk: Mapping[str, Any], kid: str, alg: str) -> OKPKey | RSAKey:
    try:  # only the public members are ever imported (never "d")
        if alg == RS256 and jwk.get("kty") == "RSA" and jwk.get("n") and jwk.get("e"):
            return RSAKey.import_key({"kty": "RSA", "n": jwk["n"], "e": jwk["e"]})
        if alg == ALG and jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519" and jwk.get("x"):
            return OKPKey.import_key({"kty": "OKP", "crv": "Ed25519", "x": jwk["x"]})
    except (JoseError, ValueError) as exc:
        raise CredentialInvalid(f"key {kid!r} cannot be read") from exc
    raise CredentialInvalid(f"key {kid!r} is not an {_KIND[alg]} public key")


def verify_credential(
    token: str, jwks_doc: Mapping[str, Any], *, now: datetime | None = None
) -> dict[str, Any]:
    """Check a VC-JWT against the public key set alone and return the credential.

    Refuses: anything but alg RS256 or EdDSA (so "none" and HS256 forgeries), a typ other than
    JWT or vc+jwt, extra JOSE headers, an unknown kid, a bad signature, and claims that
    disagree with the credential (OB 3.0 section 8.2.5) or say it is not valid yet / expired.
    Revocation is not checked here: that is the credentialStatus URL's job.
    """
    if not isinstance(token, str) or not token:
        raise CredentialInvalid("no token")
    token = token.strip()
    header = _read_header(token)
    alg = header.get("alg")
    if alg not in ALGS:
        raise CredentialInvalid(f"algorithm {alg!r} is not accepted")
    if header.get("typ") not in ACCEPTED_TYPS:
        raise CredentialInvalid(f"typ {header.get('typ')!r} is not a credential JWT")
    extra = sorted(set(header) - HEADER_NAMES)
    if extra:
        raise CredentialInvalid(f"unexpected JOSE header parameters: {extra}")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise CredentialInvalid("the JOSE header has no kid")
    public_key, jwk = _select_key(jwks_doc, kid, str(alg))

    try:
        signed = jws.deserialize_compact(token, public_key, registry=_REGISTRY)
    except JoseError as exc:
        raise CredentialInvalid(f"signature check failed ({exc.error})") from exc
    try:
        payload = json.loads(signed.payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CredentialInvalid("the payload is not JSON") from exc
    if not isinstance(payload, dict):
        raise CredentialInvalid("the payload is not a JSON object")

    credential = {k: v for k, v in payload.items() if k not in JWT_CLAIMS}
    _check_claims(payload, credential, jwk, now or datetime.now(UTC))
    return credential


def _check_claims(
    payload: Mapping[str, Any],
    credential: Mapping[str, Any],
    jwk: Mapping[str, Any],
    now: datetime,
) -> None:
    types = credential.get("type")
    if not isinstance(types, list) or not {"VerifiableCredential", "OpenBadgeCredential"} <= set(
        types
    ):
        raise CredentialInvalid("the payload is not an OpenBadgeCredential")
    issuer_id = _issuer_id(credential)
    if not issuer_id or payload.get("iss") != issuer_id:
        raise CredentialInvalid("iss does not match issuer.id")
    if "iss" in jwk and jwk["iss"] != issuer_id:
        raise CredentialInvalid("the signing key belongs to another issuer")
    if payload.get("jti") != credential.get("id"):
        raise CredentialInvalid("jti does not match the credential id")
    if payload.get("sub") != _subject_claim(credential):
        raise CredentialInvalid("sub does not match the credential subject")

    valid_from = _parse_z(credential.get("validFrom"), "validFrom")
    nbf = payload.get("nbf")
    if not isinstance(nbf, int) or isinstance(nbf, bool) or nbf != int(valid_from.timestamp()):
        raise CredentialInvalid("nbf does not match validFrom")
    if valid_from > now + CLOCK_LEEWAY:
        raise CredentialInvalid("the credential is not valid yet")

    exp = payload.get("exp")
    if "validUntil" not in credential:
        if exp is not None:
            raise CredentialInvalid("exp is set but the credential has no validUntil")
    else:
        valid_until = _parse_z(credential["validUntil"], "validUntil")
        if not isinstance(exp, int) or isinstance(exp, bool):
            raise CredentialInvalid("validUntil is set but exp is missing")
        if exp != int(valid_until.timestamp()):
            raise CredentialInvalid("exp does not match validUntil")
        if valid_until <= now - CLOCK_LEEWAY:
            raise CredentialInvalid("the credential has expired")
