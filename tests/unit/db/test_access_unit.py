"""The plan, computed from a desired model and a fake catalog state (no database)."""

from __future__ import annotations

import secrets

import pytest

from supersetctl import redact
from supersetctl.contract.loader import load_env_config
from supersetctl.contract.models import EnvConfig
from supersetctl.db.ddl import scope_filter
from supersetctl.db.model import build_desired, login_roles, role_passwords
from supersetctl.db.planner import make_plan
from supersetctl.db.state import Current, RoleAttrs, md5_matches, scram_matches
from supersetctl.paths import RepoPaths
from tests.support.helpers import REPO_ROOT
from tests.unit.db.test_views_unit import ANALYTICS, _catalog


def _cfg(env: str = "dev") -> EnvConfig:
    return load_env_config(RepoPaths(REPO_ROOT), env)


def _fake_verifier(role: str, password: str) -> str:
    return f"SCRAM-SHA-256$4096:{role}$stored{len(password)}:server"


def _desired(env: str = "dev"):  # type: ignore[no-untyped-def]
    return build_desired(_cfg(env), _catalog(17), "odoo_dev", analytics_dir=ANALYTICS)


def test_fresh_database_plan_creates_everything_and_hides_passwords() -> None:
    d = _desired()
    password = "pw-" + secrets.token_hex(8)
    plan = make_plan(d, Current(current_user="admin", is_superuser=True),
                     {"superset_ro": password}, _fake_verifier)  # fmt: skip
    script = plan.script()
    assert script.startswith("BEGIN;") and script.endswith("COMMIT;\n")
    assert 'CREATE ROLE "analytics_owner" NOLOGIN' in script
    assert 'CREATE ROLE "superset_ro" LOGIN NOSUPERUSER' in script and "PASSWORD '***'" in script
    assert password not in script and "SCRAM" not in script
    assert "REVOKE TEMPORARY ON DATABASE" not in script  # PUBLIC holds none in this fake
    assert "WITH (security_barrier = true)" in script
    assert 'SET LOCAL ROLE "analytics_owner"' in script
    assert "ALTER ROLE \"superset_ro\" SET default_transaction_read_only = 'on'" in script
    assert 'GRANT SELECT ON public."res_users"' not in script  # only the owner reads tables
    assert 'TO "analytics_owner"' in script
    # the company-1 role has no password variable set: noted, never invented
    assert any("ODOO_RO_COMPANY_1_PASSWORD" in n for n in plan.notes)


def test_legacy_grants_and_memberships_are_revoked() -> None:
    d = _desired()
    cur = Current(current_user="admin", is_superuser=True, public_db_temp=True,
                  public_schema_create=True)  # fmt: skip
    attrs = RoleAttrs(True, False, False, False, False, False, False, 20)
    cur.roles = {"analytics_owner": RoleAttrs(False, False, False, False, False, False, True, -1),
                 "superset_ro": attrs}  # fmt: skip
    cur.member_of = {"superset_ro": {"pg_read_all_data"}}
    cur.table_grants = {("superset_ro", "public", "res_users"): {"SELECT"}}
    cur.schema_grants = {("superset_ro", "public"): {"CREATE", "USAGE"}}
    cur.default_acls = [("odoo", "public", "r", "superset_ro")]
    script = make_plan(d, cur, {}, _fake_verifier).script()
    assert 'REVOKE "pg_read_all_data" FROM "superset_ro"' in script
    assert 'REVOKE ALL ON "public"."res_users" FROM "superset_ro"' in script
    assert 'REVOKE CREATE, USAGE ON SCHEMA "public" FROM "superset_ro"' in script
    assert 'REVOKE TEMPORARY ON DATABASE "odoo_dev" FROM PUBLIC' in script
    assert "REVOKE CREATE ON SCHEMA public FROM PUBLIC" in script
    assert 'ALTER DEFAULT PRIVILEGES FOR ROLE "odoo" IN SCHEMA "public" REVOKE ALL ON TABLES' in (
        script
    )


def test_scope_filter_is_uncorrelated_and_keyed_on_current_user() -> None:
    where = scope_filter("analytics_internal", "company_id", shared=False)
    assert "current_user" in where and "ARRAY(SELECT s.company_id" in where
    assert "IS NULL AND EXISTS" not in where
    assert 't."company_id" IS NULL AND EXISTS' in scope_filter("x", "company_id", shared=True)
    assert scope_filter("x", None, shared=False).startswith("EXISTS (SELECT 1")


def test_login_roles_and_scope_rows() -> None:
    roles = login_roles(_cfg())
    assert [(r.name, r.company_ids) for r in roles] == [
        ("superset_ro", None), ("superset_ro_company_1", (1,))
    ]  # fmt: skip
    assert _desired().scope_rows() == {("superset_ro", None), ("superset_ro_company_1", 1)}


def test_passwords_come_from_the_named_variables_and_are_redacted() -> None:
    value = "pw-" + secrets.token_hex(12)
    got = role_passwords(_cfg(), {"ODOO_RO_PASSWORD": value})
    assert got == {"superset_ro": value}
    assert redact.redact(f"x {value} y") == "x *** y"


def test_staging_masks_and_prod_has_no_scoped_roles() -> None:
    staging = build_desired(_cfg("staging"), _catalog(18), "odoo_staging", analytics_dir=ANALYTICS)
    assert staging.masking and "md5(" in dict((v.name, v.sql) for v in staging.views)["partners"]
    prod = build_desired(_cfg("prod"), _catalog(18), "odoo", analytics_dir=ANALYTICS)
    assert not prod.masking and prod.role_names == ("superset_ro",)


def test_password_verifiers() -> None:
    import base64
    import hashlib
    import hmac

    salt, iterations, password = b"0123456789abcdef", 4096, "s3cret-" + secrets.token_hex(4)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    server = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    stored = base64.b64encode(hashlib.sha256(client).digest()).decode()
    text = (f"SCRAM-SHA-256${iterations}:{base64.b64encode(salt).decode()}$"
            f"{stored}:{base64.b64encode(server).decode()}")  # fmt: skip
    assert scram_matches(text, password)
    assert not scram_matches(text, password + "x")
    md5 = "md5" + hashlib.md5((password + "bob").encode(), usedforsecurity=False).hexdigest()
    assert md5_matches(md5, "bob", password) and not md5_matches(md5, "alice", password)


@pytest.mark.parametrize("command", ["seed", "plan", "apply", "verify", "refresh", "docs"])
def test_every_db_command_teaches(run_cli, command: str) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(["db", command, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.stdout and "supersetctl db " + command in result.stdout


def test_missing_admin_url_is_a_config_error(run_cli, repo_copy) -> None:  # type: ignore[no-untyped-def]
    # a copy: the checkout's own .local/dev.env (after `make up`) would hold the URL
    result = run_cli(["--repo", str(repo_copy.root), "db", "plan", "--env", "dev"])
    assert result.exit_code == 2
    assert "ODOO_ADMIN_DATABASE_URL" in result.stderr


def test_seed_refused_where_seed_data_is_off(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(["--repo", str(REPO_ROOT), "db", "seed", "--env", "prod"])
    assert result.exit_code == 2
    assert "seed_data is false" in result.stderr
