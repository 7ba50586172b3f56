"""The access model on a real PostgreSQL, for Odoo 17 and 18 shapes, proven as the BI roles."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from supersetctl.contract.loader import load_env_config
from supersetctl.contract.models import EnvConfig
from supersetctl.db.access import apply, plan
from supersetctl.db.docs import read_view_types, render_readme
from supersetctl.db.refresh import refresh
from supersetctl.db.role_checks import masking_check
from supersetctl.db.seed import seed_database
from supersetctl.db.verify import verify
from supersetctl.db.views import load_templates
from supersetctl.paths import RepoPaths
from tests.support.helpers import REPO_ROOT

pytestmark = pytest.mark.integration

ANALYTICS = REPO_ROOT / "infra" / "superset" / "analytics"
VIEWS = [t.name for t in load_templates(ANALYTICS)]


def make_cfg(
    db: str, suffix: str, *, env: str = "dev", scoped: bool = True, schema: str = "analytics"
) -> EnvConfig:
    data = load_env_config(RepoPaths(REPO_ROOT), env).model_dump(mode="json")
    data["databases"]["odoo"]["database"] = db
    data["databases"]["odoo"]["user"] = f"bi_{suffix}"
    data["access"]["owner_role"] = f"owner_{suffix}"
    data["access"]["analytics_schema"] = schema
    data["access"]["scoped_roles"] = (
        [
            {
                "name": f"bi_{suffix}_c1",
                "company_ids": [1],
                "password_env": "ODOO_RO_COMPANY_1_PASSWORD",
                "database": "odoo",
            },
            {
                "name": f"bi_{suffix}_c23",
                "company_ids": [2, 3],
                "password_env": "ODOO_RO_COMPANY_23_PASSWORD",
                "database": "odoo",
            },
        ]
        if scoped
        else []
    )
    return EnvConfig.model_validate(data)


@dataclass
class Odoo:
    pg: Any
    version: int
    db: str
    cfg: EnvConfig
    passwords: dict[str, str]

    @property
    def admin(self) -> str:
        return str(self.pg.conninfo(self.db))

    @property
    def main(self) -> str:
        return self.cfg.databases["odoo"].user

    @property
    def schema(self) -> str:
        return self.cfg.access.analytics_schema

    def connect_as(self, role: str, **kw: Any) -> psycopg.Connection[Any]:
        info = make_conninfo(self.admin, user=role, password=self.passwords[role])
        return psycopg.connect(info, autocommit=True, **kw)

    def superuser(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.admin, autocommit=True)


def _drop(pg: Any, db: str, roles: list[str]) -> None:
    with psycopg.connect(pg.conninfo("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        for role in roles:
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')


def _setup(pg: Any, version: int, cfg_for: Any) -> Iterator[Odoo]:
    suffix = f"{version}_{secrets.token_hex(3)}"
    db = f"odoo{suffix}"
    with psycopg.connect(pg.conninfo("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{db}"')
    cfg = cfg_for(db, suffix)
    roles = [cfg.databases["odoo"].user, *(r.name for r in cfg.access.scoped_roles)]
    passwords = {r: "pw-" + secrets.token_hex(16) for r in roles}
    try:
        seed_database(pg.conninfo(db), odoo_version=version, scale=1)
        apply(pg.conninfo(db), cfg, passwords, analytics_dir=ANALYTICS)
        yield Odoo(pg, version, db, cfg, passwords)
    finally:
        _drop(pg, db, [*roles, cfg.access.owner_role, f"atk_{suffix}"])


@pytest.fixture(scope="module", params=[17, 18], ids=["odoo17", "odoo18"])
def odoo(request: pytest.FixtureRequest, pg: Any) -> Iterator[Odoo]:
    yield from _setup(pg, request.param, make_cfg)


@pytest.fixture(scope="module")
def staging(pg: Any) -> Iterator[Odoo]:
    yield from _setup(pg, 18, lambda db, sfx: make_cfg(db, sfx, env="staging", scoped=False))


def _scalar(conn: psycopg.Connection[Any], query: str, params: tuple[Any, ...] = ()) -> Any:
    row = conn.execute(query, params).fetchone()  # type: ignore[arg-type]
    assert row is not None
    return row[0]


# ----------------------------------------------------------------------------------- proofs


def test_verify_passes_for_every_role(odoo: Odoo) -> None:
    report = verify(odoo.admin, odoo.cfg, odoo.passwords, analytics_dir=ANALYTICS)
    assert report.ok, [c for c in report.checks if not c.ok]
    assert {c.role for c in report.checks} == {"", *odoo.passwords}
    assert len(report.checks) > 30


def test_select_works_on_every_view(odoo: Odoo) -> None:
    for role in odoo.passwords:
        with odoo.connect_as(role) as conn:
            for view in VIEWS:
                conn.execute(f'SELECT * FROM "{odoo.schema}"."{view}" LIMIT 5').fetchall()
    with odoo.connect_as(odoo.main) as conn:
        empty = [v for v in VIEWS if _scalar(conn, f'SELECT count(*) FROM "{v}"') == 0]
    assert not empty  # search_path is the analytics schema, and every view has seed rows


def test_select_fails_on_every_raw_odoo_table(odoo: Odoo) -> None:
    with odoo.superuser() as su:
        tables = [
            r[0]
            for r in su.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        internal = [
            r[0]
            for r in su.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = %s AND c.relkind IN ('r', 'v', 'm')",
                (f"{odoo.schema}_internal",),
            )
        ]
    assert "res_users" in tables and "ir_config_parameter" in tables and len(tables) >= 25
    for role in odoo.passwords:
        with odoo.connect_as(role) as conn:
            for table in tables:
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(f'SELECT 1 FROM public."{table}" LIMIT 1')
            for rel in internal:
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(f'SELECT 1 FROM "{odoo.schema}_internal"."{rel}" LIMIT 1')


def _rw(conn: psycopg.Connection[Any], stmt: str) -> None:
    """Run ``stmt`` in a read-write transaction (any role may switch), then roll back."""
    with conn.transaction(force_rollback=True):
        conn.execute("SET LOCAL transaction_read_only = off")
        conn.execute(stmt)  # type: ignore[arg-type]


def test_writes_on_views_fail(odoo: Odoo) -> None:
    with odoo.connect_as(odoo.main) as conn, odoo.superuser() as su:
        for view in VIEWS:
            target = f'"{odoo.schema}"."{view}"'
            col = _scalar(
                su,
                "SELECT column_name FROM information_schema.columns WHERE table_schema = %s "
                "AND table_name = %s ORDER BY ordinal_position LIMIT 1",
                (odoo.schema, view),
            )
            for stmt in (
                f"INSERT INTO {target} ({col}) VALUES (DEFAULT)",
                f'UPDATE {target} SET "{col}" = "{col}"',
                f"DELETE FROM {target}",
                f"TRUNCATE {target}",
            ):
                with pytest.raises(psycopg.Error):
                    _rw(conn, stmt)
            for priv in ("INSERT", "UPDATE", "DELETE", "TRUNCATE"):
                assert not _scalar(
                    su, "SELECT has_table_privilege(%s, %s, %s)", (odoo.main, target, priv)
                )
        # a one-table view is auto-updatable: there the refusal is the missing grant itself
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            _rw(conn, f'DELETE FROM "{odoo.schema}".product_categories')


def test_create_table_temp_table_function_fail(odoo: Odoo) -> None:
    statements = [
        "CREATE TABLE public.probe (a int)",
        f'CREATE TABLE "{odoo.schema}".probe (a int)',
        "CREATE TEMP TABLE probe (a int)",
        "CREATE FUNCTION public.probe() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        f"CREATE FUNCTION \"{odoo.schema}\".probe() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        "CREATE FUNCTION pg_temp.probe() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        "CREATE SCHEMA probe",
    ]
    for role in odoo.passwords:
        with odoo.connect_as(role) as conn:
            for stmt in statements:
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    _rw(conn, stmt)


def test_guardrails_read_only_timeouts_connection_limit(odoo: Odoo) -> None:
    with odoo.connect_as(odoo.main) as conn:
        assert _scalar(conn, "SHOW default_transaction_read_only") == "on"
        assert _scalar(conn, "SHOW statement_timeout") == "30s"
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("CREATE TABLE public.probe (a int)")
    with odoo.superuser() as su:
        row = su.execute(
            "SELECT rolconnlimit, rolsuper, rolinherit, "
            "pg_has_role(rolname, 'pg_read_all_data', 'USAGE') FROM pg_roles WHERE rolname = %s",
            (odoo.main,),
        ).fetchone()
        assert row == (20, False, False, False)


def _raw_company_counts(su: psycopg.Connection[Any]) -> dict[int, int]:
    """Product lines per company straight from Odoo's tables, not through any view."""
    rows = su.execute(
        "SELECT so.company_id, count(*) FROM public.sale_order_line sol "
        "JOIN public.sale_order so ON so.id = sol.order_id WHERE sol.display_type IS NULL "
        "GROUP BY 1"
    ).fetchall()
    return {int(r[0]): int(r[1]) for r in rows}


