"""What the database holds now, read from the catalogs, for the plan to compare against."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo

from .model import MARK, Desired


@dataclass(frozen=True)
class RoleAttrs:
    login: bool
    superuser: bool
    createdb: bool
    createrole: bool
    replication: bool
    bypassrls: bool
    inherit: bool
    connlimit: int


@dataclass
class Current:
    current_user: str = ""
    is_superuser: bool = False
    admin_in_owner: bool = False
    roles: dict[str, RoleAttrs] = field(default_factory=dict)
    settings: dict[str, dict[str, str]] = field(default_factory=dict)
    member_of: dict[str, set[str]] = field(default_factory=dict)
    password_ok: dict[str, bool] = field(default_factory=dict)
    public_db_temp: bool = False
    db_grants: dict[str, set[str]] = field(default_factory=dict)  # role -> {CONNECT, TEMPORARY}
    public_schema_create: bool = False
    schemas: dict[str, str] = field(default_factory=dict)  # name -> owner
    schema_grants: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # (role, schema)
    owner_public_usage: bool = True
    owner_select: set[str] = field(default_factory=set)  # Odoo tables the owner can read
    owner_columns: dict[str, set[str]] = field(default_factory=dict)  # direct column grants
    table_grants: dict[tuple[str, str, str], set[str]] = field(default_factory=dict)
    objects: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    scope_table: bool = False
    scope_rows: set[tuple[str, int | None]] = field(default_factory=set)
    default_acls: list[tuple[str, str | None, str, str]] = field(default_factory=list)
    companies: set[int] = field(default_factory=set)

    def digest(self, schema: str, name: str) -> str | None:
        obj = self.objects.get((schema, name))
        if obj is None:
            return None
        m = re.search(re.escape(MARK) + r"([0-9a-f]+)", obj[1])
        return m.group(1) if m else ""

    def kind(self, schema: str, name: str) -> str | None:
        obj = self.objects.get((schema, name))
        return obj[0] if obj else None


def scram_matches(stored: str, password: str) -> bool:
    """Whether a ``SCRAM-SHA-256$iter:salt$stored:server`` verifier is for ``password``."""
    m = re.fullmatch(r"SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)", stored)
    if not m:
        return False
    iterations, salt = int(m.group(1)), base64.b64decode(m.group(2))
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    return hmac.compare_digest(base64.b64encode(stored_key).decode(), m.group(3))


def md5_matches(stored: str, role: str, password: str) -> bool:
    expected = "md5" + hashlib.md5((password + role).encode(), usedforsecurity=False).hexdigest()
    return hmac.compare_digest(stored, expected)


def _rows(conn: psycopg.Connection[Any], query: str, params: tuple[Any, ...] = ()) -> list[Any]:
    return conn.execute(query, params).fetchall()


def _password_ok(
    conn: psycopg.Connection[Any], admin_conninfo: str, role: str, password: str
) -> bool:
    try:
        with conn.transaction():
            row = conn.execute(
                "SELECT rolpassword FROM pg_authid WHERE rolname = %s", (role,)
            ).fetchone()
        stored = str(row[0]) if row and row[0] else ""
        if stored.startswith("SCRAM-SHA-256$"):
            return scram_matches(stored, password)
        if stored.startswith("md5"):
            return md5_matches(stored, role, password)
        return False
    except psycopg.errors.InsufficientPrivilege:
        pass
    # not a superuser: a login attempt tells whether the password works
    try:
        with psycopg.connect(
            make_conninfo(admin_conninfo, user=role, password=password), connect_timeout=10
        ):
            return True
    except psycopg.OperationalError:
        return False


def inspect(
    conn: psycopg.Connection[Any],
    desired: Desired,
    admin_conninfo: str,
    passwords: dict[str, str],
) -> Current:
    """Read everything the plan compares; ``conn`` is the admin connection."""
    cur = Current()
    row = conn.execute(
        "SELECT current_user, rolsuper, pg_has_role(current_user, %s, 'MEMBER') "
        "FROM pg_roles WHERE rolname = current_user",
        (desired.owner,),
    ).fetchone() if _role_exists(conn, desired.owner) else None  # fmt: skip
    if row:
        cur.current_user, cur.is_superuser, cur.admin_in_owner = str(row[0]), row[1], row[2]
    else:
        r = conn.execute(
            "SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        assert r is not None
        cur.current_user, cur.is_superuser = str(r[0]), bool(r[1])
    names = [desired.owner, *desired.role_names]
    for r in _rows(
        conn,
        "SELECT rolname, rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, "
        "rolbypassrls, rolinherit, rolconnlimit FROM pg_roles WHERE rolname = ANY(%s)",
        (names,),
    ):
        cur.roles[r[0]] = RoleAttrs(*r[1:])
    for name, config in _rows(
        conn,
        "SELECT r.rolname, s.setconfig FROM pg_db_role_setting s "
        "JOIN pg_roles r ON r.oid = s.setrole WHERE s.setdatabase = 0 AND r.rolname = ANY(%s)",
        (names,),
    ):
        cur.settings[name] = dict(item.split("=", 1) for item in (config or []))
    for member, role in _rows(
        conn,
        "SELECT m.rolname, r.rolname FROM pg_auth_members a "
        "JOIN pg_roles m ON m.oid = a.member JOIN pg_roles r ON r.oid = a.roleid "
        "WHERE m.rolname = ANY(%s)",
        (list(desired.role_names),),
    ):
        cur.member_of.setdefault(member, set()).add(role)
    for role in desired.role_names:
        if role in cur.roles and role in passwords:
            cur.password_ok[role] = _password_ok(conn, admin_conninfo, role, passwords[role])
    # database privileges
    for grantee, priv in _rows(
        conn,
        "SELECT coalesce(g.rolname, 'PUBLIC'), a.privilege_type FROM pg_database d "
        "CROSS JOIN LATERAL aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a "
        "LEFT JOIN pg_roles g ON g.oid = a.grantee WHERE d.datname = current_database()",
    ):
        if grantee == "PUBLIC" and priv == "TEMPORARY":
            cur.public_db_temp = True
        cur.db_grants.setdefault(grantee, set()).add(priv)
    # schema privileges
    for schema, owner, grantee, priv in _rows(
        conn,
        "SELECT n.nspname, pg_get_userbyid(n.nspowner), coalesce(g.rolname, 'PUBLIC'), "
        "a.privilege_type FROM pg_namespace n "
        "CROSS JOIN LATERAL aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a "
        "LEFT JOIN pg_roles g ON g.oid = a.grantee",
    ):
        cur.schemas[schema] = owner
        cur.schema_grants.setdefault((grantee, schema), set()).add(priv)
    for schema, owner in _rows(conn, "SELECT nspname, pg_get_userbyid(nspowner) FROM pg_namespace"):
        cur.schemas[schema] = owner
    cur.public_schema_create = "CREATE" in cur.schema_grants.get(("PUBLIC", "public"), set())
    if desired.owner in cur.roles:
        r = conn.execute(
            "SELECT has_schema_privilege(%s, 'public', 'USAGE')", (desired.owner,)
        ).fetchone()
        cur.owner_public_usage = bool(r and r[0])
        for (table,) in _rows(
            conn,
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f') "
            "AND has_table_privilege(%s, c.oid, 'SELECT')",
            (desired.owner,),
        ):
            cur.owner_select.add(table)
        for table, column in _rows(
            conn,
            "SELECT c.relname, a.attname FROM pg_attribute a "
            "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "CROSS JOIN LATERAL aclexplode(a.attacl) x "
            "WHERE n.nspname = 'public' AND a.attacl IS NOT NULL AND x.privilege_type = 'SELECT' "
            "AND x.grantee = (SELECT oid FROM pg_roles WHERE rolname = %s)",
            (desired.owner,),
        ):
            cur.owner_columns.setdefault(str(table), set()).add(str(column))
    else:
        cur.owner_public_usage = False
    # direct table grants held by our roles (or PUBLIC) anywhere
    for schema, rel, grantee, priv in _rows(
        conn,
        "SELECT n.nspname, c.relname, coalesce(g.rolname, 'PUBLIC'), a.privilege_type "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "CROSS JOIN LATERAL aclexplode(c.relacl) a LEFT JOIN pg_roles g ON g.oid = a.grantee "
        "WHERE c.relacl IS NOT NULL AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
        "AND (g.rolname = ANY(%s) OR (a.grantee = 0 AND n.nspname IN (%s, %s)))",
        (names, desired.schema, desired.internal),
    ):
        cur.table_grants.setdefault((grantee, schema, rel), set()).add(priv)
    # objects in our two schemas
    for schema, name, kind, comment in _rows(
        conn,
        "SELECT n.nspname, c.relname, c.relkind::text, "
        "coalesce(obj_description(c.oid, 'pg_class'), '') FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname IN (%s, %s) AND c.relkind IN ('r', 'v', 'm', 'S', 'f', 'p')",
        (desired.schema, desired.internal),
    ):
        cur.objects[(schema, name)] = (kind, comment)
    cur.scope_table = (desired.internal, "company_scope") in cur.objects
    if cur.scope_table:
        for role, company in _rows(
            conn, f'SELECT role_name, company_id FROM "{desired.internal}".company_scope'
        ):
            cur.scope_rows.add((str(role), company))
    for definer, schema, objtype, grantee in _rows(
        conn,
        "SELECT pg_get_userbyid(d.defaclrole), n.nspname, d.defaclobjtype::text, g.rolname "
        "FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace "
        "CROSS JOIN LATERAL aclexplode(d.defaclacl) a JOIN pg_roles g ON g.oid = a.grantee "
        "WHERE g.rolname = ANY(%s)",
        (list(desired.role_names),),
    ):
        entry = (str(definer), schema, str(objtype), str(grantee))
        if entry not in cur.default_acls:
            cur.default_acls.append(entry)
    if "res_company" in {t for v in desired.views for t in v.tables}:
        cur.companies = {int(r[0]) for r in _rows(conn, "SELECT id FROM public.res_company")}
    return cur


def _role_exists(conn: psycopg.Connection[Any], name: str) -> bool:
    return conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone() is not None
