"""The state of one generation: its parameters, the random stream every step draws from in
turn, the tables made so far, and what later steps use of earlier ones."""

from __future__ import annotations

import datetime as dt
import random

from .rows import Table
from .vocabulary import FIRST, LAST

LINES_PER_SCALE = 10_000
INVOICE_LINES_PER_SCALE = 2_000

# (line id, product id, company id, quantity, ordered at, partner id, order id)
SaleLine = tuple[int, int, int, float, dt.datetime, int, int]
# (product id, quantity, unit price, discount %, subtotal, tax, product name)
InvoiceLine = tuple[int, int, float, int, float, float, str]


class Generator:
    """One generation: same parameters, same draws, same rows."""

    partner: Table  # res_partner, made with the companies
    am: Table  # account_move
    aml: Table  # account_move_line

    def __init__(self, version: int, scale: int, seed: int, end_date: dt.date) -> None:
        self.version = version
        self.scale = scale
        self.rng = random.Random(f"supersetctl-seed:{seed}")  # noqa: S311  fake data, not secrets
        self.end = dt.datetime.combine(end_date, dt.time(18, 0))
        self.start = self.end - dt.timedelta(days=730)
        self.tables: dict[str, Table] = {}
        # companies and users
        self.country_id: dict[str, int] = {}
        self.companies: list[int] = []
        self.company_currency: dict[int, int] = {}
        self.salespeople: dict[int, list[int]] = {}
        self.user_names: dict[int, str] = {}
        # partners
        self.next_partner = 1
        self.customers: list[int] = []
        self.customers_by_company: dict[int, list[int]] = {}
        self.vendors: list[int] = []
        # products: (id, price, kind, name), and cost by (product, company)
        self.products_list: list[tuple[int, float, str, str]] = []
        self.saleable: list[tuple[int, float, str, str]] = []
        self.storable: list[tuple[int, float, str, str]] = []
        self.cost: dict[tuple[int, int], float] = {}
        # sales teams, accounts and journals by company
        self.teams: dict[int, list[int]] = {}
        self.account: dict[tuple[int, str], int] = {}
        self.journal: dict[tuple[int, str], int] = {}
        # sales and invoicing
        self.sale_lines: list[SaleLine] = []  # confirmed lines of storable products
        self.next_aml = 1
        self.inv_seq: dict[tuple[int, str, int], int] = {}
        self.product_inv_lines = 0
        self.inv_target = INVOICE_LINES_PER_SCALE * scale
        self.invoiced: list[int] = []  # move ids of posted customer invoices (for refunds)

    def table(self, name: str, columns: str) -> Table:
        tab = Table(name, columns)
        self.tables[name] = tab
        return tab

    def when(self) -> dt.datetime:
        span = (self.end - self.start).total_seconds()
        # more recent months are busier: a slight upward trend
        x = self.rng.random() ** 0.8
        ts = self.start + dt.timedelta(seconds=int(span * x))
        return ts.replace(microsecond=0)

    def person(self) -> tuple[str, str]:
        first = self.rng.choice(FIRST)
        last = self.rng.choice(LAST)
        return first, last

    def phone(self, cc: str) -> str:
        n = self.rng.randrange(100, 200)
        prefix = {"US": "+1 202 555", "CA": "+1 613 555"}.get(cc, "+49 30 555")
        return f"{prefix}-{n:04d}"
