"""What a Superset instance holds now: ids, flags and ``changed_on`` from the list endpoints
(fetched in parallel), content from exports (only for the assets that need it). Read requests
only."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from supersetctl.superset import SupersetClient, parse, read_zip

from .layout import KIND_ORDER, NAME_KEY

log = logging.getLogger(__name__)

_LIST_COLUMNS = {
    "database": ["id", "uuid", "database_name", "changed_on"],
    "dataset": ["id", "uuid", "table_name", "changed_on_utc"],
    "chart": ["id", "uuid", "slice_name", "is_managed_externally", "changed_on_utc"],
    "dashboard": ["id", "uuid", "dashboard_title", "is_managed_externally", "changed_on_utc"],
}
# above this share of assets, one whole-instance export is cheaper than per-kind exports
_WHOLE_EXPORT_SHARE = 0.5


@dataclass
class LiveAsset:
    kind: str
    id: int
    uuid: str
    name: str
    managed: bool | None  # None: the list endpoint does not say
    changed_on: str = ""
    data: dict[str, Any] | None = None  # the exported content, when fetched


@dataclass
class LiveState:
    assets: dict[str, LiveAsset] = field(default_factory=dict)  # by uuid

    def chart_uuids(self) -> dict[int, str]:
        return {a.id: a.uuid for a in self.assets.values() if a.kind == "chart"}

    def of_kind(self, kind: str) -> list[LiveAsset]:
        return sorted(
            (a for a in self.assets.values() if a.kind == kind), key=lambda a: (a.name, a.uuid)
        )


def list_live(client: SupersetClient) -> LiveState:
    """Every asset's id, uuid, name, flag and change time (the four lists, in parallel)."""
    state = LiveState()
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(
            pool.map(lambda kind: (kind, client.list(kind, _LIST_COLUMNS[kind])), KIND_ORDER)
        )
    for kind, rows in results:
        for row in rows:
            uuid = str(row.get("uuid") or "").lower()
            if not uuid:
                continue
            managed = row.get("is_managed_externally")
            state.assets[uuid] = LiveAsset(
                kind=kind,
                id=int(row["id"]),
                uuid=uuid,
                name=str(row.get(NAME_KEY[kind]) or uuid),
                managed=bool(managed) if managed is not None else None,
                changed_on=str(row.get("changed_on_utc") or row.get("changed_on") or ""),
            )
    return state


def fingerprint(client: SupersetClient) -> dict[str, list[Any]]:
    """Per kind: how many assets and the newest change time (four small requests)."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        pairs = list(pool.map(lambda kind: (kind, list(client.newest(kind))), KIND_ORDER))
    return dict(pairs)


def from_cache(entries: dict[str, list[Any]]) -> LiveState:
    """The live state the cache vouches for (ids and change times, no content)."""
    state = LiveState()
    for uuid, (changed_on, _key, kind, pk) in entries.items():
        state.assets[uuid] = LiveAsset(str(kind), int(pk), uuid, uuid, None, str(changed_on))
    return state


def fetch_content(client: SupersetClient, state: LiveState, uuids: Iterable[str]) -> None:
    """Fill ``data`` of the named assets from exports (one per kind, or one for everything)."""
    wanted = [state.assets[u] for u in uuids if u in state.assets and state.assets[u].data is None]
    if not wanted:
        return
    if len(wanted) > _WHOLE_EXPORT_SHARE * max(1, len(state.assets)):
        bundles = [client.export_assets()]
    else:
        by_kind: dict[str, list[int]] = {}
        for a in wanted:
            by_kind.setdefault(a.kind, []).append(a.id)
        with ThreadPoolExecutor(max_workers=4) as pool:
            bundles = list(pool.map(lambda kv: client.export(kv[0], kv[1]), by_kind.items()))
    for bundle in bundles:
        for data in parse(read_zip(bundle, "live export")).values():
            uuid = str(data.get("uuid") or "").lower()
            if uuid in state.assets and state.assets[uuid].data is None:
                state.assets[uuid].data = data
    log.debug("fetched content of %d asset(s)", len(wanted))


def read_live(client: SupersetClient) -> LiveState:
    """Everything the instance holds, with content."""
    state = list_live(client)
    fetch_content(client, state, list(state.assets))
    return state


def is_managed(client: SupersetClient, asset: LiveAsset) -> bool:
    """Whether ``asset`` is marked managed externally (one show request when lists don't say)."""
    if asset.managed is not None:
        return asset.managed
    result = client.get(asset.kind, asset.id)
    return bool(result.get("is_managed_externally"))
