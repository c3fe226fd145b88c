"""The keyboard alone: skip link, focus order at both widths, and controls that say "button"."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.harness import DESKTOP, MOBILE, Device, Keyboard, Visitor
from tests.browser.servers import Account
from tests.browser.steps import log_in

KEYBOARD_PHONE = Device("keyboard-320", "keyboard", MOBILE)
KEYBOARD_DESKTOP = Device("keyboard-1280", "keyboard", DESKTOP)
both_widths = pytest.mark.parametrize(
    "device", [KEYBOARD_DESKTOP, KEYBOARD_PHONE], ids=lambda d: d.id, indirect=True
)


@both_widths
@pytest.mark.parametrize(
    ("role", "path"),
    [("anonymous", "/"), ("anonymous", "/login"), ("learner", "/account/profile")],
)
def test_skip_link_is_the_first_stop_and_moves_focus_to_the_main_content(
    role: str, path: str, visitor: Visitor, accounts: dict[str, Account]
) -> None:
    keyboard = Keyboard(visitor)
    page = visitor.page
    if role != "anonymous":
        visitor.goto("/")
        log_in(keyboard, accounts[role].email, accounts[role].password)
    visitor.goto(path)
    main = page.get_by_role("main")
    skip = page.get_by_role("link", name="Skip to main content")

    # Hidden until focused; the first Tab shows it on screen (visible focus is checked
    # at every key press by Keyboard.press).
    expect(skip).not_to_be_in_viewport()
    first = keyboard.press("Tab")
    assert first is not None
    assert first["name"] == "Skip to main content", first
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()

    keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    expect(main).to_be_focused()

    # The next Tab lands on the first control in the main content, past the navigation.
    keyboard.press("Tab")
    assert main.evaluate(
        "(m) => m.contains(document.activeElement) && m !== document.activeElement"
    )
    # Shift+Tab goes back out, to the last control of the navigation.
    keyboard.press("Shift+Tab")
    assert page.get_by_role("navigation", name="Main").evaluate(
        "(nav) => nav.contains(document.activeElement)"
    )


@both_widths
def test_tab_reaches_every_control_with_visible_focus(
    visitor: Visitor, accounts: dict[str, Account]
) -> None:
    keyboard = Keyboard(visitor)
    for path in ("/", "/login", "/register", "/password/reset"):
        visitor.goto(path)
        keyboard.tab_through_page()
    log_in(keyboard, accounts["learner"].email, accounts["learner"].password)
    for path in ("/", "/account/profile", "/account/password"):
        visitor.goto(path)
        keyboard.tab_through_page()


def test_no_link_pretends_to_be_a_button(visitor: Visitor) -> None:
    """A link with role=button is announced as a button, but Space only scrolls the page."""
    for path in ("/", "/courses", "/login", "/register"):
        visitor.goto(path)
        pretending = visitor.page.locator("a[role=button]").count()
        assert pretending == 0, f"{path}: {pretending} link(s) with role=button"
