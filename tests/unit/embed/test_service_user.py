"""``ensure_service_user`` against a MockTransport standing in for FAB's users API: created
once with the one role, then updated in place (idempotent), and a clear error without the
role."""

from __future__ import annotations

import json
import os
from typing import Any

import httpx
import pytest

from supersetctl.embed.service_user import ensure_service_user
from supersetctl.errors import ConfigError
from supersetctl.superset import Credentials, SupersetClient


class FakeFab:
    def __init__(self, roles: list[dict[str, Any]]) -> None:
        self.roles = roles
        self.users: dict[int, dict[str, Any]] = {}
        self.sent: list[tuple[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        self.sent.append((method, path))
        body = json.loads(request.content) if request.content else {}
        if path.endswith("csrf_token/"):
            return httpx.Response(200, json={"result": "c"})
        if path == "/api/v1/security/roles/search/":
            return httpx.Response(200, json={"count": len(self.roles), "result": self.roles})
        if path == "/api/v1/security/users/" and method == "GET":
            name = request.url.params["q"].split("value:")[1].rstrip(")").strip("'")
            found = [{"id": k, **u} for k, u in self.users.items() if u["username"] == name]
            return httpx.Response(200, json={"count": len(found), "result": found})
        if path == "/api/v1/security/users/" and method == "POST":
            pk = len(self.users) + 1
            self.users[pk] = body
            return httpx.Response(201, json={"id": pk, "result": body})
        if path.startswith("/api/v1/security/users/") and method == "PUT":
            self.users[int(path.rsplit("/", 1)[1])].update(body)
            return httpx.Response(200, json={"result": body})
        return httpx.Response(404, json={"message": "Not found"})


def _client(fab: FakeFab) -> SupersetClient:
    http = httpx.Client(transport=httpx.MockTransport(fab))
    return SupersetClient(
        "http://superset.test", Credentials(access_token="t"), http=http, sleep=lambda _: None
    )


def test_created_with_the_one_role_then_updated_in_place() -> None:
    fab = FakeFab([{"id": 1, "name": "Admin"}, {"id": 9, "name": "embed_broker"}])
    client = _client(fab)
    first_pw, second_pw = os.urandom(8).hex(), os.urandom(8).hex()
    made = ensure_service_user(client, "embed-broker", first_pw)
    assert (made.action, made.user_id, made.role) == ("created", 1, "embed_broker")
    assert fab.users[1]["roles"] == [9] and fab.users[1]["active"] is True
    again = ensure_service_user(client, "embed-broker", second_pw)
    assert (again.action, again.user_id) == ("updated", 1)
    assert len(fab.users) == 1
    assert fab.users[1]["password"] == second_pw and fab.users[1]["roles"] == [9]
    assert ("PUT", "/api/v1/security/users/1") in fab.sent


def test_without_the_role_nothing_is_created_and_the_error_says_apply() -> None:
    fab = FakeFab([{"id": 1, "name": "Admin"}])
    with pytest.raises(ConfigError) as caught:
        ensure_service_user(_client(fab), "embed-broker", os.urandom(8).hex())
    assert "embed_broker" in caught.value.message and "apply" in (caught.value.hint or "")
    assert not fab.users
