"""Accounting: the chart of accounts and journals (``account_account``, ``account_journal``),
and invoices, refunds and vendor bills (``account_move``) with their journal items
(``account_move_line``: product lines, one tax line, one payment-term line)."""

from __future__ import annotations

import datetime as dt

from .generator import Generator, InvoiceLine


def accounts_and_journals(g: Generator) -> None:
    """The chart of accounts (per company in 17; shared, with per-company codes, in 18) and a
    sales and a purchase journal per company."""
    acc_cols = "id, name, account_type, reconcile, active, " + (
        "code, company_id, create_date" if g.version == 17 else "code_store, create_date"
    )
    acc = g.table("account_account", acc_cols)
    kinds = [
        ("income", "Product Sales", "400000", "8400"),
        ("asset_receivable", "Account Receivable", "121000", "1400"),
        ("liability_current", "Tax Payable", "251000", "1776"),
        ("expense", "Cost of Goods", "600000", "3400"),
        ("liability_payable", "Account Payable", "211000", "1600"),
    ]
    created = g.start - dt.timedelta(days=400)
    aid = 0
    if g.version == 17:
        for c in g.companies:
            for kind, name, us, de in kinds:
                aid += 1
                code = de if c == 2 else us
                acc.add(aid, {"en_US": name}, kind, kind.endswith(("receivable", "payable")),
                        True, code, c, created)  # fmt: skip
                g.account[(c, kind)] = aid
    else:
        rel = g.table("account_account_res_company_rel", "account_account_id, res_company_id")
        for kind, name, us, de in kinds:
            aid += 1
            codes = {str(c): (de if c == 2 else us) for c in g.companies}
            acc.add(aid, {"en_US": name}, kind, kind.endswith(("receivable", "payable")),
                    True, codes, created)  # fmt: skip
            for c in g.companies:
                rel.add(aid, c)
                g.account[(c, kind)] = aid
    jour = g.table("account_journal", "id, name, code, type, company_id, active")
    jid = 0
    for c in g.companies:
        for jtype, label, code in (("sale", "Customer Invoices", "INV"),
                                   ("purchase", "Vendor Bills", "BILL")):  # fmt: skip
            jid += 1
            jour.add(jid, {"en_US": label}, code, jtype, c, True)
            g.journal[(c, jtype)] = jid


def open_ledger(g: Generator) -> None:
    """The move and journal item tables the sales step fills."""
    g.am = g.table(
        "account_move",
        "id, name, ref, move_type, state, partner_id, commercial_partner_id, company_id, "
        "journal_id, currency_id, date, invoice_date, invoice_date_due, invoice_origin, "
        "invoice_user_id, team_id, amount_untaxed, amount_tax, amount_total, "
        "amount_residual, amount_untaxed_signed, amount_total_signed, "
        "amount_residual_signed, payment_state, reversed_entry_id, create_date",
    )
    g.aml = g.table(
        "account_move_line",
        "id, move_id, move_name, date, parent_state, journal_id, company_id, "
        "company_currency_id, currency_id, account_id, partner_id, product_id, name, "
        "display_type, quantity, price_unit, discount, price_subtotal, price_total, balance, "
        "amount_currency, debit, credit, amount_residual, date_maturity, create_date",
    )


def add_invoice(
    g: Generator,
    company: int,
    partner: int,
    user: int,
    team: int,
    when: dt.datetime,
    lines: list[InvoiceLine],
    origin: str | None,
) -> None:
    """A customer invoice of ``lines`` (cut to what the invoice line target still allows);
    now and then a refund of its first line."""
    r = g.rng
    lines = lines[: g.inv_target - g.product_inv_lines]
    g.product_inv_lines += len(lines)
    date = when + dt.timedelta(days=r.randrange(0, 10))
    untaxed = round(sum(line[4] for line in lines), 2)
    move_id = add_move(g, "out_invoice", company, partner, user, team, date, untaxed, lines,
                       origin)  # fmt: skip
    if move_id and r.random() < 0.08:
        # a refund of part of it, which also counts as invoice lines
        part = lines[:1]
        if g.product_inv_lines < g.inv_target:
            g.product_inv_lines += 1
            refund_date = date + dt.timedelta(days=r.randrange(5, 40))
            add_move(g, "out_refund", company, partner, user, team, refund_date, part[0][4],
                     part, origin, reversed_id=move_id)  # fmt: skip


