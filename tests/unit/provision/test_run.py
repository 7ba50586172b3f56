"""plan / apply / drift end to end against the in-memory Superset (tests/support/fake_superset):
what each run reads and sends, and that no run trusts what it has not proved."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest

from supersetctl.errors import SupersetctlError
from supersetctl.progress import Recorder
from supersetctl.provision import ConflictError, apply_env, drift_env, plan_env, prepare
from supersetctl.provision.ownership import Marker, with_marker
from tests.support.fake_superset import FakeSuperset
from tests.support.layouts import generate
from tests.support.provision_unit import SmallRepo, small_repo

NEW_DS = "2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d"
URI = (
    "postgresql://${ODOO_DB_USER}:${ODOO_RO_PASSWORD}@${ODOO_DB_HOST}:${ODOO_DB_PORT}"
    "/${ODOO_DB_NAME}?sslmode=${ODOO_DB_SSLMODE}"
)


@pytest.fixture
def repo(tmp_path: Path) -> SmallRepo:
    return small_repo(tmp_path / "repo")


def _reads(fake: FakeSuperset) -> list[str]:
    out = [s for s in fake.seen if "/export/" in s]
    fake.seen.clear()
    return out


def _plan(repo: SmallRepo, fake: FakeSuperset, **kw: bool) -> list[tuple[str, str]]:
    return [(c.action, c.name) for c in plan_env(repo.env(), fake.client(), **kw).pending]


def test_a_plan_never_makes_the_next_run_skip_what_it_found(repo: SmallRepo) -> None:
    fake = FakeSuperset()
    apply_env(repo.env(), fake.client())
    assert not plan_env(repo.env(), fake.client()).changed  # compared once, all equal
    fake.delete(fake.by_name("Dashboard 2"))  # deleted in the UI
    for _ in range(2):  # plan, plan again: the same finding both times
        assert _plan(repo, fake) == [("create", "Dashboard 2")]
    result = apply_env(repo.env(), fake.client())
    assert len(result.imported) == 1
    assert not plan_env(repo.env(), fake.client()).changed
    assert not plan_env(repo.env(), fake.client(), refresh=True).changed


def test_runs_read_less_and_still_see_every_change(repo: SmallRepo) -> None:
    fake = FakeSuperset()
    first = apply_env(repo.env(), fake.client())
    assert len(first.imported) == 9
    fake.seen.clear()
    # the run after an apply compares what was sent
    assert not apply_env(repo.env(), fake.client()).imported
    assert _reads(fake) == ["GET /api/v1/assets/export/"]
    # nothing changed: only the datasets are read (a column sync keeps their changed_on)
    assert not apply_env(repo.env(), fake.client()).imported
    assert _reads(fake) == ["GET /api/v1/dataset/export/"]
    # a file changed: that chart is read and sent
    repo.edit("dashboards/dash-1/charts/chart-2.yaml", slice_name="Renamed")
    assert _plan(repo, fake) == [("update", "Renamed")]
    assert len(apply_env(repo.env(), fake.client()).imported) == 1
    # edits made in Superset are seen, even right after a fast run
    assert not apply_env(repo.env(), fake.client()).imported
    fake.edit(fake.by_name("Renamed"), slice_name="Edited live")
    assert _plan(repo, fake) == [("update", "Renamed")]
    columns = copy.deepcopy(fake.assets[fake.by_name("b1")]["data"]["columns"])
    columns[0]["column_name"] = "id_renamed"
    fake.sync_columns(fake.by_name("b1"), columns)
    assert ("update", "b1") in _plan(repo, fake)


def test_refresh_and_drift_record_what_they_proved(repo: SmallRepo) -> None:
    fake = FakeSuperset()
    apply_env(repo.env(), fake.client())
    assert not plan_env(repo.env(), fake.client(), refresh=True).changed
    fake.seen.clear()
    assert not plan_env(repo.env(), fake.client()).changed
    assert _reads(fake) == ["GET /api/v1/dataset/export/"]
    fake.edit(fake.by_name("Chart 1"), slice_name="Edited")
    assert drift_env(repo.env(), fake.client()).changed
    # drift forgot the chart: the next plan reads it again and sees the edit
    assert _plan(repo, fake) == [("update", "Chart 1")]


def test_a_remade_chart_relinks_its_dashboard(repo: SmallRepo) -> None:
    fake = FakeSuperset()
    apply_env(repo.env(), fake.client())
    plan_env(repo.env(), fake.client())
    fake.delete(fake.by_name("Chart 3"))
    assert _plan(repo, fake) == [("create", "Chart 3"), ("update", "Dashboard 2")]
    apply_env(repo.env(), fake.client())
    dash = fake.exported(fake.by_name("Dashboard 2"))
    chart_id = fake.assets[fake.by_name("Chart 3")]["id"]
    charts = [
        n for n in dash["position"].values() if isinstance(n, dict) and n.get("type") == "CHART"
    ]
    assert chart_id in [n["meta"]["chartId"] for n in charts]
    assert not plan_env(repo.env(), fake.client(), refresh=True).changed


def test_a_slug_held_live_by_another_dashboard_stops_apply(repo: SmallRepo) -> None:
    fake = FakeSuperset()
    apply_env(repo.env(), fake.client())
    # a dashboard made in the UI holds the slug a file now asks for
    fake.create("dashboard", {"dashboard_title": "By hand", "slug": "by-hand",
                              "uuid": "0f5c2a4e-1b3d-4e5f-8a9b-1c2d3e4f5a6b"})  # fmt: skip
    repo.edit("dashboards/dash-2/dashboard.yaml", slug="by-hand")
    plan = plan_env(repo.env(), fake.client())
    assert [c.name for c in plan.conflicts] == ["Dashboard 2"]
    assert "'by-hand' is held by live dashboard 'By hand'" in (plan.conflicts[0].note or "")
    before = copy.deepcopy(fake.assets)
    fake.seen.clear()
    with pytest.raises(ConflictError):
        apply_env(repo.env(), fake.client())
    assert not [s for s in fake.seen if s.startswith("POST")]
    assert fake.assets == before


def test_prune_deletes_only_this_repos_assets(repo: SmallRepo, tmp_path: Path) -> None:
    fake = FakeSuperset()
    apply_env(repo.env(), fake.client())
    # another repo applied its own layout to the same instance
    other = small_repo(tmp_path / "other")
    shutil.rmtree(other.prov)
    generate(other.prov, datasets=1, charts=6, dashboards=2, uri=URI, db_name="odoo",
             ns="5b9d6f1e-7c1a-4c3e-9d35-4f6a1b2c3d4e", table="o{i}", prefix="o-")  # fmt: skip
    cfg = other.paths.env_config("dev")
    text = cfg.read_text().replace("owner: acme/bi", "owner: other/repo")
    cfg.write_text(text.replace("database: odoo\n", "database: odoo_other\n"))
    for path in (other.prov / "databases").glob("*.yaml"):  # its own connection
        path.write_text(path.read_text().replace("database_name: odoo", "database_name: other"))
    theirs = apply_env(other.env(), fake.client())
    # and a tool that marks assets managed without an owner (preset-cli --disallow-edits)
    tool = fake.create(
        "chart",
        {"slice_name": "preset", "uuid": "12121212-1212-4121-8121-121212121212", "params": {}},
        managed=True,
    )
    (repo.prov / "dashboards/dash-1/charts/chart-1.yaml").unlink()
    dash = repo.read("dashboards/dash-1/dashboard.yaml")
    dash["position"] = {k: v for k, v in dash["position"].items() if k != "CHART-1"}
    repo.write("dashboards/dash-1/dashboard.yaml", dash)
    result = apply_env(repo.env(), fake.client(), prune=True)
    assert [c.name for c in result.plan.changes if c.action == "delete"] == ["Chart 1"]
    foreign = [c for c in result.plan.changes if c.action == "foreign"]
    assert len(foreign) == len(theirs.imported) + 1
    assert all(u in fake.assets for u in [*theirs.imported, tool])


def test_scale_requests_stay_under_the_request_line_limit(tmp_path: Path) -> None:
    repo = small_repo(tmp_path / "repo")
    for sub in ("dashboards", "datasources"):
        for path in sorted((repo.prov / sub).rglob("*.yaml"), reverse=True):
            path.unlink()
    generate(repo.prov, datasets=20, charts=3000, dashboards=300, uri=URI, db_name="odoo",
             ns="1b9d6f1e-7c1a-4c3e-9d35-4f6a1b2c3d4e")  # fmt: skip
    fake = FakeSuperset()
    recorder = Recorder()
    first = apply_env(repo.env(), fake.client(), progress=recorder)
    assert len(first.imported) == 3321
    assert ("importing", 3321) in recorder.phases
    assert recorder.done["importing"] == 3321
    assert not plan_env(repo.env(), fake.client()).changed  # compares what was sent
    # one chart in five changed live: a per-kind export of 600 ids, in batches
    for n in range(1, 3001, 5):
        fake.edit(fake.by_name(f"Chart {n}"), description="edited")
    fake.seen.clear()
    prepared = prepare(repo.env(), fake.client())
    assert len(prepared.plan.pending) == 600
    exports = [s for s in fake.seen if s == "GET /api/v1/chart/export/"]
    assert len(exports) >= 2  # 600 ids do not fit one request line


def test_a_strict_environment_refuses_to_send_before_db_verify_passes(repo: SmallRepo) -> None:
    cfg = repo.paths.env_config("dev")
    cfg.write_text(cfg.read_text().replace("strict_read_only: false", "strict_read_only: true"))
    fake = FakeSuperset()
    # no admin URL in the environment: the access model cannot be proven, nothing is sent
    with pytest.raises(SupersetctlError) as info:
        apply_env(repo.env(), fake.client())
    assert "ODOO_ADMIN_DATABASE_URL" in str(info.value)
    assert not [s for s in fake.seen if "import" in s]


def test_a_marker_of_another_repo_is_never_overwritten(repo: SmallRepo) -> None:
    fake = FakeSuperset()
    apply_env(repo.env(), fake.client())
    chart = fake.by_name("Chart 1")
    fake.assets[chart]["data"] = with_marker(
        "chart", fake.assets[chart]["data"], Marker("other/repo", "c.yaml")
    )
    plan = plan_env(repo.env(), fake.client(), refresh=True)
    assert [(c.action, c.name) for c in plan.changes if c.action == "conflict"] == [
        ("conflict", "Chart 1")
    ]
    with pytest.raises(ConflictError, match="other/repo"):
        apply_env(repo.env(), fake.client(), force=True)


def test_datasets_read_while_listing_are_used_only_under_the_ids_listed(repo: SmallRepo) -> None:
    fake = FakeSuperset()
    apply_env(repo.env(), fake.client())
    assert not plan_env(repo.env(), fake.client()).changed  # the cache now hints the ids
    b1 = fake.by_name("b1")
    old_id = fake.assets[b1]["id"]
    fake.delete(b1)
    apply_env(repo.env(), fake.client())  # b1 made again under a new id
    assert fake.assets[b1]["id"] != old_id
    fake.sync_columns(b1, [{"column_name": "only_this", "type": "TEXT"}])
    fake.seen.clear()
    # b1 is no longer under the id the cache hinted: it is read after the listing
    assert ("update", "b1") in _plan(repo, fake)
    assert fake.seen.count("GET /api/v1/dataset/export/") == 2


def test_export_writes_nothing_when_the_instance_holds_what_no_file_can_say(
    repo: SmallRepo,
) -> None:
    from supersetctl.errors import ConfigError
    from supersetctl.provision import export_env

    fake = FakeSuperset()
    apply_env(repo.env(), fake.client())
    chart = fake.by_name("Chart 3")
    del fake.assets[chart]["data"]["dataset_uuid"]  # its dataset was deleted in Superset
    (repo.prov / "dashboards/dash-2/charts/chart-3.yaml").unlink()
    before = {p: p.read_bytes() for p in repo.prov.rglob("*.yaml")}
    with pytest.raises(ConfigError, match="none was written") as info:
        export_env(repo.env(), fake.client())
    assert "chart needs dataset_uuid" in str(info.value)
    assert {p: p.read_bytes() for p in repo.prov.rglob("*.yaml")} == before


def test_prune_deletes_in_bulk_and_names_an_asset_superset_refuses(repo: SmallRepo) -> None:
    fake = FakeSuperset()
    apply_env(repo.env(), fake.client())
    shutil.rmtree(repo.prov / "dashboards")
    fake.seen.clear()
    result = apply_env(repo.env(), fake.client(), prune=True)
    assert len(result.deleted) == 6  # 4 charts and 2 dashboards
    assert sorted(s for s in fake.seen if s.startswith("DELETE")) == [
        "DELETE /api/v1/chart/",
        "DELETE /api/v1/dashboard/",
    ]
    (repo.prov / "datasources/odoo/public.b2.yaml").unlink()
    fake.undeletable.add(fake.by_name("b2"))
    with pytest.raises(SupersetctlError, match=r"cannot delete dataset 'b2' .*It is in use"):
        apply_env(repo.env(), fake.client(), prune=True)


def test_a_no_change_run_makes_three_requests_and_any_doubt_lists_everything(
    repo: SmallRepo,
) -> None:
    fake = FakeSuperset()
    apply_env(repo.env(), fake.client())
    assert not plan_env(repo.env(), fake.client()).changed
    fake.seen.clear()
    assert not plan_env(repo.env(), fake.client()).changed
    assert sorted(fake.seen) == [
        "GET /api/v1/chart/",
        "GET /api/v1/dashboard/",
        "GET /api/v1/dataset/export/",
    ]
    # a file now reads another table, which a dataset made by hand holds: the datasets are
    # listed (the export by the old ids no longer proves them) and the conflict is found
    fake.create("dataset", {"table_name": "b9", "schema": "public", "uuid": NEW_DS,
                            "database_uuid": repo.read("databases/odoo.yaml")["uuid"]})  # fmt: skip
    repo.edit("datasources/odoo/public.b1.yaml", table_name="b9")
    fake.seen.clear()
    plan = plan_env(repo.env(), fake.client())
    assert "GET /api/v1/dataset/" in fake.seen
    assert [c.name for c in plan.conflicts] == ["b9"]


def test_export_leaves_out_what_another_repo_owns(repo: SmallRepo) -> None:
    """Another repo's assets on the same instance (its charts, dashboards, datasets and the
    database only they use) stay out of this repo's files; the warning counts them."""
    from supersetctl.provision import export_env

    fake = FakeSuperset()
    cfg = repo.paths.env_config("dev")
    text = cfg.read_text()
    cfg.write_text(text.replace("owner: ", "owner: someone/else-", 1))
    apply_env(repo.env(), fake.client())  # the same files, applied by another repo
    cfg.write_text(text)
    shutil.rmtree(repo.prov)
    repo.prov.mkdir()
    result = export_env(repo.env(), fake.client())
    assert result.written == []
    assert len(result.warnings) == 1 and "owns were left out (someone/else-" in result.warnings[0]
    assert not any(repo.prov.rglob("*.yaml"))
