"""The local stack's settings, status and commands without starting anything."""

from __future__ import annotations

import json
import secrets

import pytest

from supersetctl.contract.environment import Environment, load_environment
from supersetctl.errors import UsageError
from supersetctl.local.postgres import PostgresInfo
from supersetctl.local.stack import LocalStack, StackSettings, settings_from_config, shell_quote
from supersetctl.ops import _pg
from supersetctl.paths import RepoPaths


def dev(paths: RepoPaths) -> Environment:
    return load_environment(paths, "dev", environ={})


def test_settings_come_from_config_dev(repo_copy: RepoPaths) -> None:
    s = settings_from_config(dev(repo_copy))
    assert (s.superset_port, s.pg_port, s.odoo_database) == (8088, 54329, "odoo_dev")
    assert s.seed is True and s.with_redis is False


def test_flags_override_config(repo_copy: RepoPaths) -> None:
    s = settings_from_config(
        dev(repo_copy), superset_port=9000, pg_port=9001, scale=5, with_redis=True, redis_port=9002
    )
    assert (s.superset_port, s.pg_port, s.scale, s.with_redis, s.redis_port) == (
        9000,
        9001,
        5,
        True,
        9002,
    )


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_only_dev_runs_locally(repo_copy: RepoPaths, env: str) -> None:
    with pytest.raises(UsageError, match="dev environment only"):
        settings_from_config(load_environment(repo_copy, env, environ={}))


def test_status_of_a_stack_never_built(repo_copy: RepoPaths) -> None:
    comps = LocalStack(repo_copy).status()
    assert [(c.name, c.state) for c in comps] == [("postgres", "down"), ("superset", "down")]
    assert comps[0].detail == "not created"


def test_recorded_settings_win_for_down_and_status(repo_copy: RepoPaths) -> None:
    repo_copy.local.mkdir()
    (repo_copy.local / "stack.json").write_text(
        json.dumps({"superset_port": 9100, "pg_port": 9101})
    )
    stack = LocalStack(repo_copy)
    assert stack.settings == StackSettings(superset_port=9100, pg_port=9101)


def test_cli_status_down_logs_reset_on_an_empty_repo(run_cli, repo_copy: RepoPaths) -> None:  # type: ignore[no-untyped-def]
    base = ["--repo", str(repo_copy.root)]
    r = run_cli([*base, "--format", "json", "status"])
    assert r.exit_code == 1
    assert {c["name"] for c in json.loads(r.stdout)["components"]} == {"postgres", "superset"}
    r = run_cli([*base, "down"])
    assert r.exit_code == 0 and "nothing was running" in r.stdout
    r = run_cli([*base, "logs", "superset"])
    assert r.exit_code == 0 and "no log yet" in r.stdout
    r = run_cli([*base, "logs", "nope"])
    assert r.exit_code == 2
    r = run_cli([*base, "up", "--env", "prod"])
    assert r.exit_code == 2 and "only staging is rehearsed" in r.stderr
    r = run_cli([*base, "reset", "--yes"])
    assert r.exit_code == 0


def test_env_file_quoting() -> None:
    assert shell_quote("abc-DEF_1") == "abc-DEF_1"
    assert shell_quote("postgresql://u:p@h:1/d?sslmode=disable") == (
        "'postgresql://u:p@h:1/d?sslmode=disable'"
    )
    assert shell_quote("it's") == "'it'\\''s'"


def test_seed_end_date_is_yesterday_at_first_up_then_fixed(repo_copy: RepoPaths) -> None:
    import datetime as dt

    from supersetctl.local.hooks import seed_end_date

    first = seed_end_date(repo_copy, today=dt.date(2026, 11, 27))
    assert first == dt.date(2026, 11, 26)
    assert seed_end_date(repo_copy, today=dt.date(2027, 3, 1)) == first
    (repo_copy.local / "seed.json").write_text("not json")
    assert seed_end_date(repo_copy, today=dt.date(2027, 3, 1)) == dt.date(2027, 2, 28)
    # data seeded before the record existed keeps its own day, and the record follows it
    old = dt.date(2026, 6, 30)
    assert seed_end_date(repo_copy, today=dt.date(2027, 3, 1), seeded=old) == old
    assert seed_end_date(repo_copy, today=dt.date(2027, 3, 1)) == old


class Cluster:
    """A running cluster, as far as the local variables need one."""

    password = secrets.token_hex(8)

    def info(self) -> PostgresInfo:
        return PostgresInfo("127.0.0.1", 61234, "postgres", self.password)


def test_local_environ_points_provisioning_at_the_real_port(repo_copy: RepoPaths) -> None:
    from supersetctl.provision import variables_for

    cfg = dev(repo_copy).config
    stack = LocalStack(repo_copy, settings_from_config(dev(repo_copy), pg_port=61234))
    environ = stack.local_environ(cfg, Cluster())  # type: ignore[arg-type]
    assert environ["SUPERSETCTL_VAR_ODOO_DB_PORT"] == "61234"
    assert cfg.databases["odoo"].port != 61234
    env = load_environment(repo_copy, "dev", environ=environ)
    assert variables_for(env).lookup("ODOO_DB_PORT") == "61234"


def test_dev_env_holds_what_the_ops_commands_read(repo_copy: RepoPaths) -> None:
    stack = LocalStack(repo_copy, settings_from_config(dev(repo_copy), pg_port=61234))
    cfg = dev(repo_copy).config
    stack._write_env_file(stack.local_environ(cfg, Cluster()))  # type: ignore[arg-type]
    env = load_environment(repo_copy, "dev", environ={})  # nothing exported
    assert env.env_file == repo_copy.local / "dev.env"
    metadata = _pg.from_env("SUPERSET_METADATA_DB_URL", env.environ)
    assert (metadata["port"], metadata["dbname"], metadata["user"]) == (
        "61234",
        "superset",
        "superset_meta",
    )
    scratch = _pg.from_env("SUPERSETCTL_SCRATCH_DB_URL", env.environ)
    assert (scratch["dbname"], scratch["password"]) == ("postgres", Cluster.password)
    assert env.require(cfg.superset.admin_password_env, why="login")
