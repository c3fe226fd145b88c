"""Certificates after they are issued: a board member checks one, an admin runs the desk.

The board member has nothing but the PDF: the QR code is read from page 1 as an image
(pdftoppm, zbarimg), and the address it holds is opened in a browser that never logged in.
"""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.harness import Device, Input, Visitor, every_device
from tests.browser.servers import Account, LiveServer
from tests.browser.steps import (
    complete_profile,
    download,
    fill_date,
    log_in,
    main_nav,
    name_the_provider,
    open_window,
    register,
    select,
    words_fit_at_320,
)

COURSE = "Ketamine for Refractory Anxiety"
SLUG = "ketamine-refractory-anxiety"
_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def provider(live_server: LiveServer) -> None:
    """Certificates cannot be issued before the provider and the signatory are named."""
    name_the_provider(live_server)


@pytest.fixture
def issue_mode_restored(live_server: LiveServer) -> Iterator[None]:
    """The journey puts the course back to approval; should it fail first, this does."""
    yield
    live_server.execute(
        "UPDATE course SET certificate_issue_mode = 'approval' WHERE slug = ?", SLUG
    )


def qr_code_in(pdf: Path) -> str:
    """What a phone reads from the QR code on page 1 of the certificate."""
    missing = [tool for tool in ("pdftoppm", "zbarimg") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} not installed: apt-get install poppler-utils zbar-tools")
    subprocess.run(
        ["pdftoppm", "-png", "-r", "200", "-f", "1", "-l", "1", "-singlefile", str(pdf),
         str(pdf.with_suffix(""))],
        check=True,
    )  # fmt: skip
    image = pdf.with_suffix(".png")
    found = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(image)], capture_output=True, text=True
    )
    codes = found.stdout.split()
    problem = (
        f"expected one QR code on page 1 of {pdf.name} (rendered to {image}); zbarimg "
        f"exited {found.returncode} with {codes!r} {found.stderr.strip()!r}"
    )
    assert found.returncode == 0, problem
    assert len(codes) == 1, problem
    return codes[0]


@every_device
@pytest.mark.usefixtures("provider")
def test_board_member_scans_the_qr_code_and_sees_the_revocation_without_its_reason(
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
    me = Account("learner", f"board-check-{device.id}-{n}@example.org", f"Sam Okafor {device.id}")
    reason = f"Private: duplicate record found in audit {device.id}-{n}"

    # A counselor with a complete profile attended a live session.
    visitor.goto("/")
    register(ui, me)
    complete_profile(ui, credential="LMHC", license_number=f"MH-{n:05d}", state="Florida")

    # The admin issues the certificate by hand from the certificate desk.
    admin = open_window(request, browser, live_server, who="admin", device=device)
    admin.visitor.goto("/")
    log_in(admin, accounts["admin"].email, accounts["admin"].password)
    admin.follow_link("Admin", within=main_nav(admin))
    admin.follow_link("Certificate desk")
    admin.visitor.expect_heading("Certificate desk")
    admin.fill("Learner's e-mail address", me.email)
    admin.fill("Course slug", SLUG)
    fill_date(admin, "Completion date", datetime.now(UTC).date() - timedelta(days=2))
    admin.fill("Reason (for example", "Attended the live session on ketamine and anxiety.")
    admin.click_button("Issue the certificate")
    admin.visitor.expect_message(f"to {me.full_name}.")
    heading = admin.page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile(r"^Certificate \S+: valid$"))
    number = heading.inner_text().split()[1].rstrip(":")

    # The counselor looks at the certificate, then downloads the PDF from the list.
    ui.follow_link("My certificates", within=main_nav(ui))
    visitor.expect_heading("My certificates and transcript")
    ui.follow_link(number)
    visitor.expect_heading(f"Certificate {number}")
    expect(page.get_by_role("main")).to_contain_text(me.full_name)
    expect(page.get_by_role("link", name="Download the PDF")).to_be_visible()
    words_fit_at_320(visitor)
    ui.follow_link("My certificates", within=main_nav(ui))
    pdf = download(ui, page.get_by_role("link", name=f"PDF of certificate {number}"), tmp_path)

    # A board member scans the QR code on it, on a computer that never logged in.
    address = qr_code_in(pdf)
    assert address.startswith(f"{live_server.url}/verify/"), (
        f"the QR code on {pdf.name} holds {address!r}, not this site's /verify/ address"
    )
    board = open_window(request, browser, live_server, who="board member", device=device)
    board.visitor.goto(address)
    board.visitor.expect_heading("Certificate verification")
    verdict = board.page.get_by_role("main").get_by_role("status")
    expect(verdict).to_contain_text("Valid.")
    main = board.page.get_by_role("main")
    for shown in (me.full_name, COURSE, number, f"MH-{n:05d}"):
        expect(main).to_contain_text(shown)
    expect(main_nav(board).get_by_role("link", name="Log in", exact=True)).to_be_visible()
    words_fit_at_320(board.visitor)

    # The admin revokes it, with a private reason.
    admin.fill("Reason for revoking", reason)
    admin.click_button(f"Revoke certificate {number}")
    admin.visitor.expect_message(f"Certificate {number} is revoked.")
    expect(admin.page.get_by_role("heading", level=1)).to_have_text(
        f"Certificate {number}: revoked"
    )
    expect(admin.page.get_by_role("main")).to_contain_text(reason)

    # The board member looks again: revoked, and nothing of why.
    board.visitor.reload()
    expect(verdict).to_contain_text("Revoked.")
    expect(verdict).not_to_contain_text("Valid.")
    assert reason not in board.page.content(), f"{address} shows the private reason"
    status = board.page.request.get(f"{address}/status")
    assert status.ok, f"{address}/status answers HTTP {status.status}"
    assert status.json()["status"] == "revoked", status.json()
    assert reason not in status.text(), f"{address}/status shows the private reason"

    # The counselor's list and certificate say so too, and offer no more downloads.
    visitor.reload()
    row = page.get_by_role("row", name=re.compile(re.escape(number)))
    expect(row).to_contain_text("Revoked on")
    expect(row.get_by_role("link", name=re.compile("^PDF"))).to_have_count(0)
    # Revoked means revoked everywhere: the certificate itself is refused, saying when.
    ui.follow_link(number, status=410)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Certificate {number} was revoked")
    expect(page.get_by_role("main")).to_contain_text("The provider revoked this certificate on")
    expect(page.get_by_role("link", name="Download the PDF")).to_have_count(0)


