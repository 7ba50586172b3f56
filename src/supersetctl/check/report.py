"""A check as Markdown, for a pull request comment (one per environment, edited in place:
the marker is ``<!-- supersetctl-check:ENV -->``) and a CI job summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from supersetctl.contract.environment import Environment
from supersetctl.fsutil import report_to
from supersetctl.markdown import cell, failed_section
from supersetctl.redact import redact

from .run import CheckReport, check_env

MARKER = "<!-- supersetctl-check:{env} -->"
_MAX_ROWS = 200  # GitHub refuses a comment over 65,536 characters


def check_markdown(report: CheckReport, url: str = "") -> str:
    """The Markdown section of one environment's check (starts with its marker)."""
    where = f" ({url})" if url else ""
    failed = report.failed_charts
    verdict = "ok" if report.ok else f"{len(failed)} chart(s) failing"
    if report.failed_datasets:
        verdict += (
            f", {len(report.failed_datasets)} dataset(s) broken"
            if failed
            else (f"{len(report.failed_datasets)} dataset(s) broken")
        )
    lines = [
        MARKER.format(env=report.env),
        f"### supersetctl check: {report.env}{where}: {verdict}",
        "",
        f"{len(report.charts)} chart(s) and {len(report.datasets)} dataset(s) checked "
        f"({report.selection}) in {report.seconds:.1f} s.",
        "",
    ]
    if report.broken_dashboards:
        lines += [
            "Dashboards affected: " + ", ".join(f"*{t}*" for t in report.broken_dashboards),
            "",
        ]
    if failed:
        lines += ["| chart | error | dataset | dashboards |", "|---|---|---|---|"]
        for c in failed[:_MAX_ROWS]:
            lines.append(
                f"| {cell(c.name)} ({f'`{c.file}`' if c.file else f'id {c.id}, no file'}) | "
                f"{cell(c.message)} | "
                f"{cell(c.dataset)} | {cell(', '.join(c.dashboards))} |"
            )
        if len(failed) > _MAX_ROWS:
            lines.append(f"| ... {len(failed) - _MAX_ROWS} more | | | |")
        lines.append("")
    for d in report.failed_datasets:
        lines.append(f"- dataset *{d.name}*: " + "; ".join(d.problems))
    ok = [c for c in report.charts if c.ok]
    if ok:
        lines += ["", f"<details><summary>{len(ok)} chart(s) ok</summary>", ""]
        lines += [f"- {c.name} ({c.rows} row(s))" for c in ok[:_MAX_ROWS]]
        lines += ["", "</details>"]
    return redact("\n".join(lines).rstrip() + "\n")


def error_markdown(env: str, message: str) -> str:
    """The section of an environment whose check could not run."""
    return failed_section(
        MARKER.format(env=env), f"supersetctl check: {env}: failed to run", message
    )


def check_report(env: Environment, markdown: Path | None = None, **options: Any) -> CheckReport:
    """:func:`check_env` with a client of its own, and with ``markdown`` the report as
    Markdown in that file; a check that cannot run writes its error there before raising, so
    the comment says why."""
    from supersetctl.provision import client_for

    def make() -> CheckReport:
        with client_for(env) as client:
            return check_env(env, client, **options)

    return report_to(
        markdown,
        make,
        lambda report: check_markdown(report, env.url),
        lambda message: error_markdown(env.name, message),
    )