def test_company_scoped_roles_see_exactly_their_companies(odoo: Odoo) -> None:
    main = odoo.main
    with odoo.superuser() as su:
        raw = _raw_company_counts(su)
        internal = f'"{odoo.schema}_internal"'
        expected: dict[str, dict[Any, int]] = {}
        for view in VIEWS:
            cols = {
                r[0]
                for r in su.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_schema = %s "
                    "AND table_name = %s",
                    (odoo.schema, view),
                )
            }
            if "company_id" in cols:
                expected[view] = dict(
                    su.execute(  # type: ignore[arg-type]
                        f'SELECT company_id, count(*) FROM {internal}."{view}" GROUP BY 1'
                    ).fetchall()
                )
    assert set(raw) == {1, 2, 3}
    for role, companies in ((f"{main}_c1", {1}), (f"{main}_c23", {2, 3}), (main, {1, 2, 3})):
        with odoo.connect_as(role) as conn:
            got = dict(
                conn.execute(
                    "SELECT company_id, count(*) FROM sale_order_lines GROUP BY 1"
                ).fetchall()
            )
            assert got == {c: n for c, n in raw.items() if c in companies}
            for view, counts in expected.items():
                seen = dict(
                    conn.execute(  # type: ignore[arg-type]
                        f'SELECT company_id, count(*) FROM "{view}" GROUP BY 1'
                    ).fetchall()
                )
                shared = view in ("partners", "products")
                want = {c: n for c, n in counts.items() if c in companies or (c is None and shared)}
                assert seen == want, (role, view)


