"""Health alerts on a change of state only: down, degraded, recovered.

A small JSON state file remembers the last state, since when it holds and since when there
has been a problem, so that a scheduled job (a GitHub Actions cron keeping the file in its
cache) alerts once when Superset goes down and once when it recovers, with how long it was
down, instead of on every run.

The state file (``version`` 1)::

    {"version": 1, "url": "...", "state": "down", "since": "2026-11-27T01:00:00Z",
     "problem_since": "2026-11-27T01:00:00Z", "last_checked": "...", "last_alert": "down"}

The alert goes to the targets of :mod:`supersetctl.ops.notify` (Slack, a JSON webhook, or
both). Every text that goes into a payload passes through :func:`supersetctl.redact.redact`;
the webhook URLs are registered as secrets when read.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import httpx

from supersetctl.errors import ConfigError
from supersetctl.fsutil import atomic_write
from supersetctl.ops.health import HealthReport, State
from supersetctl.ops.notify import (
    SLACK_ENV,
    Message,
    Target,
    deliver,
    first_error,
    post_json,
    slack_payload,
)
from supersetctl.redact import redact, register

log = logging.getLogger(__name__)

WEBHOOK_ENV = SLACK_ENV
AlertKind = Literal["down", "degraded", "recovered"]
_FMT = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True)
class AlertState:
    url: str
    state: State
    since: str
    problem_since: str | None
    last_checked: str
    last_alert: str | None = None
    version: int = 1


@dataclass(frozen=True)
class Alert:
    kind: AlertKind
    state: State
    previous: State | None
    down_for_seconds: int | None
    message: Message

    @property
    def payload(self) -> dict[str, Any]:
        """The Slack message."""
        return slack_payload(self.message)


def _ts(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime(_FMT)


def _parse(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, _FMT).replace(tzinfo=dt.UTC)


def load_state(path: Path) -> AlertState | None:
    """The remembered state, or None when the file is missing or unreadable (a fresh start)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("version") != 1:
            raise ValueError("unknown version")
        return AlertState(
            url=str(raw["url"]),
            state=raw["state"],
            since=str(raw["since"]),
            problem_since=raw.get("problem_since"),
            last_checked=str(raw["last_checked"]),
            last_alert=raw.get("last_alert"),
        )
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("ignoring unreadable alert state file %s: %s", path, exc)
        return None


def save_state(path: Path, state: AlertState) -> None:
    atomic_write(path, json.dumps(asdict(state), indent=2, sort_keys=True) + "\n")


def format_duration(seconds: int) -> str:
    """``3725`` → ``1h 2m 5s``."""
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{days}d"] if days else []
    if hours or days:
        parts.append(f"{hours}h")
    if minutes or hours or days:
        parts.append(f"{minutes}m")
    parts.append(f"{secs}s")
    return " ".join(parts)


_STATUS = {"down": "failed", "degraded": "warning", "recovered": "ok"}


def build_message(
    kind: AlertKind, report: HealthReport, label: str, down_for: int | None
) -> Message:
    """The alert: the headline, each failing or warning check, when it was checked."""
    if kind == "recovered":
        headline = f"Superset {label} recovered"
        if down_for is not None:
            headline += f" after {format_duration(down_for)} of trouble"
    else:
        headline = f"Superset {label} is {kind.upper()}"
    lines = [f"• {c.name}: {c.status}: {c.detail}" for c in report.problems()]
    lines.append(f"checked at {report.checked_at}")
    return Message(
        event="health",
        status=_STATUS[kind],  # type: ignore[arg-type]
        kind=kind,
        environment=label,
        title=redact(f"{headline}: {report.url}"),
        lines=tuple(redact(line) for line in lines),
        url=report.url,
        at=report.checked_at,
        details={
            "state": report.state,
            "down_for_seconds": down_for,
            "checks": [
                {"name": c.name, "status": c.status, "detail": c.detail} for c in report.checks
            ],
        },
    )


