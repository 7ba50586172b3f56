"""The model of ``config/<env>/embed.yaml`` (``validate`` checks it; ``supersetctl.embed``
loads it): what the broker may mint, for whom, with which row filters.

Everything here is reviewed in git; nothing in it is secret (secrets are named by their
environment variables, never valued)::

    api_version: supersetctl/v1
    allowed_origins: [https://erp.example.com]   # host pages that may frame a dashboard
    caller:                                      # the host's backend (Odoo) signs HS256 tokens
      issuer: odoo
      audience: supersetctl-embed
      secret_env: EMBED_CALLER_SECRET
      max_lifetime_seconds: 300
      leeway_seconds: 10
    service_user:                                # the least-privilege Superset user
      username_env: EMBED_SUPERSET_USERNAME
      password_env: EMBED_SUPERSET_PASSWORD
    companies:                                   # user -> company, server side
      source: odoo                               # or: file (tests, demos)
      dsn_env: EMBED_ODOO_DSN
    rls_templates:
      company:
        - dataset: analytics.sale_orders         # schema.table or the dataset's uuid
          clause: company_id = {company_id}
    dashboards:
      - dashboard: sales-overview                # slug (or the embedded uuid)
        rls: company

A template names its dataset, always: Superset applies a guest rule without a dataset to every
dataset, a clause that would then fail (or filter nothing) on a table without that column. The
only parameter a clause takes is ``{company_id}``, rendered from a validated ``int``.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

API_VERSION = "supersetctl/v1"
PARAM = "{company_id}"
_ENV = r"^[A-Z][A-Z0-9_]*$"
_DATASET = re.compile(
    r"^(?:[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"
)
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(?::(?:\d{1,5}|\*))?$")
# the one clause form, also the only one Superset's validator hook (image/superset_config.py)
# accepts: a column equal to the company id
_CLAUSE = re.compile(r"^[a-z_][a-z0-9_]* = \{company_id\}$")

EnvName = Annotated[str, Field(pattern=_ENV)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Caller(_Strict):
    issuer: str = Field(min_length=1, description="The `iss` every caller token must carry.")
    audience: str = Field(default="supersetctl-embed", min_length=1)
    secret_env: EnvName = Field(default="EMBED_CALLER_SECRET")
    max_lifetime_seconds: int = Field(default=300, ge=10, le=900)
    leeway_seconds: int = Field(default=10, ge=0, le=60)


class ServiceUser(_Strict):
    username_env: EnvName = Field(default="EMBED_SUPERSET_USERNAME")
    password_env: EnvName = Field(default="EMBED_SUPERSET_PASSWORD")


class Companies(_Strict):
    source: Literal["odoo", "file"]
    dsn_env: EnvName | None = Field(
        default=None, description="odoo: the variable holding a read-only libpq URL."
    )
    file: str | None = Field(
        default=None, description="file: a YAML map `users: {USER_ID: COMPANY_ID}`."
    )

    @model_validator(mode="after")
    def _one_source(self) -> Companies:
        if self.source == "odoo" and not self.dsn_env:
            raise ValueError("source odoo needs dsn_env (the read-only connection's variable)")
        if self.source == "file" and not self.file:
            raise ValueError("source file needs file")
        return self


class RlsRule(_Strict):
    dataset: str = Field(description="schema.table, or the dataset's uuid.")
    clause: str = Field(description="`column = {company_id}`.")

    @field_validator("dataset")
    @classmethod
    def _dataset(cls, value: str) -> str:
        if not _DATASET.match(value):
            raise ValueError("name the dataset as schema.table (lower case) or by its uuid")
        return value

    @field_validator("clause")
    @classmethod
    def _clause(cls, value: str) -> str:
        if not _CLAUSE.match(value):
            raise ValueError(f"the clause must be `column = {PARAM}` (e.g. company_id = {PARAM})")
        return value

    def render(self, company_id: int) -> str:
        """The clause for one company; only an ``int`` is accepted (never a string)."""
        if type(company_id) is not int or company_id <= 0:
            raise TypeError("company_id must be a positive int")
        return self.clause.replace(PARAM, str(company_id))


class Dashboard(_Strict):
    dashboard: str = Field(min_length=1, description="The slug, or the embedded uuid.")
    rls: str = Field(description="The name of the RLS template under rls_templates.")


class EmbedConfig(_Strict):
    api_version: Literal["supersetctl/v1"]
    allowed_origins: list[str] = Field(min_length=1)
    caller: Caller
    service_user: ServiceUser = ServiceUser()
    companies: Companies
    rls_templates: dict[str, list[RlsRule]] = Field(min_length=1)
    dashboards: list[Dashboard] = Field(min_length=1)
    cache_seconds: int = Field(
        default=30,
        ge=0,
        le=300,
        description="How long a dashboard's embedded uuid and datasets are reused.",
    )

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if not _ORIGIN.match(origin):
                raise ValueError(f"{origin!r} is not an origin (scheme://host[:port], no path)")
        return value

    @field_validator("rls_templates")
    @classmethod
    def _templates(cls, value: dict[str, list[RlsRule]]) -> dict[str, list[RlsRule]]:
        for name, rules in value.items():
            if not rules:
                raise ValueError(f"template {name} has no rule: every template names a dataset")
        return value

    @model_validator(mode="after")
    def _references(self) -> EmbedConfig:
        seen: set[str] = set()
        for entry in self.dashboards:
            if entry.rls not in self.rls_templates:
                raise ValueError(f"dashboard {entry.dashboard} names unknown template {entry.rls}")
            if entry.dashboard in seen:
                raise ValueError(f"dashboard {entry.dashboard} is listed twice")
            seen.add(entry.dashboard)
        return self

    def entry(self, dashboard: str) -> Dashboard | None:
        return next((d for d in self.dashboards if d.dashboard == dashboard), None)
