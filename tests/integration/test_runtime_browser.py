"""The running Superset renders its login page and, after a user logs in, its home page in a real
headless Chromium (Debian's ``chromium``, driven by Playwright). Screenshots go to
``test-artifacts/`` (gitignored; CI keeps them as artifacts)."""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

import pytest

from supersetctl.errors import BrowserError
from supersetctl.preview.browser import login
from tests.support.helpers import REPO_ROOT
from tests.support.superset import SupersetInfo

pytestmark = pytest.mark.integration

ARTIFACTS = REPO_ROOT / "test-artifacts"


def _shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    return path


def test_login_and_home_page_render(chromium: Any, superset: SupersetInfo) -> None:
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(f"{superset.url}/login/", wait_until="networkidle", timeout=90_000)
        page.wait_for_selector("input[name=username], #username", timeout=60_000)
        shot = _shot(page, "superset-login.png")
        assert shot.stat().st_size > 5_000

        # a user's login: the form, then the home page
        page.fill("input[name=username], #username", superset.admin_username, timeout=60_000)
        page.fill("input[name=password], #password", superset.admin_password, timeout=60_000)
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r".*/superset/welcome/.*"), timeout=90_000)
        page.wait_for_selector("text=Dashboards", timeout=60_000)
        home = _shot(page, "superset-home.png")
        assert home.stat().st_size > 5_000
    finally:
        context.close()
    assert errors == []


def test_the_session_preview_hands_the_browser_opens_the_home_page(
    chromium: Any, superset: SupersetInfo
) -> None:
    """``preview`` posts the login form over HTTP and gives the browser the cookies: the home
    page opens straight away, no login page in between."""
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    try:
        login(context, superset.url, superset.admin_username, superset.admin_password)
        page = context.new_page()
        page.goto(f"{superset.url}/superset/welcome/", wait_until="networkidle", timeout=90_000)
        assert "/login" not in page.url
        page.wait_for_selector("text=Dashboards", timeout=60_000)
        cookies = context.cookies()
        assert [c["httpOnly"] for c in cookies if c["name"] == "session"] == [True]
    finally:
        context.close()


def test_a_refused_session_names_the_user_not_the_password(
    chromium: Any, superset: SupersetInfo
) -> None:
    wrong = "pw_" + secrets.token_hex(8)
    context = chromium.new_context()
    try:
        with pytest.raises(BrowserError, match="as 'admin': the username or password") as err:
            login(context, superset.url, "admin", wrong)
        assert wrong not in str(err.value)
        assert context.cookies() == []
    finally:
        context.close()
