"""``deploy --create``: from an empty App Platform account to a provisioned Superset.

1. render the spec for the environment exactly as ``deploy`` does (images by the manifest's
   digest); every SECRET it leaves unset takes its value from the environment's variables (an
   app being created has no value to carry over), so does ``registry_credentials: ${VAR}``; the
   admin username and password must be set too. A missing one: ConfigError, nothing sent;
2. refuse when an app of that name exists (:class:`~supersetctl.errors.UsageError`, exit 2:
   plain ``deploy`` is the command for it);
3. check the managed clusters the spec attaches (:mod:`.clusters`): a missing or not-online
   one is a DeployError naming the ``doctl`` command that makes it; nothing is created;
4. add the one-off admin job (:mod:`.admin_job`), ``POST /v2/apps/propose`` (App Platform
   validates), ``POST /v2/apps`` (the app and its first deployment);
5. follow the deployment to ACTIVE, verify it (``/health``, the running digest: the same
   :func:`~supersetctl.deploy.run.verify` as ``deploy``) and log in as the admin;
6. remove the admin job from the app (``PUT`` of the app's own spec without it, so the
   encrypted secrets stay as App Platform holds them) and follow that deployment too;
7. provision (a callback: ``apply`` lives in a layer above this package) unless told not to.

A first deployment that fails is not rolled back (there is nothing to go back to): the app
stays, and the result says how to retry.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from supersetctl.contract.environment import Environment
from supersetctl.contract.loader import load_manifest
from supersetctl.errors import ConfigError, SupersetctlError, UsageError
from supersetctl.superset.health import HealthProbe

from .admin_job import ADMIN_JOB, has_admin_job, with_admin_job, without_admin_job
from .api import AppsAPI
from .clusters import ClusterCheck, check_clusters, require_clusters
from .run import (
    Progress,
    ProgressCallback,
    Waiter,
    _failed_step,
    _new_deployment,
    _notify,
    check_health,
    follow,
    verify,
)
from .spec import _env_lists, fill_registry_credentials, render_spec

log = logging.getLogger(__name__)

Login = Callable[[str, str, str], None]  # (url, username, password); raises when refused
Provision = Callable[[str], dict[str, Any]]  # (url) -> what apply did


@dataclass
class CreateResult:
    env: str
    app_name: str
    digest: str
    app_id: str | None = None
    clusters: list[ClusterCheck] = field(default_factory=list)
    deployment_id: str | None = None
    phase: str | None = None
    verified: bool = False
    admin_login: bool = False
    admin_job_removed: bool = False
    cleanup_deployment_id: str | None = None
    url: str | None = None
    provisioned: dict[str, Any] | None = None
    ok: bool = False
    reason: str | None = None
    next_step: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "env": self.env,
            "app_id": self.app_id,
            "app_name": self.app_name,
            "digest": self.digest,
            "clusters": [c.as_dict() for c in self.clusters],
            "deployment_id": self.deployment_id,
            "phase": self.phase,
            "verified": self.verified,
            "admin_login": self.admin_login,
            "admin_job_removed": self.admin_job_removed,
            "cleanup_deployment_id": self.cleanup_deployment_id,
            "url": self.url,
            "provisioned": self.provisioned,
            "ok": self.ok,
            "reason": self.reason,
            "next_step": self.next_step,
        }


def _superset_login(url: str, username: str, password: str) -> None:
    from supersetctl.superset import Credentials, SupersetClient

    with SupersetClient(url, Credentials(username, password), retries=1) as client:
        client.login()


def fill_secrets(env: Environment, spec: dict[str, Any]) -> None:
    """Give every SECRET the spec leaves unset its value from ``env``'s variables; a
    ConfigError naming all the missing ones (nothing is sent)."""
    missing: list[str] = []
    for _scope, envs in _env_lists(spec):
        for var in envs:
            if var.get("type") != "SECRET" or var.get("value"):
                continue
            value = env.secret(str(var.get("key")))
            if value is None:
                missing.append(str(var.get("key")))
            else:
                var["value"] = value
    if missing:
        names = " ".join(sorted(set(missing)))
        raise ConfigError(
            f"a new app needs a value for every SECRET of the spec; unset: {names}",
            path="infra/superset/do-app-spec.yaml",
            hint=f"export {names} (App Platform encrypts them on submission)",
        )
    fill_registry_credentials(spec, None, env.environ)


def prepare_spec(env: Environment, admin_email: str | None = None) -> dict[str, Any]:
    """The spec ``create`` submits: rendered, secrets filled, with the admin job."""
    names = env.config.superset
    user = env.require(names.admin_username_env, why="the first admin's username")
    password = env.require(names.admin_password_env, why="the first admin's password")
    spec = render_spec(env.paths, env.name, env.config, load_manifest(env.paths))
    fill_secrets(env, spec)
    return with_admin_job(spec, user, password, admin_email)


def create(
    env: Environment,
    api: AppsAPI,
    *,
    admin_email: str | None = None,
    provision: Provision | None = None,
    on_progress: ProgressCallback | None = None,
    waiter: Waiter | None = None,
    health: Callable[[str], HealthProbe] | None = None,
    login: Login | None = None,
    http: httpx.Client | None = None,
) -> CreateResult:
    """Create ``env``'s app from the repo's spec and bring it to a provisioned Superset; see
    the module docstring. Refusals raise before anything is created."""
    waiter = waiter or Waiter()
    health = health or (lambda url: check_health(url, attempts=30, waiter=waiter, http=http))
    login = login or _superset_login
    spec = prepare_spec(env, admin_email)
    name = env.config.superset.app_name
    digest = str(load_manifest(env.paths).image.digest)
    result = CreateResult(env.name, name, digest)
    existing = next((a for a in api.list_apps() if (a.get("spec") or {}).get("name") == name), None)
    if existing is not None:
        raise UsageError(
            f"an App Platform app named '{name}' exists already (id {existing.get('id')})",
            hint=f"deploy to it with `supersetctl deploy --env {env.name}`; --create is for "
            "the first deploy only",
        )
    _notify(on_progress, Progress("clusters", "checking the managed databases the app attaches"))
    result.clusters = check_clusters(spec, api)
    require_clusters(result.clusters)
    for check in result.clusters:
        _notify(on_progress, Progress("clusters", f"{check.cluster} ({check.engine}): online"))
    _notify(on_progress, Progress("propose", f"validating the spec of the new app {name}"))
    api.propose(spec, None)
    _notify(on_progress, Progress("create", f"creating app {name} with the job {ADMIN_JOB}"))
    app = api.create_app(spec)
    result.app_id = app_id = str(app["id"])
    result.deployment_id = _new_deployment(api, app_id, set(), waiter, app)
    if not _deployed(api, app_id, result.deployment_id, result, waiter, health, on_progress):
        result.next_step = (
            f"see the deployment's logs (doctl apps logs {app_id} --deployment "
            f"{result.deployment_id}), fix, then delete the app (doctl apps delete {app_id}) "
            f"and run `supersetctl deploy --env {env.name} --create` again"
        )
        return result
    _finish(env, api, app_id, result, waiter, health, login, provision, on_progress)
    return result


def _deployed(
    api: AppsAPI,
    app_id: str,
    deployment_id: str,
    result: CreateResult,
    waiter: Waiter,
    health: Callable[[str], HealthProbe],
    on_progress: ProgressCallback | None,
) -> bool:
    """Follow a deployment and verify it; on failure ``result.reason`` says why."""
    result.phase = follow(api, app_id, deployment_id, waiter, on_progress)
    if result.phase != "ACTIVE":
        result.reason = f"deployment ended {result.phase}" + _failed_step(
            api, app_id, deployment_id
        )
        return False
    _notify(on_progress, Progress("verify", "checking /health and the running digest"))
    result.reason = verify(api, app_id, deployment_id, result.digest, health)
    result.verified = result.reason is None
    return result.verified


def _finish(
    env: Environment,
    api: AppsAPI,
    app_id: str,
    result: CreateResult,
    waiter: Waiter,
    health: Callable[[str], HealthProbe],
    login: Login,
    provision: Provision | None,
    on_progress: ProgressCallback | None,
) -> None:
    app = api.get_app(app_id)
    result.url = str(app.get("live_url") or app.get("default_ingress") or "").rstrip("/")
    names = env.config.superset
    user = env.environ.get(names.admin_username_env, "")
    password = env.secret(names.admin_password_env) or ""
    _notify(on_progress, Progress("admin", f"logging in to {result.url} as the admin"))
    try:
        login(result.url, user, password)
        result.admin_login = True
    except SupersetctlError as exc:
        result.reason = f"the admin cannot log in: {exc}"
        result.next_step = (
            f"read the {ADMIN_JOB} job's log (doctl apps logs {app_id} {ADMIN_JOB}); a user of "
            "that name that existed before keeps its own password"
        )
        return
    current = app.get("spec") or {}
    if has_admin_job(current):
        _notify(on_progress, Progress("cleanup", f"removing the job {ADMIN_JOB} from the app"))
        known = {str(d.get("id")) for d in api.list_deployments(app_id)}
        updated = api.update(app_id, without_admin_job(current))
        result.cleanup_deployment_id = _new_deployment(api, app_id, known, waiter, updated)
        if not _deployed(
            api, app_id, result.cleanup_deployment_id, result, waiter, health, on_progress
        ):
            result.next_step = f"run `supersetctl deploy --env {env.name}`: it drops the job too"
            return
    result.admin_job_removed = True
    if provision is not None:
        _notify(on_progress, Progress("provision", f"provisioning {result.url}"))
        try:
            result.provisioned = provision(result.url)
        except SupersetctlError as exc:
            result.reason = f"provisioning failed: {exc}"
            result.next_step = f"fix it, then `supersetctl apply --env {env.name}`"
            return
    result.ok = True
    _notify(on_progress, Progress("done", f"{result.app_name} runs {result.digest}"))


__all__ = ["CreateResult", "create", "fill_secrets", "prepare_spec"]
