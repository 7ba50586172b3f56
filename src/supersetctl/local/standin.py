"""The contract's optional second source in the rehearsal: a local database standing in for a
Supabase project's Postgres.

When the rehearsed config declares no ``kind: supabase`` database (the committed ones leave it
out until the project exists), the rehearsal's view of the config gets one, on the local
TLS cluster, with a login role that is read-only the way the Supabase role should be
(docs/access-model.md). Its provisioning file is no longer excluded there, so the rehearsal
goes through every step a declared source takes: the read-only gate proves the role
(``db verify --database supabase``'s checks) and provisioning creates the Superset database
from ``databases/supabase.yaml``, verified against the stack's CA.
"""

from __future__ import annotations

import fnmatch

from psycopg import sql

from supersetctl import pg
from supersetctl.contract.models import DatabaseEndpoint, DatabaseKind, EnvConfig, SSLMode
from supersetctl.errors import LocalStackError
from supersetctl.local.postgres import PostgresCluster

KEY = "supabase"
DATABASE = "supabase_standin"
ROLE = "superset_sb_ro"
PASSWORD_ENV = "SUPABASE_RO_PASSWORD"
FILE = "databases/supabase.yaml"


def declares_source(cfg: EnvConfig) -> bool:
    return any(db.kind == DatabaseKind.supabase for db in cfg.databases.values())


def with_standin(cfg: EnvConfig) -> EnvConfig:
    """``cfg`` with the stand-in declared (unless a Supabase source is) and its file applied.
    Host and port are the caller's to move onto the local cluster, like every database's."""
    if declares_source(cfg):
        return cfg
    standin = DatabaseEndpoint(
        kind=DatabaseKind.supabase,
        host="127.0.0.1",
        port=5432,
        database=DATABASE,
        user=ROLE,
        sslmode=SSLMode.verify_full,
        password_env=PASSWORD_ENV,
        description="a local database standing in for the Supabase project (rehearsal only)",
    )
    kept = [p for p in cfg.provisioning.exclude if not fnmatch.fnmatchcase(FILE, p)]
    provisioning = cfg.provisioning.model_copy(update={"exclude": kept})
    return cfg.model_copy(
        update={"databases": {**cfg.databases, KEY: standin}, "provisioning": provisioning}
    )


def ensure_standin(cluster: PostgresCluster, password: str) -> bool:
    """The stand-in database with a table an admin owns, and the read-only login role on it
    (password set to ``password``). Returns whether the database was made now."""
    made = cluster.ensure_database(DATABASE)
    info = cluster.info()
    what = f"could not prepare {DATABASE}, the Supabase stand-in"
    role = sql.Identifier(ROLE)
    with pg.session(info.conninfo("postgres"), what, autocommit=True, error=LocalStackError) as c:
        exists = c.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (ROLE,)).fetchone()
        verb = sql.SQL("ALTER") if exists else sql.SQL("CREATE")
        c.execute(
            sql.SQL(
                "{} ROLE {} LOGIN PASSWORD {} CONNECTION LIMIT 10 "
                "NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS"
            ).format(verb, role, sql.Literal(password))
        )
        c.execute(sql.SQL("ALTER ROLE {} SET default_transaction_read_only = on").format(role))
        c.execute(sql.SQL("ALTER ROLE {} SET statement_timeout = '30s'").format(role))
    with pg.session(info.conninfo(DATABASE), what, autocommit=True, error=LocalStackError) as c:
        c.execute(
            "CREATE TABLE IF NOT EXISTS public.tenants "
            "(id int PRIMARY KEY, name text NOT NULL, plan text NOT NULL)"
        )
        c.execute(
            "INSERT INTO public.tenants VALUES (1, 'Company 1', 'pro'), (2, 'Company 2', 'free') "
            "ON CONFLICT (id) DO NOTHING"
        )
        c.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        c.execute(sql.SQL("REVOKE CREATE, TEMPORARY ON DATABASE {} FROM PUBLIC").format(
            sql.Identifier(DATABASE)))  # fmt: skip
        c.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
            sql.Identifier(DATABASE), role))  # fmt: skip
        c.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(role))
        c.execute(sql.SQL("GRANT SELECT ON public.tenants TO {}").format(role))
    return made
