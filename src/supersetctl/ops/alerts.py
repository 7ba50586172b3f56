"""Slack alerts on a change of health state only: down, degraded, recovered.

A small JSON state file remembers the last state, since when it holds and since when there
has been a problem, so that a scheduled job (a GitHub Actions cron keeping the file in its
cache) alerts once when Superset goes down and once when it recovers, with how long it was
down, instead of on every run.

The state file (``version`` 1)::

    {"version": 1, "url": "...", "state": "down", "since": "2026-11-27T01:00:00Z",
     "problem_since": "2026-11-27T01:00:00Z", "last_checked": "...", "last_alert": "down"}

Every text that goes into a payload passes through :func:`supersetctl.redact.redact`; the
webhook URL is registered as a secret when read.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import httpx

from supersetctl.errors import ConfigError, OperationFailed
from supersetctl.fsutil import atomic_write
from supersetctl.ops.health import HealthReport, State
from supersetctl.redact import redact, register

log = logging.getLogger(__name__)

WEBHOOK_ENV = "SLACK_WEBHOOK_URL"
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
    payload: dict[str, Any]


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


_ICON = {
    "down": ":red_circle:",
    "degraded": ":large_orange_circle:",
    "recovered": ":white_check_mark:",
}


def build_payload(
    kind: AlertKind, report: HealthReport, label: str, down_for: int | None
) -> dict[str, Any]:
    """The Slack message (``text`` plus one mrkdwn block); every string is redacted."""
    if kind == "recovered":
        headline = f"{_ICON[kind]} Superset {label} recovered"
        if down_for is not None:
            headline += f" after {format_duration(down_for)} of trouble"
    else:
        headline = f"{_ICON[kind]} Superset {label} is {kind.upper()}"
    lines = [f"{headline}: {report.url}"]
    for check in report.checks:
        if check.status in ("fail", "warn"):
            lines.append(f"• {check.name}: {check.status}: {check.detail}")
    lines.append(f"checked at {report.checked_at}")
    text = redact("\n".join(lines))
    return {
        "text": redact(headline),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    }


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
        payload = build_payload("recovered", report, label, down_for)
        alert = Alert("recovered", current, prev_state, down_for, payload)
        return AlertState(report.url, "up", stamp, None, stamp, "recovered"), alert
    problem_since = previous.problem_since if previous and previous.problem_since else stamp
    kind: AlertKind = "down" if current == "down" else "degraded"
    alert = Alert(kind, current, prev_state, None, build_payload(kind, report, label, None))
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
    """POST ``payload`` to the webhook, retrying on network errors and 5xx/429."""
    register(webhook)
    own = client is None
    http = client or httpx.Client(timeout=10.0)
    delay = backoff
    last = ""
    try:
        for attempt in range(1, attempts + 1):
            try:
                resp = http.post(webhook, json=payload)
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
    raise OperationFailed(f"the Slack webhook refused the alert: {last}")


@dataclass(frozen=True)
class AlertOutcome:
    """What one run did: the state now remembered, the alert sent (if any), or why the webhook
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
    webhook: str,
    client: httpx.Client | None = None,
    now: dt.datetime | None = None,
) -> AlertOutcome:
    """Send a Slack alert if the state changed since the state file's; then save the state.

    A webhook that refuses the alert is reported in the outcome (never raised), and the state
    file is left as it was, so the next run tries again.
    """
    moment = now or dt.datetime.now(dt.UTC)
    previous = load_state(state_file)
    new_state, alert = decide(previous, report, label, moment)
    if alert is not None:
        try:
            send_slack(webhook, alert.payload, client=client)
        except OperationFailed as exc:
            return AlertOutcome(previous, alert, str(exc))
        log.info("sent %s alert for %s", alert.kind, label)
    save_state(state_file, new_state)
    return AlertOutcome(new_state, alert)


def default_state_file(local: Path, label: str) -> Path:
    """``<local>/health/<label>.json``, the label made safe for a file name."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in label)
    return local / "health" / f"{safe}.json"
