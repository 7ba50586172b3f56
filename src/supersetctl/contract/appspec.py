"""A typed model of the DigitalOcean App Platform app spec (the parts App Platform accepts).

Keys, enums and bounds follow DigitalOcean's public OpenAPI description of ``AppSpec``
(``specification/resources/apps/models/``) and godo's ``AppSpec``, which also accepts app-level
``envs`` and ``alerts``. Unknown keys are errors, as ``doctl apps spec validate --schema-only``
treats them. Only the structure is checked here; the contract's own rules live in
``rules_spec.py`` and ``rules_env.py``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

NAME = r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$"
UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
Name = Annotated[str, Field(min_length=2, max_length=32, pattern=NAME)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RegistryType(StrEnum):
    DOCKER_HUB = "DOCKER_HUB"
    DOCR = "DOCR"
    GHCR = "GHCR"


class DeployOnPush(_Spec):
    enabled: bool = False


class ImageSource(_Spec):
    registry_type: RegistryType
    registry: str | None = None
    repository: str = Field(min_length=1)
    tag: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
    digest: str | None = Field(default=None, pattern=r"^sha256:[0-9a-f]{64}$")
    # "username:token" for GHCR and Docker Hub; App Platform encrypts it on first submission
    # and answers EV[...]. In git: EV[...] or a ${VAR} deploy fills in (rules_spec checks).
    registry_credentials: str | None = Field(default=None, min_length=1)
    deploy_on_push: DeployOnPush | None = None

    @model_validator(mode="after")
    def _tag_xor_digest(self) -> ImageSource:
        if self.tag and self.digest:
            raise ValueError("set either tag or digest, not both")
        return self


class EnvScope(StrEnum):
    UNSET = "UNSET"
    RUN_TIME = "RUN_TIME"
    BUILD_TIME = "BUILD_TIME"
    RUN_AND_BUILD_TIME = "RUN_AND_BUILD_TIME"


class EnvType(StrEnum):
    GENERAL = "GENERAL"
    SECRET = "SECRET"


class EnvVar(_Spec):
    key: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    value: str | None = None
    scope: EnvScope = EnvScope.RUN_AND_BUILD_TIME
    type: EnvType = EnvType.GENERAL


class HealthCheck(_Spec):
    http_path: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    initial_delay_seconds: int | None = Field(default=None, ge=0, le=3600)
    period_seconds: int | None = Field(default=None, ge=1, le=300)
    timeout_seconds: int | None = Field(default=None, ge=1, le=120)
    success_threshold: int | None = Field(default=None, ge=1, le=50)
    failure_threshold: int | None = Field(default=None, ge=1, le=50)


class CPUMetric(_Spec):
    percent: int = Field(default=80, ge=1, le=100)


class Metrics(_Spec):
    cpu: CPUMetric | None = None


class Autoscaling(_Spec):
    min_instance_count: int = Field(ge=1)
    max_instance_count: int = Field(ge=1)
    metrics: Metrics | None = None

    @model_validator(mode="after")
    def _bounds(self) -> Autoscaling:
        if self.min_instance_count > self.max_instance_count:
            raise ValueError("min_instance_count must not exceed max_instance_count")
        return self


class AlertRule(StrEnum):
    UNSPECIFIED_RULE = "UNSPECIFIED_RULE"
    CPU_UTILIZATION = "CPU_UTILIZATION"
    MEM_UTILIZATION = "MEM_UTILIZATION"
    RESTART_COUNT = "RESTART_COUNT"
    DEPLOYMENT_FAILED = "DEPLOYMENT_FAILED"
    DEPLOYMENT_LIVE = "DEPLOYMENT_LIVE"
    DOMAIN_FAILED = "DOMAIN_FAILED"
    DOMAIN_LIVE = "DOMAIN_LIVE"
    AUTOSCALE_FAILED = "AUTOSCALE_FAILED"


class Alert(_Spec):
    rule: AlertRule
    disabled: bool = False
    operator: Literal["UNSPECIFIED_OPERATOR", "GREATER_THAN", "LESS_THAN"] | None = None
    value: float | None = None
    window: (
        Literal["UNSPECIFIED_WINDOW", "FIVE_MINUTES", "TEN_MINUTES", "THIRTY_MINUTES", "ONE_HOUR"]
        | None
    ) = None


InstanceSize = Literal[
    "apps-s-1vcpu-0.5gb",
    "apps-s-1vcpu-1gb-fixed",
    "apps-s-1vcpu-1gb",
    "apps-s-1vcpu-2gb",
    "apps-s-2vcpu-4gb",
    "apps-d-1vcpu-0.5gb",
    "apps-d-1vcpu-1gb",
    "apps-d-1vcpu-2gb",
    "apps-d-1vcpu-4gb",
    "apps-d-2vcpu-4gb",
    "apps-d-2vcpu-8gb",
    "apps-d-4vcpu-8gb",
    "apps-d-4vcpu-16gb",
    "apps-d-8vcpu-32gb",
]


class Termination(_Spec):
    drain_seconds: int | None = Field(default=None, ge=1, le=110)
    grace_period_seconds: int | None = Field(default=None, ge=1, le=600)


class _Component(_Spec):
    name: Name
    image: ImageSource | None = None
    dockerfile_path: str | None = None
    build_command: str | None = None
    run_command: str | None = None
    source_dir: str | None = None
    environment_slug: str | None = None
    envs: list[EnvVar] = Field(default_factory=list)
    instance_count: int | None = Field(default=None, ge=1)
    instance_size_slug: InstanceSize | None = None
    autoscaling: Autoscaling | None = None
    alerts: list[Alert] = Field(default_factory=list)
    termination: Termination | None = None

    @model_validator(mode="after")
    def _count_xor_autoscaling(self) -> _Component:
        if self.instance_count is not None and self.autoscaling is not None:
            raise ValueError("instance_count must not be set when autoscaling is used")
        return self


class RouteSpec(_Spec):
    path: str = "/"
    preserve_path_prefix: bool = False


class Service(_Component):
    http_port: int | None = Field(default=None, ge=1, le=65535)
    internal_ports: list[int] = Field(default_factory=list)
    protocol: Literal["HTTP", "HTTP2"] | None = None
    health_check: HealthCheck | None = None
    liveness_health_check: HealthCheck | None = None
    routes: list[RouteSpec] | None = None


class Worker(_Component):
    liveness_health_check: HealthCheck | None = None


class JobKind(StrEnum):
    UNSPECIFIED = "UNSPECIFIED"
    PRE_DEPLOY = "PRE_DEPLOY"
    POST_DEPLOY = "POST_DEPLOY"
    FAILED_DEPLOY = "FAILED_DEPLOY"


class Job(_Component):
    kind: JobKind = JobKind.UNSPECIFIED


class DatabaseEngine(StrEnum):
    UNSET = "UNSET"
    MYSQL = "MYSQL"
    PG = "PG"
    REDIS = "REDIS"
    MONGODB = "MONGODB"
    KAFKA = "KAFKA"
    OPENSEARCH = "OPENSEARCH"
    VALKEY = "VALKEY"


class Database(_Spec):
    name: Name
    engine: DatabaseEngine = DatabaseEngine.UNSET
    cluster_name: str | None = None
    db_name: str | None = None
    db_user: str | None = None
    production: bool | None = None
    version: str | None = None


class Domain(_Spec):
    domain: str = Field(min_length=4, max_length=253)
    type: Literal["UNSPECIFIED", "DEFAULT", "PRIMARY", "ALIAS"] = "UNSPECIFIED"
    wildcard: bool | None = None
    zone: str | None = None
    minimum_tls_version: Literal["1.2", "1.3"] | None = None


class IngressComponent(_Spec):
    name: str
    preserve_path_prefix: bool | None = None
    rewrite: str | None = None


class PrefixMatch(_Spec):
    prefix: str


class IngressMatch(_Spec):
    path: PrefixMatch


class IngressRule(_Spec):
    match: IngressMatch | None = None
    component: IngressComponent | None = None


class Ingress(_Spec):
    rules: list[IngressRule] = Field(default_factory=list)


class Maintenance(_Spec):
    enabled: bool | None = None
    archive: bool | None = None
    offline_page_url: str | None = None


class Egress(_Spec):
    type: Literal["AUTOASSIGN", "DEDICATED_IP"] = "AUTOASSIGN"


class Vpc(_Spec):
    """The VPC the app joins (one per app): its components reach ``private-*`` hosts."""

    id: str = Field(pattern=UUID)


class AppSpec(_Spec):
    """infra/superset/do-app-spec.yaml"""

    name: Name
    region: Literal["ams", "nyc", "fra", "sfo", "sgp", "blr", "tor", "lon", "syd"] | None = None
    disable_edge_cache: bool | None = None
    disable_email_obfuscation: bool | None = None
    enhanced_threat_control_enabled: bool | None = None
    domains: list[Domain] = Field(default_factory=list)
    services: list[Service] = Field(default_factory=list)
    workers: list[Worker] = Field(default_factory=list)
    jobs: list[Job] = Field(default_factory=list)
    databases: list[Database] = Field(default_factory=list)
    envs: list[EnvVar] = Field(default_factory=list)
    alerts: list[Alert] = Field(default_factory=list)
    ingress: Ingress | None = None
    egress: Egress | None = None
    maintenance: Maintenance | None = None
    vpc: Vpc | None = None
    features: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_names(self) -> AppSpec:
        names = [c.name for _, _, c in self.components()] + [d.name for d in self.databases]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"component names must be unique: {', '.join(dupes)}")
        return self

    def components(self) -> list[tuple[str, int, _Component]]:
        """(kind, index, component) for every service, worker and job."""
        out: list[tuple[str, int, _Component]] = []
        for kind, items in (("services", self.services), ("workers", self.workers)):
            out.extend((kind, i, c) for i, c in enumerate(items))
        out.extend(("jobs", i, c) for i, c in enumerate(self.jobs))
        return out
