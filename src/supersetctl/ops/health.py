"""Health of a running Superset: ``/health``, API login, a query per database, TLS, timings.

:func:`check_health` runs each check with retries and exponential backoff before calling it a
failure, and returns a :class:`HealthReport` whose :attr:`~HealthReport.state` is

- ``down`` when ``/health`` does not answer OK (the probe of :mod:`supersetctl.superset.health`;
  a plain-text ``OK``, Superset without our configuration, is a warning, not an outage),
- ``degraded`` when ``/health`` answers but another check fails (login, a database query, a
  certificate about to expire),
- ``up`` otherwise.

The API checks go through :class:`~supersetctl.superset.SupersetClient`. Checks never raise for
a failing server: failures are data. Nothing here prints.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Literal
from urllib.parse import urlsplit

import httpx

from supersetctl.contract.environment import Environment
from supersetctl.errors import SupersetAPIError, UsageError
from supersetctl.markdown import cell
from supersetctl.redact import redact, register, register_uri
from supersetctl.superset import Credentials, SupersetClient, probe_health

log = logging.getLogger(__name__)

Status = Literal["ok", "warn", "fail", "skip"]
State = Literal["up", "degraded", "down"]

# the admin login of a Superset named by URL only (an environment names its own variables)
USERNAME_ENV = "SUPERSET_ADMIN_USERNAME"
PASSWORD_ENV = "SUPERSET_ADMIN_PASSWORD"


@dataclass(frozen=True)
class Target:
    """The Superset to check: its URL, the label of reports, alerts and state files, and the
    admin login (None when its variables are unset: login and queries are skipped)."""

    url: str
    label: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)


def health_target(env: Environment | None, url: str | None, environ: Mapping[str, str]) -> Target:
    """The target named by ``env`` (its URL, unless ``url``; its admin variables) or by ``url``
    alone (``SUPERSET_ADMIN_USERNAME``/``PASSWORD`` of ``environ``, the process's variables)."""
    base = url or (env.url if env else "")
    register_uri(base)  # a password in the URL is masked in everything printed
    try:
        parts = urlsplit(base)
        host = f"{parts.hostname}:{parts.port}" if parts.port else parts.hostname
    except ValueError:
        raise UsageError(f"not a valid URL: {base}", hint="pass http(s)://host[:port]") from None
    names = env.config.superset if env else None
    variables = env.environ if env else environ
    password = variables.get(names.admin_password_env if names else PASSWORD_ENV) or None
    register(password)
    username = variables.get(names.admin_username_env if names else USERNAME_ENV) or None
    return Target(base, (env.name if env else None) or host or base, username, password)


@dataclass(frozen=True)
class HealthOptions:
    """How hard and how long to try. ``backoff`` doubles after each failed attempt."""

    attempts: int = 3
    backoff: float = 2.0
    timeout: float = 10.0
    tls_warn_days: int = 21
    tls_fail_days: int = 7
    slow_ms: float = 3000.0
    ca_file: str | None = None  # extra CA bundle for the TLS check and the HTTP client
    query_databases: bool = True


@dataclass(frozen=True)
class Check:
    """One check's outcome. ``detail`` is already redacted."""

    name: str
    status: Status
    detail: str
    elapsed_ms: float | None = None
    attempts: int = 1


@dataclass(frozen=True)
class HealthReport:
    url: str
    checked_at: str
    checks: list[Check] = field(default_factory=list)
    tls_days_left: int | None = None

    @property
    def state(self) -> State:
        by_name = {c.name: c for c in self.checks}
        health = by_name.get("health")
        if health is None or health.status == "fail":
            return "down"
        if any(c.status == "fail" for c in self.checks):
            return "degraded"
        return "up"

    @property
    def healthy(self) -> bool:
        return self.state == "up"

    def problems(self) -> list[Check]:
        return [c for c in self.checks if c.status in ("fail", "warn")]

    def to_dict(self) -> dict[str, object]:
        return {
            "url": self.url,
            "checked_at": self.checked_at,
            "state": self.state,
            "tls_days_left": self.tls_days_left,
            "checks": [asdict(c) for c in self.checks],
        }


class _CheckFailed(Exception):
    """A check's attempt failed; ``retry`` says whether another attempt can help."""

    def __init__(self, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


def _with_retries(
    name: str,
    attempt: Callable[[], tuple[Status, str]],
    options: HealthOptions,
    sleep: Callable[[float], None],
) -> Check:
    """Run ``attempt`` until it passes or the attempts are used up; time the last attempt."""
    delay = options.backoff
    tries = 0
    while True:
        tries += 1
        start = time.perf_counter()
        try:
            status, detail = attempt()
        except _CheckFailed as exc:
            elapsed = (time.perf_counter() - start) * 1000
            if exc.retry and tries < options.attempts:
                log.info("%s: attempt %d failed (%s); retrying in %.1fs", name, tries, exc, delay)
                sleep(delay)
                delay *= 2
                continue
            return Check(name, "fail", redact(str(exc)), round(elapsed, 1), tries)
        elapsed = (time.perf_counter() - start) * 1000
        if status == "ok" and elapsed > options.slow_ms:
            status, detail = "warn", f"{detail}; slow: {elapsed:.0f} ms > {options.slow_ms:.0f} ms"
        return Check(name, status, redact(detail), round(elapsed, 1), tries)


def _health_attempt(http: httpx.Client, base: str) -> tuple[Status, str]:
    """``/health`` by the one probe: healthy is ok; plain-text ``OK`` (a Superset without our
    configuration) is a warning, not an outage; anything else fails (and is retried)."""
    probe = probe_health(base, http)
    if probe.healthy:
        return "ok", probe.detail
    if probe.verdict == "plain-ok":
        return "warn", probe.detail
    raise _CheckFailed(probe.detail)


def _api_failed(exc: SupersetAPIError) -> _CheckFailed:
    # a refused password or a bad query does not get better with retries; a 5xx or a timeout may
    return _CheckFailed(str(exc), retry=exc.status is None or exc.status >= 500)


def _login_attempt(
    http: httpx.Client, base: str, credentials: Credentials, out: list[SupersetClient]
) -> tuple[Status, str]:
    # a client per attempt: one that could not reach the server refuses every later request
    api = SupersetClient(base, credentials, http=http, retries=0)
    try:
        api.login()
    except SupersetAPIError as exc:
        raise _api_failed(exc) from None
    out[:] = [api]
    return "ok", f"logged in as {credentials.username!r}"


def _query_attempt(api: SupersetClient, db_id: int, db_name: str) -> tuple[Status, str]:
    try:
        body = api.execute_sql(db_id, "SELECT 1 AS supersetctl_health")
    except SupersetAPIError as exc:
        raise _api_failed(exc) from None
    status = str(body.get("status", "")).lower()
    data = body.get("data")
    if status in ("success", "") and isinstance(data, list) and data:
        return "ok", f"SELECT 1 on {db_name!r} returned a row"
    raise _CheckFailed(f"SELECT 1 on {db_name!r}: status {status or 'unknown'}")


def tls_days_left(
    host: str, port: int, *, timeout: float, ca_file: str | None, now: dt.datetime | None = None
) -> tuple[int, str | None]:
    """Days until the certificate served at ``host:port`` expires, and a verification error.

    The certificate is verified against the system CAs (plus ``ca_file``). When verification
    fails, the days are still read from the unverified certificate and the reason is returned.
    """
    now = now or dt.datetime.now(dt.UTC)
    ctx = ssl.create_default_context(cafile=ca_file)
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as raw,
            ctx.wrap_socket(raw, server_hostname=host) as tls,
        ):
            cert = tls.getpeercert()
        not_after = str(cert["notAfter"]) if cert else ""
        expires = dt.datetime.fromtimestamp(ssl.cert_time_to_seconds(not_after), dt.UTC)
        return (expires - now).days, None
    except ssl.SSLCertVerificationError as exc:
        reason = exc.verify_message or str(exc)
    loose = ssl.create_default_context()
    loose.check_hostname = False
    loose.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection((host, port), timeout=timeout) as raw,
        loose.wrap_socket(raw, server_hostname=host) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    if der is None:
        raise OSError("the server sent no certificate")
    from cryptography import x509  # only needed for certificates that fail verification

    expires = x509.load_der_x509_certificate(der).not_valid_after_utc
    return (expires - now).days, reason


def _tls_attempt(url: str, options: HealthOptions, out: list[int]) -> tuple[Status, str]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or 443
    try:
        days, problem = tls_days_left(host, port, timeout=options.timeout, ca_file=options.ca_file)
    except OSError as exc:
        raise _CheckFailed(f"TLS handshake with {host}:{port}: {exc}") from None
    out.append(days)
    if problem:
        raise _CheckFailed(f"certificate not trusted: {problem} ({days} days left)", retry=False)
    if days < options.tls_fail_days:
        raise _CheckFailed(
            f"certificate expires in {days} days (< {options.tls_fail_days})", retry=False
        )
    if days < options.tls_warn_days:
        return "warn", f"certificate expires in {days} days (< {options.tls_warn_days})"
    return "ok", f"certificate valid for {days} more days"


def check_health(
    url: str,
    *,
    username: str | None = None,
    password: str | None = None,
    options: HealthOptions | None = None,
    client: httpx.Client | None = None,
    sleep: Callable[[float], None] = time.sleep,
    now: dt.datetime | None = None,
) -> HealthReport:
    """Check the Superset at ``url``; never raises for an unhealthy server.

    Login and the per-database queries run only when ``username`` and ``password`` are given.
    """
    options = options or HealthOptions()
    register(password)
    base = url.rstrip("/")
    checked_at = (now or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    own = client is None
    if client is None:
        verify: ssl.SSLContext | bool = True
        if options.ca_file:
            verify = ssl.create_default_context(cafile=options.ca_file)
        client = httpx.Client(timeout=options.timeout, verify=verify, follow_redirects=False)
    checks: list[Check] = []
    days: list[int] = []
    try:
        checks.append(
            _with_retries("health", lambda: _health_attempt(client, base), options, sleep)
        )
        if urlsplit(base).scheme == "https":
            checks.append(
                _with_retries("tls", lambda: _tls_attempt(base, options, days), options, sleep)
            )
        if checks[0].status == "fail":
            return HealthReport(base, checked_at, checks, days[-1] if days else None)
        if not (username and password):
            checks.append(Check("login", "skip", "no credentials configured"))
            return HealthReport(base, checked_at, checks, days[-1] if days else None)
        logged_in: list[SupersetClient] = []
        credentials = Credentials(username, password)
        login = _with_retries(
            "login", lambda: _login_attempt(client, base, credentials, logged_in), options, sleep
        )
        checks.append(login)
        if login.status == "fail" or not options.query_databases:
            return HealthReport(base, checked_at, checks, days[-1] if days else None)
        checks.extend(_database_checks(logged_in[0], options, sleep))
    finally:
        if own:
            client.close()
    return HealthReport(base, checked_at, checks, days[-1] if days else None)


def _database_checks(
    api: SupersetClient, options: HealthOptions, sleep: Callable[[float], None]
) -> list[Check]:
    listing: list[dict[str, object]] = []

    def _list() -> tuple[Status, str]:
        try:
            listing[:] = api.list("database", ["id", "database_name"])
        except SupersetAPIError as exc:
            raise _CheckFailed(str(exc)) from None
        return "ok", f"{len(listing)} database(s)"

    first = _with_retries("databases", _list, options, sleep)
    if first.status == "fail":
        return [first]
    if not listing:
        return [Check("databases", "warn", "no database is provisioned", first.elapsed_ms)]
    out: list[Check] = []
    for row in sorted(listing, key=lambda r: str(r.get("database_name", ""))):
        db_id = int(str(row.get("id")))
        name = str(row.get("database_name", db_id))
        out.append(
            _with_retries(
                f"database:{name}",
                functools.partial(_query_attempt, api, db_id, name),
                options,
                sleep,
            )
        )
    return out


def report_markdown(report: HealthReport, label: str) -> str:
    """The report as Markdown (a CI job summary): the state, then a table of the checks."""
    lines = [f"### Superset {label}: {report.state.upper()}", "",
             "| check | status | ms | detail |", "|---|---|---|---|"]  # fmt: skip
    for c in report.checks:
        ms = f"{c.elapsed_ms:.0f}" if c.elapsed_ms is not None else "-"
        lines.append(f"| {c.name} | {c.status} | {ms} | {cell(c.detail)} |")
    return redact("\n".join(lines) + "\n")
