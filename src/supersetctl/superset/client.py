"""A small Superset REST API client on httpx.

Auth is either a username/password login (``POST /api/v1/security/login``, then a CSRF token
from ``/api/v1/security/csrf_token/`` sent as ``X-CSRFToken`` with a ``Referer``, and the session
cookie kept by the client) or a ready access token. Requests are retried with exponential
backoff on 5xx answers and dropped connections; a 401 logs in again once. A server that cannot
be reached at all fails the whole client at once (threads don't each wait out the retries).

Requests are sized to the server's limits: gunicorn refuses a request line over 4,094 bytes
(``limit_request_line``), so an export of many ids is split into several requests.
"""

from __future__ import annotations

import builtins
import html
import json
import logging
import re
import secrets
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

from supersetctl.errors import SupersetAPIError
from supersetctl.redact import redact, register

from .rison import dumps as rison
from .tokens import TokenCache

log = logging.getLogger(__name__)

KINDS = ("database", "dataset", "chart", "dashboard")
_RETRY_STATUS = frozenset({500, 502, 503, 504})
# asked for; Flask-AppBuilder caps it at FAB_API_MAX_PAGE_SIZE (100 unless configured; our
# image's config allows 5,000), and the pager follows whatever size the first page comes back
# with. Each page costs the server ~50 ms whatever its size: fewer, larger pages are faster
_PAGE_SIZE = 5000
_LIST_ATTEMPTS = 3
# gunicorn's default limit_request_line is 4,094 bytes; leave room for a proxy's prefix
REQUEST_LINE_LIMIT = 3800
_CONNECT_TIMEOUT = 10.0
_CONNECT_RETRIES = 2  # a refused or unroutable address: two quick retries, then give up


@dataclass(frozen=True)
class Credentials:
    """Either ``username`` + ``password`` or ``access_token``."""

    username: str | None = None
    password: str | None = None
    access_token: str | None = None

    def __post_init__(self) -> None:
        register(self.password, self.access_token)


def http_client(url: str, timeout: float) -> httpx.Client:
    """The transport for one Superset URL. https: verified against the CA bundle. http (a
    local stack): no TLS connection is ever made (requests go to this URL only and redirects
    are not followed), so the client gets a verifying context that trusts no CA at all: TLS
    would fail closed, and no run pays for loading the CA bundle it never uses."""
    verify: ssl.SSLContext | bool = (
        True if url.startswith("https://") else ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    )
    return httpx.Client(timeout=httpx.Timeout(timeout, connect=_CONNECT_TIMEOUT), verify=verify)


