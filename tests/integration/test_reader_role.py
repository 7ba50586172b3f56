"""The reader role of docs/operations.md, for real: `supersetctl reader` makes the role and a
user through Superset's security API; that user (exactly ``READER_PERMISSIONS``) runs the
drift and health workflows, sees what the admin sees, exports the assets, and cannot apply.
A name the admin holds is refused. The role and the user are removed afterwards.
"""

from __future__ import annotations

import io
import os
import secrets
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from pytest_httpserver import HTTPServer

from supersetctl.errors import SupersetAPIError
from supersetctl.ops.reader import READER_PERMISSIONS, READER_ROLE
from supersetctl.pg import dsn, parse_url
from supersetctl.provision import apply_env
from supersetctl.provision.live import read_live
from supersetctl.superset import Credentials, SupersetClient
from tests.support.fake_alerts import FakeWebhook
from tests.support.provision import ProvRepo
from tests.support.superset import SupersetInfo
from tests.support.workflows import JobRun, run_job

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Reader:
    username: str
    password: str


def _prod_config(repo: ProvRepo) -> None:
    dev = repo.paths.env_config("dev").read_text()
    folder = repo.paths.root / "config" / "prod"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "environment.yaml").write_text(dev.replace("environment: dev", "environment: prod"))


def _forget(superset: SupersetInfo, username: str) -> None:
    """Remove the user and the role (and the rows that point at them) from the metadata."""
    with psycopg.connect(dsn(parse_url(superset.metadata_conninfo)), autocommit=True) as conn:
        row = conn.execute("SELECT id FROM ab_user WHERE username = %s", (username,)).fetchone()
        if row is not None:
            for statement in (
                "DELETE FROM ab_user_role WHERE user_id = %s",
                "UPDATE logs SET user_id = NULL WHERE user_id = %s",
                "DELETE FROM query WHERE user_id = %s",
                "DELETE FROM ab_user WHERE id = %s",
            ):
                conn.execute(statement, (row[0],))  # type: ignore[arg-type]
        role = "(SELECT id FROM ab_role WHERE name = %s)"
        conn.execute(f"DELETE FROM ab_permission_view_role WHERE role_id IN {role}", (READER_ROLE,))  # type: ignore[arg-type]
        conn.execute(f"DELETE FROM ab_user_role WHERE role_id IN {role}", (READER_ROLE,))  # type: ignore[arg-type]
        conn.execute("DELETE FROM ab_role WHERE name = %s", (READER_ROLE,))


@pytest.fixture
def reader(
    prov_repo: ProvRepo, superset: SupersetInfo, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Reader]:
    """`supersetctl reader --env prod`: the role and a user, through the security API."""
    _prod_config(prov_repo)
    username, password = f"reader-{secrets.token_hex(3)}", secrets.token_urlsafe(18)
    monkeypatch.setenv("SUPERSET_READER_PASSWORD", password)
    args = ["--repo", str(prov_repo.paths.root), "reader", "--env", "prod", "--username", username]
    try:
        made = run_cli(args)
        assert made.exit_code == 0, made.stdout + made.stderr
        assert f"{len(READER_PERMISSIONS)} permissions" in made.stdout
        assert f"user {username}: created" in made.stdout and password not in made.stdout
        again = run_cli(args)  # idempotent: the permissions set again, the user left alone
        assert again.exit_code == 0 and f"user {username}: holds it" in again.stdout
        yield Reader(username, password)
    finally:
        _forget(superset, username)


def _job(repo: ProvRepo, workflow: str, job: str, who: Reader, hook: str) -> JobRun:
    return run_job(
        workflow,
        job,
        repo.paths.root,
        matrix={"env": "prod"},
        secrets={
            "SUPERSET_READER_USERNAME": who.username,
            "SUPERSET_READER_PASSWORD": who.password,
            "ODOO_RO_PASSWORD": os.environ["ODOO_RO_PASSWORD"],
            "ALERT_WEBHOOK_URL": hook,
        },
    )


def test_the_reader_role_drifts_and_checks_health_but_cannot_apply(
    prov_repo: ProvRepo,
    superset: SupersetInfo,
    ss_client: SupersetClient,
    reader: Reader,
    httpserver: HTTPServer,
) -> None:
    hook = FakeWebhook(httpserver)
    apply_env(prov_repo.env(), ss_client)
    chart = read_live(ss_client).assets[prov_repo.uid("chart3")]
    ss_client.update("chart", chart.id, {"slice_name": "Edited in the UI"})
    admin = Reader(superset.admin_username, superset.admin_password)

    seen = {}
    for who in (admin, reader):
        run = _job(prov_repo, "superset-drift.yml", "drift", who, hook.url)
        step = run.step("supersetctl drift")
        assert step.rc == 0, step.output[-3000:]
        assert "`slice_name`" in run.summary and "Edited in the UI" in run.summary
        changes = hook.received[-1]["details"]["changes"]
        seen[who.username] = sorted(  # this repo's assets (the session's Superset holds others)
            (c["action"], c["kind"], c["uuid"]) for c in changes if c["action"] != "unmanaged"
        )
        (prov_repo.paths.root / ".drift-state" / "prod.json").unlink()  # alert again next run
    assert ("update", "chart", chart.uuid) in seen[reader.username]
    assert seen[reader.username] == seen[admin.username]  # the reader sees what the admin sees

    health = _job(prov_repo, "superset-health.yml", "health", reader, hook.url)
    assert health.step("supersetctl health").rc == 0, health.step("supersetctl health").output
    assert "### Superset prod: UP" in health.summary
    assert f"logged in as '{reader.username}'" in health.summary
    assert "| database:" in health.summary and "| fail |" not in health.summary

    credentials = Credentials(reader.username, reader.password)
    with SupersetClient(superset.url, credentials) as client:  # the backup's asset export
        exported = client.export_assets()
    names = zipfile.ZipFile(io.BytesIO(exported)).namelist()
    assert any("/charts/" in n for n in names) and any("/dashboards/" in n for n in names)

    with (
        SupersetClient(superset.url, credentials) as client,
        pytest.raises(SupersetAPIError) as refused,
    ):
        apply_env(prov_repo.env(), client)
    assert refused.value.status in (401, 403)
    assert read_live(ss_client).assets[prov_repo.uid("chart3")].name == "Edited in the UI"


def test_reader_refuses_a_user_holding_another_role(
    prov_repo: ProvRepo, superset: SupersetInfo, run_cli: Any
) -> None:
    _prod_config(prov_repo)
    result = run_cli(["--repo", str(prov_repo.paths.root), "reader", "--env", "prod",
                      "--username", superset.admin_username])  # fmt: skip
    assert result.exit_code == 2
    assert "holds other roles too: Admin" in result.stderr
