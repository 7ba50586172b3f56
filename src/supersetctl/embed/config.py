"""Loading ``config/<env>/embed.yaml`` (its model, with an annotated example, is
:mod:`supersetctl.contract.embedfile`, where ``validate`` checks it too)."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from supersetctl.contract.embedfile import (
    PARAM,
    Caller,
    Companies,
    Dashboard,
    EmbedConfig,
    RlsRule,
    ServiceUser,
)
from supersetctl.contract.loader import schema_findings
from supersetctl.errors import ConfigError
from supersetctl.paths import RepoPaths
from supersetctl.yamlio import load_document

__all__ = [
    "PARAM",
    "Caller",
    "Companies",
    "Dashboard",
    "EmbedConfig",
    "RlsRule",
    "ServiceUser",
    "embed_file",
    "load_embed_config",
]


def embed_file(paths: RepoPaths, env: str) -> Path:
    return paths.config_dir(env) / "embed.yaml"


def load_embed_config(paths: RepoPaths, env: str) -> EmbedConfig:
    """``config/<env>/embed.yaml`` as an :class:`EmbedConfig`; ConfigError (file, line, fix)
    when it is missing or invalid."""
    file = embed_file(paths, env)
    rel = paths.rel(file)
    if not file.exists():
        raise ConfigError(
            f"{rel} does not exist: embedding is not configured for {env}",
            hint="see docs/embedding.md for an annotated example",
        )
    doc = load_document(file, rel)
    try:
        return EmbedConfig.model_validate(doc.data)
    except ValidationError as exc:
        first = schema_findings(doc, exc, "EMBED-CONFIG")[0]
        raise ConfigError(
            first.message, path=first.path, line=first.line, hint="see docs/embedding.md"
        ) from None
