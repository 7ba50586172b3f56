"""validate's rules for the provisioning files, one scenario folder per rule
(testdata/collisions/<RULE>/, laid over testdata/small)."""

from __future__ import annotations

from pathlib import Path

import pytest

from supersetctl.errors import ConfigError
from supersetctl.provision import load_desired
from supersetctl.provision.lint import RULES, layout_findings
from supersetctl.superset.bundle import load_native
from tests.support.provision_unit import TESTDATA, small_repo

SCENARIOS = sorted(p.name for p in (TESTDATA / "collisions").iterdir() if p.is_dir())
PROV = "infra/superset/provisioning/"


def test_the_starter_layout_has_no_finding(tmp_path: Path) -> None:
    assert layout_findings(small_repo(tmp_path / "repo").paths) == []


def test_every_rule_has_a_scenario() -> None:
    assert sorted(RULES) == SCENARIOS


@pytest.mark.parametrize("rule", SCENARIOS)
def test_each_collision_is_reported_at_its_file_and_line(rule: str, tmp_path: Path) -> None:
    repo = small_repo(tmp_path / "repo")
    scenario = TESTDATA / "collisions" / rule
    repo.overlay(scenario)
    expect = load_native((scenario / "expect.yaml").read_text(), "expect.yaml")
    found = sorted((f.rule, f.path, f.line) for f in layout_findings(repo.paths))
    assert found == [(e["rule"], PROV + e["file"], e["line"]) for e in expect]
    # plan and apply refuse the same layout before any request, naming the rule
    with pytest.raises(ConfigError, match=rule if rule != "PV-FILE" else "YAML"):
        load_desired(repo.env())


def test_validate_reports_them_through_the_cli(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    from tests.support.helpers import copy_repo

    root = copy_repo(tmp_path / "repo")
    slug = TESTDATA / "collisions" / "PV-SLUG"
    dest = root / "infra/superset/provisioning/dashboards/imported"
    dest.mkdir(parents=True)
    text = (slug / "dashboards/imported/dashboard.yaml").read_text()
    (dest / "dashboard.yaml").write_text(text.replace("slug: dash-1", "slug: sales-overview"))
    result = run_cli(["--repo", str(root), "validate"])
    assert result.exit_code == 1
    assert (
        "infra/superset/provisioning/dashboards/imported/dashboard.yaml:4:1: PV-SLUG dashboard "
        "slug 'sales-overview' is also infra/superset/provisioning/dashboards/sales-overview/"
        "dashboard.yaml"
    ) in result.stdout
