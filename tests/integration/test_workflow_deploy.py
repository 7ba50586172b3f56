"""superset-deploy.yml, the promotion of main, run step by step (tests/support/workflows.py):
staging, then prod, each against a real Odoo-shaped PostgreSQL database (`db apply`, and the
strict gate's `db verify` before prod's `apply`), the fake DigitalOcean API (`deploy`) and the
real Superset 6.1.0 (`apply` of the starter dashboards, `health`).

The repo is the real one in the state a merged bump leaves it in (image pinned, the VPC id in
the spec). Its configs name DigitalOcean hosts; the test points the commands at the local
servers the way an operator would reach them through a tunnel: ``SUPERSETCTL_VAR_*``
overrides of the derived variables (``ODOO_DB_HOST``, ``ODOO_DB_PORT``, ``ODOO_DB_SSLMODE``
and ``SUPERSET_URL``), which every command honours.
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
from pytest_httpserver import HTTPServer

from supersetctl.db.seed import seed_database
from supersetctl.local.postgres import PostgresInfo
from supersetctl.paths import RepoPaths
from supersetctl.provision.layout import load_layout
from supersetctl.provision.live import list_live
from supersetctl.superset import Credentials, SupersetClient
from supersetctl.yamlio import load_document, roundtrip_dump, roundtrip_load
from tests.support.fake_alerts import FakeSlack, FakeWebhook
from tests.support.fake_do import FakeDO
from tests.support.superset import SupersetInfo
from tests.support.workflows import JobRun, run_job
from tests.unit.deploy.test_deploy import pin

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DATABASES = {"staging": "odoo_staging", "prod": "odoo"}
OLD = "sha256:" + "0" * 64
NEW = "sha256:" + "1" * 64
VPC = "5a4b9c3e-2f1d-4e6a-9b8c-7d6e5f4a3b2c"


@dataclass
class Promotion:
    repo: RepoPaths
    fake: FakeDO
    secrets: dict[str, dict[str, str]]  # GitHub environment -> its secrets
    overrides: dict[str, str]

    def run(self, job: str) -> JobRun:
        env = "production" if job == "prod" else job
        return run_job(
            "superset-deploy.yml",
            job,
            self.repo.root,
            secrets=self.secrets[env],
            github={
                "repository": "insightpulseai/superset",
                "server_url": "https://github.com",
                "run_id": "1",
            },
            extra_env=self.overrides,
        )


def _roles(pg: PostgresInfo) -> list[str]:
    with psycopg.connect(pg.conninfo(), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT rolname FROM pg_roles WHERE rolname IN ('superset_ro', 'analytics_owner')"
        ).fetchall()
    return [str(r[0]) for r in rows]


@pytest.fixture
def odoo_databases(pg: PostgresInfo) -> Iterator[None]:
    if _roles(pg) or any(_exists(pg, db) for db in DATABASES.values()):
        pytest.fail("the test cluster already holds the promotion's roles or databases")
    with psycopg.connect(pg.conninfo(), autocommit=True) as conn:
        for db in DATABASES.values():
            conn.execute(f"CREATE DATABASE {db}")
    for db in DATABASES.values():
        seed_database(pg.conninfo(db), odoo_version=17, scale=1)
    yield
    with psycopg.connect(pg.conninfo(), autocommit=True) as conn:
        for db in DATABASES.values():
            conn.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        for role in ("superset_ro", "analytics_owner"):
            conn.execute(f"DROP ROLE IF EXISTS {role}")


def _exists(pg: PostgresInfo, db: str) -> bool:
    with psycopg.connect(pg.conninfo(), autocommit=True) as conn:
        return (
            conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (db,)).fetchone()
            is not None
        )


def _apps(fake: FakeDO, repo: RepoPaths) -> None:
    """Both apps exist and run the previous image (what App Platform holds before the merge)."""
    base = load_document(repo.app_spec).data
    for i, env in enumerate(("staging", "prod")):
        spec = copy.deepcopy(base)
        spec["name"] = f"superset-{env}"
        for kind in ("services", "workers", "jobs"):
            for comp in spec.get(kind, []):
                comp["image"]["digest"] = OLD
        fake.add_app(spec, app_id=f"4f6c71e2-1e90-4762-9fee-6cc4a0a9f2c{i}")


@pytest.fixture
def promotion(
    repo_copy: RepoPaths,
    pg: PostgresInfo,
    superset: SupersetInfo,
    httpserver: HTTPServer,
    odoo_databases: None,
) -> Iterator[Promotion]:
    node = roundtrip_load(repo_copy.app_spec.read_text())
    node.insert(2, "vpc", {"id": VPC})
    repo_copy.app_spec.write_text(roundtrip_dump(node))
    pin(repo_copy, "6.1.0-2", NEW)  # the merged bump
    token = "dop_v1_" + secrets.token_hex(32)
    fake = FakeDO(httpserver, token)
    _apps(fake, repo_copy)
    ro = secrets.token_urlsafe(16)
    common = {
        "DIGITALOCEAN_TOKEN": token,
        "SUPERSET_ADMIN_USERNAME": superset.admin_username,
        "SUPERSET_ADMIN_PASSWORD": superset.admin_password,
        "ODOO_RO_PASSWORD": ro,
    }
    per_env = {
        gh_env: {**common, "ODOO_ADMIN_DATABASE_URL": pg.dsn(DATABASES[env])}
        for gh_env, env in (("staging", "staging"), ("production", "prod"))
    }
    overrides = {
        "SUPERSETCTL_DO_API_URL": fake.server.url_for("/").rstrip("/"),
        "SUPERSETCTL_VAR_ODOO_DB_HOST": pg.host,
        "SUPERSETCTL_VAR_ODOO_DB_PORT": str(pg.port),
        "SUPERSETCTL_VAR_ODOO_DB_SSLMODE": "disable",
        "SUPERSETCTL_VAR_SUPERSET_URL": superset.url,
    }
    yield Promotion(repo_copy, fake, per_env, overrides)
    _remove_starter_assets(repo_copy, superset)


def _remove_starter_assets(repo: RepoPaths, superset: SupersetInfo) -> None:
    """The starter dashboards this test applied leave the shared Superset again: their
    database points at the Odoo databases the fixture drops, and a later health check would
    find it broken."""
    uuids = {a.uuid for a in load_layout(repo.provisioning)}
    creds = Credentials(superset.admin_username, superset.admin_password)
    with SupersetClient(superset.url, creds) as client:
        live = list_live(client)
        for kind in ("dashboard", "chart", "dataset", "database"):
            ids = [a.id for a in live.assets.values() if a.kind == kind and a.uuid in uuids]
            client.delete_many(kind, ids)


def _failures(run: JobRun) -> list[tuple[str, int, str]]:
    return [(s.name, s.rc, s.output[-3000:]) for s in run.steps if s.rc]


def _deployed_digests(fake: FakeDO) -> dict[str, str]:
    out = {}
    for app in fake.apps.values():
        spec = app["active_deployment"]["spec"]
        out[spec["name"]] = spec["services"][0]["image"].get("digest", "")
    return out


def test_main_reaches_staging_then_prod(promotion: Promotion) -> None:
    staging = promotion.run("staging")
    assert staging.ok, _failures(staging)
    assert _deployed_digests(promotion.fake) == {"superset-staging": NEW, "superset-prod": OLD}
    assert staging.step("Alert").skipped

    prod = promotion.run("prod")
    assert prod.ok, _failures(prod)
    assert _deployed_digests(promotion.fake) == {"superset-staging": NEW, "superset-prod": NEW}
    applied = prod.step("supersetctl apply --env prod").output
    assert "Traceback" not in applied
    for env, run in (("staging", staging), ("prod", prod)):  # the dashboards answer, as merged
        assert run.step(f"supersetctl check --env {env}").rc == 0
        assert f"<!-- supersetctl-check:{env} -->" in run.summary, run.summary[:500]
    for run in (staging, prod):
        for step in run.steps:
            for name, value in promotion.secrets["production"].items():
                assert name.endswith("USERNAME") or value not in step.output, name


@pytest.fixture
def alerts() -> Iterator[tuple[FakeSlack, FakeWebhook]]:
    """Slack and the JSON webhook on a server of their own (the fake DigitalOcean API answers
    every path of the other)."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    try:
        yield FakeSlack(server), FakeWebhook(server)
    finally:
        server.clear()
        server.stop()


