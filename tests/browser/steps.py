"""Steps shared by journeys, written as a person does them with any Input."""

from __future__ import annotations

from playwright.sync_api import Locator, expect

from tests.browser.harness import Input


def main_nav(ui: Input) -> Locator:
    return ui.page.get_by_role("navigation", name="Main")


def log_in(ui: Input, email: str, password: str, *, remember: bool = False) -> None:
    """From any page: the "Log in" link in the main navigation, the form, the home page."""
    ui.follow_link("Log in", within=main_nav(ui))
    ui.visitor.expect_heading("Log in")
    ui.fill("E-mail address", email)
    if remember:
        # Ticked before the password is typed: the keyboard goes back with Shift+Tab.
        ui.check("Remember me on this device")
    ui.fill("Password", password)
    ui.click_button("Log in", within=ui.page.get_by_role("main"))
    ui.visitor.expect_message("You are logged in.")


def log_out(ui: Input) -> None:
    ui.click_button("Log out", within=main_nav(ui))
    ui.visitor.expect_message("You are logged out.")
    expect(main_nav(ui).get_by_role("link", name="Log in", exact=True)).to_be_visible()
