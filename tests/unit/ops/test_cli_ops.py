from __future__ import annotations

import json
import secrets
import subprocess
import sys
from pathlib import Path

from pytest_httpserver import HTTPServer


def test_health_json_up(run_cli, httpserver: HTTPServer) -> None:  # type: ignore[no-untyped-def]
    httpserver.expect_request("/health").respond_with_json({"status": "OK"})
    result = run_cli(["--format", "json", "health", "--url", httpserver.url_for("/")])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["state"] == "up"
    assert data["alert_sent"] is None


def test_health_down_exits_1_and_alerts_once(  # type: ignore[no-untyped-def]
    run_cli, httpserver: HTTPServer, tmp_path: Path, monkeypatch
) -> None:
    hook = "/services/" + secrets.token_hex(8)
    httpserver.expect_request(hook, method="POST").respond_with_data("ok")
    monkeypatch.setenv("SLACK_WEBHOOK_URL", httpserver.url_for(hook))
    args = [
        "health",
        "--url",
        "http://127.0.0.1:9",
        "--attempts",
        "2",
        "--backoff",
        "0",
        "--alert",
        "slack",
        "--state-file",
        str(tmp_path / "s.json"),
    ]
    first = run_cli(args)
    second = run_cli(args)
    assert first.exit_code == second.exit_code == 1
    assert "DOWN" in first.stdout
    assert "sent an alert (down) to Slack" in first.stderr
    assert "sent an alert" not in second.stderr
    assert len(httpserver.log) == 1


def test_alert_without_webhook_is_a_usage_error(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(["health", "--url", "http://127.0.0.1:9", "--alert", "slack"])
    assert result.exit_code == 2
    assert "SLACK_WEBHOOK_URL" in result.stderr


def test_health_needs_a_target(run_cli) -> None:  # type: ignore[no-untyped-def]
    assert run_cli(["health"]).exit_code == 2


def test_restore_refuses_corrupt_archive_before_connecting(  # type: ignore[no-untyped-def]
    run_cli, tmp_path: Path, monkeypatch
) -> None:
    bad = tmp_path / "superset-dev-20261127T010000Z.tar"
    bad.write_bytes(b"not a tar at all" * 100)
    # a database that does not exist: the archive must be refused before any connection
    monkeypatch.setenv("SUPERSET_METADATA_DB_URL", "postgresql://u:pw@127.0.0.1:9/none")
    result = run_cli(["restore", str(bad), "--env", "dev", "--force", "--no-health"])
    assert result.exit_code == 1
    assert "not a readable archive" in result.stderr
    assert "connect" not in result.stderr


def test_ops_library_does_not_load_the_cli_or_boto3() -> None:
    # (httpx itself imports rich and click for its own CLI when they are installed)
    code = (
        "import sys, supersetctl.ops, supersetctl.ops.storage;"
        "print(','.join(m for m in ('typer','supersetctl.cli','boto3') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_webhook_failure_is_reported_and_retried_next_run(  # type: ignore[no-untyped-def]
    run_cli, httpserver: HTTPServer, tmp_path: Path, monkeypatch
) -> None:
    httpserver.expect_request("/health").respond_with_data("down", status=503)
    httpserver.expect_oneshot_request("/hook").respond_with_data("no", status=403)
    httpserver.expect_oneshot_request("/hook").respond_with_data("ok")
    monkeypatch.setenv("SLACK_WEBHOOK_URL", httpserver.url_for("/hook"))
    args = ["--format", "json", "health", "--url", httpserver.url_for("/"), "--attempts", "1"]
    args += ["--alert", "slack", "--state-file", str(tmp_path / "s.json")]
    first = json.loads(run_cli(args).stdout)
    assert first["state"] == "down"
    assert first["alert_sent"] is None and "HTTP 403" in first["alert_error"]
    second = json.loads(run_cli(args).stdout)
    assert second["alert_sent"] == "down" and second["alert_error"] is None
