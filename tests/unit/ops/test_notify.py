"""Alert targets, the JSON webhook payload (as docs/operations.md documents it), the drift
state machine and `supersetctl notify`, against the fake Slack and the fake webhook."""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from supersetctl import redact
from supersetctl.errors import ConfigError, UsageError
from supersetctl.ops import storage
from supersetctl.ops.archive import archive_name
from supersetctl.ops.drift_alert import (
    decide_drift,
    drift_alert_on_change,
    drift_message,
    load_drift_state,
)
from supersetctl.ops.notify import (
    Message,
    Target,
    deliver,
    slack_payload,
    targets_from_env,
    webhook_payload,
)
from supersetctl.ops.reader import reader_table
from tests.support.fake_alerts import FakeSlack, FakeWebhook
from tests.support.helpers import REPO_ROOT

DOCS = (REPO_ROOT / "docs" / "operations.md").read_text()
T0 = dt.datetime(2026, 12, 5, 6, 17, 0, tzinfo=dt.UTC)


def _item(n: int, action: str = "update") -> dict[str, Any]:
    return {"action": action, "kind": "chart", "name": f"Chart {n}",
            "file": f"dashboards/d/charts/chart-{n}.yaml", "uuid": f"uuid-{n}"}  # fmt: skip


def test_targets_follow_the_variables_and_are_secrets() -> None:
    slack = "https://hooks.slack.example/services/T0/B0/" + secrets.token_urlsafe(18)
    hook = "https://n8n.example/webhook/" + secrets.token_hex(16)
    both = targets_from_env({"SLACK_WEBHOOK_URL": slack, "ALERT_WEBHOOK_URL": hook})
    assert [t.kind for t in both] == ["slack", "webhook"]
    assert redact.redact(f"to {slack} and {hook}").count(redact.MASK) == 2
    assert [t.kind for t in targets_from_env({"ALERT_WEBHOOK_URL": hook})] == ["webhook"]
    assert [t.kind for t in targets_from_env({"ALERT_WEBHOOK_URL": hook}, "webhook")] == ["webhook"]
    with pytest.raises(ConfigError, match="SLACK_WEBHOOK_URL or ALERT_WEBHOOK_URL"):
        targets_from_env({})
    with pytest.raises(ConfigError, match="SLACK_WEBHOOK_URL is not set"):
        targets_from_env({"ALERT_WEBHOOK_URL": hook}, "slack")
    with pytest.raises(UsageError):
        targets_from_env({"ALERT_WEBHOOK_URL": hook}, "email")


def _documented_payload() -> dict[str, Any]:
    block = DOCS.split("### The JSON webhook payload", 1)[1]
    m = re.search(r"```json\n(.*?)\n```", block, re.S)
    assert m is not None
    return dict(json.loads(m.group(1)))


def test_the_documented_payload_is_what_the_webhook_gets() -> None:
    documented = _documented_payload()
    items = documented["details"]["changes"]
    message = drift_message("drift", items, label="prod", url=documented["url"],
                            at=documented["at"], link=documented["link"])  # fmt: skip
    assert webhook_payload(message) == documented
    # every key has its row in the documented table
    table = DOCS.split("| key | values |", 1)[1].split("\n\n", 1)[0]
    rows = [r.split("|")[1] for r in table.splitlines() if r.startswith("| `")]
    keys = {k for row in rows for k in re.findall(r"`(\w+)`", row)}
    assert keys == set(documented)


def test_the_reader_role_in_the_docs_is_the_tested_one() -> None:
    assert reader_table() in DOCS


def test_slack_gets_escaped_mrkdwn_and_a_link() -> None:
    message = Message("notify", "failed", "failed", "prod", "a <b> & c", ("x > y",),
                      link="https://github.com/o/r/actions/runs/1")  # fmt: skip
    payload = slack_payload(message)
    assert payload["text"] == ":red_circle: a &lt;b&gt; &amp; c"
    text = payload["blocks"][0]["text"]["text"]
    assert "x &gt; y" in text and text.endswith("<https://github.com/o/r/actions/runs/1|details>")


def test_a_refusing_target_is_reported_and_the_other_still_gets_it(httpserver: HTTPServer) -> None:
    slack, hook = FakeSlack(httpserver), FakeWebhook(httpserver)
    hook.refuse(404)
    sent = deliver([Target("slack", slack.url), Target("webhook", hook.url)],
                   Message("notify", "ok", "ok", "prod", "hello"), backoff=0)  # fmt: skip
    assert [d.ok for d in sent] == [True, False]
    assert sent[1].error == "the alert webhook refused the alert: HTTP 404"
    assert len(slack.received) == 1 and len(hook.refused) == 1


