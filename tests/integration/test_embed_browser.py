"""An embedded starter dashboard in a real browser, scoped to the viewer's company.

One stack for the module (`supersetctl up` on a scratch copy, as ``make up``: seeded Odoo data,
the analytics views, the starter dashboards; the local stack turns embedding on). Superset is
set up from the copy's files, nothing through the REST API: `up` applies the starter roles
(``roles/embed-guest.yaml``: the guest role, ``roles/embed-broker.yaml``: the broker's) and
dashboard access (sales-overview embedded from ``vars.EMBED_HOST_ORIGIN``, set to the host
page's origin), and ``supersetctl embed service-user`` makes the broker's user with that role.
Odoo's read-only role for the broker sees ``res_users`` only.

Then the broker (``supersetctl.embed``, uvicorn in a thread) and a tiny host standing in for
Odoo: it logs a user in (a cookie), signs a caller token for that user and asks the broker;
its page loads the pinned ``@superset-ui/embedded-sdk`` from ``embed/host/node_modules``.
Chromium opens the host as a company-1 user: every chart's data request carries the
company-1 filter, and the revenue it shows is company 1's. The refusals follow.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import jwt
import psycopg
import pytest

from supersetctl.cli import main
from supersetctl.embed import sign_caller
from supersetctl.superset import Credentials, SupersetClient
from tests.support.embed import (
    SDK,
    TABBED,
    World,
    dev_env,
    embed_world,
    load_yaml,
    service_user,
)
from tests.support.helpers import REPO_ROOT, need
from tests.support.postgres import postgres_binaries

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ARTIFACTS = REPO_ROOT / "test-artifacts" / "embed"


@pytest.fixture(scope="module")
def world(superset_runtime: Path, chromium: Any) -> Iterator[World]:
    need(SDK.joinpath("index.js").exists(), "embed/host: run `npm ci` there (.ci/run does)")
    postgres_binaries()
    with embed_world(superset_runtime) as w:
        yield w


def _caller(world: World, user: int, **extra: Any) -> str:
    return sign_caller(
        secret=world.caller_secret,
        issuer="odoo-dev",
        audience="supersetctl-embed",
        user_id=user,
        extra=extra or None,
    )


def _mint(world: World, user: int, body: Any = None, **extra: Any) -> httpx.Response:
    return httpx.post(
        world.broker_url + "/guest-token",
        json=body if body is not None else {"dashboard": "sales-overview"},
        headers={"Authorization": f"Bearer {_caller(world, user, **extra)}"},
        timeout=30,
    )


def _confirmed(world: World, company: int | None) -> tuple[Decimal, int]:
    """Revenue and confirmed orders from Odoo's table (the views scope by the reader)."""
    where = "WHERE state IN ('sale', 'done')" + (f" AND company_id = {company}" if company else "")
    with psycopg.connect(world.odoo_admin_url) as conn:
        row = conn.execute(
            f"SELECT sum(amount_untaxed), count(*) FROM sale_order {where}"
        ).fetchone()
    assert row is not None
    return Decimal(row[0]), int(row[1])


def _single(bodies: list[dict[str, Any]], column: str) -> list[Any]:
    """The values of ``column`` in one-row chart answers (the big numbers, a filter's values)."""
    return [
        row[column]
        for body in bodies
        for result in body.get("result", [])
        for row in result.get("data", [])
        if column in row and result.get("rowcount") == 1
    ]


def test_company_1_user_sees_only_company_1_in_the_embedded_dashboard(
    world: World, chromium: Any
) -> None:
    first = _mint(world, world.user_c1)
    assert first.status_code == 200, first.text
    context = chromium.new_context(viewport={"width": 1600, "height": 1400})
    page = context.new_page()
    bodies: list[dict[str, Any]] = []
    statuses: list[int] = []
    console: list[str] = []

    denied: list[str] = []

    def on_response(response: Any) -> None:
        if response.status >= 400:
            console.append(f"HTTP {response.status} {response.request.method} {response.url}")
            if response.url.startswith(world.url):
                denied.append(f"{response.status} {response.request.method} {response.url}")
        if "/api/v1/chart/data" in response.url:
            statuses.append(response.status)
            try:
                bodies.append(response.json())
            except Exception:
                bodies.append({})

    page.on("response", on_response)
    page.on("console", lambda m: console.append(f"{m.type}: {m.text[:300]}"))
    try:
        page.goto(f"{world.host_url}/login?user={world.user_c1}", wait_until="load")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(bodies) < 9:
            page.wait_for_timeout(250)
        page.wait_for_timeout(1500)  # the last chart draws
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "sales-overview-company-1.png"), full_page=True)
        text = page.frame_locator("iframe").locator("body").inner_text(timeout=10_000)
    finally:
        context.close()
    # 8 charts and the company filter's values, each answered for this user
    assert len(bodies) >= 9, (len(bodies), console)
    assert set(statuses) == {200}, statuses
    assert denied == []  # the starter guest role lacks nothing the page asks for
    (mine, orders), (everyone, _) = _confirmed(world, 1), _confirmed(world, None)
    assert mine != everyone
    assert [Decimal(str(v)).quantize(Decimal("0.01")) for v in _single(bodies, "revenue")] == [mine]
    assert _single(bodies, "confirmed_orders") == [orders]
    assert _single(bodies, "company_id") == [1]  # the Company filter offers company 1 only
    assert f"{mine:,.2f}" in text  # and the page shows it


