"""`supersetctl db ...` end to end against a real PostgreSQL, as a user would run it."""

from __future__ import annotations

import json
import secrets
from typing import Any

import psycopg
import pytest

from supersetctl.paths import RepoPaths

pytestmark = pytest.mark.integration


def test_seed_plan_apply_verify_refresh_docs(
    pg: Any, repo_copy: RepoPaths, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sfx = secrets.token_hex(3)
    db, main, scoped, owner = f"cli_{sfx}", f"ro_{sfx}", f"ro_{sfx}_c1", f"own_{sfx}"
    config = repo_copy.env_config("dev")
    text = config.read_text(encoding="utf-8")
    for old, new in (("database: odoo_dev", f"database: {db}"),
                     ("user: superset_ro", f"user: {main}"),
                     ("name: superset_ro_company_1", f"name: {scoped}"),
                     ("owner_role: analytics_owner", f"owner_role: {owner}")):  # fmt: skip
        assert old in text
        text = text.replace(old, new)
    config.write_text(text, encoding="utf-8")
    pw_main, pw_scoped = "pw-" + secrets.token_hex(16), "pw-" + secrets.token_hex(16)
    monkeypatch.setenv("ODOO_ADMIN_DATABASE_URL", pg.dsn(db))
    monkeypatch.setenv("ODOO_RO_PASSWORD", pw_main)
    monkeypatch.setenv("ODOO_RO_COMPANY_1_PASSWORD", pw_scoped)
    with psycopg.connect(pg.conninfo("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{db}"')
    base = ["--repo", str(repo_copy.root)]
    try:
        r = run_cli([*base, "db", "seed", "--env", "dev"])
        assert r.exit_code == 0, r.stderr
        assert "seed data created" in r.stdout and "sale_order_line" in r.stdout
        r = run_cli([*base, "db", "plan", "--env", "dev"])
        assert r.exit_code == 1 and "CREATE ROLE" in r.stdout and "PASSWORD '***'" in r.stdout
        r = run_cli([*base, "db", "apply", "--env", "dev"])
        assert r.exit_code == 0, r.stderr
        r = run_cli([*base, "db", "apply", "--env", "dev"])
        assert r.exit_code == 0 and "no changes" in r.stdout
        r = run_cli([*base, "db", "plan", "--env", "dev"])
        assert r.exit_code == 0 and "nothing to change" in r.stdout
        r = run_cli([*base, "db", "verify", "--env", "dev"])
        assert r.exit_code == 0, r.stdout
        assert "0 failed" in r.stdout and "FAIL" not in r.stdout
        r = run_cli([*base, "--format", "json", "db", "verify", "--env", "dev"])
        report = json.loads(r.stdout)
        assert report["ok"] and {c["role"] for c in report["checks"]} == {"", main, scoped}
        r = run_cli([*base, "db", "refresh", "--env", "dev"])
        assert r.exit_code == 0 and "sales_monthly" in r.stdout
        r = run_cli([*base, "db", "docs", "--env", "dev", "--check"])
        assert r.exit_code == 0 and "up to date" in r.stdout
        # a failing property makes verify exit 1 and say which
        with psycopg.connect(pg.conninfo(db), autocommit=True) as conn:
            conn.execute(f'GRANT SELECT ON public.res_users TO "{main}"')
        r = run_cli([*base, "db", "verify", "--env", "dev"])
        assert r.exit_code == 1 and "FAIL" in r.stdout and "res_users" in r.stdout
        every = "".join(o for o in (r.stdout, r.stderr))
        for secret in (pw_main, pw_scoped, pg.password):
            assert secret not in every
    finally:
        with psycopg.connect(pg.conninfo("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            for role in (main, scoped, owner):
                conn.execute(f'DROP ROLE IF EXISTS "{role}"')


def test_prod_gate_refuses_until_verify_passes(pg: Any, repo_copy: RepoPaths) -> None:
    from supersetctl.contract.environment import load_environment
    from supersetctl.db.access import apply_env
    from supersetctl.db.seed import seed_database
    from supersetctl.db.verify import gate_env
    from supersetctl.errors import DatabaseError

    sfx = secrets.token_hex(3)
    db, main, owner = f"gate_{sfx}", f"ro_{sfx}", f"own_{sfx}"
    config = repo_copy.env_config("prod")
    text = config.read_text(encoding="utf-8")
    edits = [
        ("database: odoo\n", f"database: {db}\n"),
        ("user: superset_ro", f"user: {main}"),
        ("owner_role: analytics_owner", f"owner_role: {owner}"),
    ]
    for old, new in edits:
        assert old in text
        text = text.replace(old, new)
    config.write_text(text, encoding="utf-8")
    env = {"ODOO_ADMIN_DATABASE_URL": pg.dsn(db), "ODOO_RO_PASSWORD": secrets.token_hex(16)}
    with psycopg.connect(pg.conninfo("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{db}"')
    try:
        seed_database(pg.conninfo(db), scale=1)
        dev = load_environment(repo_copy, "dev", environ=env)
        prod = load_environment(repo_copy, "prod", environ=env)
        assert gate_env(dev) is None  # dev: no gate, no connection
        with pytest.raises(DatabaseError, match="db verify failed"):
            gate_env(prod)
        apply_env(prod)
        report = gate_env(prod)
        assert report is not None and report.ok
    finally:
        with psycopg.connect(pg.conninfo("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            for role in (main, owner):
                conn.execute(f'DROP ROLE IF EXISTS "{role}"')


def test_admin_that_is_not_a_superuser(pg: Any) -> None:
    """The usual production case: Odoo's own database user (owner, CREATEROLE) as the admin."""
    from psycopg.conninfo import make_conninfo

    from supersetctl.db.access import apply
    from supersetctl.db.refresh import refresh
    from supersetctl.db.seed import seed_database
    from supersetctl.db.verify import verify
    from tests.integration.test_db_access import ANALYTICS, make_cfg

    sfx = secrets.token_hex(3)
    db, admin_role, admin_pw = f"na_{sfx}", f"odoo_{sfx}", "pw-" + secrets.token_hex(16)
    cfg = make_cfg(db, sfx)
    roles = [cfg.databases["odoo"].user, *(r.name for r in cfg.access.scoped_roles)]
    passwords = {r: "pw-" + secrets.token_hex(16) for r in roles}
    with psycopg.connect(pg.conninfo("postgres"), autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {admin_role} LOGIN CREATEROLE PASSWORD '{admin_pw}'")
        conn.execute(f'CREATE DATABASE "{db}" OWNER {admin_role}')
    admin = make_conninfo(pg.conninfo(db), user=admin_role, password=admin_pw)
    try:
        seed_database(admin, scale=1)  # the tables belong to the admin, as Odoo's do
        assert apply(admin, cfg, passwords, analytics_dir=ANALYTICS).changed
        # without pg_authid, unchanged passwords are recognised by a login attempt
        assert not apply(admin, cfg, passwords, analytics_dir=ANALYTICS).changed
        report = verify(admin, cfg, passwords, analytics_dir=ANALYTICS)
        assert report.ok, report.failures
        assert refresh(admin, cfg, analytics_dir=ANALYTICS).timings
    finally:
        with psycopg.connect(pg.conninfo("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            for role in (*roles, cfg.access.owner_role, admin_role):
                conn.execute(f'DROP ROLE IF EXISTS "{role}"')
