"""JSON Schemas generated from the typed models, committed for editors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from supersetctl.fsutil import atomic_write_many
from supersetctl.paths import RepoPaths

from .models import EnvConfig, Manifest

SCHEMAS: dict[str, type[BaseModel]] = {
    "manifest.schema.json": Manifest,
    "environment.schema.json": EnvConfig,
}


def render_schema(model: type[BaseModel]) -> str:
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **model.model_json_schema(),
    }
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def expected_schemas() -> dict[str, str]:
    return {name: render_schema(model) for name, model in SCHEMAS.items()}


def check_schemas(paths: RepoPaths) -> list[str]:
    """The committed schema files that differ from what the models generate."""
    stale = []
    for name, text in expected_schemas().items():
        file = paths.schemas / name
        if not file.exists() or file.read_text(encoding="utf-8") != text:
            stale.append(paths.rel(file))
    return stale


def write_schemas(paths: RepoPaths) -> list[str]:
    """Rewrite the stale schema files, all or none."""
    changes: dict[Path, str] = {}
    for name, text in expected_schemas().items():
        file = paths.schemas / name
        if not file.exists() or file.read_text(encoding="utf-8") != text:
            changes[file] = text
    atomic_write_many(changes)
    return [paths.rel(file) for file in changes]