def test_the_guest_role_reads_the_date_filters_range(world: World) -> None:
    """The starter role's last pair: the date filter's "actual time range" (not called to
    render, so the browser test does not see it)."""
    token = _mint(world, world.user_c1).json()["token"]
    r = httpx.get(
        world.url + "/api/v1/time_range/",
        params={"q": "'Last week'"},
        headers={"X-GuestToken": token, "Referer": world.host_url + "/"},
        timeout=30,
    )
    assert r.status_code == 200 and r.json()["result"][0]["since"], r.text[:200]


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def test_the_broker_uses_this_instances_embedded_uuid(world: World) -> None:
    """The allowlist names slugs; Superset gives each instance's embedding its own uuid, which
    the broker looks up (GET /api/v1/dashboard/<slug>/embedded) and hands to the SDK."""
    embed_yaml = load_yaml(world.repo / "config" / "dev" / "embed.yaml")
    slugs = [d["dashboard"] for d in embed_yaml["dashboards"]]
    assert "sales-overview" in slugs and not any(_is_uuid(s) for s in slugs)
    minted = _mint(world, world.user_c1)
    assert minted.json()["dashboard"] == world.embedded
    by_uuid = _mint(world, world.user_c1, body={"dashboard": world.embedded})
    assert by_uuid.status_code == 200 and by_uuid.json()["dashboard"] == world.embedded


def test_the_broker_user_mints_and_reads_nothing_else(world: World) -> None:
    """embed_broker (roles/embed-broker.yaml): guest tokens and the embedded config only."""
    service = SupersetClient(world.url, Credentials("embed-broker-2", _service_password(world)))
    chart = _chart(world, "sales-overview", "Revenue")
    refused = {
        "chart data": (
            "POST",
            "api/v1/chart/data",
            {
                "json": {
                    "datasource": {"id": chart["datasource"], "type": "table"},
                    "queries": [{"metrics": ["revenue"]}],
                }
            },
        ),
        "chart list": ("GET", "api/v1/chart/", {}),
        "databases": ("GET", "api/v1/database/", {}),
        "SQL Lab": (
            "POST",
            "api/v1/sqllab/execute/",
            {"json": {"database_id": 1, "sql": "SELECT 1"}},
        ),
        "roles": ("GET", "api/v1/security/roles/", {}),
        "users": ("GET", "api/v1/security/users/", {}),
        "change embedding": (
            "PUT",
            "api/v1/dashboard/sales-overview/embedded",
            {"json": {"allowed_domains": []}},
        ),
        "change dashboard": (
            "PUT",
            f"api/v1/dashboard/{chart['dashboard']}",
            {"json": {"published": False}},
        ),
    }
    got = {
        what: service.request(method, path, ok=range(100, 600), **kw).status_code
        for what, (method, path, kw) in refused.items()
    }
    assert all(status in (401, 403) for status in got.values()), got
    embedded = service.request("GET", "api/v1/dashboard/sales-overview/embedded").json()
    assert embedded["result"]["uuid"] == world.embedded


