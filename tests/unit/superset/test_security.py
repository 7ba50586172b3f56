"""The access-model endpoints against a MockTransport standing in for Superset."""

from __future__ import annotations

import json

import httpx

from supersetctl.superset import Credentials, SupersetClient
from supersetctl.superset import security as api


def _client(handler) -> SupersetClient:  # type: ignore[no-untyped-def]
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return SupersetClient(
        "http://superset.test", Credentials(access_token="t"), http=http, sleep=lambda _: None
    )


def test_pages_follow_the_servers_cap_with_short_request_lines() -> None:
    rows = [
        {"id": i, "permission": {"name": "can_read"}, "view_menu": {"name": f"V{i}"}}
        for i in range(1, 251)
    ]
    lines: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        lines.append(len(str(request.url)))
        q = request.url.params["q"]
        page = int(q.split("page:")[1].split(",")[0].rstrip(")"))
        size = min(100, int(q.split("page_size:")[1].split(",")[0].rstrip(")")))  # FAB's cap
        chunk = rows[page * size : (page + 1) * size]
        return httpx.Response(200, json={"count": len(rows), "result": chunk})

    got = api.list_permission_views(_client(handler))
    assert len(got) == 250 and got[250] == ("can_read", "V250")
    assert len(lines) == 3 and max(lines) < 300


def test_role_permissions_are_replaced_in_one_request_and_embedded_404_is_none() -> None:
    seen: list[tuple[str, str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        seen.append((request.method, request.url.path, body))
        if request.url.path.endswith("/embedded"):
            return httpx.Response(404, json={"message": "Not found"})
        if request.url.path.endswith("csrf_token/"):
            return httpx.Response(200, json={"result": "c"})
        return httpx.Response(200, json={"result": {}})

    client = _client(handler)
    api.set_role_permissions(client, 7, [3, 1, 3])
    assert api.get_embedded(client, 5) is None
    assert ("POST", "/api/v1/security/roles/7/permissions",
            {"permission_view_menu_ids": [1, 3]}) in seen  # fmt: skip


def test_pages_ask_for_an_order_and_read_again_a_listing_that_repeats_rows() -> None:
    """Unordered pages of PostgreSQL repeat some rows and never show others (measured on
    6.1.0): every list names a unique order, and a listing with a row twice is read again."""
    rows = [
        {"id": i, "permission": {"name": "can_get"}, "view_menu": {"name": f"V{i}"}}
        for i in range(1, 151)
    ]
    orders: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        q = request.url.params["q"]
        orders.append(q.split("order_column:")[1].split(",")[0])
        page = int(q.split("page:")[1].split(",")[0].rstrip(")"))
        chunk = rows[page * 100 : (page + 1) * 100]
        if len(orders) == 2:  # the first read's second page overlaps its first
            chunk = rows[90:140]
        return httpx.Response(200, json={"count": len(rows), "result": chunk})

    got = api.list_permission_views(_client(handler))
    assert sorted(got) == list(range(1, 151))
    assert len(orders) == 4 and set(orders) == {"'id'"}  # rison quotes it
