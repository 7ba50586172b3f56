"""What an instance holds of the access model, and who owns it. Read requests only.

Ownership (Superset keeps no owner on a role or a rule):

- a **role** is this repo's when it is a role of the group ``supersetctl:<owner>``, a FAB
  group (``/api/v1/security/groups/``) that ``apply`` keeps with exactly the roles it made or
  took over, and never with users (a user in it would get them all: ``plan`` reports it). The
  group holds the roles by id, so the record survives a rename in the UI, a restart, another
  checkout; another repo's group names the roles that are its. Built-in roles are never in it.
- an **RLS rule** is this repo's when its ``description`` ends with the line
  ``managed by supersetctl: <owner> (<file>)`` (the list endpoint can filter on it; only the
  show endpoint gives the description back, so the rules of a file or of a marker are shown).
- a **dashboard's access** is managed for the dashboards that have a file under
  ``dashboard_access/`` (the dashboard itself is this repo's by its own marker).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from supersetctl.superset import SupersetClient
from supersetctl.superset import security as api

GROUP_PREFIX = "supersetctl:"
MARK = "managed by supersetctl: "


def group_name(owner: str) -> str:
    return f"{GROUP_PREFIX}{owner}"[:100]


def rule_marker(owner: str, file: str) -> str:
    return f"{MARK}{owner} ({file})"


def split_description(text: str | None) -> tuple[str | None, str | None, str | None]:
    """(the description without the marker, owner, file) of a rule's description."""
    if not text:
        return text, None, None
    lines = text.rstrip("\n").split("\n")
    last = lines[-1]
    if not last.startswith(MARK):
        return text, None, None
    rest = last[len(MARK) :]
    owner, _, file = rest.partition(" (")
    body = "\n".join(lines[:-1]).rstrip("\n")
    return (body or None), owner, file.rstrip(")")


def with_marker(body: str | None, owner: str, file: str) -> str:
    mark = rule_marker(owner, file)
    return f"{body.rstrip()}\n\n{mark}" if body and body.strip() else mark


@dataclass
class LiveRole:
    id: int
    name: str
    permission_ids: frozenset[int]
    users: int = 0


@dataclass
class LiveRule:
    id: int
    name: str
    filter_type: str
    tables: frozenset[int]
    roles: frozenset[int]
    clause: str
    group_key: str | None
    description: str | None = None  # without the marker
    owner: str | None = None
    file: str | None = None
    shown: bool = False  # description read


@dataclass
class LiveDashboard:
    id: int
    uuid: str
    slug: str
    title: str
    roles: frozenset[int]
    embedded: dict[str, Any] | None = None
    embedded_read: bool = False


@dataclass
class AccessLive:
    roles: dict[str, LiveRole] = field(default_factory=dict)  # by name
    perms: dict[int, tuple[str, str]] = field(default_factory=dict)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)  # supersetctl groups
    rules: dict[str, LiveRule] = field(default_factory=dict)  # by name
    dashboards: dict[str, LiveDashboard] = field(default_factory=dict)  # by uuid

    @property
    def perm_ids(self) -> dict[tuple[str, str], int]:
        return {v: k for k, v in self.perms.items()}

    @property
    def role_names(self) -> dict[int, str]:
        return {r.id: r.name for r in self.roles.values()}

    def group_of(self, owner: str) -> dict[str, Any] | None:
        return self.groups.get(group_name(owner))

    def owned_role_ids(self, owner: str) -> set[int]:
        group = self.group_of(owner)
        return {int(r["id"]) for r in (group or {}).get("roles", [])}

    def role_owner(self, role: LiveRole) -> str | None:
        for name, group in self.groups.items():
            if any(int(r["id"]) == role.id for r in group.get("roles", [])):
                return name[len(GROUP_PREFIX) :]
        return None


def read_access(
    client: SupersetClient,
    *,
    rule_names: set[str],
    dashboards: set[str] | None,
    all_rules: bool = False,
    permissions: bool = True,
) -> AccessLive:
    """Roles (with permission ids), permission pairs, supersetctl groups, RLS rules and the
    dashboards' roles: one list request each, in parallel. Then the descriptions of the rules
    named in ``rule_names`` or carrying a marker (all rules with ``all_rules``), and the
    embedded configuration of the dashboards ``dashboards`` names (uuids; None: every one).
    ``permissions=False`` skips the permission pairs (no role file to compare)."""
    live = AccessLive()
    marked = [{"col": "description", "opr": "ct", "value": MARK}]
    groups = {
        "columns": ["id", "name", "description", "roles.id", "roles.name", "users.id"],
        "filters": [{"col": "name", "opr": "sw", "value": GROUP_PREFIX}],
    }
    with ThreadPoolExecutor(max_workers=3) as pool:
        f_roles = pool.submit(api.list_roles, client)
        f_perms = pool.submit(api.list_permission_views, client) if permissions else None
        f_groups = pool.submit(api.pages, client, "api/v1/security/groups/", groups)
        f_rules = pool.submit(api.list_rls, client)
        f_marked = pool.submit(api.list_rls, client, marked)
        need_dashboards = dashboards is None or bool(dashboards)
        f_dash = pool.submit(api.list_dashboard_roles, client) if need_dashboards else None
        for row in f_roles.result():
            live.roles[str(row["name"])] = LiveRole(
                int(row["id"]),
                str(row["name"]),
                frozenset(int(i) for i in row.get("permission_ids") or []),
                len(row.get("user_ids") or []),
            )
        live.perms = f_perms.result() if f_perms is not None else {}
        live.groups = {str(g["name"]): g for g in f_groups.result()}
        marked_ids = {int(r["id"]) for r in f_marked.result()}
        for row in f_rules.result():
            rule = LiveRule(
                int(row["id"]),
                str(row["name"]),
                str(row.get("filter_type") or "Regular"),
                frozenset(int(t["id"]) for t in row.get("tables") or []),
                frozenset(int(r["id"]) for r in row.get("roles") or []),
                str(row.get("clause") or ""),
                row.get("group_key") or None,
            )
            live.rules[rule.name] = rule
        for row in f_dash.result() if f_dash is not None else []:
            d = LiveDashboard(
                int(row["id"]),
                str(row.get("uuid") or "").lower(),
                str(row.get("slug") or ""),
                str(row.get("dashboard_title") or ""),
                frozenset(int(r["id"]) for r in row.get("roles") or []),
            )
            live.dashboards[d.uuid] = d
        show = [
            r
            for r in live.rules.values()
            if all_rules or r.name in rule_names or r.id in marked_ids
        ]
        for rule, detail in zip(
            show, pool.map(lambda r: api.get_rls(client, r.id), show), strict=True
        ):
            rule.description, rule.owner, rule.file = split_description(detail.get("description"))
            rule.shown = True
        embed = [d for d in live.dashboards.values() if dashboards is None or d.uuid in dashboards]
        for d, got in zip(
            embed, pool.map(lambda d: api.get_embedded(client, d.id), embed), strict=True
        ):
            d.embedded, d.embedded_read = got, True
    return live