def test_a_failed_step_stops_the_promotion_and_alerts(
    promotion: Promotion, alerts: tuple[FakeSlack, FakeWebhook]
) -> None:
    slack, hook = alerts
    wrong = secrets.token_urlsafe(12)
    promotion.secrets["staging"].update(
        SUPERSET_ADMIN_PASSWORD=wrong, SLACK_WEBHOOK_URL=slack.url, ALERT_WEBHOOK_URL=hook.url
    )
    run = promotion.run("staging")
    assert not run.ok
    failed = [s.name for s in run.steps if s.rc and not s.skipped]
    assert failed == ["supersetctl apply --env staging"], _failures(run)
    assert run.step("supersetctl health").skipped
    assert run.step("supersetctl check").skipped
    assert run.step("Alert").rc == 0
    [message] = hook.received
    assert message["status"] == "failed" and message["environment"] == "staging"
    assert message["link"] == "https://github.com/insightpulseai/superset/actions/runs/1"
    assert len(slack.received) == 1
    assert wrong not in str(slack.received) + str(hook.received)


def test_prod_needs_staging_and_the_production_environment() -> None:
    from tests.support.workflows import load_workflow

    wf = load_workflow("superset-deploy.yml")
    assert wf["jobs"]["prod"]["needs"] == "staging"
    assert wf["jobs"]["prod"]["environment"].startswith("production")
    assert wf["jobs"]["staging"]["environment"] == "staging"
    assert wf["concurrency"]["cancel-in-progress"] is False
