"""deploy and rollback against an HTTP server speaking DigitalOcean's Apps API."""

from __future__ import annotations

import copy
import json
import secrets
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer

from supersetctl.contract.environment import Environment, load_environment
from supersetctl.deploy import (
    AppsAPI,
    DeployAPIError,
    Progress,
    Waiter,
    carry_secrets,
    deploy,
    rollback,
)
from supersetctl.errors import DeployError
from supersetctl.image.bump import BumpRequest, new_manifest_text, new_spec_text
from supersetctl.paths import RepoPaths
from supersetctl.yamlio import load_document
from tests.support.fake_do import ERROR_PHASES, FakeDO
from tests.support.registry import free_port

OLD = "sha256:" + "0" * 64
NEW = "sha256:" + "1" * 64
OTHER = "sha256:" + "9" * 64
ENCRYPTED = "EV[1:" + secrets.token_hex(8) + ":" + secrets.token_hex(16) + "]"


def prod(paths: RepoPaths) -> Environment:
    return load_environment(paths, "prod", environ={})


def instant() -> Waiter:
    return Waiter(interval=0, timeout=60, sleep=lambda _s: None)


def pin(paths: RepoPaths, tag: str, digest: str) -> None:
    """Put the repo in the state a merged bump leaves it in (no registry needed)."""
    manifest = new_manifest_text(paths.manifest.read_text(), BumpRequest(tag), digest)
    paths.manifest.write_text(manifest)
    spec, _ = new_spec_text(paths.app_spec.read_text(), "insightpulseai/superset", digest)
    paths.app_spec.write_text(spec)


def live_spec(paths: RepoPaths, digest: str) -> dict[str, Any]:
    """What App Platform holds before the deploy: the old digest and an encrypted secret."""
    spec = copy.deepcopy(load_document(paths.app_spec).data)
    for kind in ("services", "workers", "jobs"):
        for comp in spec.get(kind, []):
            comp["image"]["digest"] = digest
    for env in spec.get("envs", []):
        if env.get("type") == "SECRET":
            env["value"] = ENCRYPTED
    return spec


@pytest.fixture
def token() -> str:
    return "dop_v1_" + secrets.token_hex(32)


@pytest.fixture
def fake(httpserver: HTTPServer, token: str, repo_copy: RepoPaths) -> FakeDO:
    do = FakeDO(httpserver, token)
    do.add_app(live_spec(repo_copy, OLD))
    pin(repo_copy, "6.1.0-2", NEW)
    return do


@pytest.fixture
def api(httpserver: HTTPServer, token: str) -> AppsAPI:
    return AppsAPI(token, endpoint=httpserver.url_for("/").rstrip("/"), retries=0)


def test_deploy_success_follows_phases_and_verifies(
    fake: FakeDO, api: AppsAPI, repo_copy: RepoPaths
) -> None:
    events: list[Progress] = []
    result = deploy(prod(repo_copy), api, on_progress=events.append, waiter=instant())
    assert result.ok and result.verified and not result.rolled_back
    assert result.phase == "ACTIVE"
    assert result.digest == NEW
    # propose first, with the app id, then one update
    propose = fake.posts("/v2/apps/propose")
    assert len(propose) == 1 and propose[0].body["app_id"] == fake.app_id
    assert len(fake.puts()) == 1
    sent = fake.puts()[0].body["spec"]
    assert sent["name"] == "superset-prod"
    for kind in ("services", "workers", "jobs"):
        for comp in sent[kind]:
            assert comp["image"]["digest"] == NEW and "tag" not in comp["image"]
    secret = next(e for e in sent["envs"] if e.get("type") == "SECRET")
    assert secret["value"] == ENCRYPTED  # carried over, never blanked
    phases = [e.phase for e in events if e.stage == "phase"]
    assert phases == ["PENDING_BUILD", "BUILDING", "PENDING_DEPLOY", "DEPLOYING", "ACTIVE"]
    assert [e.stage for e in events][:2] == ["propose", "update"]
    assert any(c.path == "/health" for c in fake.calls)


def test_failed_deployment_rolls_back_to_the_previous_spec(
    fake: FakeDO, api: AppsAPI, repo_copy: RepoPaths
) -> None:
    fake.scripts = [ERROR_PHASES]
    before = copy.deepcopy(fake.apps[fake.app_id]["spec"])
    result = deploy(prod(repo_copy), api, waiter=instant())
    assert not result.ok and result.rolled_back
    assert result.phase == "ERROR"
    assert "health check failed" in str(result.reason)
    assert result.rollback_phase == "ACTIVE"
    _first, second = fake.puts()
    assert second.body["spec"] == before  # the previous spec, byte for byte
    assert fake.apps[fake.app_id]["active_deployment"]["id"] == result.rollback_deployment_id


