"""The Superset metadata database, as backup and restore see it: where it is, what it holds.

Connection strings, the client binaries and connecting are :mod:`supersetctl.pg`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import psycopg
from psycopg import sql

from supersetctl import pg
from supersetctl.errors import ConfigError, DatabaseError
from supersetctl.pg import ConnInfo, describe, parse_url
from supersetctl.redact import register

CONNECT_TIMEOUT = 10  # seconds

# What backup records and verify compares: kind -> Superset metadata table.
OBJECT_TABLES: dict[str, str] = {
    "dashboards": "dashboards",
    "charts": "slices",
    "datasets": "tables",
    "users": "ab_user",
}


def from_env(name: str, env: Mapping[str, str]) -> ConnInfo:
    """Connection info from the URL in variable ``name`` of ``env`` (a secret)."""
    url = env.get(name, "").strip()
    if not url:
        raise ConfigError(
            f"{name} is not set",
            hint=f"export {name}=postgresql://USER:PASSWORD@HOST:PORT/DB (it is a secret)",
        )
    info = parse_url(url)
    register(info.get("password"))
    return info


def connect(info: Mapping[str, str], *, autocommit: bool = False) -> psycopg.Connection[Any]:
    """A connection to ``info``; a refusal is a DatabaseError naming ``user@host:port/db``."""
    return pg.connect(info, autocommit=autocommit, timeout=CONNECT_TIMEOUT)


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
