"""Dashboard queries through the analytics views: summaries vs live joins of Odoo's tables.

Method: a throwaway PostgreSQL 15 cluster (the same code as `supersetctl up`, default settings
apart from the port) in a temp folder; Odoo 17-shaped seed data (scale 100 by default: 1,000,000
sale order lines, 200,000 invoice product lines) loaded with `supersetctl.db.seed`; the access
model applied with `supersetctl.db.access.apply` (a dev-like config, a role scoped to company 1).
Every query runs as the Superset login role over one connection, like a chart would: first
through the published views the dashboards use (materialized summaries where they exist),
then the same question over the detail views, which are live joins of the raw Odoo tables
(`sale_order_lines`, `invoices`, ...) behind the same company-scope filter. Each query is run
WARMUP times to warm up, then timed RUNS times (NAIVE_RUNS for the live joins): wall time on
the client, fetching every row. Refresh: `supersetctl.db.refresh.refresh`, concurrent and plain.
Run: .venv/bin/python bench/db_queries.py [--scale N] [--runs N]
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script: the repo root, for bench._common and tests

import argparse  # noqa: E402
import os  # noqa: E402
import secrets  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

import psycopg  # noqa: E402
from bench._common import machine, summary, write_section  # noqa: E402
from psycopg.conninfo import make_conninfo  # noqa: E402

from supersetctl.contract.models import EnvConfig  # noqa: E402
from supersetctl.db.access import apply  # noqa: E402
from supersetctl.db.refresh import refresh  # noqa: E402
from supersetctl.db.seed import seed_database  # noqa: E402
from supersetctl.local.postgres import PostgresCluster, free_port  # noqa: E402
from supersetctl.pg import find_binaries  # noqa: E402

WARMUP = 2
SINCE = "2025-07-01"  # the last 12 months of the seed history (it ends 2026-06-30)

# (dashboard, question, through the analytics views, the same over live joins)
QUERIES: list[tuple[str, str, str, str]] = [
    (
        "Sales", "revenue by month (12 months, confirmed)",
        f"SELECT order_month, sum(amount_untaxed) FROM sales_monthly WHERE is_confirmed "
        f"AND order_month >= '{SINCE}' GROUP BY 1 ORDER BY 1",
        f"SELECT order_month, sum(amount_untaxed) FROM sale_order_lines WHERE is_confirmed "
        f"AND order_month >= '{SINCE}' GROUP BY 1 ORDER BY 1",
    ),
    (
        "Sales", "revenue by company and month",
        "SELECT company_id, order_month, sum(amount_untaxed) FROM sales_monthly "
        "WHERE is_confirmed GROUP BY 1, 2 ORDER BY 1, 2",
        "SELECT company_id, order_month, sum(amount_untaxed) FROM sale_order_lines "
        "WHERE is_confirmed GROUP BY 1, 2 ORDER BY 1, 2",
    ),
    (
        "Sales", "revenue by product category",
        f"SELECT category_name, sum(amount_untaxed) FROM sales_monthly WHERE is_confirmed "
        f"AND order_month >= '{SINCE}' GROUP BY 1 ORDER BY 2 DESC",
        f"SELECT category_name, sum(amount_untaxed) FROM sale_order_lines WHERE is_confirmed "
        f"AND order_month >= '{SINCE}' GROUP BY 1 ORDER BY 2 DESC",
    ),
    (
        "Sales", "revenue by salesperson",
        f"SELECT salesperson_name, sum(amount_untaxed) FROM sales_monthly WHERE is_confirmed "
        f"AND order_month >= '{SINCE}' GROUP BY 1 ORDER BY 2 DESC",
        f"SELECT salesperson_name, sum(amount_untaxed) FROM sale_order_lines WHERE is_confirmed "
        f"AND order_month >= '{SINCE}' GROUP BY 1 ORDER BY 2 DESC",
    ),
    (
        "Sales", "top 10 products",
        f"SELECT product_name, sum(amount_untaxed) FROM sales_product_monthly WHERE "
        f"is_confirmed AND order_month >= '{SINCE}' GROUP BY 1 ORDER BY 2 DESC LIMIT 10",
        f"SELECT product_name, sum(amount_untaxed) FROM sale_order_lines WHERE "
        f"is_confirmed AND order_month >= '{SINCE}' GROUP BY 1 ORDER BY 2 DESC LIMIT 10",
    ),
    (
        "Sales", "orders per month and state",
        "SELECT order_month, state, sum(order_count) FROM sale_orders_monthly "
        "GROUP BY 1, 2 ORDER BY 1, 2",
        "SELECT order_month, state, count(*) FROM sale_orders GROUP BY 1, 2 ORDER BY 1, 2",
    ),
    (
        "Invoicing", "invoiced revenue by month",
        "SELECT invoice_month, sum(amount_untaxed_signed) FROM invoicing_monthly "
        "WHERE is_customer AND state = 'posted' GROUP BY 1 ORDER BY 1",
        "SELECT invoice_month, sum(amount_untaxed_signed) FROM invoices "
        "WHERE is_customer AND state = 'posted' GROUP BY 1 ORDER BY 1",
    ),
    (
        "Invoicing", "invoiced revenue by product category",
        "SELECT category_name, sum(amount_untaxed_signed) FROM invoice_lines_monthly "
        "WHERE move_type IN ('out_invoice', 'out_refund') AND state = 'posted' "
        "GROUP BY 1 ORDER BY 2 DESC",
        "SELECT category_name, sum(amount_untaxed_signed) FROM invoice_lines "
        "WHERE move_type IN ('out_invoice', 'out_refund') AND state = 'posted' "
        "GROUP BY 1 ORDER BY 2 DESC",
    ),
    (
        "Invoicing", "AR aging buckets by company",
        "SELECT company_id, aging_bucket, sum(amount_residual_signed) FROM ar_aging "
        "GROUP BY 1, 2 ORDER BY 1, 2",
        "SELECT company_id, CASE WHEN current_date <= due_date THEN 'not due' "
        "WHEN current_date - due_date <= 30 THEN '1-30' WHEN current_date - due_date <= 60 "
        "THEN '31-60' WHEN current_date - due_date <= 90 THEN '61-90' ELSE '90+' END, "
        "sum(amount_residual_signed) FROM invoices WHERE is_customer AND state = 'posted' "
        "AND payment_state IN ('not_paid', 'partial', 'in_payment') "
        "AND amount_residual <> 0 GROUP BY 1, 2 ORDER BY 1, 2",
    ),
    (
        "CRM", "pipeline by stage",
        "SELECT stage_name, count(*), sum(expected_revenue), sum(prorated_revenue) "
        "FROM crm_leads WHERE status = 'open' GROUP BY 1 ORDER BY 1",
        "SELECT stage_name, count(*), sum(expected_revenue), sum(prorated_revenue) "
        "FROM crm_leads WHERE status = 'open' GROUP BY 1 ORDER BY 1",
    ),
    (
        "CRM", "won and lost by month",
        "SELECT date_trunc('month', closed_at), status, count(*) FROM crm_leads "
        "WHERE status <> 'open' GROUP BY 1, 2 ORDER BY 1, 2",
        "SELECT date_trunc('month', closed_at), status, count(*) FROM crm_leads "
        "WHERE status <> 'open' GROUP BY 1, 2 ORDER BY 1, 2",
    ),
    (
        "Inventory", "moves by month and direction",
        "SELECT move_month, direction, sum(quantity), sum(value) FROM stock_moves_monthly "
        "WHERE state = 'done' GROUP BY 1, 2 ORDER BY 1, 2",
        "SELECT move_month, direction, sum(quantity), sum(value) FROM stock_moves "
        "WHERE state = 'done' GROUP BY 1, 2 ORDER BY 1, 2",
    ),
]  # fmt: skip


def _cfg(db: str, sfx: str) -> EnvConfig:
    """A dev-like config of its own (the bench does not depend on config/dev/)."""
    return EnvConfig.model_validate(
        {
            "api_version": "supersetctl/v1",
            "environment": "dev",
            "superset": {"url": "http://127.0.0.1:8088", "app_name": "superset-bench"},
            "databases": {
                "odoo": {
                    "primary": True, "host": "127.0.0.1", "port": 5432, "database": db,
                    "user": f"bench_ro_{sfx}", "sslmode": "disable",
                    "password_env": "ODOO_RO_PASSWORD",
                }
            },
            "flags": {"seed_data": True, "masking": False, "strict_read_only": False},
            "access": {
                "owner_role": f"bench_owner_{sfx}",
                "scoped_roles": [
                    {"name": f"bench_ro_{sfx}_c1", "company_ids": [1],
                     "password_env": "ODOO_RO_COMPANY_1_PASSWORD"}
                ],
            },
        }
    )  # fmt: skip


def _time(conn: psycopg.Connection[Any], query: str, runs: int) -> list[float]:
    for _ in range(WARMUP):
        conn.execute(query).fetchall()  # type: ignore[arg-type]
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        conn.execute(query).fetchall()  # type: ignore[arg-type]
        out.append(time.perf_counter() - t0)
    return out


def _ms(x: float) -> str:
    return f"{x * 1000:.1f}"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=int, default=100)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--naive-runs", type=int, default=10)
    args = ap.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="supersetctl-bench-db-"))
    scratch.chmod(0o755)
    cluster = PostgresCluster(scratch / "pg", port=free_port(), binaries=find_binaries())
    steps: dict[str, float] = {}
    rows: list[tuple[str, str, dict[str, float], dict[str, float] | None]] = []
    try:
        t0 = time.perf_counter()
        cluster.start()
        steps["cluster start"] = time.perf_counter() - t0
        info = cluster.info()
        sfx = secrets.token_hex(3)
        db = f"bench_{sfx}"
        cluster.ensure_database(db)
        admin = info.conninfo(db)
        seeded = seed_database(admin, odoo_version=17, scale=args.scale)
        steps["seed (generate + COPY + indexes + ANALYZE)"] = seeded.seconds
        cfg = _cfg(db, sfx)
        main_role = cfg.databases["odoo"].user
        passwords = {main_role: secrets.token_hex(16), f"{main_role}_c1": secrets.token_hex(16)}
        result = apply(admin, cfg, passwords, analytics_dir=ROOT / "infra/superset/analytics")
        steps["db apply (first run: roles, views, materialized summaries)"] = result.seconds
        again = apply(admin, cfg, passwords, analytics_dir=ROOT / "infra/superset/analytics")
        steps["db apply (second run: nothing to change)"] = again.seconds
        conc = refresh(admin, cfg, analytics_dir=ROOT / "infra/superset/analytics")
        steps["db refresh (concurrently, all summaries)"] = conc.seconds
        plain = refresh(admin, cfg, concurrently=False,
                        analytics_dir=ROOT / "infra/superset/analytics")  # fmt: skip
        steps["db refresh --blocking (all summaries)"] = plain.seconds
        with psycopg.connect(admin, autocommit=True) as su:
            su.execute("VACUUM ANALYZE")
        role_info = make_conninfo(admin, user=main_role, password=passwords[main_role])
        with psycopg.connect(role_info, autocommit=True) as conn:
            for dashboard, question, fast, naive in QUERIES:
                fs = summary(_time(conn, fast, args.runs))
                ns = None if naive == fast else summary(_time(conn, naive, args.naive_runs))
                rows.append((dashboard, question, fs, ns))
                print(f"{dashboard:10} {question:42} p50 {_ms(fs['median']):>7} ms  "
                      f"p95 {_ms(fs['p95']):>7} ms" + (
                          f"   live joins p50 {_ms(ns['median']):>7} ms p95 {_ms(ns['p95']):>7} ms"
                          if ns else ""), flush=True)  # fmt: skip
        scoped_info = make_conninfo(admin, user=f"{main_role}_c1",
                                    password=passwords[f"{main_role}_c1"])  # fmt: skip
        with psycopg.connect(scoped_info, autocommit=True) as conn:
            _d, q, fast, naive = QUERIES[0]
            fs = summary(_time(conn, fast, args.runs))
            ns = summary(_time(conn, naive, args.naive_runs))
            rows.append(("Sales", q + ", company-1 role", fs, ns))
            print(f"scoped: p50 {_ms(fs['median'])} ms, live {_ms(ns['median'])} ms")
    finally:
        cluster.destroy()
        shutil.rmtree(scratch, ignore_errors=True)

    lines = [
        "## Analytics views: dashboard queries (`bench/db_queries.py`)\n",
        f"Machine: {machine()}, PostgreSQL {cluster.binaries.version} with default settings.\n",
        __doc__.split("\n\n", 1)[1].split("\nRun:")[0].replace("WARMUP", str(WARMUP))
        .replace("NAIVE_RUNS", str(args.naive_runs)).replace("RUNS", str(args.runs)) + "\n",
        f"Data: {seeded.counts['sale_order_line']:,} sale order lines, "
        f"{seeded.counts['sale_order']:,} orders, {seeded.counts['account_move']:,} invoices "
        f"and bills, {seeded.counts['account_move_line']:,} journal items "
        f"({2000 * args.scale:,} invoice product lines), {seeded.counts['crm_lead']:,} leads, "
        f"{seeded.counts['stock_move']:,} stock moves (scale {args.scale}).\n",
        "| dashboard | question | p50 ms | p95 ms | live joins p50 ms | live joins p95 ms |",
        "|---|---|---:|---:|---:|---:|",
    ]  # fmt: skip
    for dashboard, question, fs, ns in rows:
        live = f"{_ms(ns['median'])} | {_ms(ns['p95'])}" if ns else "same view | (live)"
        lines.append(f"| {dashboard} | {question} | {_ms(fs['median'])} | {_ms(fs['p95'])} | "
                     f"{live} |")  # fmt: skip
    worst = max(fs["p95"] for _d, _q, fs, _n in rows)
    lines += [
        "",
        f"Slowest dashboard query p95: {_ms(worst)} ms (target: under 100 ms). Load average "
        f"at the end of the run: {os.getloadavg()[0]:.1f} (other work shared the cores).\n",
        "| step | seconds |",
        "|---|---:|",
        *(f"| {k} | {v:.1f} |" for k, v in steps.items()),
        "",
        "Refresh per summary (concurrently): "
        + ", ".join(f"`{n}` {s:.1f} s" for n, s in conc.timings)
        + ".",
    ]
    path = write_section("db", "\n".join(lines))
    print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
