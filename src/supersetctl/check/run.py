"""``check``: every chart of the provisioning files run through Superset's chart data API, and
every dataset they use probed on its database as the environment's read-only role.

:func:`check_env` picks the charts (all, one dashboard's, or what a change reaches: see
:mod:`.graph`), finds each live by uuid, runs the queries a few at a time
(:mod:`.queries`), probes the datasets (:mod:`.datasets`) and returns a :class:`CheckReport`:
per chart ok or Superset's message, its dataset and the dashboards that show it.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from supersetctl import pg
from supersetctl.contract.environment import Environment
from supersetctl.contract.models import db_var_prefix
from supersetctl.errors import ConfigError, DatabaseError, UsageError
from supersetctl.progress import NO_PROGRESS, Progress
from supersetctl.provision import Desired, load_desired
from supersetctl.provision.impact import touched_dashboards
from supersetctl.superset.client import SupersetClient

from .datasets import DatasetResult, dataset_name, probe_dataset
from .graph import changed_files, changed_uuids, charts_of_dashboard, reached
from .queries import CHART_COLUMNS, PARALLEL, run_queries

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)

ROW_LIMIT = 10  # rows a chart query asks for: enough to prove it runs
_VAR = re.compile(r"\$\{([A-Z0-9_]+)_DB_[A-Z]+\}")

Connect = Callable[[dict[str, str]], "psycopg.Connection[Any]"]


@dataclass(frozen=True)
class ChartResult:
    uuid: str
    name: str
    file: str
    dataset: str
    dashboards: list[str]
    id: int | None = None
    rows: int = 0
    error: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def message(self) -> str:
        """The first line of the error (Superset's SQL errors go on with the query's text)."""
        return (self.error or "").strip().split("\n", 1)[0]

    def as_dict(self) -> dict[str, Any]:
        return {
            "chart": self.name,
            "uuid": self.uuid,
            "id": self.id,
            "file": self.file,
            "status": "ok" if self.ok else "error",
            "error": self.error,
            "rows": self.rows,
            "dataset": self.dataset,
            "dashboards": self.dashboards,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class CheckReport:
    env: str
    charts: list[ChartResult] = field(default_factory=list)
    datasets: list[DatasetResult] = field(default_factory=list)
    dataset_dashboards: dict[str, list[str]] = field(default_factory=dict)
    selection: str = "all"
    seconds: float = 0.0

    @property
    def failed_charts(self) -> list[ChartResult]:
        return [c for c in self.charts if not c.ok]

    @property
    def failed_datasets(self) -> list[DatasetResult]:
        return [d for d in self.datasets if not d.ok]

    @property
    def ok(self) -> bool:
        return not self.failed_charts and not self.failed_datasets

    @property
    def broken_dashboards(self) -> list[str]:
        titles = {t for c in self.failed_charts for t in c.dashboards}
        titles |= {t for d in self.failed_datasets for t in self.dataset_dashboards.get(d.uuid, [])}
        return sorted(titles)

    def as_dict(self) -> dict[str, Any]:
        return {
            "env": self.env,
            "ok": self.ok,
            "selection": self.selection,
            "charts": [c.as_dict() for c in self.charts],
            "datasets": [
                {**d.as_dict(), "dashboards": self.dataset_dashboards.get(d.uuid, [])}
                for d in self.datasets
            ],
            "failed": {
                "charts": [c.name for c in self.failed_charts],
                "datasets": [d.name for d in self.failed_datasets],
                "dashboards": self.broken_dashboards,
            },
            "seconds": round(self.seconds, 2),
        }


def select_charts(
    env: Environment,
    desired: list[Desired],
    *,
    dashboard: str | None = None,
    changed_since: str | None = None,
) -> tuple[set[str], str]:
    """The uuids of the charts and datasets to check, and the selection in words."""
    kinds = {d.uuid.lower(): d.kind for d in desired}
    if changed_since is not None:
        files = changed_files(env.paths.root, changed_since, env.paths.provisioning)
        chosen = reached(desired, changed_uuids(desired, files))
        words = f"changed since {changed_since} ({len(files)} file(s))"
    else:
        chosen = {u for u, k in kinds.items() if k in ("chart", "dataset")}
        words = "all"
    if dashboard is not None:
        boards = [d for d in desired if d.kind == "dashboard" and d.data.get("slug") == dashboard]
        if not boards:
            slugs = sorted(str(d.data.get("slug")) for d in desired if d.kind == "dashboard")
            raise UsageError(
                f"no dashboard with slug '{dashboard}' in the provisioning files",
                hint="one of: " + ", ".join(slugs) if slugs else "there are no dashboards",
            )
        on_board = charts_of_dashboard(boards[0])
        uses = {
            str(d.data.get("dataset_uuid", "")).lower()
            for d in desired
            if d.uuid.lower() in on_board
        }
        chosen &= on_board | uses
        words = f"dashboard {dashboard}" + ("" if words == "all" else f", {words}")
    return {u for u in chosen if kinds.get(u) in ("chart", "dataset")}, words


def _database_key(env: Environment, database: Desired | None) -> str | None:
    """The ``databases.<key>`` of config/<env>/ a database file connects to (by the
    ``${<KEY>_DB_...}`` its URI names)."""
    if database is None:
        return None
    uri = str(database.asset.raw.get("sqlalchemy_uri") or "")
    prefixes = set(_VAR.findall(uri))
    for key in env.config.databases:
        if db_var_prefix(key) in prefixes:
            return key
    return None


def probe_datasets(
    env: Environment,
    desired: list[Desired],
    uuids: set[str],
    *,
    connect: Connect | None = None,
    progress: Progress = NO_PROGRESS,
) -> list[DatasetResult]:
    """Each dataset in ``uuids``, probed on its database as the read-only role config/<env>/
    names for it (one connection per database)."""
    from supersetctl.db.source_checks import source_conninfo  # psycopg: only when probing

    by_uuid = {d.uuid.lower(): d for d in desired}
    datasets = sorted(
        (by_uuid[u] for u in uuids if by_uuid[u].kind == "dataset"),
        key=lambda d: dataset_name(d.data),
    )
    progress.phase("probing datasets", len(datasets))
    groups: dict[str | None, list[Desired]] = {}
    for d in datasets:
        db = by_uuid.get(str(d.data.get("database_uuid", "")).lower())
        groups.setdefault(_database_key(env, db), []).append(d)
    results: dict[str, DatasetResult] = {}
    for key, members in groups.items():
        if key is None:
            for d in members:
                results[d.uuid.lower()] = DatasetResult(
                    d.uuid.lower(),
                    dataset_name(d.data),
                    skipped="its database is not one config/" + env.name + " declares",
                )
            continue
        failure = f"cannot probe the datasets of databases.{key}"
        try:
            info = source_conninfo(env, key)
            conn = connect(info) if connect else pg.connect(info, failure=failure)
        except (ConfigError, DatabaseError) as exc:
            for d in members:
                results[d.uuid.lower()] = DatasetResult(
                    d.uuid.lower(), dataset_name(d.data), [str(exc)]
                )
            progress.advance(len(members))
            continue
        with conn, pg.translated(failure):
            for d in members:
                results[d.uuid.lower()] = probe_dataset(conn, d.uuid.lower(), d.data)
                progress.advance()
    return [results[d.uuid.lower()] for d in datasets]


def check_env(
    env: Environment,
    client: SupersetClient,
    *,
    dashboard: str | None = None,
    changed_since: str | None = None,
    parallel: int = PARALLEL,
    row_limit: int = ROW_LIMIT,
    datasets: bool = True,
    unmanaged: bool = False,
    desired: list[Desired] | None = None,
    connect: Connect | None = None,
    progress: Progress = NO_PROGRESS,
) -> CheckReport:
    """Check ``env``'s charts (see the module docstring); raises only when it cannot run.

    With ``unmanaged``, the charts on the instance that have no file (made by hand, or another
    repo's) run too: read requests only, reported without a file or dashboards."""
    if unmanaged and (dashboard or changed_since):
        raise UsageError(
            "--unmanaged checks every chart on the instance: it does not go with "
            "--dashboard or --changed-since",
            hint="run them separately",
        )
    started = time.monotonic()
    desired = load_desired(env) if desired is None else desired
    chosen, words = select_charts(env, desired, dashboard=dashboard, changed_since=changed_since)
    touched = {k.lower(): v for k, v in touched_dashboards(desired).items()}
    by_uuid = {d.uuid.lower(): d for d in desired}
    wanted = sorted(
        (by_uuid[u] for u in chosen if by_uuid[u].kind == "chart"),
        key=lambda d: (d.asset.rel, d.uuid),
    )
    if unmanaged:
        words += " and every chart without a file"
    report = CheckReport(env.name, selection=words)
    if wanted or unmanaged:
        progress.phase("listing charts", None)
        live = {str(c.get("uuid") or "").lower(): c for c in client.list("chart", CHART_COLUMNS)}
        present = [live[d.uuid.lower()] for d in wanted if d.uuid.lower() in live]
        by_hand = sorted(
            (c for u, c in live.items() if u not in by_uuid) if unmanaged else (),
            key=lambda c: (str(c.get("slice_name") or ""), int(c["id"])),
        )
        answers = {
            a.id: a
            for a in run_queries(
                client,
                present + by_hand,
                parallel=parallel,
                row_limit=row_limit,
                want_rows=False,
                progress=progress,
            )
        }
        for d in wanted:
            row = live.get(d.uuid.lower())
            dataset = by_uuid.get(str(d.data.get("dataset_uuid", "")).lower())
            base = ChartResult(
                uuid=d.uuid.lower(),
                name=str(d.data.get("slice_name") or d.uuid),
                file=d.asset.rel,
                dataset=dataset_name(dataset.data) if dataset else "",
                dashboards=touched.get(d.uuid.lower(), []),
                error=f"not on {env.url} (run `supersetctl apply --env {env.name}`)",
            )
            if row is not None:
                a = answers[int(row["id"])]
                base = replace(base, id=a.id, rows=a.rows, error=a.error, seconds=a.seconds)
            report.charts.append(base)
        for row in by_hand:
            a = answers[int(row["id"])]
            report.charts.append(
                ChartResult(
                    uuid=str(row.get("uuid") or "").lower(),
                    name=a.name,
                    file="",
                    dataset="",
                    dashboards=[],
                    id=a.id,
                    rows=a.rows,
                    error=a.error,
                    seconds=a.seconds,
                )
            )
    if datasets:
        report.datasets = probe_datasets(env, desired, chosen, connect=connect, progress=progress)
        report.dataset_dashboards = {d.uuid: touched.get(d.uuid, []) for d in report.datasets}
    report.seconds = time.monotonic() - started
    return report
