"""superset-pr-db.yml, run step by step: a pull request that changes an analytics view shows,
per environment, what `db apply` would run on its Odoo database, as a sticky comment. The plan
reads as the admin (its GitHub environment requires a reviewer), on a real PostgreSQL."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import psycopg
import pytest
from pytest_httpserver import HTTPServer

from supersetctl.contract.environment import load_environment
from supersetctl.db.access import apply_env
from supersetctl.db.seed import seed_database
from supersetctl.local.postgres import PostgresInfo
from supersetctl.paths import RepoPaths
from tests.support.fake_github import FakeGitHub
from tests.support.workflows import run_job

pytestmark = pytest.mark.integration

PR = 7
DATABASE = "odoo_staging"
VIEW = "infra/superset/analytics/views/010_companies.sql"


@pytest.fixture
def staging_db(pg: PostgresInfo, repo_copy: RepoPaths) -> Iterator[str]:
    """staging's Odoo database, seeded, with the access model applied; the admin URL."""
    with psycopg.connect(pg.conninfo(), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'superset_ro'").fetchone():
            pytest.fail("the test cluster already holds superset_ro")
        conn.execute(f"CREATE DATABASE {DATABASE}")
    ro = secrets.token_urlsafe(16)
    try:
        seed_database(pg.conninfo(DATABASE), odoo_version=17, scale=1)
        environ = {"ODOO_ADMIN_DATABASE_URL": pg.dsn(DATABASE), "ODOO_RO_PASSWORD": ro}
        apply_env(load_environment(repo_copy, "staging", environ=environ))
        yield pg.dsn(DATABASE)
    finally:
        with psycopg.connect(pg.conninfo(), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
            for role in ("superset_ro", "analytics_owner"):
                conn.execute(f"DROP ROLE IF EXISTS {role}")


def test_a_view_change_shows_its_sql_on_the_pull_request(
    repo_copy: RepoPaths, staging_db: str, httpserver: HTTPServer, pg: PostgresInfo
) -> None:
    gh = FakeGitHub(httpserver, token="ghs_" + secrets.token_hex(18))
    view = repo_copy.root / VIEW
    view.write_text(view.read_text().replace("AS country_code", "AS country_iso_code"))
    password = pg.password

    def run() -> object:
        return run_job(
            "superset-pr-db.yml",
            "db-plan",
            repo_copy.root,
            matrix={"env": "staging"},
            secrets={"ODOO_ADMIN_DATABASE_URL": staging_db},
            github={
                "token": gh.token,
                "repository": gh.repository,
                "event": {
                    "pull_request": {"number": PR, "head": {"repo": {"full_name": gh.repository}}}
                },
            },
            extra_env={
                "GITHUB_API_URL": gh.url,
                "SUPERSETCTL_VAR_ODOO_DB_HOST": "127.0.0.1",
            },
        )

    job = run()
    assert job.ok, [(s.name, s.rc, s.output[-3000:]) for s in job.steps]  # type: ignore[attr-defined]
    assert len(gh.bodies(PR)) == 1, [(s.name, s.rc, s.skipped, s.output[-2000:]) for s in job.steps]  # type: ignore[attr-defined]
    [body] = gh.bodies(PR)
    assert body.startswith("<!-- supersetctl-db-plan:staging -->")
    assert f"### supersetctl db plan: staging ({DATABASE}): " in body
    assert "country_iso_code" in body and "```sql" in body
    assert password not in body and password not in job.summary  # type: ignore[attr-defined]

    view.write_text(view.read_text().replace("AS country_iso_code", "AS country_code"))
    run()
    [body] = gh.bodies(PR)  # the same comment, edited
    assert ": in sync" in body
