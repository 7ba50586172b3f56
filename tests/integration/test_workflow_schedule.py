"""The scheduled workflows, run step by step (tests/support/workflows.py) against the real
pieces: superset-drift.yml and superset-health.yml against the session Superset,
superset-backup.yml against its PostgreSQL metadata database and moto's S3 server, every alert
to a fake Slack and a fake JSON webhook (tests/support/fake_alerts.py).

Each alert is sent once per change of state, carries what changed, and holds no secret.
"""

from __future__ import annotations

import json
import os
import secrets
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from supersetctl.ops import storage
from supersetctl.pg import parse_url
from supersetctl.provision import apply_env
from supersetctl.provision.live import read_live
from supersetctl.superset import SupersetClient
from tests.support.fake_alerts import FakeSlack, FakeWebhook
from tests.support.provision import ProvRepo
from tests.support.superset import SupersetInfo
from tests.support.workflows import JobRun, run_job

pytestmark = pytest.mark.integration

GITHUB = {"server_url": "https://github.com", "repository": "insightpulseai/superset",
          "run_id": "4242"}  # fmt: skip
RUN_URL = "https://github.com/insightpulseai/superset/actions/runs/4242"


def _environments(repo: ProvRepo, url: str | None = None) -> None:
    """config/staging and config/prod: the fixture's dev config under those names (and, when
    given, another Superset URL)."""
    dev = repo.paths.env_config("dev").read_text()
    for env in ("staging", "prod"):
        folder = repo.paths.root / "config" / env
        folder.mkdir(parents=True, exist_ok=True)
        text = dev.replace("environment: dev", f"environment: {env}")
        text = text.replace("superset-dev", f"superset-{env}")
        if url is not None:
            text = "\n".join(
                f"  url: {url}" if line.startswith("  url: ") else line
                for line in text.splitlines()
            )
        (folder / "environment.yaml").write_text(text + "\n")


@pytest.fixture
def targets(httpserver: HTTPServer) -> tuple[FakeSlack, FakeWebhook]:
    return FakeSlack(httpserver), FakeWebhook(httpserver)


def _alert_secrets(slack: FakeSlack, hook: FakeWebhook) -> dict[str, str]:
    return {"SLACK_WEBHOOK_URL": slack.url, "ALERT_WEBHOOK_URL": hook.url}


def _fails(run: JobRun) -> str:
    return "\n".join(f"{s.name}: rc {s.rc}\n{s.output[-3000:]}" for s in run.steps)


def _no_secret_in(payloads: list[Any], *values: str) -> None:
    raw = json.dumps(payloads)
    for value in values:
        assert value not in raw


# ------------------------------------------------------------------------------ drift


def _drift(
    repo: ProvRepo, superset: SupersetInfo, alerts: dict[str, str], password: str = ""
) -> JobRun:
    return run_job(
        "superset-drift.yml",
        "drift",
        repo.paths.root,
        matrix={"env": "prod"},
        secrets={
            "SUPERSET_READER_USERNAME": superset.admin_username,
            "SUPERSET_READER_PASSWORD": password or superset.admin_password,
            "ODOO_RO_PASSWORD": os.environ["ODOO_RO_PASSWORD"],
            **alerts,
        },
        github=GITHUB,
    )