def add_move(
    g: Generator,
    move_type: str,
    company: int,
    partner: int,
    user: int | None,
    team: int | None,
    when: dt.datetime,
    untaxed: float,
    lines: list[InvoiceLine],
    origin: str | None,
    *,
    reversed_id: int | None = None,
) -> int | None:
    """One move with its journal items: product lines (or one service line), a tax line and
    a payment-term line. Mostly posted, older ones mostly paid; its id when posted."""
    r = g.rng
    mid = g.am.count + 1
    currency = g.company_currency[company]
    tax = round(untaxed * 0.15, 2)
    total = round(untaxed + tax, 2)
    date = when.date()
    if date > g.end.date():
        date = g.end.date()
    state = r.choices(["posted", "draft", "cancel"], [93, 5, 2])[0]
    if move_type == "out_refund":
        state = "posted"
    age = (g.end.date() - date).days
    if state != "posted":
        payment = "not_paid"
        residual = total if state == "draft" else 0.0
    else:
        # older invoices are mostly paid; recent ones mostly open
        p_open = 0.9 if age < 30 else 0.45 if age < 90 else 0.08
        if r.random() < p_open:
            payment = r.choices(["not_paid", "partial", "in_payment"], [70, 20, 10])[0]
        else:
            payment = "paid"
        residual = {"not_paid": total, "partial": round(total * 0.4, 2)}.get(payment, 0.0)
    sign = 1 if move_type in ("out_invoice", "in_refund") else -1
    prefix = {"out_invoice": "INV", "out_refund": "RINV", "in_invoice": "BILL"}[move_type]
    key = (company, prefix, date.year)
    g.inv_seq[key] = g.inv_seq.get(key, 0) + 1
    name = f"{prefix}/{date.year}/{g.inv_seq[key]:05d}" if state == "posted" else "/"
    jtype = "purchase" if move_type.startswith("in_") else "sale"
    journal = g.journal[(company, jtype)]
    due = date + dt.timedelta(days=30)
    g.am.add(mid, name, None, move_type, state, partner, partner, company, journal,
             currency, date, date, due, origin, user, team, untaxed, tax, total, residual,
             sign * untaxed, sign * total, sign * residual, payment, reversed_id,
             when)  # fmt: skip
    # journal items: product lines, one tax line, one payment-term line
    items: list[tuple[str, int, int | None, str, float, float, float, float, float]] = []
    income = g.account[(company, "income" if jtype == "sale" else "expense")]
    for pid, qty, unit, disc, sub, ptax, pname in lines:
        items.append(("product", income, pid, pname, qty, unit, disc, sub, round(sub + ptax, 2)))
    if not lines:
        items.append(("product", income, None, "Services", 1, untaxed, 0, untaxed, total))
    items.append(("tax", g.account[(company, "liability_current")], None, "Tax 15%",
                  0, 0, 0, tax, tax))  # fmt: skip
    term_kind = "asset_receivable" if jtype == "sale" else "liability_payable"
    for display, account, item_pid, label, iqty, iunit, idisc, isub, itot in items:
        add_journal_item(g, mid, name, date, state, journal, company, currency, account,
                         partner, item_pid, label, display, iqty, iunit, idisc, isub, itot,
                         -sign * isub, 0.0, None)  # fmt: skip
    add_journal_item(g, mid, name, date, state, journal, company, currency,
                     g.account[(company, term_kind)], partner, None, name, "payment_term", 0, 0,
                     0, 0, 0, sign * total, sign * residual, due)  # fmt: skip
    if move_type == "out_invoice" and state == "posted":
        g.invoiced.append(mid)
    return mid if state == "posted" else None


def add_journal_item(g: Generator, move: int, mname: str, date: dt.date, state: str,
                     journal: int, company: int, currency: int, account: int, partner: int,
                     product: int | None, label: str, display: str, qty: float, unit: float,
                     disc: float, sub: float, tot: float, balance: float, residual: float,
                     maturity: dt.date | None) -> None:  # fmt: skip
    """One ``account_move_line`` row (debit and credit from the balance)."""
    balance = round(balance, 2)
    g.aml.add(g.next_aml, move, mname, date, state, journal, company, currency,
              currency, account, partner, product, label, display, qty, unit, disc, sub,
              tot, balance, balance, max(balance, 0), max(-balance, 0), round(residual, 2),
              maturity, dt.datetime.combine(date, dt.time(9)))  # fmt: skip
    g.next_aml += 1
