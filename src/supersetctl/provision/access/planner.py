"""The access plan: files against the live access model (pure: no requests).

Each change is a :class:`~supersetctl.provision.model.Change` of kind ``role``, ``rls`` or
``access`` (a dashboard's access), keyed ``<kind>:<name>`` in place of a uuid, so that
``plan``, ``apply``, ``drift`` and their JSON and Markdown show them beside the assets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..model import Action, Change
from ..normalize import FieldDiff
from .files import AccessFile, AccessFiles, LayoutIndex
from .live import AccessLive, LiveRule, group_name
from .models import BUILTIN_ROLES, DashboardAccessFile, DatasetRef, RlsFile, RoleFile


def dataset_view(key: tuple[str, str, str], pk: int) -> str:
    """The view menu of ``datasource_access`` on a dataset (Superset's ``SqlaTable.perm``)."""
    return f"[{key[0]}].[{key[2]}](id:{pk})"


@dataclass
class Ids:
    """Live ids of the layout's datasets and dashboards (by uuid), and the reverse for
    datasets (id -> (database name, schema, table))."""

    datasets: dict[str, int] = field(default_factory=dict)
    dashboards: dict[str, int] = field(default_factory=dict)
    dataset_keys: dict[int, tuple[str, str, str]] = field(default_factory=dict)


@dataclass
class Resolver:
    index: LayoutIndex
    ids: Ids
    live: AccessLive
    unresolved: list[str] = field(default_factory=list)

    def dataset_id(self, ref: DatasetRef) -> int | None:
        uuid = self.index.datasets.get(ref.key())
        pk = self.ids.datasets.get(uuid or "")
        if pk is None:
            self.unresolved.append(f"dataset {ref.label()}")
        return pk

    def role_pairs(self, model: RoleFile) -> set[tuple[str, str]]:
        pairs = {(p, v) for p, v in model.permissions}
        for ref in model.datasets:
            pk = self.dataset_id(ref)
            if pk is not None:
                pairs.add(("datasource_access", dataset_view(ref.key(), pk)))
        return pairs

    def table_label(self, pk: int) -> str:
        key = self.ids.dataset_keys.get(pk)
        if key is None:
            return f"dataset #{pk}"
        return f"{key[0]}/{key[1]}.{key[2]}" if key[1] else f"{key[0]}/{key[2]}"


def _sorted(items: Any) -> list[Any]:
    return sorted(items, key=lambda x: [str(p) for p in x] if isinstance(x, tuple) else str(x))


def _pairs(pairs: set[tuple[str, str]]) -> list[list[str]]:
    return [list(p) for p in _sorted(pairs)]


def _role_change(f: AccessFile, r: Resolver, owner: str) -> Change:
    model: RoleFile = f.model
    before = len(r.unresolved)
    want = r.role_pairs(model)
    pending = len(r.unresolved) > before  # a dataset this apply creates
    live = r.live.roles.get(model.name)
    if live is None:
        return Change("create", "role", f.key, model.name, f.rel)
    have = {r.live.perms[i] for i in live.permission_ids if i in r.live.perms}
    change = Change("unchanged", "role", f.key, model.name, f.rel, live.id)
    unknown = sorted(p for p in want - have if p not in r.live.perm_ids)
    if unknown and not pending:
        change.action = "conflict"
        change.note = f"permission(s) {_pairs(set(unknown))} do not exist on this instance"
        return change
    if model.name not in BUILTIN_ROLES:
        holder = r.live.role_owner(live)
        if holder is not None and holder != owner:
            change.action, change.note = "conflict", f"role {model.name!r} is {holder}'s"
            return change
        if holder is None:
            change.diffs.append(FieldDiff("(owner)", None, owner))
    if want != have:
        change.diffs.append(FieldDiff("permissions", _pairs(have - want), _pairs(want - have)))
    if change.diffs or pending:
        change.action = "update"
    return change


def rule_fields(model: RlsFile, r: Resolver) -> dict[str, Any]:
    return {
        "filter_type": model.filter_type,
        "tables": sorted(
            r.table_label(pk) if (pk := r.dataset_id(t)) is not None else t.label()
            for t in model.tables
        ),
        "roles": sorted(model.roles),
        "group_key": model.group_key or None,
        "clause": model.clause,
        "description": (model.description or "").strip() or None,
    }


def live_rule_fields(rule: LiveRule, r: Resolver) -> dict[str, Any]:
    names = r.live.role_names
    return {
        "filter_type": rule.filter_type,
        "tables": sorted(r.table_label(pk) for pk in rule.tables),
        "roles": sorted(names.get(pk, f"role #{pk}") for pk in rule.roles),
        "group_key": rule.group_key or None,
        "clause": rule.clause,
        "description": (rule.description or "").strip() or None,
    }


def _rule_change(f: AccessFile, r: Resolver, owner: str) -> Change:
    model: RlsFile = f.model
    live = r.live.rules.get(model.name)
    want = rule_fields(model, r)
    if live is None:
        return Change("create", "rls", f.key, model.name, f.rel)
    change = Change("unchanged", "rls", f.key, model.name, f.rel, live.id)
    if live.owner is not None and live.owner != owner:
        change.action, change.note = "conflict", f"RLS rule {model.name!r} is {live.owner}'s"
        return change
    if live.owner is None:
        change.diffs.append(FieldDiff("(owner)", None, owner))
    elif live.file != f.rel:
        change.diffs.append(FieldDiff("(file)", live.file, f.rel))
    have = live_rule_fields(live, r)
    change.diffs.extend(FieldDiff(k, have[k], v) for k, v in want.items() if have[k] != v)
    if change.diffs:
        change.action = "update"
    return change


def _access_change(f: AccessFile, r: Resolver) -> Change:
    model: DashboardAccessFile = f.model
    uuid = r.index.dashboards.get(model.dashboard, "")
    live = r.live.dashboards.get(uuid)
    change = Change("unchanged", "access", f.key, model.dashboard, f.rel)
    if live is None:
        change.action = "create"
        r.unresolved.append(f"dashboard {model.dashboard}")
        return change
    change.id = live.id
    if model.roles is not None:
        names = r.live.role_names
        have = sorted(names.get(pk, f"role #{pk}") for pk in live.roles)
        if have != sorted(model.roles):
            change.diffs.append(FieldDiff("roles", have, sorted(model.roles)))
    if model.embedded is not None:
        want = sorted(model.embedded.allowed_domains) if model.embedded else None
        got = live.embedded
        have_domains = sorted(got.get("allowed_domains") or []) if got else None
        if want != have_domains:
            change.diffs.append(FieldDiff("embedded.allowed_domains", have_domains, want))
    if change.diffs:
        change.action = "update"
    return change


def plan_access(
    files: AccessFiles,
    index: LayoutIndex,
    ids: Ids,
    live: AccessLive,
    *,
    owner: str,
    prune: bool = False,
    unmanaged: bool = False,
) -> tuple[list[Change], list[str]]:
    """The changes, roles then rules then dashboards (each by name), and what could not be
    resolved to a live id yet (created by this apply: ``apply`` resolves it after the
    assets are imported)."""
    r = Resolver(index, ids, live)
    out: list[Change] = []
    group = live.group_of(owner)
    if group is not None and group.get("users"):
        note = (
            f"the group {group_name(owner)!r} that records this repo's roles has "
            f"{len(group['users'])} user(s): each gets every one of its roles; remove them "
            "from the group in Superset (give users the roles directly)"
        )
        out.append(Change("conflict", "role", "role:(ownership group)", group_name(owner),
                          None, int(group["id"]), note=note))  # fmt: skip
    out.extend(_role_change(f, r, owner) for f in files.of("role"))
    declared = {f.name for f in files.of("role")}
    owned = live.owned_role_ids(owner)
    for role in sorted(live.roles.values(), key=lambda x: x.name):
        if role.name in declared or role.name in BUILTIN_ROLES:
            continue
        extra = _extra("role", role.name, role.id, role.id in owned, live.role_owner(role))
        if (c := _extra_change(extra, prune, unmanaged)) is not None:
            out.append(c)
    out.extend(_rule_change(f, r, owner) for f in files.of("rls"))
    names = {f.name for f in files.of("rls")}
    for rule in sorted(live.rules.values(), key=lambda x: x.name):
        if rule.name in names:
            continue
        extra = _extra("rls", rule.name, rule.id, rule.owner == owner, rule.owner)
        if (c := _extra_change(extra, prune, unmanaged)) is not None:
            out.append(c)
    out.extend(_access_change(f, r) for f in files.of("access"))
    if unmanaged:  # a dashboard of this layout whose access was set in Superset, not in git
        declared = {f.name for f in files.of("access")}
        for slug, uuid in sorted(index.dashboards.items()):
            dash = live.dashboards.get(uuid)
            if slug in declared or dash is None or not (dash.roles or dash.embedded):
                continue
            note = "access roles or embedding set in Superset; no file under dashboard_access/"
            out.append(Change("unmanaged", "access", f"access:{slug}", slug, None, dash.id,
                              note=note))  # fmt: skip
    return out, sorted(set(r.unresolved))


def _extra(kind: str, name: str, pk: int, mine: bool, holder: str | None) -> Mapping[str, Any]:
    return {"kind": kind, "name": name, "id": pk, "mine": mine, "holder": holder}


def _extra_change(x: Mapping[str, Any], prune: bool, unmanaged: bool) -> Change | None:
    """A live role or rule no file declares: this repo's -> delete (with prune, or in a
    drift); another owner's -> owned elsewhere; made by hand -> unmanaged (drift only)."""
    key = f"{x['kind']}:{x['name']}"
    if x["mine"]:
        if prune:
            return Change("delete", x["kind"], key, x["name"], None, x["id"])
        return None
    if not unmanaged:
        return None
    action: Action = "foreign" if x["holder"] else "unmanaged"
    note = f"owned by {x['holder']}" if x["holder"] else None
    return Change(action, x["kind"], key, x["name"], None, x["id"], note=note)


__all__ = ["Ids", "Resolver", "dataset_view", "plan_access", "rule_fields"]
