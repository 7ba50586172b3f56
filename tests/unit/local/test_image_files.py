"""The runtime image definition: Dockerfile, compose.yaml, the pinned requirements, env template.

Docker cannot run on these machines: compose.yaml is checked against the Compose
Specification's JSON Schema (the copy check-jsonschema ships as ``vendor.compose-spec``).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from supersetctl.contract.validate import env_template_entries, runtime_config_vars
from supersetctl.yamlio import load_document

ROOT = Path(__file__).resolve().parents[3]
IMAGE = ROOT / "image"
MANIFEST = json.loads((ROOT / "infra" / "superset" / "manifest.json").read_text())
BASE_DIGEST = MANIFEST["base_image"]["digest"]


def _pins(text: str) -> dict[str, str]:
    return {
        m.group(1).lower(): m.group(2)
        for m in re.finditer(r"^([A-Za-z0-9_.\-]+)==(\S+)", text, re.MULTILINE)
    }


def test_compose_matches_the_compose_spec_schema() -> None:
    r = subprocess.run(
        [
            str(Path(sys.executable).parent / "check-jsonschema"),
            "--builtin-schema",
            "vendor.compose-spec",
            str(IMAGE / "compose.yaml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_compose_has_the_services_the_runtime_needs() -> None:
    doc = load_document(IMAGE / "compose.yaml", "image/compose.yaml").data
    services = doc["services"]
    assert {"postgres", "redis", "superset-migrate", "superset", "superset-worker"} <= set(services)
    web = services["superset"]
    assert web["depends_on"]["superset-migrate"]["condition"] == "service_completed_successfully"
    assert web["ports"] == ["127.0.0.1:8088:8088"]
    assert "/health" in " ".join(web["healthcheck"]["test"])
    for name, svc in services.items():
        assert not str(svc["image"]).endswith(":latest"), name
    assert "${SUPERSET_IMAGE:?" in (IMAGE / "compose.yaml").read_text()


def test_dockerfile_pins_the_base_by_the_manifest_digest() -> None:
    text = (IMAGE / "Dockerfile").read_text()
    assert f"apache/superset:6.1.0@{BASE_DIGEST}" in text
    assert re.search(r"^USER superset$", text, re.MULTILINE)
    assert "HEALTHCHECK" in text and "/health" in text
    assert "--require-hashes" in text and "requirements.txt" in text
    assert "org.opencontainers.image.base.digest" in text
    assert "COPY superset_config.py" in text


def test_requirements_are_pinned_with_hashes_and_include_the_missing_imports() -> None:
    text = (IMAGE / "requirements.txt").read_text()
    pins = _pins(text)
    assert pins["apache-superset"] == "6.1.0"
    for needed in ("psycopg2-binary", "cachetools", "rich", "gunicorn", "redis"):
        assert needed in pins, needed
    assert pins["flask-caching"] == "2.3.1"  # 2.5.1 breaks `superset db upgrade`
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n\n", 1)[-1])
    for block in blocks:
        if "==" in block:
            assert "--hash=sha256:" in block, block.splitlines()[0]


def test_requirements_follow_the_upstream_constraints() -> None:
    constraints = _pins((IMAGE / "constraints.txt").read_text())
    pins = _pins((IMAGE / "requirements.txt").read_text())
    differ = {
        k: (v, constraints[k]) for k, v in pins.items() if k in constraints and constraints[k] != v
    }
    assert differ == {}


def test_env_template_declares_every_variable_the_config_reads() -> None:
    reads = runtime_config_vars((IMAGE / "superset_config.py").read_text())
    entries = env_template_entries(
        (ROOT / "infra" / "superset" / "env" / ".env.superset.example").read_text()
    )
    assert set(reads) <= set(entries)
    assert {"SUPERSET_SECRET_KEY", "SUPERSET_METADATA_DB_URL", "REDIS_URL"} <= set(reads)