def test_leaky_function_attack_reveals_no_hidden_row(odoo: Odoo) -> None:
    """The PostgreSQL docs' attack: a cheap function with RAISE NOTICE in WHERE."""
    attacker = f"atk_{odoo.db.removeprefix('odoo')}"
    password = "pw-" + secrets.token_hex(16)
    internal = f"{odoo.schema}_internal"
    with odoo.superuser() as su:
        su.execute(f"CREATE ROLE {attacker} LOGIN PASSWORD '{password}'")
        su.execute(f"CREATE SCHEMA {attacker} AUTHORIZATION {attacker}")  # may create functions
        su.execute(f'GRANT USAGE ON SCHEMA "{odoo.schema}" TO {attacker}')
        su.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{odoo.schema}" TO {attacker}')
        su.execute(f"INSERT INTO \"{internal}\".company_scope VALUES ('{attacker}', 1)")
        # the control: the same scoping in a view WITHOUT security_barrier
        su.execute(f'CREATE SCHEMA leaky AUTHORIZATION "{odoo.cfg.access.owner_role}"')
        su.execute(f'SET ROLE "{odoo.cfg.access.owner_role}"')
        definition = _scalar(
            su, "SELECT pg_get_viewdef(%s::regclass)", (f'"{odoo.schema}".sale_order_lines',)
        )
        su.execute(f"CREATE VIEW leaky.sale_order_lines AS {definition}")  # type: ignore[arg-type]
        su.execute(f"GRANT USAGE ON SCHEMA leaky TO {attacker}")
        su.execute(f"GRANT SELECT ON leaky.sale_order_lines TO {attacker}")
        su.execute("RESET ROLE")
    notices: list[str] = []
    info = make_conninfo(odoo.admin, user=attacker, password=password)
    try:
        with psycopg.connect(info, autocommit=True) as conn:
            conn.add_notice_handler(lambda d: notices.append(str(d.message_primary)))
            conn.execute(
                f"CREATE FUNCTION {attacker}.tricky(company integer, name text) RETURNS boolean "
                "LANGUAGE plpgsql COST 0.0000000000000000000001 AS $$ BEGIN "
                "RAISE NOTICE 'seen company=% name=%', company, name; RETURN true; END $$"
            )
            rows = conn.execute(
                f'SELECT company_id FROM "{odoo.schema}".sale_order_lines '
                f"WHERE {attacker}.tricky(company_id, order_name)"
            ).fetchall()
            assert rows and {r[0] for r in rows} == {1}
            seen = {n.split()[1] for n in notices}
            assert seen == {"company=1"}  # the function only ever saw visible rows
            notices.clear()
            conn.execute(
                f"SELECT company_id FROM leaky.sale_order_lines "
                f"WHERE {attacker}.tricky(company_id, order_name)"
            ).fetchall()
            # without security_barrier the same attack sees the other companies' rows
            assert {"company=2", "company=3"} <= {n.split()[1] for n in notices}
    finally:
        with odoo.superuser() as su:
            su.execute("DROP SCHEMA leaky CASCADE")
            su.execute(f"DROP SCHEMA {attacker} CASCADE")
            su.execute(f"DELETE FROM \"{internal}\".company_scope WHERE role_name = '{attacker}'")
            su.execute(f"DROP OWNED BY {attacker}")
            su.execute(f"DROP ROLE {attacker}")


