"""The scheduled health workflow: every 5 minutes, pinned, least privilege, no injection."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from supersetctl.yamlio import load_document
from tests.support.helpers import REPO_ROOT

WORKFLOW = REPO_ROOT / ".github" / "workflows" / "superset-health.yml"


def _wf() -> dict[str, Any]:
    data = load_document(WORKFLOW).data
    assert isinstance(data, dict)
    return data


def test_schedule_every_five_minutes_for_prod() -> None:
    wf = _wf()
    triggers = wf.get("on") or wf.get(True)  # YAML 1.1 readers turn `on` into True
    assert triggers["schedule"] == [{"cron": "*/5 * * * *"}]
    steps = wf["jobs"]["health"]["steps"]
    runs = "\n".join(s.get("run", "") for s in steps)
    assert "health --env prod --alert auto --unhealthy-ok" in runs
    assert "--state-file .health-state/prod.json" in runs


def test_least_privilege_concurrency_timeout() -> None:
    wf = _wf()
    assert wf["permissions"] == {}
    assert wf["concurrency"]["group"] == "superset-health-prod"
    job = wf["jobs"]["health"]
    assert job["permissions"] == {"contents": "read"}
    assert 0 < job["timeout-minutes"] <= 10


def test_actions_pinned_by_sha_and_state_cached() -> None:
    steps = _wf()["jobs"]["health"]["steps"]
    uses = [s["uses"] for s in steps if "uses" in s]
    assert uses, "no actions?"
    for ref in uses:
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), ref
    assert any(u.startswith("actions/cache/restore@") for u in uses)
    save = next(s for s in steps if s.get("uses", "").startswith("actions/cache/save@"))
    assert save["if"] == "always()"
    assert save["with"]["path"] == ".health-state"


def test_no_expressions_inside_run_blocks() -> None:
    for step in _wf()["jobs"]["health"]["steps"]:
        assert "${{" not in step.get("run", ""), step.get("name")


def test_secrets_reach_the_step_through_env_only_from_an_environment() -> None:
    job = _wf()["jobs"]["health"]
    assert job["environment"] == "prod-monitor"
    step = next(s for s in job["steps"] if "health --env" in s.get("run", ""))
    assert step["env"]["SLACK_WEBHOOK_URL"] == "${{ secrets.SLACK_WEBHOOK_URL }}"
    assert step["env"]["ALERT_WEBHOOK_URL"] == "${{ secrets.ALERT_WEBHOOK_URL }}"
    # a user whose role can only read, never the admin
    assert step["env"]["SUPERSET_ADMIN_PASSWORD"] == "${{ secrets.SUPERSET_READER_PASSWORD }}"


def test_schema_valid() -> None:
    tool = Path(sys.executable).parent / "check-jsonschema"
    result = subprocess.run(
        [str(tool), "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
