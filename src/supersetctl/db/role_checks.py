"""The checks ``db verify`` runs as one login role, by section; each tries what it proves.

:func:`role_checks` runs them in the order the report lists them: attributes and memberships,
the session's guards, reads (every view yes, every raw table no), privileges, writes, DDL,
company scope, and where masking is on, no personal data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import psycopg

from supersetctl.contract.models import EnvConfig

from .ddl import PRIVS, q
from .model import Desired, LoginRole

SENSITIVE_TABLES = ("res_users", "ir_config_parameter", "ir_mail_server", "res_partner")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


@dataclass(frozen=True)
class Check:
    name: str
    role: str  # "" for checks of the database as a whole
    ok: bool
    detail: str = ""


def fails(conn: psycopg.Connection[Any], stmt: str, *, rw: bool = False) -> tuple[bool, str]:
    """Run ``stmt`` in a transaction rolled back; (True, error) when PostgreSQL refuses it.

    ``rw`` first switches the transaction to read-write, which any role may do: so a refusal
    proves missing privileges, not the read-only default.
    """
    try:
        with conn.transaction():
            if rw:
                conn.execute("SET LOCAL transaction_read_only = off")
            conn.execute(stmt)
            raise _Rollback
    except _Rollback:
        return False, "succeeded"
    except psycopg.Error as exc:
        return True, (str(exc).splitlines() or [""])[0]


class _Rollback(Exception):
    pass


def one(conn: psycopg.Connection[Any], query: str, params: tuple[Any, ...] = ()) -> Any:
    """The first column of the first row (None without a row)."""
    row = conn.execute(query, params).fetchone()
    return row[0] if row else None


@dataclass(frozen=True)
class RoleProbe:
    """One login role under test: ``admin`` reads the catalogs, ``conn`` is the role."""

    admin: psycopg.Connection[Any]
    conn: psycopg.Connection[Any]
    d: Desired
    role: LoginRole
    cfg: EnvConfig

    def check(self, name: str, ok: bool, detail: str = "") -> Check:
        return Check(name, self.role.name, ok, detail)


def role_checks(
    admin: psycopg.Connection[Any],
    conn: psycopg.Connection[Any],
    d: Desired,
    role: LoginRole,
    cfg: EnvConfig,
    raw: list[str],
    expected: dict[str, dict[int | None, int]],
    personal: set[str] | None,
) -> list[Check]:
    """Every check of one login role; ``raw`` are the Odoo tables, ``expected`` the row counts
    per view and company, ``personal`` the real personal values (None: masking is off)."""
    p = RoleProbe(admin, conn, d, role, cfg)
    out = [
        *_attributes(p),
        _session(p),
        *_reads(p, raw),
        _privileges(p),
        _writes(p),
        _ddl(p),
        _scope(p, expected),
    ]
    if personal is not None:
        out.append(p.check(*masking_check(conn, d, personal)))
    return out


def _attributes(p: RoleProbe) -> list[Check]:
    """Login with a connection limit and no other attribute, no membership, no default
    privileges on anybody's future objects."""
    rn, admin = p.role.name, p.admin
    a = admin.execute(
        "SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, "
        "rolbypassrls, rolconnlimit FROM pg_roles WHERE rolname = %s",
        (rn,),
    ).fetchone()
    assert a is not None
    bad = [n for n, v in zip(("superuser", "createdb", "createrole", "replication",
                              "bypassrls"), a[1:6], strict=True) if v]  # fmt: skip
    limit = int(a[6])
    attributes = p.check(
        "role attributes", bool(a[0]) and not bad and 0 < limit <= p.cfg.access.connection_limit,
        f"connection limit {limit}" + (f"; has {', '.join(bad)}" if bad else ""))  # fmt: skip
    groups = [
        str(r[0])
        for r in admin.execute(
            "SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid "
            "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = %s",
            (rn,),
        )
    ]
    read_all = one(admin, "SELECT pg_has_role(%s, 'pg_read_all_data', 'USAGE')", (rn,))
    member = p.check("member of no role (not pg_read_all_data)", not groups and not read_all,
                     ", ".join(groups) or "none")  # fmt: skip
    defaults = [
        f"{r[0]} in {r[1] or 'any schema'}"
        for r in admin.execute(
            "SELECT pg_get_userbyid(d.defaclrole), n.nspname FROM pg_default_acl d "
            "LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace "
            "CROSS JOIN LATERAL aclexplode(d.defaclacl) a "
            "WHERE a.grantee = (SELECT oid FROM pg_roles WHERE rolname = %s)",
            (rn,),
        )
    ]
    no_defaults = p.check(
        "no default privileges on future objects", not defaults, ", ".join(defaults)
    )
    return [attributes, member, no_defaults]


