"""``deploy --create`` against an HTTP server speaking DigitalOcean's Apps and Databases APIs."""

from __future__ import annotations

import json
import secrets
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from supersetctl.contract.environment import Environment, load_environment
from supersetctl.deploy import ADMIN_JOB, AppsAPI, Progress, create
from supersetctl.deploy.clusters import check_clusters
from supersetctl.errors import ConfigError, DeployError, SupersetAPIError, UsageError
from supersetctl.paths import RepoPaths
from tests.support.fake_do import ERROR_PHASES, FakeDO
from tests.unit.deploy.test_deploy import NEW, instant, pin

VPC = "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"


@pytest.fixture
def token() -> str:
    return "dop_v1_" + secrets.token_hex(32)


@pytest.fixture
def secrets_env() -> dict[str, str]:
    """What the operator exports before a first deploy (fake values, made now)."""
    return {
        "SUPERSET_SECRET_KEY": secrets.token_urlsafe(42),
        "SUPERSET_ADMIN_USERNAME": "ops-admin",
        "SUPERSET_ADMIN_PASSWORD": secrets.token_urlsafe(18),
    }


@pytest.fixture
def empty(httpserver: HTTPServer, token: str, repo_copy: RepoPaths) -> FakeDO:
    """An account with the two managed clusters and no app."""
    do = FakeDO(httpserver, token)
    do.add_cluster(
        "superset-metadata", "pg", db_names=["defaultdb", "superset"], users=["doadmin", "superset"]
    )
    do.add_cluster("superset-cache", "valkey")
    pin(repo_copy, "6.1.0-2", NEW)
    return do


@pytest.fixture
def api(httpserver: HTTPServer, token: str) -> AppsAPI:
    return AppsAPI(token, endpoint=httpserver.url_for("/").rstrip("/"), retries=0)


def prod(paths: RepoPaths, environ: dict[str, str]) -> Environment:
    return load_environment(paths, "prod", environ=environ)


def test_create_from_an_empty_account(
    empty: FakeDO, api: AppsAPI, repo_copy: RepoPaths, secrets_env: dict[str, str]
) -> None:
    empty.superset_users = {"ops-admin": secrets_env["SUPERSET_ADMIN_PASSWORD"]}
    provisioned: list[str] = []
    events: list[Progress] = []

    def provision(url: str) -> dict[str, Any]:
        provisioned.append(url)
        return {"imported": 7, "deleted": 0, "requests": 3}

    result = create(
        prod(repo_copy, secrets_env),
        api,
        provision=provision,
        on_progress=events.append,
        waiter=instant(),
    )
    assert result.ok and result.verified and result.admin_login, result.reason
    assert result.admin_job_removed and result.provisioned == {
        "imported": 7,
        "deleted": 0,
        "requests": 3,
    }
    assert [c.status for c in result.clusters] == ["online", "online"]
    # propose without an app id, then one create carrying the admin job and every secret
    (propose,) = empty.posts("/v2/apps/propose")
    assert "app_id" not in propose.body
    (created,) = [c for c in empty.calls if c.method == "POST" and c.path == "/v2/apps"]
    spec = created.body["spec"]
    assert spec["name"] == "superset-prod"
    job = next(j for j in spec["jobs"] if j["name"] == ADMIN_JOB)
    assert job["kind"] == "POST_DEPLOY" and job["image"]["digest"] == NEW
    kinds = {e["key"]: e.get("type") for e in job["envs"]}
    assert kinds == {"SUPERSET_ADMIN_USERNAME": "SECRET", "SUPERSET_ADMIN_PASSWORD": "SECRET"}
    key = next(e for e in spec["envs"] if e["key"] == "SUPERSET_SECRET_KEY")
    assert key["value"] == secrets_env["SUPERSET_SECRET_KEY"] and key["type"] == "SECRET"
    # then the job is removed again, the app keeping its encrypted values
    (cleanup,) = empty.puts()
    assert all(j["name"] != ADMIN_JOB for j in cleanup.body["spec"].get("jobs", []))
    assert next(e for e in cleanup.body["spec"]["envs"] if e["key"] == "SUPERSET_SECRET_KEY")[
        "value"
    ].startswith("EV[")
    assert provisioned == [result.url]
    stages = [e.stage for e in events]
    assert stages.index("clusters") < stages.index("create") < stages.index("verify")
    assert stages.index("admin") < stages.index("cleanup") < stages.index("provision")
    out = json.dumps(result.as_dict())
    for value in secrets_env.values():
        assert value == "ops-admin" or value not in out
    assert "password" not in out  # the clusters' connection details are never kept


