"""plan / apply / drift / prune against the real Superset 6.1.0."""

from __future__ import annotations

import json
import secrets
import stat
import time
from pathlib import Path

import pytest

from supersetctl.errors import ConfigError
from supersetctl.provision import Change, Plan, apply_env, client_for, drift_env, plan_env
from supersetctl.provision.live import read_live
from supersetctl.superset import SupersetClient
from supersetctl.superset.bundle import dump_native, load_native
from tests.support.helpers import REPO_ROOT, fake_jwt
from tests.support.provision import ProvRepo

pytestmark = pytest.mark.integration


def _imports(client: SupersetClient) -> list[tuple[str, str]]:
    return [r for r in client.requests_sent if r[1].startswith("api/v1/assets/import")]


def _writes(client: SupersetClient) -> list[tuple[str, str]]:
    return [r for r in client.requests_sent if r[0] not in ("GET", "HEAD")]


def _edit(path, **changes):  # type: ignore[no-untyped-def]
    data = load_native(path.read_text(), str(path))
    data.update(changes)
    path.write_text(dump_native(data))


def test_apply_creates_then_sends_nothing_then_only_the_change(
    prov_repo: ProvRepo, ss_client: SupersetClient
) -> None:
    paths = prov_repo.paths
    first = apply_env(prov_repo.env(), ss_client)
    counts = first.plan.counts()
    assert counts["create"] == 1 + 3 + 6 + 2
    assert len(first.imported) == 12

    live = read_live(ss_client)
    mine = {a.uuid: a for a in live.assets.values() if a.uuid in set(first.imported)}
    assert len(mine) == 12
    charts = [a for a in mine.values() if a.kind == "chart"]
    assert all(a.managed for a in charts)
    detail = ss_client.get("chart", charts[0].id)
    assert detail.get("is_managed_externally") is True

    ss_client.requests_sent.clear()
    second = apply_env(prov_repo.env(), ss_client)
    assert not second.plan.changed
    assert second.imported == []
    assert _writes(ss_client) == []  # a no-change apply only reads

    chart_file = paths.provisioning / "dashboards" / "dash-1" / "charts" / "chart-2.yaml"
    _edit(chart_file, slice_name="Renamed chart")
    plan = plan_env(prov_repo.env(), ss_client)
    pending = plan.pending
    assert [(c.action, c.kind, c.name) for c in pending] == [("update", "chart", "Renamed chart")]
    assert [(d.path, d.live, d.desired) for d in pending[0].diffs] == [
        ("slice_name", "Chart 2", "Renamed chart")
    ]

    ss_client.requests_sent.clear()
    third = apply_env(prov_repo.env(), ss_client)
    assert third.imported == [prov_repo.uid("chart2")]
    assert len(_imports(ss_client)) == 1
    after = plan_env(prov_repo.env(), ss_client, refresh=True)
    assert not after.changed


def test_dashboards_written_without_chart_ids_are_imported_and_stay_in_sync(
    prov_repo: ProvRepo, ss_client: SupersetClient
) -> None:
    """A hand-written dashboard may leave out each chart's ``chartId`` (Superset's importer
    needs one and answers a bare HTTP 500 without it; apply fills them in)."""
    for path in sorted((prov_repo.paths.provisioning / "dashboards").glob("*/dashboard.yaml")):
        data = load_native(path.read_text(), str(path))
        for node in data["position"].values():
            if isinstance(node, dict) and node.get("type") == "CHART":
                del node["meta"]["chartId"]
        path.write_text(dump_native(data))
        assert "chartId" not in path.read_text()
    first = apply_env(prov_repo.env(), ss_client)
    assert first.plan.counts()["create"] == 12 and len(first.imported) == 12
    after = plan_env(prov_repo.env(), ss_client, refresh=True)
    assert not after.changed, [(c.action, c.name, c.diffs) for c in after.pending]
    live = read_live(ss_client)
    charts = {a.uuid: a.id for a in live.assets.values() if a.kind == "chart"}
    board = next(a for a in live.assets.values() if a.uuid == prov_repo.uid("dash1"))
    detail = ss_client.get("dashboard", board.id)
    placed = json.loads(detail["position_json"])
    ids = {n["meta"]["uuid"]: n["meta"]["chartId"] for n in placed.values()
           if isinstance(n, dict) and n.get("type") == "CHART"}  # fmt: skip
    assert ids and all(charts[u] == i for u, i in ids.items())  # each chart's own id


