"""A small Superset REST client for the operations commands: login, CSRF, JSON and bytes.

Errors of httpx are translated here into :class:`~supersetctl.errors.SupersetAPIError`; every
message is built from the path and the status, never from a credential.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from supersetctl.errors import SupersetAPIError
from supersetctl.redact import redact, register

log = logging.getLogger(__name__)


class SupersetAPI:
    """A logged-in (or anonymous) conversation with one Superset, on a caller's httpx client."""

    def __init__(self, client: httpx.Client, base_url: str) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")
        self._token: str | None = None
        self._csrf: str | None = None

    def url(self, path: str) -> str:
        return self.base_url + path

    def _headers(self, *, write: bool = False) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        if write and self._csrf:
            headers["X-CSRFToken"] = self._csrf
            headers["Referer"] = self.base_url + "/"
        return headers

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self.client.request(method, self.url(path), **kwargs)
        except httpx.HTTPError as exc:
            raise SupersetAPIError(
                redact(f"{method} {path}: {type(exc).__name__}: {exc}"),
            ) from None

    @staticmethod
    def _fail(method: str, path: str, resp: httpx.Response) -> SupersetAPIError:
        detail = ""
        try:
            body = resp.json()
            if isinstance(body, dict):
                detail = str(body.get("message") or body.get("errors") or body.get("msg") or "")
        except ValueError:
            detail = resp.text[:200]
        text = f"{method} {path}: HTTP {resp.status_code}"
        if detail:
            text += f": {detail[:300]}"
        return SupersetAPIError(redact(text), status=resp.status_code)

    def login(self, username: str, password: str) -> None:
        """``POST /api/v1/security/login`` and keep the access token (registered as a secret)."""
        register(password)
        resp = self._send(
            "POST",
            "/api/v1/security/login",
            json={"username": username, "password": password, "provider": "db", "refresh": True},
            headers={"Accept": "application/json"},
        )
        if resp.status_code != 200:
            raise SupersetAPIError(
                f"login as {username!r} refused: HTTP {resp.status_code}",
                status=resp.status_code,
                hint="check the admin username and password variables",
            )
        token = resp.json().get("access_token")
        if not isinstance(token, str) or not token:
            raise SupersetAPIError("login answered without an access_token")
        register(token)
        self._token = token

    def csrf(self) -> None:
        """Fetch a CSRF token for writes (the session cookie stays on the client)."""
        data = self.get_json("/api/v1/security/csrf_token/")
        token = data.get("result")
        if isinstance(token, str):
            register(token)
            self._csrf = token

    def get_json(self, path: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        resp = self._send("GET", path, params=params, headers=self._headers())
        if resp.status_code != 200:
            raise self._fail("GET", path, resp)
        body = resp.json()
        if not isinstance(body, dict):
            raise SupersetAPIError(f"GET {path}: expected a JSON object")
        return body

    def get_bytes(self, path: str) -> bytes:
        resp = self._send("GET", path, headers={**self._headers(), "Accept": "*/*"})
        if resp.status_code != 200:
            raise self._fail("GET", path, resp)
        return resp.content

    def post_json(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        if self._csrf is None:
            self.csrf()
        resp = self._send("POST", path, json=payload, headers=self._headers(write=True))
        if resp.status_code not in (200, 201, 202):
            raise self._fail("POST", path, resp)
        body = resp.json()
        if not isinstance(body, dict):
            raise SupersetAPIError(f"POST {path}: expected a JSON object")
        return body

    def list_all(self, resource: str, columns: list[str]) -> list[dict[str, Any]]:
        """Every row of ``GET /api/v1/<resource>/`` (paged, 100 a page)."""
        rows: list[dict[str, Any]] = []
        page = 0
        cols = ",".join(columns)
        while True:
            q = f"(columns:!({cols}),page:{page},page_size:100)"
            body = self.get_json(f"/api/v1/{resource}/", params={"q": q})
            result = body.get("result") or []
            rows.extend(r for r in result if isinstance(r, dict))
            count = int(body.get("count", len(rows)))
            if not result or len(rows) >= count:
                return rows
            page += 1
