"""Deploy to DigitalOcean App Platform: push the spec, follow the deployment, verify, roll back."""

from supersetctl.deploy.api import AppsAPI, DeployAPIError, apps_api, token_from_env
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
    "AppsAPI",
    "DeployAPIError",
    "DeployResult",
    "Progress",
    "RollbackResult",
    "Waiter",
    "apps_api",
    "carry_secrets",
    "check_health",
    "deploy",
    "image_digests",
    "render_spec",
    "rollback",
    "token_from_env",
]