def test_plan_after_up_is_clean_access_included(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    """What is in git is what runs: after `up` (and the service user), `plan` finds no drift,
    the roles and dashboard access included."""
    capsys.readouterr()
    assert main(["--repo", str(world.repo), "--format", "json", "plan", "--env", "dev"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["changed"] is False, [c for c in plan["changes"] if c["action"] != "unchanged"]
    names = {(c["kind"], c["name"]) for c in plan["changes"]}
    assert {("role", "embed_guest"), ("role", "embed_broker")} <= names
    assert ("access", "sales-overview") in names and ("access", TABBED) in names


def test_forged_company_claim_is_refused(world: World) -> None:
    r = _mint(world, world.user_c2, company_id=1)
    assert r.status_code == 401 and r.json()["error"] == "caller_company_claim"
    ok = _mint(world, world.user_c2)
    assert ok.status_code == 200
    claims = jwt.decode(ok.json()["token"], options={"verify_signature": False})
    assert {rule["clause"] for rule in claims["rls_rules"]} == {"company_id = 2"}


def test_unknown_request_fields_are_refused(world: World) -> None:
    r = _mint(world, world.user_c1, body={"dashboard": "sales-overview", "company": 2})
    assert r.status_code == 422 and r.json()["error"] == "unknown_fields"
    assert _mint(world, world.user_c1, body={"dashboard": "inventory-movements"}).status_code == 403


def test_a_dataset_the_template_does_not_name_is_refused_by_both_gates(world: World) -> None:
    from supersetctl.embed import Broker, EmbedConfig, FileCompanies
    from supersetctl.superset.guest import GuestTokenClient

    config = EmbedConfig.model_validate(
        {
            "api_version": "supersetctl/v1",
            "allowed_origins": [world.host_url],
            "caller": {"issuer": "odoo-dev"},
            "companies": {"source": "file", "file": "unused.yaml"},
            "rls_templates": {
                "orders-only": [
                    {"dataset": "analytics.sale_orders", "clause": "company_id = {company_id}"}
                ]
            },
            "dashboards": [{"dashboard": "sales-overview", "rls": "orders-only"}],
        }
    )
    env = dev_env(world.repo)
    assert env  # the stack's variables exist
    client = GuestTokenClient(world.url, "embed-broker-2", _service_password(world))

    async def attempt() -> tuple[int, str, int]:
        broker = Broker(
            config,
            caller_secret=world.caller_secret,
            companies=FileCompanies({world.user_c1: 1}),
            superset=client,
        )
        try:
            try:
                await broker.mint(_caller(world, world.user_c1), "sales-overview")
                first = (200, "")
            except Exception as exc:  # Refused
                first = (getattr(exc, "status", 0), getattr(exc, "code", ""))
            # Superset's hook, asked directly as the service user, refuses the same rules
            orders = await client.find_dataset("analytics.sale_orders")
            response = await client._call(
                "POST",
                "api/v1/security/guest_token/",
                json={
                    "user": {"username": "x"},
                    "resources": [{"type": "dashboard", "id": world.embedded}],
                    "rls": [{"dataset": orders.id, "clause": "company_id = 1"}],
                },
            )
            return first[0], first[1], response.status_code
        finally:
            await broker.aclose()

    # Playwright's sync API runs an event loop in this thread: the broker gets its own
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        status, code, hook_status = pool.submit(asyncio.run, attempt()).result()
    assert (status, code) == (409, "dataset_not_scoped")
    assert hook_status == 400


_SERVICE_PASSWORDS: dict[str, str] = {}


def _service_password(world: World) -> str:
    # the fixture gave the password to the broker only; a second user for this test
    if world.url not in _SERVICE_PASSWORDS:
        _SERVICE_PASSWORDS[world.url] = service_user(world.repo, "embed-broker-2")
    return _SERVICE_PASSWORDS[world.url]


def _chart(world: World, dashboard: str, name: str) -> dict[str, Any]:
    charts = world.admin.request("GET", f"api/v1/dashboard/{dashboard}/charts").json()["result"]
    chart = next(c for c in charts if c["slice_name"] == name)
    detail = world.admin.request("GET", f"api/v1/chart/{chart['id']}").json()["result"]
    dash = world.admin.request("GET", f"api/v1/dashboard/{dashboard}").json()["result"]
    params = json.loads(detail["params"])
    datasource = int(params["datasource"].split("__")[0])
    return {"id": chart["id"], "datasource": datasource, "params": params, "dashboard": dash["id"]}


def _chart_data(
    world: World, token: str, chart: dict[str, Any], *, dashboard: int, fmt: str = "json"
) -> httpx.Response:
    params = chart["params"]
    body = {
        "datasource": {"id": chart["datasource"], "type": "table"},
        "force": False,
        "queries": [
            {
                "metrics": [params["metric"]],
                "columns": [],
                "filters": [],
                "orderby": [],
                "extras": {"having": "", "where": ""},
                "time_range": params.get("time_range", "No filter"),
                "row_limit": 10,
            }
        ],
        "form_data": {**params, "slice_id": chart["id"], "dashboardId": dashboard},
        "result_format": fmt,
        "result_type": "full",
    }
    return httpx.post(
        world.url + "/api/v1/chart/data",
        json=body,
        headers={"X-GuestToken": token, "Referer": world.host_url + "/"},
        timeout=30,
    )


def test_a_valid_token_reads_no_chart_of_another_dashboard(world: World) -> None:
    """apache/superset#26201: the token's dashboard is the only one it reads."""
    token = _mint(world, world.user_c1).json()["token"]
    mine = _chart(world, "sales-overview", "Revenue")
    other = _chart(world, "crm-pipeline", "Open pipeline")
    assert _chart_data(world, token, mine, dashboard=mine["dashboard"]).status_code == 200
    for dashboard in (mine["dashboard"], other["dashboard"]):
        r = _chart_data(world, token, other, dashboard=dashboard)
        assert r.status_code in (401, 403), (dashboard, r.status_code, r.text[:200])


@contextlib.contextmanager
def _guest_role_with(world: World, *pairs: tuple[str, str]) -> Iterator[None]:
    """The scratch copy's roles/embed-guest.yaml with ``pairs`` added, applied; the starter
    file applied again after the block (the way a user would change the guest role)."""
    file = world.repo / "infra" / "superset" / "provisioning" / "roles" / "embed-guest.yaml"
    starter = file.read_text(encoding="utf-8")
    extra = "".join(f"- [{perm}, {view}]\n" for perm, view in pairs)
    file.write_text(starter + extra, encoding="utf-8")
    try:
        assert main(["--repo", str(world.repo), "apply", "--env", "dev"]) == 0
        yield
    finally:
        file.write_text(starter, encoding="utf-8")
        assert main(["--repo", str(world.repo), "apply", "--env", "dev"]) == 0


def test_an_expired_token_exports_no_csv(world: World) -> None:
    """apache/superset#24745: past its exp a guest token downloads nothing. The starter guest
    role exports no CSV at all; with ``can_csv`` added to it, a fresh token does and an expired
    one still does not."""
    token = _mint(world, world.user_c1).json()["token"]
    chart = _chart(world, "sales-overview", "Revenue")
    starter = _chart_data(world, token, chart, dashboard=chart["dashboard"], fmt="csv")
    assert starter.status_code == 403, (starter.status_code, starter.text[:200])
    claims = jwt.decode(token, options={"verify_signature": False})
    claims.update(iat=int(time.time()) - 400, exp=int(time.time()) - 100)
    expired = jwt.encode(claims, world.guest_secret, algorithm="HS256")
    with _guest_role_with(world, ("can_csv", "Superset")):
        fresh = _chart_data(world, token, chart, dashboard=chart["dashboard"], fmt="csv")
        assert fresh.status_code == 200 and "revenue" in fresh.text.lower(), fresh.status_code
        r = _chart_data(world, expired, chart, dashboard=chart["dashboard"], fmt="csv")
    assert r.status_code in (401, 403), (r.status_code, r.text[:200])
    assert "revenue" not in r.text.lower()


def test_every_tab_is_filtered_to_the_users_company(world: World, chromium: Any) -> None:
    """apache/superset#28314: the second tab's charts carry the guest's row filter too."""
    context = chromium.new_context(viewport={"width": 1600, "height": 1400})
    page = context.new_page()
    bodies: list[dict[str, Any]] = []
    seen: list[str] = []

    def on_response(response: Any) -> None:
        if "/api/v1/chart/data" in response.url:
            seen.append(f"{response.status}")
            bodies.append(response.json() if response.status == 200 else {})

    page.on("response", on_response)
    try:
        page.goto(f"{world.host_url}/login?user={world.user_c1}&dashboard={TABBED}")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(bodies) < 4:
            page.wait_for_timeout(250)
        first_tab = len(bodies)
        frame = page.frame_locator("iframe")
        frame.get_by_role("tab", name="Revenue").click(timeout=20_000)
        while time.monotonic() < deadline and len(bodies) < 8:
            page.wait_for_timeout(250)
        page.wait_for_timeout(1000)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "sales-in-tabs-second-tab.png"), full_page=True)
    finally:
        context.close()
    assert first_tab == 4, first_tab  # the second tab's charts wait for their tab
    assert len(bodies) == 8 and set(seen) == {"200"}, seen
    (revenue, orders) = _confirmed(world, 1)
    revenues = [Decimal(str(v)).quantize(Decimal("0.01")) for v in _single(bodies, "revenue")]
    assert revenues == [revenue]  # the second tab's big number: company 1's
    assert _single(bodies, "confirmed_orders") == [orders]  # the first tab's
