"""image/compose.yaml with the env template copied to .env, as its header tells a user to do.

Docker cannot run here: the file's own variable substitution (the Compose Specification's
``${VAR}``, ``${VAR:-default}``, ``${VAR:?message}``, nested) is done by a small resolver, and
the resulting environment is given to the real ``image/superset_config.py``, which refuses to
start on the configurations Superset would refuse.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

from supersetctl.contract.validate import env_template_entries
from supersetctl.yamlio import load_document

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "image" / "compose.yaml"
TEMPLATE = ROOT / "infra" / "superset" / "env" / ".env.superset.example"
CONFIG = ROOT / "image" / "superset_config.py"


class Unset(Exception):
    pass


def interpolate(value: str, variables: dict[str, str]) -> str:
    """Compose's substitution of one value (``$$`` is a literal ``$``)."""
    out, i = [], 0
    while i < len(value):
        if value.startswith("$$", i):
            out.append("$")
            i += 2
        elif value.startswith("${", i):
            depth, j = 1, i + 2
            while depth:
                depth += {"{": 1, "}": -1}.get(value[j], 0)
                j += 1
            out.append(_expression(value[i + 2 : j - 1], variables))
            i = j
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def _expression(expr: str, variables: dict[str, str]) -> str:
    m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])(.*))?$", expr, re.DOTALL)
    assert m, expr
    name, op, rest = m.group(1), m.group(2), m.group(3) or ""
    value = variables.get(name)
    if op == ":-":
        return value if value else interpolate(rest, variables)
    if op == ":?":
        if not value:
            raise Unset(f"{name}: {interpolate(rest, variables)}")
        return value
    return value or ""


def _dotenv(extra: dict[str, str]) -> dict[str, str]:
    """``cp .env.superset.example .env`` with the secrets filled in (fake values)."""
    variables: dict[str, str] = {}
    for key, (_line, value) in env_template_entries(TEMPLATE.read_text()).items():
        variables[key] = interpolate(value, variables)
    variables.update(extra)
    return variables


def _superset_environment(variables: dict[str, str]) -> dict[str, str]:
    doc = load_document(COMPOSE, "image/compose.yaml").data
    env = doc["x-superset"]["environment"]
    return {key: interpolate(str(value), variables) for key, value in env.items()}


def _config_starts(environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPERSET_")}
    env.update(environment)
    env.pop("REDIS_URL", None)  # the cache client is not installed here; not what is checked
    code = f"import runpy; runpy.run_path({str(CONFIG)!r})"
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )


def test_the_template_copied_to_dotenv_runs_the_bundled_stack() -> None:
    filled = {
        "SUPERSET_SECRET_KEY": secrets.token_urlsafe(42),
        "POSTGRES_PASSWORD": secrets.token_urlsafe(16),
    }
    variables = _dotenv(filled)
    assert variables["SUPERSET_ENV"] == "prod"  # what the template says, for App Platform
    environment = _superset_environment(variables)
    assert environment["SUPERSET_ENV"] == "dev"  # the bundled PostgreSQL has no TLS
    assert "@postgres:5432/superset" in environment["SUPERSET_METADATA_DB_URL"]
    started = _config_starts(environment)
    assert started.returncode == 0, started.stderr
    # the conflict this avoids: the same stack as prod is refused by the configuration
    refused = _config_starts({**environment, "SUPERSET_ENV": "prod"})
    assert refused.returncode == 1 and "must use TLS outside dev" in refused.stderr


def test_production_mode_takes_an_external_tls_database() -> None:
    url = "postgresql+psycopg2://superset:{}@db.example.invalid:25060/superset?sslmode=require"
    variables = _dotenv(
        {
            "SUPERSET_SECRET_KEY": secrets.token_urlsafe(42),
            "SUPERSET_COMPOSE_ENV": "prod",
            "SUPERSET_METADATA_DB_URL": url.format(secrets.token_urlsafe(12)),
        }
    )
    environment = _superset_environment(variables)
    assert environment["SUPERSET_ENV"] == "prod"
    started = _config_starts(environment)
    assert started.returncode == 0, started.stderr
