"""The whole data set: every step, in the order they draw from the random stream."""

from __future__ import annotations

import datetime as dt

from . import accounting, company, crm, hr, partners, products, sales, stock
from .generator import Generator


def generate(version: int, scale: int, seed: int, end_date: dt.date) -> Generator:
    """Every table's rows (``.tables``, as COPY text) for these parameters; the same
    parameters give the same rows, byte for byte. Nothing is written anywhere."""
    g = Generator(version, scale, seed, end_date)
    company.companies_and_users(g)
    partners.partners(g)
    products.products(g)
    crm.sales_teams_and_stages(g)
    accounting.accounts_and_journals(g)
    sales.sales_and_invoices(g)
    crm.leads(g)
    stock.moves(g)
    hr.employees(g)
    return g
