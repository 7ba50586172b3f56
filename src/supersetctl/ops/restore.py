"""``restore`` and ``backup verify``: put an archive back, or prove that it can be.

:func:`restore_backup` verifies every checksum before it connects anywhere, refuses a target
database that holds any table unless ``force`` is set, and then replaces the target's content
in ONE transaction (``pg_restore`` renders the dump as SQL, ``psql --single-transaction`` runs
the drop of the old objects and the restore together): a failure leaves the target as it was.
Owners and grants are restored as recorded unless ``keep_owners`` is off.

:func:`verify_backup` restores into a scratch database it creates (and drops afterwards) and
compares the dashboards, charts, datasets and users found there with the archive's record.
"""

from __future__ import annotations

import logging
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from psycopg import sql

from supersetctl import pg
from supersetctl.errors import OperationFailed, UsageError
from supersetctl.ops import _pg
from supersetctl.ops.archive import DUMP, open_archive

log = logging.getLogger(__name__)

SCRATCH_ENV = "SUPERSETCTL_SCRATCH_DB_URL"  # a server where verify may create a database


class TargetNotEmpty(OperationFailed):
    """The restore target holds tables and ``--force`` was not given."""


@dataclass(frozen=True)
class Comparison:
    """Object ids per kind: what the archive recorded and what the database holds."""

    expected: dict[str, list[int]]
    found: dict[str, list[int]]

    @property
    def matches(self) -> bool:
        return all(self.found.get(k) == v for k, v in self.expected.items())

    def rows(self) -> list[dict[str, object]]:
        out: list[dict[str, object]] = []
        for kind in sorted(self.expected):
            exp, got = self.expected[kind], self.found.get(kind, [])
            out.append(
                {
                    "kind": kind,
                    "expected": len(exp),
                    "found": len(got),
                    "ids_match": exp == got,
                }
            )
        return out


@dataclass(frozen=True)
class RestoreResult:
    archive: Path
    target: str
    cleared_schemas: list[str]
    comparison: Comparison
    record: dict[str, object] = field(default_factory=dict)


def _render_sql(dump: Path, out: Path, *, keep_owners: bool) -> None:
    pg_restore = pg.client_binary("pg_restore")
    flags = [] if keep_owners else ["--no-owner", "--no-privileges"]
    pg.run(
        [pg_restore, *flags, "--file", str(out), str(dump)],
        {},
        what="pg_restore (rendering the dump)",
    )


# Objects of the target's schemas, to drop before the restore. Schema ``public`` is emptied,
# not dropped, so that its owner and grants (PostgreSQL 15: pg_database_owner, USAGE to
# PUBLIC) stay as the server made them; every other schema is dropped (the dump recreates it).
# Objects that belong to an extension are left to the extension.
_OBJECTS_SQL = """
SELECT format('DROP %s IF EXISTS %I.%I CASCADE;',
              CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                             WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE'
                             ELSE 'TABLE' END,
              n.nspname, c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                  AND d.objid = c.oid AND d.deptype = 'e')
UNION ALL
SELECT format('DROP TYPE IF EXISTS %I.%I CASCADE;', n.nspname, t.typname)
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'r', 'm')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass
                  AND d.objid = t.oid AND d.deptype = 'e')
UNION ALL
SELECT format('DROP ROUTINE IF EXISTS %s CASCADE;', p.oid::regprocedure)
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'public'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                  AND d.objid = p.oid AND d.deptype = 'e')
"""


def _clear_statements(target: Mapping[str, str], schemas: list[str]) -> list[str]:
    lines = [f"DROP SCHEMA {sql_ident(s)} CASCADE;" for s in schemas if s != "public"]
    if "public" in schemas:
        with _pg.connect(target) as conn:
            lines += [str(row[0]) for row in conn.execute(_OBJECTS_SQL).fetchall()]
    return lines


def restore_backup(
    archive: Path, target: Mapping[str, str], *, force: bool = False, keep_owners: bool = True
) -> RestoreResult:
    """Restore ``archive`` into the database ``target``; see the module docstring.

    ``keep_owners`` restores the recorded owners and grants (the restoring role must be able to
    assign them: the same role that owned them, or a superuser); without it everything
    belongs to the restoring role.
    """
    with tempfile.TemporaryDirectory(prefix="supersetctl-restore-") as tmp:
        work = Path(tmp)
        opened = open_archive(archive, work)  # every checksum, before touching anything
        relations = _pg.user_relations(target)
        if relations and not force:
            raise TargetNotEmpty(
                f"{pg.describe(target)} is not empty ({relations} tables, views or sequences)",
                hint="pass --force to replace its content",
            )
        schemas = _pg.user_schemas(target)
        prelude = work / "prelude.sql"
        lines = ["SET lock_timeout = '10s';", *_clear_statements(target, schemas)]
        lines.append("CREATE SCHEMA IF NOT EXISTS public;")
        prelude.write_text("\n".join(lines) + "\n", encoding="utf-8")
        script = work / "restore.sql"
        _render_sql(opened.files[DUMP], script, keep_owners=keep_owners)
        psql = pg.client_binary("psql")
        log.info("restoring %s into %s", archive.name, pg.describe(target))
        pg.run(
            [
                psql,
                "--no-psqlrc",
                "--quiet",
                "--single-transaction",
                "--set",
                "ON_ERROR_STOP=1",
                "--file",
                str(prelude),
                "--file",
                str(script),
            ],
            target,
            what="restore",
        )
        comparison = Comparison(opened.object_ids, _pg.object_ids(target))
        return RestoreResult(archive, pg.describe(target), schemas, comparison, opened.record)


def sql_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class VerifyResult:
    archive: Path
    scratch_database: str
    comparison: Comparison
    record: dict[str, object]

    @property
    def ok(self) -> bool:
        return self.comparison.matches


def scratch_server(
    environ: Mapping[str, str],
    *,
    scratch_url_env: str = SCRATCH_ENV,
    metadata_url_env: str | None = None,
) -> pg.ConnInfo:
    """Where :func:`verify_backup` may create its scratch database: the URL in the variable
    ``scratch_url_env``, else the metadata database's server (``metadata_url_env``, when an
    environment is named)."""
    if environ.get(scratch_url_env):
        return _pg.from_env(scratch_url_env, environ)
    if metadata_url_env is None:
        raise UsageError(f"no server for the scratch database: set {scratch_url_env} or pass --env")
    return _pg.from_env(metadata_url_env, environ)


def verify_backup(archive: Path, server: Mapping[str, str]) -> VerifyResult:
    """Restore ``archive`` into a new scratch database on ``server``, compare, drop it.

    ``server`` is a connection to any database of a server where the role may CREATE DATABASE.
    """
    with tempfile.TemporaryDirectory(prefix="supersetctl-verify-") as tmp:
        work = Path(tmp)
        opened = open_archive(archive, work)
        name = f"supersetctl_verify_{secrets.token_hex(4)}"
        with _pg.connect(server, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        scratch = {**server, "dbname": name}
        try:
            pg_restore = pg.client_binary("pg_restore")
            pg.run(
                [
                    pg_restore,
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    "--single-transaction",
                    "--dbname",
                    name,
                    str(opened.files[DUMP]),
                ],
                scratch,
                what="pg_restore into the scratch database",
            )
            comparison = Comparison(opened.object_ids, _pg.object_ids(scratch))
        finally:
            with _pg.connect(server, autocommit=True) as conn:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
        return VerifyResult(archive, name, comparison, opened.record)
