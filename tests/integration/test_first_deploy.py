"""``deploy --create`` with the real pinned Superset behind the fake DigitalOcean API.

The admin job's command is ours: it runs here, for real, with ``sh`` against Superset 6.1.0 and
its PostgreSQL metadata database (the session ``superset`` fixture), the way App Platform runs a
POST_DEPLOY job: the app's runtime environment plus the job's own variables. Then the whole first
deploy: the fake API creates the app and, when its deployment goes ACTIVE, runs the spec's
POST_DEPLOY jobs here; ``/health`` and the admin login are the real Superset's.
"""

from __future__ import annotations

import secrets
import subprocess
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from supersetctl.contract.environment import load_environment
from supersetctl.deploy import ADMIN_JOB, AppsAPI, admin_command, create
from supersetctl.deploy.admin_job import CREATED, EXISTS
from supersetctl.errors import SupersetAPIError
from supersetctl.paths import RepoPaths
from supersetctl.superset import Credentials, SupersetClient
from tests.support.fake_do import FakeDO
from tests.unit.deploy.test_deploy import NEW, instant, pin

pytestmark = pytest.mark.integration


def _job(superset: Any, envs: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {**superset.server.environ(), **envs}
    for key in ("SUPERSET_ADMIN_USERNAME", "SUPERSET_ADMIN_PASSWORD", "SUPERSET_ADMIN_EMAIL"):
        if key not in envs:
            env.pop(key, None)
    return subprocess.run(
        ["sh", "-c", admin_command()], env=env, capture_output=True, text=True, timeout=180
    )


def _login(superset: Any, user: str, password: str) -> None:
    with SupersetClient(superset.url, Credentials(user, password), retries=0) as client:
        client.login()


def test_the_admin_job_creates_once_and_never_resets_a_password(superset: Any) -> None:
    user = "first-admin-" + secrets.token_hex(3)
    password = secrets.token_urlsafe(18)
    first = _job(superset, {"SUPERSET_ADMIN_USERNAME": user, "SUPERSET_ADMIN_PASSWORD": password})
    assert first.returncode == 0, first.stderr[-2000:]
    assert first.stdout.strip().endswith(CREATED)
    _login(superset, user, password)
    # again, with another password: the user is left alone
    other = secrets.token_urlsafe(18)
    again = _job(superset, {"SUPERSET_ADMIN_USERNAME": user, "SUPERSET_ADMIN_PASSWORD": other})
    assert again.returncode == 0, again.stderr[-2000:]
    assert again.stdout.strip().endswith(EXISTS)
    _login(superset, user, password)
    with pytest.raises(SupersetAPIError):
        _login(superset, user, other)
    for run in (first, again):
        assert password not in run.stdout + run.stderr and other not in run.stdout + run.stderr
    # an unset secret fails the job, naming it
    unset = _job(superset, {"SUPERSET_ADMIN_USERNAME": user})
    assert unset.returncode != 0 and "SUPERSET_ADMIN_PASSWORD" in unset.stderr


def test_create_with_the_real_runtime_behind_the_fake_api(
    superset: Any, httpserver: HTTPServer, repo_copy: RepoPaths
) -> None:
    token = "dop_v1_" + secrets.token_hex(32)
    fake = FakeDO(httpserver, token, live_url=superset.url)
    fake.add_cluster("superset-metadata", "pg", db_names=["superset"], users=["superset"])
    fake.add_cluster("superset-cache", "valkey")
    ran: list[subprocess.CompletedProcess[str]] = []

    def post_deploy(spec: dict[str, Any]) -> bool:
        for job in spec.get("jobs") or []:
            if job.get("kind") == "POST_DEPLOY":
                envs = {e["key"]: e["value"] for e in job.get("envs") or []}
                ran.append(_job(superset, envs))
        return all(r.returncode == 0 for r in ran)

    fake.on_active = post_deploy
    pin(repo_copy, "6.1.0-2", NEW)
    user, password = "prod-admin-" + secrets.token_hex(3), secrets.token_urlsafe(18)
    environ = {
        "SUPERSET_SECRET_KEY": secrets.token_urlsafe(42),
        "SUPERSET_ADMIN_USERNAME": user,
        "SUPERSET_ADMIN_PASSWORD": password,
    }
    api = AppsAPI(token, endpoint=httpserver.url_for("/").rstrip("/"), retries=0)
    result = create(load_environment(repo_copy, "prod", environ=environ), api, waiter=instant())
    assert result.ok, (result.reason, [r.stderr[-1000:] for r in ran])
    assert result.verified and result.admin_login and result.admin_job_removed
    assert result.url == superset.url
    assert len(ran) == 1 and ran[0].stdout.strip().endswith(CREATED)  # once: then it is gone
    _login(superset, user, password)
    assert all(j["name"] != ADMIN_JOB for j in fake.apps[result.app_id or ""]["spec"]["jobs"])
