"""Load the contract's typed files, turning schema errors into located findings or errors."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from supersetctl.errors import ConfigError
from supersetctl.findings import Finding
from supersetctl.paths import ENVIRONMENTS, RepoPaths
from supersetctl.yamlio import Document, load_document

from .models import EnvConfig, Manifest

M = TypeVar("M", bound=BaseModel)


def schema_findings(doc: Document, exc: ValidationError, rule: str) -> list[Finding]:
    """One finding per pydantic error, located at the offending key."""
    out = []
    for err in exc.errors(include_url=False):
        loc = tuple(str(p) if isinstance(p, str) else p for p in err["loc"])
        line, col = doc.positions.of(loc)
        where = ".".join(str(p) for p in loc) or "(document)"
        kind = err["type"]
        if kind == "extra_forbidden":
            message = f"unknown key '{where}'"
            fix = "remove it or check its spelling against the schema"
        elif kind == "missing":
            message = f"missing key '{where}'"
            fix = "add it; see infra/superset/schemas/"
        else:
            message = f"'{where}': {err['msg']}"
            fix = "see infra/superset/schemas/ for the allowed values"
        out.append(Finding(doc.path, line, col, rule, message, fix))
    return out


def _load(paths: RepoPaths, file: Path, model: type[M], rule: str) -> tuple[Document, M]:
    doc = load_document(file, paths.rel(file))
    try:
        return doc, model.model_validate(doc.data)
    except ValidationError as exc:
        first = schema_findings(doc, exc, rule)[0]
        raise ConfigError(first.message, path=first.path, line=first.line, hint=first.fix) from None


def load_manifest(paths: RepoPaths) -> Manifest:
    """``infra/superset/manifest.json`` as a :class:`Manifest`; :class:`ConfigError` if invalid."""
    return _load(paths, paths.manifest, Manifest, "CT-SCHEMA")[1]


def load_env_config(paths: RepoPaths, env: str) -> EnvConfig:
    """``config/<env>/environment.yaml`` as an :class:`EnvConfig`; ConfigError if invalid."""
    if env not in ENVIRONMENTS:
        raise ConfigError(
            f"unknown environment '{env}'", hint=f"use one of: {', '.join(ENVIRONMENTS)}"
        )
    return _load(paths, paths.env_config(env), EnvConfig, "CT-SCHEMA")[1]
