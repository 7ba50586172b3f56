"""Generate a provisioning layout of N datasets / charts / dashboards (for tests and bench)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from supersetctl.superset.bundle import dump_native

NS = "6f1c3f8e-2b1a-4c39-9a52-0d1e5b7a9c10"


def uid(name: str, ns: str = NS) -> str:
    """A stable uuid for ``name`` in namespace ``ns`` (tests pass a fresh namespace each)."""
    return str(uuid.uuid5(uuid.UUID(ns), name))


BENCH_URI = (
    "postgresql://${BENCH_DB_USER}:${BENCH_DB_PASSWORD}@${BENCH_DB_HOST}:${BENCH_DB_PORT}"
    "/${BENCH_DB_NAME}"
)


def _column(name: str, typ: str, dttm: bool = False) -> dict[str, Any]:
    return {
        "column_name": name,
        "verbose_name": None,
        "is_dttm": dttm,
        "is_active": True,
        "type": typ,
        "groupby": True,
        "filterable": True,
        "expression": None,
        "description": None,
        "python_date_format": None,
    }


def position(chart_uuids: list[str], titles: list[str]) -> dict[str, Any]:
    pos: dict[str, Any] = {
        "DASHBOARD_VERSION_KEY": "v2",
        "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["GRID_ID"]},
        "GRID_ID": {"type": "GRID", "id": "GRID_ID", "children": [], "parents": ["ROOT_ID"]},
    }
    rows = [chart_uuids[i : i + 3] for i in range(0, len(chart_uuids), 3)]
    n = 0
    for r, row in enumerate(rows, 1):
        row_id = f"ROW-{r}"
        pos["GRID_ID"]["children"].append(row_id)
        pos[row_id] = {
            "type": "ROW",
            "id": row_id,
            "children": [],
            "parents": ["ROOT_ID", "GRID_ID"],
            "meta": {"background": "BACKGROUND_TRANSPARENT"},
        }
        for cu in row:
            n += 1
            cid = f"CHART-{n}"
            pos[row_id]["children"].append(cid)
            pos[cid] = {
                "type": "CHART",
                "id": cid,
                "children": [],
                "parents": ["ROOT_ID", "GRID_ID", row_id],
                "meta": {
                    "chartId": n,
                    "width": 4,
                    "height": 50,
                    "sliceName": titles[n - 1],
                    "uuid": cu,
                },
            }
    return pos


def generate(
    prov: Path,
    *,
    datasets: int = 30,
    charts: int = 300,
    dashboards: int = 30,
    uri: str = BENCH_URI,
    table: str = "b{i}",
    ns: str = NS,
    db_name: str = "bench",
    prefix: str = "",
) -> None:
    """Write the layout under ``prov`` (the provisioning folder)."""

    def uid(name: str) -> str:
        return str(uuid.uuid5(uuid.UUID(ns), name))

    db_uuid = uid("db")
    files: dict[Path, dict[str, Any]] = {
        prov / "databases" / f"{db_name}.yaml": {
            "database_name": db_name,
            "sqlalchemy_uri": uri,
            "cache_timeout": None,
            "expose_in_sqllab": True,
            "allow_run_async": False,
            "allow_ctas": False,
            "allow_cvas": False,
            "allow_dml": False,
            "extra": {"metadata_params": {}, "engine_params": {}},
            "uuid": db_uuid,
            "version": "1.0.0",
        }
    }
    for i in range(1, datasets + 1):
        name = table.format(i=i)
        files[prov / "datasources" / db_name / f"public.{name}.yaml"] = {
            "table_name": name,
            "main_dttm_col": "ts",
            "schema": "public",
            "sql": None,
            "uuid": uid(f"ds{i}"),
            "metrics": [
                {
                    "metric_name": "count",
                    "verbose_name": "COUNT(*)",
                    "metric_type": "count",
                    "expression": "COUNT(*)",
                }
            ],
            "columns": [
                _column("id", "INTEGER"),
                _column("name", "TEXT"),
                _column("ts", "TIMESTAMP WITHOUT TIME ZONE", True),
                _column("amount", "NUMERIC"),
            ],
            "version": "1.0.0",
            "database_uuid": db_uuid,
        }
    per = max(1, charts // max(1, dashboards))
    for d in range(1, dashboards + 1):
        cuuids, titles = [], []
        for k in range(per):
            c = (d - 1) * per + k + 1
            if c > charts:
                break
            ds = (c - 1) % datasets + 1
            title = f"Chart {c}"
            cuuids.append(uid(f"chart{c}"))
            titles.append(title)
            files[prov / "dashboards" / f"dash-{d}" / "charts" / f"chart-{c}.yaml"] = {
                "slice_name": title,
                "description": None,
                "viz_type": "table",
                "params": {
                    "viz_type": "table",
                    "query_mode": "aggregate",
                    "groupby": ["name"],
                    "metrics": ["count"],
                    "row_limit": 100,
                    "time_range": "No filter",
                    "adhoc_filters": [],
                },
                "cache_timeout": None,
                "uuid": uid(f"chart{c}"),
                "version": "1.0.0",
                "dataset_uuid": uid(f"ds{ds}"),
            }
        files[prov / "dashboards" / f"dash-{d}" / "dashboard.yaml"] = {
            "dashboard_title": f"Dashboard {d}",
            "description": None,
            "css": None,
            "slug": f"{prefix}dash-{d}",
            "published": True,
            "uuid": uid(f"dash{d}"),
            "position": position(cuuids, titles),
            "metadata": {
                "native_filter_configuration": [
                    {
                        "id": f"NATIVE_FILTER-date-{d}",
                        "name": "Date",
                        "filterType": "filter_time",
                        "targets": [{}],
                        "scope": {"rootPath": ["ROOT_ID"], "excluded": []},
                        "controlValues": {},
                        "defaultDataMask": {"filterState": {}, "extraFormData": {}},
                        "type": "NATIVE_FILTER",
                        "cascadeParentIds": [],
                    }
                ],
                "timed_refresh_immune_slices": [],
                "expanded_slices": {},
                "refresh_frequency": 0,
                "color_scheme": "",
                "label_colors": {},
                # as an export of a dashboard nobody has opened yet holds them
                "shared_label_colors": [],
                "map_label_colors": {},
                "color_scheme_domain": [],
                "cross_filters_enabled": True,
            },
            "version": "1.0.0",
        }
    for path, data in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump_native(data), encoding="utf-8")
