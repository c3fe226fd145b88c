"""Open Badges 3.0 credentials: the data model, VC-JWT signing and verification, keys."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import stat
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc.jwk import OKPKey

from ceu.certificates import credentials
from ceu.certificates.credentials import (
    KEY_FILENAME,
    CredentialInvalid,
    SigningKey,
    build_credential,
    jwks,
    load_or_create_signing_key,
    revocation_status,
    sign_credential,
    verify_credential,
)
from ceu.domain.certificates import (
    ApprovalStatement,
    CertificateRecord,
    CertificateStatus,
    email_hash,
)

BASE = "https://ce.example.org"
ISSUED_AT = datetime(2026, 3, 10, 15, 30, 12, tzinfo=UTC)
NOW = ISSUED_AT + timedelta(days=30)
EMAIL = "Ada.Counselor@Example.org"
SUBJECT = "urn:uuid:8f8d3f56-2a5f-5c3e-9d1b-0c6b9e7a4d21"


def make_record(**changes: Any) -> CertificateRecord:
    record = CertificateRecord(
        certificate_number="2026-000042",
        verification_code="Zk3v9Qm1xY7pL2sT8wR4aB",
        verify_url=f"{BASE}/verify/Zk3v9Qm1xY7pL2sT8wR4aB",
        learner_name="Ada Counselor",
        credential="LPC",
        license_number="LPC-98765",
        license_state="TX",
        course_title="Ketamine for Refractory Anxiety",
        course_slug="ketamine-refractory-anxiety",
        course_version="1.2 (import 3)",
        contact_hours=3.5,
        completion_date=date(2026, 3, 9),
        issue_date=date(2026, 3, 10),
        provider_name="Example CE Provider",
        approval_statements=(
            ApprovalStatement("NBCC", "ACEP 0000", "Approved by NBCC as an ACEP."),
        ),
        signatory_name="Dr. Signer",
        signatory_title="Education Director",
        learner_email_hash=email_hash(EMAIL, "2026-000042"),
    )
    return dataclasses.replace(record, **changes)


def make_credential(record: CertificateRecord | None = None, **changes: Any) -> dict[str, Any]:
    record = record or make_record()
    kwargs: dict[str, Any] = {
        "issuer_id": f"{BASE}/",
        "issuer_name": record.provider_name,
        "issuer_url": f"{BASE}/",
        "credential_id": record.verify_url,
        "subject_id": SUBJECT,
        "status": credentials.status_list_entry(f"{BASE}/credentials/status/1", 42),
        "achievement_id": f"{BASE}/courses/{record.course_slug}",
        "achievement_description": "Evidence-based use of ketamine for refractory anxiety.",
        "criteria": "Read every module, pass the post-test at 80%, complete the evaluation.",
        "valid_from": ISSUED_AT,
    }
    kwargs.update(changes)
    return build_credential(record, **kwargs)


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return SigningKey.from_private_key(Ed25519PrivateKey.generate())


@pytest.fixture(scope="module")
def other_key() -> SigningKey:
    return SigningKey.from_private_key(Ed25519PrivateKey.generate())


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_json(value: Any) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode("utf-8"))


def unb64url_json(text: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


def raw_token(header: dict[str, Any], payload: dict[str, Any], key: SigningKey) -> str:
    """A correctly Ed25519-signed token with whatever header and claims a test wants."""
    signing_input = f"{b64url_json(header)}.{b64url_json(payload)}"
    signature = key.private_key.sign(signing_input.encode("ascii"))
    return f"{signing_input}.{b64url(signature)}"


def claims_for(credential: dict[str, Any]) -> dict[str, Any]:
    return {
        **credential,
        "iss": credential["issuer"]["id"],
        "jti": credential["id"],
        "sub": credential["credentialSubject"]["id"],
        "nbf": int(ISSUED_AT.timestamp()),
        "iat": int(ISSUED_AT.timestamp()),
    }


# --- the credential ---------------------------------------------------------------------------


def test_credential_has_every_required_ob3_field() -> None:
    cred = make_credential()

    assert cred["@context"][:2] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert cred["id"] == make_record().verify_url
    assert set(cred["type"]) == {"VerifiableCredential", "OpenBadgeCredential"}
    assert cred["issuer"] == {
        "id": f"{BASE}/",
        "type": ["Profile"],
        "name": "Example CE Provider",
        "url": f"{BASE}/",
    }
    assert cred["validFrom"] == "2026-03-10T15:30:12Z"
    assert cred["name"] == "Ketamine for Refractory Anxiety — Certificate of Completion"
    subject = cred["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    assert subject["id"] == SUBJECT  # and so the JWT's sub
    assert subject["identifier"], "the hashed e-mail and the name are kept as identifiers"
    achievement = subject["achievement"]
    assert achievement["id"] == f"{BASE}/courses/ketamine-refractory-anxiety"
    assert achievement["type"] == ["Achievement"]
    assert achievement["name"] == "Ketamine for Refractory Anxiety"
    assert achievement["description"].startswith("Evidence-based")
    assert achievement["criteria"] == {
        "narrative": "Read every module, pass the post-test at 80%, complete the evaluation."
    }
    assert "proof" not in cred  # the VC-JWT is the proof


def test_credential_carries_the_continuing_education_fields() -> None:
    record = make_record()
    cred = make_credential(record)
    subject = cred["credentialSubject"]

    assert subject["creditsEarned"] == record.contact_hours == 3.5
    assert isinstance(subject["creditsEarned"], float)
    assert subject["achievement"]["creditsAvailable"] == 3.5
    assert subject["achievement"]["achievementType"] == "CertificateOfCompletion"
    assert subject["licenseNumber"] == "LPC-98765"
    assert subject["activityEndDate"] == "2026-03-09T12:00:00Z"
    assert cred["awardedDate"] == cred["validFrom"]
    assert cred["credentialStatus"] == {
        "id": f"{BASE}/credentials/status/1#42",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "42",
        "statusListCredential": f"{BASE}/credentials/status/1",
    }
    assert "2026-000042" in cred["description"]
    assert "NBCC ACEP 0000" in cred["description"]


def test_email_identity_can_be_checked_by_anyone_who_knows_the_address() -> None:
    email_identity, name_identity = make_credential()["credentialSubject"]["identifier"]

    assert email_identity["type"] == "IdentityObject"
    assert email_identity["identityType"] == "emailAddress"
    assert email_identity["hashed"] is True
    assert email_hash(EMAIL, email_identity["salt"]) == email_identity["identityHash"]
    assert EMAIL.lower() not in json.dumps(make_credential()).lower()
    assert name_identity == {
        "type": "IdentityObject",
        "identityHash": "Ada Counselor",
        "identityType": "name",
        "hashed": False,
    }


def test_learner_without_email_hash_is_identified_by_name_and_still_verifies(
    key: SigningKey,
) -> None:
    cred = make_credential(make_record(learner_email_hash="", learner_name="Zoë Núñez-Ōta"))
    identities = cred["credentialSubject"]["identifier"]
    assert [(i["identityType"], i["identityHash"]) for i in identities] == [
        ("name", "Zoë Núñez-Ōta")
    ]

    token = sign_credential(cred, key)
    assert unb64url_json(token.split(".")[1])["sub"] == SUBJECT
    assert verify_credential(token, jwks([key]), now=NOW) == cred


def test_superseding_certificate_keeps_the_original_awarded_date() -> None:
    corrected_at = ISSUED_AT + timedelta(days=20)
    record = make_record(
        certificate_number="2026-000077",
        supersedes_number="2026-000042",
        issue_date=corrected_at.date(),
    )

    from_date = make_credential(record, valid_from=corrected_at, awarded_date=date(2026, 3, 10))
    from_moment = make_credential(record, valid_from=corrected_at, awarded_date=ISSUED_AT)

    assert from_date["validFrom"] == "2026-03-30T15:30:12Z"
    assert from_date["awardedDate"] == "2026-03-10T12:00:00Z"
    assert from_moment["awardedDate"] == "2026-03-10T15:30:12Z"
    assert "Corrects certificate 2026-000042" in from_date["description"]


def test_superseding_certificate_without_the_original_date_is_refused() -> None:
    record = make_record(supersedes_number="2026-000042")
    with pytest.raises(ValueError, match="original award date"):
        make_credential(record)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        make_credential(valid_from=datetime(2026, 3, 10, 15, 30))


# --- signing and verifying --------------------------------------------------------------------


def test_sign_then_verify_with_the_key_set_alone_round_trips(key: SigningKey) -> None:
    cred = make_credential()
    token = sign_credential(cred, key, now=ISSUED_AT + timedelta(seconds=5))

    header = unb64url_json(token.split(".")[0])
    assert header == {"alg": "EdDSA", "typ": "JWT", "kid": key.kid}
    claims = unb64url_json(token.split(".")[1])
    assert claims["iss"] == f"{BASE}/"
    assert claims["jti"] == cred["id"]
    assert claims["sub"] == SUBJECT == cred["credentialSubject"]["id"]
    assert claims["nbf"] == int(ISSUED_AT.timestamp())
    assert claims["iat"] == int(ISSUED_AT.timestamp()) + 5
    assert "exp" not in claims
    assert claims["credentialSubject"] == cred["credentialSubject"]  # the VC is the payload

    key_set = json.loads(json.dumps(jwks([key])))  # as a verifier would fetch it
    assert verify_credential(token, key_set, now=NOW) == cred


def test_verify_picks_the_key_by_kid_among_several(key: SigningKey, other_key: SigningKey) -> None:
    token = sign_credential(make_credential(), key)
    assert verify_credential(token, jwks([other_key, key]), now=NOW) == make_credential()


def test_tampered_payload_is_rejected(key: SigningKey) -> None:
    header, payload, signature = sign_credential(make_credential(), key).split(".")
    claims = unb64url_json(payload)
    claims["credentialSubject"]["creditsEarned"] = 30.0
    forged = f"{header}.{b64url_json(claims)}.{signature}"

    with pytest.raises(CredentialInvalid, match="signature"):
        verify_credential(forged, jwks([key]), now=NOW)


def test_token_signed_by_another_key_is_rejected(key: SigningKey, other_key: SigningKey) -> None:
    token = sign_credential(make_credential(), other_key)
    with pytest.raises(CredentialInvalid, match="unknown key id"):
        verify_credential(token, jwks([key]), now=NOW)


def test_another_key_claiming_our_kid_is_rejected(key: SigningKey, other_key: SigningKey) -> None:
    header = {"alg": "EdDSA", "typ": "JWT", "kid": key.kid}
    token = raw_token(header, claims_for(make_credential()), other_key)
    with pytest.raises(CredentialInvalid, match="signature"):
        verify_credential(token, jwks([key]), now=NOW)


def test_alg_none_token_is_rejected(key: SigningKey) -> None:
    header = {"alg": "none", "typ": "JWT", "kid": key.kid}
    token = f"{b64url_json(header)}.{b64url_json(claims_for(make_credential()))}."
    with pytest.raises(CredentialInvalid, match="'none' is not accepted"):
        verify_credential(token, jwks([key]), now=NOW)


def test_hs256_token_keyed_with_the_public_key_is_rejected(key: SigningKey) -> None:
    """The classic key-confusion forgery: HMAC keyed with the published public key."""
    header = {"alg": "HS256", "typ": "JWT", "kid": key.kid}
    signing_input = f"{b64url_json(header)}.{b64url_json(claims_for(make_credential()))}"
    secret = key.public_jwk()["x"].encode("ascii")
    mac = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    token = f"{signing_input}.{b64url(mac)}"

    with pytest.raises(CredentialInvalid, match="'HS256' is not accepted"):
        verify_credential(token, jwks([key]), now=NOW)


@pytest.mark.parametrize(
    ("header_changes", "message"),
    [
        ({"typ": "at+jwt"}, "typ"),
        ({"typ": None}, "typ"),
        ({"jku": "https://attacker.example/jwks.json"}, "unexpected JOSE header"),
        ({"crit": ["exp"]}, "unexpected JOSE header"),
        ({"kid": None}, "no kid"),
    ],
)
def test_unexpected_jose_headers_are_rejected(
    key: SigningKey, header_changes: dict[str, Any], message: str
) -> None:
    header = {"alg": "EdDSA", "typ": "JWT", "kid": key.kid, **header_changes}
    header = {k: v for k, v in header.items() if v is not None}
    token = raw_token(header, claims_for(make_credential()), key)
    with pytest.raises(CredentialInvalid, match=message):
        verify_credential(token, jwks([key]), now=NOW)


def test_vc_jose_cose_typ_is_accepted(key: SigningKey) -> None:
    header = {"alg": "EdDSA", "typ": "vc+jwt", "kid": key.kid}
    token = raw_token(header, claims_for(make_credential()), key)
    assert verify_credential(token, jwks([key]), now=NOW) == make_credential()


@pytest.mark.parametrize(
    ("claim", "value", "message"),
    [
        ("iss", "https://attacker.example/", "iss"),
        ("jti", "https://ce.example.org/verify/other", "jti"),
        ("sub", "sha256$0000", "sub"),
        ("nbf", 0, "nbf"),
        ("exp", int(NOW.timestamp()) + 60, "exp"),
    ],
)
def test_claims_that_disagree_with_the_credential_are_rejected(
    key: SigningKey, claim: str, value: Any, message: str
) -> None:
    claims = {**claims_for(make_credential()), claim: value}
    token = raw_token({"alg": "EdDSA", "typ": "JWT", "kid": key.kid}, claims, key)
    with pytest.raises(CredentialInvalid, match=message):
        verify_credential(token, jwks([key]), now=NOW)


def test_credential_not_valid_yet_is_rejected(key: SigningKey) -> None:
    token = sign_credential(make_credential(valid_from=NOW + timedelta(days=1)), key)
    with pytest.raises(CredentialInvalid, match="not valid yet"):
        verify_credential(token, jwks([key]), now=NOW)


def test_valid_until_becomes_exp_and_is_enforced(key: SigningKey) -> None:
    cred = {**make_credential(), "validUntil": "2026-06-01T00:00:00Z"}
    token = sign_credential(cred, key)
    assert unb64url_json(token.split(".")[1])["exp"] == int(
        datetime(2026, 6, 1, tzinfo=UTC).timestamp()
    )

    assert verify_credential(token, jwks([key]), now=NOW) == cred
    with pytest.raises(CredentialInvalid, match="expired"):
        verify_credential(token, jwks([key]), now=datetime(2026, 7, 1, tzinfo=UTC))


def test_key_of_another_issuer_is_rejected(key: SigningKey) -> None:
    token = sign_credential(make_credential(), key)
    assert verify_credential(token, jwks([key], issuer_id=f"{BASE}/"), now=NOW)
    with pytest.raises(CredentialInvalid, match="another issuer"):
        verify_credential(token, jwks([key], issuer_id="https://other.example/"), now=NOW)


@pytest.mark.parametrize(
    "token", ["", "abc", "a.b", "a.b.c.d", "!!!.e30.sig", "bnVsbA.e30.sig", "W10.e30.sig"]
)
def test_garbage_is_rejected_with_a_clear_error(key: SigningKey, token: str) -> None:
    with pytest.raises(CredentialInvalid):
        verify_credential(token, jwks([key]), now=NOW)


# --- keys -------------------------------------------------------------------------------------


def test_key_file_is_created_with_mode_0600_and_reused(tmp_path: Path) -> None:
    first = load_or_create_signing_key(tmp_path)
    path = tmp_path / KEY_FILENAME

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")  # PKCS8
    assert load_or_create_signing_key(tmp_path).kid == first.kid
    assert [p.name for p in tmp_path.iterdir()] == [KEY_FILENAME]  # no temp files left


def test_a_racing_process_key_wins_and_no_half_file_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, other_key: SigningKey
) -> None:
    def racing_link(src: Path, dst: Path) -> None:
        Path(dst).write_bytes(other_key.to_pem())  # the other worker linked first
        raise FileExistsError(dst)

    monkeypatch.setattr(credentials.os, "link", racing_link)
    assert load_or_create_signing_key(tmp_path).kid == other_key.kid
    assert [p.name for p in tmp_path.iterdir()] == [KEY_FILENAME]


def test_environment_key_wins_over_the_file(tmp_path: Path, key: SigningKey) -> None:
    load_or_create_signing_key(tmp_path)  # a file key exists
    from_env = load_or_create_signing_key(tmp_path, key.to_pem().decode("ascii"))
    assert from_env.kid == key.kid


def test_environment_key_on_one_line_is_accepted(tmp_path: Path, key: SigningKey) -> None:
    one_line = key.to_pem().decode("ascii").strip().replace("\n", "\\n")
    assert load_or_create_signing_key(tmp_path, one_line).kid == key.kid
    assert not (tmp_path / KEY_FILENAME).exists()


def test_environment_key_that_is_not_ed25519_is_refused(tmp_path: Path) -> None:
    p256 = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(ValueError, match="Ed25519 or an RSA"):
        load_or_create_signing_key(tmp_path, p256.decode("ascii"))
    with pytest.raises(ValueError, match="PEM"):
        load_or_create_signing_key(tmp_path, "not a key")


def test_kid_is_the_rfc7638_thumbprint(key: SigningKey) -> None:
    jwk = key.public_jwk()
    assert key.kid == OKPKey.import_key({k: jwk[k] for k in ("kty", "crv", "x")}).thumbprint()
    assert jwk == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": jwk["x"],
        "kid": key.kid,
        "alg": "EdDSA",
        "use": "sig",
    }


def test_jwks_publishes_no_private_material(key: SigningKey, other_key: SigningKey) -> None:
    def members(value: Any) -> set[str]:
        if isinstance(value, dict):
            return set(value) | set().union(*(members(v) for v in value.values()))
        if isinstance(value, list):
            return set().union(*(members(v) for v in value))
        return set()

    doc = jwks([key, other_key], issuer_id=f"{BASE}/")
    assert [k["kid"] for k in doc["keys"]] == [key.kid, other_key.kid]
    assert "d" not in members(doc)
    private_d = key.private_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    assert b64url(private_d) not in json.dumps(doc)
    assert key.kid in repr(key)
    assert b64url(private_d) not in repr(key)


# --- the status endpoint's answer -------------------------------------------------------------


def test_status_of_a_valid_certificate_lists_nothing() -> None:
    doc = revocation_status(
        status_url=f"{BASE}/verify/abc/status",
        issuer_id=f"{BASE}/",
        credential_id=f"{BASE}/verify/abc",
        status=CertificateStatus.VALID,
    )
    assert doc["revokedCredentials"] == []
    assert doc["status"] == "valid"
    assert "revokedAt" not in doc


def test_status_of_a_revoked_certificate_lists_it_with_the_reason() -> None:
    doc = revocation_status(
        status_url=f"{BASE}/verify/abc/status",
        issuer_id=f"{BASE}/",
        credential_id=f"{BASE}/verify/abc",
        status="revoked",
        changed_at=NOW,
        reason="Completion recorded in error.",
    )
    assert doc["revokedCredentials"] == [
        {
            "id": f"{BASE}/verify/abc",
            "revoked": True,
            "revocationReason": "Completion recorded in error.",
        }
    ]
    assert doc["status"] == "revoked"
    assert doc["revokedAt"] == "2026-04-09T15:30:12Z"


def test_status_of_a_superseded_certificate_points_to_the_correction() -> None:
    doc = revocation_status(
        status_url=f"{BASE}/verify/abc/status",
        issuer_id=f"{BASE}/",
        credential_id=f"{BASE}/verify/abc",
        status=CertificateStatus.SUPERSEDED,
        changed_at=NOW,
        superseded_by=f"{BASE}/verify/xyz",
    )
    assert doc["revokedCredentials"][0]["id"] == f"{BASE}/verify/abc"
    assert doc["revokedCredentials"][0]["revoked"] is True
    assert doc["status"] == "superseded"
    assert doc["supersededBy"] == f"{BASE}/verify/xyz"


def test_the_shared_joserfc_registry_is_left_alone() -> None:
    """Our one-algorithm registry must not replace joserfc's table for the rest of the app."""
    from joserfc.jws import JWSRegistry

    assert type(JWSRegistry.algorithms["EdDSA"]).__module__.startswith("joserfc.")
    assert "HS256" in JWSRegistry.algorithms