def test_missing_secret_fails_before_any_request(
    prov_repo: ProvRepo, ss_client: SupersetClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ODOO_RO_PASSWORD")
    with pytest.raises(ConfigError) as info:
        apply_env(prov_repo.env(), ss_client)
    message = str(info.value)
    assert "ODOO_RO_PASSWORD" in message
    assert f"databases/{prov_repo.db_name}.yaml" in message
    assert ss_client.requests_sent == []


def _mine(prov_repo: ProvRepo, plan: Plan) -> list[Change]:
    """The changes about this test's assets (the instance is shared by the session)."""
    ours = {prov_repo.uid(n) for n in ("db", "dash1", "dash2")}
    ours |= {prov_repo.uid(f"ds{i}") for i in range(1, 4)}
    ours |= {prov_repo.uid(f"chart{i}") for i in range(1, 7)}
    return [c for c in plan.changes if c.uuid in ours or prov_repo.prefix in c.name]


def test_drift_catches_an_api_edit_and_a_hand_made_asset(
    prov_repo: ProvRepo, ss_client: SupersetClient
) -> None:
    apply_env(prov_repo.env(), ss_client)
    assert {c.action for c in _mine(prov_repo, drift_env(prov_repo.env(), ss_client))} == {
        "unchanged"
    }

    live = read_live(ss_client)
    chart = live.assets[prov_repo.uid("chart3")]
    ss_client.update("chart", chart.id, {"slice_name": "Edited in the UI"})
    hand_made = ss_client.create(
        "dashboard", {"dashboard_title": f"by hand {prov_repo.prefix}", "slug": prov_repo.prefix}
    )
    report = drift_env(prov_repo.env(), ss_client)
    assert report.changed
    drifted = [c for c in _mine(prov_repo, report) if c.action != "unchanged"]
    assert sorted(
        (c.action, c.kind, c.uuid if c.action == "update" else c.id) for c in drifted
    ) == [
        ("unmanaged", "dashboard", hand_made["id"]),
        ("update", "chart", chart.uuid),
    ]
    update = next(c for c in drifted if c.action == "update")
    assert [(d.path, d.live, d.desired) for d in update.diffs] == [
        ("slice_name", "Edited in the UI", "Chart 3")
    ]
    # apply puts the title back; the hand-made dashboard is left alone (no --prune, unmanaged)
    apply_env(prov_repo.env(), ss_client, prune=True)
    again = [
        c
        for c in _mine(prov_repo, drift_env(prov_repo.env(), ss_client))
        if c.action != "unchanged"
    ]
    assert [(c.action, c.id) for c in again] == [("unmanaged", hand_made["id"])]


def test_prune_removes_a_managed_asset_and_keeps_a_ui_made_one(
    prov_repo: ProvRepo, ss_client: SupersetClient
) -> None:
    paths = prov_repo.paths
    apply_env(prov_repo.env(), ss_client)
    live = read_live(ss_client)
    dataset = live.assets[prov_repo.uid("ds1")]
    hand_made = ss_client.create(
        "chart",
        {
            "slice_name": f"hand made {prov_repo.prefix}",
            "viz_type": "big_number_total",
            "datasource_id": dataset.id,
            "datasource_type": "table",
            "params": json.dumps({"metric": "count", "viz_type": "big_number_total"}),
        },
    )
    # remove the second dashboard and its charts from git
    folder = paths.provisioning / "dashboards" / "dash-2"
    removed = {prov_repo.uid("dash2")} | {prov_repo.uid(f"chart{i}") for i in (4, 5, 6)}
    for f in sorted(folder.rglob("*.yaml")):
        f.unlink()

    without = plan_env(prov_repo.env(), ss_client)
    assert not [c for c in without.changes if c.action == "delete"]  # no --prune: no delete
    planned = plan_env(prov_repo.env(), ss_client, prune=True)
    deletes = {c.uuid for c in planned.changes if c.action == "delete"}
    assert removed <= deletes
    result = apply_env(prov_repo.env(), ss_client, prune=True)
    assert removed <= set(result.deleted)

    after = read_live(ss_client)
    assert not removed & set(after.assets)
    assert hand_made["id"] in {a.id for a in after.assets.values() if a.kind == "chart"}
    assert not plan_env(prov_repo.env(), ss_client, prune=True).changed


def test_cli_plan_exit_codes_and_json(
    prov_repo: ProvRepo,
    run_cli,  # type: ignore[no-untyped-def]
) -> None:
    repo = str(prov_repo.paths.root)
    pending = run_cli(["--repo", repo, "--format", "json", "plan", "--env", "dev"])
    assert pending.exit_code == 1, pending.stderr
    doc = json.loads(pending.stdout)
    assert doc["changed"] is True
    assert doc["counts"]["create"] == 12
    assert prov_repo.paths.root.joinpath("config").exists()

    applied = run_cli(["--repo", repo, "apply", "--env", "dev"])
    assert applied.exit_code == 0, applied.stderr
    assert "12 imported" in applied.stdout

    clean = run_cli(["--repo", repo, "plan", "--env", "dev"])
    assert clean.exit_code == 0, clean.stderr
    assert "12 unchanged" in clean.stdout
    drift = run_cli(["--repo", repo, "drift", "--env", "dev"])
    assert "drift:" in drift.stdout
    assert prov_repo.paths.root.joinpath(".local", "provision", "dev.json").exists()


def test_a_login_is_kept_for_the_next_run_and_a_refused_token_replaced(
    prov_repo: ProvRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUPERSETCTL_TOKEN_CACHE", str(tmp_path / "tokens"))
    login = ("POST", "api/v1/security/login")
    runs = []
    for _ in range(2):
        with client_for(prov_repo.env()) as client:
            plan_env(prov_repo.env(), client)
            runs.append(client.requests_sent)
    assert login in runs[0]
    assert login not in runs[1]  # the second run used the kept token
    (kept,) = (tmp_path / "tokens").iterdir()
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    doc = json.loads(kept.read_text())
    doc["access_token"] = forged = fake_jwt(time.time() + 600)  # as after a SECRET_KEY change
    kept.write_text(json.dumps(doc))
    with client_for(prov_repo.env()) as client:
        plan_env(prov_repo.env(), client)
        assert login in client.requests_sent  # Superset refused it (422): a password login
    assert json.loads(kept.read_text())["access_token"] not in ("", forged)


def test_a_strict_environment_is_gated_by_db_verify_in_the_cli_and_the_library(
    prov_repo: ProvRepo,
    ss_client: SupersetClient,
    run_cli,  # type: ignore[no-untyped-def]
) -> None:
    cfg = prov_repo.paths.env_config("dev")
    cfg.write_text(
        cfg.read_text().replace("strict_read_only: false", "strict_read_only: true")
        + "access:\n  analytics_schema: analytics\n  owner_role: analytics_owner\n"
        "  admin_url_env: GATE_TEST_ADMIN_URL\n"
    )
    repo = str(prov_repo.paths.root)
    refused = run_cli(["--repo", repo, "apply", "--env", "dev", "--yes"])
    assert refused.exit_code == 2, refused.stdout + refused.stderr
    assert "GATE_TEST_ADMIN_URL" in refused.stderr
    with pytest.raises(ConfigError, match="GATE_TEST_ADMIN_URL"):
        apply_env(prov_repo.env(), ss_client)
    assert not _imports(ss_client)
    # nothing reached Superset: every asset is still to be created
    assert {c.action for c in _mine(prov_repo, plan_env(prov_repo.env(), ss_client))} == {"create"}


def test_a_second_source_applies_where_declared_and_is_left_out_where_excluded(
    prov_repo: ProvRepo, ss_client: SupersetClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Supabase database file: applied once the environment declares the source, refused
    (before any request) while a ${VAR} of it is undeclared, pruned once excluded."""
    paths = prov_repo.paths
    cfg_file = paths.env_config("dev")
    committed = REPO_ROOT / "infra/superset/provisioning/databases/supabase.yaml"
    data = load_native(committed.read_text(), str(committed))
    data.update(database_name=f"Supabase {prov_repo.prefix}", uuid=prov_repo.uid("supabase"))
    (paths.provisioning / "databases" / "supabase.yaml").write_text(dump_native(data))
    with pytest.raises(ConfigError, match="SUPABASE_DB_HOST"):
        plan_env(prov_repo.env(), ss_client)

    text = cfg_file.read_text()
    odoo = text[text.index("  odoo:\n") : text.index("flags:")]
    source = odoo.replace("  odoo:\n    primary: true\n", "  supabase:\n    kind: supabase\n")
    source = source.replace("ODOO_RO_PASSWORD", "SUPABASE_RO_PASSWORD")
    cfg_file.write_text(text.replace("flags:", source + "flags:", 1))
    monkeypatch.setenv("SUPABASE_RO_PASSWORD", secrets.token_urlsafe(12))
    result = apply_env(prov_repo.env(), ss_client)
    assert prov_repo.uid("supabase") in result.imported
    live = read_live(ss_client).assets[prov_repo.uid("supabase")]
    assert live.kind == "database"

    declared = cfg_file.read_text()
    assert declared.endswith(f"  owner: {prov_repo.owner}\n")
    cfg_file.write_text(declared + "  exclude:\n    - databases/supabase.yaml\n")
    assert not plan_env(prov_repo.env(), ss_client).changed  # left out: no create, no delete
    pruned = apply_env(prov_repo.env(), ss_client, prune=True)
    assert prov_repo.uid("supabase") in pruned.deleted
