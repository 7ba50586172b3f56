"""The deadline for Playwright calls that have none: the block's error becomes
``BrowserStalled`` once the deadline passed, and the processes killed are the ones under
Playwright's driver only (a real process tree stands in for the driver and its browser). A
stalled browser is started again, twice at the most."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from supersetctl.errors import BrowserError, OperationFailed
from supersetctl.preview import run
from supersetctl.preview.browser import Shot
from supersetctl.preview.watchdog import BrowserStalled, browser_pids, kill_browsers, watchdog
from supersetctl.progress import NO_PROGRESS


def test_a_block_past_its_deadline_fails_as_stalled() -> None:
    started = time.monotonic()
    stalled = pytest.raises(BrowserStalled, match="opening: the browser stopped answering")
    with stalled, watchdog(0.2, "opening"):
        time.sleep(0.6)  # a call that fails once the browser is killed
        raise RuntimeError("Target page, context or browser has been closed")
    assert time.monotonic() - started < 5


def test_a_block_that_ends_as_the_deadline_passes_is_stalled_too() -> None:
    """Its browser was killed all the same: the caller has to start another."""
    stalled = pytest.raises(BrowserStalled, match="shot: the browser stopped answering")
    with stalled, watchdog(0.1, "shot"):
        time.sleep(0.4)  # ends on its own, after the deadline


def test_a_block_on_time_keeps_its_own_result_and_error() -> None:
    with watchdog(5, "quick"):
        pass
    with pytest.raises(BrowserError, match="HTTP 404"), watchdog(5, "quick"):
        raise BrowserError("cannot open it: HTTP 404")


def _driver_with_a_browser() -> subprocess.Popen[bytes]:
    """A child whose command line names ``run-driver`` (as Playwright's does) and that starts
    a long ``sleep`` of its own: the "browser"."""
    code = "import subprocess, sys; subprocess.run(['sleep', '60'])"
    return subprocess.Popen([sys.executable, "-c", code, "run-driver"])


def test_only_what_the_driver_started_is_killed() -> None:
    bystander = subprocess.Popen(["sleep", "60"])  # a child of ours, not the driver's
    driver = _driver_with_a_browser()
    try:
        deadline = time.monotonic() + 10
        while not browser_pids() and time.monotonic() < deadline:
            time.sleep(0.05)
        found = browser_pids()
        assert len(found) == 1 and driver.pid not in found and bystander.pid not in found
        assert kill_browsers() == 1
        assert driver.wait(timeout=10) == 0  # the driver sees its browser end, and ends
        assert bystander.poll() is None
        assert browser_pids() == []
    finally:
        for p in (driver, bystander):
            p.kill()
            p.wait()


class _FakeBrowser:
    def __init__(self) -> None:
        self.restarts = 0
        self.contexts: list[tuple[str, str]] = []

    def context(self, side: str, url: str) -> str:
        self.contexts.append((side, url))
        return f"context {self.restarts}"

    def restart(self) -> None:
        self.restarts += 1


def test_a_stalled_shot_is_taken_again_in_a_new_browser(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[Any] = []

    def shoot(context: str, url: str, board: Any, out: Path, timeout: float, side: str) -> Shot:
        calls.append(context)
        if len(calls) == 1:
            raise BrowserStalled("dashboard s (after, u): the browser stopped answering")
        return Shot(out, 1.0, [])

    monkeypatch.setattr(run, "_shoot", shoot)
    chromium = _FakeBrowser()
    shot = run._shot_with_restart(chromium, "after", "u", None, tmp_path, 5)  # type: ignore[arg-type]
    assert shot.path == tmp_path / "after.png"
    assert calls == ["context 0", "context 1"] and chromium.restarts == 1


def test_a_browser_that_keeps_stalling_is_given_up_after_two_restarts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def shoot(*_: Any) -> Shot:
        raise BrowserStalled("dashboard s (after, u): the browser stopped answering")

    monkeypatch.setattr(run, "_shoot", shoot)
    chromium = _FakeBrowser()
    with pytest.raises(BrowserStalled):
        run._shot_with_restart(chromium, "after", "u", None, tmp_path, 5)  # type: ignore[arg-type]
    assert chromium.restarts == 2


def test_a_refused_login_ends_the_run_rather_than_failing_each_dashboard(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    @contextlib.contextmanager
    def launch() -> Iterator[object]:
        yield object()

    def login(context: object, url: str, user: str, password: str) -> None:
        raise BrowserError(f"cannot log in to {url} as '{user}': refused", hint="check it")

    monkeypatch.setattr(run.browser, "launch", launch)
    monkeypatch.setattr(run.browser, "new_context", lambda chromium: object())
    monkeypatch.setattr(run.browser, "login", login)
    chromium = run._Browser(("admin", "pw"), NO_PROGRESS)
    with pytest.raises(OperationFailed, match="as 'admin': refused") as err:
        chromium.context("after", "http://superset.test")
    assert err.value.hint == "check it"
    chromium.close()
