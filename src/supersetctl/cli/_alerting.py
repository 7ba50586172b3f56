"""Options and messages the alerting commands share (``health``, ``drift``, ``notify``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer

from supersetctl.cli._output import info
from supersetctl.fsutil import atomic_write
from supersetctl.ops.notify import Target, targets_from_env

AlertOpt = Annotated[
    str | None,
    typer.Option(
        "--alert",
        help="Where alerts go: slack (SLACK_WEBHOOK_URL), webhook (ALERT_WEBHOOK_URL: a JSON "
        "document, e.g. for n8n; see docs/operations.md), or auto (every one of the two that "
        "is set). Sent only when the state changes, never on every run.",
        metavar="auto|slack|webhook",
    ),
]
StateFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--state-file",
        help="Where --alert remembers the last state (default .local/<check>/<name>.json).",
        dir_okay=False,
    ),
]
MarkdownOpt = Annotated[
    Path | None,
    typer.Option(
        "--markdown",
        help="Also write the report as Markdown to this file (e.g. for $GITHUB_STEP_SUMMARY).",
        dir_okay=False,
    ),
]


def alert_targets(choice: str | None, variables: Mapping[str, str]) -> list[Target]:
    """The targets ``--alert`` names (none without it); a missing variable is exit 2."""
    return targets_from_env(variables, choice) if choice else []


def write_markdown(path: Path | None, text: str) -> None:
    if path is not None:
        atomic_write(path, text)


def report_sent(error: str | None, what: str | None, targets: list[Target]) -> None:
    """One stderr line: the alert sent and where, or why it was not."""
    if error is not None:  # the state file is unchanged: the next run retries
        info(f"error: {error}")
    elif what is not None:
        info(f"sent an alert ({what}) to " + " and ".join(t.label for t in targets))
