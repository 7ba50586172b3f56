"""Sending a plan: chunks, and the file at fault when one fails."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from supersetctl.provision.layout import load_layout
from supersetctl.provision.live import LiveState
from supersetctl.provision.planner import make_plan
from supersetctl.provision.resolve import resolve
from tests.support.provision_unit import (
    OWNER,
    tiny_layout,
    vars_,
)


def test_a_failed_chunk_is_retried_one_by_one_and_names_the_file(tmp_path: Path) -> None:
    import httpx

    from supersetctl.provision.apply import apply_plan
    from supersetctl.superset import Credentials, SupersetClient, parse, read_zip

    tiny_layout(tmp_path)
    desired = resolve(load_layout(tmp_path), vars_(ODOO_RO_PASSWORD="pw-" + secrets.token_hex(4)))
    sent: list[list[str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/api/v1/security/login":
            return httpx.Response(200, json={"access_token": "t"})
        if path == "/api/v1/security/csrf_token/":
            return httpx.Response(200, json={"result": "c"})
        body = request.read()
        bundle = body[body.index(b"PK\x03\x04") : body.rindex(b"PK\x05\x06") + 22]
        names = [
            d.get("slice_name") or d.get("table_name") or d.get("database_name") or ""
            for d in parse(read_zip(bundle)).values()
        ]
        sent.append(names)
        if "Revenue" in names:
            return httpx.Response(422, json={"message": "Error importing chart"})
        return httpx.Response(200, json={"message": "OK"})

    http = httpx.Client(transport=httpx.MockTransport(handler))
    client = SupersetClient("http://s.test", Credentials(access_token="tok"), http=http)
    plan = make_plan(desired, LiveState(), owner=OWNER)
    with pytest.raises(Exception) as info:
        apply_plan(plan, desired, client, LiveState())
    assert "dashboards/sales/charts/revenue.yaml" in str(info.value)
    assert "Error importing chart" in str(info.value)
    assert len(sent[0]) == 4  # one chunk first, then one by one until the culprit
    assert sent[1:] == [["odoo"], ["sale_orders"], ["Revenue"]]
