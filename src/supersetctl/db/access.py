"""Plan and apply the access model: roles, grants, company scoping, analytics views.

``plan`` compares what the database holds with what the config and the view templates ask for
and lists only the statements that close the gap; ``apply`` runs them in one transaction (under
an advisory lock), then plans again and fails unless nothing is left: a second ``apply`` changes
nothing. Passwords are sent as SCRAM verifiers computed on the client, never in clear, and
plans print them as ``***``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

from supersetctl import redact
from supersetctl.contract.environment import Environment
from supersetctl.contract.models import EnvConfig
from supersetctl.errors import ConfigError, DatabaseError

from .model import (
    MARK,
    ApplyResult,
    Desired,
    Plan,
    Step,
    admin_url,
    build_desired,
    role_passwords,
)
from .state import Current, inspect
from .views import RenderedView, read_catalog

log = logging.getLogger(__name__)

LOCK_KEY = "supersetctl-db-apply"
PRIVS = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")


def q(name: str) -> str:
    """A quoted identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def scope_filter(internal: str, column: str | None, shared: bool) -> str:
    """The WHERE clause of a published view: rows of the caller's companies only.

    Both sub-selects are uncorrelated (evaluated once per query, not per row).
    """
    table = f"{q(internal)}.company_scope"
    mine = f"SELECT {{}} FROM {table} s WHERE s.role_name = current_user"
    if column is None:
        return f"EXISTS ({mine.format('1')})"
    parts = [
        f"t.{q(column)} = ANY (ARRAY({mine.format('s.company_id')}))",
        f"coalesce(({mine.format('bool_or(s.company_id IS NULL)')}), false)",
    ]
    if shared:
        parts.append(f"(t.{q(column)} IS NULL AND EXISTS ({mine.format('1')}))")
    return "\n   OR ".join(parts)


def wrapper_sql(d: Desired, v: RenderedView) -> str:
    t = v.template
    where = scope_filter(d.internal, t.scope_column, t.shared)
    return (
        f"CREATE VIEW {q(d.schema)}.{q(v.name)} WITH (security_barrier = true) AS\n"
        f"SELECT * FROM {q(d.internal)}.{q(v.name)} t\nWHERE {where}"
    )


def base_sql(d: Desired, v: RenderedView) -> list[str]:
    t = v.template
    target = f"{q(d.internal)}.{q(v.name)}"
    if t.kind == "materialized":
        out = [f"CREATE MATERIALIZED VIEW {target} AS\n{v.sql.rstrip()}\nWITH DATA"]
        cols = ", ".join(q(c) for c in t.unique)
        out.append(f"CREATE UNIQUE INDEX {q(v.name + '_key')} ON {target} ({cols})")
        for i, index in enumerate(t.indexes, start=1):
            cols = ", ".join(q(c) for c in index)
            out.append(f"CREATE INDEX {q(f'{v.name}_idx{i}')} ON {target} ({cols})")
        return out
    return [f"CREATE VIEW {target} AS\n{v.sql.rstrip()}"]


def base_digest(d: Desired, v: RenderedView) -> str:
    import hashlib

    text = "\n".join(base_sql(d, v))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def wrapper_digest(d: Desired, v: RenderedView) -> str:
    import hashlib

    docs = "|".join(f"{c.name}:{c.description}" for c in v.template.columns)
    text = wrapper_sql(d, v) + v.template.description + docs
    return hashlib.sha256(text.encode()).hexdigest()[:16]


_KIND_WORD = {"v": "VIEW", "m": "MATERIALIZED VIEW", "r": "TABLE", "S": "SEQUENCE",
              "f": "FOREIGN TABLE", "p": "TABLE"}  # fmt: skip


