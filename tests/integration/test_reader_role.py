"""The reader role of docs/operations.md, for real: a user of the test Superset holding exactly
``READER_PERMISSIONS`` runs the drift and health workflows and sees what the admin sees, and
cannot apply.

The role and the user are written straight into Superset's metadata database (the test
instance runs without ``FAB_ADD_SECURITY_API``), the way Settings → List Roles would store
them, and removed afterwards.
"""

from __future__ import annotations

import io
import os
import secrets
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
from pytest_httpserver import HTTPServer
from werkzeug.security import generate_password_hash

from supersetctl.errors import SupersetAPIError
from supersetctl.ops.reader import READER_PERMISSIONS
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


@pytest.fixture
def reader(superset: SupersetInfo) -> Iterator[Reader]:
    suffix = secrets.token_hex(3)
    role, username, password = f"reader_{suffix}", f"reader_{suffix}", secrets.token_urlsafe(18)
    with psycopg.connect(dsn(parse_url(superset.metadata_conninfo)), autocommit=True) as conn:
        role_id = conn.execute(
            "INSERT INTO ab_role (id, name) VALUES (nextval('ab_role_id_seq'), %s) RETURNING id",
            (role,),
        ).fetchone()[0]  # type: ignore[index]
        for perm, view, _why in READER_PERMISSIONS:
            row = conn.execute(
                "SELECT pv.id FROM ab_permission_view pv"
                " JOIN ab_permission p ON p.id = pv.permission_id"
                " JOIN ab_view_menu v ON v.id = pv.view_menu_id WHERE p.name = %s AND v.name = %s",
                (perm, view),
            ).fetchone()
            assert row is not None, f"Superset has no permission {perm} on {view}"
            conn.execute(
                "INSERT INTO ab_permission_view_role (id, permission_view_id, role_id)"
                " VALUES (nextval('ab_permission_view_role_id_seq'), %s, %s)",
                (row[0], role_id),
            )
        user_id = conn.execute(
            "INSERT INTO ab_user (id, first_name, last_name, username, password, active, email,"
            " created_on, changed_on) VALUES (nextval('ab_user_id_seq'), 'Scheduled', 'Jobs',"
            " %s, %s, true, %s, now(), now()) RETURNING id",
            (username, generate_password_hash(password, "pbkdf2:sha256"),
             f"{username}@example.invalid"),
        ).fetchone()[0]  # type: ignore[index]  # fmt: skip
        conn.execute(
            "INSERT INTO ab_user_role (id, user_id, role_id)"
            " VALUES (nextval('ab_user_role_id_seq'), %s, %s)",
            (user_id, role_id),
        )
        try:
            yield Reader(username, password)
        finally:
            conn.execute("DELETE FROM ab_user_role WHERE user_id = %s", (user_id,))
            conn.execute("UPDATE logs SET user_id = NULL WHERE user_id = %s", (user_id,))
            conn.execute("DELETE FROM query WHERE user_id = %s", (user_id,))
            conn.execute("DELETE FROM ab_user WHERE id = %s", (user_id,))
            conn.execute("DELETE FROM ab_permission_view_role WHERE role_id = %s", (role_id,))
            conn.execute("DELETE FROM ab_role WHERE id = %s", (role_id,))


def _prod_config(repo: ProvRepo) -> None:
    dev = repo.paths.env_config("dev").read_text()
    folder = repo.paths.root / "config" / "prod"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "environment.yaml").write_text(dev.replace("environment: dev", "environment: prod"))


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
    _prod_config(prov_repo)
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
        seen[who.username] = sorted((c["action"], c["kind"], c["uuid"]) for c in changes)
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
