"""The plan of the access model: the statements that turn what the database holds into what
the config and the view templates ask for (pure: no connection).

:func:`make_plan` runs the sections in the order the statements must run: roles, the database
and schema ``public``, the two schemas, the owner's column grants, the objects the owner role
owns (the company mapping, the views), the login roles' grants, default privileges.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from supersetctl import redact

from .ddl import KIND_WORD, base_digest, base_sql, lit, q, wrapper_digest, wrapper_sql
from .model import MARK, Desired, LoginRole, Plan, Step
from .state import Current

Verifier = Callable[[str, str], str]  # (role, password) -> SCRAM verifier text


def make_plan(
    d: Desired,
    cur: Current,
    passwords: Mapping[str, str],
    verifier: Verifier,
) -> Plan:
    """The statements that turn ``cur`` into ``d``; ``verifier(role, password)`` -> SCRAM text."""
    plan = Plan(d.database, notes=list(d.skipped))
    _owner_role(plan, d, cur)
    for role in d.roles:
        _login_role(plan, d, cur, role, passwords.get(role.name), verifier)
    _database(plan, d, cur)
    _schemas(plan, d, cur)
    _owner_reads(plan, d, cur)
    changed_base, changed_wrap = _changed_views(d, cur)
    owned = [
        *_scope_mapping(plan, d, cur),
        *_view_drops(d, cur, changed_base, changed_wrap),
        *_view_creates(d, changed_base, changed_wrap),
    ]
    if owned:
        plan.steps.append(Step("session", f"act as {d.owner}", f"SET LOCAL ROLE {q(d.owner)}"))
        plan.steps.extend(owned)
        plan.steps.append(Step("session", f"back to {cur.current_user}", "RESET ROLE"))
    for role in d.roles:
        _login_grants(plan, d, cur, role.name, changed_wrap)
    _stray_table_grants(plan, d, cur, changed_wrap)
    _default_privileges(plan, cur)
    return plan


# ------------------------------------------------------------------------------------ roles


def _owner_role(plan: Plan, d: Desired, cur: Current) -> None:
    """The NOLOGIN owner role, stripped of every attribute; the admin may act as it."""
    add, owner = plan.steps.append, d.owner
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


def _login_role(
    plan: Plan, d: Desired, cur: Current, role: LoginRole, pw: str | None, verifier: Verifier
) -> None:
    """One login role: created or repaired, its password, its settings, no memberships."""
    add = plan.steps.append
    attrs = (
        f"LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT "
        f"CONNECTION LIMIT {d.connection_limit}"
    )
    r = cur.roles.get(role.name)
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
            plan.notes.append(f"{role.name}: password left as is ({role.password_env} is not set)")
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


# ------------------------------------------------------------------ database and schemas


def _database(plan: Plan, d: Desired, cur: Current) -> None:
    """The database and schema ``public``: CONNECT for the login roles, TEMPORARY for the
    owner, nothing for PUBLIC."""
    add, owner, db = plan.steps.append, d.owner, q(d.database)
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


def _schemas(plan: Plan, d: Desired, cur: Current) -> None:
    """The published and the internal schema, owned by the owner role; the login roles keep
    USAGE on the published one only, PUBLIC nothing."""
    add, owner, schema, internal = plan.steps.append, d.owner, d.schema, d.internal
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
        # a missing USAGE on the published schema is granted with the views (_login_grants)
    for s in (schema, internal):
        public = cur.schema_grants.get(("PUBLIC", s), set())
        if public and cur.schemas.get(s) is not None:
            add(Step("revoke", f"PUBLIC loses {', '.join(sorted(public))} on schema {s}",
                     f"REVOKE ALL ON SCHEMA {q(s)} FROM PUBLIC"))  # fmt: skip


def _owner_reads(plan: Plan, d: Desired, cur: Current) -> None:
    """The owner reads exactly the Odoo columns the views need, by column, nothing more."""
    add, owner = plan.steps.append, d.owner
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


# ------------------------------------------------- objects the owner role owns (as that role)


def _scope_mapping(plan: Plan, d: Desired, cur: Current) -> list[Step]:
    """The role -> companies mapping table and its rows."""
    internal = d.internal
    out: list[Step] = []
    put = out.append
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
    return out


def _changed_views(d: Desired, cur: Current) -> tuple[set[str], set[str]]:
    """The views whose base, and whose published wrapper, must be (re)created: a changed base
    drags its dependents and its wrapper along."""
    changed_base: set[str] = set()
    changed_wrap: set[str] = set()
    for v in d.views:
        kind = "m" if v.template.kind == "materialized" else "v"
        if (
            cur.kind(d.internal, v.name) != kind
            or cur.digest(d.internal, v.name) != base_digest(d, v)
            or any(dep in changed_base for dep in v.template.depends)
        ):
            changed_base.add(v.name)
        if (
            v.name in changed_base
            or cur.kind(d.schema, v.name) != "v"
            or cur.digest(d.schema, v.name) != wrapper_digest(d, v)
        ):
            changed_wrap.add(v.name)
    return changed_base, changed_wrap


def _wanted_objects(d: Desired) -> set[tuple[str, str]]:
    """(schema, name) of every object the two schemas should hold."""
    wanted = {(d.internal, "company_scope"), (d.internal, "company_scope_key")}
    return wanted | {(d.internal, v.name) for v in d.views} | {(d.schema, v.name) for v in d.views}


def _view_drops(
    d: Desired, cur: Current, changed_base: set[str], changed_wrap: set[str]
) -> list[Step]:
    """Objects no longer defined, and changed views (dependents first), dropped."""
    schema, internal, wanted = d.schema, d.internal, _wanted_objects(d)
    out: list[Step] = []
    put = out.append
    for (s, name), (kind, _c) in sorted(cur.objects.items()):
        if (s, name) in wanted or kind not in KIND_WORD:
            continue
        put(Step("view", f"drop {s}.{name}, no longer defined",
                 f"DROP {KIND_WORD[kind]} IF EXISTS {q(s)}.{q(name)} CASCADE"))  # fmt: skip
    for v in reversed(d.views):
        if v.name in changed_wrap and cur.kind(schema, v.name):
            word = KIND_WORD.get(cur.kind(schema, v.name) or "v", "VIEW")
            put(Step("view", f"drop {schema}.{v.name} to recreate it",
                     f"DROP {word} IF EXISTS {q(schema)}.{q(v.name)} CASCADE"))  # fmt: skip
        if v.name in changed_base and cur.kind(internal, v.name):
            word = KIND_WORD.get(cur.kind(internal, v.name) or "v", "VIEW")
            put(Step("view", f"drop {internal}.{v.name} to recreate it",
                     f"DROP {word} IF EXISTS {q(internal)}.{q(v.name)} CASCADE"))  # fmt: skip
    return out


def _view_creates(d: Desired, changed_base: set[str], changed_wrap: set[str]) -> list[Step]:
    """Changed views created in order: the base (marked with its digest), then the published
    ``security_barrier`` wrapper with its comments."""
    schema, internal = d.schema, d.internal
    out: list[Step] = []
    put = out.append
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
    return out


# ------------------------------------------------------------------------------ grants


def _login_grants(plan: Plan, d: Desired, cur: Current, rn: str, changed_wrap: set[str]) -> None:
    """A login role: USAGE on the published schema, SELECT on each view."""
    add, schema = plan.steps.append, d.schema
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


def _stray_table_grants(plan: Plan, d: Desired, cur: Current, changed_wrap: set[str]) -> None:
    """Every other table grant (but the owner's) revoked: anything but SELECT on a published
    view, and everything PUBLIC holds in the two schemas."""
    add, schema, internal = plan.steps.append, d.schema, d.internal
    wanted, published = _wanted_objects(d), {v.name for v in d.views}
    for (grantee, s, rel), privs in sorted(cur.table_grants.items()):
        if grantee == d.owner:
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


def _default_privileges(plan: Plan, cur: Current) -> None:
    """No default privileges on anybody's future objects for the login roles."""
    words = {"r": "TABLES", "S": "SEQUENCES", "f": "FUNCTIONS", "T": "TYPES", "n": "SCHEMAS"}
    for definer, acl_schema, objtype, grantee in cur.default_acls:
        where = f" IN SCHEMA {q(acl_schema)}" if acl_schema else ""
        plan.steps.append(
            Step("revoke", f"{grantee} gets nothing by default from {definer}'s new objects",
                 f"ALTER DEFAULT PRIVILEGES FOR ROLE {q(definer)}{where} REVOKE ALL ON "
                 f"{words.get(objtype, 'TABLES')} FROM {q(grantee)}"))  # fmt: skip