def make_plan(
    d: Desired,
    cur: Current,
    passwords: Mapping[str, str],
    verifier: Any,
) -> Plan:
    """The statements that turn ``cur`` into ``d``; ``verifier(role, password)`` -> SCRAM text."""
    plan = Plan(d.database, notes=list(d.skipped))
    add = plan.steps.append
    owner, schema, internal = d.owner, d.schema, d.internal

    # -- roles
    o = cur.roles.get(owner)
    if o is None:
        add(Step("role", f"create the NOLOGIN owner role {owner}",
                 f"CREATE ROLE {q(owner)} NOLOGIN NOINHERIT"))  # fmt: skip
    elif o.login or o.superuser or o.createdb or o.createrole or o.replication or o.bypassrls:
        add(Step("role", f"strip attributes of {owner}",
                 f"ALTER ROLE {q(owner)} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
                 "NOREPLICATION NOBYPASSRLS"))  # fmt: skip
    if not cur.is_superuser and not cur.admin_in_owner:
        add(Step("role", f"let {cur.current_user} act as {owner}",
                 f"GRANT {q(owner)} TO {q(cur.current_user)}"))  # fmt: skip
    attrs = (
        f"LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT "
        f"CONNECTION LIMIT {d.connection_limit}"
    )
    for role in d.roles:
        r = cur.roles.get(role.name)
        pw = passwords.get(role.name)
        if r is None:
            if pw is None:
                plan.notes.append(f"{role.name}: no password ({role.password_env} is not set)")
                add(Step("role", f"create login role {role.name}",
                         f"CREATE ROLE {q(role.name)} {attrs}",
                         f"CREATE ROLE {q(role.name)} {attrs} PASSWORD '***'"))  # fmt: skip
            else:
                ver = verifier(role.name, pw)
                redact.register(ver)
                add(Step("role", f"create login role {role.name}",
                         f"CREATE ROLE {q(role.name)} {attrs} PASSWORD {lit(ver)}",
                         f"CREATE ROLE {q(role.name)} {attrs} PASSWORD '***'"))  # fmt: skip
        else:
            wrong = (
                not r.login or r.superuser or r.createdb or r.createrole or r.replication
                or r.bypassrls or r.inherit or r.connlimit != d.connection_limit
            )  # fmt: skip
            if wrong:
                add(Step("role", f"reset attributes of {role.name}",
                         f"ALTER ROLE {q(role.name)} {attrs}"))  # fmt: skip
            if pw is None:
                plan.notes.append(
                    f"{role.name}: password left as is ({role.password_env} is not set)"
                )
            elif not cur.password_ok.get(role.name, False):
                ver = verifier(role.name, pw)
                redact.register(ver)
                add(Step("role", f"set the password of {role.name} from {role.password_env}",
                         f"ALTER ROLE {q(role.name)} PASSWORD {lit(ver)}",
                         f"ALTER ROLE {q(role.name)} PASSWORD '***'"))  # fmt: skip
        have = cur.settings.get(role.name, {})
        for key, value in d.settings.items():
            if have.get(key) != value:
                add(Step("role", f"{role.name}: {key} = {value}",
                         f"ALTER ROLE {q(role.name)} SET {key} = {lit(value)}"))  # fmt: skip
        for group in sorted(cur.member_of.get(role.name, set())):
            add(Step("role", f"{role.name} leaves role {group}",
                     f"REVOKE {q(group)} FROM {q(role.name)}"))  # fmt: skip

    # -- database and schema public
    db = q(d.database)
    if cur.public_db_temp:
        add(Step("database", "PUBLIC may no longer create temporary tables",
                 f"REVOKE TEMPORARY ON DATABASE {db} FROM PUBLIC"))  # fmt: skip
    if "TEMPORARY" not in cur.db_grants.get(owner, set()):
        add(Step("grant", f"{owner} may use temporary tables (concurrent refresh needs them)",
                 f"GRANT TEMPORARY ON DATABASE {db} TO {q(owner)}"))  # fmt: skip
    for role in d.roles:
        held = cur.db_grants.get(role.name, set())
        if "CONNECT" not in held:
            add(Step("grant", f"{role.name} may connect to {d.database}",
                     f"GRANT CONNECT ON DATABASE {db} TO {q(role.name)}"))  # fmt: skip
        extra = sorted(held - {"CONNECT"})
        if extra:
            lost = ", ".join(extra)
            add(Step("revoke", f"{role.name} loses {lost} on {d.database}",
                     f"REVOKE {lost} ON DATABASE {db} FROM {q(role.name)}"))  # fmt: skip
    if cur.public_schema_create:
        add(Step("database", "PUBLIC may no longer create objects in schema public",
                 "REVOKE CREATE ON SCHEMA public FROM PUBLIC"))  # fmt: skip

    # -- schemas
    for s in (schema, internal):
        if s not in cur.schemas:
            add(Step("schema", f"create schema {s}",
                     f"CREATE SCHEMA {q(s)} AUTHORIZATION {q(owner)}"))  # fmt: skip
        elif cur.schemas[s] != owner:
            add(Step("schema", f"schema {s} is owned by {owner}",
                     f"ALTER SCHEMA {q(s)} OWNER TO {q(owner)}"))  # fmt: skip
    for (grantee, s), privs in sorted(cur.schema_grants.items()):
        if grantee not in d.role_names:
            continue
        allowed = {"USAGE"} if s == schema else set()
        extra = sorted(privs - allowed)
        if extra:
            add(Step("revoke", f"{grantee} loses {', '.join(extra)} on schema {s}",
                     f"REVOKE {', '.join(extra)} ON SCHEMA {q(s)} FROM {q(grantee)}"))  # fmt: skip
        if s == schema and "USAGE" not in privs:
            pass  # granted below
    for s in (schema, internal):
        public = cur.schema_grants.get(("PUBLIC", s), set())
        if public and cur.schemas.get(s) is not None:
            add(Step("revoke", f"PUBLIC loses {', '.join(sorted(public))} on schema {s}",
                     f"REVOKE ALL ON SCHEMA {q(s)} FROM PUBLIC"))  # fmt: skip

    # -- the owner reads exactly the Odoo columns the views need
    public_usage = "USAGE" in cur.schema_grants.get(("PUBLIC", "public"), set())
    if not cur.owner_public_usage and not public_usage:
        add(Step("grant", f"{owner} may use schema public",
                 f"GRANT USAGE ON SCHEMA public TO {q(owner)}"))  # fmt: skip
    needed = d.erp_columns
    for table, cols in needed.items():
        direct = cur.table_grants.get((owner, "public", table), set())
        if "SELECT" in direct:
            add(Step("revoke", f"{owner} reads public.{table} by column, not whole",
                     f"REVOKE SELECT ON public.{q(table)} FROM {q(owner)}"))  # fmt: skip
        # revoking the table-level privilege revokes its column privileges too
        held_cols = set() if "SELECT" in direct else cur.owner_columns.get(table, set())
        grant = sorted(cols - held_cols)
        if grant:
            names = ", ".join(q(c) for c in grant)
            add(Step("grant", f"{owner} may read {len(grant)} column(s) of public.{table}",
                     f"GRANT SELECT ({names}) ON public.{q(table)} TO {q(owner)}"))  # fmt: skip
        extra_cols = sorted(held_cols - cols)
        if extra_cols:
            names = ", ".join(q(c) for c in extra_cols)
            add(Step("revoke", f"{owner} loses {len(extra_cols)} column(s) of public.{table}",
                     f"REVOKE SELECT ({names}) ON public.{q(table)} FROM {q(owner)}"))  # fmt: skip
    for table, held in sorted(cur.owner_columns.items()):
        if table not in needed:
            names = ", ".join(q(c) for c in sorted(held))
            add(Step("revoke", f"{owner} loses the columns of public.{table}",
                     f"REVOKE SELECT ({names}) ON public.{q(table)} FROM {q(owner)}"))  # fmt: skip
    for (grantee, s, rel), privs in sorted(cur.table_grants.items()):
        if grantee != owner or s != "public":
            continue
        surplus = sorted(privs - {"SELECT"} if rel in needed else privs)
        if surplus:
            lost = ", ".join(surplus)
            add(Step("revoke", f"{owner} loses {lost} on public.{rel}",
                     f"REVOKE {lost} ON public.{q(rel)} FROM {q(owner)}"))  # fmt: skip

    # -- objects owned by the owner role: mapping table, views
    owned: list[Step] = []
    put = owned.append
    if not cur.scope_table:
        put(Step("scope", "create the role -> companies mapping",
                 f"CREATE TABLE {q(internal)}.company_scope (role_name name NOT NULL, "
                 "company_id integer)"))  # fmt: skip
        put(Step("scope", "one row per role and company",
                 f"CREATE UNIQUE INDEX company_scope_key ON {q(internal)}.company_scope "
                 "(role_name, coalesce(company_id, -1))"))  # fmt: skip
    want_rows = d.scope_rows()
    for rname, company in sorted(cur.scope_rows - want_rows, key=str):
        cond = "company_id IS NULL" if company is None else f"company_id = {int(company)}"
        put(Step("scope", f"{rname} no longer sees company {company or 'ALL'}",
                 f"DELETE FROM {q(internal)}.company_scope WHERE role_name = {lit(rname)} "
                 f"AND {cond}"))  # fmt: skip
    for rname, company in sorted(want_rows - cur.scope_rows, key=str):
        value = "NULL" if company is None else str(int(company))
        put(Step("scope", f"{rname} sees company {company or 'ALL'}",
                 f"INSERT INTO {q(internal)}.company_scope (role_name, company_id) "
                 f"VALUES ({lit(rname)}, {value})"))  # fmt: skip
        if company is not None and cur.companies and company not in cur.companies:
            plan.notes.append(f"{rname}: company {company} does not exist in res_company")

    # views: which ones change (a changed base drags its dependents and wrapper along)
    changed_base: set[str] = set()
    changed_wrap: set[str] = set()
    for v in d.views:
        kind = "m" if v.template.kind == "materialized" else "v"
        if (
            cur.kind(internal, v.name) != kind
            or cur.digest(internal, v.name) != base_digest(d, v)
            or any(dep in changed_base for dep in v.template.depends)
        ):
            changed_base.add(v.name)
        if (
            v.name in changed_base
            or cur.kind(schema, v.name) != "v"
            or cur.digest(schema, v.name) != wrapper_digest(d, v)
        ):
            changed_wrap.add(v.name)
    wanted = {(internal, "company_scope"), (internal, "company_scope_key")}
    wanted |= {(internal, v.name) for v in d.views} | {(schema, v.name) for v in d.views}
    for (s, name), (kind, _c) in sorted(cur.objects.items()):
        if (s, name) in wanted or kind not in _KIND_WORD:
            continue
        put(Step("view", f"drop {s}.{name}, no longer defined",
                 f"DROP {_KIND_WORD[kind]} IF EXISTS {q(s)}.{q(name)} CASCADE"))  # fmt: skip
    for v in reversed(d.views):
        if v.name in changed_wrap and cur.kind(schema, v.name):
            word = _KIND_WORD.get(cur.kind(schema, v.name) or "v", "VIEW")
            put(Step("view", f"drop {schema}.{v.name} to recreate it",
                     f"DROP {word} IF EXISTS {q(schema)}.{q(v.name)} CASCADE"))  # fmt: skip
        if v.name in changed_base and cur.kind(internal, v.name):
            word = _KIND_WORD.get(cur.kind(internal, v.name) or "v", "VIEW")
            put(Step("view", f"drop {internal}.{v.name} to recreate it",
                     f"DROP {word} IF EXISTS {q(internal)}.{q(v.name)} CASCADE"))  # fmt: skip
    for v in d.views:
        t = v.template
        if v.name in changed_base:
            word = "MATERIALIZED VIEW" if t.kind == "materialized" else "VIEW"
            for i, stmt in enumerate(base_sql(d, v)):
                what = "fill" if i == 0 and t.kind == "materialized" else "create"
                put(Step("view", f"{what} {internal}.{v.name}" + (" (index)" if i else ""),
                         stmt))  # fmt: skip
            put(Step("view", f"mark {internal}.{v.name}",
                     f"COMMENT ON {word} {q(internal)}.{q(v.name)} IS "
                     f"{lit(MARK + base_digest(d, v))}"))  # fmt: skip
        if v.name in changed_wrap:
            put(Step("view", f"publish {schema}.{v.name} (security_barrier, company scope)",
                     wrapper_sql(d, v)))  # fmt: skip
            comment = f"{t.description} ({MARK}{wrapper_digest(d, v)})"
            put(Step("view", f"describe {schema}.{v.name}",
                     f"COMMENT ON VIEW {q(schema)}.{q(v.name)} IS {lit(comment)}"))  # fmt: skip
            for c in t.columns:
                put(Step("view", f"describe {schema}.{v.name}.{c.name}",
                         f"COMMENT ON COLUMN {q(schema)}.{q(v.name)}.{q(c.name)} IS "
                         f"{lit(c.description)}"))  # fmt: skip
    if owned:
        add(Step("session", f"act as {owner}", f"SET LOCAL ROLE {q(owner)}"))
        plan.steps.extend(owned)
        add(Step("session", f"back to {cur.current_user}", "RESET ROLE"))

    # -- the login roles: USAGE on the schema, SELECT on each view, nothing else
    for role in d.roles:
        rn = role.name
        if "USAGE" not in cur.schema_grants.get((rn, schema), set()):
            add(Step("grant", f"{rn} may use schema {schema}",
                     f"GRANT USAGE ON SCHEMA {q(schema)} TO {q(rn)}"))  # fmt: skip
        to_grant = [
            v.name
            for v in d.views
            if v.name in changed_wrap
            or "SELECT" not in cur.table_grants.get((rn, schema, v.name), set())
        ]
        if to_grant:
            names = ", ".join(f"{q(schema)}.{q(n)}" for n in to_grant)
            add(Step("grant", f"{rn} may read {len(to_grant)} view(s) of {schema}",
                     f"GRANT SELECT ON {names} TO {q(rn)}"))  # fmt: skip
    published = {v.name for v in d.views}
    for (grantee, s, rel), privs in sorted(cur.table_grants.items()):
        if grantee == owner:
            continue
        if s in (schema, internal) and (s, rel) not in wanted:
            continue  # dropped above
        if grantee == "PUBLIC":
            if (s, rel) in wanted or s in (schema, internal):
                add(Step("revoke", f"PUBLIC loses its grants on {s}.{rel}",
                         f"REVOKE ALL ON {q(s)}.{q(rel)} FROM PUBLIC"))  # fmt: skip
            continue
        allowed = {"SELECT"} if s == schema and rel in published else set()
        if s == schema and rel in changed_wrap:
            continue  # recreated: holds no grant any more
        extra = sorted(privs - allowed)
        if extra:
            add(Step("revoke", f"{grantee} loses {', '.join(extra)} on {s}.{rel}",
                     f"REVOKE ALL ON {q(s)}.{q(rel)} FROM {q(grantee)}"))  # fmt: skip
            if allowed & privs:
                add(Step("grant", f"{grantee} may read {s}.{rel}",
                         f"GRANT SELECT ON {q(s)}.{q(rel)} TO {q(grantee)}"))  # fmt: skip
    words = {"r": "TABLES", "S": "SEQUENCES", "f": "FUNCTIONS", "T": "TYPES", "n": "SCHEMAS"}
    for definer, acl_schema, objtype, grantee in cur.default_acls:
        where = f" IN SCHEMA {q(acl_schema)}" if acl_schema else ""
        add(Step("revoke", f"{grantee} gets nothing by default from {definer}'s new objects",
                 f"ALTER DEFAULT PRIVILEGES FOR ROLE {q(definer)}{where} REVOKE ALL ON "
                 f"{words.get(objtype, 'TABLES')} FROM {q(grantee)}"))  # fmt: skip
    return plan