def test_drift_alerts_once_when_it_starts_and_once_when_it_is_gone(
    prov_repo: ProvRepo,
    superset: SupersetInfo,
    ss_client: SupersetClient,
    targets: tuple[FakeSlack, FakeWebhook],
) -> None:
    slack, hook = targets
    alerts = _alert_secrets(slack, hook)
    _environments(prov_repo)
    apply_env(prov_repo.env(), ss_client)  # dev's config: the same Superset as prod here
    baseline = _drift(prov_repo, superset, alerts)  # the shared instance may hold others' drift
    assert baseline.ok, _fails(baseline)
    assert "supersetctl drift: prod" in baseline.summary
    before = len(hook.received)
    assert len(slack.received) == before

    chart = read_live(ss_client).assets[prov_repo.uid("chart3")]
    ss_client.update("chart", chart.id, {"slice_name": "Edited in the UI"})
    edited = _drift(prov_repo, superset, alerts)
    assert edited.ok, _fails(edited)  # drift is the alert's news, not a failed job
    assert len(hook.received) == before + 1 and len(slack.received) == before + 1
    payload = hook.received[-1]
    assert payload["version"] == 1 and payload["event"] == "drift"
    assert payload["kind"] in ("drift", "drift-changed") and payload["status"] == "warning"
    assert payload["environment"] == "prod" and payload["link"] == RUN_URL
    changed = [c for c in payload["details"]["changes"] if c["uuid"] == chart.uuid]
    assert changed == [{"action": "update", "kind": "chart", "name": "Chart 3",
                        "file": changed[0]["file"], "uuid": chart.uuid}]  # fmt: skip
    assert "update chart Chart 3" in slack.received[-1]["blocks"][0]["text"]["text"]
    assert "`slice_name`" in edited.summary  # the field diff is in the job summary

    again = _drift(prov_repo, superset, alerts)
    assert again.ok and len(hook.received) == before + 1  # the same drift: no second alert

    apply_env(prov_repo.env(), ss_client)
    back = _drift(prov_repo, superset, alerts)
    assert back.ok, _fails(back)
    assert len(hook.received) == before + 2
    assert hook.received[-1]["kind"] == ("drift-cleared" if before == 0 else "drift-changed")
    _no_secret_in(hook.received + slack.received, superset.admin_password,
                  os.environ["ODOO_RO_PASSWORD"], slack.path, hook.path)  # fmt: skip


def test_a_drift_check_that_cannot_run_fails_and_says_so(
    prov_repo: ProvRepo, superset: SupersetInfo, targets: tuple[FakeSlack, FakeWebhook]
) -> None:
    slack, hook = targets
    _environments(prov_repo)
    wrong = secrets.token_urlsafe(12)
    run = _drift(prov_repo, superset, _alert_secrets(slack, hook), password=wrong)
    assert not run.ok
    assert run.step("supersetctl drift").rc != 0
    assert run.step("Tell the alert targets").rc == 0
    [payload] = hook.received
    assert (payload["event"], payload["status"]) == ("drift", "failed")
    assert "scheduled drift check failed" in payload["title"]
    assert ":red_circle:" in slack.received[0]["text"]
    _no_secret_in(hook.received + slack.received, wrong, slack.path, hook.path)
    assert wrong not in run.step("supersetctl drift").output


# ------------------------------------------------------------------------------ health


def _health(repo: ProvRepo, superset: SupersetInfo, alerts: dict[str, str]) -> JobRun:
    return run_job(
        "superset-health.yml",
        "health",
        repo.paths.root,
        secrets={
            "SUPERSET_READER_USERNAME": superset.admin_username,
            "SUPERSET_READER_PASSWORD": superset.admin_password,
            **alerts,
        },
        github=GITHUB,
    )


def test_health_alerts_down_and_recovered_to_both_targets(
    prov_repo: ProvRepo, superset: SupersetInfo, targets: tuple[FakeSlack, FakeWebhook]
) -> None:
    slack, hook = targets
    alerts = _alert_secrets(slack, hook)
    _environments(prov_repo)
    first = _health(prov_repo, superset, alerts)
    assert first.ok, _fails(first)
    assert "### Superset prod: UP" in first.summary and "| login | ok |" in first.summary
    assert hook.received == [] and slack.received == []  # first run, all well: silent

    from supersetctl.local.postgres import free_port

    _environments(prov_repo, url=f"http://127.0.0.1:{free_port()}")  # nothing listens there
    down = _health(prov_repo, superset, alerts)
    assert down.ok, _fails(down)  # the alert reports it; the job stays green
    assert "### Superset prod: DOWN" in down.summary
    assert [p["kind"] for p in hook.received] == ["down"]
    assert hook.received[0]["details"]["state"] == "down"
    assert "is DOWN" in slack.received[0]["text"]

    _environments(prov_repo)
    back = _health(prov_repo, superset, alerts)
    assert back.ok, _fails(back)
    assert [p["kind"] for p in hook.received] == ["down", "recovered"]
    assert hook.received[1]["status"] == "ok" and len(slack.received) == 2
    _no_secret_in(hook.received + slack.received, superset.admin_password, slack.path, hook.path)