def _session(p: RoleProbe) -> Check:
    """The role's sessions start read-only, with the configured timeouts."""
    shown = {
        k: str(one(p.conn, f"SHOW {k}"))
        for k in (
            "default_transaction_read_only",
            "statement_timeout",
            "idle_in_transaction_session_timeout",
        )
    }
    p.conn.rollback()
    access = p.cfg.access
    want_stmt = f"{access.statement_timeout_ms}ms"
    ok = (
        shown["default_transaction_read_only"] == "on"
        and _ms(shown["statement_timeout"]) == (access.statement_timeout_ms)
        and _ms(shown["idle_in_transaction_session_timeout"]) == access.idle_timeout_ms
    )
    return p.check("read-only session, timeouts", ok,
        f"read_only={shown['default_transaction_read_only']}, statement_timeout="
        f"{shown['statement_timeout']} (want {want_stmt}), idle_in_transaction="
        f"{shown['idle_in_transaction_session_timeout']}")  # fmt: skip


def _reads(p: RoleProbe, raw: list[str]) -> list[Check]:
    """SELECT works on every view; on the raw tables the role holds no privilege and real
    attempts (the sensitive tables first) are refused, as is the internal schema."""
    d, conn, rn = p.d, p.conn, p.role.name
    failed = []
    for v in d.views:
        bad_select, why = fails(conn, f"SELECT * FROM {q(d.schema)}.{q(v.name)} LIMIT 1")
        if bad_select:
            failed.append(f"{v.name}: {why}")
    views = p.check(f"SELECT works on all {len(d.views)} views", not failed, "; ".join(failed))
    readable = [
        t for t in raw
        if one(p.admin, "SELECT has_table_privilege(%s, %s, 'SELECT')", (rn, f"public.{q(t)}"))
    ]  # fmt: skip
    tried = [t for t in SENSITIVE_TABLES if t in raw] + [
        t for t in ("sale_order_line", "account_move", "hr_employee") if t in raw
    ]
    leaked = [t for t in tried if not fails(conn, f"SELECT 1 FROM public.{q(t)} LIMIT 1")[0]]
    internal_open = not fails(conn, f"SELECT 1 FROM {q(d.internal)}.company_scope LIMIT 1")[0]
    tables = p.check(f"SELECT refused on all {len(raw)} raw Odoo tables",
        not readable and not leaked and not internal_open,
        ", ".join(sorted(set(readable + leaked)))
        + (" internal schema readable" if internal_open else ""))  # fmt: skip
    return [views, tables]


def _privileges(p: RoleProbe) -> Check:
    """Nothing but SELECT on the published views, on any relation of the database."""
    d, published, extra = p.d, {v.name for v in p.d.views}, []
    for schema, rel, priv in p.admin.execute(
        "SELECT n.nspname, c.relname, p.priv FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace CROSS JOIN unnest(%s::text[]) p(priv) "
        "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') "
        "AND n.nspname NOT LIKE 'pg_toast%%' AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') "
        "AND has_table_privilege(%s, c.oid, p.priv)",
        (list(PRIVS), p.role.name),
    ):
        if not (schema == d.schema and rel in published and priv == "SELECT"):
            extra.append(f"{priv} on {schema}.{rel}")
    return p.check("privileges: SELECT on the analytics views only", not extra,
                   "; ".join(extra[:10]))  # fmt: skip


def _writes(p: RoleProbe) -> Check:
    """INSERT, UPDATE, DELETE and TRUNCATE on the views are refused, even with the session
    switched to read-write, and the role holds none of these privileges."""
    d, writes = p.d, []
    target = f"{q(d.schema)}.{q(d.views[0].name)}" if d.views else None
    if target:
        first_col = d.views[0].template.columns[0].name if d.views[0].template.columns else "1"
        for stmt in (
            f"INSERT INTO {target} DEFAULT VALUES",
            f"UPDATE {target} SET {q(first_col)} = {q(first_col)}",
            f"DELETE FROM {target}",
            f"TRUNCATE {target}",
        ):
            refused, _why = fails(p.conn, stmt, rw=True)
            if not refused:
                writes.append(stmt.split()[0])
        for v in d.views:
            for priv in ("INSERT", "UPDATE", "DELETE", "TRUNCATE"):
                if one(p.admin, "SELECT has_table_privilege(%s, %s, %s)",
                       (p.role.name, f"{q(d.schema)}.{q(v.name)}", priv)):  # fmt: skip
                    writes.append(f"{priv} on {v.name}")
    return p.check("INSERT/UPDATE/DELETE/TRUNCATE on views refused", not writes, ", ".join(writes))


