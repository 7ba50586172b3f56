"""Drift alerts on a change of state only: drifted, the drifted set changed, back in sync.

A scheduled ``drift`` run alerts the first time an environment's live Superset differs from
git, again only when the set of drifted assets changes (another asset edited in the UI, one
put back), and once when it is back in sync: a daily job does not repeat yesterday's news.
The state file (``version`` 1) sits beside health's::

    {"version": 1, "url": "...", "state": "drift", "since": "2026-12-05T06:00:00Z",
     "fingerprint": "sha256 of the drifted (action, kind, uuid)", "count": 2,
     "last_checked": "...", "last_alert": "drift"}

The drift itself comes in as plain items (``action``, ``kind``, ``name``, ``file``, ``uuid``:
:func:`supersetctl.provision.report.drift_items` makes them from a plan), so this module
needs nothing of provisioning. Every text is redacted before it leaves.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import httpx

from supersetctl.fsutil import atomic_write
from supersetctl.ops.notify import Message, Target, deliver, first_error, now_stamp
from supersetctl.redact import redact

log = logging.getLogger(__name__)

DriftState = Literal["clean", "drift"]
DriftAlertKind = Literal["drift", "drift-changed", "drift-cleared"]
_SHOWN = 20  # items listed in the message; details carry them all


@dataclass(frozen=True)
class DriftAlertState:
    url: str
    state: DriftState
    since: str
    fingerprint: str
    count: int
    last_checked: str
    last_alert: str | None = None
    version: int = 1


@dataclass(frozen=True)
class DriftOutcome:
    """What one run did: the state remembered, the alert sent (if any), or why a target
    refused it (the state file is then left as it was: the next run alerts again)."""

    state: DriftAlertState | None
    kind: DriftAlertKind | None = None
    error: str | None = None

    @property
    def sent(self) -> DriftAlertKind | None:
        return self.kind if self.error is None else None


def fingerprint(items: Sequence[Mapping[str, Any]]) -> str:
    keys = sorted(f"{i.get('action')}:{i.get('kind')}:{i.get('uuid')}" for i in items)
    return hashlib.sha256("\n".join(keys).encode()).hexdigest() if keys else ""


def load_drift_state(path: Path) -> DriftAlertState | None:
    """The remembered state, or None (missing or unreadable: a fresh start)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("version") != 1 or raw.get("state") not in ("clean", "drift"):
            raise ValueError("unknown version or state")
        return DriftAlertState(
            url=str(raw["url"]),
            state=raw["state"],
            since=str(raw["since"]),
            fingerprint=str(raw["fingerprint"]),
            count=int(raw["count"]),
            last_checked=str(raw["last_checked"]),
            last_alert=raw.get("last_alert"),
        )
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("ignoring unreadable drift state file %s: %s", path, exc)
        return None


def _line(item: Mapping[str, Any]) -> str:
    where = f" ({item['file']})" if item.get("file") else ""
    return redact(f"• {item.get('action')} {item.get('kind')} {item.get('name')}{where}")


def drift_message(
    kind: DriftAlertKind,
    items: Sequence[Mapping[str, Any]],
    *,
    label: str,
    url: str,
    at: str,
    link: str | None = None,
) -> Message:
    """The alert: a headline, the drifted assets (the first 20 in the text, all in details)."""
    if kind == "drift-cleared":
        title = f"Superset {label} is back in sync with git"
    else:
        again = " (the drifted set changed)" if kind == "drift-changed" else ""
        title = f"Superset {label} drifted from git: {len(items)} change(s){again}"
    lines = [_line(i) for i in items[:_SHOWN]]
    if len(items) > _SHOWN:
        lines.append(f"… {len(items) - _SHOWN} more")
    counts: dict[str, int] = {}
    for i in items:
        counts[str(i.get("action"))] = counts.get(str(i.get("action")), 0) + 1
    return Message(
        event="drift",
        status="ok" if kind == "drift-cleared" else "warning",
        kind=kind,
        environment=label,
        title=redact(f"{title}: {url}"),
        lines=tuple(lines),
        url=url,
        link=link,
        at=at,
        details={"counts": dict(sorted(counts.items())), "changes": [dict(i) for i in items]},
    )


def decide_drift(
    previous: DriftAlertState | None,
    items: Sequence[Mapping[str, Any]],
    *,
    url: str,
    now: dt.datetime,
) -> tuple[DriftAlertState, DriftAlertKind | None]:
    """The next state and the kind of alert to send, if any."""
    stamp = now_stamp(now)
    state: DriftState = "drift" if items else "clean"
    print_ = fingerprint(items)
    unchanged = previous is not None and previous.fingerprint == print_
    if unchanged and previous is not None and previous.state == state:
        return DriftAlertState(url, state, previous.since, print_, len(items), stamp,
                               previous.last_alert), None  # fmt: skip
    kind: DriftAlertKind | None
    if state == "clean":
        kind = "drift-cleared" if previous is not None else None
    else:
        kind = "drift-changed" if previous is not None and previous.state == "drift" else "drift"
    since = previous.since if previous is not None and previous.state == state else stamp
    return DriftAlertState(url, state, since, print_, len(items), stamp,
                           kind or (previous.last_alert if previous else None)), kind  # fmt: skip


def drift_alert_on_change(
    items: Sequence[Mapping[str, Any]],
    *,
    state_file: Path,
    label: str,
    url: str,
    targets: Sequence[Target],
    link: str | None = None,
    client: httpx.Client | None = None,
    now: dt.datetime | None = None,
) -> DriftOutcome:
    """Alert the targets when the drift changed since the state file's; then save the state."""
    moment = now or dt.datetime.now(dt.UTC)
    previous = load_drift_state(state_file)
    new_state, kind = decide_drift(previous, items, url=url, now=moment)
    if kind is not None:
        message = drift_message(kind, items, label=label, url=url, at=now_stamp(moment),
                                link=link)  # fmt: skip
        error = first_error(deliver(targets, message, client=client))
        if error is not None:
            return DriftOutcome(previous, kind, error)
        log.info("sent %s alert for %s", kind, label)
    atomic_write(state_file, json.dumps(asdict(new_state), indent=2, sort_keys=True) + "\n")
    return DriftOutcome(new_state, kind)