def test_digest_mismatch_after_active_rolls_back(
    fake: FakeDO, api: AppsAPI, repo_copy: RepoPaths
) -> None:
    fake.running_digest = OTHER
    result = deploy(prod(repo_copy), api, waiter=instant())
    assert result.phase == "ACTIVE"
    assert not result.ok and not result.verified
    assert "running image digest differs" in str(result.reason)
    assert result.rolled_back and len(fake.puts()) == 2


def test_unhealthy_app_rolls_back(fake: FakeDO, api: AppsAPI, repo_copy: RepoPaths) -> None:
    fake.health_body = "OK"  # Superset's stock text answer, not the contract's JSON
    result = deploy(prod(repo_copy), api, waiter=instant())
    assert not result.ok and result.rolled_back
    assert "health check failed" in str(result.reason)


def test_health_goes_through_the_given_http_client(
    fake: FakeDO, api: AppsAPI, repo_copy: RepoPaths
) -> None:
    fake.health_body = "OK"  # what the app itself would answer: never asked
    asked: list[str] = []

    def health(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        return httpx.Response(200, json={"status": "OK"})

    http = httpx.Client(transport=httpx.MockTransport(health))
    result = deploy(prod(repo_copy), api, waiter=instant(), http=http)
    assert result.ok and result.verified
    assert asked == [fake.apps[fake.app_id]["live_url"] + "/health"]
    assert not any(c.path == "/health" for c in fake.calls)


def test_no_wait_only_submits(fake: FakeDO, api: AppsAPI, repo_copy: RepoPaths) -> None:
    result = deploy(prod(repo_copy), api, wait=False, waiter=instant())
    assert result.ok and not result.verified
    assert result.deployment_id
    assert not any("/deployments/" in c.path for c in fake.calls)


def test_propose_refusal_changes_nothing(fake: FakeDO, api: AppsAPI, repo_copy: RepoPaths) -> None:
    fake.propose_error = "services.web.instance_size_slug: unknown size"
    with pytest.raises(DeployAPIError, match="unknown size") as info:
        deploy(prod(repo_copy), api, waiter=instant())
    assert info.value.status == 400
    assert fake.puts() == []


def test_bad_token_is_a_clear_error(
    fake: FakeDO, httpserver: HTTPServer, repo_copy: RepoPaths
) -> None:
    wrong = "dop_v1_" + secrets.token_hex(32)
    bad = AppsAPI(wrong, endpoint=httpserver.url_for("/").rstrip("/"), retries=0)
    with pytest.raises(DeployAPIError, match="refused the token") as info:
        deploy(prod(repo_copy), bad, waiter=instant())
    assert info.value.status == 401
    assert wrong not in str(info.value)
    assert fake.puts() == []


def test_server_error_while_following_is_a_deploy_error(
    fake: FakeDO, api: AppsAPI, repo_copy: RepoPaths
) -> None:
    fake.fail_status = {r"GET /v2/apps/[^/]+/deployments/": 500}
    with pytest.raises(DeployAPIError, match="HTTP 500") as info:
        deploy(prod(repo_copy), api, waiter=instant())
    assert info.value.status == 500


def test_missing_app_and_unreleased_manifest(
    fake: FakeDO, api: AppsAPI, repo_copy: RepoPaths
) -> None:
    fake.apps[fake.app_id]["spec"]["name"] = "someone-else"
    with pytest.raises(DeployAPIError, match="no App Platform app named 'superset-prod'"):
        deploy(prod(repo_copy), api, waiter=instant())
    data = json.loads(repo_copy.manifest.read_text())
    data["image"].update(status="unreleased", tag=None, digest=None)
    repo_copy.manifest.write_text(json.dumps(data))
    calls = len(fake.calls)
    with pytest.raises(DeployError, match="nothing to deploy"):
        deploy(prod(repo_copy), api, waiter=instant())
    assert len(fake.calls) == calls  # refused before any API call


def test_spec_not_bumped_is_refused(fake: FakeDO, api: AppsAPI, repo_copy: RepoPaths) -> None:
    text = repo_copy.app_spec.read_text().replace(NEW, OTHER, 1)
    repo_copy.app_spec.write_text(text)
    with pytest.raises(DeployError, match="do not carry the manifest's digest"):
        deploy(prod(repo_copy), api, waiter=instant())
    assert fake.puts() == []


def test_unreachable_api(token: str, repo_copy: RepoPaths) -> None:
    pin(repo_copy, "6.1.0-2", NEW)
    dead = AppsAPI(token, endpoint=f"http://127.0.0.1:{free_port()}", retries=0)
    with pytest.raises(DeployAPIError, match="unreachable"):
        deploy(prod(repo_copy), dead, waiter=instant())


def test_plain_http_to_a_remote_host_is_refused(token: str) -> None:
    with pytest.raises(DeployError, match="plain HTTP"):
        AppsAPI(token, endpoint="http://api.example.com")


def test_rollback_to_the_last_good_deployment(
    fake: FakeDO, api: AppsAPI, repo_copy: RepoPaths
) -> None:
    first = fake.apps[fake.app_id]["active_deployment"]["id"]
    assert deploy(prod(repo_copy), api, waiter=instant()).ok
    result = rollback(prod(repo_copy), api, waiter=instant())
    assert result.target == first
    assert result.ok and result.phase == "ACTIVE"
    (call,) = fake.posts("/rollback")
    assert call.body == {"deployment_id": first, "skip_pin": True}
    running = fake.apps[fake.app_id]["active_deployment"]["spec"]["services"][0]["image"]
    assert running["digest"] == OLD


def test_rollback_to_a_given_deployment_and_unknown_one(
    fake: FakeDO, api: AppsAPI, repo_copy: RepoPaths
) -> None:
    first = fake.apps[fake.app_id]["active_deployment"]["id"]
    result = rollback(prod(repo_copy), api, to=first, pin=True, wait=False, waiter=instant())
    assert result.phase is None and result.ok
    assert fake.posts("/rollback")[0].body == {"deployment_id": first, "skip_pin": False}
    with pytest.raises(DeployAPIError, match="not found"):
        rollback(prod(repo_copy), api, to="nope", waiter=instant())


def test_rollback_without_history(fake: FakeDO, api: AppsAPI, repo_copy: RepoPaths) -> None:
    with pytest.raises(DeployError, match="no earlier successful deployment"):
        rollback(prod(repo_copy), api, waiter=instant())


def test_carry_secrets_reports_unset_ones() -> None:
    new = {"envs": [{"key": "A", "type": "SECRET"}, {"key": "B", "type": "SECRET"}]}
    current = {"envs": [{"key": "A", "type": "SECRET", "value": ENCRYPTED}]}
    assert carry_secrets(new, current) == ["app:B"]
    assert new["envs"][0]["value"] == ENCRYPTED


def test_cli_deploy_and_rollback(
    fake: FakeDO,
    httpserver: HTTPServer,
    token: str,
    repo_copy: RepoPaths,
    run_cli,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo = ["--repo", str(repo_copy.root)]
    missing = run_cli([*repo, "deploy", "--env", "prod"])
    assert missing.exit_code == 1 and "DIGITALOCEAN_TOKEN is not set" in missing.stderr
    monkeypatch.setenv("DIGITALOCEAN_TOKEN", token)
    monkeypatch.setenv("SUPERSETCTL_DO_API_URL", httpserver.url_for("/").rstrip("/"))
    ok = run_cli([*repo, "--format", "json", "deploy", "--env", "prod", "--poll-interval", "0"])
    assert ok.exit_code == 0, ok.stderr
    data = json.loads(ok.stdout)
    assert data["ok"] and data["verified"] and data["digest"] == NEW
    assert "DEPLOYING" in ok.stderr
    assert token not in ok.stdout + ok.stderr
    fake.scripts = [ERROR_PHASES]
    pin(repo_copy, "6.1.0-3", OTHER)
    failed = run_cli([*repo, "deploy", "--env", "prod", "--poll-interval", "0"])
    assert failed.exit_code == 1
    assert "FAILED" in failed.stdout and "rolled back" in failed.stdout
    back = run_cli([*repo, "rollback", "--env", "prod", "--poll-interval", "0"])
    assert back.exit_code == 0, back.stderr
    assert "rolled back" in back.stdout
    bad_env = run_cli([*repo, "deploy", "--env", "qa"])
    assert bad_env.exit_code == 2


def test_render_spec_gives_each_environment_its_own_clusters_and_name(repo_copy: RepoPaths) -> None:
    from supersetctl.contract import load_env_config, load_manifest
    from supersetctl.deploy.spec import render_spec

    pin(repo_copy, "6.1.0-2", NEW)
    manifest = load_manifest(repo_copy)
    staging = render_spec(repo_copy, "staging", load_env_config(repo_copy, "staging"), manifest)
    prod = render_spec(repo_copy, "prod", load_env_config(repo_copy, "prod"), manifest)
    clusters = {d["name"]: d["cluster_name"] for d in staging["databases"]}
    assert clusters == {"metadata": "superset-metadata-staging", "cache": "superset-cache-staging"}
    assert {d["cluster_name"] for d in prod["databases"]} == {"superset-metadata", "superset-cache"}
    assert staging["name"] == "superset-staging" and prod["name"] == "superset-prod"
    env = {e["key"]: e.get("value") for e in staging["envs"]}
    assert env["SUPERSET_ENV"] == "staging"
