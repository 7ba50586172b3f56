"""Prove a second data source (a Supabase project's Postgres, say) is read-only for Superset.

Odoo's database gets the whole access model (:mod:`.verify`). Another source's schema is not
ours, but its login role is: connecting as that role only (no admin URL), each check tries
or reads what it proves. The role is no superuser and has no attribute that bypasses
anything (BYPASSRLS, CREATEROLE...), belongs to no administrative role, its sessions are
read-only with a statement timeout, it holds no write privilege on any table and may create
nothing, and a write fails even after it switches its transaction to read-write.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from supersetctl import pg
from supersetctl.contract.environment import Environment
from supersetctl.contract.models import DatabaseEndpoint, db_var_prefix
from supersetctl.errors import ConfigError

from .role_checks import Check, fails, one
from .verify import VerifyReport, verify_env

# the roles a read-only login must not belong to (DigitalOcean's and Supabase's, and
# PostgreSQL's predefined writers)
ADMIN_GROUPS = (
    "postgres",
    "doadmin",
    "service_role",
    "supabase_admin",
    "authenticator",
    "authenticated",
    "anon",
    "pg_write_all_data",
    "pg_write_server_files",
    "pg_execute_server_program",
)

_WRITABLE = (
    "SELECT n.nspname || '.' || c.relname FROM pg_class c "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') "
    "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
    "AND n.nspname NOT LIKE 'pg_toast%%' AND n.nspname NOT LIKE 'pg_temp%%' "
    "AND (has_table_privilege(c.oid, 'INSERT') OR has_table_privilege(c.oid, 'UPDATE') "
    "OR has_table_privilege(c.oid, 'DELETE') OR has_table_privilege(c.oid, 'TRUNCATE')) "
    "ORDER BY 1 LIMIT 6"
)
_CREATABLE = (
    "SELECT nspname FROM pg_namespace WHERE has_schema_privilege(oid, 'CREATE') "
    "AND nspname NOT LIKE 'pg_temp%%' AND nspname NOT LIKE 'pg_toast_temp%%' ORDER BY 1 LIMIT 6"
)


def source_conninfo(env: Environment, key: str) -> dict[str, str]:
    """The libpq parameters Superset's connection to ``databases.<key>`` uses (the values
    its provisioning file's ``${<KEY>_DB_*}`` resolve to)."""
    db = _endpoint(env, key)
    password = env.environ.get(db.password_env, "")
    if not password:
        raise ConfigError(
            f"{db.password_env} (the password of databases.{key}) is not set",
            hint=f"export {db.password_env}=... (its value lives in your secret store)",
        )
    v, p = env.values(), db_var_prefix(key)  # with SUPERSETCTL_VAR_<NAME> overrides
    info = {
        "host": v[f"{p}_DB_HOST"],
        "port": v[f"{p}_DB_PORT"],
        "dbname": v[f"{p}_DB_NAME"],
        "user": v[f"{p}_DB_USER"],
        "password": password,
        "sslmode": v[f"{p}_DB_SSLMODE"],
    }
    # the CA Superset verifies with, when this machine has it (a local stack); elsewhere
    # libpq's own PGSSLROOTCERT or ~/.postgresql/root.crt
    ca = v.get("SUPERSET_CA_CERT_FILE", "")
    if ca and Path(ca).is_file():
        info["sslrootcert"] = ca
    return info


def _endpoint(env: Environment, key: str) -> DatabaseEndpoint:
    db = env.config.databases.get(key)
    if db is None:
        known = ", ".join(sorted(env.config.databases))
        raise ConfigError(
            f"no database '{key}' in config/{env.name}/environment.yaml (it declares {known})",
            hint="pick one of those with --database",
        )
    return db


def source_checks(conn: psycopg.Connection[Any], role: str) -> list[Check]:
    """Every check, run on ``conn`` (logged in as the role under test; autocommit)."""
    attrs = conn.execute(
        "SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls "
        "FROM pg_roles WHERE rolname = current_user"
    ).fetchone()
    names = ("superuser", "createdb", "createrole", "replication", "bypassrls")
    bad = [n for n, v in zip(names, attrs or (), strict=False) if v]
    groups = [
        str(r[0])
        for r in conn.execute(
            "SELECT rolname FROM pg_roles WHERE rolname = ANY(%s) "
            "AND pg_has_role(current_user, oid, 'USAGE') ORDER BY 1",
            (list(ADMIN_GROUPS),),
        )
    ]
    read_only = str(one(conn, "SHOW default_transaction_read_only"))
    timeout = str(one(conn, "SHOW statement_timeout"))
    writable = [str(r[0]) for r in conn.execute(_WRITABLE)]
    creatable = [str(r[0]) for r in conn.execute(_CREATABLE)]
    db_create = bool(one(conn, "SELECT has_database_privilege(current_database(), 'CREATE')"))
    refused, why = fails(conn, "CREATE TABLE supersetctl_probe (x int)", rw=True)
    return [
        Check("connects with its password over the configured sslmode", role, True),
        Check(
            "no superuser or bypassing attribute",
            role,
            attrs is not None and not bad,
            ", ".join(bad) or "none",
        ),
        Check("member of no administrative role", role, not groups, ", ".join(groups) or "none"),
        Check(
            "sessions are read-only by default",
            role,
            read_only == "on",
            f"default_transaction_read_only={read_only}",
        ),
        Check(
            "a statement timeout is set",
            role,
            timeout not in ("0", "0ms"),
            f"statement_timeout={timeout}",
        ),
        Check("no write privilege on any table", role, not writable, ", ".join(writable)),
        Check(
            "may create nothing (schemas, database)",
            role,
            not creatable and not db_create,
            ", ".join(creatable + (["database"] if db_create else [])) or "none",
        ),
        Check("CREATE TABLE fails in a read-write transaction", role, refused, why),
    ]


def verify_source(
    env: Environment,
    key: str,
    *,
    connect: Callable[[dict[str, str]], psycopg.Connection[Any]] | None = None,
) -> VerifyReport:
    """The checks of ``databases.<key>`` as its own login role; ``ok`` only when all pass."""
    db = _endpoint(env, key)
    info = source_conninfo(env, key)
    report = VerifyReport(db.database, env.name)
    conn, why = (connect(info), "") if connect else pg.try_connect(info, autocommit=True)
    if conn is None:
        report.checks.append(
            Check("connects with its password over the configured sslmode", db.user, False, why)
        )
        return report
    with conn, pg.translated(f"verify of databases.{key} failed to run"):
        report.checks.extend(source_checks(conn, db.user))
    return report


def secondary_sources(env: Environment) -> list[str]:
    """The keys of every declared database besides the primary (Odoo's)."""
    primary, _ = env.config.primary_database
    return [k for k in env.config.databases if k != primary]


def verify_database(env: Environment, key: str | None = None) -> VerifyReport:
    """``db verify``: the access model of Odoo's database (the primary, or ``key`` None), or
    the read-only proof of another declared source."""
    primary, _ = env.config.primary_database
    if key is None or key == primary:
        return verify_env(env)
    return verify_source(env, key)
