"""`supersetctl upgrade` on a real local stack: Superset 6.0.0 (image/previous/) with the
starter dashboards, upgraded to the pinned 6.1.0.

One stack for the module, built by `up --superset-version 6.0.0` on a scratch copy of the repo
(its config names free ports). The failure path runs first, while 6.0.0 serves: a 6.1.0 whose
app does not boot after migrating (its runtime's gunicorn loads a configuration that raises)
is rolled back by the real roll back (metadata restored from the backup, 6.0.0 started again).
Then the real 6.1.0 upgrade: plan clean and every starter chart's data query answering.

Both runtime venvs are shared between sessions (``~/.cache/supersetctl/runtime-<hash>`` and
``runtime-6.0.0-<hash>``): the 6.0.0 one installs in ~20 s from a warm uv cache.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from supersetctl.cli import main
from supersetctl.local.postgres import free_port
from supersetctl.local.runtime import ensure_venv, runtime_for
from supersetctl.local.stack import LocalStack
from supersetctl.paths import RepoPaths
from tests.support.helpers import REPO_ROOT, copy_repo, set_dev_ports
from tests.support.postgres import _scratch, postgres_binaries
from tests.support.upgrade import broken_runtime

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PREVIOUS = "6.0.0"
PINNED = "6.1.0"


def runtime_cache() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "supersetctl"


@pytest.fixture(scope="session")
def previous_runtime() -> Path:
    lock = REPO_ROOT / "image" / "previous" / "requirements.txt"
    runtime = runtime_for(
        RepoPaths(REPO_ROOT), PREVIOUS, {"SUPERSETCTL_RUNTIME_CACHE": str(runtime_cache())}
    )
    assert runtime.requirements == lock
    ensure_venv(
        runtime.venv, lock, log_file=runtime.venv.parent / f"{runtime.venv.name}.install.log"
    )
    return runtime.venv


@dataclass
class Stack:
    repo: Path
    url: str
    runtime: Path  # the pinned 6.1.0 venv

    @property
    def paths(self) -> RepoPaths:
        return RepoPaths(self.repo)

    def cli(
        self, *args: str, capsys: pytest.CaptureFixture[str], venv: Path | None = None
    ) -> tuple[int, Any, str]:
        """Run supersetctl on the stack's repo; the pinned version runs from ``venv``."""
        capsys.readouterr()
        saved = {
            k: os.environ.get(k) for k in ("SUPERSETCTL_RUNTIME_VENV", "SUPERSETCTL_RUNTIME_CACHE")
        }
        os.environ["SUPERSETCTL_RUNTIME_VENV"] = str(venv or self.runtime)
        os.environ["SUPERSETCTL_RUNTIME_CACHE"] = str(runtime_cache())
        try:
            code = main(["--repo", str(self.repo), "--format", "json", *args])
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        out, err = capsys.readouterr()
        return code, json.loads(out) if out.strip() else None, err

    def alembic_revision(self) -> str:
        info = LocalStack(self.paths).cluster().info()
        with psycopg.connect(info.conninfo("superset")) as conn:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        assert row is not None
        return str(row[0])

    def version(self) -> str:
        return str(json.loads((self.repo / ".local" / "runtime.json").read_text())["version"])


