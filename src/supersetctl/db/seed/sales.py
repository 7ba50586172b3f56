"""Sales: quotations and orders with their lines (``sale_order``, ``sale_order_line``),
invoiced in part; the invoice lines are then topped up to their exact target, and vendor
bills added."""

from __future__ import annotations

from .accounting import add_invoice, add_move, open_ledger
from .generator import LINES_PER_SCALE, Generator, InvoiceLine
from .rows import Table


def sales_and_invoices(g: Generator) -> None:
    """Orders until there are ``LINES_PER_SCALE x scale`` order lines, then invoices without
    an order until there are ``INVOICE_LINES_PER_SCALE x scale`` invoice lines, then vendor
    bills."""
    so = g.table(
        "sale_order",
        "id, name, partner_id, partner_invoice_id, partner_shipping_id, company_id, user_id, "
        "team_id, date_order, state, amount_untaxed, amount_tax, amount_total, currency_id, "
        "invoice_status, locked, origin, client_order_ref, commitment_date, create_date",
    )
    sol = g.table(
        "sale_order_line",
        "id, order_id, sequence, product_id, name, display_type, product_uom_qty, "
        "qty_delivered, qty_invoiced, price_unit, discount, price_subtotal, price_tax, "
        "price_total, company_id, currency_id, salesman_id, order_partner_id, state, "
        "create_date",
    )
    open_ledger(g)
    _orders(g, so, sol)
    _invoices_without_order(g)
    _vendor_bills(g)


def _orders(g: Generator, so: Table, sol: Table) -> None:
    """Orders of 1 to 9 lines (a section or a note among them now and then); about 28% of
    the confirmed ones are invoiced."""
    r = g.rng
    target = LINES_PER_SCALE * g.scale
    line_id = 0
    oid = 0
    states = ["draft", "sent", "sale", "cancel"]
    weights = [10, 8, 75, 7]
    while line_id < target:
        oid += 1
        company = g.companies[0] if r.random() < 0.5 else r.choice(g.companies[1:])
        partner = r.choice(g.customers_by_company[company])
        user = r.choice(g.salespeople[company])
        team = r.choice(g.teams[company])
        when = g.when()
        state = r.choices(states, weights)[0]
        currency = g.company_currency[company]
        fx = 0.92 if currency == 2 else 1.0
        n = min(r.randint(1, 9), target - line_id)
        lines: list[InvoiceLine] = []
        untaxed = tax = 0.0
        for seq in range(n):
            line_id += 1
            if seq == 0 and n >= 4 and r.random() < 0.3:
                sol.add(line_id, oid, seq, None, "Products", "line_section", 0, 0, 0, 0, 0,
                        0, 0, 0, company, currency, user, partner, state, when)  # fmt: skip
                continue
            if seq == n - 1 and n >= 5 and r.random() < 0.2:
                note = "Delivery within 5 days"
                sol.add(line_id, oid, seq, None, note, "line_note", 0, 0, 0, 0, 0, 0, 0, 0,
                        company, currency, user, partner, state, when)  # fmt: skip
                continue
            pid, price, kind, pname = r.choice(g.saleable)
            qty = r.choice((1, 1, 1, 2, 2, 3, 4, 5, 10, 20))
            unit = round(price * fx, 2)
            disc = r.choice((0, 0, 0, 5, 10))
            sub = round(qty * unit * (1 - disc / 100), 2)
            ptax = round(sub * 0.15, 2)
            confirmed = state == "sale"
            delivered = qty if confirmed and (kind == "service" or r.random() < 0.85) else 0
            sol.add(line_id, oid, seq, pid, pname, None, qty, delivered, 0, unit, disc, sub,
                    ptax, round(sub + ptax, 2), company, currency, user, partner, state,
                    when)  # fmt: skip
            lines.append((pid, qty, unit, disc, sub, ptax, pname))
            untaxed += sub
            tax += ptax
            if confirmed and kind == "storable":
                g.sale_lines.append((line_id, pid, company, qty, when, partner, oid))
        invoiced = False
        if state == "sale" and lines and g.product_inv_lines < g.inv_target and r.random() < 0.285:
            invoiced = True
            add_invoice(g, company, partner, user, team, when, lines, f"S{oid:06d}")
        so.add(oid, f"S{oid:06d}", partner, partner, partner, company, user, team, when,
               state, round(untaxed, 2), round(tax, 2), round(untaxed + tax, 2), currency,
               "invoiced" if invoiced else ("to invoice" if state == "sale" else "no"),
               state == "sale" and r.random() < 0.3, None,
               f"PO-{r.randrange(1000, 9999)}" if r.random() < 0.3 else None,
               None, when)  # fmt: skip


def _invoices_without_order(g: Generator) -> None:
    """Invoices that do not come from an order, until the invoice lines reach their exact
    target."""
    r = g.rng
    while g.product_inv_lines < g.inv_target:
        company = r.choice(g.companies)
        fx = 0.92 if g.company_currency[company] == 2 else 1.0
        k = min(r.randint(1, 5), g.inv_target - g.product_inv_lines)
        lines: list[InvoiceLine] = []
        for _ in range(k):
            pid, price, _kind, pname = r.choice(g.saleable)
            unit = round(price * fx, 2)
            sub = round(unit, 2)
            lines.append((pid, 1, unit, 0, sub, round(sub * 0.15, 2), pname))
        add_invoice(g, company, r.choice(g.customers_by_company[company]),
                    r.choice(g.salespeople[company]), r.choice(g.teams[company]),
                    g.when(), lines, None)  # fmt: skip


def _vendor_bills(g: Generator) -> None:
    """A few vendor bills per company and month, with no product lines counted."""
    r = g.rng
    for _ in range(30 * g.scale):
        company = r.choice(g.companies)
        vendor = r.choice(g.vendors) if g.vendors else g.customers[0]
        amount = round(r.uniform(200, 8000), 2)
        add_move(g, "in_invoice", company, vendor, None, None, g.when(), amount, [], None)