class SupersetClient:
    """Talks to one Superset instance. ``http`` may be any ``httpx.Client`` (tests pass one
    built on ``httpx.MockTransport``); its ``base_url`` is set to ``url``."""

    def __init__(
        self,
        url: str,
        credentials: Credentials,
        *,
        http: httpx.Client | None = None,
        timeout: float = 120.0,
        retries: int = 4,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        token_cache: TokenCache | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.credentials = credentials
        self.http = http or http_client(self.url, timeout)
        self.http.base_url = httpx.URL(self.url + "/")
        self.retries = retries
        self.backoff = backoff
        self._sleep = sleep
        self._token: str | None = None
        self.token_cache = token_cache
        self._cached = False  # the token in use came from token_cache
        self._csrf: str | None = None
        self._login_lock = threading.RLock()
        self._unreachable: SupersetAPIError | None = None  # set once the server cannot be reached
        self.request_line_limit = REQUEST_LINE_LIMIT
        self.requests_sent: list[tuple[str, str]] = []  # (method, path): what this client did

    # ------------------------------------------------------------------ plumbing

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> SupersetClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(
        self,
        method: str,
        path: str,
        *,
        auth: bool = True,
        **kwargs: Any,
    ) -> httpx.Response:
        """One request with retries on 5xx and transport errors; no status check."""
        attempt = 0
        while True:
            if self._unreachable is not None:  # another request already gave up on the server
                raise self._unreachable
            headers: dict[str, str] = {"Referer": self.url + "/", "Accept": "application/json"}
            if auth:
                if self._token is None:
                    with self._login_lock:  # list calls run in threads: log in once
                        if self._token is None:
                            self.login()
                headers["Authorization"] = f"Bearer {self._token}"
                if method not in ("GET", "HEAD"):
                    if self._csrf is None:
                        with self._login_lock:
                            if self._csrf is None:
                                self._fetch_csrf()
                    if self._csrf:
                        headers["X-CSRFToken"] = self._csrf
            try:
                self.requests_sent.append((method, path))
                response = self.http.request(method, path, headers=headers, **kwargs)
            except httpx.TransportError as exc:
                connect = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                if attempt >= (min(self.retries, _CONNECT_RETRIES) if connect else self.retries):
                    error = SupersetAPIError(
                        f"{method} {path}: cannot reach Superset at {self.url}: "
                        f"{type(exc).__name__}",
                        hint="is it running? check the URL in config/<env>/environment.yaml",
                    )
                    if connect:
                        self._unreachable = error
                    raise error from None
                reason = type(exc).__name__
            else:
                if response.status_code not in _RETRY_STATUS or attempt >= self.retries:
                    return response
                reason = f"HTTP {response.status_code}"
            delay = self.backoff * (2**attempt)
            attempt += 1
            log.info("%s %s failed (%s); retry %d in %.1fs", method, path, reason, attempt, delay)
            self._sleep(delay)

    def request(
        self,
        method: str,
        path: str,
        *,
        ok: Iterable[int] = (200, 201),
        **kwargs: Any,
    ) -> httpx.Response:
        """A checked request: a status outside ``ok`` raises :class:`SupersetAPIError`."""
        response = self._send(method, path, **kwargs)
        if (
            response.status_code in (401, 422)
            and self.credentials.access_token is None
            and self._refused(response)
        ):
            response = self._send(method, path, **kwargs)  # with a fresh login
        if response.status_code not in set(ok):
            raise SupersetAPIError(
                f"{method} {path}: HTTP {response.status_code}: {_reason(response)}",
                status=response.status_code,
            )
        return response

    def _refused(self, response: httpx.Response) -> bool:
        """Whether the token ``response`` was sent with is no good (then it is dropped, and the
        next request logs in): 401 once it expired; for a token kept from an earlier run, also
        422, Superset's answer to a token it cannot verify (a new SECRET_KEY, say). A 422 for
        another reason comes back again after the login and is reported then."""
        used = response.request.headers.get("Authorization", "").removeprefix("Bearer ")
        with self._login_lock:
            if used != self._token:  # another thread found it bad and replaced it already
                return response.status_code in (401, 422)
            if response.status_code == 401 or (response.status_code == 422 and self._cached):
                if self.token_cache and self.credentials.username:  # kept by us or a run before
                    self.token_cache.drop(self.url, self.credentials.username, used)
                self._token, self._cached = None, False
                return True
        return False

    def login(self) -> None:
        """Get an access token (unless one was given): from the token cache when it holds a
        good one, else by a password login; the CSRF token comes with the first write."""
        creds = self.credentials
        if creds.access_token:
            self._token = creds.access_token
        else:
            if not creds.username or not creds.password:
                raise SupersetAPIError(
                    "no Superset credentials",
                    hint="set the admin username/password variables named in config/<env>/",
                )
            cached = self.token_cache.get(self.url, creds.username) if self.token_cache else None
            if cached:
                log.debug("using the access token kept from an earlier login")
                self._token, self._cached = cached, True
                self._csrf = None
                return
            response = self._send(
                "POST",
                "api/v1/security/login",
                auth=False,
                json={
                    "username": creds.username,
                    "password": creds.password,
                    "provider": "db",
                    "refresh": False,  # never used: a login per expiry instead
                },
            )
            if response.status_code != 200:
                raise SupersetAPIError(
                    f"login as {creds.username!r} failed: HTTP {response.status_code}: "
                    f"{_reason(response)}",
                    status=response.status_code,
                    hint="check the admin username/password variables",
                )
            token = response.json().get("access_token")
            if not isinstance(token, str):
                raise SupersetAPIError("login answered without an access_token")
            register(token)
            self._token, self._cached = token, False
            if self.token_cache:
                self.token_cache.put(self.url, creds.username, token)
        self._csrf = None  # fetched before the first write (a read-only run never needs it)

    def _fetch_csrf(self) -> None:
        """A CSRF token (and the session cookie it belongs to) for POST/PUT/DELETE."""
        response = self._send("GET", "api/v1/security/csrf_token/")
        csrf = response.json().get("result") if response.status_code == 200 else None
        if isinstance(csrf, str):
            register(csrf)
            self._csrf = csrf
        else:
            self._csrf = ""
            log.info("no CSRF token (HTTP %s); writes go without one", response.status_code)

    # ------------------------------------------------------------------ API

    def list(
        self,
        kind: str,
        columns: Iterable[str],
        filters: Iterable[Mapping[str, Any]] = (),
    ) -> list[dict[str, Any]]:
        """Every ``kind`` row (``GET /api/v1/<kind>/``), all pages, only ``columns``.

        The first page says how many rows there are; the other pages are fetched in parallel.
        The API orders by change time only (not by id), so an asset edited while the pages are
        read moves to the last page and shifts a row past the page boundary: a listing that
        comes out short of the count is read again (page by page), and raises if it stays
        short.
        """
        cols, flts = list(columns), [dict(f) for f in filters]

        def page_of(n: int, size: int) -> dict[str, Any]:
            query = {
                "columns": cols,
                "filters": flts,
                "order_column": "changed_on_delta_humanized",
                "order_direction": "asc",
                "page": n,
                "page_size": size,
            }
            body = self.request("GET", f"api/v1/{kind}/", params={"q": rison(query)}).json()
            return dict(body)

        for attempt in range(_LIST_ATTEMPTS):
            first = page_of(0, _PAGE_SIZE)
            out: list[dict[str, Any]] = list(first.get("result", []))
            count = int(first.get("count", 0))
            size = len(out) or 1  # the server's real page size (it may cap what was asked)
            pages = -(-count // size) if len(out) < count else 1
            if pages > 1:
                workers = min(3, pages - 1) if attempt == 0 else 1
                with ThreadPoolExecutor(max_workers=workers) as pool:
                    for body in pool.map(page_of, range(1, pages), [size] * (pages - 1)):
                        out.extend(body.get("result", []))
            seen: set[Any] = set()
            unique = []
            for row in out:  # a row that moved between pages while paging shows up once
                key = row.get("id", id(row))
                if key not in seen:
                    seen.add(key)
                    unique.append(row)
            if len(unique) >= count:
                return unique
            log.info(
                "%s list: %d of %d rows (changed while read); reading it again",
                kind,
                len(unique),
                count,
            )
        raise SupersetAPIError(
            f"cannot list every {kind}: the instance kept changing while it was read "
            f"({len(unique)} of {count} rows)",
            hint="run again once the edits have settled",
        )

    def newest(self, kind: str) -> tuple[int, str]:
        """How many ``kind`` assets there are and the newest ``changed_on`` (one small request)."""
        column, order = (
            ("changed_on", "changed_on")
            if kind == "database"
            else ("changed_on_utc", "changed_on_delta_humanized")
        )
        query = {
            "columns": ["id", column],
            "order_column": order,
            "order_direction": "desc",
            "page": 0,
            "page_size": 1,
        }
        body = self.request("GET", f"api/v1/{kind}/", params={"q": rison(query)}).json()
        rows = body.get("result") or [{}]
        return int(body.get("count", 0)), str(rows[0].get(column) or "")

    def export_assets(self) -> bytes:
        """The whole instance as one native bundle (``GET /api/v1/assets/export/``)."""
        return self.request("GET", "api/v1/assets/export/").content

    def export(self, kind: str, ids: Iterable[int], *, workers: int = 2) -> builtins.list[bytes]:
        """Native bundles of some assets of one kind, with what they depend on: one per
        request, each request line within :attr:`request_line_limit` (``workers`` requests
        at a time)."""
        path = f"api/v1/{kind}/export/"
        batches = self.id_batches("GET", path, sorted(set(ids)))
        if len(batches) <= 1 or workers <= 1:
            return [self._export_one(path, b) for b in batches]
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(lambda b: self._export_one(path, b), batches))

    def _export_one(self, path: str, ids: builtins.list[int]) -> bytes:
        return self.request("GET", path, params={"q": rison(ids)}).content

    def id_batches(
        self, method: str, path: str, ids: builtins.list[int]
    ) -> builtins.list[builtins.list[int]]:
        """``ids`` split so that each request's line (``METHOD /path?q=!(...) HTTP/1.1``)
        stays within :attr:`request_line_limit` bytes, as the server will read it."""
        fixed = len(method) + len(" HTTP/1.1") + 1
        base = self.http.build_request(method, path, params={"q": rison([])}).url.raw_path
        budget = self.request_line_limit - fixed - len(base)
        # each id adds its digits and one encoded comma (%2C)
        batches: builtins.list[builtins.list[int]] = []
        current: builtins.list[int] = []
        used = 0
        for pk in ids:
            cost = len(str(pk)) + (3 if current else 0)
            if current and used + cost > budget:
                batches.append(current)
                current, used = [], 0
                cost = len(str(pk))
            current.append(pk)
            used += cost
        if current:
            batches.append(current)
        return batches

    def import_assets(
        self,
        bundle: bytes,
        *,
        passwords: Mapping[str, str] | None = None,
        overwrite: bool = True,
        sparse: bool = False,
    ) -> None:
        """``POST /api/v1/assets/import/``: one transaction for the whole bundle.

        ``passwords`` maps a bundle file path (``databases/x.yaml``) to its password.
        """
        data = {"overwrite": "true" if overwrite else "false"}
        if sparse:
            data["sparse"] = "true"
        if passwords:
            register(*passwords.values())
            data["passwords"] = json.dumps(dict(passwords), sort_keys=True)
        self.request(
            "POST",
            "api/v1/assets/import/",
            data=data,
            files={"bundle": ("bundle.zip", bundle, "application/zip")},
        )

    def get(self, kind: str, pk: int) -> dict[str, Any]:
        result = self.request("GET", f"api/v1/{kind}/{pk}").json().get("result", {})
        return dict(result)

    def update(self, kind: str, pk: int, payload: Mapping[str, Any]) -> dict[str, Any]:
        return dict(self.request("PUT", f"api/v1/{kind}/{pk}", json=dict(payload)).json())

    def create(self, kind: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        return dict(self.request("POST", f"api/v1/{kind}/", json=dict(payload)).json())

    def execute_sql(self, database_id: int, sql: str, *, limit: int = 1) -> dict[str, Any]:
        """Run ``sql`` synchronously through SQL Lab on one database
        (``POST /api/v1/sqllab/execute/``); Superset's answer (``status``, ``data`` rows...)."""
        payload = {
            "database_id": database_id,
            "sql": sql,
            "runAsync": False,
            "queryLimit": limit,
            "select_as_cta": False,
            "ctas_method": "TABLE",
            "tab": "supersetctl",
            "client_id": secrets.token_hex(5),  # Superset keeps at most 11 characters
            "expand_data": False,
        }
        response = self.request("POST", "api/v1/sqllab/execute/", ok=(200, 201, 202), json=payload)
        body = response.json()
        if not isinstance(body, dict):
            raise SupersetAPIError("POST api/v1/sqllab/execute/: expected a JSON object")
        return body

    def delete(self, kind: str, pk: int) -> None:
        """Delete one asset; one that is already gone counts as deleted."""
        self.request("DELETE", f"api/v1/{kind}/{pk}", ok=(200, 204, 404))

    def delete_many(self, kind: str, ids: Iterable[int]) -> None:
        """Delete several assets of one kind through Superset's bulk delete
        (``DELETE /api/v1/<kind>/?q=!(...)``, in request-sized batches; databases have none,
        so one request each). A batch is all or nothing: on an error, no asset of it went."""
        ids = sorted(set(ids))
        if kind == "database":
            for pk in ids:
                self.delete(kind, pk)
            return
        path = f"api/v1/{kind}/"
        for batch in self.id_batches("DELETE", path, ids):
            self.request("DELETE", path, params={"q": rison(batch)}, ok=(200, 204))


_TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.DOTALL | re.IGNORECASE)
_TITLE = re.compile(r"<title>(.*?)</title>", re.DOTALL | re.IGNORECASE)


def _one_line(text: str, limit: int = 300) -> str:
    """An HTML or text body as one readable line: an HTML page's title and first words,
    without markup."""
    title = _TITLE.search(text)
    body = _TAGS.sub(" ", text)
    words = " ".join(html.unescape(body).split())
    if title:
        head = " ".join(html.unescape(title.group(1)).split())
        if head and words.startswith(head):
            words = words[len(head) :].strip()
        words = f"{head}: {words}" if words and head else head or words
    return words if len(words) <= limit else words[: limit - 3] + "..."


def _reason(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return redact(_one_line(response.text) or response.reason_phrase)
    if isinstance(body, dict):
        for key in ("message", "msg", "errors", "error"):
            if key in body:
                return redact(json.dumps(body[key], sort_keys=True)[:1000])
    return redact(json.dumps(body)[:300])
