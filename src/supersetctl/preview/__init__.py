"""``preview``: screenshots of the dashboards a change touches, before and after, compared.

- ``preview_env(env, *, changed_since=None, dashboards=(), before_url=None, out=None,
  apply=False) -> PreviewReport``: the dashboards chosen, screenshotted on the "before"
  (``before_url``, or the base's files applied to a scratch copy of the local stack) and on
  ``env`` ("after"), each pair scored, ``index.html`` written beside the PNGs.
- ``preview_report(env, markdown=None, **options)``: the same, with the Markdown written to a
  file (what ``supersetctl preview`` runs).
- ``preview_markdown(report)``: the report for a pull request comment or a job summary.

The modules: ``browser`` (Chromium through Playwright: launch, login, waiting for every chart
to render, the screenshot; the tests use it too), ``diff`` (the score and the diff picture),
``scratch`` (the "before" Superset beside the local stack), ``run`` (the preview), ``model``
(what it returns), ``page`` (HTML and Markdown).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from supersetctl.contract.environment import Environment
from supersetctl.fsutil import report_to

from .browser import RENDER_TIMEOUT, VIEWPORT, ChartState, Shot
from .diff import Difference, compare
from .model import SAME_BELOW, DashboardPreview, PreviewReport
from .page import MARKER, error_markdown, index_html, preview_markdown
from .run import preview_env


def preview_report(env: Environment, markdown: Path | None = None, **options: Any) -> PreviewReport:
    """:func:`preview_env`, and with ``markdown`` the report as Markdown in that file (a
    preview that cannot run writes its error there before raising)."""
    return report_to(
        markdown,
        lambda: preview_env(env, **options),
        lambda report: preview_markdown(report, env.url),
        lambda message: error_markdown(env.name, message),
    )


__all__ = [
    "MARKER",
    "RENDER_TIMEOUT",
    "SAME_BELOW",
    "VIEWPORT",
    "ChartState",
    "DashboardPreview",
    "Difference",
    "PreviewReport",
    "Shot",
    "compare",
    "index_html",
    "preview_env",
    "preview_markdown",
    "preview_report",
]
