"""Headless Chromium (the system's ``chromium``, never a downloaded build) driven by
Playwright's sync API: start it, give a context a logged-in Superset session (the login form
posted over HTTP, :mod:`supersetctl.superset.session`), open a dashboard and wait until every
chart has finished rendering, then take the screenshot, under a deadline (:mod:`.watchdog`).

"Finished" is read from the page, not waited for with a sleep: every chart holder the
dashboard file places is on the page, none shows a loading spinner, and each one shows an
error, "No results", or something it drew (a canvas, table rows, a number). Then the
canvases are watched until two looks in a row are the same (ECharts animates its first
draw), so the screenshot is of the final picture. The tests use the same functions.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from supersetctl.errors import BrowserError, SupersetAPIError, UsageError
from supersetctl.redact import redact
from supersetctl.superset.session import form_login

from .watchdog import BrowserStalled, watchdog

log = logging.getLogger(__name__)

# Flags for a closed network: without the background-networking ones Chromium keeps trying
# to reach its own services.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--font-render-hinting=none",
]
VIEWPORT = {"width": 1600, "height": 1400}
RENDER_TIMEOUT = 90.0  # seconds a dashboard may take to render every chart
# past a shot's own timeout, how long its Playwright calls may still take before the browser
# is taken for stuck (watchdog); closing the browser gets as long
STALL_MARGIN = 30.0
_CLOSE_DEADLINE = STALL_MARGIN
_POLL_MS = 250

# no CSS animation or transition, no blinking caret, and the header's "modified 40 seconds
# ago" bar hidden (its space kept): the same dashboard gives the same pixels
_STILL_CSS = """*, *::before, *::after {
  animation-duration: 0s !important; animation-delay: 0s !important;
  transition-duration: 0s !important; transition-delay: 0s !important;
  caret-color: transparent !important; }
[data-test="metadata-bar"] { visibility: hidden !important; }"""

# per chart holder: title, loading spinner, error alert, "no results", and what it drew
STATE_JS = """() => [...document.querySelectorAll('[data-test-chart-id]')].map(h => ({
  name: h.getAttribute('data-test-chart-name') || h.getAttribute('data-test-chart-id'),
  loading: h.querySelectorAll('[data-test="loading-indicator"], .loading').length,
  error: h.querySelectorAll('[data-test="alert"], .ant-alert-error, [role="alert"]').length,
  noResults: /No results/i.test(h.innerText),
  canvas: h.querySelectorAll('canvas').length,
  rows: h.querySelectorAll('tbody tr').length,
  text: h.innerText,
}))"""

# what the charts drew, cheaply: the size of each canvas's PNG and a sample of it
_CANVAS_JS = """() => [...document.querySelectorAll('[data-test-chart-id] canvas')].map(c => {
  try { const u = c.toDataURL(); return u.length + ':' + u.slice(-64); }
  catch (e) { return 'tainted'; } }).join('|')"""


def chromium_path() -> str | None:
    """The system's Chromium (Debian's ``chromium``), or None."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _sync_api() -> Any:
    try:
        from playwright import sync_api
    except ImportError:
        raise UsageError(
            "preview needs Playwright, which is not installed",
            hint="`make install`, or pip install 'supersetctl[preview]'",
        ) from None
    return sync_api


@contextlib.contextmanager
def launch(path: str | None = None) -> Iterator[Any]:
    """A Playwright ``Browser`` on the system's Chromium, closed when the block ends."""
    exe = path or chromium_path()
    if exe is None:
        raise UsageError(
            "preview needs Chromium, which is not installed",
            hint="apt-get install chromium (Debian), or put chromium on PATH",
        )
    sync_api = _sync_api()
    with sync_api.sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_FLAGS)
        except sync_api.Error as exc:
            raise BrowserError(f"cannot start Chromium ({exe}): {_first_line(exc)}") from None
        try:
            yield browser
        finally:
            try:
                with watchdog(_CLOSE_DEADLINE, "closing Chromium"):
                    browser.close()
            except BrowserStalled as exc:  # killed: nothing is left to close
                log.warning("%s", exc.message)


