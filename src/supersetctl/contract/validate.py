"""``validate``: load the whole contract and report every break of it as a finding.

Each rule is a function of a :class:`Context` that appends findings; :data:`RULES` lists every
rule id with a one-line description (used by ``--sarif`` and the docs). Parse errors are
findings too (``CT-SYNTAX``), so one broken file does not hide the rest.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from supersetctl.errors import ConfigError
from supersetctl.findings import Finding, Severity, sort_findings
from supersetctl.paths import ENVIRONMENTS, RepoPaths
from supersetctl.yamlio import Document, KeyPath, load_document

from .appspec import AppSpec, EnvType, EnvVar, ImageSource, JobKind
from .loader import schema_findings
from .models import EnvConfig, ImageStatus, Manifest

RULES: dict[str, str] = {
    "CT-MISSING": "a file or folder the contract names is missing",
    "CT-SYNTAX": "a YAML or JSON file does not parse",
    "CT-SCHEMA": "manifest.json or config/<env>/environment.yaml breaks its schema",
    "MF-UNRELEASED": "the manifest pins no image yet (staging and prod need one)",
    "MF-BASE-VERSION": "the base image tag differs from superset_version",
    "MF-DOCKERFILE-BASE": "image/Dockerfile is not built FROM the manifest's base image digest",
    "AP-SCHEMA": "do-app-spec.yaml breaks the App Platform spec (keys, types, enums, bounds)",
    "AP-IMAGE-TAG": "an image block uses a tag (or latest) instead of the digest",
    "AP-IMAGE-UNPINNED": "an image block has no digest",
    "AP-IMAGE-MISMATCH": "an image block differs from the manifest's registry/repository/digest",
    "AP-ROUTES-INGRESS": "routes and ingress are both set",
    "AP-HEALTH": "the web service health check is not an HTTP check on /health",
    "AP-HTTP-PORT": "the web service does not listen on 8088",
    "AP-MIGRATION": "no PRE_DEPLOY job runs the database migrations",
    "AP-SCALE": "the prod runtime does not scale out (web >= 2 instances, worker, one beat, Redis)",
    "AP-SECRET-PLAINTEXT": "a SECRET env var holds a plaintext value (allowed: unset or EV[...])",
    "AP-SECRET-UNDECLARED": "a SECRET env var of the spec is not declared in config/prod",
    "AP-APP-NAME": "the spec's app name differs from config/prod's superset.app_name",
    "CFG-ENV-NAME": "the environment field differs from its folder",
    "CFG-SSLMODE": "a staging or prod database connection does not require TLS",
    "CFG-READ-ONLY": "prod does not use a dedicated read-only role with strict read-only on",
    "CFG-HTTPS": "a staging or prod Superset URL is not https",
    "CFG-SEED": "seed data is enabled outside dev",
    "CFG-MASKING": "staging does not mask personal data",
    "CFG-CLUSTERS": "an environment would attach to another environment's managed database",
    "PV-UNDECLARED-VAR": "a ${VAR} under provisioning/ is not declared for an environment",
    "ENV-TEMPLATE-MISSING": "the runtime config reads a variable the env template lacks",
    "ENV-TEMPLATE-VALUE": "the env template holds a value that is not a placeholder",
    "SEC-*": "a plaintext credential in the spec, a config or a template (see `scan`)",
}

PRIVILEGED_ROLES = frozenset({"postgres", "doadmin", "odoo", "admin", "root", "superuser"})
_VAR_REF = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?::[-?][^}]*)?\}")
_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


@dataclass
class Context:
    paths: RepoPaths
    envs: list[str]
    findings: list[Finding] = field(default_factory=list)
    manifest: Manifest | None = None
    manifest_doc: Document | None = None
    spec: AppSpec | None = None
    spec_doc: Document | None = None
    configs: dict[str, EnvConfig] = field(default_factory=dict)
    config_docs: dict[str, Document] = field(default_factory=dict)

    @property
    def strict(self) -> bool:
        """True when a deployable environment (staging, prod) is being validated."""
        return any(e in ("staging", "prod") for e in self.envs)

    def add(
        self,
        path: str,
        where: tuple[int, int],
        rule: str,
        message: str,
        fix: str = "",
        severity: Severity = Severity.ERROR,
    ) -> None:
        self.findings.append(Finding(path, where[0], where[1], rule, message, fix, severity))

    def at(self, doc: Document, keypath: KeyPath) -> tuple[int, int]:
        return doc.positions.of(keypath)


def _parse(ctx: Context, file: Path) -> Document | None:
    rel = ctx.paths.rel(file)
    if not file.exists():
        return None  # reported by the layout rule
    try:
        return load_document(file, rel)
    except ConfigError as exc:
        ctx.add(rel, (exc.line or 0, 0), "CT-SYNTAX", exc.message, exc.hint or "")
        return None


# ------------------------------------------------------------------------------------ loading


def _load(ctx: Context) -> None:
    doc = _parse(ctx, ctx.paths.manifest)
    if doc is not None:
        ctx.manifest_doc = doc
        try:
            ctx.manifest = Manifest.model_validate(doc.data)
        except ValidationError as exc:
            ctx.findings.extend(schema_findings(doc, exc, "CT-SCHEMA"))
    doc = _parse(ctx, ctx.paths.app_spec)
    if doc is not None:
        ctx.spec_doc = doc
        try:
            ctx.spec = AppSpec.model_validate(doc.data)
        except ValidationError as exc:
            ctx.findings.extend(schema_findings(doc, exc, "AP-SCHEMA"))
    # every config is loaded: the spec describes prod, and clusters must not be shared
    for env in ENVIRONMENTS:
        doc = _parse(ctx, ctx.paths.env_config(env))
        if doc is None:
            continue
        ctx.config_docs[env] = doc
        try:
            ctx.configs[env] = EnvConfig.model_validate(doc.data)
        except ValidationError as exc:
            if env in ctx.envs:
                ctx.findings.extend(schema_findings(doc, exc, "CT-SCHEMA"))


# -------------------------------------------------------------------------------------- rules


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


def rule_configs(ctx: Context) -> None:
    for env in ctx.envs:
        cfg, doc = ctx.configs.get(env), ctx.config_docs.get(env)
        if cfg is None or doc is None:
            continue
        if cfg.environment != env:
            ctx.add(
                doc.path,
                ctx.at(doc, ("environment",)),
                "CFG-ENV-NAME",
                f"environment is '{cfg.environment}' in the folder of '{env}'",
                f"set environment: {env}",
            )
        deployable = env in ("staging", "prod")
        if deployable:
            for key, db in cfg.databases.items():
                if not db.sslmode.encrypted:
                    ctx.add(
                        doc.path,
                        ctx.at(doc, ("databases", key, "sslmode")),
                        "CFG-SSLMODE",
                        f"database {key} uses sslmode={db.sslmode.value}",
                        "use sslmode: require (or verify-ca / verify-full)",
                    )
            if not cfg.superset.url.startswith("https://"):
                ctx.add(
                    doc.path,
                    ctx.at(doc, ("superset", "url")),
                    "CFG-HTTPS",
                    f"Superset URL {cfg.superset.url} is not https",
                    "serve Superset over https",
                )
        if cfg.flags.seed_data and env != "dev":
            ctx.add(
                doc.path,
                ctx.at(doc, ("flags", "seed_data")),
                "CFG-SEED",
                f"seed_data is on in {env}",
                "seed data is for dev only: set seed_data: false",
            )
        if env == "staging" and not cfg.flags.masking:
            ctx.add(
                doc.path,
                ctx.at(doc, ("flags", "masking")),
                "CFG-MASKING",
                "staging shows unmasked personal data",
                "set masking: true",
                Severity.WARNING,
            )
        if env == "prod":
            if not cfg.flags.strict_read_only:
                ctx.add(
                    doc.path,
                    ctx.at(doc, ("flags", "strict_read_only")),
                    "CFG-READ-ONLY",
                    "strict_read_only is off in prod",
                    "set strict_read_only: true",
                )
            for key, db in cfg.databases.items():
                if db.user in PRIVILEGED_ROLES or db.user == cfg.access.owner_role:
                    ctx.add(
                        doc.path,
                        ctx.at(doc, ("databases", key, "user")),
                        "CFG-READ-ONLY",
                        f"database {key} connects as '{db.user}', not a dedicated read-only role",
                        "use the read-only role that `supersetctl db apply` creates",
                    )


def rule_clusters(ctx: Context) -> None:
    """Each environment names its own DBaaS cluster for every database component of the spec."""
    spec = ctx.spec
    if spec is None:
        return
    clustered = {d.name: d.cluster_name for d in spec.databases if d.cluster_name}
    owners: dict[str, str] = {}  # cluster -> the environment it belongs to (prod first)
    for env in sorted(ctx.configs, key=lambda e: (e != "prod", ENVIRONMENTS.index(e))):
        for cluster in ctx.configs[env].superset.clusters.values():
            owners.setdefault(cluster, env)
    for env in ctx.envs:
        cfg, doc = ctx.configs.get(env), ctx.config_docs.get(env)
        if cfg is None or doc is None:
            continue
        for component, spec_cluster in sorted(clustered.items()):
            mine = cfg.superset.clusters.get(component)
            where = ctx.at(doc, ("superset", "clusters", component))
            if mine is None:
                ctx.add(
                    doc.path,
                    ctx.at(doc, ("superset",)),
                    "CFG-CLUSTERS",
                    f"no cluster named for the spec's database '{component}'",
                    f"add superset.clusters.{component}: <this environment's cluster>",
                )
            elif env == "prod" and mine != spec_cluster:
                ctx.add(
                    doc.path,
                    where,
                    "CFG-CLUSTERS",
                    f"prod names cluster '{mine}' for '{component}', the spec '{spec_cluster}'",
                    "the spec describes prod: make them equal",
                )
            elif owners.get(mine, env) != env:
                ctx.add(
                    doc.path,
                    where,
                    "CFG-CLUSTERS",
                    f"cluster '{mine}' for '{component}' belongs to {owners[mine]} too",
                    "give every environment its own cluster",
                )


def _provisioning_files(paths: RepoPaths) -> list[Path]:
    root = paths.provisioning
    if not root.is_dir():
        return []
    return sorted(
        f for f in root.rglob("*") if f.is_file() and f.suffix in (".yaml", ".yml", ".json")
    )


def var_refs(text: str) -> Iterator[tuple[str, int, int]]:
    """Every ``${VAR}`` in ``text`` as (name, line, col); ``$${`` is an escaped dollar."""
    for lineno, line in enumerate(text.splitlines(), 1):
        for m in _VAR_REF.finditer(line):
            yield m.group(1), lineno, m.start() + 1


def rule_provisioning_vars(ctx: Context) -> None:
    for file in _provisioning_files(ctx.paths):
        rel = ctx.paths.rel(file)
        text = file.read_text(encoding="utf-8")
        for name, line, col in var_refs(text):
            for env in ctx.envs:
                cfg = ctx.configs.get(env)
                if cfg is None:
                    continue
                if name not in cfg.variables() and name not in cfg.secret_names():
                    ctx.add(
                        rel,
                        (line, col),
                        "PV-UNDECLARED-VAR",
                        f"${{{name}}} is not declared for {env}",
                        f"add it to vars: or secrets: in config/{env}/environment.yaml",
                    )


def runtime_config_vars(source: str) -> dict[str, int]:
    """Environment variables a Python config reads, with the line of the first read."""
    found: dict[str, int] = {}
    tree = ast.parse(source)
    for node in ast.walk(tree):
        name: str | None = None
        if isinstance(node, ast.Subscript) and _is_environ(node.value):
            name = _const(node.slice)
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            fname = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if (
                (fname == "get" and isinstance(func, ast.Attribute) and _is_environ(func.value))
                or fname == "getenv"
                or "env" in fname.lower()
            ):
                name = _const(node.args[0])
        if name and re.fullmatch(r"[A-Z][A-Z0-9_]*", name):
            found.setdefault(name, getattr(node, "lineno", 0))
    return found


def _is_environ(node: ast.expr) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
        isinstance(node, ast.Name) and node.id == "environ"
    )


def _const(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def env_template_entries(text: str) -> dict[str, tuple[int, str]]:
    """``KEY=value`` lines of a dotenv template: name -> (line, value)."""
    out: dict[str, tuple[int, str]] = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("#"):
            continue
        m = _ENV_LINE.match(line)
        if m:
            value = m.group(2)
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            out.setdefault(m.group(1), (lineno, value))
    return out


_SECRETISH = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|PRIVATE|WEBHOOK|_URL$|_URI$)")


def rule_env_template(ctx: Context) -> None:
    from supersetctl.secrets import is_placeholder

    template = ctx.paths.env_example
    if not template.exists():
        return
    rel = ctx.paths.rel(template)
    entries = env_template_entries(template.read_text(encoding="utf-8"))
    for name, (line, value) in entries.items():
        if value and _SECRETISH.search(name) and not is_placeholder(value):
            ctx.add(
                rel,
                (line, 1),
                "ENV-TEMPLATE-VALUE",
                f"{name} has a value that is not a placeholder",
                "use a placeholder such as <set-me> or ${" + name + "}",
            )
    config = ctx.paths.superset_config
    if not config.exists():
        return
    try:
        reads = runtime_config_vars(config.read_text(encoding="utf-8"))
    except SyntaxError as exc:
        ctx.add(ctx.paths.rel(config), (exc.lineno or 0, 0), "CT-SYNTAX", f"{exc.msg}", "")
        return
    for name, line in sorted(reads.items()):
        if name not in entries:
            ctx.add(
                ctx.paths.rel(config),
                (line, 1),
                "ENV-TEMPLATE-MISSING",
                f"{name} is read here but not declared in {rel}",
                f"add `{name}=<...>` to the template",
            )


def rule_plaintext_secrets(ctx: Context) -> None:
    from supersetctl.secrets import scan_text

    docs = [d for d in (ctx.spec_doc, ctx.manifest_doc) if d is not None]
    docs.extend(ctx.config_docs[e] for e in ctx.envs if e in ctx.config_docs)
    for doc in docs:
        ctx.findings.extend(scan_text(doc.text, doc.path))
    template = ctx.paths.env_example
    if template.exists():
        rel = ctx.paths.rel(template)
        ctx.findings.extend(scan_text(template.read_text(encoding="utf-8"), rel))


ALL_RULES: tuple[Callable[[Context], None], ...] = (
    rule_layout,
    rule_manifest,
    rule_spec_images,
    rule_spec_runtime,
    rule_spec_secrets,
    rule_configs,
    rule_clusters,
    rule_provisioning_vars,
    rule_env_template,
    rule_plaintext_secrets,
)


def validate_repo(paths: RepoPaths, envs: Sequence[str] = ENVIRONMENTS) -> list[Finding]:
    """Every finding for ``envs``, sorted by file and line."""
    ctx = Context(paths=paths, envs=list(envs))
    _load(ctx)
    for rule in ALL_RULES:
        rule(ctx)
    return sort_findings(ctx.findings)
