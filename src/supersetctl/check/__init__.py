"""``check``: the provisioning files' charts run against the data, as the browser runs them.

- ``check_env(env, client, *, dashboard=None, changed_since=None) -> CheckReport``: every
  chart's query through Superset's ``POST /api/v1/chart/data`` with a small row limit, and
  every dataset's columns and metrics probed on its database as the read-only role.
- ``check_report(env, markdown=None, **options)``: ``check_env`` with its own client, the
  Markdown written to a file (what ``supersetctl check`` runs).
- ``check_markdown(report)``: the report for a pull request comment or a job summary.

The modules: ``queries`` (the chart data bodies and their runs, shared with ``upgrade``),
``datasets`` (the ``information_schema`` and ``LIMIT 0`` probes), ``graph`` (which charts a
dashboard or a change reaches), ``run`` (the check), ``report`` (Markdown).
"""

from __future__ import annotations

from .datasets import DatasetResult
from .queries import ChartAnswer, ChartReport, chart_queries, query_context
from .report import MARKER, check_markdown, check_report, error_markdown
from .run import ROW_LIMIT, ChartResult, CheckReport, check_env

__all__ = [
    "MARKER",
    "ROW_LIMIT",
    "ChartAnswer",
    "ChartReport",
    "ChartResult",
    "CheckReport",
    "DatasetResult",
    "chart_queries",
    "check_env",
    "check_markdown",
    "check_report",
    "error_markdown",
    "query_context",
]
