"""Load check: simulated dashboard viewers against a local Superset, with and without Redis.

Method: a throwaway stack on 127.0.0.1 only, in a temp folder, on free ports, built with the
same code as `supersetctl up`: a PostgreSQL 15 cluster (Superset's metadata DB and an Odoo 17
seed database, `supersetctl.db.seed`), the pinned Superset runtime (image/requirements.txt,
image/superset_config.py, gunicorn gthread with WORKERS workers x 4 threads). A starter
dashboard is created through the REST API: six charts over the seed's sales, order lines and
invoices (totals, breakdowns, a monthly series, a top-10).

Each simulated viewer loops for DURATION seconds: open the dashboard the way the browser does
(`GET /api/v1/dashboard/<id>`, `.../charts`, `.../datasets`, then every chart's
`POST /api/v1/chart/data` with its saved query context, at most 6 at a time like a browser's
connection limit), record the time until the last chart's data arrived ("full dashboard
time"), then read it for THINK seconds (uniformly 0.5x to 1.5x, seeded) before reloading it;
viewers arrive spread over the first THINK seconds. Any non-200 answer, timeout or chart
error counts as an error. All viewers share one admin access token.

Run 1: no Redis: Superset's defaults, no data cache, every chart runs its SQL.
Run 2: Redis (`redis-server` on a free port, REDIS_URL set: the config turns on the metadata,
data, filter-state and explore caches), after one warm-up pass over the dashboard.

Run 3 (capacity): as run 2 with STRESS_THINK seconds between views.

Run: .venv/bin/python bench/load.py [--viewers 50] [--duration 120] [--think 30] [--scale 10]
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script: the repo root, for bench._common and tests

import argparse  # noqa: E402
import asyncio  # noqa: E402
import dataclasses  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402
from urllib.parse import quote  # noqa: E402

import httpx  # noqa: E402
from bench._common import machine, summary, write_section  # noqa: E402

from supersetctl.db.seed import seed_database  # noqa: E402
from supersetctl.local.postgres import PostgresCluster, free_port  # noqa: E402
from supersetctl.local.redis import RedisServer  # noqa: E402
from supersetctl.local.runtime import ensure_venv, requirements_digest  # noqa: E402
from supersetctl.local.superset import SupersetServer, provision_superset  # noqa: E402
from supersetctl.pg import find_binaries  # noqa: E402

REQUIREMENTS = ROOT / "image" / "requirements.txt"
CONFIG = ROOT / "image" / "superset_config.py"
HOST = "127.0.0.1"
BROWSER_PARALLEL = 6


def runtime_venv() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "supersetctl" / f"runtime-{requirements_digest(REQUIREMENTS)[:12]}"


def _sql_metric(expr: str, label: str) -> dict[str, Any]:
    return {"expressionType": "SQL", "sqlExpression": expr, "label": label}


def _sql_column(expr: str, label: str) -> dict[str, Any]:
    return {"expressionType": "SQL", "sqlExpression": expr, "label": label}


# (chart name, dataset table, columns, metrics, row limit, order by metric desc)
CHARTS: list[tuple[str, str, list[Any], list[dict[str, Any]], int]] = [
    (
        "Confirmed revenue",
        "sale_order",
        [],
        [_sql_metric("SUM(CASE WHEN state = 'sale' THEN amount_total ELSE 0 END)", "revenue")],
        1,
    ),
    ("Orders by state", "sale_order", ["state"], [_sql_metric("COUNT(*)", "orders")], 10),
    (
        "Revenue by month",
        "sale_order",
        [_sql_column("date_trunc('month', date_order)", "month")],
        [_sql_metric("SUM(amount_total)", "revenue")],
        100,
    ),
    (
        "Top 10 products",
        "sale_order_line",
        ["product_id"],
        [_sql_metric("SUM(price_subtotal)", "revenue")],
        10,
    ),
    (
        "Lines by company",
        "sale_order_line",
        ["company_id"],
        [_sql_metric("SUM(product_uom_qty)", "quantity"), _sql_metric("COUNT(*)", "lines")],
        10,
    ),
    (
        "Invoices by type and payment",
        "account_move",
        ["move_type", "payment_state"],
        [_sql_metric("SUM(amount_total_signed)", "amount")],
        50,
    ),
]


@dataclasses.dataclass
class Api:
    url: str
    token: str
    csrf: str
    cookies: httpx.Cookies

    def headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token}",
            "X-CSRFToken": self.csrf,
            "Referer": self.url + "/",
        }


def login(url: str, username: str, password: str) -> Api:
    with httpx.Client(base_url=url, timeout=60) as c:
        r = c.post(
            "/api/v1/security/login",
            json={"username": username, "password": password, "provider": "db", "refresh": True},
        )
        r.raise_for_status()
        token = r.json()["access_token"]
        r = c.get("/api/v1/security/csrf_token/", headers={"Authorization": f"Bearer {token}"})
        r.raise_for_status()
        return Api(url, token, r.json()["result"], c.cookies)


def _post(c: httpx.Client, api: Api, path: str, body: dict[str, Any]) -> dict[str, Any]:
    r = c.post(path, json=body, headers=api.headers())
    if r.status_code >= 300:
        raise RuntimeError(f"POST {path}: {r.status_code} {r.text[:300]}")
    return dict(r.json())


def build_dashboard(api: Api, odoo_uri: str) -> int:
    """The starter dashboard: a database, three datasets, six charts on one dashboard."""
    with httpx.Client(base_url=api.url, timeout=120, cookies=api.cookies) as c:
        db = _post(
            c,
            api,
            "/api/v1/database/",
            {
                "database_name": "odoo (bench)",
                "sqlalchemy_uri": odoo_uri,
                "expose_in_sqllab": True,
            },
        )["id"]
        datasets: dict[str, int] = {}
        for table in sorted({t for _, t, *_ in CHARTS}):
            datasets[table] = _post(
                c,
                api,
                "/api/v1/dataset/",
                {
                    "database": db,
                    "schema": "public",
                    "table_name": table,
                },
            )["id"]
        dash = _post(c, api, "/api/v1/dashboard/", {"dashboard_title": "Sales (bench)"})["id"]
        for name, table, columns, metrics, limit in CHARTS:
            ds = datasets[table]
            query = {
                "columns": columns,
                "metrics": metrics,
                "filters": [],
                "orderby": [[metrics[0], False]],
                "row_limit": limit,
                "extras": {"where": "", "having": ""},
            }
            qc = {
                "datasource": {"id": ds, "type": "table"},
                "force": False,
                "queries": [query],
                "result_format": "json",
                "result_type": "full",
                "form_data": {"datasource": f"{ds}__table", "viz_type": "table"},
            }
            _post(
                c,
                api,
                "/api/v1/chart/",
                {
                    "slice_name": name,
                    "viz_type": "table",
                    "datasource_id": ds,
                    "datasource_type": "table",
                    "dashboards": [dash],
                    "params": json.dumps({"viz_type": "table", "datasource": f"{ds}__table"}),
                    "query_context": json.dumps(qc),
                },
            )
        return int(dash)


_TICK = os.sysconf("SC_CLK_TCK")


def _tree_cpu(root: int) -> float:
    """CPU seconds (user + system) of process ``root`` and its live children (gunicorn)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(stat.parent.name)
        if pid == root or int(fields[1]) == root:  # fields[1] is the parent pid
            total += (int(fields[11]) + int(fields[12])) / _TICK
    return total


