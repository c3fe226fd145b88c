"""A person in a real browser: navigation that audits every page, and three ways to act.

`Visitor` wraps one Playwright page. Every page it lands on is checked at 1280 px and at
320 px: axe-core (WCAG 2.2 A/AA rules), reflow at 320 px, a full-page screenshot. All the
while it listens for JavaScript errors, console errors, failed requests and HTTP errors.
Problems are collected, and the test fails at its end with all of them listed (see
conftest.py), so one run shows every page's findings.

`Mouse`, `Touch` and `Keyboard` act on the page by visible labels and roles; the same
journey runs with each. `Keyboard` uses Tab/Shift+Tab/Enter/Space only and checks that
every element it passes shows a visible focus indicator.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import (
    ConsoleMessage,
    Locator,
    Page,
    Request,
    Response,
    ViewportSize,
    expect,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
AXE_PATH = Path(__file__).parent / "vendor" / "axe.min.js"
AXE_SOURCE = AXE_PATH.read_text(encoding="utf-8")
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")

DESKTOP: ViewportSize = {"width": 1280, "height": 800}
MOBILE: ViewportSize = {"width": 320, "height": 640}
AUDIT_VIEWPORTS = (DESKTOP, MOBILE)
TITLE_SUFFIX = " · ceu continuing education"

InputKind = Literal["mouse", "keyboard", "touch"]


@dataclass(frozen=True)
class Device:
    """How a journey is driven: which input, and the window it starts in."""

    id: str
    input: InputKind
    viewport: ViewportSize
    has_touch: bool = False
    is_mobile: bool = False


MOUSE_DESKTOP = Device("mouse-1280", "mouse", DESKTOP)
KEYBOARD_DESKTOP = Device("keyboard-1280", "keyboard", DESKTOP)
TOUCH_PHONE = Device("touch-320", "touch", MOBILE, has_touch=True, is_mobile=True)
DEVICES = (MOUSE_DESKTOP, KEYBOARD_DESKTOP, TOUCH_PHONE)

# Run a journey once per device: with a mouse, with the keyboard alone, by touch at 320 px.
every_device = pytest.mark.parametrize(
    "device", DEVICES, ids=[d.id for d in DEVICES], indirect=True
)


_AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {
    runOnly: {type: 'tag', values: tags},
    resultTypes: ['violations', 'incomplete'],
  });
  const pick = (list) => list.map((rule) => ({
    id: rule.id, impact: rule.impact, help: rule.help, helpUrl: rule.helpUrl,
    tags: rule.tags.filter((t) => /^wcag\\d/.test(t)),
    nodes: rule.nodes.map((n) => ({
      target: n.target.map(String).join(' '), html: n.html, summary: n.failureSummary || '',
    })),
  }));
  return {violations: pick(result.violations), incomplete: pick(result.incomplete)};
}"""

# WCAG 1.4.10 Reflow: at 320 CSS px nothing may need horizontal scrolling.
_REFLOW = """() => {
  const root = document.documentElement;
  const width = root.clientWidth;
  if (root.scrollWidth <= width + 1) return null;
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.right > width + 1) {
      wide.push(el.outerHTML.replace(/\\s+/g, ' ').slice(0, 160));
      if (wide.length === 5) break;
    }
  }
  return {scrollWidth: root.scrollWidth, width, elements: wide};
}"""

