"""The access files: a Superset role, a row-level security rule, a dashboard's access.

::

    infra/superset/provisioning/
      roles/<name>.yaml              a role and its permissions
      rls/<name>.yaml                a row-level security rule
      dashboard_access/<slug>.yaml   a dashboard's access roles and embedded configuration

A dataset is named by what identifies it in every environment, ``{database, schema,
table}`` (the ``database_name`` of a database file, the dataset's schema and table), never by
an instance's id; it must be a dataset file of the layout. Roles are named by name.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

API_VERSION = "supersetctl/v1"
# Superset's own roles (`superset init` rewrites their permissions on every deploy): never
# pruned, never recorded as this repo's; a file may still declare one (then it is compared)
BUILTIN_ROLES = frozenset({"Admin", "Alpha", "Gamma", "Public", "sql_lab"})
# a view menu naming an instance's id: `[db].[table](id:12)`, `[db].(id:3)`
INSTANCE_ID = re.compile(r"\(id:\d+\)")


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    api_version: Literal["supersetctl/v1"] | None = None


class DatasetRef(BaseModel):
    """A dataset of the layout: its database's ``database_name``, its schema and table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    database: str = Field(min_length=1)
    schema_: str | None = Field(default=None, alias="schema")
    table: str = Field(min_length=1)

    def key(self) -> tuple[str, str, str]:
        return (self.database, self.schema_ or "", self.table)

    def label(self) -> str:
        where = f"{self.schema_}.{self.table}" if self.schema_ else self.table
        return f"{self.database}/{where}"

    def as_dict(self) -> dict[str, str]:
        out = {"database": self.database, "schema": self.schema_ or "", "table": self.table}
        if not self.schema_:
            del out["schema"]
        return out


class RoleFile(_File):
    """A role: Superset's ``[permission, view_menu]`` pairs, plus ``datasets`` (each gives
    ``datasource_access`` on that dataset, whatever id it has in an environment)."""

    name: str = Field(min_length=1, max_length=64)
    permissions: list[tuple[str, str]] = Field(default_factory=list)
    datasets: list[DatasetRef] = Field(default_factory=list)

    @field_validator("permissions")
    @classmethod
    def _no_ids(cls, value: list[tuple[str, str]]) -> list[tuple[str, str]]:
        for perm, view in value:
            if INSTANCE_ID.search(view):
                raise ValueError(
                    f"[{perm}, {view}] names an instance's id: list the dataset under "
                    "`datasets:` instead (its id differs in every environment)"
                )
        return value


class RlsFile(_File):
    """A row-level security rule (Superset: Security > Row Level Security)."""

    name: str = Field(min_length=1, max_length=255)
    filter_type: Literal["Regular", "Base"] = "Regular"
    tables: list[DatasetRef] = Field(min_length=1)
    roles: list[str] = Field(default_factory=list)
    group_key: str | None = None
    clause: str = Field(min_length=1)
    description: str | None = None


class Embedded(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    allowed_domains: list[str] = Field(min_length=1)

    @field_validator("allowed_domains")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for item in value:
            if not item.strip():
                raise ValueError("an allowed domain is empty (Superset would allow any domain)")
        return value


class DashboardAccessFile(_File):
    """A dashboard's access: ``roles`` (Superset's dashboard access roles, with
    ``DASHBOARD_RBAC``) and ``embedded`` (``false``: not embeddable; ``allowed_domains``:
    embeddable from those origins). A key left out is not managed."""

    dashboard: str = Field(min_length=1)  # the dashboard's slug
    roles: list[str] | None = None
    embedded: Embedded | Literal[False] | None = None


__all__ = [
    "API_VERSION",
    "BUILTIN_ROLES",
    "DashboardAccessFile",
    "DatasetRef",
    "Embedded",
    "RlsFile",
    "RoleFile",
]
