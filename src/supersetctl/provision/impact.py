"""The blast radius of a change, from the files alone: the dependency graph of the assets.

A database reaches its datasets, a dataset its charts, a chart the dashboards that place it.
``plan`` prints, under each change to a database, dataset or chart, the charts and dashboards
it reaches (:func:`attach`); ``check --changed-since`` follows the same graph down to pick the
charts to run (:func:`reached`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .model import Desired, Plan
from .normalize import chart_nodes

SHOWN = 5  # names printed per list in the text plan; the rest is counted


@dataclass(frozen=True)
class Reach:
    """The charts (by name) and dashboards (by title) a change reaches, sorted."""

    charts: tuple[str, ...] = ()
    dashboards: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"charts": list(self.charts), "dashboards": list(self.dashboards)}

    def describe(self, shown: int = SHOWN) -> str:
        """``2 charts (A, B), 1 dashboard (X)``; ``nothing`` for an empty reach."""
        parts = [
            _listing(len(names), noun, names, shown)
            for noun, names in (("chart", self.charts), ("dashboard", self.dashboards))
            if names
        ]
        return ", ".join(parts) or "no chart or dashboard"


def _listing(n: int, noun: str, names: tuple[str, ...], shown: int) -> str:
    more = f", +{n - shown} more" if n > shown else ""
    return f"{n} {noun}{'' if n == 1 else 's'} ({', '.join(names[:shown])}{more})"


def charts_of_dashboard(d: Desired) -> set[str]:
    """The uuids of the charts a dashboard file places (lower case)."""
    return {
        str(n["meta"].get("uuid") or "").lower()
        for n in chart_nodes(d.data.get("position"))
        if n["meta"].get("uuid")
    }


def _below(items: dict[str, Desired]) -> dict[str, set[str]]:
    """uuid -> the uuids right below it: a database's datasets, a dataset's charts, a
    dashboard's charts."""
    below: dict[str, set[str]] = defaultdict(set)
    for uid, d in items.items():
        if d.kind == "dataset":
            below[str(d.data.get("database_uuid", "")).lower()].add(uid)
        elif d.kind == "chart":
            below[str(d.data.get("dataset_uuid", "")).lower()].add(uid)
        elif d.kind == "dashboard":
            below[uid] |= charts_of_dashboard(d)
    return below


def reached(desired: Iterable[Desired], start: Iterable[str]) -> set[str]:
    """``start`` (uuids) and every dataset and chart they reach down the graph; a dashboard in
    ``start`` adds the charts it places."""
    items = {d.uuid.lower(): d for d in desired}
    return _walk(items, _below(items), start)


def _walk(items: dict[str, Desired], below: dict[str, set[str]], start: Iterable[str]) -> set[str]:
    seen: set[str] = set()
    todo = [u.lower() for u in start]
    while todo:
        uid = todo.pop()
        if uid in seen:
            continue
        seen.add(uid)
        todo.extend(below.get(uid, ()))
    return {u for u in seen if u in items}


def impact(desired: Iterable[Desired]) -> dict[str, Reach]:
    """uuid (lower case) of every file -> what it reaches. A dashboard reaches itself; a chart
    its dashboards; a dataset or a database the charts below it and their dashboards."""
    items = {d.uuid.lower(): d for d in desired}
    below = _below(items)
    shown_in: dict[str, set[str]] = defaultdict(set)  # chart uuid -> dashboard titles
    for uid, d in items.items():
        if d.kind == "dashboard":
            for chart in below.get(uid, ()):
                shown_in[chart].add(_title(d))
    out: dict[str, Reach] = {}
    for uid, d in items.items():
        if d.kind == "dashboard":
            out[uid] = Reach(dashboards=(_title(d),))
            continue
        charts = [c for c in _walk(items, below, [uid]) if items[c].kind == "chart"]
        names = {str(items[c].data.get("slice_name") or c) for c in charts if c != uid}
        titles = {t for c in charts for t in shown_in[c]}
        out[uid] = Reach(tuple(sorted(names)), tuple(sorted(titles)))
    return out


def touched_dashboards(desired: Iterable[Desired]) -> dict[str, list[str]]:
    """uuid of every file -> the titles of the dashboards it reaches (sorted)."""
    return {uid: list(r.dashboards) for uid, r in impact(desired).items()}


def _title(d: Desired) -> str:
    return str(d.data.get("dashboard_title") or d.uuid)


def attach(plan: Plan, desired: Iterable[Desired]) -> None:
    """Set each change's ``reach`` (databases, datasets and charts that have a file)."""
    reach = impact(desired)
    for change in plan.changes:
        if change.kind in ("database", "dataset", "chart") and change.action != "unchanged":
            change.reach = reach.get(change.uuid.lower())
