"""The one ``/health`` probe, and what "healthy" means for every command that asks.

A Superset is **healthy** when ``GET <url>/health`` answers HTTP 200 with a JSON object whose
``status`` is exactly ``"OK"``: the body ``image/superset_config.py`` returns, and what the
image's HEALTHCHECK tests (other keys are ignored, as there; ``"ok"`` is not ``"OK"``). Every
other answer is unhealthy, and :attr:`HealthProbe.verdict` says which:

``ok``
    healthy.
``plain-ok``
    200 with the text ``OK``: Superset's own answer when our configuration is not loaded (a
    stock or misconfigured Superset). It runs, but it is not the contract's runtime, so it is
    not healthy. ``health`` reports it as a warning (the service is up), ``deploy`` as a failed
    verification (the new version must run our configuration), and the local stack waits on.
``unexpected``
    200 with any other body.
``http-error``
    another status (503 with ``{"status": "ERROR", "failed": [...]}`` when the metadata
    database is unreachable).
``unreachable``
    no answer: connection refused, timeout, TLS failure.

The probe never raises for an unhealthy server, and makes one request through the
``httpx.Client`` it is given (tests pass one on ``httpx.MockTransport``), or through one of its
own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

import httpx

from supersetctl.redact import redact

HEALTH_PATH = "/health"
CONTRACT_BODY = '{"status": "OK"}'

Verdict = Literal["ok", "plain-ok", "unexpected", "http-error", "unreachable"]


@dataclass(frozen=True)
class HealthProbe:
    """One answer of ``/health``; ``detail`` is one redacted line."""

    url: str  # the /health URL asked
    verdict: Verdict
    detail: str
    status_code: int | None = None

    @property
    def healthy(self) -> bool:
        return self.verdict == "ok"

    @property
    def serving(self) -> bool:
        """Whether a Superset answered OK at all (healthy, or plain-text ``OK``)."""
        return self.verdict in ("ok", "plain-ok")


def judge(url: str, status_code: int, text: str) -> HealthProbe:
    """The verdict on one ``/health`` answer (see the module docstring)."""
    if status_code != 200:
        return HealthProbe(url, "http-error", f"GET {HEALTH_PATH}: HTTP {status_code}", status_code)
    body = text.strip()
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict) and data.get("status") == "OK":
        return HealthProbe(url, "ok", f"answered {CONTRACT_BODY}", status_code)
    if body == "OK":
        detail = f"answered plain-text OK; the contract wants {CONTRACT_BODY}"
        return HealthProbe(url, "plain-ok", detail, status_code)
    detail = redact(f"GET {HEALTH_PATH}: unexpected body {body[:80]!r}")
    return HealthProbe(url, "unexpected", detail, status_code)


def probe_health(
    base_url: str, http: httpx.Client | None = None, *, timeout: float = 10.0
) -> HealthProbe:
    """``GET <base_url>/health`` once, judged; never raises for an unhealthy server.

    ``http`` sends the request (its redirect, TLS and timeout settings apply); without one a
    client of ``timeout`` seconds is made for this request and closed.
    """
    url = base_url.rstrip("/") + HEALTH_PATH
    client = http or httpx.Client(timeout=timeout)
    try:
        response = client.get(url, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        detail = redact(f"GET {HEALTH_PATH}: {type(exc).__name__}: {exc}")
        return HealthProbe(url, "unreachable", detail)
    finally:
        if http is None:
            client.close()
    return judge(url, response.status_code, response.text)
