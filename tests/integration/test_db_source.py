"""A second source (standing in for a Supabase project's Postgres) proven read-only on a real
PostgreSQL, as its own login role, and the provisioning gate that requires it."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from supersetctl.contract.environment import Environment
from supersetctl.contract.loader import load_env_config
from supersetctl.contract.models import EnvConfig
from supersetctl.db.source_checks import verify_database, verify_source
from supersetctl.errors import ConfigError
from supersetctl.local.postgres import PostgresInfo
from supersetctl.paths import RepoPaths
from tests.support.helpers import REPO_ROOT

pytestmark = pytest.mark.integration


@pytest.fixture
def source(pg: PostgresInfo) -> Iterator[tuple[str, str, str]]:
    """A database with a table owned by an admin, and a read-only login role on it."""
    suffix = secrets.token_hex(3)
    db, role, pw = f"sb_{suffix}", f"sb_ro_{suffix}", secrets.token_urlsafe(16)
    with psycopg.connect(pg.conninfo(), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {db}")
        admin.execute(
            f"CREATE ROLE {role} LOGIN PASSWORD '{pw}' CONNECTION LIMIT 5 "
            "NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS"
        )
        admin.execute(f"ALTER ROLE {role} SET default_transaction_read_only = on")
        admin.execute(f"ALTER ROLE {role} SET statement_timeout = '30s'")
    with psycopg.connect(pg.conninfo(db), autocommit=True) as conn:
        conn.execute("CREATE TABLE public.tenants (id int PRIMARY KEY, name text)")
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        conn.execute(f"REVOKE CREATE, TEMPORARY ON DATABASE {db} FROM PUBLIC")
        conn.execute(f"GRANT CONNECT ON DATABASE {db} TO {role}")
        conn.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
        conn.execute(f"GRANT SELECT ON public.tenants TO {role}")
    yield db, role, pw
    with psycopg.connect(pg.conninfo(), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        admin.execute(f"DROP ROLE IF EXISTS {role}")


def _env(pg: PostgresInfo, db: str, role: str, pw: str, *, strict: bool = False) -> Environment:
    data: dict[str, Any] = load_env_config(RepoPaths(REPO_ROOT), "dev").model_dump(mode="json")
    data["databases"]["supabase"] = {
        "kind": "supabase",
        "host": pg.host,
        "port": pg.port,
        "database": db,
        "user": role,
        "sslmode": "disable",
        "password_env": "SUPABASE_RO_PASSWORD",
    }
    data["flags"]["strict_read_only"] = strict
    cfg = EnvConfig.model_validate(data)
    return Environment("dev", RepoPaths(REPO_ROOT), cfg, {"SUPABASE_RO_PASSWORD": pw})


def _admin(pg: PostgresInfo, db: str, sql: str) -> None:
    with psycopg.connect(pg.conninfo(db), autocommit=True) as conn:
        conn.execute(sql)


def test_a_read_only_role_passes(pg: PostgresInfo, source: tuple[str, str, str]) -> None:
    report = verify_database(_env(pg, *source), "supabase")
    assert report.ok, [(c.name, c.detail) for c in report.failures]
    assert len(report.checks) == 8


@pytest.mark.parametrize(
    ("grant", "failing"),
    [
        ("GRANT INSERT ON public.tenants TO {role}", "no write privilege on any table"),
        ("GRANT CREATE ON SCHEMA public TO {role}", "may create nothing (schemas, database)"),
        ("ALTER ROLE {role} BYPASSRLS", "no superuser or bypassing attribute"),
        (
            "ALTER ROLE {role} SET default_transaction_read_only = off",
            "sessions are read-only by default",
        ),
        ("ALTER ROLE {role} SET statement_timeout = 0", "a statement timeout is set"),
        ("GRANT pg_write_all_data TO {role}", "member of no administrative role"),
    ],
)
def test_each_privilege_is_caught(
    pg: PostgresInfo, source: tuple[str, str, str], grant: str, failing: str
) -> None:
    db, role, _pw = source
    _admin(pg, db, grant.format(role=role))
    report = verify_source(_env(pg, *source), "supabase")
    assert failing in {c.name for c in report.failures}, report.to_dict()


def test_a_write_privilege_fails_the_write_probe_too(
    pg: PostgresInfo, source: tuple[str, str, str]
) -> None:
    db, role, _pw = source
    _admin(pg, db, f"GRANT CREATE ON SCHEMA public TO {role}")
    failed = {c.name for c in verify_source(_env(pg, *source), "supabase").failures}
    assert "CREATE TABLE fails in a read-write transaction" in failed


def test_wrong_password_is_a_failed_check(pg: PostgresInfo, source: tuple[str, str, str]) -> None:
    db, role, _pw = source
    wrong = secrets.token_urlsafe(12)
    report = verify_source(_env(pg, db, role, wrong), "supabase")
    assert not report.ok and len(report.checks) == 1
    assert wrong not in str(report.to_dict())


def test_missing_password_and_unknown_key(pg: PostgresInfo, source: tuple[str, str, str]) -> None:
    env = _env(pg, *source)
    with pytest.raises(ConfigError, match="SUPABASE_RO_PASSWORD"):
        verify_source(env.with_environ({"SUPABASE_RO_PASSWORD": ""}), "supabase")
    with pytest.raises(ConfigError, match="no database 'nope'"):
        verify_source(env, "nope")