@pytest.fixture(scope="module")
def stack(superset_runtime: Path, previous_runtime: Path) -> Iterator[Stack]:
    postgres_binaries()
    scratch = _scratch("supersetctl-upgrade-")
    repo = copy_repo(scratch / "repo", ("infra", "config", "image"))
    superset_port, pg_port = free_port(), free_port()
    set_dev_ports(repo, superset_port, pg_port)
    # the repo as it was on 6.0.0: the guest role's `can_read` on CurrentUserRestApi came with
    # 6.1.0 (6.0.0 serves /api/v1/me/roles/ to anyone), so 6.0.0 has no such permission
    guest = repo / "infra/superset/provisioning/roles/embed-guest.yaml"
    lines = guest.read_text().splitlines(keepends=True)
    guest.write_text("".join(x for x in lines if "CurrentUserRestApi" not in x))
    s = Stack(repo, f"http://127.0.0.1:{superset_port}", superset_runtime)
    os.environ["SUPERSETCTL_RUNTIME_VENV"] = str(superset_runtime)
    os.environ["SUPERSETCTL_RUNTIME_CACHE"] = str(runtime_cache())
    try:
        code = main(["--repo", str(repo), "up", "--superset-version", PREVIOUS])
        assert code == 0, "supersetctl up --superset-version 6.0.0 failed"
        yield s
    finally:
        os.environ.pop("SUPERSETCTL_RUNTIME_VENV", None)
        os.environ.pop("SUPERSETCTL_RUNTIME_CACHE", None)
        LocalStack(RepoPaths(repo)).down()
        shutil.rmtree(scratch, ignore_errors=True)


def _health(url: str) -> Any:
    return httpx.get(url + "/health", timeout=10).json()


def test_stack_runs_the_previous_version(stack: Stack) -> None:
    assert stack.version() == PREVIOUS
    assert _health(stack.url) == {"status": "OK"}
    # the 6.0.0 venv is the shared one ($SUPERSETCTL_RUNTIME_CACHE), not one of its own
    assert not (stack.repo / ".local" / "venv-6.0.0").exists()


def test_up_refuses_to_change_versions_of_a_migrated_stack(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = stack.cli("up", "--superset-version", PINNED, capsys=capsys)
    assert code == 2
    assert "supersetctl upgrade --env dev" in err
    assert stack.version() == PREVIOUS


def test_failed_upgrade_is_rolled_back_onto_the_restored_metadata(
    stack: Stack, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    before = stack.alembic_revision()
    broken = broken_runtime(stack.runtime, _scratch("supersetctl-broken-"))
    code, out, err = stack.cli(
        "upgrade", "--env", "dev", "--health-timeout", "120", capsys=capsys, venv=broken
    )
    assert code == 1, err
    assert out["failed_step"] == "health" and "exited" in out["reason"]
    assert out["rolled_back"] is True and out["rollback_error"] is None, out
    assert out["serving"] == PREVIOUS
    assert [s["step"] for s in out["rollback_steps"]] == [
        "restore",
        "switch back",
        "health",
        "charts",
    ]
    assert out["revision_before"] == before == out["revision_after"]
    assert stack.alembic_revision() == before  # the migrations of 6.1.0 are undone
    assert Path(out["backup"]["archive"]).is_file()
    assert out["backup"]["archive"].startswith(str(stack.repo / ".local" / "backups" / "dev"))
    charts = out["rollback_charts"]
    assert charts["charts"] >= 20 and charts["answered"] == charts["charts"], charts
    assert stack.version() == PREVIOUS and _health(stack.url) == {"status": "OK"}
    assert out["rollback_seconds"] < 120
    shutil.rmtree(broken.parent, ignore_errors=True)


def test_upgrade_to_the_pinned_version(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    before = stack.alembic_revision()
    code, out, err = stack.cli("upgrade", "--env", "dev", capsys=capsys)
    assert code == 0, (out, err)
    assert out["from"] == PREVIOUS and out["to"] == PINNED and out["serving"] == PINNED
    assert [s["step"] for s in out["steps"]] == [
        "preflight",
        "backup",
        "switch",
        "migrate",
        "health",
        "plan",
        "charts",
    ]
    assert out["plan_changes"] == 0
    charts = out["charts"]
    assert charts["charts"] >= 20 and charts["answered"] == charts["charts"], charts
    assert out["revision_before"] == before != out["revision_after"] == stack.alembic_revision()
    assert stack.version() == PINNED and _health(stack.url) == {"status": "OK"}
    # the stack's other commands follow the new version
    code, status, _ = stack.cli("status", capsys=capsys)
    assert code == 0 and {c["name"]: c["health"] for c in status["components"]}["superset"] == "ok"
    code, plan, err = stack.cli("plan", "--env", "dev", capsys=capsys)
    assert code == 0, (plan, err)
