"""``validate`` rules of the repo layout, the manifest and the App Platform spec."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from supersetctl.findings import Severity
from supersetctl.yamlio import KeyPath

from .appspec import AppSpec, EnvType, EnvVar, ImageSource, JobKind
from .context import Context
from .models import ImageStatus


def rule_layout(ctx: Context) -> None:
    p = ctx.paths
    required: list[tuple[Path, str]] = [
        (p.manifest, "the pinned image reference"),
        (p.app_spec, "the App Platform spec"),
        (p.env_example, "the env var template (placeholders only)"),
        (p.workflows / "superset-bump.yml", "the workflow that bumps the image"),
    ]
    for kind in ("databases", "datasources", "dashboards"):
        required.append((p.provisioning / kind / "README.md", f"what goes in {kind}/"))
    required.extend((p.env_config(env), f"the {env} identifiers") for env in ctx.envs)
    for path, what in required:
        if not path.exists():
            ctx.add(p.rel(path), (0, 0), "CT-MISSING", f"missing: {what}", "create it")


def rule_manifest(ctx: Context) -> None:
    m, doc = ctx.manifest, ctx.manifest_doc
    if m is None or doc is None:
        return
    if m.image.status is ImageStatus.unreleased:
        ctx.add(
            doc.path,
            ctx.at(doc, ("image", "status")),
            "MF-UNRELEASED",
            "no image has been released yet: the runtime image is not pinned",
            "build and push the image, then run `supersetctl bump --tag TAG`",
            Severity.ERROR if ctx.strict else Severity.WARNING,
        )
    tag = m.base_image.reference.rpartition(":")[2]
    if tag != m.superset_version:
        ctx.add(
            doc.path,
            ctx.at(doc, ("base_image", "reference")),
            "MF-BASE-VERSION",
            f"base image tag '{tag}' differs from superset_version '{m.superset_version}'",
            "make both name the same Superset release",
        )
    dockerfile = ctx.paths.image / "Dockerfile"
    if dockerfile.exists():
        text = dockerfile.read_text(encoding="utf-8")
        froms = [
            (i, line) for i, line in enumerate(text.splitlines(), 1) if re.match(r"\s*FROM\s", line)
        ]
        if m.base_image.digest not in text:
            line = froms[0][0] if froms else 1
            ctx.add(
                ctx.paths.rel(dockerfile),
                (line, 1),
                "MF-DOCKERFILE-BASE",
                "the Dockerfile does not build FROM the manifest's base image digest",
                f"use FROM {m.base_image.reference}@{m.base_image.digest}",
            )


def _image_blocks(spec: AppSpec) -> Iterator[tuple[KeyPath, ImageSource | None]]:
    for kind, index, comp in spec.components():
        yield (kind, index, "image"), comp.image


def rule_spec_images(ctx: Context) -> None:
    spec, doc, m = ctx.spec, ctx.spec_doc, ctx.manifest
    if spec is None or doc is None:
        return
    for keypath, image in _image_blocks(spec):
        where = ctx.at(doc, keypath)
        name = doc.data
        for part in keypath[:2]:
            name = name[part]
        label = f"{keypath[0]}[{name.get('name', keypath[1])}]"
        if image is None:
            ctx.add(
                doc.path,
                ctx.at(doc, keypath[:2]),
                "AP-IMAGE-UNPINNED",
                f"{label} has no image block",
                "add the image block with the manifest's digest (supersetctl bump)",
            )
            continue
        if image.tag:
            ctx.add(
                doc.path,
                ctx.at(doc, (*keypath, "tag")),
                "AP-IMAGE-TAG",
                f"{label} image uses tag '{image.tag}'"
                + (" (latest is never a pin)" if image.tag == "latest" else ""),
                "replace tag with the manifest's digest (supersetctl bump)",
            )
        if not image.digest:
            released = m is not None and m.image.status is ImageStatus.released
            ctx.add(
                doc.path,
                where,
                "AP-IMAGE-UNPINNED",
                f"{label} image has no digest",
                "run `supersetctl bump --tag TAG` to pin every image block",
                Severity.ERROR if (ctx.strict or released) else Severity.WARNING,
            )
        if m is None:
            continue
        owner, _, repo = m.image.repository.partition("/")
        wrong = []
        if image.registry_type.value != "GHCR":
            wrong.append(f"registry_type {image.registry_type.value} (manifest: GHCR)")
        if image.registry != owner:
            wrong.append(f"registry {image.registry} (manifest: {owner})")
        if image.repository != repo:
            wrong.append(f"repository {image.repository} (manifest: {repo})")
        if image.digest and m.image.digest and image.digest != m.image.digest:
            wrong.append(f"digest {image.digest[:19]}… (manifest: {m.image.digest[:19]}…)")
        if image.digest and m.image.status is ImageStatus.unreleased:
            wrong.append("a digest while the manifest is unreleased")
        if wrong:
            ctx.add(
                doc.path,
                where,
                "AP-IMAGE-MISMATCH",
                f"{label} image differs from manifest.json: {'; '.join(wrong)}",
                "run `supersetctl bump` so both files agree",
            )


def _web(spec: AppSpec) -> int | None:
    for i, svc in enumerate(spec.services):
        if svc.name == "web":
            return i
    return 0 if spec.services else None


def rule_spec_runtime(ctx: Context) -> None:
    spec, doc = ctx.spec, ctx.spec_doc
    if spec is None or doc is None:
        return
    if spec.ingress is not None and any(s.routes for s in spec.services):
        i = next(i for i, s in enumerate(spec.services) if s.routes)
        ctx.add(
            doc.path,
            ctx.at(doc, ("services", i, "routes")),
            "AP-ROUTES-INGRESS",
            "routes and ingress are both set; App Platform refuses the spec",
            "drop the deprecated routes and keep ingress rules",
        )
    wi = _web(spec)
    if wi is None:
        ctx.add(doc.path, ctx.at(doc, ()), "AP-HEALTH", "no web service", "add services[web]")
    else:
        web = spec.services[wi]
        hc = web.health_check
        if hc is None or hc.http_path != "/health":
            got = "none" if hc is None else (hc.http_path or "TCP")
            ctx.add(
                doc.path,
                ctx.at(doc, ("services", wi, "health_check", "http_path")),
                "AP-HEALTH",
                f"services[{web.name}] health check is {got}",
                "set health_check.http_path: /health",
            )
        if web.http_port != 8088:
            ctx.add(
                doc.path,
                ctx.at(doc, ("services", wi, "http_port")),
                "AP-HTTP-PORT",
                f"services[{web.name}] http_port is {web.http_port}",
                "set http_port: 8088 (Superset's port in the image)",
            )
        if "prod" in ctx.envs:
            scaled = (web.autoscaling and web.autoscaling.min_instance_count >= 2) or (
                web.instance_count or 1
            ) >= 2
            if not scaled:
                ctx.add(
                    doc.path,
                    ctx.at(doc, ("services", wi)),
                    "AP-SCALE",
                    f"services[{web.name}] runs a single instance",
                    "set instance_count >= 2 or autoscaling.min_instance_count >= 2",
                )
    migrations = [
        j
        for j in spec.jobs
        if j.kind is JobKind.PRE_DEPLOY and "db upgrade" in (j.run_command or "")
    ]
    if not migrations:
        ctx.add(
            doc.path,
            ctx.at(doc, ("jobs",)),
            "AP-MIGRATION",
            "no PRE_DEPLOY job runs `superset db upgrade`",
            "add a jobs entry with kind: PRE_DEPLOY and run_command: superset db upgrade",
        )
    if "prod" in ctx.envs:
        commands = [(i, w.run_command or "", w.instance_count) for i, w in enumerate(spec.workers)]
        if not any(" worker" in c for _, c, _ in commands):
            ctx.add(
                doc.path,
                ctx.at(doc, ("workers",)),
                "AP-SCALE",
                "no celery worker",
                "add a worker running `celery --app=superset.tasks.celery_app:app worker`",
            )
        beats = [(i, n) for i, c, n in commands if " beat" in c]
        autoscaled_beat = any(spec.workers[i].autoscaling is not None for i, _ in beats)
        if len(beats) != 1 or autoscaled_beat or any((n or 1) != 1 for _, n in beats):
            where = ctx.at(doc, ("workers", beats[0][0])) if beats else ctx.at(doc, ("workers",))
            ctx.add(
                doc.path,
                where,
                "AP-SCALE",
                f"{len(beats)} celery beat worker(s); scheduled reports need exactly one instance",
                "run one worker with `celery ... beat` and instance_count: 1",
            )
        if not any(d.engine.value in ("REDIS", "VALKEY") for d in spec.databases):
            ctx.add(
                doc.path,
                ctx.at(doc, ("databases",)),
                "AP-SCALE",
                "no Redis/Valkey for cache, results and the Celery broker",
                "add a databases entry with engine: VALKEY and bind REDIS_URL to it",
            )
        app_keys = {v.key for v in spec.envs}
        for kind, i, comp in spec.components():
            if kind == "jobs" or "REDIS_URL" in app_keys | {v.key for v in comp.envs}:
                continue
            ctx.add(
                doc.path,
                ctx.at(doc, (kind, i)),
                "AP-SCALE",
                f"{kind}[{comp.name}] gets no REDIS_URL: it would cache and queue nothing",
                "set REDIS_URL at the app level (e.g. ${cache.DATABASE_URL})",
            )


def _is_encrypted(value: str) -> bool:
    return value.startswith("EV[") and value.endswith("]")


def rule_spec_secrets(ctx: Context) -> None:
    spec, doc = ctx.spec, ctx.spec_doc
    if spec is None or doc is None:
        return
    prod = ctx.configs.get("prod")
    declared = prod.secret_names() if prod else set()
    blocks: list[tuple[KeyPath, list[EnvVar]]] = [(("envs",), list(spec.envs))]
    blocks.extend(((kind, i, "envs"), list(c.envs)) for kind, i, c in spec.components())
    for prefix, envs in blocks:
        for j, var in enumerate(envs):
            if var.type is not EnvType.SECRET:
                continue
            if var.value and not _is_encrypted(var.value):
                ctx.add(
                    doc.path,
                    ctx.at(doc, (*prefix, j, "value")),
                    "AP-SECRET-PLAINTEXT",
                    f"SECRET env {var.key} holds a plaintext value",
                    "remove the value and set it in App Platform; only EV[...] may be committed",
                )
            if prod is not None and var.key not in declared:
                ctx.add(
                    doc.path,
                    ctx.at(doc, (*prefix, j, "key")),
                    "AP-SECRET-UNDECLARED",
                    f"SECRET env {var.key} is not declared in config/prod/environment.yaml",
                    "add it under secrets: so every deploy checks it is set",
                )
    if prod is not None and spec.name != prod.superset.app_name:
        ctx.add(
            doc.path,
            ctx.at(doc, ("name",)),
            "AP-APP-NAME",
            f"app name '{spec.name}' differs from config/prod superset.app_name "
            f"'{prod.superset.app_name}'",
            "make them equal",
        )


REGISTRY_VAR = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")


def registry_credentials_var(value: str) -> str | None:
    """The variable a ``registry_credentials: ${VAR}`` names (``deploy`` fills it in)."""
    m = REGISTRY_VAR.match(value)
    return m.group(1) if m else None


def rule_spec_registry(ctx: Context) -> None:
    """``registry_credentials`` of an image block: ``EV[...]`` or ``${VAR}``, never plaintext."""
    spec, doc = ctx.spec, ctx.spec_doc
    if spec is None or doc is None:
        return
    prod = ctx.configs.get("prod")
    declared = prod.secret_names() if prod else set()
    for keypath, image in _image_blocks(spec):
        if image is None or image.registry_credentials is None:
            continue
        value = image.registry_credentials
        where = ctx.at(doc, (*keypath, "registry_credentials"))
        label = f"{keypath[0]}[{getattr(spec, str(keypath[0]))[int(keypath[1])].name}]"
        var = registry_credentials_var(value)
        if image.registry_type.value == "DOCR":
            ctx.add(
                doc.path,
                where,
                "AP-REGISTRY-CREDENTIALS",
                f"{label} sets registry_credentials on a DOCR image",
                "remove it: App Platform pulls from DOCR with the account's own access",
            )
        elif var is None and not _is_encrypted(value):
            ctx.add(
                doc.path,
                where,
                "AP-REGISTRY-CREDENTIALS",
                f"{label} registry_credentials holds a plaintext value",
                "write ${GHCR_CREDENTIALS} (deploy fills it from the environment) or the EV[...] "
                "form App Platform returns; rotate the token if it was ever committed",
            )
        elif var is not None and prod is not None and var not in declared:
            ctx.add(
                doc.path,
                where,
                "AP-SECRET-UNDECLARED",
                f"registry_credentials names ${{{var}}}, not declared in "
                "config/prod/environment.yaml",
                "add it under secrets: so every deploy checks it is set",
            )


def rule_spec_vpc(ctx: Context) -> None:
    """A ``private-*`` database host resolves only inside a VPC: the app must join one."""
    spec, doc = ctx.spec, ctx.spec_doc
    if spec is None or doc is None or spec.vpc is not None:
        return
    for env in ctx.envs:
        config, cdoc = ctx.configs.get(env), ctx.config_docs.get(env)
        if config is None or cdoc is None:
            continue
        for key, db in sorted(config.databases.items()):
            if not db.host.startswith("private-"):
                continue
            ctx.add(
                cdoc.path,
                ctx.at(cdoc, ("databases", key, "host")),
                "AP-VPC",
                f"{env} reaches database {key} at the private host {db.host}, but "
                f"{doc.path} declares no vpc: the app cannot resolve it",
                f"add `vpc: {{id: VPC_UUID}}` to {doc.path} (the cluster's "
                "private_network_uuid in `doctl databases get CLUSTER_ID -o json`), or use the "
                "public host with trusted sources",
            )
