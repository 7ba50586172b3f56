"""``check`` without servers: which charts a dashboard or a change reaches (on the starter
files), the chart data bodies and answers (behind ``httpx.MockTransport``), the reports."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import httpx
import pytest

from supersetctl.check import ChartResult, CheckReport, DatasetResult, check_markdown
from supersetctl.check.graph import changed_files, changed_uuids, reached
from supersetctl.check.queries import ask, query_context, run_queries
from supersetctl.check.run import select_charts
from supersetctl.cli.check import render
from supersetctl.contract.environment import Environment, load_environment
from supersetctl.errors import UsageError
from supersetctl.paths import RepoPaths
from supersetctl.progress import Recorder
from supersetctl.provision import Desired, load_desired
from supersetctl.superset import Credentials, SupersetClient
from tests.support.helpers import copy_repo, git

STOCK_MOVES = "analytics.stock_moves"


def _env(root: Path) -> Environment:
    environ = {"ODOO_RO_PASSWORD": "ro_" + secrets.token_hex(8), "SUPERSETCTL_TOKEN_CACHE": "off"}
    return load_environment(RepoPaths(root), "dev", environ=environ)


@pytest.fixture(scope="module")
def starter(tmp_path_factory: pytest.TempPathFactory) -> tuple[Environment, list[Desired]]:
    root = copy_repo(tmp_path_factory.mktemp("check") / "repo", ("infra", "config"))
    env = _env(root)
    return env, load_desired(env)


def _uuid(desired: list[Desired], kind: str, name: str) -> str:
    key = {"database": "database_name", "dataset": "table_name", "chart": "slice_name",
           "dashboard": "slug"}[kind]  # fmt: skip
    return next(d.uuid for d in desired if d.kind == kind and d.data.get(key) == name)


def _kinds(desired: list[Desired], uuids: set[str]) -> dict[str, int]:
    by = {d.uuid: d.kind for d in desired}
    out: dict[str, int] = {}
    for u in uuids:
        out[by[u]] = out.get(by[u], 0) + 1
    return out


def test_a_database_reaches_every_dataset_and_chart(starter: Any) -> None:
    _, desired = starter
    db = _uuid(desired, "database", "Odoo analytics")
    assert _kinds(desired, reached(desired, [db])) == {"database": 1, "dataset": 6, "chart": 28}


def test_a_dataset_reaches_its_charts_only(starter: Any) -> None:
    _, desired = starter
    moves = _uuid(desired, "dataset", "stock_moves")
    got = reached(desired, [moves])
    assert _kinds(desired, got) == {"dataset": 1, "chart": 6}
    names = {d.data["slice_name"] for d in desired if d.uuid in got and d.kind == "chart"}
    assert "Moves by direction" in names


def test_a_dashboard_selects_its_charts_and_their_datasets(starter: Any) -> None:
    env, desired = starter
    chosen, words = select_charts(env, desired, dashboard="inventory-movements")
    assert _kinds(desired, chosen) == {"dataset": 1, "chart": 6}
    assert words == "dashboard inventory-movements"
    with pytest.raises(UsageError, match=r"no dashboard with slug 'nope'.*sales-overview"):
        select_charts(env, desired, dashboard="nope")


def test_changed_since_follows_the_graph_from_the_changed_files(tmp_path: Path) -> None:
    root = copy_repo(tmp_path / "repo", ("infra", "config"))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    env = _env(root)
    desired = load_desired(env)
    chosen, _ = select_charts(env, desired, changed_since="HEAD")
    assert chosen == set()
    view = root / "infra/superset/provisioning/datasources/odoo-analytics"
    path = view / "analytics.stock_moves.yaml"
    path.write_text(path.read_text().replace("description: null", "description: x", 1))
    files = changed_files(root, "HEAD", env.paths.provisioning)
    assert files == {"infra/superset/provisioning/datasources/odoo-analytics/"
                     "analytics.stock_moves.yaml"}  # fmt: skip
    desired = load_desired(env)
    assert len(changed_uuids(desired, files)) == 1
    chosen, words = select_charts(env, desired, changed_since="HEAD")
    assert _kinds(desired, chosen) == {"dataset": 1, "chart": 6}
    assert words.startswith("changed since HEAD (1 file(s))")
    with pytest.raises(UsageError, match="--changed-since no-such-ref"):
        select_charts(env, desired, changed_since="no-such-ref")


def test_query_context_caps_rows_for_check() -> None:
    chart = {"id": 7, "datasource_id": 3, "params": json.dumps({"metric": "m", "row_limit": 500})}
    assert query_context(chart)["queries"][0]["row_limit"] == 500  # upgrade: the chart's own
    assert query_context(chart, row_limit=10)["queries"][0]["row_limit"] == 10
    saved = {"id": 9, "query_context": json.dumps({"queries": [{"row_limit": 1000}]})}
    assert query_context(saved, row_limit=5)["queries"][0]["row_limit"] == 5


def _client(handler: Any) -> SupersetClient:
    http = httpx.Client(base_url="http://superset.test", transport=httpx.MockTransport(handler))
    return SupersetClient("http://superset.test", Credentials(access_token="t"), http=http)


def test_ask_reads_superset_s_own_message_and_rows() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":  # the CSRF token the client fetches before a POST
            return httpx.Response(200, json={"result": "csrf"})
        body = json.loads(request.content)
        if body["form_data"]["slice_id"] == 1:
            return httpx.Response(200, json={"result": [{"rowcount": 3}]})
        if body["form_data"]["slice_id"] == 2:
            message = 'column "direction" does not exist'
            return httpx.Response(400, json={"errors": [{"message": message}]})
        if body["form_data"]["slice_id"] == 3:
            return httpx.Response(500, text="<html>oops</html>")
        return httpx.Response(200, json={"result": [{"rowcount": 0}]})

    charts = [{"id": i, "slice_name": f"c{i}", "datasource_id": 1, "params": "{}"}
              for i in (1, 2, 3, 4)]  # fmt: skip
    with _client(handler) as client:
        recorder = Recorder()
        answers = run_queries(client, charts, parallel=2, want_rows=False, progress=recorder)
        assert [a.error for a in answers] == [None, 'column "direction" does not exist',
                                              "HTTP 500", None]  # fmt: skip
        assert answers[0].rows == 3 and recorder.done["running chart queries"] == 4
        assert ask(client, charts[3]).error == "the query answered no rows"  # upgrade's rule


def _report() -> CheckReport:
    broken = ChartResult("u1", "Moves by direction", "x.yaml", STOCK_MOVES,
                         ["Inventory movements"], 5, 0, 'column "direction" | missing')  # fmt: skip
    fine = ChartResult("u2", "Moves", "y.yaml", STOCK_MOVES, ["Inventory movements"], 6, 1)
    ds = DatasetResult("d1", STOCK_MOVES, ["column direction is not in analytics.stock_moves"])
    return CheckReport("dev", [broken, fine], [ds], {"d1": ["Inventory movements"]})


def test_the_reports_name_charts_datasets_and_dashboards() -> None:
    report = _report()
    assert not report.ok and report.broken_dashboards == ["Inventory movements"]
    data = report.as_dict()
    assert data["failed"] == {"charts": ["Moves by direction"], "datasets": [STOCK_MOVES],
                              "dashboards": ["Inventory movements"]}  # fmt: skip
    md = check_markdown(report, "http://superset.test")
    assert md.startswith("<!-- supersetctl-check:dev -->\n### supersetctl check: dev")
    assert '| column "direction" \\| missing |' in md and "1 chart(s) ok" in md
    text = render(report)
    assert "FAIL chart Moves by direction (x.yaml) on analytics.stock_moves" in text
    assert "FAIL dataset analytics.stock_moves [Inventory movements]" in text
    assert text.splitlines()[-1] == "dashboards affected: Inventory movements"
