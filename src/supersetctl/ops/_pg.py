"""PostgreSQL helpers for backup and restore: connection info, the client binaries, counts.

Passwords never reach a command line (where ``ps`` would show them): the binaries get the
connection through ``PG*`` environment variables.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from supersetctl.errors import ConfigError, DatabaseError
from supersetctl.redact import redact, register, register_uri

log = logging.getLogger(__name__)

ConnInfo = dict[str, str]

# What backup records and verify compares: kind -> Superset metadata table.
OBJECT_TABLES: dict[str, str] = {
    "dashboards": "dashboards",
    "charts": "slices",
    "datasets": "tables",
    "users": "ab_user",
}

_ENV_OF = {
    "host": "PGHOST",
    "port": "PGPORT",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "dbname": "PGDATABASE",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}


def parse_url(url: str) -> ConnInfo:
    """libpq parameters from a URL (also SQLAlchemy's ``postgresql+psycopg2://``) or a
    ``key=value`` string; the password is registered as a secret."""
    text = re.sub(r"^postgres(ql)?\+[a-z0-9_]+://", "postgresql://", url.strip())
    register_uri(text)
    try:
        params = conninfo_to_dict(text)
    except psycopg.ProgrammingError as exc:
        raise ConfigError(redact(f"not a PostgreSQL URL: {exc}")) from None
    out = {k: str(v) for k, v in params.items() if v is not None}
    register(out.get("password"))
    return out


def from_env(name: str, env: Mapping[str, str] | None = None) -> ConnInfo:
    """Connection info from the URL in environment variable ``name`` (a secret)."""
    source = os.environ if env is None else env
    url = source.get(name, "").strip()
    if not url:
        raise ConfigError(
            f"{name} is not set",
            hint=f"export {name}=postgresql://USER:PASSWORD@HOST:PORT/DB (it is a secret)",
        )
    info = parse_url(url)
    register(info.get("password"))
    return info


def dsn(info: Mapping[str, str]) -> str:
    return make_conninfo(**info)


def describe(info: Mapping[str, str]) -> str:
    """``user@host:port/db`` for messages (no password)."""
    return (
        f"{info.get('user', '')}@{info.get('host', 'localhost')}:"
        f"{info.get('port', '5432')}/{info.get('dbname', '')}"
    )


def pg_env(info: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    for key, value in info.items():
        var = _ENV_OF.get(key)
        if var:
            env[var] = value
    return env


def binary(name: str) -> str:
    """A PostgreSQL client binary: the newest under /usr/lib/postgresql, else from PATH."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    if candidates:
        return str(candidates[-1])
    found = shutil.which(name)
    if not found:
        raise ConfigError(
            f"{name} not found", hint="install the PostgreSQL client (postgresql-client)"
        )
    return found


def run(cmd: Sequence[str], info: Mapping[str, str], *, what: str) -> str:
    """Run a PostgreSQL client binary with the connection in its environment."""
    log.debug("running %s", " ".join(cmd))
    proc = subprocess.run(list(cmd), env=pg_env(info), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
        raise DatabaseError(redact(f"{what} failed (exit {proc.returncode}): {tail}"))
    return proc.stdout


def connect(
    info: Mapping[str, str], *, autocommit: bool = False
) -> psycopg.Connection[tuple[object, ...]]:
    try:
        return psycopg.connect(dsn(info), autocommit=autocommit, connect_timeout=10)
    except psycopg.Error as exc:
        raise DatabaseError(redact(f"cannot connect to {describe(info)}: {exc}")) from None


def object_ids(info: Mapping[str, str]) -> dict[str, list[int]]:
    """The ids of the dashboards, charts, datasets and users in a Superset metadata DB."""
    out: dict[str, list[int]] = {}
    with connect(info) as conn:
        for kind, table in OBJECT_TABLES.items():
            try:
                rows = conn.execute(
                    sql.SQL("SELECT id FROM {} ORDER BY id").format(sql.Identifier(table))
                ).fetchall()
            except psycopg.errors.UndefinedTable:
                raise DatabaseError(
                    f"{describe(info)} has no table {table!r}: not a Superset metadata database"
                ) from None
            out[kind] = [int(str(r[0])) for r in rows]
    return out


def user_relations(info: Mapping[str, str]) -> int:
    """How many tables, views and sequences live outside the system schemas."""
    with connect(info) as conn:
        row = conn.execute(
            """
            SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
              AND n.nspname NOT IN ('pg_catalog', 'information_schema')
              AND n.nspname NOT LIKE 'pg\\_%'
            """
        ).fetchone()
    return int(str(row[0])) if row else 0


def user_schemas(info: Mapping[str, str]) -> list[str]:
    with connect(info) as conn:
        rows = conn.execute(
            """
            SELECT nspname FROM pg_namespace
            WHERE nspname NOT IN ('pg_catalog', 'information_schema')
              AND nspname NOT LIKE 'pg\\_%'
            ORDER BY nspname
            """
        ).fetchall()
    return [str(r[0]) for r in rows]
