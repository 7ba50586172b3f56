"""The spec that goes to App Platform: the repo's spec, made concrete for one environment.

* ``name`` becomes ``config/<env>/environment.yaml``'s ``superset.app_name``;
* the ``SUPERSET_ENV`` variable becomes the environment's name, and the PRIMARY domain the host
  of ``superset.url`` (unless that is App Platform's own ``*.ondigitalocean.app``);
* each database component's ``cluster_name`` becomes the environment's own, from
  ``superset.clusters``;
* every image block must carry the manifest's digest (``bump`` put it there);
* SECRET variables that the repo leaves unset take the app's current (encrypted) value, so a
  deploy never blanks a secret someone set in the console;
* an image block's ``registry_credentials: ${VAR}`` (a private registry: ``username:token``)
  takes the variable's value from the environment, else the app's current encrypted value;
  neither is a :class:`~supersetctl.errors.ConfigError` (a literal ``${VAR}`` never leaves).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from supersetctl import redact
from supersetctl.contract.models import EnvConfig, ImageStatus, Manifest
from supersetctl.contract.rules_spec import registry_credentials_var
from supersetctl.errors import ConfigError, DeployError
from supersetctl.paths import RepoPaths
from supersetctl.yamlio import load_document

COMPONENT_KINDS = ("services", "workers", "jobs", "static_sites", "functions")


def components(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """``("services/web", component)`` for every component of a spec."""
    for kind in COMPONENT_KINDS:
        for comp in spec.get(kind) or []:
            if isinstance(comp, dict):
                yield f"{kind}/{comp.get('name', '?')}", comp


def image_digests(spec: dict[str, Any]) -> dict[str, str | None]:
    """The digest of every component that runs an image."""
    return {
        label: (comp.get("image") or {}).get("digest")
        for label, comp in components(spec)
        if isinstance(comp.get("image"), dict)
    }


def _env_lists(spec: dict[str, Any]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    yield "app", spec.get("envs") or []
    for label, comp in components(spec):
        yield label, comp.get("envs") or []


def carry_secrets(
    new: dict[str, Any],
    current: dict[str, Any] | None,
    environ: Mapping[str, str] | None = None,
) -> list[str]:
    """Fill unset SECRET values of ``new`` from ``current``; returns the keys still unset.
    Registry credentials are filled too (:func:`fill_registry_credentials`)."""
    fill_registry_credentials(new, current, environ or {})
    existing: dict[tuple[str, str], str] = {}
    for scope, envs in _env_lists(current or {}):
        for env in envs:
            if env.get("type") == "SECRET" and env.get("value"):
                existing[(scope, str(env.get("key")))] = str(env["value"])
    missing = []
    for scope, envs in _env_lists(new):
        for env in envs:
            if env.get("type") != "SECRET" or env.get("value"):
                continue
            value = existing.get((scope, str(env.get("key"))))
            if value is not None:
                env["value"] = value
            else:
                missing.append(f"{scope}:{env.get('key')}")
    return missing


def fill_registry_credentials(
    new: dict[str, Any], current: dict[str, Any] | None, environ: Mapping[str, str]
) -> None:
    """Replace each ``registry_credentials: ${VAR}`` of ``new`` by ``environ[VAR]`` (a new
    token wins), else by the same component's value on the app; else a ConfigError."""
    held = {
        label: str((comp.get("image") or {}).get("registry_credentials") or "")
        for label, comp in components(current or {})
    }
    for label, comp in components(new):
        image = comp.get("image")
        if not isinstance(image, dict) or not image.get("registry_credentials"):
            continue
        var = registry_credentials_var(str(image["registry_credentials"]))
        if var is None:
            continue
        value = environ.get(var) or held.get(label) or ""
        if not value or registry_credentials_var(value):
            raise ConfigError(
                f"{label} pulls its image with registry_credentials ${{{var}}}, which is not set",
                path="infra/superset/do-app-spec.yaml",
                hint=f"export {var}=USERNAME:TOKEN (a token with read:packages for GHCR)",
            )
        redact.register(value)
        image["registry_credentials"] = value


def render_spec(
    paths: RepoPaths, env: str, config: EnvConfig, manifest: Manifest
) -> dict[str, Any]:
    """The repo's spec for ``env``; :class:`DeployError` when its images are not the manifest's."""
    if manifest.image.status is not ImageStatus.released or not manifest.image.digest:
        raise DeployError(
            "nothing to deploy: manifest.json pins no released image yet",
            hint="build and push the image, then `supersetctl bump --tag TAG`",
        )
    doc = load_document(paths.app_spec, paths.rel(paths.app_spec))
    if not isinstance(doc.data, dict):
        raise DeployError(f"{paths.rel(paths.app_spec)} is not a mapping")
    spec: dict[str, Any] = copy.deepcopy(doc.data)
    spec["name"] = config.superset.app_name
    for var in spec.get("envs") or []:
        if var.get("key") == "SUPERSET_ENV":
            var["value"] = env
    for database in spec.get("databases") or []:
        cluster = config.superset.clusters.get(str(database.get("name")))
        if cluster:
            database["cluster_name"] = cluster
    host = urlsplit(config.superset.url).hostname or ""
    if host and not host.endswith(".ondigitalocean.app"):
        for domain in spec.get("domains") or []:
            if domain.get("type") == "PRIMARY":
                domain["domain"] = host
    wrong = {
        label: digest
        for label, digest in image_digests(spec).items()
        if digest != manifest.image.digest
    }
    if not image_digests(spec):
        raise DeployError("the spec runs no image", hint="see infra/superset/do-app-spec.yaml")
    if wrong:
        raise DeployError(
            "the spec's image blocks do not carry the manifest's digest: "
            + ", ".join(sorted(wrong)),
            hint="run `supersetctl bump --tag TAG` so both files agree",
        )
    return spec
