"""A plan as Markdown, for a pull request comment and a CI job summary.

One section per environment: the counts, then each change with the file it comes from, the
dashboards it touches (a dataset reaches the dashboards of its charts) and its field diffs
folded under ``<details>``. Every value goes through :func:`supersetctl.redact.redact`, so a
secret never reaches the comment even when a file or the instance holds one.
"""

from __future__ import annotations

import json
from typing import Any

from supersetctl.markdown import failed_section
from supersetctl.redact import redact

from .model import Change, Plan

MARKER = "<!-- supersetctl-plan:{env} -->"
_ICON = {"create": "+", "update": "~", "delete": "-", "conflict": "!", "foreign": "=",
         "unmanaged": "?"}  # fmt: skip
_MAX_DIFFS = 20  # per change; the rest is counted
_MAX_NAMES = 30  # charts or dashboards named per change; the rest is counted
_MAX_CHANGES = 200  # GitHub refuses a comment over 65,536 characters


def _names(label: str, names: tuple[str, ...]) -> str:
    more = f", and {len(names) - _MAX_NAMES} more" if len(names) > _MAX_NAMES else ""
    return f"  - {label}: " + ", ".join(f"*{n}*" for n in names[:_MAX_NAMES]) + more


def _value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    text = text if len(text) <= 200 else text[:197] + "..."
    return "`" + text.replace("`", "'").replace("\n", " ") + "`"


def _change(c: Change) -> list[str]:
    where = f" (`{c.file}`)" if c.file else (f" (id {c.id})" if c.id is not None else "")
    head = f"- `{_ICON.get(c.action, '?')}` **{c.action}** {c.kind} *{c.name}*{where}"
    lines = [head]
    if c.note:
        lines.append(f"  - {c.note}")
    if c.reach and c.reach.charts and c.kind != "chart":
        lines.append(_names("charts", c.reach.charts))
    if c.reach and c.reach.dashboards:
        lines.append(_names("dashboards", c.reach.dashboards))
    if c.diffs:
        lines += ["  <details><summary>" + f"{len(c.diffs)} field(s)</summary>", ""]
        lines += ["  | field | live | in git |", "  |---|---|---|"]
        for d in c.diffs[:_MAX_DIFFS]:
            lines.append(f"  | `{d.path}` | {_value(d.live)} | {_value(d.desired)} |")
        if len(c.diffs) > _MAX_DIFFS:
            lines.append(f"  | ... | {len(c.diffs) - _MAX_DIFFS} more | |")
        lines += ["", "  </details>"]
    return lines


def plan_markdown(env: str, plan: Plan, url: str = "") -> str:
    """The Markdown section of one environment's plan (starts with its sticky-comment marker);
    each change lists what it reaches as the plan holds it (``Change.reach``)."""
    counts = {a: n for a, n in plan.counts().items() if n}
    summary = ", ".join(f"{n} {a}" for a, n in counts.items()) or "nothing"
    verdict = (
        "conflicts: `apply` would refuse"
        if plan.conflicts
        else ("changes to apply" if plan.pending else "in sync")
    )
    where = f" ({url})" if url else ""
    lines = [MARKER.format(env=env), f"### supersetctl plan: {env}{where}: {verdict}", "",
             f"{summary}.", ""]  # fmt: skip
    shown = [c for c in plan.changes if c.action != "unchanged"]
    for c in shown[:_MAX_CHANGES]:
        lines += _change(c)
    if len(shown) > _MAX_CHANGES:
        lines.append(f"- ... {len(shown) - _MAX_CHANGES} more (run `supersetctl plan --env {env}`)")
    return redact("\n".join(lines).rstrip() + "\n")


def error_markdown(env: str, message: str) -> str:
    """The section of an environment whose plan could not be made."""
    return failed_section(MARKER.format(env=env), f"supersetctl plan: {env}: failed", message)


DRIFT_ACTIONS = ("create", "update", "delete", "conflict", "unmanaged")


def drift_items(plan: Plan) -> list[dict[str, Any]]:
    """What ``drift`` counts as drift, one plain item per asset (for an alert: no diffs, the
    values a field holds are left out), in the plan's order."""
    return [
        {"action": c.action, "kind": c.kind, "name": redact(c.name), "file": c.file, "uuid": c.uuid}
        for c in plan.changes
        if c.action in DRIFT_ACTIONS
    ]


def drift_markdown(env: str, plan: Plan, url: str = "") -> str:
    """A drift report for a job summary: the plan's section under a drift heading."""
    body = plan_markdown(env, plan, url).split("\n", 2)[2]
    where = f" ({url})" if url else ""
    verdict = "drift" if drift_items(plan) else "no drift"
    return redact(f"### supersetctl drift: {env}{where}: {verdict}\n{body}")
