"""The provisioning gate requires every declared second source's proof where strict read-only
is on (the proofs themselves run on a real PostgreSQL: tests/integration/test_db_source.py)."""

from __future__ import annotations

from typing import Any

import pytest

from supersetctl.contract.environment import Environment
from supersetctl.contract.loader import load_env_config
from supersetctl.contract.models import EnvConfig
from supersetctl.db import source_checks, verify
from supersetctl.db.role_checks import Check
from supersetctl.db.verify import VerifyReport, gate_env
from supersetctl.errors import DatabaseError
from supersetctl.paths import RepoPaths
from tests.support.helpers import REPO_ROOT


def _env(strict: bool) -> Environment:
    data: dict[str, Any] = load_env_config(RepoPaths(REPO_ROOT), "dev").model_dump(mode="json")
    data["databases"]["supabase"] = {
        "kind": "supabase",
        "host": "127.0.0.1",
        "port": 5432,
        "database": "postgres",
        "user": "superset_ro",
        "sslmode": "disable",
        "password_env": "SUPABASE_RO_PASSWORD",
    }
    data["flags"]["strict_read_only"] = strict
    return Environment("dev", RepoPaths(REPO_ROOT), EnvConfig.model_validate(data), {})


def _report(ok: bool) -> VerifyReport:
    return VerifyReport("db", "dev", [Check("a check", "role", ok, "why")])


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []

    def odoo(env: Environment) -> VerifyReport:
        seen.append("odoo")
        return _report(True)

    def other(env: Environment, key: str, **_: Any) -> VerifyReport:
        seen.append(key)
        return _report(False)

    monkeypatch.setattr(verify, "verify_env", odoo)
    monkeypatch.setattr(source_checks, "verify_source", other)
    return seen


def test_strict_gate_requires_the_second_source(calls: list[str]) -> None:
    with pytest.raises(DatabaseError, match="db verify failed for db: role: a check"):
        gate_env(_env(strict=True))
    assert calls == ["odoo", "supabase"]


def test_no_gate_without_strict_read_only(calls: list[str]) -> None:
    assert gate_env(_env(strict=False)) is None
    assert calls == []


def test_secondary_sources_are_every_non_primary_key() -> None:
    assert source_checks.secondary_sources(_env(strict=True)) == ["supabase"]
