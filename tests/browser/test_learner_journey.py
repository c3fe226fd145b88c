"""A counselor earns CE credit from first visit to certificate, failing the post-test once.

The post-test keys come from the journey database (`steps.answer_key`), never from the
page: the app must not send them before the attempt is graded, and this journey checks
that it does not.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from playwright.sync_api import Browser, expect

from tests.browser.harness import (
    KEYBOARD_DESKTOP,
    MOUSE_DESKTOP,
    Device,
    Input,
    Keyboard,
    Visitor,
)
from tests.browser.servers import Account, LiveServer
from tests.browser.steps import (
    PROVIDER,
    KeyedItem,
    answer,
    answer_key,
    attempt_id,
    complete_profile,
    download,
    log_in,
    main_nav,
    name_the_provider,
    open_window,
    pick,
    register,
    words_fit_at_320,
)

COURSE = "Ketamine for Refractory Anxiety"
SLUG = "ketamine-refractory-anxiety"
MODULES = (
    "Refractory anxiety",
    "Mechanism of action",
    "Clinical evidence and its limits",
    "Administration and safety",
    "Ethics, law and scope of practice",
    "Multidisciplinary care",
)
POST_TEST_ITEMS = 30

# The whole journey is long (six modules, two post-test attempts): a mouse and the
# keyboard alone, at 1280 px; every page is still audited at 320 px as well.
mouse_and_keyboard = pytest.mark.parametrize(
    "device", [MOUSE_DESKTOP, KEYBOARD_DESKTOP], ids=lambda d: d.id, indirect=True
)
_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def provider(live_server: LiveServer) -> None:
    """Certificates cannot be issued before the provider and the signatory are named."""
    name_the_provider(live_server)


@pytest.fixture
def approval_mode(live_server: LiveServer) -> None:
    """This journey waits for an admin: the course must issue by approval."""
    mode = live_server.query("SELECT certificate_issue_mode FROM course WHERE slug = ?", SLUG)
    assert mode == [("approval",)], f"{SLUG} issues certificates by {mode}, not approval"


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _jwt_part(part: str) -> dict[str, Any]:
    return json.loads(_b64url(part))


def _answers_not_on_page(visitor: Visitor, items: list[KeyedItem]) -> None:
    """Before grading, no rationale (and so no "Correct."/"Incorrect." verdict) is sent."""
    html = visitor.page.content()
    leaked = [r for item in items for r in item.rationales if r[:60] in html]
    assert not leaked, f"{visitor.page.url} sends rationales before grading: {leaked[:2]}"


@mouse_and_keyboard
@pytest.mark.usefixtures("provider", "approval_mode")
def test_counselor_fails_then_passes_and_downloads_the_approved_certificate(
    request: pytest.FixtureRequest,
    ui: Input,
    visitor: Visitor,
    device: Device,
    browser: Browser,
    live_server: LiveServer,
    accounts: dict[str, Account],
    tmp_path: Path,
) -> None:
    page = visitor.page
    n = next(_numbers)
    me = Account("learner", f"learner-{device.id}-{n}@example.org", f"Robin Rivera {device.id}")
    if isinstance(ui, Keyboard):
        ui.max_presses = 200  # from the error summary down a 30-question form to its button

    # Register and complete the profile.
    visitor.goto("/")
    register(ui, me)
    complete_profile(ui, credential="LPC", license_number=f"LPC-{n:04d}-OH", state="Ohio")

    # Find the course in the catalog and enroll.
    ui.follow_link("Courses", within=main_nav(ui))
    visitor.expect_heading("Courses")
    ui.follow_link(COURSE)
    visitor.expect_heading(COURSE)
    ui.click_button("Enroll")
    visitor.expect_message("You are enrolled")
    ui.follow_link("Start module 1")

    # Read the six modules, with one knowledge check on the way.
    for position, title in enumerate(MODULES, 1):
        visitor.expect_heading(title)
        expect(page.get_by_role("navigation", name="Breadcrumb")).to_contain_text(
            f"Module {position} of {len(MODULES)}"
        )
        if position == 2:
            ui.click_button("Start the knowledge check")
            visitor.expect_heading("Check your understanding")
            check = answer_key(live_server, attempt_id(page))
            _answers_not_on_page(visitor, check)
            answer(ui, check, right={1})  # the first right, the rest wrong
            ui.click_button("Submit for grading")
            expect(page.get_by_role("heading", level=1)).to_have_text(
                re.compile(rf"^Knowledge check: 1(\.0)? of {len(check)} correct$")
            )
            expect(page.get_by_text("does not count toward your grade")).to_be_visible()
            ui.follow_link(f"Back to module {position}")
            visitor.expect_heading(title)
        if position < len(MODULES):
            ui.click_button(f"Finish and continue to module {position + 1}")
        else:
            ui.click_button("Finish the last module")
    visitor.expect_heading(COURSE)
    visitor.expect_message("You have read every module.")

    # Seat time: read at test speed, every module still owes reading time, and the
    # post-test stays closed (the page says why; nothing blocks reading).
    expect(page.get_by_text("of reading time before the post-test").first).to_be_visible()
    ui.follow_link("Post-test")
    visitor.expect_heading("Post-test")
    expect(page.get_by_text("spent the minimum reading time in each")).to_be_visible()
    expect(page.get_by_role("button", name="Start the post-test")).to_have_count(0)
    # Half an hour of reading passes (the server credits at most 10 minutes per page view,
    # so the journey records it directly rather than waiting).
    live_server.execute(
        "UPDATE module_progress SET seconds_spent = seconds_spent + 1800 WHERE enrollment_id ="
        " (SELECT e.id FROM enrollment e JOIN [user] u ON u.id = e.user_id WHERE u.email = ?)",
        me.email,
    )
    ui.follow_link(COURSE)
    visitor.expect_heading(COURSE)
    expect(page.get_by_text("of reading time before the post-test")).to_have_count(0)

    # First post-test attempt: a few questions skipped, most answers wrong.
    ui.follow_link("Post-test")
    visitor.expect_heading("Post-test")
    ui.click_button("Start the post-test")
    visitor.expect_heading("Post-test: attempt 1")
    first_id = attempt_id(page)
    first = answer_key(live_server, first_id)
    assert len(first) == POST_TEST_ITEMS
    _answers_not_on_page(visitor, first)
    right_first = set(range(1, 13))  # 12 of 30 right: 40%
    answer(ui, first[:20], right=right_first)
    ui.click_button("Save answers")
    visitor.expect_message("Your answers are saved.")
    expect(first[0].group(page).get_by_label(first[0].right()[0], exact=True)).to_be_checked()
    answer(ui, first[20:27], right=right_first)
    ui.click_button("Submit for grading", status=422)
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("You have not answered 3 questions")
    for missing in (28, 29, 30):
        expect(summary.get_by_role("link", name=f"question {missing}", exact=True)).to_be_visible()
    expect(first[27].group(page)).to_contain_text("Not answered yet.")
    ui.click_button("Submit anyway")
    visitor.expect_heading("Post-test result: 40.0%")
    expect(page.get_by_text("Not passed. The pass mark is 80%.")).to_be_visible()
    expect(page.get_by_text("These are the questions you missed.")).to_be_visible()
    expect(page.get_by_text("(correct answer)")).to_have_count(0)  # not before a pass
    words_fit_at_320(visitor)

    # Second attempt: a different form, every answer right.
    ui.follow_link("Back to the post-test page")
    visitor.expect_heading("Post-test")
    expect(page.get_by_text("2 attempts left.")).to_be_visible()
    words_fit_at_320(visitor)
    ui.click_button("Start a new attempt")
    visitor.expect_heading("Post-test: attempt 2")
    second_id = attempt_id(page)
    second = answer_key(live_server, second_id)
    assert second_id != first_id
    first_ids, second_ids = {i.id for i in first}, {i.id for i in second}
    assert second_ids != first_ids, f"the retake drew the same form: {sorted(second_ids)}"
    assert len(first_ids & second_ids) <= POST_TEST_ITEMS // 3, (
        f"the retake repeats {len(first_ids & second_ids)} of {POST_TEST_ITEMS} items: "
        f"{sorted(first_ids & second_ids)}"
    )
    _answers_not_on_page(visitor, second)
    answer(ui, second, right=set(range(1, POST_TEST_ITEMS + 1)))
    ui.click_button("Submit for grading")
    visitor.expect_heading("Post-test result: 100.0%")
    expect(page.get_by_text("Passed. The pass mark is 80%.")).to_be_visible()
    expect(page.get_by_text("(correct answer)")).to_have_count(sum(len(i.key) for i in second))

    # The evaluation: a required answer forgotten first.
    ui.follow_link("Course page")
    visitor.expect_heading(COURSE)
    ui.follow_link("Complete the course evaluation")
    visitor.expect_heading("Course evaluation")
    groups = page.get_by_role("main").get_by_role("group")
    count = groups.count()
    assert count >= 5, f"the evaluation shows {count} rating questions"
    for index in range(1, count):  # the first (a required one) forgotten
        pick(ui, groups.nth(index), "Agree")
    ui.fill("About how many minutes did the course take you?", "150")
    ui.click_button("Submit the evaluation", status=422)
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    pick(ui, groups.nth(0), "Strongly agree")
    ui.fill("Comments and suggestions.", "Clear modules; more case vignettes, please.")
    ui.click_button("Submit the evaluation", status=422)  # the attestation is still unticked
    expect(page.get_by_role("alert")).to_contain_text("Attestation")
    pick(ui, groups.nth(0), "Strongly agree")
    ui.check("I attest that I completed this activity myself")
    ui.click_button("Submit the evaluation")
    visitor.expect_heading(COURSE)
    visitor.expect_message("Thank you for your evaluation.")

    # Approval mode: the course page says the certificate waits for the provider.
    expect(page.get_by_role("main")).to_contain_text(
        "Your certificate is waiting for the provider's approval"
    )
    ui.follow_link("My certificates", within=main_nav(ui))
    visitor.expect_heading("My certificates and transcript")
    expect(page.get_by_text("You have no certificates yet.")).to_be_visible()

    # An admin, at another computer, approves it from the queue.
    admin_ui = open_window(request, browser, live_server, who="admin", device=device)
    admin_page = admin_ui.page
    admin_ui.visitor.goto("/")
    log_in(admin_ui, accounts["admin"].email, accounts["admin"].password)
    admin_ui.follow_link("Admin", within=main_nav(admin_ui))
    admin_ui.visitor.expect_heading("Administration")
    admin_ui.follow_link("Certificate desk")
    admin_ui.visitor.expect_heading("Certificate desk")
    queue = admin_page.get_by_role("region", name="Waiting for approval")
    expect(queue.get_by_role("row", name=re.compile(re.escape(me.email)))).to_contain_text("100.0%")
    admin_ui.check(f"Approve {me.full_name}, {COURSE}")
    admin_ui.click_button("Approve and issue the selected certificates")
    admin_ui.visitor.expect_message("Issued 1 certificate(s):")
    number = re.search(
        r"Issued 1 certificate\(s\): (\S+)", admin_page.get_by_role("status").inner_text()
    )
    assert number, admin_page.get_by_role("status").inner_text()
    cert_number = number.group(1)
    expect(admin_page.get_by_label(f"Approve {me.full_name}, {COURSE}")).to_have_count(0)
    words_fit_at_320(admin_ui.visitor)

    # The learner finds it under My certificates and downloads both files.
    visitor.reload()
    row = page.get_by_role("row", name=re.compile(re.escape(cert_number)))
    expect(row).to_contain_text(COURSE)
    expect(row).to_contain_text("Valid")
    words_fit_at_320(visitor)
    pdf = download(ui, page.get_by_role("link", name=f"PDF of certificate {cert_number}"), tmp_path)
    assert pdf.read_bytes().startswith(b"%PDF-"), f"{pdf.name} is not a PDF"
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    for expected in (me.full_name, COURSE, cert_number, f"LPC-{n:04d}-OH", PROVIDER["signatory"]):
        assert expected in " ".join(text.split()), f"{expected!r} is not in {pdf.name}:\n{text}"

    badge = download(
        ui, page.get_by_role("link", name=f"Open Badge for certificate {cert_number}"), tmp_path
    )
    token = badge.read_text(encoding="ascii").strip()
    header_b64, payload_b64, signature_b64 = token.split(".")
    header, payload = _jwt_part(header_b64), _jwt_part(payload_b64)
    assert header["alg"] == "RS256", header  # what Open Badges 3.0 requires of VC-JWT
    jwks = page.request.get(visitor.url("/.well-known/jwks.json")).json()
    key = next((k for k in jwks["keys"] if k.get("kid") == header["kid"]), None)
    assert key is not None, f"kid {header['kid']} is not in /.well-known/jwks.json: {jwks}"
    public = rsa.RSAPublicNumbers(
        int.from_bytes(_b64url(key["e"]), "big"), int.from_bytes(_b64url(key["n"]), "big")
    ).public_key()
    public.verify(  # raises if forged
        _b64url(signature_b64),
        f"{header_b64}.{payload_b64}".encode("ascii"),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )
    assert payload["sub"] == payload["credentialSubject"]["id"], payload["sub"]
    assert "OpenBadgeCredential" in payload["type"], payload["type"]
    names = [
        i["identityHash"]
        for i in payload["credentialSubject"]["identifier"]
        if i["identityType"] == "name"
    ]
    assert names == [me.full_name], payload["credentialSubject"]
    assert payload["credentialSubject"]["achievement"]["name"] == COURSE
    assert payload["id"].startswith(f"{live_server.url}/verify/"), payload["id"]
