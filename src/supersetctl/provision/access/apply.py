"""Send an access plan, after the assets (an RLS rule names datasets, a dashboard's access
its dashboard): roles (created, permissions set in one request each), then RLS rules, then
dashboards' roles and embedded configurations; deletions last, rules before roles. The
ownership group is brought to the roles this repo holds afterwards, in one request."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from supersetctl.errors import SupersetAPIError
from supersetctl.superset import SupersetClient
from supersetctl.superset import security as api

from ..model import Change
from .files import AccessFile, AccessFiles, LayoutIndex
from .live import AccessLive, group_name, with_marker
from .models import BUILTIN_ROLES, DashboardAccessFile, RlsFile, RoleFile
from .planner import Ids, Resolver

log = logging.getLogger(__name__)

_GROUP_DESCRIPTION = (
    "The roles {owner} provisions from git (supersetctl): the record of which roles are its. "
    "Keep this group without users: a user in it would get every one of them."
)


@dataclass
class AccessResult:
    applied: list[str] = field(default_factory=list)  # keys of what was created or updated
    deleted: list[str] = field(default_factory=list)


def _fail(f: AccessFile | None, what: str, exc: SupersetAPIError) -> SupersetAPIError:
    where = f" ({f.rel})" if f else ""
    return SupersetAPIError(
        f"{what}{where} failed: {exc.message}",
        status=exc.status,
        hint="fix the file and re-run; what was applied stays applied",
    )


def apply_access(
    changes: list[Change],
    files: AccessFiles,
    index: LayoutIndex,
    ids: Ids,
    live: AccessLive,
    client: SupersetClient,
    *,
    owner: str,
) -> AccessResult:
    result = AccessResult()
    by_key = {f.key: f for f in files.files}
    pending = [c for c in changes if c.action in ("create", "update")]
    deletes = [c for c in changes if c.action == "delete"]
    if not pending and not deletes:
        return result
    r = Resolver(index, ids, live)
    role_ids = {name: role.id for name, role in live.roles.items()}
    owned = live.owned_role_ids(owner)
    start = set(owned)
    for c in (c for c in pending if c.kind == "role"):
        f = by_key[c.uuid]
        model: RoleFile = f.model
        try:
            pk = role_ids.get(model.name)
            if pk is None:
                pk = role_ids[model.name] = api.create_role(client, model.name)
            perm_ids = live.perm_ids
            wanted = r.role_pairs(model)
            missing = sorted(p for p in wanted if p not in perm_ids)
            if missing:
                raise SupersetAPIError(f"permission(s) {missing} do not exist on this instance")
            api.set_role_permissions(client, pk, [perm_ids[p] for p in wanted])
        except SupersetAPIError as exc:
            raise _fail(f, f"role {model.name!r}", exc) from None
        if model.name not in BUILTIN_ROLES:
            owned.add(pk)
        result.applied.append(c.uuid)
    for c in (c for c in pending if c.kind == "rls"):
        f = by_key[c.uuid]
        rule: RlsFile = f.model
        tables = [r.dataset_id(t) for t in rule.tables]
        rule_roles = sorted(role_ids[n] for n in rule.roles if n in role_ids)
        payload = {
            "name": rule.name,
            "filter_type": rule.filter_type,
            "tables": sorted(t for t in tables if t is not None),
            "roles": rule_roles,
            "group_key": rule.group_key or None,
            "clause": rule.clause,
            "description": with_marker(rule.description, owner, f.rel),
        }
        try:
            if None in tables or len(rule_roles) != len(set(rule.roles)):
                raise SupersetAPIError("a table or role it names is not on the instance")
            if c.id is None:
                api.create_rls(client, payload)
            else:
                api.update_rls(client, c.id, payload)
        except SupersetAPIError as exc:
            raise _fail(f, f"RLS rule {rule.name!r}", exc) from None
        result.applied.append(c.uuid)
    for c in (c for c in pending if c.kind == "access"):
        f = by_key[c.uuid]
        access: DashboardAccessFile = f.model
        pk = ids.dashboards.get(index.dashboards.get(access.dashboard, ""))
        try:
            if pk is None:
                raise SupersetAPIError(f"dashboard {access.dashboard!r} is not on the instance")
            if access.roles is not None:
                missing_roles = [n for n in access.roles if n not in role_ids]
                if missing_roles:
                    raise SupersetAPIError(f"role(s) {missing_roles} are not on the instance")
                api.set_dashboard_roles(client, pk, [role_ids[n] for n in access.roles])
            if access.embedded is False:
                api.delete_embedded(client, pk)
            elif access.embedded is not None:
                api.set_embedded(client, pk, sorted(access.embedded.allowed_domains))
        except SupersetAPIError as exc:
            raise _fail(f, f"access of dashboard {access.dashboard!r}", exc) from None
        result.applied.append(c.uuid)
    for kind in ("rls", "role"):  # rules name roles: rules first
        for c in (c for c in deletes if c.kind == kind):
            pk = c.id
            if pk is None:
                continue
            try:
                if kind == "rls":
                    api.delete_rls(client, pk)
                else:
                    api.delete_role(client, pk)
                    owned.discard(pk)
            except SupersetAPIError as exc:
                raise _fail(None, f"deleting {kind} {c.name!r}", exc) from None
            result.deleted.append(c.uuid)
    if owned != start:
        _sync_group(client, live, owner, owned)
    return result


def _sync_group(client: SupersetClient, live: AccessLive, owner: str, roles: set[int]) -> None:
    group = live.group_of(owner)
    try:
        if group is None:
            name = group_name(owner)
            api.create_group(client, name, _GROUP_DESCRIPTION.format(owner=owner), sorted(roles))
        else:
            api.set_group_roles(client, int(group["id"]), sorted(roles))
    except SupersetAPIError as exc:
        raise SupersetAPIError(
            f"cannot record the roles this repo owns in the group {group_name(owner)!r}: "
            f"{exc.message}",
            status=exc.status,
            hint="the roles were applied; re-run `supersetctl apply` to record them",
        ) from None