# What has focus, and would a sighted keyboard user see where it is (WCAG 2.4.7, 2.4.11)?
_FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const style = getComputedStyle(el);
  const alpha = (color) => {
    const m = color.match(/rgba?\\(([^)]*)\\)/);
    if (!m) return 1;
    const parts = m[1].split(/[ ,/]+/).filter(Boolean);
    return parts.length > 3 ? parseFloat(parts[3]) : 1;
  };
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 1
    && alpha(style.outlineColor) > 0;
  const shadow = style.boxShadow !== 'none' && style.boxShadow.split(/,(?![^(]*\\))/).some(
    (s) => alpha(s) > 0 && (s.match(/-?[\\d.]+px/g) || []).some((v) => parseFloat(v) !== 0));
  const box = el.getBoundingClientRect();
  const inView = box.bottom > 0 && box.right > 0 && box.top < innerHeight && box.left < innerWidth;
  const name = (el.getAttribute('aria-label') || el.innerText || el.value || el.name || '')
    .trim().replace(/\\s+/g, ' ').slice(0, 60);
  // A tabindex=-1 target (the main element after the skip link) is not a control.
  const control = el.tabIndex >= 0;
  return {
    tag: el.tagName.toLowerCase(), name, visible: outline || shadow || !control, inView,
    html: el.outerHTML.replace(/ data-ceu-reached=""/g, '').replace(/\\s+/g, ' ').slice(0, 200),
  };
}"""

_CLEAR_REACHED = "() => document.querySelectorAll('[data-ceu-reached]')"
_CLEAR_REACHED += ".forEach((el) => el.removeAttribute('data-ceu-reached'))"
# Marks the focused element; true when it was marked already (focus has come round).
# A date input has several tab stops inside one element (month, day, year, picker):
# staying on the element that was focused last is not "coming round again".
_MARK_REACHED = """() => {
  const el = document.activeElement;
  const same = window.__ceuLastFocus === el;
  window.__ceuLastFocus = el;
  const again = el.hasAttribute('data-ceu-reached') && !same;
  el.setAttribute('data-ceu-reached', '');
  return again;
}"""

# Visible interactive elements Tab never reached; one radio per group is enough.
_UNREACHED = """() => {
  const candidates = document.querySelectorAll(
    'a[href], button, input, select, textarea, summary, iframe, [tabindex], [contenteditable]');
  const reachedRadios = document.querySelectorAll('input[type=radio][data-ceu-reached]');
  const reachedGroups = new Set([...reachedRadios].map((r) => r.name));
  return [...candidates].filter((el) => {
    if (el.hasAttribute('data-ceu-reached') || el.tabIndex < 0 || el.disabled) return false;
    if (el.type === 'hidden' || el.closest('[inert], [hidden]')) return false;
    if (el.getClientRects().length === 0) return false;
    if (getComputedStyle(el).visibility === 'hidden') return false;
    if (el.type === 'radio' && reachedGroups.has(el.name)) return false;
    return true;
  }).map((el) => el.outerHTML.replace(/\\s+/g, ' ').slice(0, 200));
}"""

# The page as axe sees it, minus what changes on every load (CSRF tokens).
_DOM_FINGERPRINT = """() => {
  const copy = document.documentElement.cloneNode(true);
  copy.querySelectorAll('input[name=csrf_token]').forEach((i) => i.removeAttribute('value'));
  return copy.outerHTML;
}"""

_AXE_CACHE: dict[tuple[int, str], dict[str, Any]] = {}  # (width, DOM hash) -> axe result


def slug(text: str, limit: int = 50) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit].strip("-") or "page"


@dataclass
class _Events:
    """Raw browser events; judged lazily, once the expected error statuses are known."""

    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    error_responses: list[tuple[str, int, str]] = field(default_factory=list)
    console_failures: list[tuple[str, int]] = field(default_factory=list)
    expected: set[tuple[str, int]] = field(default_factory=set)


class Visitor:
    """One browser tab, as a person uses it; every page it lands on is audited."""

    def __init__(
        self,
        page: Page,
        *,
        base_url: str,
        artifacts: Path,
        server_log: Callable[[], str] = lambda: "",
    ) -> None:
        self.page = page
        self.base_url = base_url.rstrip("/")
        self.artifacts = artifacts
        self.server_log = server_log
        self.problems: list[str] = []
        self._seen_problems: set[str] = set()
        self._events = _Events()
        self._audited = True  # about:blank needs no audit
        self._status = 0
        self._seq = 0
        self.pages: list[str] = []  # every URL audited, in order
        shutil.rmtree(artifacts, ignore_errors=True)
        artifacts.mkdir(parents=True)
        self._index = artifacts / "index.md"
        self._index.write_text(
            "| screenshot | page | HTTP | axe violations | axe needs review |\n"
            "|---|---|---|---|---|\n",
            encoding="utf-8",
        )
        page.on("pageerror", lambda exc: self._events.page_errors.append(f"{exc}"))
        page.on("console", self._on_console)
        page.on("requestfailed", self._on_request_failed)
        page.on("response", self._on_response)
        page.on("request", self._on_request)

    # -- event listeners (plain Python: no calls back into the page from here) ----------

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        where = message.location.get("url") or self.page.url
        status = re.match(
            r"Failed to load resource: the server responded with a status of (\d+)", message.text
        )
        if status:
            # Judged with the responses, which know whether the status was expected. Some
            # requests (the browser's own /favicon.ico) only ever show up here.
            self._events.console_failures.append((where, int(status.group(1))))
            return
        self._events.console_errors.append(f"{message.text} (at {where})")

    def _on_request_failed(self, request: Request) -> None:
        self._events.failed_requests.append(
            f"{request.method} {request.url}: {request.failure} (on {self.page.url})"
        )

    def _on_response(self, response: Response) -> None:
        if response.status >= 400:
            self._events.error_responses.append(
                (response.url, response.status, response.request.resource_type)
            )

    def _on_request(self, request: Request) -> None:
        # A new document is about to replace the current one: was the current one audited?
        if (
            request.is_navigation_request()
            and request.redirected_from is None
            and request.frame == self.page.main_frame
        ):
            if not self._audited:
                self.problem(
                    f"unaudited page: {self.page.url} was left without a checkpoint — move "
                    "between pages with Visitor.goto/navigate or an Input, or call "
                    "visitor.checkpoint()"
                )
            self._audited = False

    # -- navigation ---------------------------------------------------------------------

    def url(self, path: str) -> str:
        return urljoin(self.base_url + "/", path)

    def goto(self, path: str, *, status: int = 200, note: str = "") -> Response:
        """Open an address (typed into the address bar, or opened from an e-mail)."""
        return self.navigate(lambda: self.page.goto(self.url(path)), status=status, note=note)

    def navigate(self, action: Callable[[], Any], *, status: int = 200, note: str = "") -> Response:
        """Do something that loads a new page; check its HTTP status, then audit it."""
        with self.page.expect_navigation(wait_until="load") as navigation:
            action()
        response = navigation.value
        assert response is not None, f"no response for the navigation to {self.page.url}"
        self._status = response.status
        if response.status >= 400 and response.status == status:
            self._events.expected.add((response.url, response.status))
        if response.status != status:
            raise AssertionError(
                f"{response.request.method} {response.url}: expected HTTP {status}, got "
                f"{response.status}\n--- server log (tail) ---\n{self.server_log()}"
            )
        self.checkpoint(note)
        return response

    def reload(self, *, status: int = 200, note: str = "") -> Response:
        return self.navigate(lambda: self.page.reload(), status=status, note=note)

    # -- auditing -------------------------------------------------------------------------

    def checkpoint(self, note: str = "") -> None:
        """Audit the current page at 1280 px and 320 px; screenshot both."""
        page = self.page
        self._seq += 1
        self.pages.append(page.url)
        start = page.viewport_size or DESKTOP
        order = sorted(AUDIT_VIEWPORTS, key=lambda vp: vp["width"] != start["width"])
        try:
            for viewport in order:
                if page.viewport_size != viewport:
                    page.set_viewport_size(viewport)
                self._audit_at(viewport["width"], note)
        finally:
            if page.viewport_size != start:
                page.set_viewport_size(start)
        self._audited = True

    def _audit_at(self, width: int, note: str) -> None:
        page = self.page
        title = page.title().removesuffix(TITLE_SUFFIX)
        name = "-".join(
            part
            for part in (
                f"{self._seq:02d}",
                slug(title),
                slug(note) if note else "",
                str(self._status) if self._status not in (0, 200) else "",
                f"{width}px",
            )
            if part
        )
        page.screenshot(path=self.artifacts / f"{name}.png", full_page=True)
        result = self._axe(width)
        where = f"{page.url} at {width} px"
        for rule in result["violations"]:
            for node in rule["nodes"]:
                self.problem(
                    f"axe {rule['id']} ({rule['impact']}, {', '.join(rule['tags'])}) on {where}: "
                    f"{rule['help']}\n    element: {node['target']}\n    html: {node['html']}\n"
                    f"    {node['summary'].replace(chr(10), chr(10) + '    ')}\n"
                    f"    see {rule['helpUrl']}"
                )
        if width <= MOBILE["width"]:
            overflow = page.evaluate(_REFLOW)
            if overflow:
                elements = "\n    ".join(overflow["elements"])
                self.problem(
                    f"reflow (WCAG 1.4.10) on {where}: the page is {overflow['scrollWidth']} px "
                    f"wide and scrolls sideways; widest elements:\n    {elements}"
                )
        review = [
            f"{rule['id']}: " + ", ".join(f"`{node['target']}`" for node in rule["nodes"][:3])
            for rule in result["incomplete"]
        ]
        with self._index.open("a", encoding="utf-8") as index:
            index.write(
                f"| [{name}.png]({name}.png) | {page.url} | {self._status} | "
                f"{len(result['violations'])} | {'; '.join(review) or '—'} |\n"
            )

    def _axe(self, width: int) -> dict[str, Any]:
        """axe-core's WCAG 2.2 A/AA rules; pages with an identical DOM are run once."""
        page = self.page
        key = (width, hashlib.sha256(page.evaluate(_DOM_FINGERPRINT).encode()).hexdigest())
        if key not in _AXE_CACHE:
            # Evaluated rather than added as a <script> tag: the app's Content-Security-Policy
            # (script-src 'self') rightly blocks inline scripts, and bypassing CSP would hide
            # CSP violations from these tests.
            if not page.evaluate("() => typeof window.axe === 'object'"):
                page.evaluate(AXE_SOURCE)
            _AXE_CACHE[key] = page.evaluate(_AXE_RUN, list(WCAG_TAGS))
        return _AXE_CACHE[key]

    def note_focus(self, info: dict[str, Any]) -> None:
        """Called by Keyboard at every Tab stop."""
        what = f"<{info['tag']}> {info['name']!r} on {self.page.url}"
        if not info["visible"]:
            self.problem(
                f"focus not visible (WCAG 2.4.7) on {what}: no outline or focus ring\n"
                f"    html: {info['html']}"
            )
        if not info["inView"]:
            self.problem(f"focused element off-screen (WCAG 2.4.11) on {what}: {info['html']}")

    # -- checks that span the whole test ------------------------------------------------

    def problem(self, text: str) -> None:
        if text not in self._seen_problems:
            self._seen_problems.add(text)
            self.problems.append(text)

    def collect_problems(self) -> list[str]:
        """Everything wrong so far, including browser events and an unaudited last page."""
        if not self._audited and not self.page.is_closed() and self.page.url != "about:blank":
            self.problem(f"unaudited page: {self.page.url} (call visitor.checkpoint())")
        events = self._events
        for text in events.page_errors:
            self.problem(f"JavaScript error: {text}")
        for text in events.console_errors:
            self.problem(f"console error: {text}")
        for text in events.failed_requests:
            self.problem(f"request failed: {text}")
        responses = list(events.error_responses)
        answered = {(url, status) for url, status, _kind in responses}
        responses += [
            (url, status, "resource")
            for url, status in events.console_failures
            if (url, status) not in answered
        ]
        for url, status, kind in responses:
            # The browser's own /favicon.ico request happens once per browser, in whichever
            # test comes first; test_pages.py checks the icon on its own instead.
            if (url, status) in events.expected or urlsplit(url).path == "/favicon.ico":
                continue
            self.problem(f"HTTP {status} for {kind} {url}")
        return list(self.problems)

    # -- small conveniences for journeys -------------------------------------------------

    def expect_heading(self, name: str) -> None:
        expect(self.page.get_by_role("heading", level=1)).to_have_text(name)

    def expect_message(self, text: str) -> None:
        """A flash message, announced through the status region."""
        expect(self.page.get_by_role("status")).to_contain_text(text)

    def close_browser_keeping_persistent_cookies(self) -> None:
        """What quitting and reopening the browser does: session cookies are gone."""
        context = self.page.context
        for cookie in context.cookies():
            if cookie["expires"] == -1:
                context.clear_cookies(name=cookie["name"])


