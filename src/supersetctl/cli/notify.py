"""``notify``: one message to the configured alert targets (Slack, the JSON webhook)."""

from __future__ import annotations

import re
from typing import Annotated

import typer

from supersetctl.cli._app import app
from supersetctl.cli._options import EnvOpt, environment
from supersetctl.cli._output import emit_json, info, is_json, write
from supersetctl.errors import ExitCode, UsageError
from supersetctl.ops.notify import CHOICES, Message, deliver, now_stamp, targets_from_env

_EVENT = re.compile(r"[a-z][a-z0-9-]{0,39}")
_STATUSES = ("failed", "warning", "ok")


def _check(status: str, event: str, alert: str) -> None:
    if status not in _STATUSES:
        raise UsageError(f"unknown --status '{status}'", hint="use failed, warning or ok")
    if not _EVENT.fullmatch(event):
        raise UsageError(f"bad --event '{event}'", hint="lower-case letters, digits and '-'")
    if alert not in CHOICES:
        raise UsageError(f"unknown --alert '{alert}'", hint="use auto, slack or webhook")


@app.command()
def notify(
    env: EnvOpt,
    text: Annotated[str, typer.Option("--text", help="The message's headline.")],
    status: Annotated[
        str, typer.Option("--status", help="failed, warning or ok (the icon; the JSON status).")
    ] = "failed",
    event: Annotated[
        str, typer.Option("--event", help="What it is about (the JSON event), e.g. backup.")
    ] = "notify",
    link: Annotated[
        str | None, typer.Option("--link", help="A URL to open, e.g. the workflow run.")
    ] = None,
    alert: Annotated[
        str,
        typer.Option("--alert", help="auto (each target whose variable is set), slack, webhook."),
    ] = "auto",
) -> None:
    """Send one message to the alert targets: SLACK_WEBHOOK_URL, ALERT_WEBHOOK_URL or both.

    For a workflow step that reports a failure (if: failure()). Exit 0 when every target
    took it, 1 when one refused it, 2 when no target is configured. The text is redacted;
    the webhook URLs never appear in the output.

    Example:

    \b
        supersetctl notify --env prod --event backup --status failed \\
          --text "the nightly backup of prod failed" --link "$RUN_URL"
    """
    _check(status, event, alert)
    environ = environment(env)
    targets = targets_from_env(environ.environ, alert)
    message = Message(
        event=event,
        status=status,  # type: ignore[arg-type]
        kind=status,
        environment=env,
        title=f"Superset {env}: {text}",
        url=environ.url,
        link=link,
        at=now_stamp(),
    )
    sent = deliver(targets, message)
    if is_json():
        emit_json(
            {"sent": [d.target for d in sent if d.ok], "errors": [d.error for d in sent if d.error]}
        )
    else:
        write("".join(f"{d.target}: sent\n" for d in sent if d.ok))
        for d in sent:
            if d.error:
                info(f"error: {d.target}: {d.error}")
    raise typer.Exit(ExitCode.OK if all(d.ok for d in sent) else ExitCode.FINDINGS)
