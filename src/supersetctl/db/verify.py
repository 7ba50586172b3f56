"""Prove the access model on a live database, connecting as each Superset login role.

Every property is tested by trying it, not only by reading the catalogs: the role SELECTs from
every view, is refused on every raw Odoo table, cannot write to views or create anything even
after switching its session out of read-only mode, and sees exactly its companies' rows.
The database-wide checks are here; the checks run as each role are :mod:`.role_checks`'.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo

from supersetctl import pg, redact
from supersetctl.contract.environment import Environment
from supersetctl.contract.models import EnvConfig
from supersetctl.errors import DatabaseError

from .admin import admin_args, check_database, connect_admin
from .ddl import q
from .model import Desired, build_desired
from .role_checks import Check, one, role_checks
from .views import read_catalog

log = logging.getLogger(__name__)

PERSONAL_COLUMN = re.compile(
    r"email|phone|mobile|street|(^|_)zip|(^|_)vat|birth|ssn|identification|password|login|"
    r"private|passport|bank|iban|gender|marital"
)


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
            n = one(admin, f"SELECT count(*) FROM {q(d.internal)}.{q(v.name)}")
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


def _database_checks(
    admin: psycopg.Connection[Any], d: Desired, add: Callable[[Check], None]
) -> list[str]:
    """The views exist as security barriers, none has a personal-data column, and the owner
    reads only the Odoo columns the views need; returns the views missing."""
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
    return missing


def _every_role(
    admin: psycopg.Connection[Any],
    admin_conninfo: str,
    d: Desired,
    cfg: EnvConfig,
    passwords: Mapping[str, str],
    raw: list[str],
    add: Callable[[Check], None],
) -> None:
    """Log in as each login role with its password, then run its checks."""
    expected = _expected_counts(admin, d)
    personal = _personal_values(admin) if d.masking else None
    for role in d.roles:
        password = passwords.get(role.name)
        if not password:
            add(Check("connects with its password", role.name, False,
                      f"{role.password_env} is not set"))  # fmt: skip
            continue
        as_role = make_conninfo(admin_conninfo, user=role.name, password=password)
        conn, why = pg.try_connect(as_role, autocommit=True)
        if conn is None:
            add(Check("connects with its password", role.name, False, why))
            continue
        with conn:
            add(Check("connects with its password", role.name, True))
            for check in role_checks(admin, conn, d, role, cfg, raw, expected, personal):
                add(check)


def verify(
    admin_conninfo: str,
    cfg: EnvConfig,
    passwords: Mapping[str, str],
    *,
    analytics_dir: Path | None = None,
) -> VerifyReport:
    """Run every check; the report is ``ok`` only when all pass."""
    dbname = check_database(cfg, admin_conninfo)
    report = VerifyReport(dbname, cfg.environment)
    add = report.checks.append
    with (
        connect_admin(admin_conninfo, autocommit=True) as admin,
        pg.translated("verify failed to run"),
    ):
        d = build_desired(cfg, read_catalog(admin), dbname, analytics_dir=analytics_dir)
        owner = admin.execute(
            "SELECT rolcanlogin, rolsuper FROM pg_roles WHERE rolname = %s", (d.owner,)
        ).fetchone()
        owner_ok = owner is not None and not owner[0] and not owner[1]
        add(Check(f"owner role {d.owner} exists, NOLOGIN", "", owner_ok,
                  "" if owner else "missing: run db apply"))  # fmt: skip
        if not owner:
            return report
        is_super = bool(one(admin, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))
        if not is_super:
            admin.execute(f"SET ROLE {q(d.owner)}")
        raw = _raw_tables(admin)
        if _database_checks(admin, d, add):
            return report
        _every_role(admin, admin_conninfo, d, cfg, passwords, raw, add)
        if not is_super:
            admin.execute("RESET ROLE")
    return report


def require_verified(report: VerifyReport) -> None:
    """Raise :class:`DatabaseError` unless every check passed (the prod gate)."""
    if not report.ok:
        names = "; ".join(f"{c.role or 'database'}: {c.name}" for c in report.failures[:5])
        raise DatabaseError(f"db verify failed for {report.database}: {names}")


def verify_env(env: Environment) -> VerifyReport:
    """:func:`verify` for an environment: admin URL and passwords from its variables."""
    return verify(*admin_args(env), analytics_dir=env.paths.analytics)


def gate_env(env: Environment) -> VerifyReport | None:
    """The provisioning gate: where ``flags.strict_read_only`` is on (prod), run
    :func:`verify` (Odoo's database) and every other declared source's checks
    (:mod:`.source_checks`), and raise :class:`DatabaseError` unless every check passed;
    elsewhere return None without connecting."""
    if not env.strict:
        return None
    from .source_checks import secondary_sources, verify_source  # it builds on this module

    report = verify_env(env)
    require_verified(report)
    for key in secondary_sources(env):
        require_verified(verify_source(env, key))
    return report
