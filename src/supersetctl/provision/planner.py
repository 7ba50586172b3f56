"""The plan: files against the live instance, asset by asset. Pure: no request is made here
(:mod:`.run` reads what the plan needs first).

For each file's asset:

- **create** when the instance has no asset with its uuid;
- **conflict** when the asset with its uuid carries another repo's owner marker, or when a
  *different* live asset holds its slug, dataset identity or database name (Superset would
  re-key or refuse it): never sent, and ``apply`` refuses the whole plan;
- **update** when the live content differs (field by field), when it is not marked as managed
  by this repo yet (an asset made in the UI, or managed with no owner), when its marker names
  another file of this repo (the file was renamed), or when something it refers to is created
  in the same plan (a chart of a re-created dataset, a dashboard of a re-created chart: the
  importer links them by id, so they are sent again);
- **unchanged** otherwise.

Live assets without a file are listed with ``prune`` (deleted when this repo owns them,
**foreign** when another repo or tool manages them) and with ``unmanaged`` (drift: made by
hand).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .cache import VerifiedCache, content_key
from .identity import describe_ident, references
from .layout import KIND_ORDER
from .live import LiveAsset, LiveState
from .model import Action, Change, Desired, Plan
from .normalize import FieldDiff, chart_nodes, comparable, diff
from .ownership import MARKER_FIELD, without_marker


def desired_key(d: Desired, live: LiveState) -> str:
    """What the cache keeps of a file's asset: a hash of its resolved content and of the live
    ids of what it refers to (a re-created dataset or chart has a new id), so any change to
    either misses the cache."""
    deps = [(field, live.id_of(ref)) for field, _kind, ref in references(d.kind, d.data)]
    return content_key([d.data, deps])


def content_needed(
    desired: Iterable[Desired],
    live: LiveState,
    keys: dict[str, str],
    cache: VerifiedCache | None,
    *,
    extras: bool = False,
) -> list[str]:
    """The uuids whose content must be read: every file's live asset the cache cannot vouch
    for (all of them without a cache), and with ``extras`` every live asset without a file."""
    wanted = set()
    out = []
    for d in desired:
        wanted.add(d.uuid)
        current = live.assets.get(d.uuid)
        if current is None or current.data is not None:
            continue
        if cache is None or not cache.hit(d.uuid, d.kind, current.changed_on, keys[d.uuid]):
            out.append(d.uuid)
    if extras:
        out.extend(u for u, a in live.assets.items() if u not in wanted and a.data is None)
    return out


def _who(asset: LiveAsset) -> str:
    mark = asset.marker
    if mark is not None:
        return f"managed by {mark.owner} ({mark.file})" if mark.file else f"managed by {mark.owner}"
    if asset.managed:
        return "managed by another tool"
    if asset.managed is False:
        return "made in Superset"
    return "not managed by this repo"


def _dangling(data: dict[str, Any], live: LiveState) -> list[FieldDiff]:
    """Charts a live dashboard lists under an id that is no longer theirs (the chart was
    deleted and made again): the dashboard must be sent again to point at the new id."""
    out = []
    for node in chart_nodes(data.get("position")):
        uuid, cid = node["meta"].get("uuid"), node["meta"].get("chartId")
        if not isinstance(uuid, str) or cid is None:
            continue
        now = live.id_of(uuid.lower())
        if now is not None and str(now) != str(cid):
            out.append(FieldDiff(f"position.{node.get('id', '?')}.meta.chartId", cid, now))
    return out


def _compare(
    d: Desired, current: LiveAsset, live: LiveState, owner: str, chart_uuids: dict[int, str]
) -> list[FieldDiff]:
    assert current.data is not None
    mine = without_marker(d.kind, d.data)
    theirs = without_marker(d.kind, current.data)
    diffs = diff(comparable(d.kind, mine, chart_uuids), comparable(d.kind, theirs, chart_uuids))
    if d.kind == "dashboard":
        diffs += _dangling(current.data, live)
    if current.managed is False:
        diffs.append(FieldDiff("is_managed_externally", False, True))
    if d.kind in MARKER_FIELD:
        mark = current.marker
        if mark is None:
            diffs.append(FieldDiff("(owner)", None, owner))
        elif mark.file != d.asset.rel:
            diffs.append(FieldDiff("(file)", mark.file, d.asset.rel))
    return diffs


def make_plan(
    desired: list[Desired],
    live: LiveState,
    *,
    owner: str,
    prune: bool = False,
    unmanaged: bool = False,
    force: bool = False,
    owns_database: Callable[[LiveAsset], bool] = lambda a: False,
) -> Plan:
    """Compare files and live state (content already read where the cache could not vouch:
    an asset without content counts as verified unchanged).

    ``force``: every existing asset counts as changed, so apply sends everything, database
    passwords included. ``prune`` lists this repo's managed assets that have no file as
    ``delete`` and other managed ones as ``foreign``; ``unmanaged`` lists the rest too."""
    changes: list[Change] = []
    by_ident = live.by_ident()
    chart_uuids = live.chart_uuids()
    created: set[str] = set()
    for d in desired:
        current = live.assets.get(d.uuid)
        key = d.ident
        holder = by_ident.get(key) if key is not None else None
        if holder is not None and holder.uuid != d.uuid:
            assert key is not None
            changes.append(
                Change(
                    "conflict",
                    d.kind,
                    d.uuid,
                    d.asset.name,
                    d.asset.rel,
                    holder.id,
                    note=f"{describe_ident(key)} is held by live {holder.kind} {holder.name!r} "
                    f"(uuid {holder.uuid}, id {holder.id}, {_who(holder)}): rename one, or "
                    "delete the live one in Superset",
                )
            )
            continue
        if current is None or current.kind != d.kind:
            if current is not None:  # one uuid, two kinds: Superset cannot hold both
                changes.append(
                    Change(
                        "conflict",
                        d.kind,
                        d.uuid,
                        d.asset.name,
                        d.asset.rel,
                        current.id,
                        note=f"uuid {d.uuid} is live {current.kind} {current.name!r}",
                    )
                )
                continue
            created.add(d.uuid)
            changes.append(Change("create", d.kind, d.uuid, d.asset.name, d.asset.rel))
            continue
        mark = current.marker
        if mark is not None and mark.owner != owner:
            changes.append(
                Change(
                    "conflict",
                    d.kind,
                    d.uuid,
                    d.asset.name,
                    d.asset.rel,
                    current.id,
                    note=f"the live {d.kind} with this uuid is {_who(current)}, not by "
                    f"{owner}: never overwritten",
                )
            )
            continue
        diffs = _compare(d, current, live, owner, chart_uuids) if current.data is not None else []
        if force and not diffs:
            diffs.append(FieldDiff("(forced)", None, "sent again"))
        action: Action = "update" if diffs else "unchanged"
        changes.append(Change(action, d.kind, d.uuid, d.asset.name, d.asset.rel, current.id, diffs))
    _cascade(changes, {d.uuid: d for d in desired}, created)
    if prune or unmanaged:
        changes.extend(_extras(desired, live, owner, prune, unmanaged, owns_database))
    return Plan(changes)


def _cascade(changes: list[Change], by_uuid: dict[str, Desired], created: set[str]) -> None:
    """Assets that refer to something created in this plan are sent again with it: the
    importer links a chart to its dataset and a dashboard to its charts by the new ids."""
    for change in changes:
        if change.action != "unchanged":
            continue
        d = by_uuid[change.uuid]
        made = sorted({ref for _f, _k, ref in references(d.kind, d.data) if ref in created})
        if made:
            change.action = "update"
            change.note = (
                f"refers to {', '.join(made)}, created in this plan: sent again to link it"
            )


def _extras(
    desired: list[Desired],
    live: LiveState,
    owner: str,
    prune: bool,
    unmanaged: bool,
    owns_database: Callable[[LiveAsset], bool],
) -> list[Change]:
    wanted = {d.uuid for d in desired}
    extras = [a for a in live.assets.values() if a.uuid not in wanted]
    out = []
    deleted: set[str] = set()
    for a in sorted(extras, key=lambda a: (-KIND_ORDER.index(a.kind), a.name, a.uuid)):
        mark = a.marker
        note = _who(a)
        if a.kind == "database":  # datasets come first: the ones deleted are known here
            users = [d for d in live.of_kind("dataset") if database_of(d) == a.uuid]
            kept = [d for d in users if d.uuid not in deleted]
            ours = bool(a.managed) and owns_database(a) and not kept
            if kept and a.managed and owns_database(a):
                note = f"its connection is this environment's, but {len(kept)} dataset(s) "
                note += "this repo does not own use it"
        else:
            ours = mark is not None and mark.owner == owner
        if ours and prune:
            deleted.add(a.uuid)
            out.append(Change("delete", a.kind, a.uuid, a.name, mark.file if mark else None, a.id))
        elif ours:
            continue  # this repo's, without a file: only prune acts on it
        elif mark is not None or a.managed:
            out.append(Change("foreign", a.kind, a.uuid, a.name, None, a.id, note=note))
        elif unmanaged:
            out.append(Change("unmanaged", a.kind, a.uuid, a.name, None, a.id))
    return out


def database_of(dataset: LiveAsset) -> str | None:
    """The uuid of a live dataset's database (from its listing, or its content)."""
    if dataset.ident is not None and dataset.ident[1]:
        return dataset.ident[1]
    ref = (dataset.data or {}).get("database_uuid")
    return str(ref).lower() if ref else None
