"""The access kinds inside the provisioning runs (``provision/run.py`` calls these).

A repo without access files, planned without ``--prune`` or ``drift``, makes no request for
them. Otherwise a run reads, in parallel, the roles (with their permission ids), the
permission pairs, the ownership groups, the RLS rules and the dashboards' roles (one list
request each, whatever the instance holds), then the descriptions of the RLS rules it needs
and the embedded configuration of the dashboards its files name.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from supersetctl.contract.environment import Environment
from supersetctl.errors import SupersetAPIError
from supersetctl.superset import SupersetClient

from ..layout import AssetFile, load_layout
from ..live import LiveState
from ..model import Change
from ..variables import Variables, interpolate
from .apply import AccessResult, apply_access
from .export import export_access
from .files import AccessFiles, LayoutIndex, check_access, layout_index, load_access
from .live import AccessLive, read_access
from .planner import Ids, plan_access

log = logging.getLogger(__name__)

KINDS = frozenset({"role", "rls", "access"})


@dataclass
class AccessPrepared:
    files: AccessFiles
    index: LayoutIndex
    ids: Ids
    live: AccessLive
    changes: list[Change] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)


def load_files(env: Environment, variables: Variables, assets: list[AssetFile]) -> AccessFiles:
    """Every access file ``env`` does not exclude, ``${VAR}`` resolved, checked against the
    layout (raises before any request)."""
    paths = env.paths

    def resolve(raw: Any, rel: str) -> Any:
        return interpolate(raw, variables, rel)[0]

    files = load_access(
        paths.provisioning,
        paths.root,
        exclude=env.config.provisioning.exclude,
        transform=resolve,
    )
    check_access(files, layout_index(assets))
    return files


def ids_of(index: LayoutIndex, live: LiveState) -> Ids:
    ids = Ids()
    for uuid, key in index.dataset_keys.items():
        asset = live.assets.get(uuid)
        if asset is not None and asset.kind == "dataset":
            ids.datasets[uuid] = asset.id
            ids.dataset_keys[asset.id] = key
    for uuid in index.dashboards.values():
        asset = live.assets.get(uuid)
        if asset is not None and asset.kind == "dashboard":
            ids.dashboards[uuid] = asset.id
    return ids


def _read(
    client: SupersetClient,
    files: AccessFiles,
    index: LayoutIndex,
    *,
    everything: bool,
    layout: bool = False,
) -> AccessLive:
    """``everything``: every rule's description and every dashboard's embedding (export);
    ``layout``: the embedding of every dashboard of the layout (drift)."""
    wanted = {index.dashboards[f.name] for f in files.of("access")}
    if layout:
        wanted |= set(index.dashboards.values())
    return read_access(
        client,
        rule_names={f.name for f in files.of("rls")},
        dashboards=None if everything else wanted,
        all_rules=everything,
        permissions=everything or bool(files.of("role")),
    )


def _read_or_none(
    client: SupersetClient,
    files: AccessFiles,
    index: LayoutIndex,
    *,
    everything: bool,
    layout: bool = False,
) -> AccessLive | None:
    """The live access model; None when the instance has no security API (HTTP 404:
    ``FAB_ADD_SECURITY_API`` off) and no file asks for it (a repo without access files
    prunes, drifts and exports its assets there as before)."""
    try:
        return _read(client, files, index, everything=everything, layout=layout)
    except SupersetAPIError as exc:
        if exc.status != 404 or files.files:
            raise
        log.info("no security API on this instance (%s): access model not read", exc)
        return None


def prepare_access(
    env: Environment,
    client: SupersetClient,
    variables: Variables,
    assets: list[AssetFile],
    live_assets: LiveState,
    *,
    prune: bool = False,
    unmanaged: bool = False,
) -> AccessPrepared | None:
    """Files, live access model and the changes between them (None: nothing to look at)."""
    files = load_files(env, variables, assets)
    if not files.files and not (prune or unmanaged):
        return None
    index = layout_index(assets)
    ids = ids_of(index, live_assets)
    found = _read_or_none(client, files, index, everything=False, layout=unmanaged)
    if found is None:
        return None
    live = found
    changes, unresolved = plan_access(
        files, index, ids, live, owner=env.owner, prune=prune, unmanaged=unmanaged
    )
    return AccessPrepared(files, index, ids, live, changes, unresolved)


def send_access(env: Environment, prepared: AccessPrepared, client: SupersetClient) -> AccessResult:
    """Apply the access changes, after the assets: what the plan could not resolve (a
    dataset or dashboard this apply created) is read again first."""
    if not any(c.action in ("create", "update", "delete") for c in prepared.changes):
        return AccessResult()
    if prepared.unresolved:
        rows = {kind: client.list(kind, ["id", "uuid"]) for kind in ("dataset", "dashboard")}
        for row in rows["dataset"]:
            uuid = str(row.get("uuid") or "").lower()
            if uuid in prepared.index.dataset_keys:
                prepared.ids.datasets[uuid] = int(row["id"])
                prepared.ids.dataset_keys[int(row["id"])] = prepared.index.dataset_keys[uuid]
        wanted = set(prepared.index.dashboards.values())
        for row in rows["dashboard"]:
            uuid = str(row.get("uuid") or "").lower()
            if uuid in wanted:
                prepared.ids.dashboards[uuid] = int(row["id"])
        prepared.live = _read(client, prepared.files, prepared.index, everything=False)
    return apply_access(
        prepared.changes,
        prepared.files,
        prepared.index,
        prepared.ids,
        prepared.live,
        client,
        owner=env.owner,
    )


def export_env_access(
    env: Environment, client: SupersetClient, variables: Variables, live_assets: LiveState
) -> tuple[list[str], list[str], list[str]]:
    """Write the live access model into the layout (after the assets' export): written and
    unchanged paths, warnings."""
    paths = env.paths
    assets = load_layout(paths.provisioning, paths.root)
    files = load_files(env, variables, assets)
    index = layout_index(assets)
    ids = ids_of(index, live_assets)
    live = _read_or_none(client, files, index, everything=True)
    if live is None:
        return [], [], []
    return export_access(paths.root, paths.provisioning, files, index, ids, live, env.owner)
