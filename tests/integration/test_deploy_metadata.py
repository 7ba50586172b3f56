"""`deploy` and `rollback` keep the metadata database in step with the version that runs:
a backup before a deployment that migrates, restored before that deployment is rolled back.

App Platform is the fake DigitalOcean API; the metadata database is a real PostgreSQL one
shaped like Superset's (``alembic_version`` and the tables a backup records). The fake
deployment's PRE_DEPLOY job is played by the test: once the deployment exists, it moves the
schema the way ``superset db upgrade`` would (a new revision, a new column).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from pytest_httpserver import HTTPServer

from supersetctl.contract.environment import Environment, load_environment
from supersetctl.deploy import AppsAPI, deploy, rollback
from supersetctl.local.postgres import PostgresInfo
from supersetctl.paths import RepoPaths
from supersetctl.upgrade.platform import PlatformGuard
from tests.support.fake_do import ERROR_PHASES, FakeDO
from tests.unit.deploy.test_deploy import NEW, OLD, instant, live_spec, pin

pytestmark = pytest.mark.integration

OLD_REVISION = "c0ffee000600"
NEW_REVISION = "c0ffee000610"


@pytest.fixture
def metadata(pg: PostgresInfo) -> Iterator[str]:
    """A Superset-shaped metadata database at the old revision; its URL."""
    name = f"meta_{secrets.token_hex(4)}"
    with psycopg.connect(pg.conninfo("postgres"), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    with psycopg.connect(pg.conninfo(name)) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)")
        conn.execute("INSERT INTO alembic_version VALUES (%s)", (OLD_REVISION,))
        for table in ("dashboards", "slices", "tables", "ab_user"):
            conn.execute(f"CREATE TABLE {table} (id serial PRIMARY KEY, name text)")
            conn.execute(f"INSERT INTO {table} (name) VALUES ('one'), ('two')")
    try:
        yield pg.dsn(name)
    finally:
        with psycopg.connect(pg.conninfo("postgres"), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def migrate(url: str) -> None:
    """What the new image's PRE_DEPLOY job does to the schema."""
    with psycopg.connect(url) as conn:
        conn.execute("ALTER TABLE dashboards ADD COLUMN theme_id integer")
        conn.execute("UPDATE alembic_version SET version_num = %s", (NEW_REVISION,))
        conn.execute("INSERT INTO slices (name) VALUES ('made by the new version')")


def state(url: str) -> tuple[str, list[str], int]:
    with psycopg.connect(url) as conn:
        rev = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        cols = conn.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'dashboards' ORDER BY column_name"
        ).fetchall()
        charts = conn.execute("SELECT count(*) FROM slices").fetchone()
    assert rev is not None and charts is not None
    return str(rev[0]), [str(c[0]) for c in cols], int(charts[0])


class MigratingGuard(PlatformGuard):
    """The real guard; the deployment it is told about runs its PRE_DEPLOY job right away."""

    def __init__(self, env: Environment, url: str, backups_to: str | None = None) -> None:
        super().__init__(env, backups_to=backups_to)
        self.url = url
        self.migrated: list[str] = []

    def deployed(self, app_id: str, deployment_id: str) -> None:
        super().deployed(app_id, deployment_id)
        migrate(self.url)
        self.migrated.append(deployment_id)


@pytest.fixture
def setup(
    httpserver: HTTPServer, repo_copy: RepoPaths, metadata: str
) -> tuple[FakeDO, AppsAPI, Environment]:
    token = "dop_v1_" + secrets.token_hex(32)
    fake = FakeDO(httpserver, token)
    fake.add_app(live_spec(repo_copy, OLD))
    pin(repo_copy, "6.1.0-2", NEW)
    api = AppsAPI(token, endpoint=httpserver.url_for("/").rstrip("/"), retries=0)
    env = load_environment(repo_copy, "prod", environ={"SUPERSET_METADATA_DB_URL": metadata})
    return fake, api, env


