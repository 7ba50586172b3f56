"""Where alerts go: a Slack incoming webhook, a generic JSON webhook (n8n, a chat bridge, a
pager), or both; and the one message every alert is made of.

Targets are chosen by the variables an environment sets (``--alert auto``) or named
(``--alert slack``, ``--alert webhook``):

- ``SLACK_WEBHOOK_URL``: Slack's incoming webhook; receives ``{"text", "blocks"}``.
- ``ALERT_WEBHOOK_URL``: any HTTPS endpoint; receives the versioned JSON document of
  :func:`webhook_payload`, whose keys are stable within a ``version``::

    {
      "version": 1,
      "source": "supersetctl",
      "event": "drift",                  # health | drift | backup | notify
      "status": "failed",                # failed | warning | ok
      "kind": "drift",                   # down, degraded, recovered, drift, drift-cleared, ...
      "environment": "prod",
      "title": "Superset prod drifted from git: 2 change(s)",
      "text": "...the same lines Slack shows, plain text...",
      "url": "https://superset.example.com",   # the Superset, or null
      "link": "https://github.com/o/r/actions/runs/1",   # what to open, or null
      "at": "2026-12-05T09:00:00Z",
      "details": {...}                   # per event: the failing checks, the drifted assets
    }

Every string is redacted before it leaves; the webhook URLs are registered as secrets when
read, and no error names them.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from supersetctl.errors import ConfigError, OperationFailed, UsageError
from supersetctl.redact import redact, register

SLACK_ENV = "SLACK_WEBHOOK_URL"
WEBHOOK_ENV = "ALERT_WEBHOOK_URL"
PAYLOAD_VERSION = 1
CHOICES = ("auto", "slack", "webhook")
_SLACK_SECTION_MAX = 3000  # characters of a section block's text (Slack's block reference)

TargetKind = Literal["slack", "webhook"]
Status = Literal["failed", "warning", "ok"]
_VARIABLE: dict[TargetKind, str] = {"slack": SLACK_ENV, "webhook": WEBHOOK_ENV}
_ICON: dict[str, str] = {"failed": ":red_circle:", "warning": ":large_orange_circle:",
                         "ok": ":white_check_mark:"}  # fmt: skip


@dataclass(frozen=True)
class Target:
    """One place an alert goes. ``url`` is a secret: never printed."""

    kind: TargetKind
    url: str = field(repr=False)

    @property
    def label(self) -> str:
        return "Slack" if self.kind == "slack" else "the alert webhook"


@dataclass(frozen=True)
class Message:
    """One alert, whatever the target: a headline, its lines, and the details as data."""

    event: str
    status: Status
    kind: str
    environment: str
    title: str
    lines: tuple[str, ...] = ()
    url: str | None = None
    link: str | None = None
    at: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        return redact("\n".join([self.title, *self.lines]))


def now_stamp(moment: dt.datetime | None = None) -> str:
    return (moment or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _redact_all(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {str(k): _redact_all(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_all(v) for v in value]
    return value


def _slack_escape(text: str) -> str:
    # the three characters Slack's mrkdwn reserves (its "Escaping text" section)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(message: Message) -> dict[str, Any]:
    """Slack's ``text`` (the headline, for notifications) and one mrkdwn block, cut to the
    3,000 characters Slack takes in a section (the rest is in the job summary)."""
    headline = f"{_ICON[message.status]} {_slack_escape(message.title)}"
    link = f"\n<{message.link}|details>" if message.link else ""
    text = redact("\n".join([headline, *(_slack_escape(line) for line in message.lines)]))
    room = _SLACK_SECTION_MAX - len(link)
    if len(text) > room:  # Slack refuses a longer section (invalid_blocks)
        more = "\n… (the rest in the job summary)"
        text = text[: room - len(more)].rsplit("\n", 1)[0] + more
    block = {"type": "mrkdwn", "text": text + link}
    return {"text": redact(headline), "blocks": [{"type": "section", "text": block}]}


def webhook_payload(message: Message) -> dict[str, Any]:
    """The versioned JSON document of the generic webhook (see the module docstring)."""
    return {
        "version": PAYLOAD_VERSION,
        "source": "supersetctl",
        "event": message.event,
        "status": message.status,
        "kind": message.kind,
        "environment": message.environment,
        "title": redact(message.title),
        "text": message.text(),
        "url": redact(message.url) if message.url else None,
        "link": message.link,
        "at": message.at or now_stamp(),
        "details": _redact_all(dict(message.details)),
    }


def payload_for(target: Target, message: Message) -> dict[str, Any]:
    return slack_payload(message) if target.kind == "slack" else webhook_payload(message)


def _read(env: Mapping[str, str], kind: TargetKind) -> Target | None:
    url = env.get(_VARIABLE[kind], "").strip()
    if not url:
        return None
    register(url)
    token = url.rstrip("/").rsplit("/", 1)[-1]
    if len(token) >= 12:  # Slack's (and n8n's) secret is the last path segment
        register(token)
    return Target(kind, url)


def targets_from_env(env: Mapping[str, str], choice: str = "auto") -> list[Target]:
    """The targets ``choice`` names: ``slack`` or ``webhook`` (its variable must be set), or
    ``auto``: every target whose variable is set. None configured is a :class:`ConfigError`."""
    if choice not in CHOICES:
        raise UsageError(f"unknown alert target '{choice}'", hint="use auto, slack or webhook")
    kinds: tuple[TargetKind, ...] = ("slack", "webhook") if choice == "auto" else (choice,)  # type: ignore[assignment]
    found = [t for t in (_read(env, k) for k in kinds) if t is not None]
    if not found:
        names = " or ".join(_VARIABLE[k] for k in kinds)
        raise ConfigError(
            f"no alert target: {names} is not set",
            hint="export the Slack incoming-webhook URL or the JSON webhook URL (n8n) to alert",
        )
    return found


def post_json(
    url: str,
    payload: dict[str, Any],
    *,
    what: str = "the webhook",
    client: httpx.Client | None = None,
    attempts: int = 3,
    backoff: float = 1.0,
) -> None:
    """POST ``payload``; retry on network errors, 5xx and 429; :class:`OperationFailed` when
    refused (the message names ``what``, never the URL)."""
    register(url)
    own = client is None
    http = client or httpx.Client(timeout=10.0)
    delay = backoff
    last = ""
    try:
        for attempt in range(1, attempts + 1):
            try:
                resp = http.post(url, json=payload)
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}"
            else:
                if 200 <= resp.status_code < 300:
                    return
                last = f"HTTP {resp.status_code}"
                if resp.status_code < 500 and resp.status_code != 429:
                    break
            if attempt < attempts:
                time.sleep(delay)
                delay *= 2
    finally:
        if own:
            http.close()
    raise OperationFailed(f"{what} refused the alert: {last}")


@dataclass(frozen=True)
class Delivery:
    target: TargetKind
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def deliver(
    targets: Sequence[Target],
    message: Message,
    *,
    client: httpx.Client | None = None,
    backoff: float = 1.0,
) -> list[Delivery]:
    """Send ``message`` to every target; a refusal is reported per target, never raised."""
    out: list[Delivery] = []
    for target in targets:
        try:
            post_json(target.url, payload_for(target, message), what=target.label,
                      client=client, backoff=backoff)  # fmt: skip
        except OperationFailed as exc:
            out.append(Delivery(target.kind, str(exc)))
        else:
            out.append(Delivery(target.kind))
    return out


def first_error(deliveries: Sequence[Delivery]) -> str | None:
    errors = [d.error for d in deliveries if d.error]
    return "; ".join(errors) if errors else None
