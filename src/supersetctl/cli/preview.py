"""``preview``: screenshots of the dashboards a change touches, before and after."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from supersetctl.cli._app import app
from supersetctl.cli._options import EnvOpt, UrlOpt, environment
from supersetctl.cli._output import emit_json, is_json, write
from supersetctl.cli._progress import progress
from supersetctl.errors import ExitCode
from supersetctl.preview import RENDER_TIMEOUT, PreviewReport, preview_report
from supersetctl.preview.page import score_text


def _shown(path: Path) -> str:
    """``path`` relative to the current folder when it is below it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def render(report: PreviewReport) -> str:
    """One line per dashboard (status, score, problems), then where the page is."""
    lines = []
    for d in report.dashboards:
        took = ", ".join(
            f"{side} {s.seconds:.1f} s"
            for side, s in (("before", d.before), ("after", d.after))
            if s is not None
        )
        problem = d.error or (
            "charts with errors: " + ", ".join(d.chart_errors) if d.chart_errors else ""
        )
        tail = f": {problem}" if problem else ""
        lines.append(f"{d.status:8} {score_text(d):>9}  {d.slug} ({took}){tail}")
    if not report.dashboards:
        lines.append(f"no dashboard to preview ({report.selection})")
    base = f" against {report.base}" if report.base else ""
    lines.append(
        f"preview {report.env}{base} ({report.selection}): {len(report.dashboards)} "
        f"dashboard(s) in {report.seconds:.1f} s; open {_shown(report.index)}"
    )
    return "\n".join(lines) + "\n"


@app.command()
def preview(
    env: EnvOpt = "dev",
    changed_since: Annotated[
        str | None,
        typer.Option(
            "--changed-since",
            metavar="REF",
            help="The base: the dashboards the provisioning files changed since git REF "
            "reach (through their charts, datasets and databases), and, without "
            "--before-url, REF's files applied to a scratch copy of the local stack as the "
            "'before'.",
        ),
    ] = None,
    dashboard: Annotated[
        list[str] | None,
        typer.Option(
            "--dashboard", "-d", metavar="SLUG", help="Preview this dashboard (repeatable)."
        ),
    ] = None,
    before_url: Annotated[
        str | None,
        typer.Option(
            "--before-url",
            metavar="URL",
            help="Another Superset running the base (same login as the environment).",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Where the PNGs and index.html go [.local/preview/ENV]."),
    ] = None,
    markdown: Annotated[
        Path | None,
        typer.Option("--markdown", help="Also write the summary as Markdown (a PR comment)."),
    ] = None,
    apply: Annotated[
        bool,
        typer.Option(
            "--apply",
            help="Apply the working tree's pending changes to the environment first (without "
            "it, pending changes on a previewed dashboard are refused).",
        ),
    ] = False,
    timeout: Annotated[
        float, typer.Option("--timeout", min=5, help="Seconds a dashboard may take to render.")
    ] = RENDER_TIMEOUT,
    url: UrlOpt = None,
) -> None:
    """Screenshot the dashboards a change touches, before and after, with the share of
    pixels that differ, as PNGs and a page (index.html) to look at side by side.

    Headless Chromium (the system's, through Playwright) logs in like a user and waits for
    every chart to finish rendering (no spinner left, data or an error shown), then for
    the charts' animations to stop: no fixed sleep. The 'after' is the environment as it
    runs: it must show the working tree (pending changes are refused unless --apply). The
    'before' is --before-url, or with --changed-since a scratch Superset copied from the
    local stack with REF's files applied, removed afterwards. Without either, only the
    'after' is shot. Exit 1 when a dashboard does not render or shows a chart error.

    Example:

    \b
        supersetctl preview --env dev --changed-since main
        supersetctl preview --env dev --changed-since HEAD~1 --markdown preview.md
        supersetctl preview --env dev --dashboard sales-overview
        supersetctl preview --env staging -d sales-overview --before-url https://bi.example.com
    """
    environ = environment(env, url=url)
    with progress() as shown:
        report = preview_report(
            environ,
            markdown,
            changed_since=changed_since,
            dashboards=tuple(dashboard or ()),
            before_url=before_url,
            out=out,
            apply=apply,
            timeout=timeout,
            progress=shown,
        )
    if is_json():
        emit_json(report.as_dict())
    else:
        write(render(report))
    raise typer.Exit(ExitCode.OK if report.ok else ExitCode.FINDINGS)
