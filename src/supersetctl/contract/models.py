"""Typed models of the contract's files: ``manifest.json`` and ``config/<env>/environment.yaml``.

JSON Schemas under ``infra/superset/schemas/`` are generated from these models
(``supersetctl schema --write``); a test fails when a committed schema is stale.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

API_VERSION = "supersetctl/v1"

ENV_NAME = r"^[A-Z][A-Z0-9_]*$"
DIGEST = r"^sha256:[0-9a-f]{64}$"
# OCI distribution spec: tag grammar
TAG = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"
REPOSITORY = r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$"
GIT_SHA = r"^[0-9a-f]{40}$"

EnvVarName = Annotated[str, Field(pattern=ENV_NAME, description="An environment variable name.")]


class _Strict(BaseModel):
    # built on first validation: a command that reads one kind of file builds only its models
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


# ---------------------------------------------------------------- manifest.json


class ImageStatus(StrEnum):
    released = "released"
    unreleased = "unreleased"


class ImageRef(_Strict):
    """The runtime image, pinned by digest."""

    registry: Literal["ghcr.io"] = Field(description="The registry host; GHCR per the contract.")
    repository: str = Field(
        pattern=REPOSITORY, description="OWNER/NAME on the registry, lower case."
    )
    status: ImageStatus = Field(
        description=(
            "released: tag and digest are set. unreleased: no image was built yet; tag and "
            "digest are null, and staging/prod fail validation until the first bump."
        )
    )
    tag: str | None = Field(default=None, pattern=TAG, description="The human-readable tag.")
    digest: str | None = Field(
        default=None, pattern=DIGEST, description="The image digest, sha256:<64 hex>."
    )

    @model_validator(mode="after")
    def _status_matches(self) -> ImageRef:
        if self.status is ImageStatus.released:
            if not self.tag or not self.digest:
                raise ValueError("a released image needs both tag and digest")
            if self.tag == "latest":
                raise ValueError("tag 'latest' is not a pin; use a version tag")
        elif self.tag is not None or self.digest is not None:
            raise ValueError("an unreleased image has tag and digest null")
        return self

    @property
    def reference(self) -> str:
        base = f"{self.registry}/{self.repository}"
        if self.tag:
            base += f":{self.tag}"
        if self.digest:
            base += f"@{self.digest}"
        return base


class BaseImage(_Strict):
    """The upstream image ours is built FROM, pinned by digest."""

    reference: str = Field(description="NAME:TAG of the upstream image, e.g. apache/superset:6.1.0")
    digest: str = Field(pattern=DIGEST)


class Source(_Strict):
    """Where the image was built from."""

    repository: str = Field(description="OWNER/NAME of the repository that built the image.")
    commit: str | None = Field(default=None, pattern=GIT_SHA)
    run_url: str | None = Field(default=None, pattern=r"^https://\S+$")


class Manifest(_Strict):
    """infra/superset/manifest.json: the pinned runtime image."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        defer_build=True,
        json_schema_extra={"title": "supersetctl image manifest"},
    )

    schema_version: Literal[1] = Field(description="The version of this file's format.")
    image: ImageRef
    superset_version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    base_image: BaseImage
    source: Source
    built_at: str | None = Field(default=None, description="RFC 3339 UTC time of the build.")
    updated_at: str = Field(description="RFC 3339 UTC time of the last change to this file.")
    updated_by: str = Field(min_length=1, description="Who or what changed this file last.")


# ---------------------------------------------------------- config/<env>/environment.yaml


class SSLMode(StrEnum):
    disable = "disable"
    allow = "allow"
    prefer = "prefer"
    require = "require"
    verify_ca = "verify-ca"
    verify_full = "verify-full"

    @property
    def encrypted(self) -> bool:
        return self in (SSLMode.require, SSLMode.verify_ca, SSLMode.verify_full)


class SupersetEndpoint(_Strict):
    url: str = Field(pattern=r"^https?://[^\s/]+(/\S*)?$", description="The Superset base URL.")
    app_name: str = Field(
        pattern=r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$",
        description="The App Platform app name that runs this environment.",
    )
    admin_username_env: EnvVarName = "SUPERSET_ADMIN_USERNAME"
    admin_password_env: EnvVarName = "SUPERSET_ADMIN_PASSWORD"
    clusters: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "App Platform database component name -> this environment's DBaaS cluster_name. "
            "`deploy` writes them into the spec, so no environment attaches to another's "
            "metadata database or cache."
        ),
    )


