"""superset-pr.yml's ``local`` job, run step by step (tests/support/workflows.py) on the
session's local stack and a fake GitHub: the branch's files brought up, the charts a change
reaches checked, the dashboards it reaches screenshotted before and after, both reports as
sticky comments and the job summary. (Installing the system packages is emulated: .ci/run
installed them here.)"""

from __future__ import annotations

import secrets
import shutil

import pytest
from pytest_httpserver import HTTPServer

from supersetctl.cli import main
from tests.support.browser import StarterStack
from tests.support.fake_github import FakeGitHub
from tests.support.helpers import git
from tests.support.workflows import run_job

# about a minute on the shared starter stack: a warm `up`, the check, the preview's scratch
pytestmark = [pytest.mark.integration, pytest.mark.slow]

PR = 7
CHART = "infra/superset/provisioning/dashboards/crm-pipeline/charts/pipeline-by-stage.yaml"


def test_a_pull_request_gets_its_check_and_preview(
    starter_stack: StarterStack, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = starter_stack.repo
    if not (repo / ".git").exists():
        git(repo, "init", "-q")
    git(repo, "add", "infra", "config", "image")
    git(repo, "commit", "-q", "--allow-empty", "-m", "base")
    base = git(repo, "rev-parse", "HEAD").strip()
    chart = repo / CHART
    original = chart.read_text(encoding="utf-8")
    assert "slice_name: Pipeline by stage" in original
    renamed = original.replace("slice_name: Pipeline by stage", "slice_name: Pipeline per stage")
    chart.write_text(renamed, encoding="utf-8")
    gh = FakeGitHub(httpserver, token="ghs_" + secrets.token_hex(18))
    pull = {"number": PR, "base": {"sha": base}, "head": {"repo": {"full_name": gh.repository}}}
    try:
        run = run_job(
            "superset-pr.yml",
            "local",
            repo,
            github={
                "token": gh.token,
                "repository": gh.repository,
                "event": {"pull_request": pull},
            },
            extra_env={
                "GITHUB_API_URL": gh.url,
                "SUPERSETCTL_RUNTIME_VENV": str(starter_stack.runtime),
            },
            timeout=300,  # per step; the preview takes 40-55 s here
        )
    finally:
        chart.write_text(original, encoding="utf-8")
        monkeypatch.setenv("SUPERSETCTL_RUNTIME_VENV", str(starter_stack.runtime))
        assert main(["--repo", str(repo), "apply", "--env", "dev"]) in (0, 1)
        shutil.rmtree(repo / "preview", ignore_errors=True)
    assert run.ok, [(s.name, s.rc, s.output[-2000:]) for s in run.steps]
    assert run.step("System packages").output.startswith("(emulated")
    check, preview = gh.bodies(PR)
    assert check.startswith("<!-- supersetctl-check:dev -->")
    assert ": ok" in check.splitlines()[1]
    assert "Pipeline per stage" in check  # the one chart the change reaches
    assert "1 chart(s)" in check
    assert preview.startswith("<!-- supersetctl-preview:dev -->")
    assert "CRM pipeline (`crm-pipeline`)" in preview
    assert "supersetctl-check:dev" in run.summary and "supersetctl-preview:dev" in run.summary