def test_health_fails_the_job_when_no_target_takes_the_alert(
    prov_repo: ProvRepo, superset: SupersetInfo, targets: tuple[FakeSlack, FakeWebhook]
) -> None:
    slack, hook = targets
    hook.refuse(404)
    from supersetctl.local.postgres import free_port

    _environments(prov_repo, url=f"http://127.0.0.1:{free_port()}")
    run = _health(prov_repo, superset, {"ALERT_WEBHOOK_URL": hook.url})
    assert not run.ok
    step = run.step("supersetctl health")
    assert step.rc == 1 and "the alert webhook refused the alert: HTTP 404" in step.output
    assert hook.path not in step.output
    assert not (prov_repo.paths.root / ".health-state" / "prod.json").exists()  # retried next run
    assert slack.received == []


# ------------------------------------------------------------------------------ backups


def _metadata_url(superset: SupersetInfo) -> str:
    info = parse_url(superset.metadata_conninfo)
    return (f"postgresql://{info['user']}:{info['password']}@{info['host']}:{info['port']}/"
            f"{info['dbname']}?sslmode=disable")  # fmt: skip


def test_backup_then_verify_the_newest_archive(
    prov_repo: ProvRepo,
    superset: SupersetInfo,
    s3_endpoint: str,
    targets: tuple[FakeSlack, FakeWebhook],
) -> None:
    slack, hook = targets
    _environments(prov_repo)
    spaces = {"SPACES_ACCESS_KEY_ID": "test" + secrets.token_hex(4),
              "SPACES_SECRET_ACCESS_KEY": "sk_" + secrets.token_hex(16)}  # fmt: skip
    bucket = "backups-" + secrets.token_hex(4)
    s3 = storage.s3_client({"AWS_ACCESS_KEY_ID": spaces["SPACES_ACCESS_KEY_ID"],
                            "AWS_SECRET_ACCESS_KEY": spaces["SPACES_SECRET_ACCESS_KEY"],
                            "S3_ENDPOINT_URL": s3_endpoint})  # fmt: skip
    s3.create_bucket(Bucket=bucket)
    variables = {"BACKUP_URL": f"s3://{bucket}/superset/prod", "S3_ENDPOINT_URL": s3_endpoint,
                 "S3_REGION": "us-east-1"}  # fmt: skip
    job_secrets = {
        "SUPERSET_METADATA_DB_URL": _metadata_url(superset),
        "SUPERSET_READER_USERNAME": superset.admin_username,
        "SUPERSET_READER_PASSWORD": superset.admin_password,
        **spaces,
        **_alert_secrets(slack, hook),
    }
    nightly = {**GITHUB, "event": {"schedule": "23 2 * * *"}}
    weekly = {**GITHUB, "event": {"schedule": "47 3 * * 0"}}
    root = prov_repo.paths.root

    assert run_job("superset-backup.yml", "verify", root, github=nightly).steps == []
    backup = run_job("superset-backup.yml", "backup", root, secrets=job_secrets,
                     variables=variables, github=nightly)  # fmt: skip
    assert backup.ok, _fails(backup)
    keys = storage.list_keys(s3, storage.S3Location.parse(variables["BACKUP_URL"]))
    archives = [k for k in keys if k.endswith(".tar")]
    assert len(archives) == 1 and archives[0].startswith("superset/prod/superset-prod-")
    assert run_job("superset-backup.yml", "backup", root, github=weekly).steps == []

    verify = run_job("superset-backup.yml", "verify", root, secrets=job_secrets,
                     variables=variables, github=weekly)  # fmt: skip
    assert verify.ok, _fails(verify)
    out = verify.step("supersetctl backup verify").output
    assert archives[0].rsplit("/", 1)[-1] in out and "verified" in out
    assert hook.received == [] and slack.received == []

    wrong = "pw_" + secrets.token_hex(8)
    info = parse_url(superset.metadata_conninfo)
    broken = {**job_secrets, "SUPERSET_METADATA_DB_URL": _metadata_url(superset).replace(
        f":{info['password']}@", f":{wrong}@")}  # fmt: skip
    failed = run_job("superset-backup.yml", "backup", root, secrets=broken,
                     variables=variables, github=nightly)  # fmt: skip
    assert not failed.ok
    assert [(p["event"], p["status"]) for p in hook.received] == [("backup", "failed")]
    assert hook.received[0]["link"] == RUN_URL and len(slack.received) == 1
    for run in (backup, verify, failed):
        for step in run.steps:
            for value in (superset.admin_password, spaces["SPACES_SECRET_ACCESS_KEY"], wrong):
                assert value not in step.output
