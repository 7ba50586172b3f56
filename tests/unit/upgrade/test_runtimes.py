"""Which runtime (Superset version, lock, venv) the local stack runs, and how it changes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from supersetctl.errors import UsageError
from supersetctl.local import runtime as rt
from supersetctl.paths import RepoPaths


@pytest.fixture
def repo(tmp_path: Path) -> RepoPaths:
    (tmp_path / "image" / "previous").mkdir(parents=True)
    (tmp_path / "image" / "requirements.txt").write_text("apache-superset==6.1.0 \\\n  --hash=x\n")
    (tmp_path / "image" / "previous" / "requirements.txt").write_text(
        "alembic==1.0\napache-superset==6.0.0 \\\n  --hash=y\n"
    )
    return RepoPaths(tmp_path)


def test_the_locks_of_the_repo_name_their_versions() -> None:
    found = rt.runtimes(RepoPaths(Path(__file__).resolve().parents[3]).image)
    assert list(found) == [rt.SUPERSET_VERSION, "6.0.0"]
    assert found["6.0.0"].parts[-2:] == ("previous", "requirements.txt")


def test_venv_per_version(repo: RepoPaths, tmp_path: Path) -> None:
    assert rt.runtime_for(repo, None, {}).venv == repo.local / "venv"
    assert rt.runtime_for(repo, "6.0.0", {}).venv == repo.local / "venv-6.0.0"
    shared = {"SUPERSETCTL_RUNTIME_CACHE": str(tmp_path / "cache")}
    pinned, previous = rt.runtime_for(repo, None, shared), rt.runtime_for(repo, "6.0.0", shared)
    assert pinned.venv.name.startswith("runtime-") and pinned.venv.name.count("-") == 1
    assert previous.venv.name.startswith("runtime-6.0.0-")
    own = {**shared, "SUPERSETCTL_RUNTIME_VENV": "/opt/venv"}
    assert rt.runtime_for(repo, None, own).venv == Path("/opt/venv")  # the pinned one only
    assert rt.runtime_for(repo, "6.0.0", own).venv == previous.venv
    with pytest.raises(UsageError, match=r"no runtime lock for Superset 5\.0\.0"):
        rt.runtime_for(repo, "5.0.0", {})


def test_selection_is_recorded_and_guarded(repo: RepoPaths) -> None:
    assert rt.local_runtime(repo, {}).version == rt.SUPERSET_VERSION
    rt.select_local_runtime(repo, "6.0.0", {})
    assert json.loads((repo.local / "runtime.json").read_text()) == {"version": "6.0.0"}
    assert rt.local_runtime(repo, {}).version == "6.0.0"
    # once a version migrated the metadata, only an upgrade changes it
    (repo.local / "superset").mkdir(parents=True)
    (repo.local / "superset" / "bootstrap.json").write_text("{}")
    with pytest.raises(UsageError, match=r"supersetctl upgrade --env dev --to 6\.1\.0"):
        rt.select_local_runtime(repo, "6.1.0", {})
    assert rt.select_local_runtime(repo, "6.1.0", {}, upgrading=True).version == "6.1.0"
    assert rt.select_local_runtime(repo, "6.1.0", {}).version == "6.1.0"  # no change: fine


def test_lock_version_errors(tmp_path: Path) -> None:
    with pytest.raises(rt.LocalStackError, match="is missing"):
        rt.lock_version(tmp_path / "nope.txt")
    (tmp_path / "r.txt").write_text("flask==3\n")
    with pytest.raises(rt.LocalStackError, match="pins no apache-superset"):
        rt.lock_version(tmp_path / "r.txt")


def test_cli_upgrade_refuses_what_it_cannot_do(repo_copy: RepoPaths, run_cli: Any) -> None:
    repo = ["--repo", str(repo_copy.root)]
    staging = run_cli([*repo, "upgrade", "--env", "staging"])
    assert staging.exit_code == 2 and "dev environment only" in staging.stderr
    unknown = run_cli([*repo, "upgrade", "--env", "dev", "--to", "5.0.0"])
    assert unknown.exit_code == 2 and "no runtime lock for Superset 5.0.0" in unknown.stderr
    down = run_cli([*repo, "--format", "json", "upgrade", "--env", "dev"])
    assert down.exit_code == 1 and "not running" in down.stderr
    assert json.loads(down.stdout)["error"]["hint"] == "`supersetctl up` starts it first"
