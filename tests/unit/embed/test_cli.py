"""`supersetctl embed serve` refuses to start without its secrets: exit 2, the variable named."""

from __future__ import annotations

import secrets

from supersetctl.paths import RepoPaths


def test_serve_names_the_missing_variable(run_cli, repo_copy: RepoPaths) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(["--repo", str(repo_copy.root), "embed", "serve", "--env", "dev"])
    assert result.exit_code == 2
    assert "EMBED_CALLER_SECRET is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_refuses_a_short_caller_secret(run_cli, repo_copy: RepoPaths, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    short = secrets.token_hex(4)
    monkeypatch.setenv("EMBED_CALLER_SECRET", short)
    result = run_cli(["--repo", str(repo_copy.root), "embed", "serve", "--env", "dev"])
    assert result.exit_code == 2 and "shorter than 32 bytes" in result.stderr
    assert short not in result.stderr + result.stdout