def test_rs256_key_signs_and_verifies_beside_eddsa(key: SigningKey, tmp_path: Path) -> None:
    rsa_key = load_or_create_signing_key(tmp_path, alg=credentials.RS256)
    assert rsa_key.alg == "RS256"
    assert load_or_create_signing_key(tmp_path, alg=credentials.RS256).kid == rsa_key.kid
    assert (tmp_path / credentials.RSA_KEY_FILENAME).stat().st_mode & 0o777 == 0o600
    published = jwks([rsa_key, key], base=BASE)
    assert [k["kid"] for k in published["keys"]] == [
        f"{BASE}/.well-known/jwks/{rsa_key.kid}",
        f"{BASE}/.well-known/jwks/{key.kid}",
    ]
    cred = make_credential()
    token = sign_credential(cred, rsa_key, kid=credentials.key_url(BASE, rsa_key))
    assert unb64url_json(token.split(".")[0])["alg"] == "RS256"
    assert verify_credential(token, published, now=NOW) == cred
    old_style = sign_credential(cred, key)  # bare-thumbprint kid, before kids were URLs
    assert verify_credential(old_style, published, now=NOW) == cred
    swapped = {"keys": [{**published["keys"][0], "kid": published["keys"][1]["kid"]}]}
    with pytest.raises(CredentialInvalid):  # an RSA key cannot stand in for the EdDSA one
        verify_credential(old_style, swapped, now=NOW)
