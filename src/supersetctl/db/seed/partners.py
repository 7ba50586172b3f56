"""Partners (``res_partner``): organisations, their contacts and individuals, each with a
made-up e-mail (``example.com``), 555 phone number and street."""

from __future__ import annotations

import datetime as dt

from .generator import Generator
from .vocabulary import CITIES, ORG_A, ORG_B, ORG_C


def add_partner(
    g: Generator,
    name: str,
    company_id: int | None,
    is_company: bool,
    cc: str,
    created: dt.datetime,
    *,
    customer: int = 1,
    parent: int | None = None,
) -> int:
    """One ``res_partner`` row with a made-up address, e-mail and phone; its id."""
    r = g.rng
    pid = g.next_partner
    g.next_partner += 1
    slug = "".join(ch for ch in name.lower() if ch.isalnum())[:20] or "contact"
    email = f"{slug}{pid}@example.com"
    city = r.choice([c for c in CITIES if c[0] == cc] or CITIES)[1]
    g.partner.add(
        pid, name, name, company_id, "contact", parent, parent or pid, is_company, email,
        g.phone(cc), g.phone(cc) if r.random() < 0.3 else None,
        f"{r.randrange(1, 300)} {r.choice(ORG_B)} Street", None, city,
        f"{r.randrange(10000, 99999)}", g.country_id[cc],
        f"{cc}{r.randrange(10**8, 10**9)}" if is_company else None,
        customer, 0, True, created, created,
    )  # fmt: skip
    return pid


def partners(g: Generator) -> None:
    """Customers and vendors: organisations (half with a contact person) and individuals,
    shared by all companies or belonging to one."""
    r = g.rng
    n = min(500 * g.scale, 50_000)
    g.customers_by_company = {c: [] for c in g.companies}
    for _ in range(n):
        cc = r.choice(CITIES)[0]
        company = None if r.random() < 0.7 else r.choice(g.companies)
        created = g.when() - dt.timedelta(days=90)
        if r.random() < 0.4:
            name = f"{r.choice(ORG_A)} {r.choice(ORG_B)} {r.choice(ORG_C)}"
            pid = add_partner(g, name, company, True, cc, created)
            if r.random() < 0.5:
                first, last = g.person()
                add_partner(g, f"{first} {last}", company, False, cc, created,
                            customer=0, parent=pid)  # fmt: skip
        else:
            first, last = g.person()
            pid = add_partner(g, f"{first} {last}", company, False, cc, created)
        if r.random() < 0.08:
            g.vendors.append(pid)
        else:
            g.customers.append(pid)
        for c in [company] if company else g.companies:
            g.customers_by_company[c].append(pid)