def _first_line(exc: BaseException) -> str:
    return redact((str(exc).strip().splitlines() or [type(exc).__name__])[0])


def new_context(browser: Any, viewport: dict[str, int] | None = None) -> Any:
    """A browser context with the fixed viewport, the UTC clock, reduced motion and the
    still CSS in every page (an init script adds it: Playwright's ``add_style_tag`` fails on
    a page whose Content-Security-Policy refused something, such as Superset's telemetry
    pixel; the CSP itself allows inline styles)."""
    context = browser.new_context(
        viewport=viewport or VIEWPORT,
        device_scale_factor=1,
        timezone_id="UTC",
        locale="en-US",
        reduced_motion="reduce",
    )
    context.add_init_script(
        "(() => { const add = () => { const s = document.createElement('style');"
        f" s.textContent = {json.dumps(_STILL_CSS)};"
        " (document.head || document.documentElement).appendChild(s); };"
        " if (document.documentElement) add();"
        " else document.addEventListener('DOMContentLoaded', add, { once: true }); })()"
    )
    return context


def login(context: Any, url: str, username: str, password: str, *, timeout: float = 30) -> None:
    """Give ``context`` a logged-in Superset session: the login form is posted over HTTP
    (:func:`supersetctl.superset.session.form_login`) and its cookies added to the context,
    so no login page is loaded in the browser. A refusal is a :class:`BrowserError` naming
    the URL and the user."""
    try:
        cookies = form_login(url, username, password, timeout=timeout)
    except SupersetAPIError as exc:
        raise BrowserError(exc.message, hint=exc.hint) from None
    context.add_cookies([c.for_playwright(url) for c in cookies])


def _page(context: Any) -> Any:
    """The context's one page, made on first use and reused for every dashboard: Playwright
    (1.65, on Debian's Chromium 156) was seen to wait forever in ``page.close()``, one close
    in about fifteen, so a run opens one page per context and never closes it; closing the
    browser at the end ends it."""
    pages = context.pages
    return pages[0] if pages else context.new_page()


def _rest(page: Any, ms: float) -> None:
    """Leave the page blank between dashboards, so nothing of the last one runs on."""
    try:
        page.goto("about:blank", wait_until="commit", timeout=ms)
    except Exception as exc:  # the page crashed; the next goto reports it
        log.debug("blank after the shot: %s", exc)


# --- waiting for the charts ----------------------------------------------------------------------


@dataclass(frozen=True)
class ChartState:
    """One chart holder as the page shows it."""

    name: str
    loading: bool
    error: bool
    no_results: bool
    drew: bool
    text: str = field(repr=False, default="")

    @property
    def done(self) -> bool:
        return not self.loading and (self.error or self.no_results or self.drew)

    @classmethod
    def from_page(cls, raw: dict[str, Any]) -> ChartState:
        text = str(raw.get("text") or "")
        body = text.split("\n", 1)[1] if "\n" in text else ""
        drew = int(raw.get("rows") or 0) > 0 or int(raw.get("canvas") or 0) > 0
        return cls(
            name=str(raw.get("name") or "?"),
            loading=bool(raw.get("loading")),
            error=bool(raw.get("error")),
            no_results=bool(raw.get("noResults")),
            drew=drew or bool(re.search(r"\d", body)),
            text=text,
        )


def chart_states(page: Any) -> list[ChartState]:
    return [ChartState.from_page(r) for r in page.evaluate(STATE_JS)]


def settled(charts: list[ChartState], expected: int) -> bool:
    """Every expected chart is on the page and done (an error is done too)."""
    return len(charts) >= expected and all(c.done for c in charts)


