"""The broker on HTTP against a Superset speaking the documented API (httpx.MockTransport)."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from supersetctl.embed import (
    AUDIT_LOGGER,
    Broker,
    EmbedConfig,
    FileCompanies,
    create_app,
    sign_caller,
)
from supersetctl.superset.guest import GuestTokenClient

EMBEDDED = "2f9e0c36-7d55-4a0e-9a43-0a6a3d1e2b11"
ORDERS, LINES, LEADS = 11, 12, 13
DATASETS = {
    name: {"id": i, "uuid": f"u-{name}", "schema": "analytics", "table_name": name}
    for name, i in (("sale_orders", ORDERS), ("sale_order_lines", LINES), ("crm_leads", LEADS))
}
CONFIG = {
    "api_version": "supersetctl/v1",
    "allowed_origins": ["https://erp.example.com"],
    "caller": {"issuer": "odoo"},
    "companies": {"source": "file", "file": "users.yaml"},
    "rls_templates": {
        "sales": [
            {"dataset": "analytics.sale_orders", "clause": "company_id = {company_id}"},
            {"dataset": "analytics.sale_order_lines", "clause": "company_id = {company_id}"},
        ],
        "orders-only": [
            {"dataset": "analytics.sale_orders", "clause": "company_id = {company_id}"}
        ],
    },
    "dashboards": [
        {"dashboard": "sales-overview", "rls": "sales"},
        {"dashboard": "sales-narrow", "rls": "orders-only"},
    ],
}


@dataclass
class FakeSuperset:
    minted: list[dict[str, Any]] = field(default_factory=list)
    logins: int = 0
    domains: dict[str, list[str]] = field(default_factory=dict)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/api/v1/security/login":
            self.logins += 1
            return httpx.Response(200, json={"access_token": "a" * 40})
        if path == "/api/v1/security/csrf_token/":
            return httpx.Response(200, json={"result": "c" * 40})
        if path.endswith("/embedded"):
            if "sales" not in path:
                return httpx.Response(404, json={"message": "Not found"})
            domains = self.domains.get(path.split("/")[-2], ["https://erp.example.com"])
            return httpx.Response(
                200, json={"result": {"uuid": EMBEDDED, "allowed_domains": domains}}
            )
        if path.endswith("/datasets"):
            return httpx.Response(
                200, json={"result": [DATASETS["sale_orders"], DATASETS["sale_order_lines"]]}
            )
        if path == "/api/v1/dataset/":
            q = request.url.params["q"]
            hits = [d for name, d in DATASETS.items() if f"value:'{name}')" in q]
            return httpx.Response(200, json={"result": hits})
        if path == "/api/v1/security/guest_token/":
            assert request.headers["X-CSRFToken"] == "c" * 40
            self.minted.append(json.loads(request.content))
            return httpx.Response(200, json={"token": "g" * 64})
        return httpx.Response(404)


@pytest.fixture
def fake() -> FakeSuperset:
    return FakeSuperset()


@pytest.fixture
def key() -> str:
    return secrets.token_urlsafe(40)


class BrokerClient:
    """Requests to the ASGI app in one event loop (what uvicorn would run it in)."""

    def __init__(self, app: Any, runner: asyncio.Runner) -> None:
        self.runner = runner
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b")

    def post(self, url: str, **kw: Any) -> httpx.Response:
        return self.runner.run(self.http.post(url, **kw))

    def get(self, url: str) -> httpx.Response:
        return self.runner.run(self.http.get(url))


@pytest.fixture
def client(fake: FakeSuperset, key: str) -> Iterator[BrokerClient]:
    http = httpx.AsyncClient(transport=httpx.MockTransport(fake))
    superset = GuestTokenClient("http://superset.test", "embed-broker", "p" * 20, http=http)
    broker = Broker(
        EmbedConfig.model_validate(CONFIG),
        caller_secret=key,
        companies=FileCompanies({7: 1, 8: 2}),
        superset=superset,
    )
    with asyncio.Runner() as runner:
        yield BrokerClient(create_app(broker), runner)
        runner.run(broker.aclose())


def _post(client: BrokerClient, key: str, body: Any, user: int = 7, **extra: Any) -> httpx.Response:
    token = sign_caller(
        secret=key, issuer="odoo", audience="supersetctl-embed", user_id=user, extra=extra or None
    )
    return client.post("/guest-token", json=body, headers={"Authorization": f"Bearer {token}"})


def test_a_token_scoped_to_the_users_company_on_every_dataset(
    client: BrokerClient, fake: FakeSuperset, key: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=AUDIT_LOGGER)
    r = _post(client, key, {"dashboard": "sales-overview"}, user=8)
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    assert r.json()["dashboard"] == EMBEDDED and r.json()["token"] == "g" * 64
    sent = fake.minted[-1]
    assert sent["resources"] == [{"type": "dashboard", "id": EMBEDDED}]
    assert sent["rls"] == [
        {"dataset": ORDERS, "clause": "company_id = 2"},
        {"dataset": LINES, "clause": "company_id = 2"},
    ]
    audit = [json.loads(rec.getMessage()) for rec in caplog.records if rec.name == AUDIT_LOGGER]
    assert audit[-1]["event"] == "minted"
    assert (audit[-1]["user"], audit[-1]["company"], audit[-1]["rls"]) == (8, 2, 2)
    assert audit[-1]["dashboard"] == "sales-overview" and len(audit[-1]["token_id"]) == 16
    assert "g" * 64 not in caplog.text  # never the token
    # by embedded uuid too; the service user logged in once
    assert _post(client, key, {"dashboard": EMBEDDED}).status_code == 200
    assert fake.logins == 1


def test_unknown_fields_and_bad_bodies_are_refused(
    client: BrokerClient, key: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=AUDIT_LOGGER)
    r = _post(client, key, {"dashboard": "sales-overview", "company_id": 2})
    assert (r.status_code, r.json()["error"]) == (422, "unknown_fields")
    assert "company_id" in r.json()["message"]
    r = _post(client, key, {"dashboard": "../admin"})
    assert (r.status_code, r.json()["error"]) == (422, "invalid_body")
    r = client.post("/guest-token", content=b"dashboard=x", headers={"Authorization": "Bearer x"})
    assert r.status_code in (401, 415)
    # each refusal has its audit line, though no caller or dashboard was read
    audit = [json.loads(rec.getMessage()) for rec in caplog.records if rec.name == AUDIT_LOGGER]
    assert [a["reason"] for a in audit][:2] == ["unknown_fields", "invalid_body"]
    assert len(audit) == 3 and {a["event"] for a in audit} == {"refused"}


def test_callers_and_dashboards_outside_the_rules_are_refused(
    client: BrokerClient, fake: FakeSuperset, key: str
) -> None:
    r = client.post("/guest-token", json={"dashboard": "sales-overview"})
    assert (r.status_code, r.json()["error"]) == (401, "caller_missing")
    r = _post(client, key, {"dashboard": "sales-overview"}, company_id=1)
    assert (r.status_code, r.json()["error"]) == (401, "caller_company_claim")
    r = _post(client, key, {"dashboard": "hr-salaries"})
    assert (r.status_code, r.json()["error"]) == (403, "dashboard_not_allowed")
    r = _post(client, key, {"dashboard": "sales-overview"}, user=99)
    assert (r.status_code, r.json()["error"]) == (403, "no_company")
    assert fake.minted == []


def test_a_dashboard_reading_a_dataset_its_template_forgets_gets_no_token(
    client: BrokerClient, fake: FakeSuperset, key: str
) -> None:
    r = _post(client, key, {"dashboard": "sales-narrow"})
    assert (r.status_code, r.json()["error"]) == (409, "dataset_not_scoped")
    assert "analytics.sale_order_lines" in r.json()["message"]
    assert fake.minted == []


def test_health(client: BrokerClient) -> None:
    assert client.get("/health").json() == {"status": "OK"}


@pytest.mark.parametrize("domains", [[], ["https://erp.example.com", "https://evil.example"]])
def test_an_embedding_any_site_may_frame_gets_no_token(
    client: BrokerClient, fake: FakeSuperset, key: str, domains: list[str]
) -> None:
    fake.domains["sales-overview"] = domains
    r = _post(client, key, {"dashboard": "sales-overview"})
    assert (r.status_code, r.json()["error"]) == (409, "embedding_open")
    assert fake.minted == []
