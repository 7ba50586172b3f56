"""The Superset role the scheduled jobs log in with: everything ``health``, ``drift``,
``plan`` and the backup's asset export need, and nothing that writes an asset.

:data:`READER_PERMISSIONS` is the role, as Superset 6.1 names its permissions (``permission``
on ``view menu``); docs/operations.md shows it as a table (a test keeps the two equal).
:func:`ensure_reader` makes it real on an instance through Superset's security API
(``/api/v1/security/roles/``, ``permissions-resources/``, ``users/``; on unless
``FAB_ADD_SECURITY_API = False``), logged in as the admin: the role with exactly these
permissions, and a user holding that role and no other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from supersetctl.errors import OperationFailed, UsageError
from supersetctl.superset import SupersetClient
from supersetctl.superset.security import pages

READER_ROLE = "supersetctl_reader"
READER_USER = "supersetctl-reader"
READER_VARIABLES = ("SUPERSET_READER_USERNAME", "SUPERSET_READER_PASSWORD")  # the workflows'

# (permission, view menu, who needs it)
READER_PERMISSIONS: tuple[tuple[str, str, str], ...] = (
    ("can_read", "Dashboard", "drift, plan: list the dashboards"),
    ("can_read", "Chart", "drift, plan: list the charts"),
    ("can_read", "Dataset", "drift, plan: list the datasets"),
    ("can_read", "Database", "drift, plan, health: list the databases"),
    ("can_export", "Dashboard", "drift, plan: read a dashboard's content (its export)"),
    ("can_export", "Chart", "drift, plan: read a chart's content"),
    ("can_export", "Dataset", "drift, plan: read a dataset's content"),
    ("can_export", "Database", "drift, plan: read a database's content (password masked)"),
    ("can_export", "ImportExportRestApi", "backup: the whole instance's asset export"),
    ("all_datasource_access", "all_datasource_access", "drift, plan: see every dataset and chart"),
    ("all_database_access", "all_database_access", "health: query each database"),
    ("can_execute_sql_query", "SQLLab", "health: SELECT 1 on each database"),
    ("can_read", "SecurityRestApi", "health: the CSRF token SQL Lab's POST needs"),
    ("can_list_roles", "RoleRestAPI", "drift, plan: the roles and their permissions"),
    ("can_get", "PermissionViewMenu", "drift, plan: the names of the permissions roles hold"),
    ("can_get", "Group", "drift, plan: the ownership group that says which roles are this repo's"),
    ("can_read", "Row Level Security", "drift, plan: the RLS rules"),
)


def reader_table() -> str:
    """:data:`READER_PERMISSIONS` as the Markdown table of docs/operations.md."""
    rows = ["| permission | on | needed by |", "|---|---|---|"]
    rows += [f"| `{p}` | `{v}` | {why} |" for p, v, why in READER_PERMISSIONS]
    return "\n".join(rows) + "\n"


@dataclass(frozen=True)
class ReaderResult:
    role: str
    role_created: bool
    permissions: int
    username: str
    user_created: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "role_created": self.role_created,
            "permissions": self.permissions,
            "username": self.username,
            "user_created": self.user_created,
        }


def _rows(client: SupersetClient, path: str, filters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every row of a security API list, in id order (see ``security.pages``)."""
    return pages(client, f"api/v1/security/{path}/", {"filters": filters})


def _permission_ids(client: SupersetClient) -> list[int]:
    by_name = {
        (str(r["permission"]["name"]), str(r["view_menu"]["name"])): int(r["id"])
        for r in _rows(client, "permissions-resources", [])
    }
    wanted = [(p, v) for p, v, _why in READER_PERMISSIONS]
    missing = [f"{p} on {v}" for p, v in wanted if (p, v) not in by_name]
    if missing:
        raise OperationFailed(
            "this Superset has no " + ", ".join(missing),
            hint="run `superset init` on it (it creates the permissions), or another version",
        )
    return [by_name[key] for key in wanted]


def _role_id(client: SupersetClient, role: str) -> tuple[int, bool]:
    found = _rows(client, "roles", [{"col": "name", "opr": "eq", "value": role}])
    if found:
        return int(found[0]["id"]), False
    made = client.request("POST", "api/v1/security/roles/", json={"name": role}).json()
    return int(made["id"]), True


def ensure_reader(
    client: SupersetClient,
    *,
    username: str,
    password: str | None,
    role: str = READER_ROLE,
) -> ReaderResult:
    """The reader role with exactly :data:`READER_PERMISSIONS` (created or set), and
    ``username`` holding it: created with ``password`` when missing; left alone (its
    password too) when it holds that role only; refused when it holds any other role (the
    name may be the admin's)."""
    ids = _permission_ids(client)
    role_id, role_created = _role_id(client, role)
    grant = {"permission_view_menu_ids": ids}
    client.request("POST", f"api/v1/security/roles/{role_id}/permissions", json=grant)
    users = _rows(client, "users", [{"col": "username", "opr": "eq", "value": username}])
    if not users:
        if not password:
            raise UsageError(f"no password for the new user {username!r}",
                             hint="set the variable --password-env names")  # fmt: skip
        new = {
            "username": username,
            "first_name": "supersetctl",
            "last_name": "reader",
            "email": f"{username}@supersetctl.invalid",
            "password": password,
            "active": True,
            "roles": [role_id],
        }
        client.request("POST", "api/v1/security/users/", json=new)
        return ReaderResult(role, role_created, len(ids), username, True)
    user = users[0]
    roles = [r for r in user.get("roles") or [] if isinstance(r, dict)]
    others = sorted({str(r.get("name")) for r in roles} - {role})
    if others:
        raise UsageError(
            f"the user {username!r} holds other roles too: {', '.join(others)}",
            hint="pick another --username: the reader must hold only its role",
        )
    if role_id not in {int(r["id"]) for r in roles if "id" in r}:
        client.request("PUT", f"api/v1/security/users/{user['id']}", json={"roles": [role_id]})
    return ReaderResult(role, role_created, len(ids), username, False)