def _fingerprint(odoo: Odoo) -> list[Any]:
    internal = f"{odoo.schema}_internal"
    roles = [*odoo.passwords, odoo.cfg.access.owner_role]
    with odoo.superuser() as su:
        parts: list[Any] = []
        for query, params in (
            (
                "SELECT n.nspname, c.relname, c.relkind, c.relacl::text, c.reloptions, "
                "obj_description(c.oid, 'pg_class'), c.oid FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN (%s, %s) "
                "ORDER BY 1, 2",
                (odoo.schema, internal),
            ),
            (
                "SELECT rolname, rolpassword, rolconnlimit, rolcanlogin FROM pg_authid "
                "WHERE rolname = ANY(%s) ORDER BY 1",
                (roles,),
            ),
            (
                "SELECT setrole::regrole::text, setconfig FROM pg_db_role_setting "
                "WHERE setrole::regrole::text = ANY(%s) ORDER BY 1",
                (roles,),
            ),
            ("SELECT datacl::text FROM pg_database WHERE datname = current_database()", ()),
            (f'SELECT * FROM "{internal}".company_scope ORDER BY 1, 2', ()),
            (
                "SELECT c.relname, c.relacl::text FROM pg_class c JOIN pg_namespace n "
                "ON n.oid = c.relnamespace WHERE n.nspname = 'public' ORDER BY 1",
                (),
            ),
        ):
            parts.append(su.execute(query, params).fetchall())  # type: ignore[arg-type]
    return parts


def test_apply_twice_changes_nothing(odoo: Odoo) -> None:
    before = _fingerprint(odoo)
    result = apply(odoo.admin, odoo.cfg, odoo.passwords, analytics_dir=ANALYTICS)
    assert not result.changed and result.statements == 0
    assert _fingerprint(odoo) == before  # same objects (same oids), grants, passwords, rows
    assert not plan(odoo.admin, odoo.cfg, odoo.passwords, analytics_dir=ANALYTICS).has_changes


def test_readme_names_and_types_match_the_live_views(odoo: Odoo) -> None:
    with odoo.superuser() as su:
        types = read_view_types(su, odoo.schema)
    committed = (ANALYTICS / "README.md").read_text(encoding="utf-8")
    assert render_readme(load_templates(ANALYTICS), types) == committed


def test_update_readme_compares_with_the_live_types_and_writes_only_when_stale(
    odoo: Odoo, repo_copy: RepoPaths
) -> None:
    from supersetctl.contract.environment import Environment
    from supersetctl.db.docs import live_readme, update_readme

    env = Environment("dev", repo_copy, odoo.cfg, {odoo.cfg.access.admin_url_env: odoo.admin})
    readme = repo_copy.analytics / "README.md"
    committed = (ANALYTICS / "README.md").read_text(encoding="utf-8")
    assert live_readme(env) == committed
    checked = update_readme(env, check=True)
    assert (checked.path, checked.stale, checked.written) == (readme, False, False)
    readme.write_text("outdated\n", encoding="utf-8")
    checked = update_readme(env, check=True)
    assert checked.stale and not checked.written
    assert readme.read_text(encoding="utf-8") == "outdated\n"
    written = update_readme(env)
    assert written.stale and written.written
    assert readme.read_text(encoding="utf-8") == committed
    assert not update_readme(env).written


