"""Superset's access model over its REST API: roles and their permissions, groups, row-level
security rules, dashboard access roles and embedded configurations.

Endpoints (Superset 6.1.0, Flask-AppBuilder 5; the FAB ones need ``FAB_ADD_SECURITY_API``):

=====================================================  =========================================
``GET  /api/v1/security/roles/search/``                every role with its ``permission_ids``
                                                       (Superset's own, unpaged by FAB's cap)
``POST|PUT|DELETE /api/v1/security/roles/[<id>]``      create (``{"name"}``), rename, delete
``POST /api/v1/security/roles/<id>/permissions``       *replaces* the role's permissions with
                                                       ``permission_view_menu_ids`` (ids it does
                                                       not know are dropped silently)
``GET  /api/v1/security/permissions-resources/``       every (permission, view menu) pair by id
``GET|POST|PUT /api/v1/security/groups/[<id>]``        groups (name, description, roles, users)
``GET|POST|PUT|DELETE /api/v1/rowlevelsecurity/``      RLS rules; the list leaves ``description``
                                                       out (only the show has it) but can filter
                                                       on it
``GET  /api/v1/dashboard/`` (``roles.id``)             each dashboard's access roles;
``PUT  /api/v1/dashboard/<id>`` ``{"roles": [...]}``   sets them
``GET|PUT|DELETE /api/v1/dashboard/<id>/embedded``     the embedded configuration (its uuid is
                                                       Superset's, kept across updates)
=====================================================  =========================================

Lists are paged with the server's page size (whatever the first page comes back with), so a
request line stays short whatever the instance holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from supersetctl.errors import SupersetAPIError

from .client import SupersetClient
from .rison import dumps as rison

_PAGE = 5000  # asked for; FAB caps it at FAB_API_MAX_PAGE_SIZE and the pager follows
_LIST_ATTEMPTS = 3


def pages(
    client: SupersetClient,
    path: str,
    query: Mapping[str, Any] | None = None,
    *,
    order: str = "id",
) -> list[dict[str, Any]]:
    """Every row of a FAB list endpoint, page by page (the server's page size), in ``order``.

    The order must be a unique column: without one PostgreSQL returns the pages of an
    unordered query in any order it likes, and a listing of 423 permissions came back with
    19 rows twice and 19 never (measured on 6.1.0). A listing that still comes out short of
    its count, or with a row twice (rows changed while it was read), is read again."""
    for _attempt in range(_LIST_ATTEMPTS):
        out: list[dict[str, Any]] = []
        page, size, count = 0, _PAGE, 0
        while True:
            q = {**(query or {}), "order_column": order, "order_direction": "asc",
                 "page": page, "page_size": size}  # fmt: skip
            body = client.request("GET", path, params={"q": rison(q)}).json()
            rows = list(body.get("result") or [])
            out.extend(rows)
            count = int(body.get("count", len(out)))
            if not rows or len(out) >= count:
                break
            size = len(rows) if page == 0 else size  # the server's cap
            page += 1
        if len({str(r.get(order)) for r in out}) == len(out) >= count:
            return out
    raise SupersetAPIError(
        f"GET {path}: the listing kept changing while it was read ({len(out)} rows, "
        f"{count} counted)"
    )


# ---------------------------------------------------------------- roles and permissions


def list_roles(client: SupersetClient) -> list[dict[str, Any]]:
    """``[{"id", "name", "permission_ids", "user_ids", "group_ids"}]`` of every role."""
    return pages(client, "api/v1/security/roles/search/")


def list_permission_views(client: SupersetClient) -> dict[int, tuple[str, str]]:
    """Every permission-view pair Superset knows: id -> (permission, view menu)."""
    rows = pages(client, "api/v1/security/permissions-resources/")
    out: dict[int, tuple[str, str]] = {}
    for row in rows:
        perm = (row.get("permission") or {}).get("name")
        view = (row.get("view_menu") or {}).get("name")
        if isinstance(row.get("id"), int) and perm and view:
            out[row["id"]] = (str(perm), str(view))
    return out


def create_role(client: SupersetClient, name: str) -> int:
    body = client.request("POST", "api/v1/security/roles/", json={"name": name}).json()
    return int(body["id"])


def delete_role(client: SupersetClient, pk: int) -> None:
    client.request("DELETE", f"api/v1/security/roles/{pk}", ok=(200, 204, 404))


def set_role_permissions(client: SupersetClient, pk: int, ids: Iterable[int]) -> None:
    """Replace the role's permissions with exactly ``ids`` (one request)."""
    payload = {"permission_view_menu_ids": sorted(set(ids))}
    client.request("POST", f"api/v1/security/roles/{pk}/permissions", json=payload)


# ---------------------------------------------------------------- groups


def list_groups(client: SupersetClient, name: str) -> list[dict[str, Any]]:
    """Groups named exactly ``name``, with their roles and users."""
    query = {
        "columns": ["id", "name", "description", "roles.id", "roles.name", "users.id"],
        "filters": [{"col": "name", "opr": "eq", "value": name}],
    }
    return pages(client, "api/v1/security/groups/", query)


def create_group(client: SupersetClient, name: str, description: str, roles: Sequence[int]) -> int:
    payload = {"name": name, "label": name, "description": description, "roles": list(roles)}
    body = client.request("POST", "api/v1/security/groups/", json=payload).json()
    return int(body["id"])


def set_group_roles(client: SupersetClient, pk: int, roles: Sequence[int]) -> None:
    client.request("PUT", f"api/v1/security/groups/{pk}", json={"roles": sorted(set(roles))})


# ---------------------------------------------------------------- row-level security

_RLS_COLUMNS = ["id", "name", "filter_type", "tables.id", "roles.id", "clause", "group_key"]


def list_rls(
    client: SupersetClient, filters: Sequence[Mapping[str, Any]] = ()
) -> list[dict[str, Any]]:
    """Every RLS rule (``filters``: FAB filters, e.g. on ``description``); without
    ``description``, which the list endpoint leaves out."""
    query = {"columns": _RLS_COLUMNS, "filters": [dict(f) for f in filters]}
    # a rule's name is unique; the endpoint does not order by id
    return pages(client, "api/v1/rowlevelsecurity/", query, order="name")


def get_rls(client: SupersetClient, pk: int) -> dict[str, Any]:
    """One rule with its ``description`` (``tables``, ``roles``: ``[{"id", ...}]``)."""
    result = client.request("GET", f"api/v1/rowlevelsecurity/{pk}").json().get("result", {})
    return dict(result)


def create_rls(client: SupersetClient, payload: Mapping[str, Any]) -> int:
    body = client.request("POST", "api/v1/rowlevelsecurity/", json=dict(payload)).json()
    return int(body["id"])


def update_rls(client: SupersetClient, pk: int, payload: Mapping[str, Any]) -> None:
    client.request("PUT", f"api/v1/rowlevelsecurity/{pk}", json=dict(payload))


def delete_rls(client: SupersetClient, pk: int) -> None:
    client.request("DELETE", f"api/v1/rowlevelsecurity/{pk}", ok=(200, 204, 404))


# ---------------------------------------------------------------- dashboards


def list_dashboard_roles(client: SupersetClient) -> list[dict[str, Any]]:
    """``[{"id", "uuid", "slug", "dashboard_title", "roles": [{"id", "name"}]}]``."""
    columns = ("id", "uuid", "slug", "dashboard_title", "roles.id", "roles.name")
    return client.list("dashboard", columns)  # the asset lister: it orders what it can


def set_dashboard_roles(client: SupersetClient, pk: int, roles: Sequence[int]) -> None:
    client.request("PUT", f"api/v1/dashboard/{pk}", json={"roles": sorted(set(roles))})


def get_embedded(client: SupersetClient, pk: int) -> dict[str, Any] | None:
    """``{"uuid", "allowed_domains", ...}``, or None when the dashboard is not embeddable."""
    response = client.request("GET", f"api/v1/dashboard/{pk}/embedded", ok=(200, 404))
    if response.status_code == 404:
        return None
    result = response.json().get("result")
    return dict(result) if isinstance(result, dict) else None


def set_embedded(client: SupersetClient, pk: int, allowed_domains: Sequence[str]) -> str:
    """Make the dashboard embeddable from ``allowed_domains`` (an update keeps the embedded
    uuid); the embedded uuid."""
    body = client.request(
        "PUT", f"api/v1/dashboard/{pk}/embedded", json={"allowed_domains": list(allowed_domains)}
    ).json()
    return str((body.get("result") or {}).get("uuid") or "")


def delete_embedded(client: SupersetClient, pk: int) -> None:
    client.request("DELETE", f"api/v1/dashboard/{pk}/embedded", ok=(200, 204, 404))


__all__ = [
    "create_group",
    "create_rls",
    "create_role",
    "delete_embedded",
    "delete_rls",
    "delete_role",
    "get_embedded",
    "get_rls",
    "list_dashboard_roles",
    "list_groups",
    "list_permission_views",
    "list_rls",
    "list_roles",
    "pages",
    "set_dashboard_roles",
    "set_embedded",
    "set_group_roles",
    "set_role_permissions",
    "update_rls",
]
