"""``upgrade``: a new Superset version on the local stack, with a way back."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from supersetctl.cli._app import app
from supersetctl.cli._options import EnvOpt, environment
from supersetctl.cli._output import emit_json, info, is_json, write
from supersetctl.errors import ExitCode
from supersetctl.paths import RepoPaths
from supersetctl.upgrade import UpgradeResult, upgrade_local


def _text(result: UpgradeResult, paths: RepoPaths) -> str:
    steps = ", ".join(f"{s} {t:.1f} s" for s, t in result.steps)
    lines = [f"steps: {steps} (total {result.seconds:.1f} s)"]
    if result.backup:
        where = paths.rel(Path(result.backup.archive))
        lines.append(f"backup: {where} (revision {result.backup.revision})")
    if result.ok:
        charts = result.charts.as_dict() if result.charts else {"answered": 0, "charts": 0}
        lines.append(
            f"upgraded: Superset {result.from_version} -> {result.to_version} (revision "
            f"{result.revision_before} -> {result.revision_after}); plan clean; "
            f"{charts['answered']}/{charts['charts']} chart queries answered"
        )
        return "\n".join(lines) + "\n"
    lines.append(f"FAILED at {result.failed_step}: {result.reason}")
    back = ", ".join(f"{s} {t:.1f} s" for s, t in result.rollback_steps)
    if result.rollback_error:
        lines.append(f"roll back FAILED ({result.rollback_error}); after: {back}")
    else:
        lines.append(
            f"rolled back in {result.rollback_seconds:.1f} s ({back}): Superset "
            f"{result.from_version} serves again on the restored metadata (revision "
            f"{result.revision_after})"
        )
    return "\n".join(lines) + "\n"


@app.command("upgrade")
def upgrade_cmd(
    env: EnvOpt = "dev",
    to: Annotated[
        str | None,
        typer.Option("--to", help="The Superset version to run (default: the pinned one)."),
    ] = None,
    health_timeout: Annotated[
        float,
        typer.Option("--health-timeout", min=5.0, help="Seconds a start may take to be healthy."),
    ] = 180.0,
) -> None:
    """Upgrade the local stack's Superset, rolling back on any failure.

    Checks first that `plan` is clean and every chart's data query answers (else exit 1,
    nothing changed). Then backs up the metadata database (into .local/backups/dev, like
    `backup`), stops Superset, installs the new version's runtime when missing, migrates
    (superset db upgrade, init: the app spec's PRE_DEPLOY job), starts it and waits for
    /health, and proves it: `plan` clean against the files and every chart's data query
    answering. A failure in any of these stops the new version, restores the metadata from
    the backup, and starts the old version again, which must answer every chart (exit 1).
    App Platform environments upgrade with `deploy` (a backup before a deployment that
    migrates, a restore on its roll back).

    Example:

        \b
        supersetctl up --superset-version 6.0.0
        supersetctl upgrade --env dev --to 6.1.0
    """
    started = time.monotonic()
    environ = environment(env)

    def progress(message: str) -> None:
        info(f"[{time.monotonic() - started:5.1f}s] {message}")

    result = upgrade_local(environ, to, health_timeout=health_timeout, progress=progress)
    if is_json():
        emit_json(result.as_dict())
    else:
        write(_text(result, environ.paths))
    raise typer.Exit(ExitCode.OK if result.ok else ExitCode.FINDINGS)
