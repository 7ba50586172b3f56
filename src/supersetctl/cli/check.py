"""``check``: every chart run against the data, as the browser runs it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from supersetctl.check import ROW_LIMIT, CheckReport, check_report
from supersetctl.check.queries import PARALLEL
from supersetctl.cli._app import app
from supersetctl.cli._options import EnvOpt, UrlOpt, environment
from supersetctl.cli._output import emit_json, is_json, write
from supersetctl.cli._progress import progress
from supersetctl.errors import ExitCode


def render(report: CheckReport) -> str:
    """The report as text: one line per failure (chart, dataset), then the verdict."""
    lines = []
    for c in report.failed_charts:
        boards = ", ".join(c.dashboards) or "no dashboard"
        where = c.file or f"id {c.id}, no file"
        lines.append(f"FAIL chart {c.name} ({where}) on {c.dataset or '?'} [{boards}]: {c.message}")
    for d in report.failed_datasets:
        boards = ", ".join(report.dataset_dashboards.get(d.uuid, [])) or "no dashboard"
        lines.append(f"FAIL dataset {d.name} [{boards}]: " + "; ".join(d.problems))
    for d in report.datasets:
        if d.skipped:
            lines.append(f"skipped dataset {d.name}: {d.skipped}")
    ok_charts = len(report.charts) - len(report.failed_charts)
    ok_sets = sum(1 for d in report.datasets if d.ok and not d.skipped)
    verdict = "ok" if report.ok else "FAILED"
    lines.append(
        f"check {report.env} ({report.selection}): {verdict}: {ok_charts}/{len(report.charts)} "
        f"charts answered, {ok_sets}/{len(report.datasets)} datasets resolve "
        f"({report.seconds:.1f} s)"
    )
    if report.broken_dashboards:
        lines.append("dashboards affected: " + ", ".join(report.broken_dashboards))
    return "\n".join(lines) + "\n"


@app.command()
def check(
    env: EnvOpt = "dev",
    dashboard: Annotated[
        str | None,
        typer.Option("--dashboard", "-d", help="Only the charts of this dashboard (slug)."),
    ] = None,
    changed_since: Annotated[
        str | None,
        typer.Option(
            "--changed-since",
            metavar="REF",
            help="Only what the provisioning files changed since git REF reach: a database "
            "its datasets and their charts, a dataset its charts, a dashboard its charts.",
        ),
    ] = None,
    markdown: Annotated[
        Path | None,
        typer.Option(
            "--markdown",
            help="Also write the report as Markdown to this file (for a "
            "pull request comment or a job summary).",
        ),
    ] = None,
    parallel: Annotated[
        int, typer.Option("--parallel", min=1, max=32, help="Chart queries at once.")
    ] = PARALLEL,
    row_limit: Annotated[
        int, typer.Option("--row-limit", min=1, help="Rows each chart query asks for.")
    ] = ROW_LIMIT,
    datasets: Annotated[
        bool,
        typer.Option(
            "--datasets/--no-datasets",
            help="Probe each dataset on its database as the read-only role (--no-datasets: "
            "this machine cannot reach the database; the chart queries still run in Superset).",
        ),
    ] = True,
    unmanaged: Annotated[
        bool,
        typer.Option(
            "--unmanaged",
            help="Also run every chart on the instance that has no file (made by hand in the "
            "UI, or another repo's): read requests only.",
        ),
    ] = False,
    url: UrlOpt = None,
) -> None:
    """Run every chart of the provisioning files through Superset's chart data API, as the
    browser would, and probe every dataset's columns and metrics on its database.

    Each chart's query goes to POST /api/v1/chart/data with a small row limit (Superset
    connects as the database's read-only role); each dataset's declared columns are looked
    up in information_schema and each expression tried in a LIMIT 0 query, logged in as the
    read-only role config/<env>/ names. A failure names the chart, Superset's message, the
    dataset and every dashboard that shows it. Exit 0 when everything answers, 1 otherwise.

    Example:

    \b
        supersetctl check --env dev
        supersetctl check --env staging --dashboard sales-overview
        supersetctl check --env staging --changed-since origin/main --markdown check.md
        supersetctl check --env dev --unmanaged
        supersetctl --format json check --env prod
    """
    environ = environment(env, url=url)
    with progress() as shown:
        report = check_report(
            environ,
            markdown,
            dashboard=dashboard,
            changed_since=changed_since,
            parallel=parallel,
            row_limit=row_limit,
            datasets=datasets,
            unmanaged=unmanaged,
            progress=shown,
        )
    if is_json():
        emit_json(report.as_dict())
    else:
        write(render(report))
    raise typer.Exit(ExitCode.OK if report.ok else ExitCode.FINDINGS)
