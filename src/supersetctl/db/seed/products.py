"""Products: ``product_category``, ``product_template``, ``product_product`` and their costs
(``ir_property`` in Odoo 17)."""

from __future__ import annotations

import datetime as dt

from .generator import Generator
from .vocabulary import CATEGORIES, FRENCH, PRODUCT_KINDS


def products(g: Generator) -> None:
    """Categories, and templates in three grades per noun with variants; per-company costs
    (``ir_property`` rows in 17, a jsonb column in 18)."""
    r = g.rng
    cat = g.table("product_category", "id, name, complete_name, parent_id, parent_path")
    full: list[str] = []
    paths: list[str] = []
    for i, (name, parent) in enumerate(CATEGORIES):
        cid = i + 1
        full.append(name if parent is None else f"{full[parent]} / {name}")
        paths.append(f"{cid}/" if parent is None else f"{paths[parent]}{cid}/")
        cat.add(cid, name, full[i], None if parent is None else parent + 1, paths[i])
    cols = "id, name, default_code, categ_id, list_price, company_id, active, sale_ok, "
    cols += "purchase_ok, type, " + (
        "detailed_type, create_date" if g.version == 17 else "is_storable, create_date"
    )
    tmpl = g.table("product_template", cols)
    pcols = "id, product_tmpl_id, default_code, barcode, active, " + (
        "create_date" if g.version == 17 else "standard_price, create_date"
    )
    prod = g.table("product_product", pcols)
    prop = (
        g.table(
            "ir_property",
            "id, name, res_id, company_id, fields_id, value_float, type",
        )
        if g.version == 17
        else None
    )
    tid = pid = propid = 0
    created = g.start - dt.timedelta(days=200)
    for leaf, (nouns, detailed, (lo, hi)) in PRODUCT_KINDS.items():
        for noun in nouns:
            for grade in ("Basic", "Pro", "Max"):
                tid += 1
                en = f"{noun} {grade}"
                tname: dict[str, str] = {"en_US": en}
                for word, fr in FRENCH.items():
                    if word in noun and r.random() < 0.7:
                        tname["fr_FR"] = en.replace(word, fr)
                price = round(
                    r.uniform(lo, hi) * (1 + 0.5 * (["Basic", "Pro", "Max"].index(grade))), 2
                )
                code = f"P{tid:04d}"
                company = None if r.random() < 0.9 else r.choice(g.companies)
                kind = {"product": "storable", "consu": "consumable"}.get(detailed, detailed)
                if g.version == 17:
                    tmpl.add(tid, tname, code, leaf + 1, price, company, True, True, True,
                             "service" if detailed == "service" else "consu", detailed,
                             created)  # fmt: skip
                else:
                    tmpl.add(tid, tname, code, leaf + 1, price, company, True, True, True,
                             "service" if detailed == "service" else "consu",
                             detailed == "product", created)  # fmt: skip
                variants = 3 if r.random() < 0.15 else 1
                for vi in range(variants):
                    pid += 1
                    costs = {}
                    for c in g.companies:
                        cost = round(price * r.uniform(0.45, 0.7), 2)
                        costs[str(c)] = cost
                        g.cost[(pid, c)] = cost
                    vcode = code if variants == 1 else f"{code}-{vi + 1}"
                    barcode = f"{r.randrange(10**12, 10**13)}"
                    if g.version == 17:
                        prod.add(pid, tid, vcode, barcode, True, created)
                        assert prop is not None
                        for c in g.companies:
                            propid += 1
                            prop.add(propid, "standard_price", f"product.product,{pid}", c,
                                     1, g.cost[(pid, c)], "float")  # fmt: skip
                    else:
                        prod.add(pid, tid, vcode, barcode, True, costs, created)
                    g.products_list.append((pid, price, kind, en))
    g.saleable = list(g.products_list)
    g.storable = [p for p in g.products_list if p[2] == "storable"]
