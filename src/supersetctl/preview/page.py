"""A preview as pages: ``index.html`` beside the PNGs (before, after and diff side by side,
the score per dashboard) and Markdown for a pull request comment or a job summary (one per
environment, edited in place: the marker is ``<!-- supersetctl-preview:ENV -->``)."""

from __future__ import annotations

import html
from pathlib import Path

from supersetctl.fsutil import atomic_write
from supersetctl.markdown import cell, failed_section
from supersetctl.redact import redact

from .model import DashboardPreview, PreviewReport

MARKER = "<!-- supersetctl-preview:{env} -->"

_CSS = """body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
table.shots{border-collapse:collapse;width:100%;table-layout:fixed}
table.shots td{vertical-align:top;padding:4px;border:1px solid #ddd}
table.shots img{width:100%;height:auto}
.changed{color:#b00}.same{color:#070}.error{color:#b00;font-weight:bold}
.new,.removed,.shot{color:#555}code{background:#f4f4f4;padding:0 3px}"""


def score_text(d: DashboardPreview) -> str:
    if d.status == "error":
        return "error"
    if d.score is None:
        return {"new": "new", "removed": "removed"}.get(d.status, "-")
    if 0 < d.score < 0.0001:
        return "< 0.01 %"  # changed, but too little to show in hundredths
    return f"{d.score * 100:.2f} %"


def _rel(path: Path | None, root: Path) -> str | None:
    if path is None:
        return None
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _cell(path: Path | None, root: Path, what: str) -> str:
    rel = _rel(path, root)
    if rel is None:
        return f"<td><em>no {what}</em></td>"
    src = html.escape(rel, quote=True)
    return f'<td><a href="{src}"><img src="{src}" alt="{what}"></a></td>'


def index_html(report: PreviewReport) -> str:
    """The page: one section per dashboard, its score, then before | after | diff."""
    e = html.escape
    base = f" against {e(report.base)}" if report.base else ""
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>supersetctl preview: {e(report.env)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>supersetctl preview: {e(report.env)}{base}</h1>",
        f"<p>{len(report.dashboards)} dashboard(s), {e(report.selection)}.</p>",
        "<ul>",
    ]
    for d in report.dashboards:
        parts.append(
            f'<li><a href="#{e(d.slug)}">{e(d.title)}</a>: '
            f'<span class="{d.status}">{d.status} ({score_text(d)})</span></li>'
        )
    parts.append("</ul>")
    for d in report.dashboards:
        parts.append(
            f'<h2 id="{e(d.slug)}">{e(d.title)} <code>{e(d.slug)}</code>: '
            f'<span class="{d.status}">{d.status}, {score_text(d)}</span></h2>'
        )
        if d.error:
            parts.append(f'<p class="error">{e(d.error)}</p>')
        if d.chart_errors:
            parts.append(
                '<p class="error">charts showing an error: ' + e(", ".join(d.chart_errors)) + "</p>"
            )
        parts.append('<table class="shots"><tr><th>before</th><th>after</th><th>diff</th></tr>')
        parts.append(
            "<tr>"
            + _cell(d.before.path if d.before else None, report.out, "before")
            + _cell(d.after.path if d.after else None, report.out, "after")
            + _cell(d.diff, report.out, "diff")
            + "</tr></table>"
        )
    parts.append("</body></html>")
    return redact("\n".join(parts) + "\n")


def preview_markdown(report: PreviewReport, url: str = "") -> str:
    """The Markdown section of one environment's preview (starts with its marker)."""
    where = f" ({url})" if url else ""
    changed = [d for d in report.dashboards if d.status in ("changed", "new", "removed")]
    failed = [d for d in report.dashboards if not d.ok]
    verdict = f"{len(changed)} of {len(report.dashboards)} dashboard(s) look different"
    if failed:
        verdict += f", {len(failed)} with errors"
    base = f" against `{report.base}`" if report.base else ""
    lines = [
        MARKER.format(env=report.env),
        f"### supersetctl preview: {report.env}{where}: {verdict}",
        "",
        f"{len(report.dashboards)} dashboard(s) ({report.selection}){base}, "
        f"in {report.seconds:.1f} s. Screenshots: `{report.index}`.",
        "",
        "| dashboard | status | difference | problems |",
        "|---|---|---|---|",
    ]
    for d in report.dashboards:
        problems = d.error or (
            "charts with errors: " + ", ".join(d.chart_errors) if d.chart_errors else ""
        )
        lines.append(
            f"| {cell(d.title)} (`{d.slug}`) | {d.status} | {score_text(d)} | {cell(problems)} |"
        )
    return redact("\n".join(lines).rstrip() + "\n")


def error_markdown(env: str, message: str) -> str:
    """The section of an environment whose preview could not run."""
    return failed_section(
        MARKER.format(env=env), f"supersetctl preview: {env}: failed to run", message
    )


def write_index(report: PreviewReport) -> Path:
    atomic_write(report.index, index_html(report))
    return report.index
