from __future__ import annotations

import json

from supersetctl.paths import RepoPaths


def test_validate_cli_text_and_exit_codes(run_cli, repo_copy: RepoPaths) -> None:  # type: ignore[no-untyped-def]
    ok = run_cli(["--repo", str(repo_copy.root), "validate"])  # dev by default
    assert ok.exit_code == 0, ok.stdout + ok.stderr
    assert "0 error(s)" in ok.stderr and "in dev" in ok.stderr
    every = run_cli(["--repo", str(repo_copy.root), "validate", "--env", "all"])
    assert every.exit_code == 1 and "in dev, staging, prod" in every.stderr
    bad = run_cli(["--repo", str(repo_copy.root), "validate", "--env", "prod"])
    assert bad.exit_code == 1
    assert "infra/superset/manifest.json:" in bad.stdout and "MF-UNRELEASED" in bad.stdout
    assert "(build and push the image" in bad.stdout


def test_validate_cli_strict_fails_on_warnings(run_cli, repo_copy: RepoPaths) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(["--repo", str(repo_copy.root), "validate", "--env", "dev", "--strict"])
    assert result.exit_code == 1


def test_validate_cli_json(run_cli, repo_copy: RepoPaths) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(["--repo", str(repo_copy.root), "--format", "json", "validate", "-e", "prod"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["environments"] == ["prod"]
    assert data["errors"] >= 1
    first = data["findings"][0]
    assert set(first) >= {"path", "line", "col", "rule", "message", "fix", "severity"}


def test_validate_cli_sarif(run_cli, repo_copy: RepoPaths) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(["--repo", str(repo_copy.root), "validate", "-e", "prod", "--sarif"])
    doc = json.loads(result.stdout)
    assert doc["version"] == "2.1.0"
    assert {r["ruleId"] for r in doc["runs"][0]["results"]} >= {"MF-UNRELEASED"}


def test_validate_cli_unknown_env_is_usage_error(run_cli, repo_copy: RepoPaths) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(["--repo", str(repo_copy.root), "validate", "--env", "qa"])
    assert result.exit_code == 2
    assert "unknown environment 'qa'" in result.stderr
    assert "Traceback" not in result.stderr


def test_validate_outside_a_repo_is_config_error(run_cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(["--repo", str(tmp_path), "validate"])
    assert result.exit_code == 1  # every required file is missing: findings, not a crash
    assert "CT-MISSING" in result.stdout


def test_schema_check_detects_stale(run_cli, repo_copy: RepoPaths) -> None:  # type: ignore[no-untyped-def]
    (repo_copy.schemas / "manifest.schema.json").write_text("{}\n")
    stale = run_cli(["--repo", str(repo_copy.root), "schema"])
    assert stale.exit_code == 1 and "manifest.schema.json" in stale.stdout
    fixed = run_cli(["--repo", str(repo_copy.root), "schema", "--write"])
    assert fixed.exit_code == 0
    assert run_cli(["--repo", str(repo_copy.root), "schema"]).exit_code == 0