def test_failed_deployment_restores_the_metadata_before_rolling_back(
    setup: tuple[FakeDO, AppsAPI, Environment], metadata: str
) -> None:
    fake, api, env = setup
    before = state(metadata)
    fake.scripts = [ERROR_PHASES]
    guard = MigratingGuard(env, metadata)
    result = deploy(env, api, waiter=instant(), guard=guard)
    assert not result.ok and result.rolled_back and result.rollback_phase == "ACTIVE"
    assert result.metadata_backup and OLD_REVISION in result.metadata_backup
    assert result.metadata_restored and f"{NEW_REVISION} -> {OLD_REVISION}" in (
        result.metadata_restored
    )
    assert state(metadata) == before  # schema, revision and rows as before the deployment
    record = json.loads(guard.record_file.read_text())["deployments"][-1]
    assert record["deployment_id"] == result.deployment_id == guard.migrated[0]
    assert record["revision"] == OLD_REVISION
    assert str(env.paths.local / "backups" / "prod") in record["archive"]
    # the restore came before the old spec was put back
    assert result.as_dict()["metadata_restored"] == result.metadata_restored


def test_same_image_takes_no_backup(
    setup: tuple[FakeDO, AppsAPI, Environment], metadata: str
) -> None:
    _, api, env = setup
    guard = PlatformGuard(env)
    first = deploy(env, api, waiter=instant(), guard=guard)
    assert first.ok and first.metadata_backup  # OLD -> NEW: a backup
    again = deploy(env, api, waiter=instant(), guard=guard)
    assert again.ok and again.metadata_backup is None  # NEW -> NEW: nothing migrates


def test_rollback_of_a_migrated_deployment_restores_its_backup(
    setup: tuple[FakeDO, AppsAPI, Environment], metadata: str
) -> None:
    fake, api, env = setup
    before = state(metadata)
    guard = MigratingGuard(env, metadata)
    result = deploy(env, api, waiter=instant(), guard=guard)
    assert result.ok and state(metadata)[0] == NEW_REVISION
    back = rollback(env, api, waiter=instant(), guard=guard)
    assert back.ok and back.metadata_restored
    assert state(metadata) == before
    # rolling back again (the restored schema matches the backup): nothing to restore
    assert guard.before_rollback(fake.app_id, result.deployment_id) is None


def test_cli_deploy_needs_the_metadata_url_for_a_backup(
    setup: tuple[FakeDO, AppsAPI, Environment],
    httpserver: HTTPServer,
    repo_copy: RepoPaths,
    run_cli: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = setup[0]
    monkeypatch.setenv("DIGITALOCEAN_TOKEN", fake.token)
    monkeypatch.setenv("SUPERSETCTL_DO_API_URL", httpserver.url_for("/").rstrip("/"))
    repo = ["--repo", str(repo_copy.root)]
    refused = run_cli([*repo, "deploy", "--env", "prod", "--metadata-backup"])
    assert refused.exit_code == 2 and "SUPERSET_METADATA_DB_URL" in refused.stderr
    assert fake.puts() == []  # nothing was sent
    warned = run_cli([*repo, "deploy", "--env", "prod", "--poll-interval", "0"])
    assert warned.exit_code == 0, warned.stderr
    assert "no metadata backup" in warned.stderr


@pytest.fixture
def s3_environ() -> Iterator[dict[str, str]]:
    """moto's S3-compatible server on 127.0.0.1 with one bucket; the S3 variables."""
    from moto.server import ThreadedMotoServer

    from supersetctl.ops import storage

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    environ = {
        "AWS_ACCESS_KEY_ID": "test" + secrets.token_hex(4),
        "AWS_SECRET_ACCESS_KEY": "sk_" + secrets.token_hex(16),
        "S3_ENDPOINT_URL": f"http://{host}:{port}",
        "S3_REGION": "us-east-1",
    }
    storage.s3_client(environ).create_bucket(Bucket="predeploy")
    try:
        yield environ
    finally:
        server.stop()


def test_backup_in_s3_is_restored_from_there(
    setup: tuple[FakeDO, AppsAPI, Environment], metadata: str, s3_environ: dict[str, str]
) -> None:
    fake, api, base = setup
    env = base.with_environ(s3_environ)
    before = state(metadata)
    fake.scripts = [ERROR_PHASES]
    guard = MigratingGuard(env, metadata, backups_to="s3://predeploy/superset/")
    result = deploy(env, api, waiter=instant(), guard=guard)
    assert str(result.metadata_backup).startswith("s3://predeploy/superset/superset-prod-")
    assert result.rolled_back and result.metadata_restored
    assert not str(result.metadata_restored).startswith("FAILED"), result.metadata_restored
    assert state(metadata) == before
    assert not (env.paths.local / "backups" / "prod").exists()  # nothing kept on this machine
