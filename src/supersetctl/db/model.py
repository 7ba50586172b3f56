"""The desired access model of one environment, derived from its config and the database.

Names (from ``config/<env>/environment.yaml``, ``access``):

- ``<analytics_schema>`` (default ``analytics``): the published ``security_barrier`` views,
  the only thing the BI roles may read;
- ``<analytics_schema>_internal``: the unscoped base views, the materialized summaries and the
  ``company_scope`` mapping (role -> companies); nobody but the owner can read it;
- ``<owner_role>`` (default ``analytics_owner``): NOLOGIN, owns both schemas and everything in
  them, holds SELECT on exactly the Odoo tables the views read;
- login roles: the primary database's ``user`` (every company) and each ``scoped_roles`` entry
  (its ``company_ids`` only).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from supersetctl import redact
from supersetctl.contract.models import EnvConfig
from supersetctl.errors import ConfigError

from .views import Catalog, RenderedView, RenderOptions, ViewTemplate, load_templates, render_all

MARK = "supersetctl:"


@dataclass(frozen=True)
class LoginRole:
    """A Superset login role; ``company_ids`` None means every company."""

    name: str
    password_env: str
    company_ids: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Desired:
    database: str
    schema: str
    internal: str
    owner: str
    roles: tuple[LoginRole, ...]
    settings: Mapping[str, str]
    connection_limit: int
    views: tuple[RenderedView, ...]
    skipped: tuple[str, ...] = ()
    masking: bool = False

    @property
    def role_names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.roles)

    @property
    def erp_tables(self) -> tuple[str, ...]:
        return tuple(sorted({t for v in self.views for t in v.tables}))

    @property
    def erp_columns(self) -> dict[str, frozenset[str]]:
        """Odoo table -> the columns the views read: what the owner may SELECT."""
        out: dict[str, set[str]] = {}
        for v in self.views:
            for table, cols in v.columns.items():
                out.setdefault(table, set()).update(cols)
        return {t: frozenset(c) for t, c in sorted(out.items())}

    @property
    def view_names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.views)

    def scope_rows(self) -> set[tuple[str, int | None]]:
        rows: set[tuple[str, int | None]] = set()
        for r in self.roles:
            if r.company_ids is None:
                rows.add((r.name, None))
            else:
                rows.update((r.name, c) for c in r.company_ids)
        return rows


def login_roles(cfg: EnvConfig) -> tuple[LoginRole, ...]:
    key, db = cfg.primary_database
    roles = [LoginRole(db.user, db.password_env, None)]
    for s in cfg.access.scoped_roles:
        if s.database != key:
            continue
        if s.name in (r.name for r in roles):
            raise ConfigError(f"role {s.name} is declared twice in access.scoped_roles")
        roles.append(LoginRole(s.name, s.password_env, tuple(sorted(set(s.company_ids)))))
    names = {r.name for r in roles}
    if cfg.access.owner_role in names:
        raise ConfigError("access.owner_role must differ from the login roles")
    return tuple(roles)


def role_passwords(cfg: EnvConfig, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Passwords of the login roles from their environment variables (absent ones skipped).

    Every value read is registered for redaction.
    """
    env = os.environ if environ is None else environ
    out = {}
    for r in login_roles(cfg):
        value = env.get(r.password_env)
        if value:
            redact.register(value)
            out[r.name] = value
    return out


def admin_url(cfg: EnvConfig, environ: Mapping[str, str] | None = None) -> str:
    """The admin connection URL from ``access.admin_url_env``; registered for redaction."""
    env = os.environ if environ is None else environ
    name = cfg.access.admin_url_env
    value = env.get(name)
    if not value:
        raise ConfigError(
            f"the admin connection URL is not set: export {name}",
            hint="a role that owns the Odoo tables (or a superuser) with CREATEROLE, e.g. "
            "postgresql://USER:PASSWORD@HOST:PORT/DBNAME?sslmode=require",
        )
    redact.register_uri(value)
    return value


def internal_schema(schema: str) -> str:
    return f"{schema}_internal"


def default_analytics_dir() -> Path:
    from supersetctl.paths import repo

    return repo().analytics


def build_desired(
    cfg: EnvConfig,
    catalog: Catalog,
    database: str,
    *,
    templates: list[ViewTemplate] | None = None,
    analytics_dir: Path | None = None,
) -> Desired:
    a = cfg.access
    if templates is None:
        templates = load_templates(analytics_dir or default_analytics_dir())
    internal = internal_schema(a.analytics_schema)
    opts = RenderOptions(internal, language=a.language, masking=cfg.flags.masking)
    views, skipped = render_all(templates, catalog, opts)
    settings = {
        "default_transaction_read_only": "on",
        "statement_timeout": str(a.statement_timeout_ms),
        "idle_in_transaction_session_timeout": str(a.idle_timeout_ms),
        "search_path": a.analytics_schema,
    }
    return Desired(
        database=database,
        schema=a.analytics_schema,
        internal=internal,
        owner=a.owner_role,
        roles=login_roles(cfg),
        settings=settings,
        connection_limit=a.connection_limit,
        views=tuple(views),
        skipped=tuple(skipped),
        masking=cfg.flags.masking,
    )


@dataclass(frozen=True)
class Step:
    """One statement of a plan: ``sql`` runs, ``shown`` is what plans and logs print."""

    topic: str
    summary: str
    sql: str
    shown: str = ""

    @property
    def display(self) -> str:
        return self.shown or self.sql


@dataclass
class Plan:
    database: str
    steps: list[Step] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def changes(self) -> list[Step]:
        """Steps that change something (not the SET ROLE / RESET ROLE brackets)."""
        return [s for s in self.steps if s.topic != "session"]

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    def script(self) -> str:
        """The SQL it would run, secrets redacted, as one transaction."""
        if not self.has_changes:
            return "-- nothing to change\n"
        body = "".join(f"-- {s.summary}\n{s.display};\n" for s in self.steps)
        return f"BEGIN;\n{body}COMMIT;\n"

    def to_dict(self) -> dict[str, object]:
        return {
            "database": self.database,
            "changes": len(self.changes),
            "steps": [
                {"topic": s.topic, "summary": s.summary, "sql": redact.redact(s.display)}
                for s in self.steps
            ],
            "notes": self.notes,
        }


@dataclass(frozen=True)
class ApplyResult:
    database: str
    changed: bool
    summaries: tuple[str, ...]
    statements: int
    seconds: float
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "database": self.database,
            "changed": self.changed,
            "changes": list(self.summaries),
            "statements": self.statements,
            "seconds": round(self.seconds, 2),
            "notes": list(self.notes),
        }
