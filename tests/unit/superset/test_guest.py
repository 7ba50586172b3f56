"""The broker's async Superset client: login once, again once on a 401, errors typed."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import httpx
import pytest

from supersetctl.errors import SupersetAPIError
from supersetctl.superset.guest import GuestTokenClient

GUEST = secrets.token_hex(16)  # a guest token as Superset answers one


def _client(handler: Any) -> GuestTokenClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return GuestTokenClient("http://superset.test", "embed-broker", "p" * 20, http=http)


def test_a_401_logs_in_again_once() -> None:
    logins: list[int] = []
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/security/login":
            logins.append(1)
            return httpx.Response(200, json={"access_token": f"token-{len(logins)}" * 4})
        if request.url.path == "/api/v1/security/csrf_token/":
            return httpx.Response(200, json={"result": "csrf" * 8})
        calls.append(request.headers["Authorization"])
        if len(calls) == 1:
            return httpx.Response(401, json={"msg": "Token has expired"})
        return httpx.Response(200, json={"token": GUEST})

    async def run() -> str:
        client = _client(handler)
        try:
            return await client.guest_token(username="u", embedded_uuid="e", rls=[])
        finally:
            await client.aclose()

    assert asyncio.run(run()) == GUEST
    assert len(logins) == 2 and calls[0] != calls[1]


def test_refusals_and_unreachable_servers_are_typed_errors() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/security/login":
            return httpx.Response(401, json={"message": "Not authorized"})
        return httpx.Response(500)

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    for handler, says in ((refuse, "refused the embedding service user"), (down, "cannot reach")):

        async def run(h: Any = handler) -> None:
            client = _client(h)
            try:
                await client.embedded("sales-overview")
            finally:
                await client.aclose()

        with pytest.raises(SupersetAPIError, match=says):
            asyncio.run(run())