class DatabaseKind(StrEnum):
    postgres = "postgres"
    supabase = "supabase"


class DatabaseEndpoint(_Strict):
    """A PostgreSQL database Superset reads, as the read-only role."""

    kind: DatabaseKind = Field(
        default=DatabaseKind.postgres,
        description=(
            "postgres (Odoo's DigitalOcean cluster, or any PostgreSQL) or supabase (a Supabase "
            "project's Postgres, usually through its Supavisor pooler)."
        ),
    )
    host: str = Field(min_length=1)
    port: int = Field(ge=1, le=65535)
    database: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_$-]{0,62}$")
    user: str = Field(pattern=r"^[a-z_][a-z0-9_]{0,62}$", description="The read-only login role.")
    project_ref: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9]{20}$",
        description=(
            "Supabase only: the project's reference id. Supavisor routes a login by "
            "`user.project_ref`, so the connection logs in as that (`<KEY>_DB_USER`)."
        ),
    )
    sslmode: SSLMode
    password_env: EnvVarName = Field(description="The secret variable holding the password.")
    primary: bool = False
    description: str = ""

    @property
    def login(self) -> str:
        """The user name the connection sends: the role, routed by project on a pooler."""
        return f"{self.user}.{self.project_ref}" if self.project_ref else self.user

    @model_validator(mode="after")
    def _supabase_only(self) -> DatabaseEndpoint:
        if self.project_ref and self.kind != DatabaseKind.supabase:
            raise ValueError("project_ref is for kind: supabase only")
        return self


class Flags(_Strict):
    seed_data: bool = Field(description="Fill the database with safe seed data (dev only).")
    masking: bool = Field(description="Analytics views mask personal data (staging).")
    strict_read_only: bool = Field(
        description="`db verify` must pass before anything is provisioned (prod)."
    )


class ScopedRole(_Strict):
    """A login role that sees only some companies' rows, enforced by the database."""

    name: str = Field(pattern=r"^[a-z_][a-z0-9_]{0,62}$")
    company_ids: list[int] = Field(min_length=1)
    password_env: EnvVarName
    database: str = Field(default="odoo", description="The key under `databases`.")


class Access(_Strict):
    analytics_schema: str = Field(default="analytics", pattern=r"^[a-z_][a-z0-9_]{0,62}$")
    owner_role: str = Field(default="analytics_owner", pattern=r"^[a-z_][a-z0-9_]{0,62}$")
    admin_url_env: EnvVarName = Field(
        default="ODOO_ADMIN_DATABASE_URL",
        description="The secret variable with an admin connection URL for `db apply`.",
    )
    statement_timeout_ms: int = Field(default=30000, ge=100)
    idle_timeout_ms: int = Field(default=60000, ge=1000)
    connection_limit: int = Field(default=20, ge=1)
    language: str = Field(
        default="en_US",
        pattern=r"^[a-z]{2,3}(_[A-Z]{2})?(@[a-z]+)?$",
        description="Language of translated Odoo names in the analytics views (en_US fallback).",
    )
    scoped_roles: list[ScopedRole] = Field(default_factory=list)


def db_var_prefix(key: str) -> str:
    """The prefix of a database's derived variables: ``odoo`` -> ``ODOO`` (``ODOO_DB_HOST``)."""
    return re.sub(r"[^A-Z0-9]", "_", key.upper())


class SecretRef(_Strict):
    name: EnvVarName
    description: str = ""
    required: bool = True


class Provisioning(_Strict):
    """How this repo marks the Superset assets it manages."""

    owner: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$",
        description=(
            "A stable id of this repo (e.g. its GitHub OWNER/NAME), the same in every "
            "environment. Every asset apply sends carries it; prune and drift act only on "
            "assets that carry it."
        ),
    )
    exclude: list[str] = Field(
        default_factory=list,
        description=(
            "Provisioning files this environment leaves out, as globs relative to "
            "infra/superset/provisioning/ (`*` crosses folders), e.g. the files of a data "
            "source it does not declare. Each must match a file."
        ),
    )


DEFAULT_CA_FILE = "/tmp/superset/ca.pem"  # noqa: S108 (image/superset_config.py's default)


