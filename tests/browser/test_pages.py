"""Every page a role can reach by links, and the error pages: audited, and tabbed through.

The sweep follows links, so pages that later features add to the navigation or link
from other pages are audited here without anyone writing a test for them.
"""

from __future__ import annotations

from urllib.parse import urldefrag, urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.harness import Keyboard, Mouse, Visitor
from tests.browser.servers import Account
from tests.browser.steps import log_in

ROLES = ("anonymous", "learner", "instructor", "admin")
MAX_PAGES = 40
NOT_PAGES = (
    ".pdf",
    ".zip",
    ".csv",
    ".json",
    ".png",
    ".svg",
    ".txt",
    ".yaml",
    "/pdf",
    "/credential",
)


def _links(visitor: Visitor) -> list[str]:
    hrefs = visitor.page.get_by_role("link").evaluate_all("(links) => links.map((a) => a.href)")
    origin = urlsplit(visitor.base_url).netloc
    found = []
    for href in hrefs:
        url = urldefrag(href).url
        parts = urlsplit(url)
        if parts.netloc != origin or parts.scheme not in ("http", "https"):
            continue
        if parts.path.startswith("/static/") or parts.path.lower().endswith(NOT_PAGES):
            continue
        found.append(url)
    return found


@pytest.mark.parametrize("role", ROLES)
def test_every_page_linked_for_a_role_passes_the_checks(
    role: str, visitor: Visitor, accounts: dict[str, Account]
) -> None:
    """Breadth-first over same-site links from the home page, as this role."""
    mouse, keyboard = Mouse(visitor), Keyboard(visitor)
    visitor.goto("/")
    if role != "anonymous":
        log_in(mouse, accounts[role].email, accounts[role].password)
    queue = [visitor.page.url]  # the home page, loaded (and audited) just now
    seen = set(queue)
    visited = 0
    while queue and visited < MAX_PAGES:
        url = queue.pop(0)
        if url != visitor.page.url:
            visitor.goto(url)
        visited += 1
        stops = keyboard.tab_through_page()
        assert stops, f"Tab reaches nothing on {url}"
        for link in _links(visitor):
            if link not in seen:
                seen.add(link)
                queue.append(link)
    assert visited >= 2, f"the sweep found no links from the home page as {role}"


@pytest.mark.parametrize("role", ["anonymous", "learner"])
def test_error_pages_explain_and_lead_home(
    role: str, visitor: Visitor, accounts: dict[str, Account]
) -> None:
    mouse = Mouse(visitor)
    visitor.goto("/")
    if role != "anonymous":
        log_in(mouse, accounts[role].email, accounts[role].password)

    visitor.goto("/no-such-page", status=404)
    visitor.expect_heading("Page not found")
    Keyboard(visitor).tab_through_page()
    mouse.follow_link("Go to the home page")
    visitor.expect_heading("Continuing education for licensed counselors")

    visitor.goto("/logout", status=405)  # log-out is a POST form; a typed address is not
    visitor.expect_heading("Not allowed")

    visitor.goto("/password/reset/not-a-real-token")
    visitor.expect_heading("Reset your password")
    visitor.expect_message("This reset link is invalid, expired or already used.")


def test_a_bookmarked_profile_asks_to_log_in_then_returns_there(
    visitor: Visitor, accounts: dict[str, Account]
) -> None:
    learner = accounts["learner"]
    keyboard = Keyboard(visitor)
    visitor.goto("/account/profile")
    visitor.expect_heading("Log in")
    visitor.expect_message("Please log in to see this page.")
    keyboard.fill("E-mail address", learner.email)
    keyboard.fill("Password", learner.password)
    keyboard.click_button("Log in", within=visitor.page.get_by_role("main"))
    visitor.expect_heading("Your professional profile")
    expect(visitor.page.get_by_text("Your profile is incomplete")).to_be_visible()


def test_the_site_declares_an_icon(visitor: Visitor) -> None:
    """Browsers fetch an icon for every site; without one each first visit logs a 404."""
    visitor.goto("/")
    declared = visitor.page.locator("link[rel~='icon']").evaluate_all(
        "(links) => links.map((l) => l.href)"
    )
    for url in declared or [visitor.url("/favicon.ico")]:
        if url.startswith("data:"):
            continue
        response = visitor.page.request.get(url)
        assert response.ok, f"{url} answers HTTP {response.status}: " + (
            "the icon that templates/base.html declares is missing"
            if declared
            else 'templates/base.html declares no icon (<link rel="icon" …>), so '
            "browsers ask for /favicon.ico, which does not exist. Add, for example, "
            "<link rel=\"icon\" href=\"{{ url_for('static', filename='favicon.svg') }}\"> "
            "and the file."
        )
