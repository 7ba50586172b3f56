"""``deploy`` and ``rollback``: push the spec to App Platform and prove the new version runs.

``deploy`` (with ``wait``):

1. render the spec for the environment (images must carry the manifest's digest; unset SECRET
   values are carried over from the app);
2. ``POST /v2/apps/propose`` with the app id: App Platform validates the spec, nothing changes;
3. ``PUT /v2/apps/{id}``: the new spec, which starts a deployment;
4. follow that deployment (``GET .../deployments/{id}``) through its phases (PENDING_BUILD,
   BUILDING, PENDING_DEPLOY, DEPLOYING) until ACTIVE, or ERROR/CANCELED/SUPERSEDED;
5. verify: ``/health`` is healthy by the one probe (:mod:`supersetctl.superset.health`: 200
   with ``{"status": "OK"}``; a plain-text ``OK`` is a Superset without our configuration and
   fails), and the app's active deployment is ours and runs the manifest's digest in every
   component;
6. on any failure in 4-5: ``PUT`` the previous spec back (automatic roll back), follow that
   deployment too, and report failure (exit 1).

With a :class:`~supersetctl.deploy.guard.MetadataGuard` (``guard=``), a deployment whose
PRE_DEPLOY job will migrate (a new image) is preceded by a backup of the metadata database,
and a roll back (automatic, or ``rollback`` of that deployment) restores it first when the
migrations moved the schema: the old version never starts on a schema it does not know.

Every request to the app goes through an injectable ``httpx.Client`` (``http=``); the Apps
API through :class:`~supersetctl.deploy.api.AppsAPI`.

``rollback`` asks App Platform to redeploy an earlier deployment (``POST .../rollback``): the
one given, or the newest earlier deployment that went ACTIVE.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from supersetctl.contract.environment import Environment
from supersetctl.contract.loader import load_manifest
from supersetctl.errors import DeployError
from supersetctl.superset.health import HealthProbe, probe_health

from .api import AppsAPI
from .guard import MetadataGuard
from .spec import carry_secrets, image_digests, render_spec

log = logging.getLogger(__name__)

TERMINAL_FAILED = ("ERROR", "CANCELED", "SUPERSEDED")
ProgressCallback = Callable[["Progress"], None]


@dataclass(frozen=True)
class Progress:
    """One step of a deploy, for a progress display."""

    stage: str  # propose, update, phase, verify, rollback, done
    message: str
    phase: str | None = None
    done: int | None = None
    total: int | None = None


@dataclass
class DeployResult:
    env: str
    app_id: str
    app_name: str
    digest: str
    deployment_id: str | None = None
    phase: str | None = None
    ok: bool = False
    verified: bool = False
    reason: str | None = None
    rolled_back: bool = False
    rollback_deployment_id: str | None = None
    rollback_phase: str | None = None
    missing_secrets: list[str] = field(default_factory=list)
    proposal: dict[str, Any] = field(default_factory=dict)
    metadata_backup: str | None = None
    metadata_restored: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "env": self.env,
            "app_id": self.app_id,
            "app_name": self.app_name,
            "digest": self.digest,
            "deployment_id": self.deployment_id,
            "phase": self.phase,
            "ok": self.ok,
            "verified": self.verified,
            "reason": self.reason,
            "rolled_back": self.rolled_back,
            "rollback_deployment_id": self.rollback_deployment_id,
            "rollback_phase": self.rollback_phase,
            "missing_secrets": self.missing_secrets,
            "app_cost": self.proposal.get("app_cost"),
            "metadata_backup": self.metadata_backup,
            "metadata_restored": self.metadata_restored,
        }


@dataclass
class Waiter:
    """How to wait: poll interval, overall timeout, and the clock (tests make it instant)."""

    interval: float = 10.0
    timeout: float = 1800.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic


def check_health(
    base_url: str,
    *,
    attempts: int = 6,
    waiter: Waiter | None = None,
    http: httpx.Client | None = None,
) -> HealthProbe:
    """``/health`` of the app by the one probe, a few tries apart until it is healthy; the last
    answer. ``http`` sends the requests (default: a client that follows redirects)."""
    waiter = waiter or Waiter(interval=5.0)
    client = http or httpx.Client(timeout=10.0, follow_redirects=True)
    try:
        probe = probe_health(base_url, client)
        for _ in range(attempts - 1):
            if probe.healthy:
                break
            waiter.sleep(waiter.interval)
            probe = probe_health(base_url, client)
        return probe
    finally:
        if http is None:
            client.close()


def _notify(cb: ProgressCallback | None, event: Progress) -> None:
    log.info("%s: %s", event.stage, event.message)
    if cb is not None:
        cb(event)


def _new_deployment(
    api: AppsAPI, app_id: str, known: set[str], waiter: Waiter, app: dict[str, Any]
) -> str:
    """The id of the deployment our update started."""
    for key in ("pending_deployment", "in_progress_deployment"):
        dep = app.get(key) or {}
        if dep.get("id") and dep["id"] not in known:
            return str(dep["id"])
    deadline = waiter.clock() + min(waiter.timeout, 300.0)
    while True:
        for dep in api.list_deployments(app_id):
            if dep.get("id") and dep["id"] not in known:
                return str(dep["id"])
        if waiter.clock() > deadline:
            raise DeployError("the update started no deployment within 5 minutes")
        waiter.sleep(waiter.interval)


def follow(
    api: AppsAPI,
    app_id: str,
    deployment_id: str,
    waiter: Waiter,
    on_progress: ProgressCallback | None = None,
) -> str:
    """Poll a deployment until it ends; returns its final phase (``TIMEOUT`` if it never does)."""
    deadline = waiter.clock() + waiter.timeout
    last: tuple[str, int | None] | None = None
    while True:
        dep = api.get_deployment(app_id, deployment_id)
        phase = str(dep.get("phase") or "UNKNOWN")
        progress = dep.get("progress") or {}
        done, total = progress.get("success_steps"), progress.get("total_steps")
        if (phase, done) != last:
            last = (phase, done)
            steps = f" ({done}/{total} steps)" if total else ""
            _notify(
                on_progress,
                Progress(
                    "phase", f"deployment {deployment_id}: {phase}{steps}", phase, done, total
                ),
            )
        if phase == "ACTIVE" or phase in TERMINAL_FAILED:
            return phase
        if waiter.clock() > deadline:
            return "TIMEOUT"
        waiter.sleep(waiter.interval)


def _failed_step(api: AppsAPI, app_id: str, deployment_id: str) -> str:
    try:
        dep = api.get_deployment(app_id, deployment_id)
    except DeployError:
        return ""
    for step in (dep.get("progress") or {}).get("steps") or []:
        if step.get("status") == "ERROR":
            reason = (step.get("reason") or {}).get("message") or step.get("name")
            return f": step {step.get('name')} failed ({reason})"
    return ""


def verify(
    api: AppsAPI,
    app_id: str,
    deployment_id: str,
    digest: str,
    health: Callable[[str], HealthProbe],
) -> str | None:
    """None when the app runs our deployment with ``digest`` and is healthy, else the reason."""
    app = api.get_app(app_id)
    active = app.get("active_deployment") or {}
    if active.get("id") != deployment_id:
        return f"the active deployment is {active.get('id')}, not {deployment_id}"
    running = image_digests(active.get("spec") or app.get("spec") or {})
    wrong = sorted(f"{c} runs {d}" for c, d in running.items() if d != digest)
    if not running or wrong:
        return "running image digest differs from manifest.json: " + (
            "; ".join(wrong) or "no image"
        )
    url = app.get("live_url") or ""
    if not url:
        return "the app has no live URL to check /health on"
    probe = health(url)
    if not probe.healthy:
        return f"health check failed: {probe.url}: {probe.detail}"
    return None


def deploy(
    env: Environment,
    api: AppsAPI,
    *,
    wait: bool = True,
    on_progress: ProgressCallback | None = None,
    waiter: Waiter | None = None,
    health: Callable[[str], HealthProbe] | None = None,
    http: httpx.Client | None = None,
    guard: MetadataGuard | None = None,
) -> DeployResult:
    """Deploy the repo's spec to ``env``'s app; see the module docstring for the steps.
    ``health`` checks a live URL (default: :func:`check_health` through ``http``); ``guard``
    backs up the metadata before a deployment that migrates and restores it on roll back."""
    waiter = waiter or Waiter()
    health = health or (lambda url: check_health(url, waiter=waiter, http=http))
    manifest = load_manifest(env.paths)
    config = env.config
    spec = render_spec(env.paths, env.name, config, manifest)
    digest = str(manifest.image.digest)
    app = api.find_app(config.superset.app_name)
    app_id = str(app["id"])
    result = DeployResult(env.name, app_id, config.superset.app_name, digest)
    previous_spec = app.get("spec")
    result.missing_secrets = carry_secrets(spec, previous_spec, env.environ)

    _notify(on_progress, Progress("propose", f"validating the spec for app {app_id}"))
    result.proposal = api.propose(spec, app_id)
    if guard is not None and previous_spec:
        result.metadata_backup = guard.before_deploy(app_id, previous_spec, spec)
        if result.metadata_backup:
            _notify(
                on_progress, Progress("backup", f"metadata backed up: {result.metadata_backup}")
            )
    known = {str(d.get("id")) for d in api.list_deployments(app_id)}
    _notify(on_progress, Progress("update", f"updating app {config.superset.app_name}"))
    updated = api.update(app_id, spec)
    if not wait:
        result.ok = True
        pending = updated.get("pending_deployment") or updated.get("in_progress_deployment")
        result.deployment_id = (pending or {}).get("id")
        if guard is not None and result.deployment_id:
            guard.deployed(app_id, str(result.deployment_id))
        return result

    result.deployment_id = _new_deployment(api, app_id, known, waiter, updated)
    if guard is not None:
        guard.deployed(app_id, result.deployment_id)
    result.phase = follow(api, app_id, result.deployment_id, waiter, on_progress)
    if result.phase == "ACTIVE":
        _notify(on_progress, Progress("verify", "checking /health and the running digest"))
        result.reason = verify(api, app_id, result.deployment_id, digest, health)
        result.verified = result.reason is None
    else:
        result.reason = f"deployment ended {result.phase}" + _failed_step(
            api, app_id, result.deployment_id
        )
    if result.reason is None:
        result.ok = True
        _notify(on_progress, Progress("done", f"{config.superset.app_name} runs {digest}"))
        return result

    _notify(
        on_progress, Progress("rollback", f"failed ({result.reason}); restoring the previous spec")
    )
    if not previous_spec:
        result.reason += "; no previous spec to roll back to"
        return result
    known.add(result.deployment_id)
    if guard is not None:
        result.metadata_restored = _restore(guard, app_id, result.deployment_id, on_progress)
    restored = api.update(app_id, previous_spec)
    result.rolled_back = True
    result.rollback_deployment_id = _new_deployment(api, app_id, known, waiter, restored)
    result.rollback_phase = follow(api, app_id, result.rollback_deployment_id, waiter, on_progress)
    return result


def _restore(
    guard: MetadataGuard, app_id: str, deployment_id: str | None, cb: ProgressCallback | None
) -> str | None:
    """The guard's restore before a roll back; its failure is reported, the roll back goes on
    (the old spec is still the best that can run)."""
    from supersetctl.errors import SupersetctlError

    try:
        done = guard.before_rollback(app_id, deployment_id)
    except SupersetctlError as exc:
        done = f"FAILED: {exc}"
    if done:
        _notify(cb, Progress("restore", f"metadata: {done}"))
    return done


@dataclass
class RollbackResult:
    env: str
    app_id: str
    target: str
    deployment_id: str
    phase: str | None = None
    metadata_restored: str | None = None

    @property
    def ok(self) -> bool:
        return self.phase in (None, "ACTIVE")

    def as_dict(self) -> dict[str, Any]:
        return {
            "env": self.env,
            "app_id": self.app_id,
            "target": self.target,
            "deployment_id": self.deployment_id,
            "phase": self.phase,
            "ok": self.ok,
            "metadata_restored": self.metadata_restored,
        }


def previous_good(app: dict[str, Any], deployments: list[dict[str, Any]]) -> str:
    """The newest deployment before the active one that went ACTIVE (now SUPERSEDED)."""
    active = (app.get("active_deployment") or {}).get("id")
    ordered = sorted(deployments, key=lambda d: str(d.get("created_at") or ""), reverse=True)
    seen_active = active is None
    for dep in ordered:
        if dep.get("id") == active:
            seen_active = True
            continue
        if seen_active and dep.get("phase") in ("SUPERSEDED", "ACTIVE"):
            return str(dep["id"])
    raise DeployError(
        "no earlier successful deployment to roll back to",
        hint="pass --to DEPLOYMENT_ID (see the app's deployment history)",
    )


def rollback(
    env: Environment,
    api: AppsAPI,
    *,
    to: str | None = None,
    wait: bool = True,
    pin: bool = False,
    on_progress: ProgressCallback | None = None,
    waiter: Waiter | None = None,
    guard: MetadataGuard | None = None,
) -> RollbackResult:
    """Redeploy an earlier deployment of ``env``'s app (``to``, or the last good one); with
    ``guard``, the metadata backed up before the active deployment is restored first when
    its migrations moved the schema."""
    waiter = waiter or Waiter()
    config = env.config
    app = api.find_app(config.superset.app_name)
    app_id = str(app["id"])
    target = to or previous_good(app, api.list_deployments(app_id))
    _notify(
        on_progress, Progress("rollback", f"rolling {config.superset.app_name} back to {target}")
    )
    restored = None
    if guard is not None:
        active = (app.get("active_deployment") or {}).get("id")
        restored = _restore(guard, app_id, str(active) if active else None, on_progress)
    dep = api.rollback(app_id, target, pin=pin)
    result = RollbackResult(env.name, app_id, target, str(dep.get("id")), None, restored)
    if wait:
        result.phase = follow(api, app_id, result.deployment_id, waiter, on_progress)
    return result
