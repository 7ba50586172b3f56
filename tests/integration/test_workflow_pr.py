"""superset-pr.yml, run step by step (tests/support/workflows.py) against the real Superset and
a fake GitHub: each environment's plan lands as one sticky comment and in the job summary,
redacted, with the dashboards each change touches; a re-run edits the comment in place."""

from __future__ import annotations

import os
import secrets
import subprocess
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from supersetctl.provision import apply_env
from supersetctl.superset import SupersetClient
from tests.support.fake_github import FakeGitHub
from tests.support.provision import ProvRepo
from tests.support.superset import SupersetInfo
from tests.support.workflows import JobRun, run_job

pytestmark = pytest.mark.integration

PR = 42


def _environments(repo: ProvRepo) -> None:
    """config/staging and config/prod: the dev config of the fixture under those names."""
    dev = repo.paths.env_config("dev").read_text()
    for env in ("staging", "prod"):
        folder = repo.paths.root / "config" / env
        folder.mkdir(parents=True, exist_ok=True)
        text = dev.replace("environment: dev", f"environment: {env}")
        (folder / "environment.yaml").write_text(text.replace("superset-dev", f"superset-{env}"))


def _github(gh: FakeGitHub, head: str | None = None) -> dict[str, object]:
    """The ``github`` context of a pull request from ``head`` (this repository by default)."""
    pull = {"number": PR, "head": {"repo": {"full_name": head or gh.repository}}}
    return {"token": gh.token, "repository": gh.repository, "event": {"pull_request": pull}}


def _plan(repo: ProvRepo, gh: FakeGitHub, env: str, login: tuple[str, str], odoo_pw: str) -> JobRun:
    return run_job(
        "superset-pr.yml",
        "plan",
        repo.paths.root,
        matrix={"env": env},
        secrets={
            "SUPERSET_READER_USERNAME": login[0],
            "SUPERSET_READER_PASSWORD": login[1],
            "ODOO_RO_PASSWORD": odoo_pw,
        },
        github=_github(gh),
        extra_env={"GITHUB_API_URL": gh.url},
    )


def test_each_environment_gets_one_sticky_plan_comment(
    prov_repo: ProvRepo,
    superset: SupersetInfo,
    ss_client: SupersetClient,
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _environments(prov_repo)
    gh = FakeGitHub(httpserver, token="ghs_" + secrets.token_hex(18))
    odoo_pw = os.environ["ODOO_RO_PASSWORD"]
    admin = (superset.admin_username, superset.admin_password)
    # prod already runs this repo's assets; staging has none of them yet
    apply_env(prov_repo.env(), ss_client)  # dev's config: the same Superset as prod here
    chart = prov_repo.prov / "dashboards" / "dash-1" / "charts" / "chart-2.yaml"
    chart.write_text(chart.read_text().replace("slice_name: Chart 2", "slice_name: Chart two"))

    for env in ("staging", "prod"):
        run = _plan(prov_repo, gh, env, admin, odoo_pw)
        assert run.ok, [(s.name, s.rc, s.output[-2000:]) for s in run.steps]
        assert f"supersetctl plan: {env}" in run.summary
    bodies = gh.bodies(PR)
    assert len(bodies) == 2
    staging, prod = bodies
    assert staging.startswith("<!-- supersetctl-plan:staging -->")
    assert "**update** chart *Chart two*" in prod
    assert "| `slice_name` | `Chart 2` | `Chart two` |" in prod
    assert "dashboards: *" in prod  # the dashboard the chart sits on is named
    for body in bodies:
        assert odoo_pw not in body and superset.admin_password not in body

    # a new push: the same two comments, edited in place
    chart.write_text(chart.read_text().replace("Chart two", "Chart 2"))
    run = _plan(prov_repo, gh, "prod", admin, odoo_pw)
    assert run.ok
    assert len(gh.bodies(PR)) == 2
    assert "in sync" in gh.bodies(PR)[1]
    assert ("PATCH", f"/repos/{gh.repository}/issues/comments/{1002}") in gh.requests


def test_a_plan_that_cannot_be_made_says_why_on_the_pr_and_fails(
    prov_repo: ProvRepo, superset: SupersetInfo, httpserver: HTTPServer
) -> None:
    _environments(prov_repo)
    gh = FakeGitHub(httpserver, token="ghs_" + secrets.token_hex(18))
    wrong = secrets.token_urlsafe(12)
    run = _plan(prov_repo, gh, "staging", (superset.admin_username, wrong), "x")
    assert not run.ok
    assert run.step("supersetctl plan").rc == 1
    [body] = gh.bodies(PR)
    assert "supersetctl plan: staging: failed" in body
    assert wrong not in body


def test_a_fork_pull_request_plans_nothing(prov_repo: ProvRepo, httpserver: HTTPServer) -> None:
    gh = FakeGitHub(httpserver, token="ghs_" + secrets.token_hex(18))
    run = run_job(
        "superset-pr.yml",
        "plan",
        prov_repo.paths.root,
        matrix={"env": "staging"},
        github=_github(gh, head="someone/fork"),
    )
    assert run.steps == [] and gh.requests == []


def test_the_scan_job_finds_a_secret_a_branch_commit_adds(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
            cwd=repo, check=True, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip

    git("init", "-q", "-b", "main")
    (repo / "README.md").write_text("# repo\n")
    git("add", ".")
    git("commit", "-qm", "base")
    base = git("rev-parse", "HEAD")
    clean = run_job("superset-pr.yml", "scan", repo,
                    github={"event": {"pull_request": {"base": {"sha": base}}}})  # fmt: skip
    assert clean.ok, clean.steps[-1].output
    leaked = "postgresql://superset:" + secrets.token_urlsafe(16) + "@db.example.com/odoo"
    (repo / "deploy.env").write_text(f"DATABASE_URL={leaked}\n")
    git("add", ".")
    git("commit", "-qm", "oops")
    found = run_job("superset-pr.yml", "scan", repo,
                    github={"event": {"pull_request": {"base": {"sha": base}}}})  # fmt: skip
    step = found.step("supersetctl scan")
    assert step.rc == 1 and "deploy.env" in step.output and leaked not in step.output
