"""Writing the seed data: the Odoo-shaped tables created and filled with COPY in one
transaction, marked with the parameters that made them (so a second run is a no-op)."""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from supersetctl import pg
from supersetctl.contract.environment import Environment
from supersetctl.errors import ConfigError, DatabaseError

from ..model import admin_url
from ..seed_schema import SUPPORTED_VERSIONS, create_statements, index_statements, tables
from .dataset import generate
from .generator import Generator

log = logging.getLogger(__name__)

DEFAULT_END_DATE = dt.date(2026, 6, 30)
MARKER = "supersetctl seed"


@dataclass(frozen=True)
class SeedSummary:
    """What :func:`seed_database` did: the parameters, row counts per table and timing."""

    odoo_version: int
    scale: int
    seed: int
    end_date: dt.date
    created: bool
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def marker(self) -> str:
        return marker_text(self.odoo_version, self.scale, self.seed, self.end_date)

    def to_dict(self) -> dict[str, Any]:
        return {
            "odoo_version": self.odoo_version,
            "scale": self.scale,
            "seed": self.seed,
            "end_date": self.end_date.isoformat(),
            "created": self.created,
            "counts": dict(sorted(self.counts.items())),
            "seconds": round(self.seconds, 2),
        }


def marker_text(version: int, scale: int, seed: int, end_date: dt.date) -> str:
    return f"{MARKER}: odoo={version} scale={scale} seed={seed} end_date={end_date.isoformat()}"


def _chunks(lines: list[str], size: int = 1 << 20) -> Iterator[str]:
    buf: list[str] = []
    n = 0
    for line in lines:
        buf.append(line)
        n += len(line)
        if n >= size:
            yield "".join(buf)
            buf, n = [], 0
    if buf:
        yield "".join(buf)


def _existing_marker(conn: psycopg.Connection[Any]) -> str | None:
    row = conn.execute(
        "SELECT obj_description(c.oid, 'pg_class') FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relname = 'res_company' AND c.relkind = 'r'"
    ).fetchone()
    if row is None:
        return None
    return str(row[0] or "")


def seeded_end_date(conninfo: str) -> dt.date | None:
    """The ``end_date`` of the seed data already in the database, or None when there is none."""
    with pg.session(conninfo, "could not read the seed marker") as conn:
        marker = _existing_marker(conn) or ""
    found = (
        re.search(r"end_date=(\d{4}-\d{2}-\d{2})", marker) if marker.startswith(MARKER) else None
    )
    return dt.date.fromisoformat(found.group(1)) if found else None


def _drop(conn: psycopg.Connection[Any], names: Iterable[str]) -> None:
    for name in names:
        conn.execute(sql.SQL("DROP TABLE IF EXISTS public.{} CASCADE").format(sql.Identifier(name)))


def _load(conn: psycopg.Connection[Any], gen: Generator, odoo_version: int) -> None:
    """Create the tables, COPY every generated row in, set the id sequences, then index."""
    for stmt in create_statements(odoo_version):
        conn.execute(stmt)
    with conn.cursor() as cur:
        for name in tables(odoo_version):
            tab = gen.tables.get(name)
            if tab is None:
                continue
            cols = sql.SQL(", ").join(sql.Identifier(c) for c in tab.columns)
            copy_sql = sql.SQL("COPY public.{} ({}) FROM STDIN").format(sql.Identifier(name), cols)
            with cur.copy(copy_sql) as copy:
                for chunk in _chunks(tab.chunks):
                    copy.write(chunk)
            tab.chunks = []
            if "id" in tab.columns:
                conn.execute(
                    sql.SQL(
                        "SELECT setval(pg_get_serial_sequence({}, 'id'), "
                        "(SELECT coalesce(max(id), 0) + 1 FROM public.{}), false)"
                    ).format(sql.Literal(f"public.{name}"), sql.Identifier(name))
                )
    for stmt in index_statements(odoo_version):
        conn.execute(stmt)


def seed_database(
    conninfo: str,
    *,
    odoo_version: int = 17,
    scale: int = 1,
    seed: int = 42,
    end_date: dt.date = DEFAULT_END_DATE,
    replace: bool = False,
) -> SeedSummary:
    """Create the Odoo-shaped tables in ``public`` and fill them, in one transaction.

    Idempotent: when the database already holds seed data made with the same parameters, it
    returns at once with ``created=False``. Different parameters, or Odoo tables that were not
    made by this function, raise :class:`DatabaseError` unless ``replace=True`` (which drops
    the seed's tables first; never use it on a real Odoo database).
    """
    if odoo_version not in SUPPORTED_VERSIONS:
        raise DatabaseError(
            f"unsupported Odoo version {odoo_version}",
            hint=f"use one of {', '.join(map(str, SUPPORTED_VERSIONS))}",
        )
    if not 1 <= scale <= 1000:
        raise DatabaseError(f"scale {scale} is out of range", hint="use 1 to 1000")
    wanted = marker_text(odoo_version, scale, seed, end_date)
    started = time.monotonic()
    with pg.session(conninfo, "seeding failed") as conn:
        existing = _existing_marker(conn)
        if existing is not None and not replace:
            if existing == wanted:
                counts = _counts(conn, tables(odoo_version))
                return SeedSummary(odoo_version, scale, seed, end_date, False, counts,
                                   time.monotonic() - started)  # fmt: skip
            what = existing if existing.startswith(MARKER) else "tables not made by the seed"
            raise DatabaseError(
                f"the database already holds Odoo tables ({what})",
                hint="use another database, or replace=True / --replace for seed data",
            )
        if existing is not None:
            _drop(conn, sorted(set(tables(17)) | set(tables(18))))
        gen = generate(odoo_version, scale, seed, end_date)
        log.info("generated %d rows in %.1fs", sum(t.count for t in gen.tables.values()),
                 time.monotonic() - started)  # fmt: skip
        _load(conn, gen, odoo_version)
        conn.execute(
            sql.SQL("COMMENT ON TABLE public.res_company IS {}").format(sql.Literal(wanted))
        )
        counts = {name: tab.count for name, tab in gen.tables.items()}
    with pg.session(conninfo, "seeding failed", autocommit=True) as conn:
        conn.execute("ANALYZE")
    seconds = time.monotonic() - started
    log.info("seeded Odoo %d scale %d in %.1fs", odoo_version, scale, seconds)
    return SeedSummary(odoo_version, scale, seed, end_date, True, counts, seconds)


def _counts(conn: psycopg.Connection[Any], names: Iterable[str]) -> dict[str, int]:
    out = {}
    for name in names:
        row = conn.execute(
            sql.SQL("SELECT count(*) FROM public.{}").format(sql.Identifier(name))
        ).fetchone()
        out[name] = int(row[0]) if row else 0
    return out


def seed_target(env: Environment) -> str:
    """Where seed data for an environment goes: the admin URL of its variables, and only where
    its ``flags.seed_data`` allows seed data (dev); a ConfigError elsewhere."""
    if not env.config.flags.seed_data:
        raise ConfigError(
            f"flags.seed_data is false for {env.name}: seed data goes to dev databases only",
            hint="pass --url to seed another database on purpose",
        )
    return admin_url(env.config, env.environ)