def test_refresh_brings_summaries_up_to_date(odoo: Odoo) -> None:
    query = "SELECT coalesce(sum(amount_untaxed), 0) FROM sales_monthly WHERE company_id = 1"
    with odoo.connect_as(odoo.main) as conn:
        before = _scalar(conn, query)
    with odoo.superuser() as su:
        new_id = _scalar(
            su,
            "INSERT INTO public.sale_order_line (order_id, product_id, name, product_uom_qty, "
            "price_unit, price_subtotal, price_tax, price_total, company_id) "
            "SELECT so.id, 1, 'x', 1, 1000, 1000, 0, 1000, 1 FROM public.sale_order so "
            "WHERE so.company_id = 1 ORDER BY so.id LIMIT 1 RETURNING id",
        )
    try:
        with odoo.connect_as(odoo.main) as conn:
            assert _scalar(conn, query) == before  # materialized: stale until refreshed
            result = refresh(odoo.admin, odoo.cfg, analytics_dir=ANALYTICS)
            assert result.concurrently and {n for n, _s in result.timings} >= {"sales_monthly"}
            assert _scalar(conn, query) == before + 1000
    finally:
        with odoo.superuser() as su:
            su.execute("DELETE FROM public.sale_order_line WHERE id = %s", (new_id,))
        refresh(odoo.admin, odoo.cfg, analytics_dir=ANALYTICS)


def test_apply_repairs_legacy_grants_that_verify_catches(odoo: Odoo) -> None:
    main = odoo.main
    with odoo.superuser() as su:
        su.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{main}"')
        su.execute(f'GRANT pg_read_all_data TO "{main}_c1"')
        su.execute(f'GRANT CREATE ON SCHEMA "{odoo.schema}" TO "{main}"')
        su.execute(f'ALTER ROLE "{main}" RESET default_transaction_read_only')
    report = verify(odoo.admin, odoo.cfg, odoo.passwords, analytics_dir=ANALYTICS)
    failed = {(c.role, c.name.split(" ")[0]) for c in report.failures}
    assert (main, "SELECT") in failed  # raw tables readable
    assert (main, "privileges:") in failed
    assert (main, "CREATE") in failed
    assert (main, "read-only") in failed
    assert (f"{main}_c1", "member") in failed
    result = apply(odoo.admin, odoo.cfg, odoo.passwords, analytics_dir=ANALYTICS)
    assert result.changed
    assert verify(odoo.admin, odoo.cfg, odoo.passwords, analytics_dir=ANALYTICS).ok


def test_plan_shows_sql_with_secrets_redacted_and_changes_nothing(odoo: Odoo) -> None:
    data = odoo.cfg.model_dump(mode="json")
    newcomer = f"{odoo.main}_new"
    data["access"]["scoped_roles"].append(
        {"name": newcomer, "company_ids": [3], "password_env": "NEW_PW", "database": "odoo"}
    )
    cfg = EnvConfig.model_validate(data)
    password = "pw-" + secrets.token_hex(16)
    result = plan(odoo.admin, cfg, {**odoo.passwords, newcomer: password}, analytics_dir=ANALYTICS)
    script = result.script()
    assert f'CREATE ROLE "{newcomer}" LOGIN' in script and "PASSWORD '***'" in script
    assert password not in script and "SCRAM-SHA-256$" not in script
    assert f"VALUES ('{newcomer}', 3)" in script
    with odoo.superuser() as su:
        assert (
            su.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (newcomer,)).fetchone() is None
        )


# ---------------------------------------------------------------------------------- staging


def test_staging_views_show_no_real_email_phone_or_name(staging: Odoo) -> None:
    report = verify(staging.admin, staging.cfg, staging.passwords, analytics_dir=ANALYTICS)
    assert report.ok, report.failures
    assert any(c.name.startswith("masking") and c.ok for c in report.checks)
    with staging.superuser() as su:
        real = {
            str(v)
            for row in su.execute(
                "SELECT email, phone, mobile, CASE WHEN NOT is_company THEN name END "
                "FROM public.res_partner UNION ALL "
                "SELECT work_email, private_email, private_phone, name FROM public.hr_employee "
                "UNION ALL SELECT email_from, phone, contact_name, "
                "NULL FROM public.crm_lead"
            )
            for v in row
            if v
        }
    assert len(real) > 1000
    seen: set[str] = set()
    with staging.connect_as(staging.main) as conn:
        for view in VIEWS:
            cols = [
                r[0]
                for r in conn.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_schema = %s "
                    "AND table_name = %s AND data_type = 'text'",
                    (staging.schema, view),
                )
            ]
            for col in cols:
                seen.update(
                    str(r[0])
                    for r in conn.execute(  # type: ignore[arg-type]
                        f'SELECT DISTINCT "{col}" FROM "{view}" WHERE "{col}" IS NOT NULL'
                    )
                )
        assert not (seen & real)
        assert not [v for v in seen if "@" in v]
        # pseudonyms are stable: the same customer has the same name in every view
        pairs = conn.execute(
            "SELECT DISTINCT p.partner_name, o.customer_name FROM partners p "
            "JOIN sale_orders o ON o.customer_id = p.partner_id"
        ).fetchall()
        assert pairs and all(a == b for a, b in pairs)


