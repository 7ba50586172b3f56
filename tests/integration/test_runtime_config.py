"""The real Superset 6.1.0 runtime refuses to start on an unsafe configuration.

Each case loads Superset's own config module (which executes image/superset_config.py through
SUPERSET_CONFIG_PATH, exactly as the server does) in the pinned runtime venv.
"""

from __future__ import annotations

import secrets
import subprocess
from pathlib import Path

import pytest

from tests.support.helpers import REPO_ROOT

pytestmark = pytest.mark.integration

CONFIG = REPO_ROOT / "image" / "superset_config.py"
TLS_URL = "postgresql://u:pw@db.example.invalid:25060/superset?sslmode=require"


def _load(venv: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import superset.config as c; print(c.SUPERSET_ENV)"],
        env={"PATH": "/usr/bin:/bin", "SUPERSET_CONFIG_PATH": str(CONFIG), **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SUPERSET_METADATA_DB_URL": TLS_URL}, "SUPERSET_SECRET_KEY is not set"),
        (
            {"SUPERSET_SECRET_KEY": "too-short-key", "SUPERSET_METADATA_DB_URL": TLS_URL},
            "shorter than 32 bytes",
        ),
        (
            {"SUPERSET_SECRET_KEY": "thisISaSECRET_1234", "SUPERSET_METADATA_DB_URL": TLS_URL},
            "published default keys",
        ),
        (
            {
                "SUPERSET_ENV": "prod",
                "SUPERSET_SECRET_KEY": secrets.token_urlsafe(42),
                "SUPERSET_METADATA_DB_URL": "postgresql://u:pw@db.example.invalid/superset",
            },
            "must use TLS outside dev",
        ),
    ],
    ids=["missing-key", "short-key", "default-key", "prod-without-tls"],
)
def test_superset_refuses_to_start(
    superset_runtime: Path, env: dict[str, str], message: str
) -> None:
    r = _load(superset_runtime, env)
    assert r.returncode == 1
    assert message in r.stderr
    assert "superset_config: refusing to start:" in r.stderr


def test_superset_loads_a_good_prod_config(superset_runtime: Path) -> None:
    r = _load(
        superset_runtime,
        {"SUPERSET_SECRET_KEY": secrets.token_urlsafe(42), "SUPERSET_METADATA_DB_URL": TLS_URL},
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip().splitlines()[-1] == "prod"