def test_a_missing_cluster_names_the_command_and_creates_nothing(
    empty: FakeDO, api: AppsAPI, repo_copy: RepoPaths, secrets_env: dict[str, str]
) -> None:
    empty.clusters = [c for c in empty.clusters if c["name"] != "superset-cache"]
    with pytest.raises(DeployError) as err:
        create(prod(repo_copy, secrets_env), api, waiter=instant())
    text = str(err.value)
    assert "no valkey cluster named 'superset-cache'" in text
    assert "doctl databases create superset-cache --engine valkey --region fra1" in text
    assert "nothing was created" in text and err.value.exit_code == 1
    assert not empty.posts("/v2/apps") and not empty.posts("/v2/apps/propose")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"status": "creating"}, "is creating, not online"),
        ({"engine": "mysql"}, "runs mysql, the spec attaches it as pg"),
        ({"db_names": ["defaultdb"]}, "doctl databases db create"),
        ({"users": [{"name": "doadmin"}]}, "doctl databases user create"),
        ({"private_network_uuid": "0" * 8 + "-0000-4000-8000-" + "0" * 12}, "lives in VPC"),
    ],
)
def test_a_cluster_that_is_not_ready_is_refused(
    empty: FakeDO,
    api: AppsAPI,
    repo_copy: RepoPaths,
    secrets_env: dict[str, str],
    change: dict[str, Any],
    expected: str,
) -> None:
    empty.clusters[0].update(change)
    spec: dict[str, Any] = {
        "region": "fra",
        "vpc": {"id": VPC},
        "databases": [
            {
                "name": "metadata",
                "engine": "PG",
                "cluster_name": "superset-metadata",
                "db_name": "superset",
                "db_user": "superset",
            },
        ],
    }
    if "private_network_uuid" not in change:
        empty.clusters[0]["private_network_uuid"] = VPC
    (check,) = check_clusters(spec, api)
    assert check.problem and expected in check.problem


def test_an_existing_app_is_refused_with_the_command_to_use(
    empty: FakeDO, api: AppsAPI, repo_copy: RepoPaths, secrets_env: dict[str, str]
) -> None:
    from supersetctl.yamlio import load_document

    empty.add_app({**load_document(repo_copy.app_spec).data, "name": "superset-prod"})
    with pytest.raises(UsageError) as err:
        create(prod(repo_copy, secrets_env), api, waiter=instant())
    assert "exists already" in str(err.value) and "supersetctl deploy --env prod" in str(err.value)
    assert err.value.exit_code == 2
    assert not [c for c in empty.calls if c.method == "POST"]


@pytest.mark.parametrize("unset", ["SUPERSET_SECRET_KEY", "SUPERSET_ADMIN_PASSWORD"])
def test_every_secret_must_be_set_before_anything_is_sent(
    empty: FakeDO, api: AppsAPI, repo_copy: RepoPaths, secrets_env: dict[str, str], unset: str
) -> None:
    del secrets_env[unset]
    with pytest.raises(ConfigError) as err:
        create(prod(repo_copy, secrets_env), api, waiter=instant())
    assert unset in str(err.value) and err.value.exit_code == 2
    assert not empty.calls


def test_a_failed_first_deployment_says_how_to_retry(
    empty: FakeDO, api: AppsAPI, repo_copy: RepoPaths, secrets_env: dict[str, str]
) -> None:
    empty.scripts = [ERROR_PHASES]
    result = create(prod(repo_copy, secrets_env), api, waiter=instant())
    assert not result.ok and result.phase == "ERROR"
    assert "health check failed" in str(result.reason)
    assert "doctl apps delete" in str(result.next_step) and "--create" in str(result.next_step)
    assert not empty.puts()  # nothing to roll back to, nothing removed


def test_an_admin_that_cannot_log_in_stops_before_provisioning(
    empty: FakeDO, api: AppsAPI, repo_copy: RepoPaths, secrets_env: dict[str, str]
) -> None:
    def refused(url: str, user: str, password: str) -> None:
        raise SupersetAPIError("login as 'ops-admin' failed: HTTP 401")

    called: list[str] = []
    result = create(
        prod(repo_copy, secrets_env),
        api,
        login=refused,
        provision=lambda url: called.append(url) or {},
        waiter=instant(),
    )
    assert not result.ok and "cannot log in" in str(result.reason)
    assert "keeps its own password" in str(result.next_step)
    assert not called and not result.admin_job_removed


def test_failed_provisioning_is_reported_with_the_next_step(
    empty: FakeDO, api: AppsAPI, repo_copy: RepoPaths, secrets_env: dict[str, str]
) -> None:
    empty.superset_users = {"ops-admin": secrets_env["SUPERSET_ADMIN_PASSWORD"]}

    def failing(url: str) -> dict[str, Any]:
        raise ConfigError("ODOO_RO_PASSWORD is not set")

    result = create(prod(repo_copy, secrets_env), api, provision=failing, waiter=instant())
    assert result.verified and result.admin_job_removed and not result.ok
    assert "provisioning failed" in str(result.reason)
    assert "supersetctl apply --env prod" in str(result.next_step)


