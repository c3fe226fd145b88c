"""Open Badges 3.0 credentials for certificates: build, sign (VC-JWT, Ed25519), verify.

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
- 1EdTech Revocation List Status Method, as read by the 1EdTech validator
  (1EdTech/digital-credentials-public-validator, `RevocationListProbe`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from joserfc import jws
from joserfc.errors import InvalidKeyCurveError, JoseError
from joserfc.jwa import JWSAlgModel
from joserfc.jwk import OKPKey
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

KEY_FILENAME = "ob3_signing_key.pem"
ALG = "EdDSA"
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


@dataclass(frozen=True)
class SigningKey:
    """An Ed25519 private key and its kid (the RFC 7638 thumbprint of the public key)."""

    private_key: Ed25519PrivateKey
    kid: str

    @classmethod
    def from_private_key(cls, private_key: Ed25519PrivateKey) -> SigningKey:
        return cls(private_key=private_key, kid=_thumbprint(_public_x(private_key)))

    @classmethod
    def from_pem(cls, pem: str | bytes) -> SigningKey:
        """Load a PKCS8 PEM private key; anything but Ed25519 is refused."""
        data = pem.encode("utf-8") if isinstance(pem, str) else pem
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"not a readable unencrypted PEM private key: {exc}") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the credential signing key must be an Ed25519 private key")
        return cls.from_private_key(key)

    def to_pem(self) -> bytes:
        return self.private_key.private_bytes(
            encoding=serialization.Encoding.PEM,
            format=serialization.PrivateFormat.PKCS8,
            encryption_algorithm=serialization.NoEncryption(),
        )

    def public_jwk(self) -> dict[str, str]:
        """The public half as a JWK (never "d"): what /.well-known/jwks.json publishes."""
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": _public_x(self.private_key),
            "kid": self.kid,
            "alg": ALG,
            "use": "sig",
        }

    def _jose_key(self) -> OKPKey:
        return OKPKey.import_key(self.private_key)

    def __repr__(self) -> str:  # keep the private key out of logs and tracebacks
        return f"SigningKey(kid={self.kid!r})"


def _public_x(private_key: Ed25519PrivateKey) -> str:
    raw = private_key.public_key().public_bytes(
        encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw
    )
    return _b64url(raw)


def _thumbprint(x: str) -> str:
    """RFC 7638: SHA-256 over the required members in lexicographic order, no whitespace."""
    canonical = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"))
    return _b64url(hashlib.sha256(canonical.encode("ascii")).digest())


def load_or_create_signing_key(instance_path: Path, env_value: str | None = None) -> SigningKey:
    """The credential signing key: CEU_SIGNING_KEY (PEM) if set, else one kept in instance/.

    The file is created once with mode 0600. It is written to a private temporary file and
    hard-linked into place, so a second process starting at the same moment either wins the
    link or reads the complete key the first one wrote: never a half-written file.
    """
    if env_value and env_value.strip():
        pem = env_value.strip()
        if "\n" not in pem:  # a PEM squeezed onto one line in an env file
            pem = pem.replace("\\n", "\n")
        return SigningKey.from_pem(pem)

    path = Path(instance_path) / KEY_FILENAME
    if path.exists():
        return SigningKey.from_pem(path.read_bytes())

    path.parent.mkdir(parents=True, exist_ok=True)
    key = SigningKey.from_private_key(Ed25519PrivateKey.generate())
    tmp = path.with_name(f".{KEY_FILENAME}.{secrets.token_hex(8)}.tmp")
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


def jwks(keys: Sequence[SigningKey], *, issuer_id: str | None = None) -> dict[str, Any]:
    """The JWK Set for /.well-known/jwks.json: public members only, current and retired keys.

    With `issuer_id`, each JWK carries `iss`, which the OB 3.0 implementation guide proposes
    so a verifier can tie the key to the credential's issuer.
    """
    out = []
    for key in keys:
        jwk: dict[str, str] = key.public_jwk()
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
    status_url: str,
    achievement_id: str,
    achievement_description: str,
    criteria: str,
    valid_from: datetime,
    awarded_date: date | datetime | None = None,
) -> dict[str, Any]:
    """The certificate as an unsigned OpenBadgeCredential (OB 3.0 on the VC 2.0 data model).

    `issuer_id` should be an https URL on the host that serves /.well-known/jwks.json: the
    implementation guide has verifiers look for the key set at that URL's authority.
    `credential_id` is the certificate's public URL; `status_url` answers with
    `revocation_status(...)`. `valid_from` is when this credential was issued. `awarded_date`
    is when credit was first awarded: for a certificate that corrects (supersedes) another,
    pass the FIRST certificate's issue date or moment, since validFrom moves with every
    re-issue and awardedDate is what keeps the original. Without it, awardedDate = validFrom,
    and a superseding record without it is refused.

    The learner is identified without a DID (OB 3.0 allows `identifier` instead of `id`): the
    salted e-mail hash (salt = certificate number, as `services` hashes it) and the name as an
    IdentityObject of type "name". AchievementSubject has no `name` property; the
    implementation guide recommends this IdentityObject form for names.
    """
    if record.supersedes_number and awarded_date is None:
        raise ValueError(
            "a superseding certificate must carry the original award date (awarded_date)"
        )
    valid_from_z = _utc_z(valid_from)
    awarded_z = valid_from_z if awarded_date is None else _date_z(awarded_date)
    hours = float(record.contact_hours)

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

    achievement: dict[str, Any] = {
        "id": achievement_id,
        "type": ["Achievement"],
        "achievementType": ACHIEVEMENT_TYPE,
        "name": record.course_title,
        "description": achievement_description,
        "criteria": {"narrative": criteria},
        "creditsAvailable": hours,
    }
    if record.course_version:
        achievement["version"] = record.course_version

    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "identifier": identifiers,
        "achievement": achievement,
        "creditsEarned": hours,
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
        "awardedDate": awarded_z,
        "credentialSubject": subject,
        "credentialStatus": {"id": status_url, "type": STATUS_TYPE},
    }


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
    """A JWS registry that knows one algorithm: "none", HS256, RS256... do not exist here."""

    # Own class-level tables, so the shared default registry is left untouched.
    algorithms: dict[str, JWSAlgModel] = {ALG: _Ed25519EdDSA()}
    recommended: list[str] = [ALG]


_REGISTRY = _CredentialRegistry(algorithms=[ALG])


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
    credential: Mapping[str, Any], key: SigningKey, *, now: datetime | None = None
) -> str:
    """The credential as a VC-JWT: a compact JWS whose payload is the credential itself.

    OB 3.0 section 8.2 (not the VC 1.1 `vc` claim): the JWT payload IS the credential JSON,
    with the registered claims added beside it — iss = issuer.id, jti = id, sub = subject
    (see `_subject_claim`), nbf = validFrom, iat = signing time, and exp = validUntil only
    when the credential has one. Header: {"alg": "EdDSA", "typ": "JWT", "kid": key.kid};
    the kid names a key in /.well-known/jwks.json (implementation guide, key provenance).
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

    header = {"alg": ALG, "typ": TYP, "kid": key.kid}
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


