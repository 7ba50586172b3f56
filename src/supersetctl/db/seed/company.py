"""Currencies, countries, companies, users and the secrets Odoo keeps in tables
(``res_currency``, ``res_country``, ``res_company``, ``res_users``, ``ir_config_parameter``,
``ir_mail_server``)."""

from __future__ import annotations

import datetime as dt

from .generator import Generator
from .partners import add_partner
from .vocabulary import COMPANIES, COUNTRIES


def companies_and_users(g: Generator) -> None:
    """Currencies, countries, the three companies (each with its partner), an admin and 12
    salespeople, and the secrets Odoo keeps in its tables (fake: what verify must hide)."""
    r = g.rng
    cur = g.table("res_currency", "id, name, symbol, decimal_places, active")
    for row in [(1, "USD", "$", 2, True), (2, "EUR", "€", 2, True), (3, "GBP", "£", 2, False)]:
        cur.add(*row)
    countries = g.table("res_country", "id, code, name")
    for i, (code, en, de) in enumerate(COUNTRIES, start=1):
        countries.add(i, code, {"en_US": en, "de_DE": de})
        g.country_id[code] = i
    g.partner = g.table(
        "res_partner",
        "id, name, complete_name, company_id, type, parent_id, commercial_partner_id, "
        "is_company, email, phone, mobile, street, street2, city, zip, country_id, vat, "
        "customer_rank, supplier_rank, active, create_date, write_date",
    )
    comp = g.table(
        "res_company", "id, name, partner_id, currency_id, sequence, active, create_date"
    )
    created = g.start - dt.timedelta(days=400)
    for cid, name, currency, cc in COMPANIES:
        pid = add_partner(g, name, None, True, cc, created, customer=0)
        comp.add(cid, name, pid, currency, cid * 10, True, created)
        g.company_currency[cid] = currency
    g.companies = [c[0] for c in COMPANIES]
    # users: an admin plus 12 salespeople spread over the companies
    users = g.table(
        "res_users",
        "id, login, password, partner_id, company_id, active, share, create_date",
    )
    rel = g.table("res_company_users_rel", "cid, user_id")
    g.salespeople = {c: [] for c in g.companies}
    fake_hash = "$pbkdf2-sha512$600000$" + f"{r.getrandbits(128):032x}"
    admin_pid = add_partner(g, "Administrator", None, False, "US", created, customer=0)
    users.add(1, "admin", fake_hash, admin_pid, 1, True, False, created)
    for c in g.companies:
        rel.add(c, 1)
    for uid in range(2, 14):
        first, last = g.person()
        company = g.companies[(uid - 2) % len(g.companies)]
        cc = "DE" if company == 2 else "US"
        pid = add_partner(g, f"{first} {last}", None, False, cc, created, customer=0)
        login = f"{first.lower()}.{last.lower()}{uid}@example.com"
        hashed = "$pbkdf2-sha512$600000$" + f"{r.getrandbits(128):032x}"
        users.add(uid, login, hashed, pid, company, True, False, created)
        rel.add(company, uid)
        g.salespeople[company].append(uid)
        g.user_names[uid] = f"{first} {last}"
    params = g.table("ir_config_parameter", "id, key, value")
    params.add(1, "database.secret", f"{r.getrandbits(256):064x}")
    params.add(2, "database.uuid", f"{r.getrandbits(128):032x}")
    params.add(3, "web.base.url", "http://localhost:8069")
    mail = g.table(
        "ir_mail_server",
        "id, name, smtp_host, smtp_port, smtp_user, smtp_pass, active",
    )
    mail.add(1, "Outgoing", "smtp.example.com", 587, "erp@example.com",
             f"{r.getrandbits(96):024x}", True)  # fmt: skip
