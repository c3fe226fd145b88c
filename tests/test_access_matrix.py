"""Every route × every role: who may do what. A route without a line here fails the suite.

Roles: anonymous, learner, other learner, instructor, other instructor, admin. "owner"
objects (a learner's enrollment, attempt, certificate…) belong to `learner`, so
`other_learner` must get 404 for them. POSTs are sent with a valid CSRF token and an empty
body: the answer shows the access rule, not a successful action.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from ceu.auth.models import Role
from tests.conftest import csrf_from, log_in

ROLES = ("anonymous", "learner", "other_learner", "instructor", "other_instructor", "admin")
LOGIN = "login"  # redirect to the log-in page


@dataclass(frozen=True)
class Case:
    endpoint: str
    method: str
    url: str | Callable[[dict[str, Any]], str]
    expect: dict[str, int | str]
    note: str = ""
    data: dict[str, str] = field(default_factory=dict)


def _rsa_kid() -> str:
    from ceu.certificates.openbadges import signing_key

    return signing_key().kid


def everyone(code: int | str) -> dict[str, int | str]:
    return dict.fromkeys(ROLES, code)


def signed_in(code: int | str) -> dict[str, int | str]:
    return {"anonymous": LOGIN, **dict.fromkeys(ROLES[1:], code)}


def owner_only(code: int | str, *, others: int | str) -> dict[str, int | str]:
    """The owning learner gets `code`; every other signed-in user gets `others`."""
    return {"anonymous": LOGIN, **dict.fromkeys(ROLES[1:], others), "learner": code}


def owner_or_staff(code: int | str, *, others: int | str) -> dict[str, int | str]:
    """The owner and staff (instructors, admins) get `code`; other learners get `others`."""
    return {**dict.fromkeys(ROLES, code), "anonymous": LOGIN, "other_learner": others}


def owner_or_admin(code: int | str, *, others: int | str) -> dict[str, int | str]:
    """The owning learner and admins get `code`; everyone else signed in gets `others`."""
    return {**owner_only(code, others=others), "admin": code}


def admin_only(code: int | str) -> dict[str, int | str]:
    return {"anonymous": LOGIN, **dict.fromkeys(ROLES[1:], 403), "admin": code}


def anonymous_only(anon: int | str, others: int | str = 302) -> dict[str, int | str]:
    return {"anonymous": anon, **dict.fromkeys(ROLES[1:], others)}


MATRIX: list[Case] = [
    Case("core.home", "GET", "/", everyone(200)),
    Case("core.healthz", "GET", "/healthz", everyone(200)),
    Case("static", "GET", "/static/css/app.css", everyone(200)),
    Case("auth.register", "GET", "/register", anonymous_only(200)),
    Case("auth.register", "POST", "/register", anonymous_only(422)),
    Case("auth.login", "GET", "/login", anonymous_only(200)),
    Case("auth.login", "POST", "/login", anonymous_only(422)),
    Case("auth.logout", "POST", "/logout", signed_in(302)),
    Case("auth.profile", "GET", "/account/profile", signed_in(200)),
    Case(
        "auth.profile",
        "POST",
        "/account/profile",
        signed_in(302),
        note="fields left out keep their saved values",
    ),
    Case(
        "auth.end_other_sessions",
        "POST",
        "/account/sessions/end",
        signed_in(302),
        note="signs out every other session of one's own account",
    ),
    Case("auth.change_password", "GET", "/account/password", signed_in(200)),
    Case("auth.change_password", "POST", "/account/password", signed_in(422)),
    Case("auth.reset_request", "GET", "/password/reset", everyone(200)),
    Case("auth.reset_request", "POST", "/password/reset", everyone(422)),
    Case("learning.catalog", "GET", "/courses", everyone(200)),
    Case("learning.course_page", "GET", "/courses/minimal-course", everyone(200)),
    Case("learning.enroll", "POST", "/courses/minimal-course/enroll", signed_in(302)),
    Case(
        "learning.withdraw",
        "POST",
        "/courses/minimal-course/withdraw",
        owner_only(302, others=404),
        note="only the enrolled learner has an enrollment to withdraw",
    ),
    Case("learning.resume", "GET", "/courses/minimal-course/resume", owner_only(302, others=404)),
    Case(
        "learning.module_page",
        "GET",
        "/courses/minimal-course/modules/1",
        owner_or_staff(200, others=404),
        note="enrolled learners read; instructors and admins preview",
    ),
    Case(
        "learning.complete_module",
        "POST",
        "/courses/minimal-course/modules/1/complete",
        owner_or_staff(302, others=404),
        note="staff get a 'preview only' redirect and nothing is recorded",
    ),
    Case("learning.dashboard", "GET", "/dashboard", signed_in(200)),
    Case("quiz.overview", "GET", "/courses/minimal-course/post-test", owner_only(200, others=404)),
    Case(
        "quiz.start",
        "POST",
        "/courses/minimal-course/post-test/start",
        owner_only(302, others=404),
        note="the owner is sent back with 'read every module first'",
    ),
    Case(
        "quiz.start_check",
        "POST",
        "/courses/minimal-course/modules/1/check",
        owner_only(302, others=404),
    ),
    Case("quiz.take", "GET", lambda o: f"/attempts/{o['attempt'].id}", owner_only(200, others=404)),
    Case(
        "quiz.save",
        "POST",
        lambda o: f"/attempts/{o['attempt'].id}/save",
        owner_only(302, others=404),
    ),
    Case(
        "quiz.submit",
        "POST",
        lambda o: f"/attempts/{o['attempt'].id}/submit",
        owner_only(422, others=404),
        note="an empty submit lists the unanswered questions",
    ),
    Case(
        "quiz.result",
        "GET",
        lambda o: f"/attempts/{o['attempt'].id}/result",
        owner_only(302, others=404),
        note="an attempt in progress redirects to its form",
    ),
    Case(
        "certificates.evaluation",
        "GET",
        "/courses/minimal-course/evaluation",
        owner_only(302, others=404),
        note="the owner is sent back until the post-test is passed",
    ),
    Case(
        "certificates.evaluation",
        "POST",
        "/courses/minimal-course/evaluation",
        owner_only(302, others=404),
    ),
    Case(
        "certificates.claim",
        "POST",
        "/courses/minimal-course/certificate",
        owner_only(302, others=404),
    ),
    Case("certificates.mine", "GET", "/certificates", signed_in(200)),
    Case("certificates.transcript_csv", "GET", "/certificates/transcript.csv", signed_in(200)),
    Case("certificates.transcript_pdf", "GET", "/certificates/transcript.pdf", signed_in(200)),
    Case(
        "certificates.show",
        "GET",
        lambda o: f"/certificates/{o['certificate'].id}",
        owner_or_admin(200, others=404),
    ),
    Case(
        "certificates.download_pdf",
        "GET",
        lambda o: f"/certificates/{o['certificate'].id}/pdf",
        owner_or_admin(200, others=404),
    ),
    Case(
        "certificates.download_credential",
        "GET",
        lambda o: f"/certificates/{o['certificate'].id}/credential",
        owner_or_admin(200, others=404),
    ),
    Case(
        "certificates.verify",
        "GET",
        lambda o: f"/verify/{o['certificate'].verification_code}",
        everyone(200),
        note="public: a board member checks a certificate without an account",
    ),
    Case(
        "certificates.status",
        "GET",
        lambda o: f"/verify/{o['certificate'].verification_code}/status",
        everyone(200),
    ),
    Case("openbadges.jwks", "GET", "/.well-known/jwks.json", everyone(200)),
    Case("openbadges.jwk", "GET", lambda o: f"/.well-known/jwks/{_rsa_kid()}", everyone(200)),
    Case("openbadges.issuer", "GET", "/issuer", everyone(200)),
    Case("openbadges.achievement", "GET", "/achievements/minimal-course", everyone(200)),
    Case("openbadges.status_list", "GET", "/credentials/status/1", everyone(200)),
    Case("admin.index", "GET", "/admin/", admin_only(200)),
    Case("admin.certificates", "GET", "/admin/certificates", admin_only(200)),
    Case("admin.approve", "POST", "/admin/certificates/approve", admin_only(302)),
    Case("admin.issue", "POST", "/admin/certificates/issue", admin_only(302)),
    Case(
        "admin.certificate",
        "GET",
        lambda o: f"/admin/certificates/{o['certificate'].id}",
        admin_only(200),
    ),
    Case(
        "admin.revoke",
        "POST",
        lambda o: f"/admin/certificates/{o['certificate'].id}/revoke",
        admin_only(302),
        note="without a reason nothing is revoked",
    ),
    Case(
        "admin.correct",
        "POST",
        lambda o: f"/admin/certificates/{o['certificate'].id}/correct",
        admin_only(302),
    ),
    Case("admin.download_zip", "POST", "/admin/certificates/zip", admin_only(302)),
    Case("admin.issue_mode", "POST", "/admin/courses/minimal-course/issue-mode", admin_only(302)),
    Case("admin.provider", "GET", "/admin/provider", admin_only(200)),
    Case(
        "admin.provider",
        "POST",
        "/admin/provider",
        admin_only(302),
        note="fields left out keep their saved values",
    ),
    Case("admin.audit_log", "GET", "/admin/audit", admin_only(200)),
    Case("admin.users", "GET", "/admin/users", admin_only(200)),
    Case(
        "admin.change_role",
        "POST",
        lambda o: f"/admin/users/{o['learner'].id}/roles",
        admin_only(302),
        note="an empty form changes nothing",
    ),
    Case("admin.certificates_report", "GET", "/admin/reports/certificates.csv", admin_only(200)),
    Case("admin.evaluations", "GET", "/admin/courses/minimal-course/evaluations", admin_only(200)),
    Case(
        "auth.reset_password",
        "GET",
        "/password/reset/not-a-token",
        everyone(302),
        note="an invalid token sends everyone back to the request form",
    ),
    Case("auth.reset_password", "POST", "/password/reset/not-a-token", everyone(302)),
]


def _case_id(case: Case) -> str:
    return f"{case.method} {case.endpoint}"


def test_every_route_has_a_line_in_the_matrix(app):
    covered = {(c.endpoint, c.method) for c in MATRIX}
    missing = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if (rule.endpoint, method) not in covered:
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert not missing, "routes without an access-matrix line:\n" + "\n".join(missing)


@pytest.fixture
def app_config(app_config):
    """The matrix sends many requests from one address: limits are tested elsewhere."""
    app_config["RATELIMIT_ENABLED"] = False
    return app_config


@pytest.fixture
def actors(make_user, course, enroll) -> dict[str, Any]:
    """Users for every role; `learner` owns the objects (enrolled in the example course)."""
    from ceu.extensions import db
    from ceu.quiz.models import AttemptKind
    from ceu.quiz.services import start_attempt

    learner = make_user(Role.LEARNER)
    enrollment = enroll(learner, course)
    attempt = start_attempt(
        enrollment=enrollment, kind=AttemptKind.KNOWLEDGE_CHECK, module_position=1
    )
    db.session.commit()
    certificate = _certificate_for(learner, course, make_user)
    return {
        "certificate": certificate,
        "attempt": attempt,
        "anonymous": None,
        "learner": learner,
        "other_learner": make_user(Role.LEARNER),
        "instructor": make_user(Role.INSTRUCTOR),
        "other_instructor": make_user(Role.INSTRUCTOR),
        "admin": make_user(Role.ADMIN),
    }


def _certificate_for(learner, course, make_user):
    """A certificate owned by `learner`; the enrollment stays active for the other lines."""
    from datetime import date

    from ceu.certificates import services
    from ceu.extensions import db
    from ceu.learning.models import EnrollmentStatus

    services.update_provider_settings(
        actor=None,
        provider_name="P",
        signatory_name="S",
        signatory_title="T",
        approval_statements=[],
    )
    certificate = services.issue_manually(
        user=learner,
        course=course,
        actor=make_user(Role.ADMIN),
        completed_on=date(2026, 1, 5),
        reason="matrix fixture",
        verify_base="http://localhost/",
    )
    certificate.enrollment.status = EnrollmentStatus.ACTIVE
    certificate.enrollment.completed_at = None
    db.session.commit()
    return certificate


@pytest.mark.parametrize("case", MATRIX, ids=_case_id)
def test_access(case: Case, app, actors):
    objects: dict[str, Any] = {**actors, "actors": actors}
    url = case.url(objects) if callable(case.url) else case.url
    failures = []
    for role in ROLES:
        client = app.test_client()
        if actors[role] is not None:
            log_in(client, actors[role])
        if case.method == "GET":
            resp = client.get(url)
        else:
            # any page with a form gives this session's CSRF token
            token = csrf_from(client.get("/password/reset").get_data(as_text=True))
            resp = client.open(url, method=case.method, data={**case.data, "csrf_token": token})
        resp.close()
        expected = case.expect[role]
        got: int | str = resp.status_code
        if expected == LOGIN:
            got = LOGIN if resp.status_code == 302 and "/login" in resp.headers["Location"] else got
        if got != expected:
            failures.append(f"{role}: expected {expected}, got {got}")
    assert not failures, f"{case.method} {url}: " + "; ".join(failures)


# --- hostile input: the same routes, as every role, must never answer 5xx ----------------

HOSTILE_IDS = ("99999999999999999999", "2147483648", "٣")  # beyond int8, int4; not ASCII
HOSTILE_QUERIES = (
    "q=%00&page=%01&%00=1",
    "q=%FF%FE%ED%A0%80&level=%C0&page=99999999999999999999&page=-1",  # bad UTF-8, repeats
    "q=" + "x" * 5000 + "&next=%2F%2Fevil.example",
)


def _form_field_names() -> set[str]:
    """Every field name of every form class of the app, plus the raw names views read."""
    from flask_wtf import FlaskForm
    from wtforms.fields.core import UnboundField

    import ceu.auth.forms
    import ceu.certificates.forms
    import ceu.learning.forms
    import ceu.quiz.forms  # noqa: F401  (register the form classes)

    names = {"board", "number", "statement", "action", "role", "remove_signature"}
    names |= {"enrollment", "certificate"}
    todo = list(FlaskForm.__subclasses__())
    while todo:
        form = todo.pop()
        todo.extend(form.__subclasses__())
        names |= {n for n in dir(form) if isinstance(getattr(form, n, None), UnboundField)}
    return names - {"csrf_token"}


_NAME_RE = re.compile(r'name="([^"]+)"')


def _hostile_urls(url: str) -> list[str]:
    path = url.split("?")[0]
    segments = path.split("/")
    urls = []
    for bad in HOSTILE_IDS:
        swapped = ["%s" % (bad if s.isdigit() else s) for s in segments]
        if swapped != segments:
            urls.append("/".join(swapped))
    if len(segments) > 2:  # a bad character in the last segment (slug, code, id)
        urls += [path + "%00%FF", path.rsplit("/", 1)[0] + "/" + "x" * 3000]
    urls += [f"{path}?{q}" for q in HOSTILE_QUERIES]
    return urls


def _hostile_forms(names: set[str]) -> list[Any]:
    """Bodies: empty, NULs, invalid UTF-8 (raw bytes), overlong, repeated, wrong types."""
    return [
        {},
        dict.fromkeys(names, "a\x00b\x1b"),
        "&".join(f"{n}=%FF%FE%C0%ED%A0%80" for n in names),
        dict.fromkeys(names, "x" * 20000),
        {n: ["1", "2147483648", "99999999999", "-1"] for n in names},  # repeated, beyond int4
        dict.fromkeys(names, "99999999999999999999\u202e\ufeff\U0010ffff"),
    ]


@pytest.mark.parametrize("case", MATRIX, ids=_case_id)
def test_no_server_error_from_hostile_input(case: Case, app, actors):
    objects: dict[str, Any] = {**actors, "actors": actors}
    url = case.url(objects) if callable(case.url) else case.url
    names = _form_field_names()
    failures = []
    for role in ROLES:
        client = app.test_client()
        if actors[role] is not None:
            log_in(client, actors[role])
        token = csrf_from(client.get("/password/reset").get_data(as_text=True))
        if case.method == "GET":
            for hostile in _hostile_urls(url):
                resp = client.get(hostile)
                resp.close()
                if resp.status_code >= 500:
                    failures.append(f"{role}: GET {hostile[:120]} -> {resp.status_code}")
            continue
        page = client.get(url)
        page.close()
        fields = names | set(_NAME_RE.findall(page.get_data(as_text=True)))
        requests = [(u, {}) for u in _hostile_urls(url)]
        requests += [(url, body) for body in _hostile_forms(fields - {"csrf_token"})]
        for target, body in requests:
            if isinstance(body, str):
                resp = client.open(
                    target,
                    method=case.method,
                    data=f"csrf_token={token}&{body}".encode("latin-1"),
                    content_type="application/x-www-form-urlencoded",
                )
            else:
                resp = client.open(target, method=case.method, data={**body, "csrf_token": token})
            resp.close()
            if resp.status_code >= 500:
                failures.append(f"{role}: {case.method} {target[:120]} -> {resp.status_code}")
    assert not failures, "\n".join(failures)
