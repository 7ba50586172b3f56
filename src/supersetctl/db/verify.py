"""Prove the access model on a live database, connecting as each Superset login role.

Every property is tested by trying it, not only by reading the catalogs: the role SELECTs from
every view, is refused on every raw Odoo table, cannot write to views or create anything even
after switching its session out of read-only mode, and sees exactly its companies' rows.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo

from supersetctl import redact
from supersetctl.contract.environment import Environment
from supersetctl.contract.models import EnvConfig
from supersetctl.errors import DatabaseError

from .access import PRIVS, _check_database, _connect, q
from .model import Desired, LoginRole, admin_url, build_desired, role_passwords
from .views import read_catalog

log = logging.getLogger(__name__)

SENSITIVE_TABLES = ("res_users", "ir_config_parameter", "ir_mail_server", "res_partner")
PERSONAL_COLUMN = re.compile(
    r"email|phone|mobile|street|(^|_)zip|(^|_)vat|birth|ssn|identification|password|login|"
    r"private|passport|bank|iban|gender|marital"
)
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


@dataclass(frozen=True)
class Check:
    name: str
    role: str  # "" for checks of the database as a whole
    ok: bool
    detail: str = ""


@dataclass
class VerifyReport:
    database: str
    environment: str
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    def to_dict(self) -> dict[str, object]:
        return {
            "database": self.database,
            "environment": self.environment,
            "ok": self.ok,
            "checks": [
                {"check": c.name, "role": c.role, "ok": c.ok, "detail": redact.redact(c.detail)}
                for c in self.checks
            ],
        }


def _fails(conn: psycopg.Connection[Any], stmt: str, *, rw: bool = False) -> tuple[bool, str]:
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


def _one(conn: psycopg.Connection[Any], query: str, params: tuple[Any, ...] = ()) -> Any:
    row = conn.execute(query, params).fetchone()
    return row[0] if row else None


def _raw_tables(conn: psycopg.Connection[Any]) -> list[str]:
    rows = conn.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f') ORDER BY 1"
    ).fetchall()
    return [str(r[0]) for r in rows]


def _expected_counts(
    admin: psycopg.Connection[Any], d: Desired
) -> dict[str, dict[int | None, int]]:
    out: dict[str, dict[int | None, int]] = {}
    for v in d.views:
        col = v.template.scope_column
        if col is None:
            n = _one(admin, f"SELECT count(*) FROM {q(d.internal)}.{q(v.name)}")
            out[v.name] = {-1: int(n)}
            continue
        rows = admin.execute(
            f"SELECT {q(col)}, count(*) FROM {q(d.internal)}.{q(v.name)} GROUP BY 1"
        ).fetchall()
        out[v.name] = {r[0]: int(r[1]) for r in rows}
    return out


def _personal_values(admin: psycopg.Connection[Any]) -> set[str]:
    """Real e-mail addresses, phone numbers and names of people in the raw tables."""
    queries = {
        "res_partner": "SELECT email, phone, mobile, CASE WHEN NOT coalesce(is_company, false) "
        "THEN name END, street FROM public.res_partner",
        "hr_employee": "SELECT name, work_email, private_email, work_phone, private_phone, "
        "mobile_phone FROM public.hr_employee",
        "crm_lead": "SELECT email_from, phone, contact_name, name FROM public.crm_lead",
        "res_users": "SELECT login, NULL FROM public.res_users",
    }
    values: set[str] = set()
    catalog = read_catalog(admin)
    for table, query in queries.items():
        if not catalog.has_table(table):
            continue
        try:
            with admin.transaction():
                for row in admin.execute(query):
                    values.update(str(v) for v in row if v)
        except psycopg.errors.UndefinedColumn:
            continue
    return values


def _as_role(
    admin_conninfo: str, role: LoginRole, password: str | None
) -> tuple[psycopg.Connection[Any] | None, str]:
    if not password:
        return None, f"{role.password_env} is not set"
    try:
        conn = psycopg.connect(
            make_conninfo(admin_conninfo, user=role.name, password=password),
            connect_timeout=15,
            autocommit=True,
        )
    except psycopg.OperationalError as exc:
        return None, redact.redact((str(exc).splitlines() or [""])[0])
    return conn, ""


def _role_checks(
    admin: psycopg.Connection[Any],
    conn: psycopg.Connection[Any],
    d: Desired,
    role: LoginRole,
    cfg: EnvConfig,
    raw: list[str],
    expected: dict[str, dict[int | None, int]],
    personal: set[str] | None,
) -> list[Check]:
    rn = role.name
    out: list[Check] = []

    def add(name: str, ok: bool, detail: str = "") -> None:
        out.append(Check(name, rn, ok, detail))

    a = admin.execute(
        "SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, "
        "rolbypassrls, rolconnlimit FROM pg_roles WHERE rolname = %s",
        (rn,),
    ).fetchone()
    assert a is not None
    bad = [n for n, v in zip(("superuser", "createdb", "createrole", "replication",
                              "bypassrls"), a[1:6], strict=True) if v]  # fmt: skip
    limit = int(a[6])
    add("role attributes", bool(a[0]) and not bad and 0 < limit <= cfg.access.connection_limit,
        f"connection limit {limit}" + (f"; has {', '.join(bad)}" if bad else ""))  # fmt: skip
    groups = [
        str(r[0])
        for r in admin.execute(
            "SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid "
            "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = %s",
            (rn,),
        )
    ]
    read_all = _one(admin, "SELECT pg_has_role(%s, 'pg_read_all_data', 'USAGE')", (rn,))
    add("member of no role (not pg_read_all_data)", not groups and not read_all,
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
    add("no default privileges on future objects", not defaults, ", ".join(defaults))
    shown = {
        k: str(_one(conn, f"SHOW {k}"))
        for k in (
            "default_transaction_read_only",
            "statement_timeout",
            "idle_in_transaction_session_timeout",
        )
    }
    conn.rollback()
    want_stmt = f"{cfg.access.statement_timeout_ms}ms"
    ok = (
        shown["default_transaction_read_only"] == "on"
        and _ms(shown["statement_timeout"]) == (cfg.access.statement_timeout_ms)
        and _ms(shown["idle_in_transaction_session_timeout"]) == cfg.access.idle_timeout_ms
    )
    add("read-only session, timeouts", ok,
        f"read_only={shown['default_transaction_read_only']}, statement_timeout="
        f"{shown['statement_timeout']} (want {want_stmt}), idle_in_transaction="
        f"{shown['idle_in_transaction_session_timeout']}")  # fmt: skip
    # SELECT on every view
    failed = []
    for v in d.views:
        bad_select, why = _fails(conn, f"SELECT * FROM {q(d.schema)}.{q(v.name)} LIMIT 1")
        if bad_select:
            failed.append(f"{v.name}: {why}")
    add(f"SELECT works on all {len(d.views)} views", not failed, "; ".join(failed))
    # raw tables: no privilege, and real attempts refused
    readable = [
        t for t in raw
        if _one(admin, "SELECT has_table_privilege(%s, %s, 'SELECT')", (rn, f"public.{q(t)}"))
    ]  # fmt: skip
    tried = [t for t in SENSITIVE_TABLES if t in raw] + [
        t for t in ("sale_order_line", "account_move", "hr_employee") if t in raw
    ]
    leaked = [t for t in tried if not _fails(conn, f"SELECT 1 FROM public.{q(t)} LIMIT 1")[0]]
    internal_open = not _fails(conn, f"SELECT 1 FROM {q(d.internal)}.company_scope LIMIT 1")[0]
    add(f"SELECT refused on all {len(raw)} raw Odoo tables",
        not readable and not leaked and not internal_open,
        ", ".join(sorted(set(readable + leaked)))
        + (" internal schema readable" if internal_open else ""))  # fmt: skip
    # nothing but SELECT on the published views
    published = {v.name for v in d.views}
    extra = []
    for schema, rel, priv in admin.execute(
        "SELECT n.nspname, c.relname, p.priv FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace CROSS JOIN unnest(%s::text[]) p(priv) "
        "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') "
        "AND n.nspname NOT LIKE 'pg_toast%%' AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') "
        "AND has_table_privilege(%s, c.oid, p.priv)",
        (list(PRIVS), rn),
    ):
        if not (schema == d.schema and rel in published and priv == "SELECT"):
            extra.append(f"{priv} on {schema}.{rel}")
    add("privileges: SELECT on the analytics views only", not extra, "; ".join(extra[:10]))
    # writes and DDL refused even with the session switched to read-write
    target = f"{q(d.schema)}.{q(d.views[0].name)}" if d.views else None
    writes: list[str] = []
    if target:
        first_col = d.views[0].template.columns[0].name if d.views[0].template.columns else "1"
        for stmt in (
            f"INSERT INTO {target} DEFAULT VALUES",
            f"UPDATE {target} SET {q(first_col)} = {q(first_col)}",
            f"DELETE FROM {target}",
            f"TRUNCATE {target}",
        ):
            refused, _why = _fails(conn, stmt, rw=True)
            if not refused:
                writes.append(stmt.split()[0])
        for v in d.views:
            for priv in ("INSERT", "UPDATE", "DELETE", "TRUNCATE"):
                if _one(admin, "SELECT has_table_privilege(%s, %s, %s)",
                        (rn, f"{q(d.schema)}.{q(v.name)}", priv)):  # fmt: skip
                    writes.append(f"{priv} on {v.name}")
    add("INSERT/UPDATE/DELETE/TRUNCATE on views refused", not writes, ", ".join(writes))
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
    allowed = [name for name, stmt in ddl.items() if not _fails(conn, stmt, rw=True)[0]]
    db_privs = [
        p for p in ("CREATE", "TEMPORARY")
        if _one(admin, "SELECT has_database_privilege(%s, current_database(), %s)", (rn, p))
    ]  # fmt: skip
    schemas_create = [
        str(r[0])
        for r in admin.execute(
            "SELECT nspname FROM pg_namespace WHERE has_schema_privilege(%s, oid, 'CREATE')",
            (rn,),
        )
    ]
    add("CREATE TABLE / TEMP TABLE / FUNCTION / SCHEMA refused",
        not allowed and not db_privs and not schemas_create,
        ", ".join(allowed + [f"{p} on database" for p in db_privs]
                  + [f"CREATE on schema {s}" for s in schemas_create]))  # fmt: skip
    # company scope: exactly the rows of its companies
    wrong = []
    for v in d.views:
        col = v.template.scope_column
        want = expected[v.name]
        if col is None:
            got = {-1: int(_one(conn, f"SELECT count(*) FROM {q(d.schema)}.{q(v.name)}"))}
        else:
            got = {
                r[0]: int(r[1])
                for r in conn.execute(
                    f"SELECT {q(col)}, count(*) FROM {q(d.schema)}.{q(v.name)} GROUP BY 1"
                )
            }
            want = {
                k: n for k, n in want.items()
                if role.company_ids is None or k in role.company_ids
                or (k is None and v.template.shared)
            }  # fmt: skip
        if got != want:
            wrong.append(v.name)
    conn.rollback()
    scope = "all companies" if role.company_ids is None else (
        "companies " + ", ".join(map(str, role.company_ids)))  # fmt: skip
    add(f"sees exactly its rows ({scope})", not wrong, ", ".join(wrong))
    if personal is not None:
        add(*_masking_check(conn, d, personal))
    return out


def _masking_check(
    conn: psycopg.Connection[Any], d: Desired, personal: set[str]
) -> tuple[str, bool, str]:
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


def verify(
    admin_conninfo: str,
    cfg: EnvConfig,
    passwords: Mapping[str, str],
    *,
    analytics_dir: Path | None = None,
) -> VerifyReport:
    """Run every check; the report is ``ok`` only when all pass."""
    dbname = _check_database(cfg, admin_conninfo)
    report = VerifyReport(dbname, cfg.environment)
    with _connect(admin_conninfo, autocommit=True) as admin:
        try:
            d = build_desired(cfg, read_catalog(admin), dbname, analytics_dir=analytics_dir)
            add = report.checks.append
            owner = admin.execute(
                "SELECT rolcanlogin, rolsuper FROM pg_roles WHERE rolname = %s", (d.owner,)
            ).fetchone()
            owner_ok = owner is not None and not owner[0] and not owner[1]
            add(Check(f"owner role {d.owner} exists, NOLOGIN", "", owner_ok,
                      "" if owner else "missing: run db apply"))  # fmt: skip
            if not owner:
                return report
            is_super = bool(
                _one(admin, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            )
            if not is_super:
                admin.execute(f"SET ROLE {q(d.owner)}")
            raw = _raw_tables(admin)
            views_present = {
                str(r[0])
                for r in admin.execute(
                    "SELECT c.relname FROM pg_class c JOIN pg_namespace n "
                    "ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind = 'v' "
                    "AND 'security_barrier=true' = ANY(c.reloptions)",
                    (d.schema,),
                )
            }
            missing = [v.name for v in d.views if v.name not in views_present]
            add(Check(f"all {len(d.views)} views exist with security_barrier", "", not missing,
                      ", ".join(missing)))  # fmt: skip
            personal_cols = [
                f"{r[0]}.{r[1]}"
                for r in admin.execute(
                    "SELECT table_name, column_name FROM information_schema.columns "
                    "WHERE table_schema = %s ORDER BY 1, 2",
                    (d.schema,),
                )
                if PERSONAL_COLUMN.search(str(r[1]))
            ]
            add(Check("no personal-data column in any view", "", not personal_cols,
                      ", ".join(personal_cols)))  # fmt: skip
            owner_reads: dict[str, set[str]] = {}
            for table, column in admin.execute(
                "SELECT c.relname, a.attname FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 "
                "AND NOT a.attisdropped WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') "
                "AND has_column_privilege(%s, c.oid, a.attnum, 'SELECT')",
                (d.owner,),
            ):
                owner_reads.setdefault(str(table), set()).add(str(column))
            wanted = d.erp_columns
            extra = sorted(
                f"{t}.{c}" for t, cols in owner_reads.items() for c in cols - wanted.get(t, set())
            )
            n_cols = sum(len(c) for c in wanted.values())
            add(Check(f"{d.owner} reads only the {n_cols} Odoo columns the views need", "",
                      not extra, ", ".join(extra[:12])))  # fmt: skip
            if missing:
                return report
            expected = _expected_counts(admin, d)
            personal = _personal_values(admin) if d.masking else None
            for role in d.roles:
                conn, why = _as_role(admin_conninfo, role, passwords.get(role.name))
                if conn is None:
                    add(Check("connects with its password", role.name, False, why))
                    continue
                with conn:
                    add(Check("connects with its password", role.name, True))
                    report.checks.extend(
                        _role_checks(admin, conn, d, role, cfg, raw, expected, personal)
                    )
            if not is_super:
                admin.execute("RESET ROLE")
        except psycopg.Error as exc:
            raise DatabaseError(f"verify failed to run: {redact.redact(str(exc))}") from None
    return report


def require_verified(report: VerifyReport) -> None:
    """Raise :class:`DatabaseError` unless every check passed (the prod gate)."""
    if not report.ok:
        names = "; ".join(f"{c.role or 'database'}: {c.name}" for c in report.failures[:5])
        raise DatabaseError(f"db verify failed for {report.database}: {names}")


def verify_env(env: Environment) -> VerifyReport:
    """:func:`verify` for an environment: admin URL and passwords from its variables."""
    cfg = env.config
    return verify(
        admin_url(cfg, env.environ),
        cfg,
        role_passwords(cfg, env.environ),
        analytics_dir=env.paths.analytics,
    )


def gate_env(env: Environment) -> VerifyReport | None:
    """The provisioning gate: where ``flags.strict_read_only`` is on (prod), run
    :func:`verify` and raise :class:`DatabaseError` unless every check passed; elsewhere
    return None without connecting."""
    if not env.strict:
        return None
    report = verify_env(env)
    require_verified(report)
    return report
