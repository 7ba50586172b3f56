"""View templates: parsing, per-column decisions for Odoo 17 and 18, masking, the README."""

from __future__ import annotations

import re

import pytest

from supersetctl.db.docs import render_readme
from supersetctl.db.views import (
    Catalog,
    RenderOptions,
    column_docs,
    columns_read,
    load_templates,
    parse_template,
    render,
    render_all,
)
from supersetctl.errors import ConfigError
from tests.support.helpers import REPO_ROOT

ANALYTICS = REPO_ROOT / "infra" / "superset" / "analytics"
STARTER_VIEWS = {
    "companies", "partners", "products", "sale_order_lines", "invoices", "invoice_lines",
    "crm_leads", "stock_moves", "employees", "ar_aging", "sales_monthly", "invoicing_monthly",
}  # fmt: skip


PERSONAL = ("email", "phone", "mobile", "street", "zip", "vat", "birthday", "ssnid",
            "identification_id", "password", "login", "private_", "contact_name")  # fmt: skip


def _catalog(version: int) -> Catalog:
    """The shapes the generator cares about, as information_schema would report them."""
    cols: dict[str, dict[str, str]] = {}
    from supersetctl.db.seed_schema import create_statements

    for stmt in create_statements(version):
        m = re.match(r"CREATE TABLE public\.(\w+) \((.*)\)$", stmt, re.S)
        assert m
        table = cols.setdefault(m.group(1), {})
        for part in m.group(2).split(","):
            words = part.split()
            kind = {"serial": "integer", "varchar": "character varying"}.get(words[1], words[1])
            table[words[0]] = kind.split("(")[0]
    return Catalog(cols)


def _by_name(version: int, **kw: object) -> dict[str, str]:
    views, skipped = render_all(
        load_templates(ANALYTICS),
        _catalog(version),
        RenderOptions("ai", **kw),  # type: ignore[arg-type]
    )
    assert not skipped
    return {v.name: v.sql for v in views}


def test_templates_cover_the_starter_dashboards() -> None:
    names = {t.name for t in load_templates(ANALYTICS)}
    assert names >= STARTER_VIEWS
    for t in load_templates(ANALYTICS):
        assert t.columns or "{{product_costs}}" in t.body, t.name
        if t.kind == "materialized":
            assert t.unique and set(t.unique) <= {c.name for c in t.columns}


def test_jsonb_names_resolved_with_language_fallback() -> None:
    sql = _by_name(17, language="fr_FR")["products"]
    assert "coalesce(pt.name ->> 'fr_FR', pt.name ->> 'en_US')" in sql
    plain = Catalog({"product_template": {"name": "character varying"}})
    tpl = parse_template(
        "-- view: x\n-- scope: none\n-- description: d\n"
        "SELECT {{tr product_template.name | pt}} AS n  -- name\nFROM public.product_template pt\n"
    )
    assert "pt.name AS n" in render(tpl, plain, RenderOptions("ai")).sql


def test_odoo_17_and_18_shapes_decided_per_column() -> None:
    v17, v18 = _by_name(17), _by_name(18)
    assert "detailed_type" in v17["products"] and "is_storable" in v18["products"]
    assert "public.ir_property" in v17["product_costs"]
    assert "jsonb_each_text(pp.standard_price)" in v18["product_costs"]
    assert "aa.code_store ->> (aml.company_id)::text" in v18["invoice_lines"]
    assert "aa.code::text" in v17["invoice_lines"]
    sixteen = Catalog({"stock_move": {"quantity_done": "numeric"}})
    tpl = parse_template(
        "-- view: x\n-- scope: none\n-- description: d\nSELECT {{stock_qty sm}} AS q  -- q\n"
        "FROM public.stock_move sm\n"
    )
    assert "sm.quantity_done" in render(tpl, sixteen, RenderOptions("ai")).sql


def test_masking_replaces_personal_names_with_stable_pseudonyms() -> None:
    clear, masked = _by_name(17), _by_name(17, masking=True)
    assert "p.name" in clear["partners"] and "md5" not in clear["partners"]
    assert "'Partner ' || upper(substr(md5(" in masked["partners"]
    assert "'Employee ' ||" in masked["employees"]
    assert "'Lead ' ||" in masked["crm_leads"]
    assert "'Salesperson ' ||" in masked["sale_order_lines"]


def test_no_view_selects_personal_columns() -> None:
    for name, sql in _by_name(18).items():
        for col in PERSONAL:
            assert not re.search(rf"\.{col}\b", sql), (name, col)


def test_views_missing_tables_are_skipped_with_a_reason() -> None:
    cat = _catalog(17)
    # a database without the CRM and HR apps (crm_team belongs to sales, which stays)
    gone = {"crm_lead", "crm_stage", "crm_lost_reason", "hr_employee", "hr_department"}
    smaller = Catalog({k: v for k, v in cat.columns.items() if k not in gone})
    views, skipped = render_all(load_templates(ANALYTICS), smaller, RenderOptions("ai"))
    names = {v.name for v in views}
    assert "crm_leads" not in names and "employees" not in names
    assert "sale_order_lines" in names and "sales_monthly" in names
    assert any(s.startswith("crm_leads: skipped") and "table crm_lead" in s for s in skipped)


def test_template_errors_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="lacks '-- view:'"):
        parse_template("-- scope: none\n-- description: d\nSELECT 1 AS a  -- a\n")
    with pytest.raises(ConfigError, match="needs '-- unique:'"):
        parse_template("-- view: x\n-- kind: materialized\n-- scope: none\n-- description: d\n"
                       "SELECT 1 AS a  -- a\n")  # fmt: skip


def test_readme_documents_every_view_and_column() -> None:
    text = (ANALYTICS / "README.md").read_text(encoding="utf-8")
    templates = load_templates(ANALYTICS)
    for name, cols in column_docs(templates).items():
        section = text.split(f"\n## {name}\n", 1)[1].split("\n## ", 1)[0]
        for c in cols:
            assert re.search(rf"\| `{c.name}` \| [a-z ]+ \| {re.escape(c.description)} \|", section)
    # the generator gives the same text when the types are those of the committed file
    types: dict[str, dict[str, str]] = {}
    for name in column_docs(templates):
        section = text.split(f"\n## {name}\n", 1)[1].split("\n## ", 1)[0]
        for m in re.finditer(r"^\| `(\w+)` \| ([a-z ]+) \|", section, re.M):
            types.setdefault(name, {})[m.group(1)] = m.group(2)
    assert render_readme(templates, types) == text


def test_columns_read_maps_aliases_to_tables() -> None:
    sql = (
        "SELECT p.id, p.name AS partner_name, -- the partner's name, with a quote\n"
        "  co.code, 'x.y' AS lit\n"
        "FROM public.res_partner p LEFT JOIN public.res_country co ON co.id = p.country_id\n"
        "WHERE p.active AND res_country.code IS NOT NULL"
    )
    assert columns_read(sql) == {
        "res_country": frozenset({"id", "code"}),
        "res_partner": frozenset({"id", "name", "country_id", "active"}),
    }
    users = _by_name(17)["salespeople"]
    assert columns_read(users)["res_users"] == {"id", "partner_id", "company_id", "active", "share"}
