"""Plan and apply the access model: roles, grants, company scoping, analytics views.

``plan`` compares what the database holds with what the config and the view templates ask for
and lists only the statements that close the gap (:mod:`.planner`); ``apply`` runs them in one
transaction (under an advisory lock), then plans again and fails unless nothing is left: a
second ``apply`` changes nothing. Passwords are sent as SCRAM verifiers computed on the client,
never in clear, and plans print them as ``***``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import psycopg

from supersetctl import pg, redact
from supersetctl.contract.environment import Environment
from supersetctl.contract.models import EnvConfig
from supersetctl.errors import ConfigError, DatabaseError

from .admin import admin_args, check_database, connect_admin
from .model import ApplyResult, Desired, Plan, build_desired
from .planner import Verifier, make_plan
from .state import inspect
from .views import read_catalog

log = logging.getLogger(__name__)

LOCK_KEY = "supersetctl-db-apply"


def _verifier(conn: psycopg.Connection[Any]) -> Verifier:
    def make(role: str, password: str) -> str:
        out = conn.pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256")
        return out.decode()

    return make


def _desired(
    conn: psycopg.Connection[Any], cfg: EnvConfig, dbname: str, analytics_dir: Path | None
) -> Desired:
    return build_desired(cfg, read_catalog(conn), dbname, analytics_dir=analytics_dir)


def plan(
    admin_conninfo: str,
    cfg: EnvConfig,
    passwords: Mapping[str, str] | None = None,
    *,
    analytics_dir: Path | None = None,
) -> Plan:
    """What :func:`apply` would run now (read-only)."""
    dbname = check_database(cfg, admin_conninfo)
    pw = dict(passwords or {})
    with connect_admin(admin_conninfo, autocommit=True) as conn, pg.translated("planning failed"):
        d = _desired(conn, cfg, dbname, analytics_dir)
        cur = inspect(conn, d, admin_conninfo, pw)
        return make_plan(d, cur, pw, _verifier(conn))


def apply(
    admin_conninfo: str,
    cfg: EnvConfig,
    passwords: Mapping[str, str],
    *,
    analytics_dir: Path | None = None,
) -> ApplyResult:
    """Bring the database to the access model in one transaction; safe to re-run.

    Returns what changed (nothing on a second run). Raises :class:`ConfigError` when a login
    role must be created and its password variable is not set, :class:`DatabaseError` when
    PostgreSQL refuses (nothing is changed then).
    """
    started = time.monotonic()
    dbname = check_database(cfg, admin_conninfo)
    pw = dict(passwords)
    for value in pw.values():
        redact.register(value)
    with connect_admin(admin_conninfo) as conn, pg.translated("apply failed, nothing changed"):
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (LOCK_KEY,))
            d = _desired(conn, cfg, dbname, analytics_dir)
            cur = inspect(conn, d, admin_conninfo, pw)
            missing = [r for r in d.roles if r.name not in cur.roles and r.name not in pw]
            if missing:
                envs = ", ".join(r.password_env for r in missing)
                raise ConfigError(
                    f"cannot create login role(s) {', '.join(r.name for r in missing)} "
                    f"without a password: set {envs}"
                )
            p = make_plan(d, cur, pw, _verifier(conn))
            for step in p.steps:
                log.debug("apply: %s", step.summary)
                conn.execute(step.sql)
        if p.has_changes:
            again = plan(admin_conninfo, cfg, pw, analytics_dir=analytics_dir)
            if again.has_changes:
                left = "; ".join(s.summary for s in again.changes[:5])
                raise DatabaseError(f"apply did not converge; still to do: {left}")
    summaries = tuple(s.summary for s in p.changes)
    log.info("applied %d change(s) to %s", len(summaries), dbname)
    return ApplyResult(dbname, bool(summaries), summaries, len(p.steps),
                       time.monotonic() - started, tuple(p.notes))  # fmt: skip


def plan_env(env: Environment) -> Plan:
    """:func:`plan` for an environment: admin URL and passwords from its variables."""
    return plan(*admin_args(env), analytics_dir=env.paths.analytics)


def apply_env(env: Environment) -> ApplyResult:
    """:func:`apply` for an environment: admin URL and passwords from its variables."""
    return apply(*admin_args(env), analytics_dir=env.paths.analytics)
