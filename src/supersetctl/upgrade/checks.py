"""What proves an upgraded Superset serves the dashboards: ``plan`` clean against the files,
and every chart's data query answering with rows.

A chart's query is the one the browser would send to ``POST /api/v1/chart/data``: the chart's
saved ``query_context`` when it has one, else one built from its saved ``params`` (metrics,
group-by columns, x axis, row limit, time range), which is what the starter charts need:
provisioning files carry no query context.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from supersetctl.errors import SupersetAPIError
from supersetctl.superset.client import SupersetClient

_PARALLEL = 4  # chart queries at once (a browser sends up to 6)


@dataclass(frozen=True)
class ChartAnswer:
    id: int
    name: str
    rows: int
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class ChartReport:
    answers: list[ChartAnswer] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every chart answered (an instance without charts has none to fail)."""
        return all(a.ok for a in self.answers)

    @property
    def failed(self) -> list[ChartAnswer]:
        return [a for a in self.answers if not a.ok]

    def as_dict(self) -> dict[str, Any]:
        return {
            "charts": len(self.answers),
            "answered": sum(1 for a in self.answers if a.ok),
            "failed": [{"id": a.id, "name": a.name, "error": a.error} for a in self.failed],
        }


def _loads(text: Any) -> dict[str, Any]:
    if isinstance(text, dict):
        return text
    if not isinstance(text, str) or not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _columns(params: Mapping[str, Any]) -> list[Any]:
    out: list[Any] = []
    x_axis = params.get("x_axis")
    if isinstance(x_axis, str) and x_axis:
        out.append(
            {
                "columnType": "BASE_AXIS",
                "expressionType": "SQL",
                "label": x_axis,
                "sqlExpression": x_axis,
                "timeGrain": params.get("time_grain_sqla"),
            }
        )
    for key in ("groupby", "columns", "all_columns"):
        value = params.get(key)
        if isinstance(value, list):
            out.extend(c for c in value if c and c not in out)
    return out


def query_context(chart: Mapping[str, Any]) -> dict[str, Any]:
    """The body of ``POST /api/v1/chart/data`` for one chart (see the module docstring)."""
    saved = _loads(chart.get("query_context"))
    if saved.get("queries"):
        saved.setdefault("form_data", {})["slice_id"] = chart["id"]
        saved["result_format"], saved["result_type"] = "json", "full"
        return saved
    params = _loads(chart.get("params"))
    metrics = params.get("metrics") or ([params["metric"]] if params.get("metric") else [])
    query: dict[str, Any] = {
        "columns": _columns(params),
        "metrics": metrics,
        "filters": [],
        "extras": {"having": "", "where": ""},
        "row_limit": int(params.get("row_limit") or 1000),
        "time_range": params.get("time_range") or "No filter",
        "orderby": [[metrics[0], False]] if metrics and params.get("order_desc") else [],
    }
    return {
        "datasource": {
            "id": chart["datasource_id"],
            "type": chart.get("datasource_type") or "table",
        },
        "force": True,
        "queries": [query],
        "form_data": {**params, "slice_id": chart["id"]},
        "result_format": "json",
        "result_type": "full",
    }


def _ask(client: SupersetClient, chart: Mapping[str, Any]) -> ChartAnswer:
    name = str(chart.get("slice_name") or chart["id"])
    try:
        body = query_context(chart)
        response = client.request("POST", "api/v1/chart/data", json=body)
        results = response.json().get("result") or []
    except (SupersetAPIError, KeyError, ValueError) as exc:
        return ChartAnswer(int(chart["id"]), name, 0, str(exc)[:300])
    errors = [str(r["error"]) for r in results if r.get("error")]
    rows = sum(int(r.get("rowcount") or 0) for r in results)
    if errors:
        return ChartAnswer(int(chart["id"]), name, rows, errors[0][:300])
    if not results or rows == 0:
        return ChartAnswer(int(chart["id"]), name, 0, "the query answered no rows")
    return ChartAnswer(int(chart["id"]), name, rows)


def chart_queries(client: SupersetClient) -> ChartReport:
    """Every chart's data query, a few at a time; which answered, and why not."""
    columns = ["id", "slice_name", "params", "query_context", "datasource_id", "datasource_type"]
    charts = sorted(client.list("chart", columns), key=lambda c: int(c["id"]))
    with ThreadPoolExecutor(max_workers=_PARALLEL) as pool:
        answers = list(pool.map(lambda c: _ask(client, c), charts))
    return ChartReport(answers)