def _select_key(jwks_doc: Mapping[str, Any], kid: str) -> tuple[OKPKey, dict[str, Any]]:
    keys = jwks_doc.get("keys") if isinstance(jwks_doc, Mapping) else None
    if not isinstance(keys, list):
        raise CredentialInvalid("the key set has no keys")
    for jwk in keys:
        if not isinstance(jwk, Mapping) or jwk.get("kid") != kid:
            continue
        if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or not jwk.get("x"):
            raise CredentialInvalid(f"key {kid!r} is not an Ed25519 public key")
        if jwk.get("alg", ALG) != ALG or jwk.get("use", "sig") != "sig":
            raise CredentialInvalid(f"key {kid!r} is not for {ALG} signatures")
        public = {"kty": "OKP", "crv": "Ed25519", "x": jwk["x"]}  # never import "d"
        try:
            return OKPKey.import_key(public), dict(jwk)
        except (JoseError, ValueError) as exc:
            raise CredentialInvalid(f"key {kid!r} cannot be read") from exc
    raise CredentialInvalid(f"unknown key id {kid!r}")


def verify_credential(
    token: str, jwks_doc: Mapping[str, Any], *, now: datetime | None = None
) -> dict[str, Any]:
    """Check a VC-JWT against the public key set alone and return the credential.

    Refuses: anything but alg EdDSA (so "none", HS256 and RS256 forgeries), a typ other than
    JWT or vc+jwt, extra JOSE headers, an unknown kid, a bad signature, and claims that
    disagree with the credential (OB 3.0 section 8.2.5) or say it is not valid yet / expired.
    Revocation is not checked here: that is the credentialStatus URL's job.
    """
    if not isinstance(token, str) or not token:
        raise CredentialInvalid("no token")
    token = token.strip()
    header = _read_header(token)
    if header.get("alg") != ALG:
        raise CredentialInvalid(f"algorithm {header.get('alg')!r} is not accepted")
    if header.get("typ") not in ACCEPTED_TYPS:
        raise CredentialInvalid(f"typ {header.get('typ')!r} is not a credential JWT")
    extra = sorted(set(header) - HEADER_NAMES)
    if extra:
        raise CredentialInvalid(f"unexpected JOSE header parameters: {extra}")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise CredentialInvalid("the JOSE header has no kid")
    public_key, jwk = _select_key(jwks_doc, kid)

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