def _loadavg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def _machine_busy() -> float:
    """CPU seconds all cores spent busy since boot (/proc/stat: all but idle and iowait)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / _TICK


@dataclasses.dataclass
class RunResult:
    label: str
    times: list[float]
    errors: int
    requests: int
    cached: int
    chart_requests: int
    first_error: str | None
    superset_cores: float = 0.0  # CPU seconds gunicorn used per wall second
    loadavg: float = 0.0  # mean 1-minute load average during the run
    other_cores: float = 0.0  # CPU the rest of the machine used (not this stack, not us)


async def _view(client: httpx.AsyncClient, api: Api, dash: int, stats: dict[str, Any]) -> None:
    headers = api.headers()
    for path in (f"/api/v1/dashboard/{dash}", f"/api/v1/dashboard/{dash}/datasets"):
        r = await client.get(path, headers=headers)
        stats["requests"] += 1
        if r.status_code != 200:
            raise RuntimeError(f"GET {path}: {r.status_code}")
    r = await client.get(f"/api/v1/dashboard/{dash}/charts", headers=headers)
    stats["requests"] += 1
    if r.status_code != 200:
        raise RuntimeError(f"GET charts: {r.status_code}")
    charts = r.json()["result"]
    limit = asyncio.Semaphore(BROWSER_PARALLEL)

    async def data(chart: dict[str, Any]) -> None:
        body = stats["contexts"][chart["id"]]
        async with limit:
            resp = await client.post(
                "/api/v1/chart/data",
                content=body,
                headers={**headers, "Content-Type": "application/json"},
            )
        stats["requests"] += 1
        stats["chart_requests"] += 1
        if resp.status_code != 200:
            raise RuntimeError(f"chart {chart['id']}: {resp.status_code} {resp.text[:200]}")
        result = resp.json()["result"]
        if any(q.get("error") for q in result):
            raise RuntimeError(f"chart {chart['id']}: {result[0].get('error')}")
        stats["cached"] += sum(1 for q in result if q.get("is_cached"))

    await asyncio.gather(*(data(ch) for ch in charts))


async def _viewer(
    api: Api,
    dash: int,
    until: float,
    think: float,
    stats: dict[str, Any],
    times: list[float],
    rng: random.Random,
) -> None:
    # drop idle connections before gunicorn does (its keep-alive is 2 s), as a browser would
    # retry a request that lost that race
    limits = httpx.Limits(
        max_connections=BROWSER_PARALLEL, max_keepalive_connections=6, keepalive_expiry=1.0
    )
    # viewers arrive spread over one think time, not all in the same instant
    await asyncio.sleep(rng.uniform(0, think))
    async with httpx.AsyncClient(
        base_url=api.url, timeout=60, limits=limits, cookies=api.cookies
    ) as client:
        while time.monotonic() < until:
            t0 = time.perf_counter()
            try:
                await _view(client, api, dash, stats)
                times.append(time.perf_counter() - t0)
            except (httpx.HTTPError, RuntimeError, ValueError, KeyError) as exc:
                stats["errors"] += 1
                stats["first_error"] = stats["first_error"] or f"{type(exc).__name__}: {exc}"
            await asyncio.sleep(think * rng.uniform(0.5, 1.5))


def chart_contexts(api: Api, dash: int) -> dict[int, bytes]:
    """Each chart's saved query context, as the frontend would post it."""
    out: dict[int, bytes] = {}
    with httpx.Client(base_url=api.url, timeout=60) as c:
        charts = c.get(f"/api/v1/dashboard/{dash}/charts", headers=api.headers()).json()
        for chart in charts["result"]:
            full = c.get(f"/api/v1/chart/{chart['id']}", headers=api.headers()).json()
            qc = json.loads(full["result"]["query_context"])
            qc["form_data"]["slice_id"] = chart["id"]
            out[chart["id"]] = json.dumps(qc).encode()
    return out