class Tls(_Strict):
    """The CA the runtime verifies the managed databases with (its presence says one is
    configured: staging and prod databases must then use ``sslmode: verify-full``)."""

    ca_file: str = Field(
        default=DEFAULT_CA_FILE,
        pattern=r"^/[^\s$]+$",
        description=(
            "Where every runtime process writes SUPERSET_CA_CERT (SUPERSET_CA_CERT_FILE), the "
            "same path in the image and here: the provisioned databases use it as sslrootcert "
            "(${SUPERSET_CA_CERT_FILE})."
        ),
    )


class EnvConfig(_Strict):
    """config/<env>/environment.yaml: the non-secret identifiers of one environment."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        defer_build=True,
        json_schema_extra={"title": "supersetctl environment config"},
    )

    api_version: Literal["supersetctl/v1"]
    environment: Literal["dev", "staging", "prod"]
    superset: SupersetEndpoint
    databases: dict[str, DatabaseEndpoint] = Field(min_length=1)
    flags: Flags
    access: Access = Field(default_factory=Access)
    provisioning: Provisioning = Field(default_factory=Provisioning)
    tls: Tls | None = Field(
        default=None,
        description=(
            "Set when the runtime is given the managed databases' CA (SUPERSET_CA_CERT): "
            "`validate` then requires sslmode verify-full (or verify-ca) in staging and prod."
        ),
    )
    vars: dict[str, str] = Field(
        default_factory=dict,
        description="Non-secret values for ${VAR} in provisioning files.",
    )
    secrets: list[SecretRef] = Field(
        default_factory=list, description="Names (never values) of the secret variables."
    )

    @model_validator(mode="after")
    def _checks(self) -> EnvConfig:
        bad = [k for k in self.vars if not re.match(ENV_NAME, k)]
        if bad:
            raise ValueError(f"vars keys must be upper-case names: {', '.join(bad)}")
        names = [s.name for s in self.secrets]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"secret declared twice: {', '.join(dupes)}")
        clash = sorted(set(names) & set(self.vars))
        if clash:
            raise ValueError(f"declared both as var and as secret: {', '.join(clash)}")
        return self

    @property
    def primary_database(self) -> tuple[str, DatabaseEndpoint]:
        for key, db in self.databases.items():
            if db.primary:
                return key, db
        key = next(iter(self.databases))
        return key, self.databases[key]

    def derived_vars(self) -> dict[str, str]:
        """Values every environment gets from its own fields, for ${VAR} interpolation.

        For each database key ``odoo``: ``ODOO_DB_HOST``, ``ODOO_DB_PORT``, ``ODOO_DB_NAME``,
        ``ODOO_DB_USER`` (the login: ``role.project_ref`` on a Supabase pooler), ``ODOO_DB_ROLE``,
        ``ODOO_DB_SSLMODE``; plus ``SUPERSET_ENV``, ``SUPERSET_URL`` and ``SUPERSET_CA_CERT_FILE``
        (where the runtime writes the CA: ``tls.ca_file``).
        """
        out = {"SUPERSET_ENV": self.environment, "SUPERSET_URL": self.superset.url}
        out["SUPERSET_CA_CERT_FILE"] = self.tls.ca_file if self.tls else DEFAULT_CA_FILE
        for key, db in self.databases.items():
            prefix = db_var_prefix(key)
            out[f"{prefix}_DB_HOST"] = db.host
            out[f"{prefix}_DB_PORT"] = str(db.port)
            out[f"{prefix}_DB_NAME"] = db.database
            out[f"{prefix}_DB_USER"] = db.login
            out[f"{prefix}_DB_ROLE"] = db.user
            out[f"{prefix}_DB_SSLMODE"] = str(db.sslmode)
        return out

    def variables(self) -> dict[str, str]:
        """Every non-secret value: derived ones, overridden by explicit ``vars``."""
        return {**self.derived_vars(), **self.vars}

    def secret_names(self) -> set[str]:
        """Every secret variable this environment needs, declared or referenced by a field."""
        names = {s.name for s in self.secrets}
        names.add(self.superset.admin_username_env)
        names.add(self.superset.admin_password_env)
        names.add(self.access.admin_url_env)
        names.update(db.password_env for db in self.databases.values())
        names.update(r.password_env for r in self.access.scoped_roles)
        return names
