"""The running Superset renders its login page and, after logging in, its home page in a real
headless Chromium (Debian's ``chromium``, driven by Playwright). Screenshots go to
``test-artifacts/`` (gitignored; CI keeps them as artifacts)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

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

        # the login supersetctl preview does (the form, like a user), then the home page
        login(context, superset.url, superset.admin_username, superset.admin_password)
        page.goto(f"{superset.url}/superset/welcome/", wait_until="networkidle", timeout=90_000)
        page.wait_for_selector("text=Dashboards", timeout=60_000)
        home = _shot(page, "superset-home.png")
        assert home.stat().st_size > 5_000
        assert "/login" not in page.url
    finally:
        context.close()
    assert errors == []
