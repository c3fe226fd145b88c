"""Browser journeys: gunicorn on a fresh database, Debian's Chromium, a local SMTP server.

Session fixtures start the servers and the browser once (per xdist worker, should the
suite ever run under xdist); each test gets a fresh browser context (no cookies) and a
`Visitor` that audits every page it lands on. Nothing here uses tests/conftest.py's
app/db fixtures: the app runs out of process, exactly as deployed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.browser.harness import (
    ARTIFACTS,
    DESKTOP,
    MOUSE_DESKTOP,
    SCREENSHOTS,
    Device,
    Input,
    Visitor,
    input_for,
    slug,
)
from tests.browser.servers import Account, LiveServer, Mailbox, SmtpServer, chromium_path

HERE = Path(__file__).parent
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
ACCOUNTS = {
    "admin": Account("admin", "admin@example.org", "Ada Admin"),
    "instructor": Account("instructor", "instructor@example.org", "Ivan Instructor"),
    "learner": Account("learner", "learner@example.org", "Lena Learner"),
}
VISITORS = pytest.StashKey[list[Visitor]]()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/browser/ is a browser test: `-m "not browser"` leaves it out."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Fail the test, after its last step, with every problem its visitors collected."""
    try:
        result = yield
    except BaseException:
        for visitor in item.stash.get(VISITORS, []):
            try:
                found = visitor.collect_problems()
            except Exception as exc:  # the browser may be gone; keep the original failure
                found = [f"(could not collect the browser's problems: {exc})"]
            if found:
                item.add_report_section("call", "browser problems", "\n\n".join(found))
        raise
    problems = [p for v in item.stash.get(VISITORS, []) for p in v.collect_problems()]
    if problems:
        pytest.fail(
            f"{len(problems)} problem(s) in the browser:\n\n"
            + "\n\n".join(problems)
            + f"\n\nscreenshots: {item.stash[VISITORS][0].artifacts}",
            pytrace=False,
        )
    return result


@pytest.fixture(scope="session")
def chromium() -> str:
    path = chromium_path()
    if path is None:
        wanted = os.environ.get("CEU_CHROMIUM") or "/usr/bin/chromium"
        reason = (
            f"no Chromium at {wanted} (apt-get install chromium, or point CEU_CHROMIUM at "
            "one): the browser journeys are skipped"
        )
        if os.environ.get("CEU_REQUIRE_BROWSER"):
            pytest.fail(reason.replace("are skipped", "must run (CEU_REQUIRE_BROWSER is set)"))
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def mailbox(smtp: SmtpServer) -> Mailbox:
    """Mail the app sent during the session (password resets) — filter by recipient."""
    return smtp.mailbox


@pytest.fixture(scope="session")
def live_server(
    chromium: str, smtp: SmtpServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """gunicorn on a free loopback port, over a freshly migrated SQLite database."""
    instance = tmp_path_factory.mktemp("browser-instance")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    server = LiveServer(
        instance, smtp_port=smtp.port, log_path=ARTIFACTS / f"browser-gunicorn-{worker}.log"
    )
    if server.log_path.exists():
        server.log_path.unlink()
    server.prepare(list(ACCOUNTS.values()))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def accounts(live_server: LiveServer) -> dict[str, Account]:
    """admin, instructor and learner accounts made with `ceu users create`."""
    return ACCOUNTS


@pytest.fixture(scope="session")
def browser(chromium: str) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def device(request: pytest.FixtureRequest) -> Device:
    """Mouse at 1280 px unless the test is parametrized with `every_device`."""
    return getattr(request, "param", MOUSE_DESKTOP)


@pytest.fixture
def visitor(
    request: pytest.FixtureRequest, browser: Browser, live_server: LiveServer, device: Device
) -> Iterator[Visitor]:
    """A fresh browser tab (no cookies) on the live server; audits every page it visits."""
    context = browser.new_context(
        base_url=live_server.url,
        viewport=device.viewport or DESKTOP,
        has_touch=device.has_touch,
        is_mobile=device.is_mobile,
        reduced_motion="reduce",  # no transitions: stable screenshots and focus styles
        locale="en-US",
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    name = slug(request.node.name.replace("[", "--").replace("]", ""), limit=120)
    visitor = Visitor(
        page,
        base_url=live_server.url,
        artifacts=SCREENSHOTS / name,
        server_log=live_server.log_tail,
    )
    request.node.stash.setdefault(VISITORS, []).append(visitor)
    yield visitor
    context.close()


@pytest.fixture
def ui(visitor: Visitor, device: Device) -> Input:
    """How this run acts: Mouse, Touch or Keyboard, from the `device` parameter."""
    return input_for(device, visitor)
