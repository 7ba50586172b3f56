"""The committed JSON Schemas are generated from the models and are never stale."""

from __future__ import annotations

import json

from supersetctl.contract.schemas import check_schemas, expected_schemas
from supersetctl.paths import RepoPaths
from tests.support.helpers import REPO_ROOT


def test_committed_schemas_are_fresh() -> None:
    stale = check_schemas(RepoPaths(REPO_ROOT))
    assert stale == [], "run `make schemas` (supersetctl schema --write) and commit"


def test_schemas_are_deterministic_json() -> None:
    first, second = expected_schemas(), expected_schemas()
    assert first == second
    for text in first.values():
        doc = json.loads(text)
        assert doc["$schema"].endswith("2020-12/schema")
        assert doc["additionalProperties"] is False


def test_check_jsonschema_accepts_committed_files(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys
    from pathlib import Path

    from ruamel.yaml import YAML

    exe = Path(sys.executable).parent / "check-jsonschema"
    for env in ("dev", "staging", "prod"):
        data = YAML(typ="safe").load(REPO_ROOT / "config" / env / "environment.yaml")
        as_json = tmp_path / f"{env}.json"
        as_json.write_text(json.dumps(data))
        result = subprocess.run(
            [
                str(exe),
                "--schemafile",
                str(REPO_ROOT / "infra/superset/schemas/environment.schema.json"),
                str(as_json),
            ],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stdout + result.stderr
    result = subprocess.run(
        [
            str(exe),
            "--schemafile",
            str(REPO_ROOT / "infra/superset/schemas/manifest.schema.json"),
            str(REPO_ROOT / "infra/superset/manifest.json"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
