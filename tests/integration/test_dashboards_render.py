"""The starter dashboards, after `supersetctl up`, render every chart with data in a real
headless Chromium (Debian's ``chromium`` driven by Playwright). Screenshots go to
``test-artifacts/dashboards/``.

The stack is the session's ``starter_stack`` (tests/support/browser.py: ``up`` in a scratch
copy of the repo, as ``make up`` runs it); the login and the wait for every chart are the
library's (``supersetctl.preview.browser``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from supersetctl.cli import main
from supersetctl.paths import RepoPaths
from supersetctl.preview.browser import login, new_context, wait_for_charts
from supersetctl.provision.layout import load_layout
from tests.support.browser import StarterStack
from tests.support.helpers import REPO_ROOT

pytestmark = pytest.mark.integration

ARTIFACTS = REPO_ROOT / "test-artifacts" / "dashboards"
STARTERS = {
    "sales-overview": "Sales overview",
    "invoicing-and-receivables": "Invoicing and receivables",
    "crm-pipeline": "CRM pipeline",
    "inventory-movements": "Inventory movements",
}

Stack = StarterStack


@pytest.fixture(scope="module")
def stack(starter_stack: StarterStack) -> StarterStack:
    """The session's starter stack (tests/support/browser.py)."""
    return starter_stack


@pytest.fixture(scope="module")
def page(stack: Stack, chromium: Any) -> Iterator[Any]:
    context = new_context(chromium)
    login(context, stack.url, "admin", stack.admin_password())
    pg = context.new_page()
    try:
        yield pg
    finally:
        context.close()


def _chart_counts(stack: Stack) -> dict[str, int]:
    """How many charts each starter dashboard's file places."""
    out = {}
    for asset in load_layout(RepoPaths(stack.repo).provisioning):
        if asset.kind == "dashboard":
            nodes = [n for n in asset.raw["position"].values() if isinstance(n, dict)]
            out[str(asset.raw["slug"])] = sum(1 for n in nodes if n.get("type") == "CHART")
    return out


@pytest.mark.parametrize("slug", sorted(STARTERS))
def test_starter_dashboard_renders_every_chart_with_data(
    stack: Stack, page: Any, slug: str
) -> None:
    expected = _chart_counts(stack)[slug]
    assert 4 <= expected <= 8
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{stack.url}/superset/dashboard/{slug}/", wait_until="networkidle", timeout=120_000)
    states = wait_for_charts(page, expected, timeout=120, what=f"dashboard {slug}")
    charts = [asdict(c) for c in states]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{slug}.png"), full_page=True)
    (ARTIFACTS / f"{slug}.json").write_text(json.dumps(charts, indent=2))

    assert page.title() and STARTERS[slug] in page.content()
    assert len(charts) == expected
    bad = [
        (c.name, c.text[:200]) for c in states if c.loading or c.error or c.no_results or not c.drew
    ]
    assert bad == [], f"charts without data or with errors: {bad}"
    # native filters: date range and company
    filters = page.content()
    assert "Date range" in filters and "Company" in filters
    assert not errors, errors


def _check(stack: Stack, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
    capsys.readouterr()
    code = main(["--repo", str(stack.repo), "--format", "json", "check", "--env", "dev", *args])
    return code, json.loads(capsys.readouterr().out)


def _admin_url(stack: Stack) -> str:
    for line in (stack.repo / ".local" / "dev.env").read_text().splitlines():
        if line.startswith("ODOO_ADMIN_DATABASE_URL="):
            return line.split("=", 1)[1].strip("'")
    raise AssertionError("no admin URL in .local/dev.env")


def test_check_names_every_chart_and_dashboard_a_renamed_column_breaks_and_no_other(
    stack: Stack,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    superset_runtime: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`up` checked the starters already (it fails otherwise); a column renamed in one
    analytics view breaks exactly the charts that use it, on the one dashboard showing them,
    and `up` on the broken view fails naming them, the stack left running."""
    import psycopg

    code, before = _check(stack, capsys)
    assert code == 0 and before["ok"] and len(before["charts"]) == 28
    assert len(before["datasets"]) == 6
    rename = "ALTER VIEW analytics.stock_moves RENAME COLUMN {} TO {}"
    with psycopg.connect(_admin_url(stack), autocommit=True) as conn:
        conn.execute(rename.format("direction", "move_direction"))
        try:
            code, after = _check(stack, capsys, "--markdown", str(tmp_path / "check.md"))
            spared, _ = _check(stack, capsys, "--dashboard", "sales-overview")
            monkeypatch.setenv("SUPERSETCTL_RUNTIME_VENV", str(superset_runtime))
            capsys.readouterr()
            up_code = main(["--repo", str(stack.repo), "up"])
            up_err = capsys.readouterr().err
        finally:
            conn.execute(rename.format("move_direction", "direction"))
    assert code == 1 and not after["ok"]
    assert after["failed"] == {
        "charts": ["Moves by direction", "Quantity by month and direction"],
        "datasets": ["analytics.stock_moves"],
        "dashboards": ["Inventory movements"],
    }
    broken = [c for c in after["charts"] if c["status"] == "error"]
    assert all('column "direction" does not exist' in c["error"] for c in broken)
    assert {c["dataset"] for c in broken} == {"analytics.stock_moves"}
    assert all(c["dashboards"] == ["Inventory movements"] for c in broken)
    markdown = (tmp_path / "check.md").read_text()
    assert markdown.startswith("<!-- supersetctl-check:dev -->")
    assert "Moves by direction" in markdown
    assert spared == 0
    assert up_code == 1 and "check after provisioning failed: 2 chart(s), 1 dataset(s)" in up_err
    assert "Moves by direction (Inventory movements)" in up_err and "stack is running" in up_err
    assert _check(stack, capsys)[0] == 0  # the view restored, every chart answers again


def test_check_unmanaged_runs_the_charts_made_by_hand_too(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    """A chart made in the UI has no file: plain `check` leaves it out, `--unmanaged` runs it
    and names it (no file, its id) when its query fails."""
    from supersetctl.superset.client import Credentials, SupersetClient

    with SupersetClient(stack.url, Credentials("admin", stack.admin_password())) as client:
        datasets = client.list("dataset", ("id", "table_name"))
        (moves,) = [d["id"] for d in datasets if d["table_name"] == "stock_moves"]
        metric = {"expressionType": "SQL", "sqlExpression": "SUM(no_such_column)",
                  "label": "broken"}  # fmt: skip
        params = {"viz_type": "big_number_total", "metric": metric, "time_range": "No filter",
                  "datasource": f"{moves}__table"}  # fmt: skip
        body = {"slice_name": "Made by hand", "viz_type": "big_number_total",
                "datasource_id": moves, "datasource_type": "table",
                "params": json.dumps(params)}  # fmt: skip
        made = client.request("POST", "/api/v1/chart/", json=body).json()["id"]
        try:
            managed_only = _check(stack, capsys, "--no-datasets")
            code, report = _check(stack, capsys, "--no-datasets", "--unmanaged")
            mixed = main(["--repo", str(stack.repo), "check", "--unmanaged", "-d", "crm-pipeline"])
        finally:
            client.delete("chart", made)
    assert managed_only[0] == 0 and len(managed_only[1]["charts"]) == 28
    assert code == 1 and report["failed"]["charts"] == ["Made by hand"]
    (hand,) = [c for c in report["charts"] if c["id"] == made]
    assert hand["file"] == "" and "no_such_column" in hand["error"]
    assert len(report["charts"]) >= 29  # every managed chart ran too
    assert mixed == 2