# ----------------------------------------------------------------------------- entry points


def _check_database(cfg: EnvConfig, conninfo: str) -> str:
    try:
        params = conninfo_to_dict(conninfo)
    except psycopg.ProgrammingError as exc:
        raise ConfigError(f"the admin connection URL is invalid: {exc}") from None
    dbname = str(params.get("dbname") or params.get("user") or "")
    _key, db = cfg.primary_database
    if dbname != db.database:
        raise ConfigError(
            f"the admin connection URL points at database '{dbname}', the {cfg.environment} "
            f"config at '{db.database}'",
            hint="fix the URL, or `databases.*.database` in the config",
        )
    return dbname


def _connect(conninfo: str, **kw: Any) -> psycopg.Connection[Any]:
    try:
        return psycopg.connect(conninfo, connect_timeout=15, **kw)
    except psycopg.OperationalError as exc:
        raise DatabaseError(f"cannot connect as admin: {redact.redact(str(exc))}") from None


def _verifier(conn: psycopg.Connection[Any]) -> Any:
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
    dbname = _check_database(cfg, admin_conninfo)
    pw = dict(passwords or {})
    with _connect(admin_conninfo, autocommit=True) as conn:
        try:
            d = _desired(conn, cfg, dbname, analytics_dir)
            cur = inspect(conn, d, admin_conninfo, pw)
            return make_plan(d, cur, pw, _verifier(conn))
        except psycopg.Error as exc:
            raise DatabaseError(f"planning failed: {redact.redact(str(exc))}") from None


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
    dbname = _check_database(cfg, admin_conninfo)
    pw = dict(passwords)
    for value in pw.values():
        redact.register(value)
    with _connect(admin_conninfo) as conn:
        try:
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
        except psycopg.Error as exc:
            raise DatabaseError(
                f"apply failed, nothing changed: {redact.redact(str(exc))}"
            ) from None
    summaries = tuple(s.summary for s in p.changes)
    log.info("applied %d change(s) to %s", len(summaries), dbname)
    return ApplyResult(dbname, bool(summaries), summaries, len(p.steps),
                       time.monotonic() - started, tuple(p.notes))  # fmt: skip


def apply_env(env: Environment) -> ApplyResult:
    """:func:`apply` for an environment: admin URL and passwords from its variables."""
    cfg = env.config
    return apply(
        admin_url(cfg, env.environ),
        cfg,
        role_passwords(cfg, env.environ),
        analytics_dir=env.paths.analytics,
    )
