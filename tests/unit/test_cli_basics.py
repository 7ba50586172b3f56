from __future__ import annotations

import pkgutil
import secrets
import subprocess
import sys

import supersetctl


def test_version(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(["--version"])
    assert result.exit_code == 0
    assert result.stdout.startswith("supersetctl ")


def test_unknown_command_is_usage_error(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(["no-such-command"])
    assert result.exit_code == 2
    assert "No such command" in result.stderr


def test_bad_global_format_is_usage_error(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(["--format", "yaml", "validate"])
    assert result.exit_code == 2


def _library_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(supersetctl.__path__, "supersetctl."):
        if info.name == "supersetctl.cli" or info.name.startswith("supersetctl.cli."):
            continue
        names.append(info.name)
    return sorted(names)


def test_library_import_does_not_load_cli_stack() -> None:
    # rich is not checked: httpx's own __init__ imports it (for httpx's CLI) when installed.
    modules = _library_modules()
    assert "supersetctl.contract.validate" in modules
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        "bad = [m for m in ('typer', 'supersetctl.cli') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"the library imported the CLI stack: {out.stdout}"


def test_every_command_has_help_with_an_example(run_cli) -> None:  # type: ignore[no-untyped-def]
    import typer

    from supersetctl.cli import app, load_all

    load_all()
    group = typer.main.get_command(app)
    missing = []

    def walk(cmd, path):  # type: ignore[no-untyped-def]
        sub = getattr(cmd, "commands", None)
        if sub:
            for name, child in sub.items():
                walk(child, [*path, name])
            return
        result = run_cli([*path, "--help"])
        assert result.exit_code == 0, path
        if "Example" not in result.stdout:
            missing.append(" ".join(path))

    walk(group, [])
    assert missing == [], f"commands without an Example in --help: {missing}"


def test_secrets_from_the_environment_are_masked_in_errors(run_cli, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import secrets as pysecrets

    value = "pw" + pysecrets.token_hex(12)
    monkeypatch.setenv("ODOO_RO_PASSWORD", value)
    # an unknown environment named after the secret: the error echoes it, redacted
    result = run_cli(["--repo", str(tmp_path), "validate", "--env", value])
    assert result.exit_code == 2
    assert value not in result.stderr + result.stdout
    assert "***" in result.stderr


def test_command_map_names_every_command_and_its_module() -> None:
    import typer

    from supersetctl.cli import COMMANDS, app, load_all

    load_all()
    group = typer.main.get_command(app)
    registered = {}
    for name, cmd in group.commands.items():  # type: ignore[attr-defined]
        callback = cmd.callback
        registered[name] = callback.__module__.rsplit(".", 1)[1] if callback else None
    for name, module in registered.items():
        if module is None:  # a sub-app (typer group without a callback): find it by its commands
            child = next(iter(group.commands[name].commands.values()))  # type: ignore[attr-defined]
            registered[name] = child.callback.__module__.rsplit(".", 1)[1]
    assert registered == COMMANDS


def test_command_of_skips_global_options() -> None:
    from supersetctl.cli import command_of

    assert command_of(["--format", "json", "-v", "--repo", "/x", "scan", "--staged"]) == "scan"
    assert command_of(["-f", "json", "db", "verify"]) == "db"
    assert command_of(["--help"]) is None
    assert command_of([]) is None


def test_running_one_command_imports_only_its_capability() -> None:
    code = (
        "import sys\n"
        "from supersetctl.cli import main\n"
        "import contextlib, io\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['--version'])\n"
        "    main(['validate', '--help'])\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('supersetctl.cli.'))\n"
        "heavy = [m for m in ('psycopg', 'pydo', 'boto3') if m in sys.modules]\n"
        "print(loaded, heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    expected = "['supersetctl.cli._app', 'supersetctl.cli._output', 'supersetctl.cli.contract'] []"
    assert out.stdout.strip() == expected


def test_a_missing_repo_folder_is_a_usage_error(run_cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    for command in (["validate"], ["scan"], ["plan"]):
        result = run_cli(["--repo", str(tmp_path / "missing"), *command])
        assert result.exit_code == 2, command
        assert "no such folder" in result.stderr


def test_a_url_that_is_not_one_is_a_usage_error_not_a_crash(run_cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SUPERSET_ADMIN_USERNAME", "admin")
    monkeypatch.setenv("SUPERSET_ADMIN_PASSWORD", "pw-" + secrets.token_hex(6))
    monkeypatch.setenv("ODOO_RO_PASSWORD", "pw-" + secrets.token_hex(6))
    plan = run_cli(["plan", "--url", "http://[::1"])
    assert plan.exit_code == 2, plan.stderr
    assert "internal error" not in plan.stderr
    health = run_cli(["health", "--url", "http://[::1"])
    assert health.exit_code == 2, health.stderr


def test_health_never_prints_a_password_given_in_the_url(run_cli) -> None:  # type: ignore[no-untyped-def]
    pw = "pw" + secrets.token_hex(8)
    for fmt in ("text", "json"):
        result = run_cli(
            [
                "--format",
                fmt,
                "health",
                "--attempts",
                "1",
                "--url",
                f"http://admin:{pw}@127.0.0.1:9",
            ]
        )
        assert result.exit_code == 1
        assert pw not in result.stdout + result.stderr


def test_schema_write_is_all_or_nothing(run_cli, repo_copy) -> None:  # type: ignore[no-untyped-def]
    manifest = repo_copy.schemas / "manifest.schema.json"
    manifest.write_text("{}")
    blocker = repo_copy.schemas / "environment.schema.json"
    blocker.unlink()
    blocker.mkdir()  # cannot be replaced by a file
    result = run_cli(["--repo", str(repo_copy.root), "schema", "--write"])
    assert result.exit_code == 1, result.stderr
    assert "internal error" not in result.stderr
    assert manifest.read_text() == "{}"


def test_json_output_holds_a_document_on_errors_too(run_cli, repo_copy) -> None:  # type: ignore[no-untyped-def]
    import json

    args = ["--repo", str(repo_copy.root), "--format", "json", "import-bundle", "nowhere.zip"]
    result = run_cli(args)
    assert result.exit_code == 2
    doc = json.loads(result.stdout)
    assert doc["error"]["path"] == "nowhere.zip"
    assert doc["error"]["exit_code"] == 2 and doc["error"]["type"] == "ConfigError"
    assert "no such file" in doc["error"]["message"]
    assert "nowhere.zip" in result.stderr  # the message stays on stderr for people


def test_progress_is_a_line_per_step_in_a_log_and_nothing_in_json(capsys) -> None:  # type: ignore[no-untyped-def]
    from supersetctl.cli._output import Format, state
    from supersetctl.cli._progress import progress

    for fmt, expected in ((Format.text, 2), (Format.json, 0)):
        state.format = fmt
        with progress() as shown:
            shown.phase("listing assets", 4)
            shown.advance(4)
            shown.phase("importing", 12)
        err = capsys.readouterr().err
        assert len(err.splitlines()) == expected, err
    state.format = Format.text