def _ddl(p: RoleProbe) -> Check:
    """CREATE TABLE / TEMP TABLE / FUNCTION / SCHEMA refused (read-write session too), and no
    CREATE or TEMPORARY privilege on the database or any schema."""
    rn, d = p.role.name, p.d
    ddl = {
        "CREATE TABLE public": "CREATE TABLE public.supersetctl_probe (a int)",
        "CREATE TABLE analytics": f"CREATE TABLE {q(d.schema)}.supersetctl_probe (a int)",
        "CREATE TEMP TABLE": "CREATE TEMP TABLE supersetctl_probe (a int)",
        "CREATE FUNCTION public": "CREATE FUNCTION public.supersetctl_probe() RETURNS int "
        "LANGUAGE sql AS 'SELECT 1'",
        "CREATE FUNCTION pg_temp": "CREATE FUNCTION pg_temp.supersetctl_probe() RETURNS int "
        "LANGUAGE sql AS 'SELECT 1'",
        "CREATE SCHEMA": "CREATE SCHEMA supersetctl_probe",
    }
    allowed = [name for name, stmt in ddl.items() if not fails(p.conn, stmt, rw=True)[0]]
    db_privs = [
        priv for priv in ("CREATE", "TEMPORARY")
        if one(p.admin, "SELECT has_database_privilege(%s, current_database(), %s)", (rn, priv))
    ]  # fmt: skip
    schemas_create = [
        str(r[0])
        for r in p.admin.execute(
            "SELECT nspname FROM pg_namespace WHERE has_schema_privilege(%s, oid, 'CREATE')",
            (rn,),
        )
    ]
    return p.check("CREATE TABLE / TEMP TABLE / FUNCTION / SCHEMA refused",
        not allowed and not db_privs and not schemas_create,
        ", ".join(allowed + [f"{priv} on database" for priv in db_privs]
                  + [f"CREATE on schema {s}" for s in schemas_create]))  # fmt: skip


def _scope(p: RoleProbe, expected: dict[str, dict[int | None, int]]) -> Check:
    """Every view returns exactly the rows of the role's companies (and shared rows where the
    view says so): counts per company equal the admin's."""
    d, conn, company_ids, wrong = p.d, p.conn, p.role.company_ids, []
    for v in d.views:
        col = v.template.scope_column
        want = expected[v.name]
        if col is None:
            got = {-1: int(one(conn, f"SELECT count(*) FROM {q(d.schema)}.{q(v.name)}"))}
        else:
            got = {
                r[0]: int(r[1])
                for r in conn.execute(
                    f"SELECT {q(col)}, count(*) FROM {q(d.schema)}.{q(v.name)} GROUP BY 1"
                )
            }
            want = {
                k: n for k, n in want.items()
                if company_ids is None or k in company_ids
                or (k is None and v.template.shared)
            }  # fmt: skip
        if got != want:
            wrong.append(v.name)
    conn.rollback()
    scope = "all companies" if company_ids is None else (
        "companies " + ", ".join(map(str, company_ids)))  # fmt: skip
    return p.check(f"sees exactly its rows ({scope})", not wrong, ", ".join(wrong))


def masking_check(
    conn: psycopg.Connection[Any], d: Desired, personal: set[str]
) -> tuple[str, bool, str]:
    """No text value of any view is a real personal value or an e-mail address."""
    hits: list[str] = []
    for v in d.views:
        rows = conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = %s "
            "AND table_name = %s AND data_type = 'text'",
            (d.schema, v.name),
        ).fetchall()
        for (col,) in rows:
            for (value,) in conn.execute(
                f"SELECT DISTINCT {q(col)} FROM {q(d.schema)}.{q(v.name)} "
                f"WHERE {q(col)} IS NOT NULL"
            ):
                text = str(value)
                if text in personal or EMAIL.search(text):
                    hits.append(f"{v.name}.{col}")
                    break
    conn.rollback()
    return "masking: no real name, e-mail or phone", not hits, ", ".join(hits[:10])


# Phone numbers are matched exactly against the raw tables' values, not by pattern: product
# names and references are full of digit runs, and a pattern would fail verify on real data.


def _ms(value: str) -> int:
    m = re.fullmatch(r"(\d+)\s*(ms|s|min|h)?", value.strip())
    if not m:
        return -1
    n = int(m.group(1))
    return n * {"ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000}[m.group(2) or "ms"]