def test_drift_alerts_on_changes_of_the_drifted_set_only() -> None:
    runs = [[], [], [_item(1)], [_item(1)], [_item(1), _item(2)], [_item(2)], [], []]
    previous = None
    sent = []
    for day, items in enumerate(runs):
        previous, kind = decide_drift(previous, items, url="u", now=T0 + dt.timedelta(days=day))
        sent.append(kind)
    assert sent == [None, None, "drift", None, "drift-changed", "drift-changed",
                    "drift-cleared", None]  # fmt: skip
    first, kind = decide_drift(None, [_item(1)], url="u", now=T0)
    assert kind == "drift" and first.since == "2026-12-05T06:17:00Z"


def test_a_long_drift_lists_twenty_and_counts_the_rest() -> None:
    items = [_item(n) for n in range(25)]
    message = drift_message("drift", items, label="prod", url="https://s", at="t")
    assert len(message.lines) == 21 and message.lines[-1] == "… 5 more"
    assert len(webhook_payload(message)["details"]["changes"]) == 25


def test_a_refused_drift_alert_keeps_the_state_for_the_next_run(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    hook = FakeWebhook(httpserver)
    state = tmp_path / "prod.json"
    targets = [Target("webhook", hook.url)]
    drift_alert_on_change([], state_file=state, label="prod", url="u", targets=targets, now=T0)
    hook.refuse(500)
    out = drift_alert_on_change([_item(1)], state_file=state, label="prod", url="u",
                                targets=targets, now=T0)  # fmt: skip
    assert out.sent is None and out.error is not None and "HTTP 500" in out.error
    saved = load_drift_state(state)
    assert saved is not None and saved.state == "clean"
    hook.refuse(200)
    out = drift_alert_on_change([_item(1)], state_file=state, label="prod", url="u",
                                targets=targets, now=T0)  # fmt: skip
    assert out.sent == "drift" and [p["kind"] for p in hook.received] == ["drift"]


def test_the_newest_archive_of_an_environment(tmp_path: Path) -> None:
    for day in (3, 9, 5):
        (tmp_path / archive_name("prod", T0.replace(day=day))).write_bytes(b"x")
    (tmp_path / archive_name("staging", T0.replace(day=20))).write_bytes(b"x")
    newest = storage.newest_archive(str(tmp_path), "prod", {})
    assert newest == str(tmp_path / archive_name("prod", T0.replace(day=9)))
    with pytest.raises(Exception, match="no archive of dev"):
        storage.newest_archive(str(tmp_path), "dev", {})


# ------------------------------------------------------------------------------ notify


def _notify(run_cli: Any, *extra: str) -> Any:
    return run_cli(["--repo", str(REPO_ROOT), "notify", "--env", "prod",
                    "--text", "the nightly backup failed", *extra])  # fmt: skip


def test_notify_sends_to_every_target_and_exits_0(  # type: ignore[no-untyped-def]
    run_cli, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    slack, hook = FakeSlack(httpserver), FakeWebhook(httpserver)
    monkeypatch.setenv("SLACK_WEBHOOK_URL", slack.url)
    monkeypatch.setenv("ALERT_WEBHOOK_URL", hook.url)
    result = _notify(
        run_cli, "--event", "backup", "--link", "https://github.com/o/r/actions/runs/9"
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "slack: sent\nwebhook: sent\n"
    [payload] = hook.received
    assert (payload["event"], payload["status"], payload["environment"]) == (
        "backup", "failed", "prod")  # fmt: skip
    assert payload["title"] == "Superset prod: the nightly backup failed"
    assert payload["url"] == "https://superset.insightpulseai.com"
    assert ":red_circle:" in slack.received[0]["text"]


def test_notify_exits_1_on_a_refusal_without_naming_the_url(  # type: ignore[no-untyped-def]
    run_cli, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    hook = FakeWebhook(httpserver)
    hook.refuse(404)
    monkeypatch.setenv("ALERT_WEBHOOK_URL", hook.url)
    result = run_cli(
        ["--format", "json", "--repo", str(REPO_ROOT), "notify", "--env", "prod", "--text", "x"]
    )
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "sent": [], "errors": ["the alert webhook refused the alert: HTTP 404"]}  # fmt: skip
    assert hook.path not in result.stdout + result.stderr


def test_notify_exits_2_without_a_target_or_with_a_bad_status(run_cli) -> None:  # type: ignore[no-untyped-def]
    none = _notify(run_cli)
    assert none.exit_code == 2 and "ALERT_WEBHOOK_URL" in none.stderr
    assert _notify(run_cli, "--status", "meh").exit_code == 2
    assert _notify(run_cli, "--event", "Back Up").exit_code == 2


def test_a_long_slack_message_stays_under_slacks_section_limit() -> None:
    items = [{**_item(n), "name": "x" * 180} for n in range(20)]
    message = drift_message("drift", items, label="prod", url="https://s", at="t")
    text = slack_payload(message)["blocks"][0]["text"]["text"]
    assert len(text) <= 3000 and text.endswith("… (the rest in the job summary)")