# ---------------------------------------------------------------------------------------
# Inputs: the same journey, driven three ways


class Input:
    """Acts on the page by visible labels and roles; subclasses say with what."""

    kind: InputKind

    def __init__(self, visitor: Visitor) -> None:
        self.visitor = visitor
        self.page = visitor.page

    def _scope(self, within: Locator | None) -> Page | Locator:
        return within if within is not None else self.page

    def click_button(self, name: str, *, status: int = 200, within: Locator | None = None) -> None:
        """Press the button with this visible name; it loads a new page."""
        target = self._scope(within).get_by_role("button", name=name, exact=True)
        self.activate(target, status=status, note=f"after {name}")

    def follow_link(self, name: str, *, status: int = 200, within: Locator | None = None) -> None:
        """Follow the link with this visible name; it loads a new page."""
        target = self._scope(within).get_by_role("link", name=name, exact=True)
        self.activate(target, status=status)

    def fill(self, label: str, value: str) -> None:
        """Type `value` into the field whose label contains `label`."""
        raise NotImplementedError

    def check(self, label: str) -> None:
        """Tick the checkbox whose label contains `label`."""
        raise NotImplementedError

    def activate(
        self, target: Locator, *, status: int = 200, navigates: bool = True, note: str = ""
    ) -> None:
        """Click, tap or press `target`; when it navigates, the new page is audited."""
        raise NotImplementedError


