"""Operations against the real pinned Superset of the ``superset`` fixture.

- health passes on the running stack (login and a SELECT 1 through SQL Lab on a database);
- stopping Superset makes health fail and alert exactly once; bringing it back sends exactly
  one recovery message; no Slack payload ever holds a secret;
- backup of the running stack, drop everything, restore: dashboards, charts, datasets and
  users come back with their ids.
"""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from pytest_httpserver import HTTPServer

from supersetctl import redact
from supersetctl.errors import SupersetAPIError
from supersetctl.ops import _pg
from supersetctl.pg import dsn, parse_url
from supersetctl.superset import Credentials, SupersetClient

pytestmark = pytest.mark.integration


@pytest.fixture
def admin_env(superset: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = {
        "SUPERSET_ADMIN_USERNAME": superset.admin_username,
        "SUPERSET_ADMIN_PASSWORD": superset.admin_password,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def _client(superset: Any) -> SupersetClient:
    credentials = Credentials(superset.admin_username, superset.admin_password)
    return SupersetClient(superset.url, credentials, timeout=60)


@pytest.fixture
def api(superset: Any) -> Iterator[SupersetClient]:
    with _client(superset) as session:
        session.login()
        yield session


@pytest.fixture
def assets(superset: Any, api: SupersetClient) -> Iterator[dict[str, int]]:
    """A database (Superset's own metadata DB, read through SQL Lab), a dataset, a chart and a
    dashboard; all deleted afterwards so other tests see the instance as it was."""
    info = parse_url(superset.metadata_conninfo)
    uri = (
        f"postgresql://{info['user']}:{info['password']}@{info['host']}:{info['port']}/"
        f"{info['dbname']}"
    )
    suffix = secrets.token_hex(3)
    db = api.create(
        "database",
        {"database_name": f"ops_{suffix}", "sqlalchemy_uri": uri, "expose_in_sqllab": True},
    )["id"]
    made: dict[str, int] = {"database": int(db)}
    try:
        made["dataset"] = int(
            api.create("dataset", {"database": db, "schema": "public", "table_name": "ab_user"})[
                "id"
            ]
        )
        made["dashboard"] = int(api.create("dashboard", {"dashboard_title": f"Ops {suffix}"})["id"])
        made["chart"] = int(
            api.create(
                "chart",
                {
                    "slice_name": f"Users {suffix}",
                    "viz_type": "table",
                    "datasource_id": made["dataset"],
                    "datasource_type": "table",
                    "params": json.dumps({"viz_type": "table", "all_columns": ["username"]}),
                    "dashboards": [made["dashboard"]],
                },
            )["id"]
        )
        yield made
    finally:
        for resource in ("chart", "dashboard", "dataset", "database"):
            if resource in made:
                with contextlib.suppress(SupersetAPIError):
                    api.delete(resource, made[resource])


def test_health_passes_on_the_running_stack(  # type: ignore[no-untyped-def]
    run_cli, superset: Any, admin_env: dict[str, str], assets: dict[str, int]
) -> None:
    result = run_cli(["--format", "json", "health", "--url", superset.url, "--backoff", "0"])
    assert result.exit_code == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert data["state"] == "up"
    by = {c["name"]: c for c in data["checks"]}
    assert by["health"]["status"] == "ok"
    assert by["login"]["status"] == "ok"
    queried = [c for name, c in by.items() if name.startswith("database:ops_")]
    assert len(queried) == 1 and queried[0]["status"] == "ok", by
    assert superset.admin_password not in result.stdout


def test_outage_alerts_once_and_recovery_once(  # type: ignore[no-untyped-def]
    run_cli,
    superset: Any,
    admin_env: dict[str, str],
    httpserver: HTTPServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hook = "/services/T000/B000/" + secrets.token_hex(12)
    httpserver.expect_request(hook, method="POST").respond_with_data("ok")
    webhook = httpserver.url_for(hook)
    monkeypatch.setenv("SLACK_WEBHOOK_URL", webhook)
    fake_token = "dop_v1_" + secrets.token_hex(32)
    redact.register(fake_token)
    args = [
        "health",
        "--url",
        superset.url,
        "--alert",
        "slack",
        "--state-file",
        str(tmp_path / "state.json"),
        "--attempts",
        "2",
        "--backoff",
        "0.2",
        "--no-queries",
    ]
    assert run_cli(args).exit_code == 0  # first run, up: silent
    superset.server.stop()
    try:
        down1 = run_cli(args)
        down2 = run_cli(args)
    finally:
        superset.server.start()
    up1 = run_cli(args)
    up2 = run_cli(args)
    assert (down1.exit_code, down2.exit_code, up1.exit_code, up2.exit_code) == (1, 1, 0, 0)
    bodies = [json.loads(req.get_data(as_text=True)) for req, _ in httpserver.log]
    assert len(bodies) == 2, bodies
    assert "is DOWN" in bodies[0]["text"]
    assert "recovered after" in bodies[1]["text"]
    raw = json.dumps(bodies)
    for secret in (superset.admin_password, webhook, hook, fake_token):
        assert secret not in raw
    assert not (redact.registered() - {fake_token}) or all(
        value not in raw for value in redact.registered()
    )


def _ids_via_api(api: SupersetClient) -> dict[str, list[int]]:
    return {
        "dashboards": sorted(int(r["id"]) for r in api.list("dashboard", ["id"])),
        "charts": sorted(int(r["id"]) for r in api.list("chart", ["id"])),
        "datasets": sorted(int(r["id"]) for r in api.list("dataset", ["id"])),
    }


def test_backup_drop_everything_restore(  # type: ignore[no-untyped-def]
    run_cli,
    superset: Any,
    admin_env: dict[str, str],
    assets: dict[str, int],
    api: SupersetClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    repo_copy,
) -> None:
    info = parse_url(superset.metadata_conninfo)
    monkeypatch.setenv("SUPERSET_METADATA_DB_URL", superset.metadata_conninfo)
    base = ["--repo", str(repo_copy.root), "--format", "json"]
    made = run_cli([*base, "backup", "--env", "dev", "--url", superset.url, "--to", str(tmp_path)])
    assert made.exit_code == 0, made.stderr
    data = json.loads(made.stdout)
    assert data["parts"] == ["assets.zip", "manifest.json", "metadata.dump", "record.json"]
    assert data["objects"]["dashboards"] >= 1 and data["objects"]["charts"] >= 1
    before_db = _pg.object_ids(info)
    before_api = _ids_via_api(api)
    assert assets["dashboard"] in before_api["dashboards"]
    assert assets["chart"] in before_api["charts"]

    superset.server.stop()
    try:
        with psycopg.connect(dsn(info), autocommit=True) as conn:
            row = conn.execute(
                "SELECT tableowner FROM pg_tables WHERE tablename = 'dashboards'"
            ).fetchone()
            assert row is not None
            # everything Superset's role owns in its database: tables, sequences, types
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(str(row[0]))))
        assert _pg.user_relations(info) == 0
        restored = run_cli([*base, "restore", data["archive"], "--env", "dev", "--no-health"])
        assert restored.exit_code == 0, restored.stderr
        assert json.loads(restored.stdout)["matches_record"] is True
    finally:
        superset.server.start()
    assert _pg.object_ids(info) == before_db
    with _client(superset) as fresh:
        fresh.login()  # users came back
        assert _ids_via_api(fresh) == before_api
        dash = fresh.get("dashboard", assets["dashboard"])
        assert dash["dashboard_title"].startswith("Ops ")
    health = run_cli(["--format", "json", "health", "--url", superset.url, "--backoff", "0"])
    assert health.exit_code == 0, health.stdout


def test_backup_verify_on_the_running_stack(  # type: ignore[no-untyped-def]
    run_cli, superset: Any, admin_env: dict[str, str], tmp_path: Path, monkeypatch, repo_copy
) -> None:
    monkeypatch.setenv("SUPERSET_METADATA_DB_URL", superset.metadata_conninfo)
    info = parse_url(superset.metadata_conninfo)
    monkeypatch.setenv("SUPERSETCTL_SCRATCH_DB_URL", dsn({**info, "dbname": "postgres"}))
    base = ["--repo", str(repo_copy.root), "--format", "json"]
    made = run_cli([*base, "backup", "--env", "dev", "--url", superset.url, "--to", str(tmp_path)])
    assert made.exit_code == 0, made.stderr
    archive = json.loads(made.stdout)["archive"]
    verified = run_cli([*base, "backup", "verify", archive])
    assert verified.exit_code == 0, verified.stdout + verified.stderr
    rows = json.loads(verified.stdout)["objects"]
    assert {r["kind"] for r in rows} == {"charts", "dashboards", "datasets", "users"}
    assert all(r["ids_match"] for r in rows)
