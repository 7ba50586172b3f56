"""The watchdog on a real headless Chromium: a Playwright call that never returns (a page
script waiting on a promise nothing resolves) is stopped at the deadline, the browser's
processes are gone, and what is left closes at once. Its own Chromium, not the module-scoped
fixture's: the watchdog kills every browser this process's Playwright started."""

from __future__ import annotations

import pytest

from supersetctl.preview import browser
from supersetctl.preview.watchdog import BrowserStalled, browser_pids, watchdog

pytestmark = pytest.mark.integration


def test_a_call_that_never_returns_is_stopped_at_the_deadline() -> None:
    with browser.launch() as chromium:
        page = browser.new_context(chromium).new_page()
        assert browser_pids(), "Chromium runs under Playwright's driver"
        stuck = pytest.raises(BrowserStalled, match="waiting: the browser stopped answering")
        with stuck, watchdog(3, "waiting"):
            page.evaluate("() => new Promise(() => {})")
        assert browser_pids() == []
    # and launch's close of the killed browser returned
