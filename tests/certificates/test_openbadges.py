"""Open Badges 3.0 as a spec-following verifier checks it: every issued credential validates
against the OB 3.0 AchievementCredential JSON schema (vendored in schema/), verifies from the
published keys alone with a JOSE library (RS256, and EdDSA where asked for), its claims agree
(sub, iss, jti, nbf), the kid URL answers with the key, issuer.id dereferences, the shared
status list flips the bit on revocation, and verifiers' browsers may read all of it."""

from __future__ import annotations

import json
import warnings
from datetime import datetime
from pathlib import Path

import pytest
from joserfc import jws
from joserfc.errors import SecurityWarning
from joserfc.jwk import KeySet
from jsonschema import Draft201909Validator, FormatChecker

from ceu.certificates import credentials, services
from ceu.extensions import db
from tests.conftest import log_in

SCHEMA = json.loads(
    (Path(__file__).parent / "schema" / "ob_v3p0_achievementcredential_schema.json").read_text()
)
BASE = "http://localhost"


def issued(make_user, finish, **kwargs):
    learner = make_user(**kwargs)
    admin = make_user("admin")
    enrollment = finish(learner, evaluate=True)
    certificate = services.issue_for_enrollment(
        enrollment=enrollment, actor=admin, verify_base=f"{BASE}/"
    )
    db.session.commit()
    return learner, admin, certificate


def verify_with_published_keys(client, token: str) -> dict:
    """What a verifier does with nothing but the token and the issuer's JWKS URL."""
    header = json.loads(credentials._b64url_decode(token.split(".")[0]))
    keys = client.get("/.well-known/jwks.json").get_json()
    key_set = KeySet.import_key_set(keys)
    with warnings.catch_warnings():  # joserfc flags "EdDSA" as deprecated by RFC 9864
        warnings.simplefilter("ignore", SecurityWarning)
        signed = jws.deserialize_compact(token, key_set, algorithms=[header["alg"]])
    return {"header": header, "payload": json.loads(signed.payload), "jwks": keys}


@pytest.mark.parametrize("alg", ["RS256", "EdDSA"])
def test_issued_credential_validates_and_verifies_from_the_published_keys(
    client, make_user, finish, provider, alg
):
    learner, admin, certificate = issued(make_user, finish, full_name="Zoë Ångström-Núñez")
    log_in(client, learner)
    query = "?alg=EdDSA" if alg == "EdDSA" else ""
    token = client.get(f"/certificates/{certificate.id}/credential{query}").get_data(as_text=True)
    checked = verify_with_published_keys(client, token)
    header, payload = checked["header"], checked["payload"]
    assert header["alg"] == alg

    credential = {k: v for k, v in payload.items() if k not in credentials.JWT_CLAIMS}
    Draft201909Validator(SCHEMA, format_checker=FormatChecker()).validate(credential)
    subject = credential["credentialSubject"]
    assert subject["id"].startswith("urn:uuid:")
    assert payload["sub"] == subject["id"]
    assert payload["iss"] == credential["issuer"]["id"]
    assert payload["jti"] == credential["id"]
    assert payload["nbf"] == int(datetime.fromisoformat(credential["validFrom"]).timestamp())
    assert credential["validFrom"] == certificate.issued_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert credential["awardedDate"] == credential["validFrom"]  # the real instant, not noon
    assert {"identityType": "emailAddress", "hashed": True}.items() <= next(
        i for i in subject["identifier"] if i["identityType"] == "emailAddress"
    ).items()
    assert credentials.verify_credential(token, checked["jwks"])["id"] == credential["id"]

    # the kid is a URL that answers with the very key, readable cross-origin
    kid_path = header["kid"].removeprefix(BASE)
    jwk = client.get(kid_path)
    assert jwk.status_code == 200
    assert jwk.headers["Access-Control-Allow-Origin"] == "*"
    assert jwk.get_json()["kid"] == header["kid"]
    assert jwk.get_json() in checked["jwks"]["keys"]


