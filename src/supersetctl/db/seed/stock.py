"""Stock: warehouses, locations and moves (``stock_warehouse``, ``stock_location``,
``stock_move``)."""

from __future__ import annotations

import datetime as dt

from .generator import Generator


def moves(g: Generator) -> None:
    """A warehouse per company; deliveries of confirmed sale lines, receipts from vendors and
    inventory adjustments, mostly done."""
    r = g.rng
    wh = g.table("stock_warehouse", "id, name, code, company_id")
    loc = g.table(
        "stock_location",
        "id, name, complete_name, usage, location_id, warehouse_id, company_id, active",
    )
    loc.add(1, "Partners", "Partners", "view", None, None, None, True)
    loc.add(2, "Customers", "Partners/Customers", "customer", 1, None, None, True)
    loc.add(3, "Vendors", "Partners/Vendors", "supplier", 1, None, None, True)
    loc.add(4, "Virtual Locations", "Virtual Locations", "view", None, None, None, True)
    stock_loc: dict[int, int] = {}
    adjust_loc: dict[int, int] = {}
    lid = 4
    for c in g.companies:
        code = f"WH{c}"
        wh.add(c, f"Warehouse {c}", code, c)
        lid += 1
        loc.add(lid, "Stock", f"{code}/Stock", "internal", None, c, c, True)
        stock_loc[c] = lid
        lid += 1
        loc.add(lid, "Inventory adjustment", "Virtual Locations/Inventory adjustment",
                "inventory", 4, None, c, True)  # fmt: skip
        adjust_loc[c] = lid
    move = g.table(
        "stock_move",
        "id, name, reference, origin, product_id, product_uom_qty, quantity, location_id, "
        "location_dest_id, state, date, company_id, price_unit, partner_id, sale_line_id, "
        "create_date",
    )
    total = 4000 * g.scale
    out_n = min(len(g.sale_lines), 3000 * g.scale)
    mid = 0
    states = ["done", "assigned", "confirmed", "cancel"]
    weights = [85, 7, 5, 3]
    for line_id, pid, company, qty, when, partner, oid in g.sale_lines[:out_n]:
        mid += 1
        state = r.choices(states, weights)[0]
        date = min(when + dt.timedelta(days=r.randrange(0, 6)), g.end)
        move.add(mid, f"P{pid}", f"WH{company}/OUT/{mid:06d}", f"S{oid:06d}", pid, qty,
                 qty if state == "done" else 0, stock_loc[company], 2, state, date,
                 company, g.cost[(pid, company)], partner, line_id, when)  # fmt: skip
    storable = g.storable
    while mid < total:
        mid += 1
        pid, _price, _kind, _name = r.choice(storable)
        company = r.choice(g.companies)
        when = g.when()
        if r.random() < 0.9:
            src, dst, ref, qty = 3, stock_loc[company], "IN", r.choice((5, 10, 20, 50))
        else:
            qty = r.choice((1, 2, 3))
            if r.random() < 0.5:
                src, dst = adjust_loc[company], stock_loc[company]
            else:
                src, dst = stock_loc[company], adjust_loc[company]
            ref = "INV"
        state = r.choices(states, weights)[0]
        move.add(mid, f"P{pid}", f"WH{company}/{ref}/{mid:06d}", None, pid, qty,
                 qty if state == "done" else 0, src, dst, state, when, company,
                 g.cost[(pid, company)], None, None, when)  # fmt: skip
