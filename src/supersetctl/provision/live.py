"""What a Superset instance holds now: ids, keys, flags and ``changed_on`` from the list
endpoints (fetched in parallel), content from exports (only for the assets that need it).
Read requests only."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from supersetctl.progress import NO_PROGRESS, Progress
from supersetctl.superset import SupersetClient, kind_of, parse, read_zip

from .identity import Ident, ident
from .layout import KIND_ORDER, NAME_KEY
from .ownership import Marker, read_marker

log = logging.getLogger(__name__)

_LIST_COLUMNS = {
    "database": ["id", "uuid", "database_name", "changed_on"],
    "dataset": [
        "id",
        "uuid",
        "table_name",
        "schema",
        "catalog",
        "database.uuid",
        "changed_on_utc",
    ],
    "chart": ["id", "uuid", "slice_name", "is_managed_externally", "changed_on_utc"],
    "dashboard": [
        "id",
        "uuid",
        "dashboard_title",
        "slug",
        "is_managed_externally",
        "changed_on_utc",
    ],
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
    ident: Ident | None = None
    data: dict[str, Any] | None = None  # the exported content, when fetched

    @property
    def marker(self) -> Marker | None:
        """The owner marker its content carries (None when none, or content not read)."""
        return read_marker(self.kind, self.data) if self.data is not None else None


@dataclass
class LiveState:
    assets: dict[str, LiveAsset] = field(default_factory=dict)  # by uuid

    def chart_uuids(self) -> dict[int, str]:
        return {a.id: a.uuid for a in self.assets.values() if a.kind == "chart"}

    def of_kind(self, kind: str) -> list[LiveAsset]:
        return sorted(
            (a for a in self.assets.values() if a.kind == kind), key=lambda a: (a.name, a.uuid)
        )

    def by_ident(self) -> dict[Ident, LiveAsset]:
        return {a.ident: a for a in self.assets.values() if a.ident is not None}

    def id_of(self, uuid: str) -> int | None:
        asset = self.assets.get(uuid)
        return asset.id if asset is not None else None


def _row_ident(kind: str, row: dict[str, Any]) -> Ident | None:
    if kind == "dataset":
        database = row.get("database") or {}
        row = {**row, "database_uuid": database.get("uuid") if isinstance(database, dict) else None}
    return ident(kind, row)


def list_live(
    client: SupersetClient,
    progress: Progress = NO_PROGRESS,
    *,
    kinds: Iterable[str] = KIND_ORDER,
) -> LiveState:
    """Every asset's id, uuid, name, key, flag and change time (the lists of ``kinds``, in
    parallel)."""
    state = LiveState()
    kinds = tuple(kinds)
    progress.phase("listing assets", len(kinds))

    def one(kind: str) -> tuple[str, list[dict[str, Any]]]:
        rows = client.list(kind, _LIST_COLUMNS[kind])
        progress.advance()
        return kind, rows

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(one, kinds))
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
                ident=_row_ident(kind, row),
            )
    return state


def fetch_content(
    client: SupersetClient,
    state: LiveState,
    uuids: Iterable[str],
    progress: Progress = NO_PROGRESS,
) -> int:
    """Fill ``data`` of the named assets from exports (one whole-instance export when most
    are wanted, else per-kind exports in request-sized batches). Returns how many were read."""
    wanted = [state.assets[u] for u in uuids if u in state.assets and state.assets[u].data is None]
    if not wanted:
        return 0
    progress.phase("reading content", len(wanted))
    if len(wanted) > _WHOLE_EXPORT_SHARE * max(1, len(state.assets)):
        bundles = [client.export_assets()]
    else:
        by_kind: dict[str, list[int]] = {}
        for a in wanted:
            by_kind.setdefault(a.kind, []).append(a.id)
        with ThreadPoolExecutor(max_workers=4) as pool:
            parts = list(pool.map(lambda kv: client.export(kv[0], kv[1]), by_kind.items()))
        bundles = [b for part in parts for b in part]
    wanted_ids = {a.uuid for a in wanted}
    attach(
        state,
        bundles,
        lambda a, data: True,
        lambda a: progress.advance() if a.uuid in wanted_ids else None,
    )
    missing = [a for a in wanted if a.data is None]
    if missing:  # deleted between the listing and the export: treated as gone
        log.info("%d asset(s) were gone by the time they were exported", len(missing))
        for a in missing:
            del state.assets[a.uuid]
    log.debug("fetched content of %d asset(s)", len(wanted))
    return len(wanted)


def attach(
    state: LiveState,
    bundles: Iterable[bytes],
    accept: Callable[[LiveAsset, dict[str, Any]], bool],
    done: Callable[[LiveAsset], object] = lambda a: None,
) -> int:
    """Give listed assets without content the content the ``bundles`` hold for them, where
    ``accept`` agrees. Returns how many got one."""
    n = 0
    for bundle in bundles:
        for data in parse(read_zip(bundle, "live export")).values():
            asset = state.assets.get(str(data.get("uuid") or "").lower())
            if asset is not None and asset.data is None and accept(asset, data):
                asset.data = data
                n += 1
                done(asset)
    return n


def exported_assets(bundles: Iterable[bytes], ids: Mapping[str, int]) -> list[LiveAsset]:
    """Datasets and databases as an export of datasets holds them, with the ids ``ids`` gives
    (uuid -> id; an asset without one is left out). No change time: content is what they
    are compared by."""
    out = []
    for bundle in bundles:
        for path, data in parse(read_zip(bundle, "live export")).items():
            kind = kind_of(path)
            uuid = str(data.get("uuid") or "").lower()
            if kind in ("dataset", "database") and uuid in ids:
                name = str(data.get(NAME_KEY[kind]) or uuid)
                out.append(
                    LiveAsset(kind, ids[uuid], uuid, name, None, "", ident(kind, data), data)
                )
    return out


def read_live(client: SupersetClient, progress: Progress = NO_PROGRESS) -> LiveState:
    """Everything the instance holds, with content."""
    state = list_live(client, progress)
    fetch_content(client, state, list(state.assets), progress)
    return state


def fill_managed(
    client: SupersetClient, assets: Iterable[LiveAsset], progress: Progress = NO_PROGRESS
) -> None:
    """Set ``managed`` where the list endpoints did not say (datasets, databases): one show
    request each, in parallel."""
    todo = [a for a in assets if a.managed is None]
    if not todo:
        return
    progress.phase("reading flags", len(todo))

    def one(asset: LiveAsset) -> None:
        result = client.get(asset.kind, asset.id)
        asset.managed = bool(result.get("is_managed_externally"))
        progress.advance()

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(one, todo))
