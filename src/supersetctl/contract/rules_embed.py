"""``validate`` rules of embedded dashboards: the guest-token secret, CSRF, the framing origins,
and ``config/<env>/embed.yaml``.

Read statically: ``image/superset_config.py`` (its AST: what it assigns, never run), the App
Platform spec (which variables each component gets) and the embed files. The runtime config
refuses the same mistakes when it starts (a guest secret equal to the Flask key, embedding
without origins); these rules say so in review, before anything is deployed.
"""

from __future__ import annotations

import ast
import fnmatch
import re
from collections.abc import Iterator

from pydantic import ValidationError

from supersetctl.errors import ConfigError
from supersetctl.yamlio import Document, load_document

from .appspec import EnvVar
from .context import Context
from .embedfile import EmbedConfig
from .loader import schema_findings

GUEST_SECRET_VAR = "SUPERSET_GUEST_TOKEN_SECRET"
FLASK_SECRET_VAR = "SUPERSET_SECRET_KEY"
ORIGINS_VAR = "SUPERSET_EMBED_ALLOWED_ORIGINS"
# Superset's own exemptions (6.1 config.py): chart data, the screenshot cache, the legacy
# explore_json, the log and samples endpoints. Anything else with "explore" is a choice.
SUPERSET_CSRF_EXEMPT = frozenset(
    {
        "superset.charts.data.api.data",
        "superset.dashboards.api.cache_dashboard_screenshot",
        "superset.views.core.explore_json",
        "superset.views.core.log",
        "superset.views.datasource.views.samples",
    }
)


