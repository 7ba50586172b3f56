"""The rehearsal's settings, environment and commands, without starting anything."""

from __future__ import annotations

import json
import stat

import pytest

from supersetctl.contract.environment import load_environment
from supersetctl.errors import UsageError
from supersetctl.local.rehearsal import Rehearsal, RehearsalSettings, rehearsal_settings
from supersetctl.paths import RepoPaths


def test_staging_is_rehearsed_on_ports_of_its_own(repo_copy: RepoPaths) -> None:
    env = load_environment(repo_copy, "staging", environ={})
    s = rehearsal_settings(env, pg_port=6000)
    assert s == RehearsalSettings(env="staging", pg_port=6000, odoo_database="odoo_staging")
    assert (s.superset_port, s.redis_port) == (8098, 6399)  # beside the dev stack's 8088/6389
    with pytest.raises(UsageError, match="only staging is rehearsed"):
        rehearsal_settings(load_environment(repo_copy, "prod", environ={}))


def test_staging_runs_here_with_its_names_roles_and_tls(repo_copy: RepoPaths) -> None:
    env = load_environment(repo_copy, "staging", environ={})
    r = Rehearsal(repo_copy, rehearsal_settings(env, pg_port=6000, superset_port=6001))
    local = r.local_environment(env, {"X": "1"})
    odoo = local.config.databases["odoo"]
    assert (odoo.host, odoo.port, odoo.database, odoo.user) == (
        "127.0.0.1", 6000, "odoo_staging", "superset_ro")  # fmt: skip
    assert str(odoo.sslmode) == "verify-full"  # staging's, verified with the rehearsal's CA
    assert local.url == "https://127.0.0.1:6001"
    assert local.strict and local.config.flags.masking  # the gate and the masking of staging
    assert r.root == repo_copy.local / "staging"


def test_the_env_file_is_private(repo_copy: RepoPaths) -> None:
    r = Rehearsal(repo_copy, RehearsalSettings())
    r.write_env_file({"ODOO_RO_PASSWORD": "a b'c"})
    assert stat.S_IMODE(r.env_file.stat().st_mode) == 0o600
    assert r.env_file.name == "staging.env"


def test_cli_on_a_repo_without_a_rehearsal(run_cli, repo_copy: RepoPaths) -> None:  # type: ignore[no-untyped-def]
    base = ["--repo", str(repo_copy.root)]
    r = run_cli([*base, "--format", "json", "status", "--env", "staging"])
    assert r.exit_code == 1
    comps = json.loads(r.stdout)["components"]
    assert [c["name"] for c in comps] == ["postgres", "redis", "web", "worker", "beat"]
    assert all(c["state"] == "down" for c in comps)
    r = run_cli([*base, "down", "--env", "staging"])
    assert r.exit_code == 0 and "nothing was running" in r.stdout
    r = run_cli([*base, "logs", "worker", "--env", "staging"])
    assert r.exit_code == 0 and "no log yet" in r.stdout
    r = run_cli([*base, "logs", "superset", "--env", "staging"])
    assert r.exit_code == 2  # the rehearsal's web log is `web`
    r = run_cli([*base, "up", "--env", "staging", "--workers", "2"])
    assert r.exit_code == 2 and "the app spec decides them" in r.stderr
    r = run_cli([*base, "status", "--env", "prod"])
    assert r.exit_code == 2
    r = run_cli([*base, "reset", "--env", "staging", "--yes"])
    assert r.exit_code == 0
    assert not (repo_copy.local / "staging").exists()


def test_resetting_the_dev_stack_takes_the_rehearsal_down_first(
    repo_copy: RepoPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    from supersetctl.local.stack import LocalStack

    Rehearsal(repo_copy, RehearsalSettings()).record()
    stopped: list[str] = []

    def down(self: Rehearsal) -> list[str]:
        stopped.append(self.root.name)
        return []

    monkeypatch.setattr(Rehearsal, "down", down)
    assert LocalStack(repo_copy).reset()
    assert stopped == ["staging"] and not repo_copy.local.exists()
