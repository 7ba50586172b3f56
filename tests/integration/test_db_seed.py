"""Seed data in a real PostgreSQL: deterministic, idempotent, guarded."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from supersetctl.db.seed import seed_database
from supersetctl.db.seed_schema import tables
from supersetctl.errors import DatabaseError

pytestmark = pytest.mark.integration


@pytest.fixture
def new_db(pg: Any) -> Iterator[Any]:
    made: list[str] = []

    def make() -> str:
        name = f"seed_{secrets.token_hex(4)}"
        with psycopg.connect(pg.conninfo("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        return str(pg.conninfo(name))

    yield make
    with psycopg.connect(pg.conninfo("postgres"), autocommit=True) as conn:
        for name in made:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _content(conninfo: str, version: int) -> dict[str, str]:
    out = {}
    with psycopg.connect(conninfo) as conn:
        for table in tables(version):
            row = conn.execute(
                "SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "  # type: ignore[arg-type]
                f'FROM public."{table}" t'
            ).fetchone()
            assert row is not None
            out[table] = str(row[0])
    return out


@pytest.mark.parametrize("version", [17, 18])
def test_same_parameters_same_database(new_db: Any, version: int) -> None:
    a, b = new_db(), new_db()
    first = seed_database(a, odoo_version=version, scale=1, seed=5)
    seed_database(b, odoo_version=version, scale=1, seed=5)
    assert first.created and first.counts["sale_order_line"] == 10_000
    assert _content(a, version) == _content(b, version)


def test_second_seed_is_a_no_op_and_other_parameters_are_refused(new_db: Any) -> None:
    db = new_db()
    seed_database(db, scale=1)
    again = seed_database(db, scale=1)
    assert not again.created and again.counts["sale_order_line"] == 10_000
    with pytest.raises(DatabaseError, match="already holds Odoo tables"):
        seed_database(db, scale=1, seed=43)
    replaced = seed_database(db, odoo_version=18, scale=1, seed=43, replace=True)
    assert replaced.created
    with psycopg.connect(db) as conn:
        assert conn.execute(
            "SELECT data_type FROM information_schema.columns WHERE table_name = "
            "'product_product' AND column_name = 'standard_price'"
        ).fetchone() == ("jsonb",)


def test_refuses_a_database_with_foreign_odoo_tables(new_db: Any) -> None:
    db = new_db()
    with psycopg.connect(db) as conn:
        conn.execute("CREATE TABLE public.res_company (id serial PRIMARY KEY, name varchar)")
    with pytest.raises(DatabaseError, match="not made by the seed"):
        seed_database(db)


def test_amounts_are_consistent(new_db: Any) -> None:
    db = new_db()
    seed_database(db, scale=1)
    with psycopg.connect(db) as conn:
        mismatched = conn.execute(
            "SELECT count(*) FROM public.sale_order so JOIN (SELECT order_id, "
            "sum(price_subtotal) s FROM public.sale_order_line GROUP BY 1) l "
            "ON l.order_id = so.id WHERE abs(l.s - so.amount_untaxed) > 0.01"
        ).fetchone()
        assert mismatched == (0,)
        signs = conn.execute(
            "SELECT move_type, bool_and(amount_total_signed >= 0) FROM public.account_move "
            "GROUP BY 1 ORDER BY 1"
        ).fetchall()
        assert dict(signs) == {"in_invoice": False, "out_invoice": True, "out_refund": False}


def test_seeded_end_date_reads_the_marker(pg) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    import psycopg

    from supersetctl.db.seed import seed_database, seeded_end_date

    with psycopg.connect(pg.conninfo("postgres"), autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS seed_marker_probe")
        conn.execute("CREATE DATABASE seed_marker_probe")
    conninfo = pg.conninfo("seed_marker_probe")
    assert seeded_end_date(conninfo) is None
    seed_database(conninfo, end_date=dt.date(2026, 5, 31))
    assert seeded_end_date(conninfo) == dt.date(2026, 5, 31)
