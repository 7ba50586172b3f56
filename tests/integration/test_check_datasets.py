"""The dataset probes of ``check`` on a real PostgreSQL, logged in as a read-only role: plain
columns through information_schema, expressions and metrics in LIMIT 0 probes, virtual
datasets as subqueries, a table the role cannot see, Jinja left to Superset."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql

from supersetctl.check.datasets import probe_dataset
from supersetctl.local.postgres import PostgresInfo

pytestmark = pytest.mark.integration

DB, ROLE = "check_probe", "check_ro"


@pytest.fixture(scope="module")
def ro_conn(pg: PostgresInfo) -> Iterator[psycopg.Connection[Any]]:
    password = "ro_" + secrets.token_hex(12)
    with psycopg.connect(pg.conninfo("postgres"), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DB}")
        admin.execute(f"CREATE DATABASE {DB}")
        admin.execute(f"DROP ROLE IF EXISTS {ROLE}")
        admin.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(ROLE), sql.Literal(password)
            )
        )
    with psycopg.connect(pg.conninfo(DB), autocommit=True) as admin:
        admin.execute(
            "CREATE SCHEMA analytics; CREATE TABLE analytics.base (id int, amount numeric, "
            "state text); CREATE VIEW analytics.orders AS SELECT id, amount, state FROM "
            "analytics.base; CREATE TABLE analytics.secret (id int); "
            f"GRANT USAGE ON SCHEMA analytics TO {ROLE}; "
            f"GRANT SELECT ON analytics.orders TO {ROLE}; "
            f"ALTER ROLE {ROLE} SET default_transaction_read_only = on"
        )
    info = {"host": pg.host, "port": str(pg.port), "dbname": DB, "user": ROLE,
            "password": password}  # fmt: skip
    with psycopg.connect(**info) as conn:  # type: ignore[arg-type]
        yield conn


def _dataset(**extra: Any) -> dict[str, Any]:
    return {
        "table_name": "orders",
        "schema": "analytics",
        "sql": None,
        "columns": [{"column_name": "id"}, {"column_name": "amount"}],
        "metrics": [{"metric_name": "revenue", "expression": "SUM(amount)"}],
        **extra,
    }


def test_a_dataset_that_matches_its_view_is_ok(ro_conn: psycopg.Connection[Any]) -> None:
    columns = [{"column_name": "id"}, {"column_name": "big", "expression": "amount > 100"}]
    result = probe_dataset(ro_conn, "u", _dataset(columns=columns))
    assert result.ok and result.name == "analytics.orders" and result.skipped is None


def test_each_problem_is_named(ro_conn: psycopg.Connection[Any]) -> None:
    data = _dataset(
        columns=[
            {"column_name": "id"},
            {"column_name": "direction"},
            {"column_name": "late", "expression": "shipped_at > now()"},
        ],
        metrics=[
            {"metric_name": "revenue", "expression": "SUM(amount)"},
            {"metric_name": "broken", "expression": "SUM(amount"},
        ],
    )
    problems = probe_dataset(ro_conn, "u", data).problems
    assert problems[0] == "column direction is not in analytics.orders"
    assert problems[1].startswith('column late (shipped_at > now()): column "shipped_at"')
    assert problems[2].startswith("metric broken (SUM(amount): syntax error")
    assert len(problems) == 3


def test_a_table_the_role_cannot_see(ro_conn: psycopg.Connection[Any]) -> None:
    result = probe_dataset(ro_conn, "u", _dataset(table_name="secret"))
    assert result.problems == [
        "table analytics.secret does not exist or the read-only role cannot see it"
    ]


def test_virtual_datasets_and_jinja(ro_conn: psycopg.Connection[Any]) -> None:
    query = "SELECT state, amount FROM analytics.orders;"
    good = _dataset(sql=query, columns=[{"column_name": "state"}, {"column_name": "amount"}])
    assert probe_dataset(ro_conn, "u", good).ok
    renamed = _dataset(sql=query, columns=[{"column_name": "id"}])
    assert probe_dataset(ro_conn, "u", renamed).problems == ["column id is not in analytics.orders"]
    failing = _dataset(sql="SELECT nope FROM analytics.orders")
    assert probe_dataset(ro_conn, "u", failing).problems[0].startswith("its SQL fails: column")
    jinja = _dataset(sql="SELECT * FROM analytics.orders WHERE {{ filter_values('x') }}")
    result = probe_dataset(ro_conn, "u", jinja)
    assert result.ok and result.skipped and "Jinja" in result.skipped