def test_jwks_offers_rs256_and_eddsa_side_by_side(client) -> None:
    resp = client.get("/.well-known/jwks.json")
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    keys = resp.get_json()["keys"]
    assert sorted(k["alg"] for k in keys) == ["EdDSA", "RS256"]
    assert all(k["kid"].startswith(f"{BASE}/.well-known/jwks/") for k in keys)
    assert all("d" not in k and "p" not in k for k in keys)


def test_a_credential_signed_with_the_bare_thumbprint_kid_still_verifies(app) -> None:
    """Credentials issued before the kid became a URL name the key by its thumbprint."""
    from ceu.certificates.openbadges import all_keys, signing_key

    key = signing_key("EdDSA")
    credential = {
        "@context": list(credentials.CONTEXTS),
        "id": f"{BASE}/verify/x",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": f"{BASE}/issuer", "type": ["Profile"]},
        "validFrom": "2026-01-05T10:00:00Z",
        "credentialSubject": {"type": ["AchievementSubject"], "identifier": []},
    }
    token = credentials.sign_credential(credential, key)  # kid = bare thumbprint
    published = credentials.jwks(all_keys(), base=BASE)
    assert credentials.verify_credential(token, published)["id"] == credential["id"]


def test_issuer_id_dereferences_to_the_profile_by_content_negotiation(client, provider) -> None:
    as_json = client.get("/issuer", headers={"Accept": "application/json"})
    assert as_json.headers["Access-Control-Allow-Origin"] == "*"
    profile = as_json.get_json()
    assert profile["id"] == f"{BASE}/issuer"
    assert profile["type"] == ["Profile"]
    assert profile["name"] == "Example CE Provider"
    page = client.get("/issuer", headers={"Accept": "text/html"})
    assert page.mimetype == "text/html"
    assert "Example CE Provider" in page.get_data(as_text=True)


def test_achievement_id_dereferences(client, course) -> None:
    resp = client.get("/achievements/minimal-course")
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    achievement = resp.get_json()
    assert achievement["type"] == ["Achievement"]
    assert achievement["achievementType"] == "CertificateOfCompletion"
    assert client.get("/achievements/no-such-course").status_code == 404


def test_shared_status_list_sets_the_bit_of_a_revoked_credential_only(
    client, make_user, finish, provider
):
    learner, admin, certificate = issued(make_user, finish)
    _, _, kept = issued(make_user, finish)
    log_in(client, learner)
    token = client.get(f"/certificates/{certificate.id}/credential").get_data(as_text=True)
    entry = verify_with_published_keys(client, token)["payload"]["credentialStatus"]
    assert entry["type"] == "BitstringStatusListEntry"
    assert entry["statusPurpose"] == "revocation"
    list_path = entry["statusListCredential"].removeprefix(BASE)
    _, kept_index = credentials.status_list_position(kept.id)

    def bit(index: int) -> bool:
        resp = client.get(list_path)
        assert resp.headers["Access-Control-Allow-Origin"] == "*"
        status_list = resp.get_json()
        assert status_list["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
        encoded = status_list["credentialSubject"]["encodedList"]
        bits = credentials.decode_status_list(encoded)
        assert len(bits) * 8 == credentials.STATUS_LIST_SIZE  # one list for many credentials
        return credentials.status_bit(bits, index)

    index = int(entry["statusListIndex"])
    assert not bit(index)
    services.revoke_certificate(certificate=certificate, actor=admin, reason="audit")
    db.session.commit()
    assert bit(index)
    assert not bit(kept_index)


def test_status_list_encoding_follows_the_bit_order_of_the_specification() -> None:
    bits = credentials.decode_status_list(credentials.encode_status_list([0, 9], size=16))
    assert bits == bytes([0b1000_0000, 0b0100_0000])
