"""``validate``: load the whole contract and report every break of it as a finding.

Each rule is a function of a :class:`~supersetctl.contract.context.Context` that appends
findings: ``rules_spec`` (layout, manifest, App Platform spec) and ``rules_env`` (environments,
provisioning variables, env template, plaintext secrets). :data:`RULES` lists every rule id with
a one-line description (used by ``--sarif`` and the docs). Parse errors are findings too
(``CT-SYNTAX``), so one broken file does not hide the rest.
"""

from collections.abc import Callable, Sequence

from supersetctl.findings import Finding, sort_findings
from supersetctl.paths import ENVIRONMENTS, RepoPaths

from .context import Context, load_context
from .rules_embed import rule_embedding
from .rules_env import (
    env_template_entries,
    rule_clusters,
    rule_configs,
    rule_env_template,
    rule_plaintext_secrets,
    rule_provisioning_exclude,
    rule_provisioning_vars,
    rule_tls_verify,
    runtime_config_vars,
    var_refs,
)
from .rules_spec import (
    rule_layout,
    rule_manifest,
    rule_spec_images,
    rule_spec_registry,
    rule_spec_runtime,
    rule_spec_secrets,
    rule_spec_vpc,
)

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
    "AP-REGISTRY-CREDENTIALS": "an image block's registry_credentials is plaintext (or on DOCR)",
    "AP-VPC": "a database is reached at a private-* host but the spec declares no vpc",
    "CFG-ENV-NAME": "the environment field differs from its folder",
    "CFG-SSLMODE": "a staging or prod database connection does not require TLS",
    "CFG-TLS-VERIFY": "a CA is configured (tls:) but staging or prod does not verify with it",
    "CFG-READ-ONLY": "prod does not use a dedicated read-only role with strict read-only on",
    "CFG-HTTPS": "a staging or prod Superset URL is not https",
    "CFG-SEED": "seed data is enabled outside dev",
    "CFG-MASKING": "staging does not mask personal data",
    "CFG-CLUSTERS": "an environment would attach to another environment's managed database",
    "CFG-ADMIN-ROLE": "a database connection uses an administrative role (postgres, service_role)",
    "CFG-SUPABASE": "a Supabase pooler connection lacks the project_ref that routes its login",
    "CFG-EXCLUDE": "a provisioning.exclude pattern matches no provisioning file",
    "CFG-GUEST-SECRET": "the guest-token secret is the Flask secret key (or a value in the file)",
    "CFG-CSRF": "CSRF protection is off, or explore views are exempted from it",
    "CFG-EMBED-ORIGINS": "embedding is on but no host origin may frame Superset",
    "EMBED-CONFIG": "config/<env>/embed.yaml breaks its schema (allowlist, RLS templates)",
    "EMBED-NOT-EMBEDDABLE": "the broker allowlists a dashboard git does not make embeddable",
    "PV-UNDECLARED-VAR": "a ${VAR} under provisioning/ is not declared for an environment",
    "ENV-TEMPLATE-MISSING": "the runtime config reads a variable the env template lacks",
    "ENV-TEMPLATE-VALUE": "the env template holds a value that is not a placeholder",
    "SEC-*": "a plaintext credential in the spec, a config or a template (see `scan`)",
}

ALL_RULES: tuple[Callable[[Context], None], ...] = (
    rule_layout,
    rule_manifest,
    rule_spec_images,
    rule_spec_runtime,
    rule_spec_secrets,
    rule_spec_registry,
    rule_spec_vpc,
    rule_configs,
    rule_tls_verify,
    rule_clusters,
    rule_provisioning_exclude,
    rule_provisioning_vars,
    rule_env_template,
    rule_plaintext_secrets,
    rule_embedding,
)


def validate_repo(
    paths: RepoPaths,
    envs: Sequence[str] = ENVIRONMENTS,
    *,
    more: Sequence[Callable[[RepoPaths], list[Finding]]] = (),
) -> list[Finding]:
    """Every finding for ``envs``, sorted by file and line; ``more`` adds the findings of
    rules kept by a capability above this one (the provisioning files' rules:
    :func:`supersetctl.provision.lint.layout_findings`)."""
    ctx = load_context(paths, envs)
    for rule in ALL_RULES:
        rule(ctx)
    for extra in more:
        ctx.findings.extend(extra(paths))
    return sort_findings(ctx.findings)


__all__ = [
    "ALL_RULES",
    "RULES",
    "Context",
    "env_template_entries",
    "runtime_config_vars",
    "validate_repo",
    "var_refs",
]
