"""``validate`` rules of the environments: configs, clusters, provisioning variables, the env
template and plaintext secrets."""

from __future__ import annotations

import ast
import fnmatch
import re
from collections.abc import Iterator
from pathlib import Path

from supersetctl.findings import Severity
from supersetctl.paths import ENVIRONMENTS, RepoPaths

from .context import Context

PRIVILEGED_ROLES = frozenset({"postgres", "doadmin", "odoo", "admin", "root", "superuser"})
# administrative or API roles of a managed PostgreSQL: DigitalOcean's and Supabase's. Superset
# never connects as one of them, in any environment.
ADMIN_ROLES = frozenset(
    {
        "postgres",
        "doadmin",
        "service_role",
        "supabase_admin",
        "supabase_auth_admin",
        "supabase_storage_admin",
        "supabase_functions_admin",
        "supabase_replication_admin",
        "authenticator",
        "dashboard_user",
        "pgbouncer",
        "anon",
        "authenticated",
    }
)

_VAR_REF = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?::[-?][^}]*)?\}")
_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


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
        _database_roles(ctx, env)
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
                if db.user in ADMIN_ROLES:
                    continue  # CFG-ADMIN-ROLE says it, in every environment
                if db.user in PRIVILEGED_ROLES or db.user == cfg.access.owner_role:
                    ctx.add(
                        doc.path,
                        ctx.at(doc, ("databases", key, "user")),
                        "CFG-READ-ONLY",
                        f"database {key} connects as '{db.user}', not a dedicated read-only role",
                        "use the read-only role that `supersetctl db apply` creates",
                    )


def _database_roles(ctx: Context, env: str) -> None:
    """No environment connects as an administrative role; a Supabase pooler needs the
    project's ref to route the login."""
    cfg, doc = ctx.configs[env], ctx.config_docs[env]
    for key, db in cfg.databases.items():
        if db.user in ADMIN_ROLES:
            ctx.add(
                doc.path,
                ctx.at(doc, ("databases", key, "user")),
                "CFG-ADMIN-ROLE",
                f"database {key} connects as '{db.user}', an administrative role that can "
                "write (or bypass row-level security)",
                "create a read-only login role for Superset and name it here "
                "(`supersetctl db apply` makes one on Odoo's database)",
            )
        pooler = db.host.lower().endswith(".pooler.supabase.com")
        if pooler and not db.project_ref:
            ctx.add(
                doc.path,
                ctx.at(doc, ("databases", key, "host")),
                "CFG-SUPABASE",
                f"database {key} goes through Supabase's pooler without a project_ref: the "
                "pooler routes a login by user.project_ref",
                f"set kind: supabase and project_ref: <your project's ref> under databases.{key}",
            )


def rule_provisioning_exclude(ctx: Context) -> None:
    """Every ``provisioning.exclude`` pattern leaves out at least one file (a typo would leave
    the file in, and with it variables the environment does not declare)."""
    root = ctx.paths.provisioning
    rels = [f.relative_to(root).as_posix() for f in _provisioning_files(ctx.paths)]
    for env in ctx.envs:
        cfg, doc = ctx.configs.get(env), ctx.config_docs.get(env)
        if cfg is None or doc is None:
            continue
        for i, pattern in enumerate(cfg.provisioning.exclude):
            if not any(fnmatch.fnmatchcase(r, pattern) for r in rels):
                ctx.add(
                    doc.path,
                    ctx.at(doc, ("provisioning", "exclude", i)),
                    "CFG-EXCLUDE",
                    f"provisioning.exclude '{pattern}' matches no file under "
                    "infra/superset/provisioning/",
                    "fix the pattern (relative to infra/superset/provisioning/, e.g. "
                    "databases/supabase.yaml) or remove it",
                    Severity.WARNING,  # a typo that leaves a file in is PV-UNDECLARED-VAR's
                )


CA_ENV = "SUPERSET_CA_CERT"  # what image/superset_config.py reads
_VERIFYING = ("verify-ca", "verify-full")


def rule_tls_verify(ctx: Context) -> None:
    """Once the CA is configured (``tls:``), staging and prod verify their servers with it."""
    for env in ctx.envs:
        cfg, doc = ctx.configs.get(env), ctx.config_docs.get(env)
        if cfg is None or doc is None or cfg.tls is None or env not in ("staging", "prod"):
            continue
        for key, db in cfg.databases.items():
            if db.sslmode.value not in _VERIFYING:
                ctx.add(
                    doc.path,
                    ctx.at(doc, ("databases", key, "sslmode")),
                    "CFG-TLS-VERIFY",
                    f"database {key} uses sslmode={db.sslmode.value} although tls: gives the "
                    "CA (the connection is encrypted but the server is not verified)",
                    "set sslmode: verify-full (verify-ca when the host name differs from the "
                    "certificate's)",
                )
        for i, secret in enumerate(cfg.secrets):
            if secret.name == "SUPERSET_METADATA_DB_URL" and "sslmode=require" in (
                secret.description
            ):
                ctx.add(
                    doc.path,
                    ctx.at(doc, ("secrets", i, "description")),
                    "CFG-TLS-VERIFY",
                    "the metadata URL is described as sslmode=require, but with tls: the "
                    "runtime verifies it (verify-full with the CA)",
                    "describe it as sslmode=verify-full (the runtime upgrades require)",
                )
        spec = ctx.spec
        if spec is not None and not any(e.key == CA_ENV for e in spec.envs):
            ctx.add(
                doc.path,
                ctx.at(doc, ("tls",)),
                "CFG-TLS-VERIFY",
                f"tls: is set but the app spec does not give {CA_ENV} to the runtime",
                f"add to the spec's envs: `- key: {CA_ENV}` with `value: ${{metadata.CA_CERT}}`",
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
    root = ctx.paths.provisioning
    for file in _provisioning_files(ctx.paths):
        rel = ctx.paths.rel(file)
        in_prov = file.relative_to(root).as_posix()
        text = file.read_text(encoding="utf-8")
        for name, line, col in var_refs(text):
            for env in ctx.envs:
                cfg = ctx.configs.get(env)
                if cfg is None:
                    continue
                if any(fnmatch.fnmatchcase(in_prov, p) for p in cfg.provisioning.exclude):
                    continue  # not applied in this environment
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