@every_device
@pytest.mark.usefixtures("issue_mode_restored")
def test_admin_sets_issue_mode_and_provider_then_reads_the_audit_log_and_evaluations(
    ui: Input, visitor: Visitor, device: Device, accounts: dict[str, Account]
) -> None:
    page = visitor.page
    admin = accounts["admin"]
    n = next(_numbers)
    provider_name = f"Riverbend Counseling Institute ({device.id} {n})"
    mode_label = f"How certificates are issued for {SLUG}"

    visitor.goto("/")
    log_in(ui, admin.email, admin.password)
    ui.follow_link("Admin", within=main_nav(ui))
    visitor.expect_heading("Administration")
    words_fit_at_320(visitor)

    # Automatic issue for the course.
    select(ui, mode_label, "Automatic on completion")
    ui.click_button(f"Save issue mode for {SLUG}")
    visitor.expect_message(f"{SLUG}: certificates are now issued automatically on completion.")
    expect(page.get_by_label(mode_label).locator("option:checked")).to_have_text(
        "Automatic on completion"
    )

    # Provider settings, with a second board's approval statement.
    ui.follow_link("Provider settings")
    visitor.expect_heading("Provider settings")
    ui.fill("Provider name", provider_name)
    ui.fill("Signatory name", "Morgan Lee")
    ui.fill("Signatory title", "Continuing Education Director")
    ui.fill("Board 2", "Ohio CSWMFT Board (example)")
    ui.fill("Approval number 2", f"RCST-{n:04d}")
    ui.fill("Statement 2", "Approved as an example provider of continuing education.")
    ui.click_button("Save provider settings")
    visitor.expect_message("Provider settings saved.")
    expect(page.get_by_label("Provider name")).to_have_value(provider_name)
    # empty rows are dropped on save, so the new board may move up a row
    numbers = page.locator("input[name=number]").evaluate_all("(all) => all.map((e) => e.value)")
    assert f"RCST-{n:04d}" in numbers, numbers

    # The audit log lists both actions, by this admin.
    ui.follow_link("Admin", within=main_nav(ui))
    ui.follow_link("Audit log")
    visitor.expect_heading("Audit log")
    words_fit_at_320(visitor)
    rows = page.get_by_role("row")
    mode_row = rows.filter(has_text="course.issue_mode").first
    expect(mode_row).to_contain_text(admin.email)
    expect(mode_row).to_contain_text(f"course {SLUG}")
    expect(rows.filter(has_text="provider.update").first).to_contain_text(admin.email)
    ui.fill("Filter by action", "course.issue_mode")
    ui.click_button("Filter")
    visitor.expect_heading("Audit log")
    body = page.get_by_role("table").locator("tbody").get_by_role("row")
    expect(body.first).to_contain_text("course.issue_mode")
    expect(body.filter(has_not_text="course.issue_mode")).to_have_count(0)

    # The evaluation report for the course.
    ui.follow_link("Admin", within=main_nav(ui))
    ui.follow_link(f"Evaluation report for {SLUG}")
    visitor.expect_heading(f"Evaluation report: {COURSE}")
    expect(page.get_by_text(re.compile(r"^\d+ evaluations?\. "))).to_be_visible()
    expect(page.get_by_role("columnheader", name="Mean")).to_be_visible()
    words_fit_at_320(visitor)

    # Back to approval, which the other journeys expect.
    ui.follow_link("Admin", within=main_nav(ui))
    select(ui, mode_label, "Admin approval")
    ui.click_button(f"Save issue mode for {SLUG}")
    visitor.expect_message(f"{SLUG}: certificates are now issued after an admin approves.")


@every_device
def test_admin_changes_a_role_and_exports_the_certificates_report(
    ui: Input, visitor: Visitor, accounts: dict[str, Account], tmp_path: Path
) -> None:
    page = visitor.page
    admin, learner = accounts["admin"], accounts["learner"]
    visitor.goto("/")
    log_in(ui, admin.email, admin.password)
    ui.follow_link("Admin", within=main_nav(ui))
    ui.follow_link("People and roles")
    visitor.expect_heading("People and roles")
    ui.fill("Search by name or e-mail", learner.email)
    ui.click_button("Search")
    ui.click_button(f"Make instructor: {learner.email}")
    visitor.expect_message(f"{learner.email} now has the instructor role.")
    ui.click_button(f"Remove instructor role from {learner.email}")
    visitor.expect_message(f"{learner.email} no longer has the instructor role.")

    ui.follow_link("Admin", within=main_nav(ui))
    report = download(ui, page.get_by_role("link", name="Certificates report (CSV)"), tmp_path)
    assert report.read_bytes().startswith(b"\xef\xbb\xbf"), "Excel needs the byte-order mark"
    header = report.read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.startswith("certificate_number,status,learner_name,email,credential")
