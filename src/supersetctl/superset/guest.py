"""Superset's guest-token API, asynchronously, for the embedding broker.

:class:`GuestTokenClient` logs in as one service user (``POST /api/v1/security/login``, then a
CSRF token from ``/api/v1/security/csrf_token/`` with the session cookie, kept by the client),
keeps the access token in memory only, logs in again once on a 401, and offers the few reads the
broker needs: a dashboard's embedded uuid, the datasets a dashboard's charts read, a dataset's
id from its uuid or ``schema.table``, and ``POST /api/v1/security/guest_token/``.

The service user needs exactly: ``can_grant_guest_token`` on ``SecurityRestApi``, ``can_read``
on ``Dashboard`` and ``Dataset`` (docs/embedding.md shows the role). It never needs Admin.

The transport is injectable (``http=httpx.AsyncClient(transport=httpx.MockTransport(...))``);
httpx errors become :class:`~supersetctl.errors.SupersetAPIError` here, at the boundary.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

from supersetctl.errors import SupersetAPIError
from supersetctl.redact import redact, register

from .rison import dumps as rison

_TIMEOUT = httpx.Timeout(15.0, connect=5.0)


@dataclass(frozen=True)
class DatasetRef:
    """A dataset as Superset numbers it, with the name a template gave it."""

    id: int
    uuid: str
    name: str  # schema.table


class GuestTokenClient:
    """One Superset, one service user. Safe for concurrent use from one event loop."""

    def __init__(
        self,
        url: str,
        username: str,
        password: str,
        *,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        register(password)
        self.url = url.rstrip("/")
        self.username = username
        self._password = password
        self.http = http or httpx.AsyncClient(timeout=_TIMEOUT)
        self.http.base_url = httpx.URL(self.url + "/")
        self._token: str | None = None
        self._csrf: str | None = None
        self._lock = asyncio.Lock()

    async def aclose(self) -> None:
        await self.http.aclose()

    # ------------------------------------------------------------------ plumbing

    async def _login(self) -> None:
        body = {
            "username": self.username,
            "password": self._password,
            "provider": "db",
            "refresh": False,
        }
        response = await self._raw("POST", "api/v1/security/login", json=body)
        if response.status_code != 200:
            raise SupersetAPIError(
                f"Superset refused the embedding service user '{self.username}' "
                f"(HTTP {response.status_code})",
                hint="check the service user's name and password variables",
            )
        token = str(response.json().get("access_token") or "")
        register(token)
        self._token = token
        csrf = await self._raw("GET", "api/v1/security/csrf_token/", headers=self._auth_headers())
        if csrf.status_code != 200:
            raise SupersetAPIError(
                f"Superset gave the service user no CSRF token (HTTP {csrf.status_code})"
            )
        self._csrf = str(csrf.json().get("result") or "")
        register(self._csrf)

    def _auth_headers(self) -> dict[str, str]:
        headers = {"Referer": self.url + "/", "Accept": "application/json"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        if self._csrf:
            headers["X-CSRFToken"] = self._csrf
        return headers

    async def _raw(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise SupersetAPIError(
                f"cannot reach Superset at {self.url}: {redact(str(exc)) or type(exc).__name__}"
            ) from None

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A request as the service user; one new login on a 401."""
        for attempt in (1, 2):
            if self._token is None:
                async with self._lock:
                    if self._token is None:
                        await self._login()
            token = self._token
            response = await self._raw(method, path, headers=self._auth_headers(), **kwargs)
            if response.status_code == 401 and attempt == 1:
                async with self._lock:
                    if self._token == token:
                        self._token = self._csrf = None
                continue
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    async def _json(self, method: str, path: str, what: str, **kwargs: Any) -> Any:
        response = await self._call(method, path, **kwargs)
        if response.status_code == 404:
            raise SupersetAPIError(f"{what}: not found in Superset (HTTP 404)")
        if response.status_code >= 400:
            raise SupersetAPIError(
                f"{what}: Superset answered HTTP {response.status_code}: "
                f"{redact(response.text[:300])}"
            )
        return response.json()

    # ------------------------------------------------------------------ reads

    async def embedded(self, dashboard: str) -> tuple[str, list[str]]:
        """The embedded uuid of dashboard ``dashboard`` (id or slug) and the domains allowed to
        frame it; SupersetAPIError when the dashboard is not enabled for embedding."""
        data = await self._json(
            "GET", f"api/v1/dashboard/{dashboard}/embedded", f"embedding of dashboard {dashboard}"
        )
        result = data["result"]
        return str(result["uuid"]), [str(d) for d in result.get("allowed_domains") or []]

    async def dashboard_datasets(self, dashboard: str) -> list[DatasetRef]:
        """Every dataset the charts of ``dashboard`` (id or slug) read."""
        data = await self._json(
            "GET", f"api/v1/dashboard/{dashboard}/datasets", f"datasets of dashboard {dashboard}"
        )
        return [
            DatasetRef(int(d["id"]), str(d.get("uuid") or ""), _name(d))
            for d in data.get("result", [])
        ]

    async def find_dataset(self, ref: str) -> DatasetRef:
        """The dataset named by uuid or ``schema.table``."""
        if "." in ref and "-" not in ref:
            schema, _, table = ref.partition(".")
            filters = [
                {"col": "table_name", "opr": "eq", "value": table},
                {"col": "schema", "opr": "eq", "value": schema},
            ]
        else:
            filters = [{"col": "uuid", "opr": "eq", "value": ref}]
        q = rison({"filters": filters, "columns": ["id", "uuid", "schema", "table_name"]})
        data = await self._json("GET", "api/v1/dataset/", f"dataset {ref}", params={"q": q})
        rows = data.get("result", [])
        if len(rows) != 1:
            raise SupersetAPIError(
                f"dataset {ref}: {len(rows)} match(es) in Superset, expected exactly one",
                hint="name the dataset by its uuid in the RLS template",
            )
        row = rows[0]
        return DatasetRef(int(row["id"]), str(row.get("uuid") or ""), _name(row))

    # ------------------------------------------------------------------ the token

    async def guest_token(
        self,
        *,
        username: str,
        embedded_uuid: str,
        rls: list[dict[str, Any]],
    ) -> str:
        body = {
            "user": {"username": username, "first_name": username, "last_name": ""},
            "resources": [{"type": "dashboard", "id": embedded_uuid}],
            "rls": rls,
        }
        response = await self._call(
            "POST",
            "api/v1/security/guest_token/",
            json=body,
        )
        if response.status_code != 200:
            raise SupersetAPIError(
                f"Superset refused the guest token (HTTP {response.status_code}): "
                f"{redact(response.text[:300])}"
            )
        # not registered for redaction: a broker mints thousands, and never logs one
        return str(response.json().get("token") or "")


def _name(row: dict[str, Any]) -> str:
    schema = row.get("schema") or ""
    table = row.get("table_name") or ""
    return f"{schema}.{table}" if schema else str(table)