def _assignments(tree: ast.Module, name: str) -> Iterator[tuple[ast.AST, ast.expr]]:
    """``(node, value)`` for each top-level or nested ``name = value`` / ``name += value``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id == name:
                    yield node, node.value
        elif (
            isinstance(node, ast.AugAssign | ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.target.id == name
            and node.value is not None
        ):
            yield node, node.value
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("append", "extend", "insert")
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == name
            and node.args
        ):
            yield node, node.args[-1]


def _strings(node: ast.expr) -> list[str]:
    return [
        n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]


def _reads(node: ast.expr, var: str) -> bool:
    """Whether ``node`` reads the environment variable ``var``: a call given it as a string
    (``os.environ.get``, ``os.getenv``, a helper) or a subscript (``os.environ[...]``)."""
    for n in ast.walk(node):
        if isinstance(n, ast.Call) and any(
            isinstance(a, ast.Constant) and a.value == var for a in n.args
        ):
            return True
        if (
            isinstance(n, ast.Subscript)
            and isinstance(n.slice, ast.Constant)
            and n.slice.value == var
        ):
            return True
    return False


def _config_rules(ctx: Context) -> None:
    file = ctx.paths.superset_config
    if not file.exists():
        return
    rel = ctx.paths.rel(file)
    try:
        tree = ast.parse(file.read_text(encoding="utf-8"))
    except SyntaxError:
        return  # ENV-TEMPLATE-MISSING's reader reports it as CT-SYNTAX
    for node, value in _assignments(tree, "GUEST_TOKEN_JWT_SECRET"):
        names = {n.id for n in ast.walk(value) if isinstance(n, ast.Name)}
        literal = isinstance(value, ast.Constant)
        if "SECRET_KEY" in names or _reads(value, FLASK_SECRET_VAR) or literal:
            ctx.add(
                rel,
                (getattr(node, "lineno", 0), getattr(node, "col_offset", 0) + 1),
                "CFG-GUEST-SECRET",
                "GUEST_TOKEN_JWT_SECRET is the Flask secret key or a value in the file: a guest "
                "token's secret would then also sign sessions (or be public)",
                f"read it from its own variable, {GUEST_SECRET_VAR}",
            )
    for node, value in _assignments(tree, "WTF_CSRF_ENABLED"):
        if isinstance(value, ast.Constant) and value.value is False:
            ctx.add(
                rel,
                (getattr(node, "lineno", 0), 1),
                "CFG-CSRF",
                "WTF_CSRF_ENABLED = False turns CSRF protection off for every form and API call",
                "keep WTF_CSRF_ENABLED = True; embedded dashboards do not need it off",
            )
    for node, value in _assignments(tree, "WTF_CSRF_EXEMPT_LIST"):
        extra = sorted(
            s for s in _strings(value) if "explore" in s.lower() and s not in SUPERSET_CSRF_EXEMPT
        )
        if extra:
            ctx.add(
                rel,
                (getattr(node, "lineno", 0), 1),
                "CFG-CSRF",
                f"WTF_CSRF_EXEMPT_LIST exempts {', '.join(extra)} from CSRF protection",
                "remove the exemption; embedded dashboards need none beyond Superset's defaults",
            )


def _spec_rules(ctx: Context) -> None:
    spec, doc = ctx.spec, ctx.spec_doc
    if spec is None or doc is None:
        return
    app_level = {v.key: v for v in spec.envs}
    for kind, i, comp in spec.components():
        merged = {**app_level, **{v.key: v for v in comp.envs}}
        guest = merged.get(GUEST_SECRET_VAR)
        flags = merged.get("SUPERSET_FEATURE_FLAGS")
        flag_on = bool(
            flags
            and flags.value
            and "EMBEDDED_SUPERSET=TRUE" in flags.value.upper().replace(" ", "")
        )
        if guest is None and not flag_on:
            continue
        where = _where(ctx, kind, i, comp.envs, spec.envs, GUEST_SECRET_VAR)
        flask = merged.get(FLASK_SECRET_VAR)
        if (
            guest is not None
            and guest.value
            and (
                guest.value in (f"${{{FLASK_SECRET_VAR}}}", f"${FLASK_SECRET_VAR}")
                or (flask is not None and flask.value and guest.value == flask.value)
            )
        ):
            ctx.add(
                doc.path,
                where,
                "CFG-GUEST-SECRET",
                f"{kind}[{comp.name}]: {GUEST_SECRET_VAR} has the value of {FLASK_SECRET_VAR}",
                "generate a separate secret (openssl rand -base64 42); Superset refuses to start",
            )
        origins = merged.get(ORIGINS_VAR)
        if origins is None or not (origins.value or "").strip():
            ctx.add(
                doc.path,
                where,
                "CFG-EMBED-ORIGINS",
                f"{kind}[{comp.name}] turns embedding on but sets no {ORIGINS_VAR}: no host "
                "could frame a dashboard (and Superset refuses to start outside dev)",
                f"set {ORIGINS_VAR} to the host origins, e.g. https://erp.example.com",
            )


def _where(
    ctx: Context, kind: str, i: int, comp_envs: list[EnvVar], app_envs: list[EnvVar], key: str
) -> tuple[int, int]:
    assert ctx.spec_doc is not None
    for j, var in enumerate(comp_envs):
        if var.key == key:
            return ctx.at(ctx.spec_doc, (kind, i, "envs", j))
    for j, var in enumerate(app_envs):
        if var.key == key:
            return ctx.at(ctx.spec_doc, ("envs", j))
    return ctx.at(ctx.spec_doc, (kind, i))


def _embed_files(ctx: Context) -> None:
    for env in ctx.envs:
        file = ctx.paths.config_dir(env) / "embed.yaml"
        if not file.exists():
            continue
        rel = ctx.paths.rel(file)
        try:
            doc = load_document(file, rel)
        except ConfigError as exc:
            ctx.add(rel, (exc.line or 0, 0), "CT-SYNTAX", exc.message, exc.hint or "")
            continue
        try:
            embed = EmbedConfig.model_validate(doc.data)
        except ValidationError as exc:
            ctx.findings.extend(schema_findings(doc, exc, "EMBED-CONFIG"))
            continue
        _embeddable(ctx, env, doc, embed)


_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


def _not_embeddable(ctx: Context, env: str, rel: str) -> str | None:
    """Why ``dashboard_access/<slug>.yaml`` does not make the dashboard embeddable in ``env``
    (None when it does)."""
    cfg = ctx.configs.get(env)
    if any(fnmatch.fnmatchcase(rel, p) for p in (cfg.provisioning.exclude if cfg else [])):
        return f"config/{env} leaves {rel} out (provisioning.exclude)"
    file = ctx.paths.provisioning / rel
    if not file.exists():
        return f"there is no infra/superset/provisioning/{rel}"
    try:
        data = load_document(file, ctx.paths.rel(file)).data
    except ConfigError:
        return None  # the provisioning rules report a file that does not parse
    embedded = data.get("embedded") if isinstance(data, dict) else None
    if isinstance(embedded, dict) and embedded.get("allowed_domains"):
        return None
    return f"{rel} does not embed it (embedded: false, or no allowed_domains)"


def _embeddable(ctx: Context, env: str, doc: Document, embed: EmbedConfig) -> None:
    """Every dashboard the broker allowlists by slug is embeddable from git in ``env``:
    otherwise the broker finds no embedded uuid and answers 502 for it."""
    for i, entry in enumerate(embed.dashboards):
        if _UUID.match(entry.dashboard):
            continue  # named by its embedded uuid: only the instance knows that one
        why = _not_embeddable(ctx, env, f"dashboard_access/{entry.dashboard}.yaml")
        if why:
            ctx.add(
                doc.path,
                ctx.at(doc, ("dashboards", i, "dashboard")),
                "EMBED-NOT-EMBEDDABLE",
                f"the broker allowlists dashboard {entry.dashboard}, but {why}: it would "
                "answer 502 for it",
                "give the dashboard `embedded: {allowed_domains: [...]}` in its "
                "dashboard_access file, or take it out of this allowlist",
            )


def rule_embedding(ctx: Context) -> None:
    _config_rules(ctx)
    _spec_rules(ctx)
    _embed_files(ctx)