def run_load(
    api: Api,
    dash: int,
    label: str,
    *,
    viewers: int,
    duration: float,
    think: float,
    gunicorn_pid: int | None = None,
    postgres_pid: int | None = None,
    redis_pid: int | None = None,
) -> RunResult:
    stats: dict[str, Any] = {
        "requests": 0,
        "errors": 0,
        "cached": 0,
        "chart_requests": 0,
        "first_error": None,
        "contexts": chart_contexts(api, dash),
    }
    times: list[float] = []

    loads: list[float] = []

    async def sample(until: float) -> None:
        while time.monotonic() < until:
            loads.append(_loadavg())
            await asyncio.sleep(5)

    async def main() -> None:
        until = time.monotonic() + duration
        rng = random.Random(42)
        await asyncio.gather(
            sample(until),
            *(
                _viewer(api, dash, until, think, stats, times, random.Random(rng.random()))
                for _ in range(viewers)
            ),
        )

    def ours() -> tuple[float, float]:
        web = _tree_cpu(gunicorn_pid) if gunicorn_pid else 0.0
        rest = sum(_tree_cpu(pid) for pid in (postgres_pid, redis_pid) if pid)
        return web, web + rest + time.process_time()

    web0, ours0 = ours()
    busy0 = _machine_busy()
    wall0 = time.monotonic()
    asyncio.run(main())
    wall = time.monotonic() - wall0
    web1, ours1 = ours()
    cores = (web1 - web0) / wall
    others = max(0.0, (_machine_busy() - busy0 - (ours1 - ours0)) / wall)
    return RunResult(
        label,
        times,
        stats["errors"],
        stats["requests"],
        stats["cached"],
        stats["chart_requests"],
        stats["first_error"],
        cores,
        sum(loads) / len(loads) if loads else 0.0,
        others,
    )