def wait_for_charts(
    page: Any, expected: int, *, timeout: float = RENDER_TIMEOUT, what: str = "the dashboard"
) -> list[ChartState]:
    """Poll the page until :func:`settled`, then until the canvases stop changing; returns
    the charts. Past ``timeout`` a :class:`BrowserError` names ``what`` and the charts still
    loading (or missing)."""
    deadline = time.monotonic() + timeout
    charts = chart_states(page)
    while not settled(charts, expected):
        if time.monotonic() > deadline:
            raise BrowserError(_not_rendered(what, charts, expected, timeout))
        page.wait_for_timeout(_POLL_MS)
        charts = chart_states(page)
    last = page.evaluate(_CANVAS_JS)
    while time.monotonic() < deadline:
        page.wait_for_timeout(_POLL_MS)
        now = page.evaluate(_CANVAS_JS)
        if now == last:
            break
        last = now
    return chart_states(page)


def _not_rendered(what: str, charts: list[ChartState], expected: int, timeout: float) -> str:
    waiting = [c.name for c in charts if not c.done]
    parts = []
    if waiting:
        parts.append("still loading: " + ", ".join(waiting))
    if len(charts) < expected:
        parts.append(f"{expected - len(charts)} of {expected} chart(s) not on the page")
    failed = [c.name for c in charts if c.error]
    if failed:
        parts.append("showing an error: " + ", ".join(failed))
    return f"{what} did not finish rendering within {timeout:.0f} s ({'; '.join(parts)})"


# --- one dashboard -------------------------------------------------------------------------------


@dataclass
class Shot:
    """A dashboard's screenshot: where, how long it took, what its charts showed."""

    path: Path
    seconds: float
    charts: list[ChartState]

    @property
    def errors(self) -> list[str]:
        return [c.name for c in self.charts if c.error]

    @property
    def no_results(self) -> list[str]:
        return [c.name for c in self.charts if c.no_results and not c.error]


def screenshot_dashboard(
    context: Any,
    url: str,
    slug: str,
    out: Path,
    *,
    expected: int,
    timeout: float = RENDER_TIMEOUT,
    what: str | None = None,
) -> Shot:
    """Open ``url``'s dashboard ``slug`` in ``context`` (logged in), wait for its
    ``expected`` charts (:func:`wait_for_charts`) and write a full-page PNG to ``out``. The
    context's one page is reused (:func:`_page`) and left blank afterwards. Under a
    :func:`~.watchdog.watchdog`: a shot still running ``STALL_MARGIN`` past its timeout
    kills the browser and raises :class:`~.watchdog.BrowserStalled`."""
    started = time.monotonic()
    label = what or f"dashboard {slug} on {url}"
    with watchdog(timeout + STALL_MARGIN, label):
        return _shoot(context, url, slug, out, expected, timeout, label, started)


def _shoot(
    context: Any,
    url: str,
    slug: str,
    out: Path,
    expected: int,
    timeout: float,
    label: str,
    started: float,
) -> Shot:
    try:
        page = _page(context)
    except _sync_api().Error as exc:  # the browser is gone
        raise BrowserError(f"{label}: {_first_line(exc)}") from None
    try:
        try:
            response = page.goto(
                f"{url}/superset/dashboard/{slug}/?standalone=0",
                wait_until="domcontentloaded",
                timeout=timeout * 1000,
            )
        except Exception as exc:
            raise BrowserError(f"cannot open {label}: {_first_line(exc)}") from None
        if response is not None and response.status >= 400:
            raise BrowserError(f"cannot open {label}: HTTP {response.status}")
        left = timeout - (time.monotonic() - started)
        charts = wait_for_charts(page, expected, timeout=max(left, 1.0), what=label)
        out.parent.mkdir(parents=True, exist_ok=True)
        page.mouse.move(0, 0)  # no hover tooltip
        page.screenshot(path=str(out), full_page=True, animations="disabled", caret="hide")
        return Shot(out, time.monotonic() - started, charts)
    except _sync_api().Error as exc:  # the page crashed or went away mid-way
        raise BrowserError(f"{label}: {_first_line(exc)}") from None
    finally:
        _rest(page, timeout * 1000)
