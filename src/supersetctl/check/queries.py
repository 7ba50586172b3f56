"""Chart data queries, as the browser sends them to ``POST /api/v1/chart/data``.

A chart's query is its saved ``query_context`` when it has one, else one built from its saved
``params`` (metrics, group-by columns, x axis, row limit, time range), which is what the
starter charts need: provisioning files carry no query context. ``check`` runs them with a
small row limit; ``upgrade`` runs every chart with the chart's own limit and wants rows back.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from supersetctl.errors import SupersetAPIError
from supersetctl.progress import NO_PROGRESS, Progress
from supersetctl.redact import redact
from supersetctl.superset.client import SupersetClient

PARALLEL = 4  # chart queries at once (a browser sends up to 6; the local stack has 8 threads)
CHART_COLUMNS = (
    "id",
    "uuid",
    "slice_name",
    "params",
    "query_context",
    "datasource_id",
    "datasource_type",
)
_MESSAGE = 300  # characters of Superset's message kept
_ANSWERS = (200, 400, 403, 404, 422, 500)  # a refusal carries Superset's message: read it


@dataclass(frozen=True)
class ChartAnswer:
    id: int
    name: str
    rows: int
    error: str | None = None
    seconds: float = 0.0

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


def query_context(chart: Mapping[str, Any], *, row_limit: int | None = None) -> dict[str, Any]:
    """The body of ``POST /api/v1/chart/data`` for one chart (see the module docstring);
    ``row_limit`` caps every query's rows (the chart's own limit otherwise)."""
    saved = _loads(chart.get("query_context"))
    if saved.get("queries"):
        saved.setdefault("form_data", {})["slice_id"] = chart["id"]
        saved["result_format"], saved["result_type"] = "json", "full"
        if row_limit is not None:
            for saved_query in saved["queries"]:
                if isinstance(saved_query, dict):
                    saved_query["row_limit"] = row_limit
        return saved
    params = _loads(chart.get("params"))
    metrics = params.get("metrics") or ([params["metric"]] if params.get("metric") else [])
    query: dict[str, Any] = {
        "columns": _columns(params),
        "metrics": metrics,
        "filters": [],
        "extras": {"having": "", "where": ""},
        "row_limit": row_limit or int(params.get("row_limit") or 1000),
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


def _refusal(status: int, body: Any) -> str:
    """Superset's own message for a refused query (``errors[0].message`` or ``message``)."""
    data = body if isinstance(body, dict) else {}
    errors = data.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return redact(str(errors[0].get("message") or errors[0]))
    message = data.get("message")
    if message:
        return redact(message if isinstance(message, str) else json.dumps(message))
    return f"HTTP {status}"


def ask(
    client: SupersetClient,
    chart: Mapping[str, Any],
    *,
    row_limit: int | None = None,
    want_rows: bool = True,
) -> ChartAnswer:
    """One chart's data query: its rows, or Superset's message (``want_rows``: no rows is a
    failure too, as for an upgrade on seed data)."""
    chart_id, name = int(chart["id"]), str(chart.get("slice_name") or chart["id"])
    started = time.monotonic()
    try:
        body = query_context(chart, row_limit=row_limit)
        response = client.request("POST", "api/v1/chart/data", ok=_ANSWERS, json=body)
        data = _loads(response.text)
        if response.status_code != 200:
            why = _refusal(response.status_code, data)
            return ChartAnswer(chart_id, name, 0, why[:_MESSAGE], time.monotonic() - started)
        results = data.get("result") or []
    except (SupersetAPIError, KeyError, ValueError, AttributeError) as exc:
        return ChartAnswer(chart_id, name, 0, str(exc)[:_MESSAGE], time.monotonic() - started)
    took = time.monotonic() - started
    errors = [str(r["error"]) for r in results if r.get("error")]
    rows = sum(int(r.get("rowcount") or 0) for r in results)
    if errors:
        return ChartAnswer(chart_id, name, rows, errors[0][:_MESSAGE], took)
    if want_rows and (not results or rows == 0):
        return ChartAnswer(chart_id, name, 0, "the query answered no rows", took)
    return ChartAnswer(chart_id, name, rows, None, took)


def run_queries(
    client: SupersetClient,
    charts: Iterable[Mapping[str, Any]],
    *,
    parallel: int = PARALLEL,
    row_limit: int | None = None,
    want_rows: bool = True,
    progress: Progress = NO_PROGRESS,
) -> list[ChartAnswer]:
    """Every chart's query, ``parallel`` at a time, in the order given."""
    charts = list(charts)
    progress.phase("running chart queries", len(charts))

    def one(chart: Mapping[str, Any]) -> ChartAnswer:
        answer = ask(client, chart, row_limit=row_limit, want_rows=want_rows)
        progress.advance()
        return answer

    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        return list(pool.map(one, charts))


def chart_queries(client: SupersetClient) -> ChartReport:
    """Every chart's data query, a few at a time; which answered, and why not."""
    charts = sorted(client.list("chart", CHART_COLUMNS), key=lambda c: int(c["id"]))
    return ChartReport(run_queries(client, charts))