HEADER = (
    "| run | dashboard views | errors | requests/s | p50 ms | p95 ms | max ms "
    "| chart data from cache | Superset CPU (cores) | Superset CPU ms / view "
    "| other work on the machine (cores) |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def _row(r: RunResult, duration: float) -> str:
    s = summary(r.times) if r.times else {"median": 0.0, "p95": 0.0, "max": 0.0}
    cached = f"{100 * r.cached / r.chart_requests:.0f}%" if r.chart_requests else "-"
    per_view = 1000 * r.superset_cores * duration / len(r.times) if r.times else 0.0
    return (
        f"| {r.label} | {len(r.times)} | {r.errors} | {r.requests / duration:.1f} | "
        f"{s['median'] * 1000:.0f} | {s['p95'] * 1000:.0f} | {s['max'] * 1000:.0f} | {cached} | "
        f"{r.superset_cores:.2f} | {per_view:.0f} | {r.other_cores:.2f} |"
    )


def _reading(results: list[RunResult], viewers: int, think: float, duration: float) -> str:
    """What the numbers say, computed from them, including whether the p95 target was met."""
    by = {r.label: r for r in results}
    warm = by.get("Redis cache, warm")
    if not warm or not warm.times:
        return ""
    p95 = summary(warm.times)["p95"]
    verdict = "met" if p95 < 1.5 and not warm.errors else "NOT met"
    demand = viewers / think
    cpu_view = warm.superset_cores * duration / len(warm.times)
    out = [
        f"Target: p95 full-dashboard time under 1.5 s with the cache warm: **{verdict}** in "
        f"this run (p95 {p95 * 1000:.0f} ms, {warm.errors} errors).",
        "",
        f"Load: {viewers} viewers at one view per {think:g} s ask for {demand:.1f} views/s; at "
        f"{cpu_view * 1000:.0f} ms of Superset CPU per cached view that is "
        f"{demand * cpu_view:.2f} cores, "
        + (
            "so run 2 does not saturate the server: its latency is the chain of requests of "
            "one view (metadata, then 6 chart requests, served by gunicorn processes of 4 "
            "threads each, one GIL per process)."
            if demand * cpu_view < 1.0
            else "close to or above what 2 cores give: run 2 queues."
        ),
    ]
    stress = [r for r in results if r.label.startswith("Redis cache, warm, ")]
    if stress and stress[0].times:
        rate = len(stress[0].times) / duration
        out += [
            "",
            f"Capacity (run 3): {rate:.1f} views/s at saturation, where the queue, not the "
            "work, makes the latency.",
        ]
    others = max(r.other_cores for r in results)
    if others > 0.3:
        out += [
            "",
            f"The machine was shared: other work (outside this stack and the load generator) "
            f"used up to {others:.2f} of the 2 cores during these runs (last column), so these "
            "latencies are upper bounds for an idle machine.",
        ]
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--viewers", type=int, default=50)
    ap.add_argument("--duration", type=float, default=120.0, help="seconds per run (max 300)")
    ap.add_argument("--think", type=float, default=30.0, help="seconds between two views")
    ap.add_argument(
        "--stress-think", type=float, default=5.0, help="a third run with this think time (0: none)"
    )
    ap.add_argument("--scale", type=int, default=10, help="seed scale (10: 100,000 lines)")
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers (4 threads each)")
    ap.add_argument("--no-write", action="store_true", help="do not write the docs section")
    args = ap.parse_args()
    duration = min(args.duration, 300.0)  # bounded: minutes, not tens of minutes

    binaries = find_binaries()
    scratch = Path(tempfile.mkdtemp(prefix="supersetctl-load-"))
    scratch.chmod(0o755)
    cluster = PostgresCluster(scratch / "pg", port=free_port(HOST), binaries=binaries)
    redis = RedisServer(scratch / "redis", port=free_port(HOST))
    server: SupersetServer | None = None
    results: list[RunResult] = []
    try:
        print("starting PostgreSQL and seeding", flush=True)
        info = cluster.start()
        cluster.ensure_database("odoo_bench")
        seed = seed_database(info.conninfo("odoo_bench"), scale=args.scale)
        venv = runtime_venv()
        ensure_venv(venv, REQUIREMENTS, log_file=scratch / "install.log")
        print("starting Superset (no Redis)", flush=True)
        server = provision_superset(
            venv=venv,
            requirements=REQUIREMENTS,
            config_path=CONFIG,
            state=scratch / "superset",
            cluster=cluster,
            port=free_port(HOST),
            workers=args.workers,
        )
        password = server.admin_password()
        api = login(server.s.url, server.s.admin_username, password)
        odoo_uri = (
            f"postgresql://{quote(info.superuser)}:{quote(info.password, safe='')}@"
            f"{HOST}:{info.port}/odoo_bench"
        )
        dash = build_dashboard(api, odoo_uri)
        common: dict[str, Any] = {
            "viewers": args.viewers,
            "duration": duration,
            "think": args.think,
            "gunicorn_pid": server.pid(),
            "postgres_pid": cluster.status().pid,
        }
        print(f"run 1: {args.viewers} viewers, {duration:.0f} s, no Redis", flush=True)
        results.append(run_load(api, dash, "no Redis (no data cache)", **common))
        print(_row(results[-1], duration), flush=True)

        server.stop()
        redis.start()
        server = SupersetServer(dataclasses.replace(server.s, redis_url=redis.url))
        print("restarting Superset with Redis", flush=True)
        server.start()
        api = login(server.s.url, server.s.admin_username, password)
        common["gunicorn_pid"] = server.pid()
        common["redis_pid"] = redis.pid()
        run_load(api, dash, "warm-up", viewers=1, duration=0.1, think=0)
        print(f"run 2: {args.viewers} viewers, {duration:.0f} s, Redis cache warm", flush=True)
        results.append(run_load(api, dash, "Redis cache, warm", **common))
        print(_row(results[-1], duration), flush=True)
        if args.stress_think > 0:
            print(f"run 3: as run 2, {args.stress_think:g} s between views", flush=True)
            stress = {**common, "think": args.stress_think}
            label = f"Redis cache, warm, {args.stress_think:g} s between views"
            results.append(run_load(api, dash, label, **stress))
            print(_row(results[-1], duration), flush=True)
    finally:
        if server is not None:
            server.stop()
        redis.stop()
        cluster.destroy()
        shutil.rmtree(scratch, ignore_errors=True)

    reading = _reading(results, args.viewers, args.think, duration)
    counts = getattr(seed, "counts", {}) or {}
    lines = counts.get("sale_order_line", "?")
    table = "\n".join(_row(r, duration) for r in results)
    errors = "".join(
        f"\nFirst error in '{r.label}': `{r.first_error}`\n" for r in results if r.first_error
    )
    md = f"""## Load: simulated dashboard viewers (`bench/load.py`)

Machine: {machine()}. Superset 6.1.0 (pinned runtime), gunicorn {args.workers} workers x 4
threads (gthread), PostgreSQL 15 with default settings, all on 127.0.0.1.

{__doc__.split("Method: ", 1)[1].split("Run: ")[0].strip()}

Data: seed scale {args.scale} ({lines} sale order lines). {args.viewers} viewers, {duration:.0f} s
per run, {args.think:g} s between two views of one viewer, 6 charts per dashboard (9 requests a
view).

{HEADER}
{table}
{errors}
{reading}
"""
    print(md)
    if not args.no_write:
        write_section("load", md)
    return 1 if any(r.errors for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