def test_registry_credentials_come_from_the_environment(
    empty: FakeDO, api: AppsAPI, repo_copy: RepoPaths, secrets_env: dict[str, str]
) -> None:
    text = repo_copy.app_spec.read_text()
    repo_copy.app_spec.write_text(
        text.replace(
            "      repository: superset\n",
            "      repository: superset\n      registry_credentials: ${GHCR_CREDENTIALS}\n",
        )
    )
    with pytest.raises(ConfigError) as err:
        create(prod(repo_copy, secrets_env), api, waiter=instant())
    assert "GHCR_CREDENTIALS" in str(err.value) and "USERNAME:TOKEN" in str(err.value)
    creds = "deploy-bot:" + secrets.token_hex(20)
    empty.superset_users = {"ops-admin": secrets_env["SUPERSET_ADMIN_PASSWORD"]}
    result = create(
        prod(repo_copy, {**secrets_env, "GHCR_CREDENTIALS": creds}), api, waiter=instant()
    )
    assert result.ok, result.reason
    (created,) = [c for c in empty.calls if c.method == "POST" and c.path == "/v2/apps"]
    assert created.body["spec"]["services"][0]["image"]["registry_credentials"] == creds
    # the next deploys carry the encrypted value App Platform holds
    (cleanup,) = empty.puts()
    assert cleanup.body["spec"]["services"][0]["image"]["registry_credentials"].startswith("EV[")


def test_cli_create(
    empty: FakeDO,
    httpserver: HTTPServer,
    token: str,
    repo_copy: RepoPaths,
    secrets_env: dict[str, str],
    run_cli,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo = ["--repo", str(repo_copy.root)]
    monkeypatch.setenv("DIGITALOCEAN_TOKEN", token)
    monkeypatch.setenv("SUPERSETCTL_DO_API_URL", httpserver.url_for("/").rstrip("/"))
    for key, value in secrets_env.items():
        monkeypatch.setenv(key, value)
    empty.superset_users = {"ops-admin": secrets_env["SUPERSET_ADMIN_PASSWORD"]}
    args = ["deploy", "--env", "prod", "--create", "--no-provision", "--poll-interval", "0"]
    ok = run_cli([*repo, "--format", "json", *args])
    assert ok.exit_code == 0, ok.stderr
    data = json.loads(ok.stdout)
    assert data["ok"] and data["admin_login"] and data["admin_job_removed"]
    assert data["provisioned"] is None
    assert "superset-metadata (pg): online" in ok.stderr and "ACTIVE" in ok.stderr
    for value in (
        token,
        secrets_env["SUPERSET_ADMIN_PASSWORD"],
        secrets_env["SUPERSET_SECRET_KEY"],
    ):
        assert value not in ok.stdout + ok.stderr
    again = run_cli([*repo, *args])
    assert again.exit_code == 2 and "exists already" in again.stderr
    monkeypatch.delenv("SUPERSET_SECRET_KEY")
    empty.apps.clear()
    unset = run_cli([*repo, *args])
    assert unset.exit_code == 2 and "SUPERSET_SECRET_KEY" in unset.stderr


def test_plain_deploy_fills_registry_credentials_from_the_environment_or_the_app() -> None:
    from supersetctl.deploy.spec import carry_secrets

    def spec(value: str) -> dict[str, Any]:
        image = {"registry_type": "GHCR", "repository": "superset", "registry_credentials": value}
        return {"services": [{"name": "web", "image": image}]}

    encrypted = "EV[1:" + secrets.token_hex(4) + ":" + secrets.token_hex(8) + "]"
    fresh = "deploy-bot:" + secrets.token_hex(20)
    new = spec("${GHCR_CREDENTIALS}")
    carry_secrets(new, spec(encrypted), {})
    assert new["services"][0]["image"]["registry_credentials"] == encrypted
    new = spec("${GHCR_CREDENTIALS}")
    carry_secrets(new, spec(encrypted), {"GHCR_CREDENTIALS": fresh})  # a rotated token wins
    assert new["services"][0]["image"]["registry_credentials"] == fresh
    with pytest.raises(ConfigError) as err:
        carry_secrets(spec("${GHCR_CREDENTIALS}"), None, {})
    assert "export GHCR_CREDENTIALS=USERNAME:TOKEN" in str(err.value)


def test_cli_create_refuses_no_wait(
    repo_copy: RepoPaths,
    run_cli,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
    token: str,
) -> None:
    monkeypatch.setenv("DIGITALOCEAN_TOKEN", token)
    result = run_cli(
        ["--repo", str(repo_copy.root), "deploy", "--env", "prod", "--create", "--no-wait"]
    )
    assert result.exit_code == 2 and "drop --no-wait" in result.stderr