def test_masking_check_catches_unmasked_views(odoo: Odoo) -> None:
    """The control for the staging proof: on dev (no masking) the same check fails."""
    from supersetctl.db.model import build_desired
    from supersetctl.db.verify import _personal_values
    from supersetctl.db.views import read_catalog

    with odoo.superuser() as su:
        d = build_desired(odoo.cfg, read_catalog(su), odoo.db, analytics_dir=ANALYTICS)
        personal = _personal_values(su)
    with odoo.connect_as(odoo.main) as conn:
        _name, ok, detail = masking_check(conn, d, personal)
    assert not ok and "partners.partner_name" in detail


def test_even_the_view_owner_cannot_read_secrets_or_contact_data(odoo: Odoo) -> None:
    owner = odoo.cfg.access.owner_role
    closed = [
        ("res_users", "password"), ("res_users", "login"), ("res_partner", "email"),
        ("res_partner", "phone"), ("res_partner", "street"), ("hr_employee", "private_email"),
        ("hr_employee", "ssnid"), ("crm_lead", "email_from"), ("ir_config_parameter", "value"),
        ("ir_mail_server", "smtp_pass"),
    ]  # fmt: skip
    with odoo.superuser() as su:
        for table, column in closed:
            assert not _scalar(
                su, "SELECT has_column_privilege(%s, %s, %s, 'SELECT')",
                (owner, f"public.{table}", column),
            ), (table, column)  # fmt: skip
        assert _scalar(
            su, "SELECT has_column_privilege(%s, 'public.res_partner', 'name', 'SELECT')", (owner,)
        )
        su.execute(f'SET ROLE "{owner}"')
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            su.execute("SELECT password FROM public.res_users")


def test_changed_template_recreates_the_view_and_its_summaries(odoo: Odoo, tmp_path: Any) -> None:
    import shutil

    changed = tmp_path / "analytics"
    shutil.copytree(ANALYTICS, changed)
    path = changed / "views" / "110_sale_order_lines.sql"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace(
            "    sol.price_total::numeric AS amount_total  -- line total with taxes\n",
            "    sol.price_total::numeric AS amount_total,  -- line total with taxes\n"
            "    sol.sequence::integer AS line_sequence  -- position in the order\n",
        ),
        encoding="utf-8",
    )
    (changed / "views" / "850_stock_moves_monthly.sql").unlink()
    try:
        p = plan(odoo.admin, odoo.cfg, odoo.passwords, analytics_dir=changed)
        touched = " ".join(s.summary for s in p.changes)
        assert "create analytics_internal.sale_order_lines" in touched.replace(
            odoo.schema, "analytics"
        )
        for dependent in ("sales_monthly", "sales_product_monthly"):
            assert f"fill {odoo.schema}_internal.{dependent}" in touched
        assert f"drop {odoo.schema}.stock_moves_monthly, no longer defined" in touched
        assert "invoices" not in touched  # untouched views stay as they are
        apply(odoo.admin, odoo.cfg, odoo.passwords, analytics_dir=changed)
        with odoo.connect_as(odoo.main) as conn:
            assert conn.execute("SELECT max(line_sequence) FROM sale_order_lines").fetchone()
            assert conn.execute("SELECT count(*) FROM sales_monthly").fetchone()
            with pytest.raises(psycopg.errors.UndefinedTable):
                conn.execute("SELECT 1 FROM stock_moves_monthly")
        assert not plan(odoo.admin, odoo.cfg, odoo.passwords, analytics_dir=changed).has_changes
    finally:
        apply(odoo.admin, odoo.cfg, odoo.passwords, analytics_dir=ANALYTICS)
    report = verify(odoo.admin, odoo.cfg, odoo.passwords, analytics_dir=ANALYTICS)
    assert report.ok, report.failures
