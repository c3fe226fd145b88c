"""Accounts, as people use them: each journey runs with a mouse, the keyboard alone and touch."""

from __future__ import annotations

import itertools
from urllib.parse import urlsplit

from playwright.sync_api import expect

from tests.browser.harness import Input, Visitor, every_device
from tests.browser.servers import Account, Mailbox
from tests.browser.steps import log_in, log_out, main_nav

_numbers = itertools.count(1)


def _new_counselor(device_id: str) -> Account:
    n = next(_numbers)
    return Account("learner", f"counselor-{device_id}-{n}@example.org", f"Casey Counselor {n}")


@every_device
def test_new_counselor_registers_completes_profile_and_recovers_password(
    ui: Input, visitor: Visitor, mailbox: Mailbox
) -> None:
    page = visitor.page
    me = _new_counselor(ui.kind)
    first_password, second_password, third_password = (
        "first password for ceu",
        "second password for ceu",
        "third password for ceu",
    )

    # Home, then "Create an account".
    visitor.goto("/")
    visitor.expect_heading("Continuing education for licensed counselors")
    ui.follow_link("Create account", within=main_nav(ui))
    visitor.expect_heading("Create an account")

    # A first try with a password that is too short: the error summary explains.
    ui.fill("Full name", me.full_name)
    ui.fill("E-mail address", me.email)
    ui.fill("Password (at least 12 characters)", "short")
    ui.fill("Repeat the password", "short")
    ui.click_button("Create account", status=422)
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    expect(page.get_by_label("Password (at least 12 characters)")).to_have_attribute(
        "aria-invalid", "true"
    )
    expect(page.get_by_label("Full name")).to_have_value(me.full_name)

    ui.fill("Password (at least 12 characters)", first_password)
    ui.fill("Repeat the password", first_password)
    ui.click_button("Create account")

    # Straight to the professional profile, which is incomplete.
    visitor.expect_heading("Your professional profile")
    visitor.expect_message("Welcome to ceu")
    expect(page.get_by_text("Your profile is incomplete")).to_be_visible()
    ui.fill("Credential", "LPC")
    ui.fill("License number", "LPC-0042-OH")
    ui.fill("Licensing state or jurisdiction", "Ohio")
    ui.click_button("Save profile")
    visitor.expect_message("Your profile is saved.")
    expect(page.get_by_text("Your profile is incomplete")).to_have_count(0)
    expect(page.get_by_label("License number")).to_have_value("LPC-0042-OH")

    log_out(ui)

    # Back again with "remember me"; the browser is closed and reopened in between.
    log_in(ui, me.email, first_password, remember=True)
    expect(page.get_by_text(f"Signed in as {me.full_name}.")).to_be_visible()
    expect(page.get_by_role("link", name="Complete your professional profile")).to_have_count(0)
    visitor.close_browser_keeping_persistent_cookies()
    ui.follow_link("Profile", within=main_nav(ui))
    visitor.expect_heading("Your professional profile")
    expect(page.get_by_label("Credential")).to_have_value("LPC")

    # Change the password.
    ui.follow_link("Change your password")
    visitor.expect_heading("Change your password")
    ui.fill("Current password", first_password)
    ui.fill("New password (at least 12 characters)", second_password)
    ui.fill("Repeat the new password", second_password)
    ui.click_button("Change password")
    visitor.expect_message("Your password is changed.")
    visitor.expect_heading("Your professional profile")

    log_out(ui)

    # Forgotten: ask for a link by e-mail.
    ui.follow_link("Log in", within=main_nav(ui))
    ui.follow_link("Forgot your password?")
    visitor.expect_heading("Reset your password")
    ui.fill("E-mail address", me.email)
    ui.click_button("Send the link")
    visitor.expect_heading("Log in")
    visitor.expect_message("If an account exists for that address")

    mail = mailbox.wait_for(to=me.email, subject="Reset your ceu password")
    links = [link for link in Mailbox.links(mail) if "/password/reset/" in link]
    assert len(links) == 1, Mailbox.body(mail)
    assert urlsplit(links[0]).netloc == urlsplit(visitor.base_url).netloc

    # Open the link from the mail and choose a new password.
    visitor.goto(links[0])
    visitor.expect_heading("Choose a new password")
    ui.fill("New password (at least 12 characters)", third_password)
    ui.fill("Repeat the new password", third_password)
    ui.click_button("Set the new password")
    visitor.expect_heading("Log in")
    visitor.expect_message("Your password is changed. Log in with the new password.")

    # The old password no longer works; the new one does.
    ui.fill("E-mail address", me.email)
    ui.fill("Password", second_password)
    ui.click_button("Log in", within=page.get_by_role("main"), status=422)
    expect(page.get_by_role("alert")).to_contain_text(
        "The e-mail address or password is not correct."
    )
    ui.fill("Password", third_password)
    ui.click_button("Log in", within=page.get_by_role("main"))
    visitor.expect_message("You are logged in.")
    expect(page.get_by_text(f"Signed in as {me.full_name}.")).to_be_visible()

    # The link works once.
    visitor.goto(links[0])
    visitor.expect_heading("Reset your password")
    visitor.expect_message("This reset link is invalid, expired or already used.")


@every_device
def test_admin_logs_in_and_sees_the_home_page(
    ui: Input, visitor: Visitor, accounts: dict[str, Account]
) -> None:
    admin = accounts["admin"]
    visitor.goto("/")
    log_in(ui, admin.email, admin.password)
    visitor.expect_heading("Continuing education for licensed counselors")
    expect(visitor.page.get_by_text(f"Signed in as {admin.full_name}.")).to_be_visible()
    log_out(ui)
