from __future__ import annotations

import datetime as dt
import json
import secrets
from pathlib import Path

import httpx
import pytest
from pytest_httpserver import HTTPServer

from supersetctl import redact
from supersetctl.errors import ConfigError
from supersetctl.ops.alerts import (
    alert_on_change,
    decide,
    default_state_file,
    format_duration,
    load_state,
    webhook_from_env,
)
from supersetctl.ops.health import Check, HealthReport

T0 = dt.datetime(2026, 11, 27, 1, 0, 0, tzinfo=dt.UTC)


def report(state: str, detail: str = "GET /health: ConnectError") -> HealthReport:
    if state == "up":
        checks = [Check("health", "ok", "answered", 12.0)]
    elif state == "degraded":
        checks = [Check("health", "ok", "answered", 12.0), Check("login", "fail", detail)]
    else:
        checks = [Check("health", "fail", detail, 10.0, 3)]
    return HealthReport("https://superset.example.test", T0.isoformat(), checks)


def test_first_run_up_is_silent() -> None:
    new, alert = decide(None, report("up"), "prod", T0)
    assert alert is None
    assert new.state == "up"


def test_state_machine_alerts_only_on_changes() -> None:
    sequence = ["up", "up", "down", "down", "down", "degraded", "up", "up"]
    sent = []
    previous = None
    for minute, state in enumerate(sequence):
        moment = T0 + dt.timedelta(minutes=5 * minute)
        previous, alert = decide(previous, report(state), "prod", moment)
        if alert:
            sent.append((alert.kind, alert.down_for_seconds))
    # down at minute 10, recovered at minute 30: 20 minutes of trouble
    assert sent == [("down", None), ("degraded", None), ("recovered", 1200)]


def test_first_run_down_alerts() -> None:
    _new, alert = decide(None, report("down"), "prod", T0)
    assert alert is not None and alert.kind == "down"


def test_duration_format() -> None:
    assert format_duration(5) == "5s"
    assert format_duration(3725) == "1h 2m 5s"
    assert format_duration(90061) == "1d 1h 1m 1s"


def test_recovery_message_says_how_long(tmp_path: Path) -> None:
    previous, _ = decide(None, report("down"), "prod", T0)
    _new, alert = decide(previous, report("up"), "prod", T0 + dt.timedelta(minutes=7))
    assert alert is not None
    assert "recovered after 7m 0s" in alert.payload["text"]


def test_webhook_from_env_is_registered_as_secret() -> None:
    hook = "https://hooks.example.test/services/T0/B0/" + secrets.token_hex(12)
    assert webhook_from_env({"SLACK_WEBHOOK_URL": hook}) == hook
    assert redact.redact(f"posting to {hook}") == f"posting to {redact.MASK}"
    with pytest.raises(ConfigError):
        webhook_from_env({})


def test_slack_receives_one_down_and_one_recovery_without_secrets(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    admin_password = "pw_" + secrets.token_hex(16)
    db_password = "dbpw_" + secrets.token_hex(16)
    redact.register(admin_password, db_password)
    httpserver.expect_request("/services/hook", method="POST").respond_with_data("ok")
    webhook = httpserver.url_for("/services/hook")
    redact.register(webhook)
    state_file = tmp_path / "state" / "prod.json"
    leaky = f"postgresql://superset_ro:{db_password}@db:5432/odoo refused; login {admin_password}"

    runs = ["up", "down", "down", "degraded", "degraded", "up", "up"]
    for minute, state in enumerate(runs):
        alert_on_change(
            report(state, leaky),
            state_file=state_file,
            label="prod",
            webhook=webhook,
            now=T0 + dt.timedelta(minutes=5 * minute),
        )
    bodies = [json.loads(req.get_data(as_text=True)) for req, _resp in httpserver.log]
    texts = [b["text"] for b in bodies]
    assert len(bodies) == 3
    assert "is DOWN" in texts[0]
    assert "is DEGRADED" in texts[1]
    assert "recovered after 20m 0s" in texts[2]
    raw = json.dumps(bodies)
    for secret in (admin_password, db_password, webhook, "/services/hook"):
        assert secret not in raw
    assert "***" in raw  # the failing check's detail was there, masked
    saved = load_state(state_file)
    assert saved is not None and saved.state == "up" and saved.problem_since is None


def test_failed_webhook_keeps_the_old_state_so_the_next_run_retries(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    httpserver.expect_request("/hook").respond_with_data("no_service", status=404)
    state_file = tmp_path / "prod.json"
    alert_on_change(report("up"), state_file=state_file, label="prod", webhook="x", now=T0)
    outcome = alert_on_change(
        report("down"),
        state_file=state_file,
        label="prod",
        webhook=httpserver.url_for("/hook"),
        now=T0 + dt.timedelta(minutes=5),
    )
    assert outcome.error is not None and "HTTP 404" in outcome.error  # reported, not raised
    assert outcome.sent is None
    saved = load_state(state_file)
    assert saved is not None and saved.state == "up"
    assert outcome.state == saved


def test_unreadable_state_file_is_a_fresh_start(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text("{not json")
    assert load_state(path) is None
    path.write_text(json.dumps({"version": 99}))
    assert load_state(path) is None


def _slack(status: int, seen: list[dict[str, object]]) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.read()))
        return httpx.Response(status, text="ok" if status == 200 else "no")

    return httpx.Client(transport=httpx.MockTransport(handler))


def test_the_outcome_says_what_was_sent(tmp_path: Path) -> None:
    seen: list[dict[str, object]] = []
    state_file = tmp_path / "prod.json"

    def run(state: str, minutes: int, status: int = 200) -> tuple[str | None, int | None]:
        moment = T0 + dt.timedelta(minutes=minutes)
        http = _slack(status, seen)
        outcome = alert_on_change(
            report(state),
            state_file=state_file,
            label="p",
            webhook="https://h",
            client=http,
            now=moment,
        )
        return outcome.sent, outcome.alert.down_for_seconds if outcome.alert else None

    assert run("down", 0, status=403) == (None, None)  # refused: nothing remembered
    assert load_state(state_file) is None
    assert run("down", 0) == ("down", None)
    assert run("down", 5) == (None, None)  # no change, no message
    assert run("up", 20) == ("recovered", 1200)
    assert len(seen) == 3


def test_default_state_file_is_a_safe_name(tmp_path: Path) -> None:
    assert default_state_file(tmp_path, "prod") == tmp_path / "health" / "prod.json"
    assert default_state_file(tmp_path, "host:8088/x").name == "host_8088_x.json"
