"""The Environment a command loads once: config, its variables, .local/dev.env for dev."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from supersetctl.contract.environment import load_environment, read_env_file
from supersetctl.errors import ConfigError, UsageError
from supersetctl.paths import RepoPaths
from supersetctl.redact import redact


def test_an_unknown_environment_is_a_usage_error(repo_copy: RepoPaths) -> None:
    with pytest.raises(UsageError, match="unknown environment 'qa'"):
        load_environment(repo_copy, "qa", environ={})


def test_dev_reads_the_local_env_file_for_what_the_shell_does_not_set(
    repo_copy: RepoPaths,
) -> None:
    local, shell = "pw-" + secrets.token_hex(6), "pw-" + secrets.token_hex(6)
    repo_copy.local.mkdir()
    (repo_copy.local / "dev.env").write_text(
        "# written by supersetctl up\n"
        f"ODOO_RO_PASSWORD={local}\n"
        "SUPERSET_ADMIN_PASSWORD='it''s quoted'\n"
        "SUPERSETCTL_VAR_ODOO_DB_PORT=55432\n"
    )
    env = load_environment(repo_copy, "dev", environ={"SUPERSET_ADMIN_USERNAME": "admin"})
    assert env.secret("ODOO_RO_PASSWORD") == local
    assert env.secret("SUPERSET_ADMIN_PASSWORD") == "its quoted"
    assert env.values()["ODOO_DB_PORT"] == "55432"
    assert env.env_file == repo_copy.local / "dev.env"
    assert redact(f"x {local} y") == "x *** y"  # a secret it holds is masked from the start
    # a variable the shell sets wins
    env = load_environment(repo_copy, "dev", environ={"ODOO_RO_PASSWORD": shell})
    assert env.secret("ODOO_RO_PASSWORD") == shell
    # staging and prod never read it
    staging = load_environment(repo_copy, "staging", environ={})
    assert staging.secret("ODOO_RO_PASSWORD") is None and staging.env_file is None


def test_a_missing_secret_names_the_variable_and_how_to_get_it(repo_copy: RepoPaths) -> None:
    env = load_environment(repo_copy, "dev", environ={})
    with pytest.raises(ConfigError) as info:
        env.require("ODOO_ADMIN_DATABASE_URL", why="db apply connects as the table owner")
    text = str(info.value)
    assert "config/dev/environment.yaml" in text and "supersetctl up" in text


def test_a_broken_env_file_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "dev.env"
    path.write_text("A=1\nthis is not a variable\n")
    with pytest.raises(ConfigError) as info:
        read_env_file(path)
    assert info.value.line == 2
    assert read_env_file(tmp_path / "absent.env") == {}


def test_the_owner_comes_from_the_config(repo_copy: RepoPaths) -> None:
    assert load_environment(repo_copy, "prod", environ={}).owner == "insightpulseai/superset"


def test_the_superset_url_follows_url_then_its_variable_override(repo_copy: RepoPaths) -> None:
    prod = load_environment(repo_copy, "prod", environ={})
    assert prod.url == "https://superset.insightpulseai.com"
    moved = {"SUPERSETCTL_VAR_SUPERSET_URL": "http://127.0.0.1:18088/"}
    assert load_environment(repo_copy, "prod", environ=moved).url == "http://127.0.0.1:18088"
    assert load_environment(repo_copy, "prod", environ=moved, url="http://x:1").url == "http://x:1"
