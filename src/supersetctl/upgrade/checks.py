"""What proves an upgraded Superset serves the dashboards: every chart's data query answering
with rows. The queries themselves are :mod:`supersetctl.check.queries`, the ones ``check``
runs; this module keeps the names the upgrade procedure uses."""

from __future__ import annotations

from supersetctl.check.queries import ChartAnswer, ChartReport, chart_queries, query_context

__all__ = ["ChartAnswer", "ChartReport", "chart_queries", "query_context"]
