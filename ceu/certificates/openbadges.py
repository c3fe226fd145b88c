"""What an Open Badges 3.0 verifier dereferences: keys, issuer profile, achievements and the
shared status list. Public, read-only, and readable cross-origin (CORS `*` on GET), so a
browser-based verifier can fetch them.

- `/.well-known/jwks.json`: the signing keys (RS256 and EdDSA side by side, every kid the
  key's own URL, `/.well-known/jwks/<thumbprint>`, which answers with that JWK);
- `/issuer`: the issuer Profile (JSON for `Accept: application/json` or `application/ld+json`,
  an HTML page otherwise) — the credential's `issuer.id`;
- `/achievements/<slug>`: the course as an Achievement;
- `/credentials/status/<n>`: a BitstringStatusListCredential shared by 131,072
  certificates, so a status check does not tell the issuer which credential was checked.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request

from ceu.certificates import credentials, queries, services
from ceu.extensions import limiter, utcnow

bp = Blueprint("openbadges", __name__)

CORS_ENDPOINTS = frozenset(
    {
        "openbadges.jwks",
        "openbadges.jwk",
        "openbadges.issuer",
        "openbadges.achievement",
        "openbadges.status_list",
        "certificates.status",
    }
)
JSON_TYPES = ("application/json", "application/ld+json")
KEY_SOURCES = {  # alg: (config key, environment variable)
    credentials.RS256: ("RSA_SIGNING_KEY_PEM", "CEU_RSA_SIGNING_KEY"),
    credentials.ALG: ("SIGNING_KEY_PEM", "CEU_SIGNING_KEY"),
}


def signing_key(alg: str = credentials.RS256) -> credentials.SigningKey:
    """The signing key for `alg` (RS256 by default, as OB 3.0 requires; EdDSA offered)."""
    cache = current_app.extensions.setdefault("ceu_signing_keys", {})
    if alg not in cache:
        setting, variable = KEY_SOURCES[alg]
        cache[alg] = credentials.load_or_create_signing_key(
            Path(current_app.instance_path),
            current_app.config.get(setting) or os.environ.get(variable),
            alg=alg,
        )
    return cache[alg]


def all_keys() -> list[credentials.SigningKey]:
    return [signing_key(alg) for alg in credentials.ALGS]


def base_url() -> str:
    from ceu.certificates.views import verify_base

    return verify_base().rstrip("/")


def issuer_id(base: str) -> str:
    return f"{base}/issuer"


def status_list_url(base: str, number: int) -> str:
    return f"{base}/credentials/status/{number}"


@bp.after_app_request
def allow_cross_origin_reads(response: Response) -> Response:
    if request.method in ("GET", "HEAD") and request.endpoint in CORS_ENDPOINTS:
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/.well-known/jwks.json")
def jwks() -> Response:
    base = base_url()
    return jsonify(credentials.jwks(all_keys(), issuer_id=issuer_id(base), base=base))


@bp.get("/.well-known/jwks/<kid>")
def jwk(kid: str) -> Any:
    base = base_url()
    for key in all_keys():
        if key.kid == kid:
            published = key.public_jwk(credentials.key_url(base, key))
            return jsonify({**published, "iss": issuer_id(base)})
    return jsonify(error="unknown key"), 404


@bp.get("/issuer")
def issuer() -> Any:
    base = base_url()
    settings = services.provider_settings()
    profile = {
        "@context": [credentials.VC_V2_CONTEXT, credentials.OB_V3_CONTEXT],
        "id": issuer_id(base),
        "type": ["Profile"],
        "name": settings.provider_name,
        "url": base + "/",
    }
    if request.accept_mimetypes.best_match(["text/html", *JSON_TYPES]) in JSON_TYPES:
        return jsonify(profile)
    return render_template("certificates/issuer.html", profile=profile, settings=settings)


@bp.get("/achievements/<slug>")
def achievement(slug: str) -> Any:
    found = queries.achievement(slug)
    if found is None:
        abort(404)
    base = base_url()
    return jsonify(
        {
            "@context": [credentials.VC_V2_CONTEXT, credentials.OB_V3_CONTEXT],
            "id": f"{base}/achievements/{slug}",
            "type": ["Achievement"],
            "achievementType": credentials.ACHIEVEMENT_TYPE,
            "name": found.title,
            "description": achievement_description(found.title, found.contact_hours),
            "criteria": {"narrative": CRITERIA},
            "creditsAvailable": found.contact_hours,
            "version": found.version_label,
        }
    )


CRITERIA = "Read every module, passed the post-test and completed the course evaluation."


def achievement_description(title: str, hours: float) -> str:
    return f"Completion of the continuing-education course {title}, {hours:g} contact hours."


@bp.get("/credentials/status/<int:number>")
@limiter.limit("120 per minute")
def status_list(number: int) -> Any:
    if not 1 <= number <= 1_000:
        return jsonify(error="unknown status list"), 404
    first = (number - 1) * credentials.STATUS_LIST_SIZE
    revoked = queries.not_valid_ids(first, first + credentials.STATUS_LIST_SIZE)
    base = base_url()
    return jsonify(
        credentials.status_list_credential(
            list_url=status_list_url(base, number),
            issuer_id=issuer_id(base),
            valid_from=utcnow(),
            revoked=[cert_id - first for cert_id in revoked],
        )
    )