def build_payload(
    kind: AlertKind, report: HealthReport, label: str, down_for: int | None
) -> dict[str, Any]:
    """The Slack message (``text`` plus one mrkdwn block); every string is redacted."""
    return slack_payload(build_message(kind, report, label, down_for))


def decide(
    previous: AlertState | None, report: HealthReport, label: str, now: dt.datetime
) -> tuple[AlertState, Alert | None]:
    """The next state and the alert to send, if the state changed."""
    current = report.state
    stamp = _ts(now)
    if previous is not None and previous.state == current:
        return (
            AlertState(
                url=report.url,
                state=current,
                since=previous.since,
                problem_since=previous.problem_since,
                last_checked=stamp,
                last_alert=previous.last_alert,
            ),
            None,
        )
    prev_state = previous.state if previous else None
    if current == "up":
        if previous is None:  # first run, all well: nothing to say
            return AlertState(report.url, "up", stamp, None, stamp, None), None
        started = previous.problem_since or previous.since
        down_for = int((now - _parse(started)).total_seconds())
        message = build_message("recovered", report, label, down_for)
        alert = Alert("recovered", current, prev_state, down_for, message)
        return AlertState(report.url, "up", stamp, None, stamp, "recovered"), alert
    problem_since = previous.problem_since if previous and previous.problem_since else stamp
    kind: AlertKind = "down" if current == "down" else "degraded"
    alert = Alert(kind, current, prev_state, None, build_message(kind, report, label, None))
    return AlertState(report.url, current, stamp, problem_since, stamp, kind), alert


def webhook_from_env(env: Mapping[str, str]) -> str:
    """The Slack webhook URL from the variable ``SLACK_WEBHOOK_URL``, registered as a secret."""
    url = env.get(WEBHOOK_ENV, "").strip()
    if not url:
        raise ConfigError(
            f"{WEBHOOK_ENV} is not set", hint="export the Slack incoming-webhook URL to alert"
        )
    register(url)
    token = url.rstrip("/").rsplit("/", 1)[-1]
    if len(token) >= 12:  # Slack's secret is the last path segment
        register(token)
    return url


def send_slack(
    webhook: str,
    payload: dict[str, Any],
    *,
    client: httpx.Client | None = None,
    attempts: int = 3,
    backoff: float = 1.0,
) -> None:
    """POST ``payload`` to the Slack webhook, retrying on network errors and 5xx/429."""
    post_json(webhook, payload, what="the Slack webhook", client=client, attempts=attempts,
              backoff=backoff)  # fmt: skip


@dataclass(frozen=True)
class AlertOutcome:
    """What one run did: the state now remembered, the alert sent (if any), or why a target
    refused it (then nothing new is remembered, so the next run sends it again)."""

    state: AlertState | None
    alert: Alert | None = None
    error: str | None = None

    @property
    def sent(self) -> AlertKind | None:
        return self.alert.kind if self.alert is not None and self.error is None else None


def alert_on_change(
    report: HealthReport,
    *,
    state_file: Path,
    label: str,
    webhook: str | None = None,
    targets: Sequence[Target] | None = None,
    client: httpx.Client | None = None,
    now: dt.datetime | None = None,
) -> AlertOutcome:
    """Alert the targets (or the Slack ``webhook``) if the state changed since the state
    file's; then save the state.

    A target that refuses the alert is reported in the outcome (never raised), and the state
    file is left as it was, so the next run tries again (every target).
    """
    to = list(targets) if targets is not None else [Target("slack", webhook or "")]
    moment = now or dt.datetime.now(dt.UTC)
    previous = load_state(state_file)
    new_state, alert = decide(previous, report, label, moment)
    if alert is not None:
        error = first_error(deliver(to, alert.message, client=client))
        if error is not None:
            return AlertOutcome(previous, alert, error)
        log.info("sent %s alert for %s", alert.kind, label)
    save_state(state_file, new_state)
    return AlertOutcome(new_state, alert)


def default_state_file(local: Path, label: str) -> Path:
    """``<local>/health/<label>.json``, the label made safe for a file name."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in label)
    return local / "health" / f"{safe}.json"
