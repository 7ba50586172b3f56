"""What every ``validate`` rule reads: the repo's parsed files, and where findings go."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from supersetctl.errors import ConfigError
from supersetctl.findings import Finding, Severity
from supersetctl.paths import ENVIRONMENTS, RepoPaths
from supersetctl.yamlio import Document, KeyPath, load_document

from .appspec import AppSpec
from .loader import schema_findings
from .models import EnvConfig, Manifest

M = TypeVar("M", bound=BaseModel)


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


def _validated(
    ctx: Context, doc: Document, model: type[M], rule: str, report: bool = True
) -> M | None:
    """``doc`` as ``model``; schema errors become findings (when ``report``) and None."""
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        if report:
            ctx.findings.extend(schema_findings(doc, exc, rule))
        return None


def _load(ctx: Context) -> None:
    doc = _parse(ctx, ctx.paths.manifest)
    if doc is not None:
        ctx.manifest_doc = doc
        ctx.manifest = _validated(ctx, doc, Manifest, "CT-SCHEMA")
    doc = _parse(ctx, ctx.paths.app_spec)
    if doc is not None:
        ctx.spec_doc = doc
        ctx.spec = _validated(ctx, doc, AppSpec, "AP-SCHEMA")
    # every config is loaded: the spec describes prod, and clusters must not be shared
    for env in ENVIRONMENTS:
        doc = _parse(ctx, ctx.paths.env_config(env))
        if doc is None:
            continue
        ctx.config_docs[env] = doc
        config = _validated(ctx, doc, EnvConfig, "CT-SCHEMA", report=env in ctx.envs)
        if config is not None:
            ctx.configs[env] = config


def load_context(paths: RepoPaths, envs: Sequence[str]) -> Context:
    """Parse every file the rules read; parse and schema errors are findings already."""
    ctx = Context(paths=paths, envs=list(envs))
    _load(ctx)
    return ctx
