"""docs/first-deploy.md, run as written: every ``$ supersetctl`` line of the runbook, in order,
against the fake DigitalOcean API with the real Superset 6.1.0 as the app.

The account holds the runbook's clusters in the runbook's VPC; the repo is the real one after
steps 1-2 (the VPC id in the spec, the image pinned). The admin job runs for real when the
first deployment goes live. Commands that reach Superset by ``superset.url`` get ``--url`` (the
test's stand-in for DNS); ``apply`` gets ``--yes`` (no one to answer its question); ``deploy``
gets ``--poll-interval 0``. The provisioning folder is emptied: the starter dashboards need
Odoo's database, which the access-model tests cover; here ``plan`` and ``apply`` log in as the
new admin and read the instance. Commands run elsewhere are named in the runbook's last table,
and each named test file is checked to run them.
"""

from __future__ import annotations

import re
import secrets
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from supersetctl.paths import RepoPaths
from tests.integration.test_first_deploy import _job
from tests.support.fake_do import FakeDO
from tests.unit.deploy.test_deploy import NEW, pin

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
RUNBOOK = ROOT / "docs" / "first-deploy.md"
ELSEWHERE = {
    ("db", "apply"): "tests/integration/test_db_cli.py",
    ("db", "verify"): "tests/integration/test_db_cli.py",
    ("image", "resolve"): "tests/integration/test_registry.py",
    ("bump",): "tests/unit/image/test_bump.py",
}


def runbook_commands() -> list[list[str]]:
    """Every ``$ supersetctl ...`` line of the runbook's console blocks, in order."""
    commands = []
    in_console = False
    for line in RUNBOOK.read_text().splitlines():
        if line.startswith("```"):
            in_console = line.strip() == "```console"
            continue
        if in_console and line.startswith("$ supersetctl "):
            commands.append(shlex.split(line[2:])[1:])
    return commands


def _vpc_of_runbook() -> str:
    m = re.search(r"^vpc:\n  id: (\S+)$", RUNBOOK.read_text(), re.MULTILINE)
    assert m
    return m.group(1)


def test_the_runbook_names_where_each_command_is_tested() -> None:
    commands = runbook_commands()
    assert [c[:2] for c in commands if c[0] in ("validate", "deploy")] == [
        ["validate", "--env"],
        ["deploy", "--env"],
    ]
    for key, test_file in ELSEWHERE.items():
        assert any(tuple(c[: len(key)]) == key for c in commands), key
        text = (ROOT / test_file).read_text()
        assert all(f'"{word}"' in text or f"'{word}'" in text for word in key), (key, test_file)


def test_the_runbook_from_an_empty_account(
    superset: Any,
    httpserver: HTTPServer,
    repo_copy: RepoPaths,
    run_cli,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = "dop_v1_" + secrets.token_hex(32)
    vpc = _vpc_of_runbook()
    fake = FakeDO(httpserver, token, live_url=superset.url)
    fake.add_cluster("superset-metadata", "pg", vpc=vpc, db_names=["superset"], users=["superset"])
    fake.add_cluster("superset-cache", "valkey", vpc=vpc)
    jobs: list[subprocess.CompletedProcess[str]] = []

    def post_deploy(spec: dict[str, Any]) -> bool:
        for job in spec.get("jobs") or []:
            if job.get("kind") == "POST_DEPLOY":
                jobs.append(_job(superset, {e["key"]: e["value"] for e in job["envs"]}))
        return all(j.returncode == 0 for j in jobs)

    fake.on_active = post_deploy
    # steps 1 and 2: the VPC id in the spec, the image pinned
    text = repo_copy.app_spec.read_text()
    repo_copy.app_spec.write_text(
        text.replace("region: fra\n", f"region: fra\nvpc:\n  id: {vpc}\n")
    )
    pin(repo_copy, "6.1.0-1", NEW)
    # the access files go too: they name the starter datasets and dashboards
    for kind in ("databases", "datasources", "dashboards", "roles", "rls", "dashboard_access"):
        for path in (repo_copy.provisioning / kind).iterdir():
            # the optional source's file stays: every config excludes it by name
            if path.name not in ("README.md", "supabase.yaml"):
                shutil.rmtree(path) if path.is_dir() else path.unlink()
    # and prod's exclusion of the embeddable dashboard's access goes with that file (an
    # exclusion that matches nothing warns)
    prod = repo_copy.env_config("prod")
    lines = prod.read_text().splitlines(keepends=True)
    prod.write_text("".join(x for x in lines if "dashboard_access/sales-overview" not in x))
    # step 3: the secrets, in the shell only
    admin = "prod-admin-" + secrets.token_hex(3)
    exported = {
        "DIGITALOCEAN_TOKEN": token,
        "SUPERSETCTL_DO_API_URL": httpserver.url_for("/").rstrip("/"),
        "SUPERSET_SECRET_KEY": secrets.token_urlsafe(42),
        "SUPERSET_ADMIN_USERNAME": admin,
        "SUPERSET_ADMIN_PASSWORD": secrets.token_urlsafe(18),
        "ODOO_RO_PASSWORD": secrets.token_urlsafe(18),
    }
    for key, value in exported.items():
        monkeypatch.setenv(key, value)

    ran = []
    for command in runbook_commands():
        if any(tuple(command[: len(k)]) == k for k in ELSEWHERE):
            continue
        args = list(command)
        if args[0] in ("health", "plan", "apply"):
            args += ["--url", superset.url]
        if args[0] == "apply":
            args.append("--yes")
        if args[0] == "deploy":
            args += ["--poll-interval", "0"]
        result = run_cli(["--repo", str(repo_copy.root), *args])
        assert result.exit_code == 0, (command, result.stdout, result.stderr[-3000:])
        for value in exported.values():
            if value not in (admin, exported["SUPERSETCTL_DO_API_URL"]):
                assert value not in result.stdout + result.stderr, command
        ran.append((command, result))
    assert [c[0] for c, _ in ran] == ["validate", "deploy", "health", "plan", "apply"]
    validate_out = ran[0][1].stdout + ran[0][1].stderr
    assert "0 error(s), 0 warning(s) in prod" in validate_out
    deploy_out = ran[1][1]
    assert "created: superset-prod at " + superset.url in deploy_out.stdout
    for line in ("superset-metadata (pg): online", "removing the job create-admin"):
        assert line in deploy_out.stderr
    assert len(jobs) == 1 and jobs[0].returncode == 0
