"""config/<env>/embed.yaml: typed, dataset-scoped templates; the real dev file loads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from supersetctl.embed import FileCompanies, load_embed_config
from supersetctl.embed.config import EmbedConfig, RlsRule
from supersetctl.errors import ConfigError
from supersetctl.paths import RepoPaths


def _config(**change: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "api_version": "supersetctl/v1",
        "allowed_origins": ["https://erp.example.com"],
        "caller": {"issuer": "odoo"},
        "companies": {"source": "odoo", "dsn_env": "EMBED_ODOO_DSN"},
        "rls_templates": {
            "sales": [{"dataset": "analytics.sale_orders", "clause": "company_id = {company_id}"}]
        },
        "dashboards": [{"dashboard": "sales-overview", "rls": "sales"}],
    }
    base.update(change)
    return base


def test_the_dev_file_loads(repo_copy: RepoPaths) -> None:
    config = load_embed_config(repo_copy, "dev")
    assert [d.dashboard for d in config.dashboards] == ["sales-overview"]
    assert all(rule.dataset for rules in config.rls_templates.values() for rule in rules)


@pytest.mark.parametrize(
    "clause",
    [
        "company_id = {company_id} OR 1 = 1",
        "company_id IN ({company_id}, 2)",
        "company_id = {company_id}; DROP TABLE x",
        "company_id = {user_id}",
        "1 = 1",
    ],
)
def test_only_column_equals_company_is_a_clause(clause: str) -> None:
    with pytest.raises(ValidationError):
        RlsRule(dataset="analytics.sale_orders", clause=clause)


def test_render_takes_only_a_positive_int() -> None:
    rule = RlsRule(dataset="analytics.sale_orders", clause="company_id = {company_id}")
    assert rule.render(3) == "company_id = 3"
    for bad in ("3", 3.0, True, 0, -1):
        with pytest.raises(TypeError):
            rule.render(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "change",
    [
        {"rls_templates": {"sales": []}},  # a template without a dataset
        {"rls_templates": {"sales": [{"clause": "company_id = {company_id}"}]}},
        {"dashboards": [{"dashboard": "sales-overview", "rls": "missing"}]},
        {"allowed_origins": []},
        {"allowed_origins": ["https://*"]},
        {"companies": {"source": "odoo"}},
        {"caller": {"issuer": "odoo", "max_lifetime_seconds": 86400}},
        {"surprise": True},
    ],
)
def test_invalid_files_are_refused(change: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        EmbedConfig.model_validate(_config(**change))


def test_a_broken_file_names_its_line(repo_copy: RepoPaths) -> None:
    file = repo_copy.config_dir("dev") / "embed.yaml"
    file.write_text(file.read_text().replace("rls: sales", "rls: nope"))
    with pytest.raises(ConfigError) as info:
        load_embed_config(repo_copy, "dev")
    assert info.value.path == "config/dev/embed.yaml"


def test_company_file(tmp_path: Path) -> None:
    good = tmp_path / "users.yaml"
    good.write_text("users:\n  7: 1\n  8: 2\n")
    assert FileCompanies.load(good, "users.yaml").mapping == {7: 1, 8: 2}
    bad = tmp_path / "bad.yaml"
    bad.write_text("users:\n  7: one\n")
    with pytest.raises(ConfigError):
        FileCompanies.load(bad, "bad.yaml")