class Mouse(Input):
    kind: InputKind = "mouse"

    def fill(self, label: str, value: str) -> None:
        field = self.page.get_by_label(label)
        field.click()
        field.fill(value)

    def check(self, label: str) -> None:
        self.page.get_by_label(label).check()

    def activate(
        self, target: Locator, *, status: int = 200, navigates: bool = True, note: str = ""
    ) -> None:
        if navigates:
            self.visitor.navigate(target.click, status=status, note=note)
        else:
            target.click()


class Touch(Input):
    kind: InputKind = "touch"

    def fill(self, label: str, value: str) -> None:
        field = self.page.get_by_label(label)
        field.tap()
        field.fill(value)

    def check(self, label: str) -> None:
        box = self.page.get_by_label(label)
        if not box.is_checked():
            box.tap()
        expect(box).to_be_checked()

    def activate(
        self, target: Locator, *, status: int = 200, navigates: bool = True, note: str = ""
    ) -> None:
        if navigates:
            self.visitor.navigate(target.tap, status=status, note=note)
        else:
            target.tap()


class Keyboard(Input):
    """Tab and Shift+Tab to move, typing to fill, Space to tick, Enter to activate."""

    kind: InputKind = "keyboard"
    max_presses = 80

    def focus(self, target: Locator) -> None:
        """Move focus to `target` with Tab, or Shift+Tab when it lies behind the focus."""
        target.wait_for(state="visible")
        backwards = target.evaluate(
            """(el) => {
              const now = document.activeElement;
              if (!now || now === document.body || now === el) return false;
              return Boolean(now.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_PRECEDING);
            }"""
        )
        key = "Shift+Tab" if backwards else "Tab"
        trail: list[str] = []
        for _ in range(self.max_presses):
            if target.evaluate("(el) => el === document.activeElement"):
                return
            self.page.keyboard.press(key)
            info = self.page.evaluate(_FOCUS)
            if info:
                self.visitor.note_focus(info)
                trail.append(f"<{info['tag']}> {info['name']!r}")
            else:
                trail.append("(page)")
        raise AssertionError(
            f"{target} cannot be reached with {key} on {self.page.url}; focus went "
            f"through: {', '.join(trail[:40])}"
        )

    def fill(self, label: str, value: str) -> None:
        field = self.page.get_by_label(label)
        self.focus(field)
        self.page.keyboard.press("Control+A")
        self.page.keyboard.type(value)
        expect(field).to_have_value(value)

    def check(self, label: str) -> None:
        box = self.page.get_by_label(label)
        self.focus(box)
        if not box.is_checked():
            self.page.keyboard.press("Space")
        expect(box).to_be_checked()

    def activate(
        self,
        target: Locator,
        *,
        status: int = 200,
        navigates: bool = True,
        note: str = "",
        key: str = "Enter",
    ) -> None:
        self.focus(target)
        if navigates:
            self.visitor.navigate(lambda: self.page.keyboard.press(key), status=status, note=note)
        else:
            self.page.keyboard.press(key)

    def tab_through_page(self) -> list[dict[str, Any]]:
        """Tab from the top of a freshly loaded page until focus comes round again.

        Checks every stop for a visible focus indicator, and records a problem for each
        visible interactive element that Tab never reached (WCAG 2.1.1).
        """
        self.page.evaluate(_CLEAR_REACHED)
        stops: list[dict[str, Any]] = []
        for _ in range(self.max_presses * 3):
            info = self.press("Tab")
            if info is None:
                if stops:
                    break  # past the last control: focus went back to the page
                continue
            if self.page.evaluate(_MARK_REACHED):
                break  # round again without passing the page
            stops.append(info)
        for html in self.page.evaluate(_UNREACHED):
            self.visitor.problem(
                f"not reachable with Tab (WCAG 2.1.1) on {self.page.url}:\n    html: {html}"
            )
        return stops

    def focused(self) -> dict[str, Any] | None:
        """What has focus now (tag, name, html, visible, inView), or None for the page."""
        return self.page.evaluate(_FOCUS)

    def press(self, key: str) -> dict[str, Any] | None:
        """Press one key and report (and check) where focus went."""
        self.page.keyboard.press(key)
        info = self.focused()
        if info:
            self.visitor.note_focus(info)
        return info


INPUTS: dict[str, type[Input]] = {"mouse": Mouse, "touch": Touch, "keyboard": Keyboard}


def input_for(device: Device, visitor: Visitor) -> Input:
    return INPUTS[device.input](visitor)
