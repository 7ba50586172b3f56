"""Deploy to DigitalOcean App Platform: push the spec, follow the deployment, verify, roll back."""

from supersetctl.deploy.admin_job import ADMIN_JOB, admin_command
from supersetctl.deploy.api import AppsAPI, DeployAPIError, apps_api, token_from_env
from supersetctl.deploy.clusters import ClusterCheck, check_clusters
from supersetctl.deploy.create import CreateResult, create
from supersetctl.deploy.run import (
    DeployResult,
    Progress,
    RollbackResult,
    Waiter,
    check_health,
    deploy,
    rollback,
)
from supersetctl.deploy.spec import carry_secrets, image_digests, render_spec

__all__ = [
    "ADMIN_JOB",
    "AppsAPI",
    "ClusterCheck",
    "CreateResult",
    "DeployAPIError",
    "DeployResult",
    "Progress",
    "RollbackResult",
    "Waiter",
    "admin_command",
    "apps_api",
    "carry_secrets",
    "check_clusters",
    "check_health",
    "create",
    "deploy",
    "image_digests",
    "render_spec",
    "rollback",
    "token_from_env",
]
