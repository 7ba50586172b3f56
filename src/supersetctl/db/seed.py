"""Safe, deterministic seed data shaped like Odoo 17 / 18, bulk loaded with COPY.

Same ``seed``, ``scale``, ``odoo_version`` and ``end_date`` give the same rows, byte for byte.
Every name, e-mail address and phone number is made up (``example.com`` addresses, 555
numbers). Sizes grow with ``scale``:

===========================  ====================  =========================================
table                        rows                  notes
===========================  ====================  =========================================
res_company                  3                     two in USD, one in EUR
sale_order_line              10,000 x scale        incl. section and note lines
account_move_line (product)  2,000 x scale         plus one tax and one payment-term line
                                                   per invoice
sale_order                   ~2,000 x scale        draft, sent, sale, cancel
account_move                 ~430 x scale          invoices, refunds, vendor bills
crm_lead                     300 x scale           leads and opportunities, won and lost
stock_move                   4,000 x scale         deliveries, receipts, adjustments
res_partner                  500 x scale (max      companies, contacts, individuals with
                             50,000)               fake e-mail, phone and street
===========================  ====================  =========================================

``scale=100`` gives the benchmark size: 1,000,000 sale order lines and 200,000 invoice lines.

Entry point: :func:`seed_database`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from supersetctl.errors import DatabaseError

from .seed_schema import SUPPORTED_VERSIONS, create_statements, index_statements, tables

log = logging.getLogger(__name__)

DEFAULT_END_DATE = dt.date(2026, 6, 30)
MARKER = "supersetctl seed"
LINES_PER_SCALE = 10_000
INVOICE_LINES_PER_SCALE = 2_000

_FIRST = [
    "Ava",
    "Ben",
    "Chloe",
    "Dario",
    "Elin",
    "Farid",
    "Greta",
    "Hugo",
    "Ines",
    "Jonas",
    "Kira",
    "Liam",
    "Maya",
    "Noah",
    "Olga",
    "Pablo",
    "Quinn",
    "Rosa",
    "Sven",
    "Tara",
    "Umar",
    "Vera",
    "Wim",
    "Xenia",
    "Yusuf",
    "Zoe",
    "Aiko",
    "Bram",
    "Cleo",
    "Dmitri",
]
_LAST = [
    "Abbott",
    "Brandt",
    "Castillo",
    "Dubois",
    "Eriksen",
    "Fontaine",
    "Garber",
    "Holm",
    "Ibarra",
    "Jansen",
    "Kowal",
    "Lindqvist",
    "Moreau",
    "Novak",
    "Okafor",
    "Petrov",
    "Quist",
    "Rossi",
    "Sato",
    "Toma",
    "Ueda",
    "Varga",
    "Weber",
    "Yilmaz",
    "Zeller",
]
_ORG_A = [
    "Blue",
    "Green",
    "Red",
    "Silver",
    "Golden",
    "North",
    "South",
    "East",
    "West",
    "Bright",
    "Swift",
    "Solid",
    "Prime",
]
_ORG_B = [
    "Oak",
    "Pine",
    "River",
    "Stone",
    "Harbor",
    "Peak",
    "Field",
    "Bridge",
    "Lake",
    "Ridge",
    "Valley",
    "Forge",
]
_ORG_C = [
    "Traders",
    "Works",
    "Labs",
    "Supply",
    "Partners",
    "Systems",
    "Logistics",
    "Foods",
    "Retail",
    "Group",
]
_CITIES = [
    ("US", "Springfield"),
    ("US", "Riverton"),
    ("US", "Lakeside"),
    ("DE", "Neustadt"),
    ("DE", "Altdorf"),
    ("FR", "Villeneuve"),
    ("BE", "Hoogstraten"),
    ("NL", "Nieuwkerk"),
    ("GB", "Newtown"),
    ("CA", "Fairview"),
]
_COUNTRIES = [
    ("US", "United States", "Vereinigte Staaten"),
    ("DE", "Germany", "Deutschland"),
    ("FR", "France", "Frankreich"),
    ("BE", "Belgium", "Belgien"),
    ("NL", "Netherlands", "Niederlande"),
    ("GB", "United Kingdom", "Vereinigtes Königreich"),
    ("CA", "Canada", "Kanada"),
]
# (name, parent index or None)
_CATEGORIES: list[tuple[str, int | None]] = [
    ("All", None),
    ("Saleable", 0),
    ("Office Furniture", 1),
    ("Desks", 2),
    ("Chairs", 2),
    ("Storage", 2),
    ("Electronics", 1),
    ("Computers", 6),
    ("Monitors", 6),
    ("Accessories", 6),
    ("Supplies", 1),
    ("Paper", 10),
    ("Services", 0),
    ("Installation", 12),
    ("Maintenance", 12),
]
# leaf category index -> (product nouns, product type 17 detailed_type, price range)
_PRODUCT_KINDS: dict[int, tuple[list[str], str, tuple[int, int]]] = {
    3: (["Standing Desk", "Corner Desk", "Writing Desk", "Desk Riser"], "product", (150, 900)),
    4: (["Office Chair", "Stool", "Visitor Chair", "Gaming Chair"], "product", (60, 450)),
    5: (["Drawer Unit", "Bookshelf", "Locker", "Filing Cabinet"], "product", (80, 600)),
    7: (["Laptop", "Workstation", "Mini PC", "Tablet"], "product", (400, 2400)),
    8: (["Monitor 24in", "Monitor 27in", "Monitor 32in", "Monitor Arm"], "product", (90, 700)),
    9: (["Keyboard", "Mouse", "Headset", "Webcam", "USB Hub"], "consu", (10, 150)),
    11: (["Copy Paper", "Notebook", "Sticky Notes", "Envelopes"], "consu", (2, 40)),
    13: (["Desk Assembly", "Cabling", "Room Setup"], "service", (50, 500)),
    14: (["Support Plan", "Repair", "On-site Visit"], "service", (40, 400)),
}
_FRENCH = {
    "Desk": "Bureau",
    "Chair": "Chaise",
    "Monitor": "Écran",
    "Paper": "Papier",
    "Laptop": "Ordinateur portable",
}
_STAGES = [("New", 10, False), ("Qualified", 20, False), ("Proposition", 30, False)]
_STAGE_WON = ("Won", 70, True)
_LOST_REASONS = ["Too expensive", "Not enough stock", "We don't have people/skills"]
_DEPARTMENTS = ["Management", "Sales", "Administration", "Warehouse", "Research"]
_JOBS = {
    "Management": "Managing Director",
    "Sales": "Account Executive",
    "Administration": "Accountant",
    "Warehouse": "Warehouse Operator",
    "Research": "Engineer",
}
# (id, name, currency id, country code)
_COMPANIES = [
    (1, "Northwind Trading Inc.", 1, "US"),
    (2, "Nordlicht Handel GmbH", 2, "DE"),
    (3, "Southwind Retail LLC", 1, "US"),
]


@dataclass(frozen=True)
class SeedSummary:
    """What :func:`seed_database` did: the parameters, row counts per table and timing."""

    odoo_version: int
    scale: int
    seed: int
    end_date: dt.date
    created: bool
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def marker(self) -> str:
        return marker_text(self.odoo_version, self.scale, self.seed, self.end_date)

    def to_dict(self) -> dict[str, Any]:
        return {
            "odoo_version": self.odoo_version,
            "scale": self.scale,
            "seed": self.seed,
            "end_date": self.end_date.isoformat(),
            "created": self.created,
            "counts": dict(sorted(self.counts.items())),
            "seconds": round(self.seconds, 2),
        }


def marker_text(version: int, scale: int, seed: int, end_date: dt.date) -> str:
    return f"{MARKER}: odoo={version} scale={scale} seed={seed} end_date={end_date.isoformat()}"


# ------------------------------------------------------------------ COPY text encoding


def _cell(value: object) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
    if isinstance(value, dict):
        return _cell(json.dumps(value, ensure_ascii=False, sort_keys=True))
    return str(value)


class _Table:
    """Rows of one table, encoded as COPY text as they come."""

    def __init__(self, name: str, columns: str) -> None:
        self.name = name
        self.columns = [c.strip() for c in columns.split(",")]
        self.chunks: list[str] = []
        self.count = 0

    def add(self, *values: object) -> None:
        self.chunks.append("\t".join(map(_cell, values)) + "\n")
        self.count += 1


# ---------------------------------------------------------------------- generation


class _Gen:
    def __init__(self, version: int, scale: int, seed: int, end_date: dt.date) -> None:
        self.v = version
        self.scale = scale
        self.rng = random.Random(f"supersetctl-seed:{seed}")  # noqa: S311  fake data, not secrets
        self.end = dt.datetime.combine(end_date, dt.time(18, 0))
        self.start = self.end - dt.timedelta(days=730)
        self.t: dict[str, _Table] = {}

    def table(self, name: str, columns: str) -> _Table:
        tab = _Table(name, columns)
        self.t[name] = tab
        return tab

    # helpers
    def when(self) -> dt.datetime:
        span = (self.end - self.start).total_seconds()
        # more recent months are busier: a slight upward trend
        x = self.rng.random() ** 0.8
        ts = self.start + dt.timedelta(seconds=int(span * x))
        return ts.replace(microsecond=0)

    def person(self) -> tuple[str, str]:
        first = self.rng.choice(_FIRST)
        last = self.rng.choice(_LAST)
        return first, last

    def phone(self, cc: str) -> str:
        n = self.rng.randrange(100, 200)
        prefix = {"US": "+1 202 555", "CA": "+1 613 555"}.get(cc, "+49 30 555")
        return f"{prefix}-{n:04d}"

    def run(self) -> None:
        self.base()
        self.partners()
        self.products()
        self.crm_setup()
        self.sales_and_invoices()
        self.crm_leads()
        self.stock()
        self.hr()

    def base(self) -> None:
        r = self.rng
        cur = self.table("res_currency", "id, name, symbol, decimal_places, active")
        for row in [(1, "USD", "$", 2, True), (2, "EUR", "€", 2, True), (3, "GBP", "£", 2, False)]:
            cur.add(*row)
        countries = self.table("res_country", "id, code, name")
        self.country_id = {}
        for i, (code, en, de) in enumerate(_COUNTRIES, start=1):
            countries.add(i, code, {"en_US": en, "de_DE": de})
            self.country_id[code] = i
        self.partner = self.table(
            "res_partner",
            "id, name, complete_name, company_id, type, parent_id, commercial_partner_id, "
            "is_company, email, phone, mobile, street, street2, city, zip, country_id, vat, "
            "customer_rank, supplier_rank, active, create_date, write_date",
        )
        self.next_partner = 1
        comp = self.table(
            "res_company", "id, name, partner_id, currency_id, sequence, active, create_date"
        )
        self.company_currency: dict[int, int] = {}
        created = self.start - dt.timedelta(days=400)
        for cid, name, currency, cc in _COMPANIES:
            pid = self._partner(name, None, True, cc, created, customer=0)
            comp.add(cid, name, pid, currency, cid * 10, True, created)
            self.company_currency[cid] = currency
        self.companies = [c[0] for c in _COMPANIES]
        # users: an admin plus 12 salespeople spread over the companies
        users = self.table(
            "res_users",
            "id, login, password, partner_id, company_id, active, share, create_date",
        )
        rel = self.table("res_company_users_rel", "cid, user_id")
        self.salespeople: dict[int, list[int]] = {c: [] for c in self.companies}
        self.user_names: dict[int, str] = {}
        fake_hash = "$pbkdf2-sha512$600000$" + f"{r.getrandbits(128):032x}"
        admin_pid = self._partner("Administrator", None, False, "US", created, customer=0)
        users.add(1, "admin", fake_hash, admin_pid, 1, True, False, created)
        for c in self.companies:
            rel.add(c, 1)
        for uid in range(2, 14):
            first, last = self.person()
            company = self.companies[(uid - 2) % len(self.companies)]
            cc = "DE" if company == 2 else "US"
            pid = self._partner(f"{first} {last}", None, False, cc, created, customer=0)
            login = f"{first.lower()}.{last.lower()}{uid}@example.com"
            hashed = "$pbkdf2-sha512$600000$" + f"{r.getrandbits(128):032x}"
            users.add(uid, login, hashed, pid, company, True, False, created)
            rel.add(company, uid)
            self.salespeople[company].append(uid)
            self.user_names[uid] = f"{first} {last}"
        params = self.table("ir_config_parameter", "id, key, value")
        params.add(1, "database.secret", f"{r.getrandbits(256):064x}")
        params.add(2, "database.uuid", f"{r.getrandbits(128):032x}")
        params.add(3, "web.base.url", "http://localhost:8069")
        mail = self.table(
            "ir_mail_server",
            "id, name, smtp_host, smtp_port, smtp_user, smtp_pass, active",
        )
        mail.add(1, "Outgoing", "smtp.example.com", 587, "erp@example.com",
                 f"{r.getrandbits(96):024x}", True)  # fmt: skip

    def _partner(
        self,
        name: str,
        company_id: int | None,
        is_company: bool,
        cc: str,
        created: dt.datetime,
        *,
        customer: int = 1,
        parent: int | None = None,
    ) -> int:
        r = self.rng
        pid = self.next_partner
        self.next_partner += 1
        slug = "".join(ch for ch in name.lower() if ch.isalnum())[:20] or "contact"
        email = f"{slug}{pid}@example.com"
        city = r.choice([c for c in _CITIES if c[0] == cc] or _CITIES)[1]
        self.partner.add(
            pid, name, name, company_id, "contact", parent, parent or pid, is_company, email,
            self.phone(cc), self.phone(cc) if r.random() < 0.3 else None,
            f"{r.randrange(1, 300)} {r.choice(_ORG_B)} Street", None, city,
            f"{r.randrange(10000, 99999)}", self.country_id[cc],
            f"{cc}{r.randrange(10**8, 10**9)}" if is_company else None,
            customer, 0, True, created, created,
        )  # fmt: skip
        return pid

    def partners(self) -> None:
        r = self.rng
        n = min(500 * self.scale, 50_000)
        self.customers: list[int] = []
        self.customers_by_company: dict[int, list[int]] = {c: [] for c in self.companies}
        self.vendors: list[int] = []
        for _ in range(n):
            cc = r.choice(_CITIES)[0]
            company = None if r.random() < 0.7 else r.choice(self.companies)
            created = self.when() - dt.timedelta(days=90)
            if r.random() < 0.4:
                name = f"{r.choice(_ORG_A)} {r.choice(_ORG_B)} {r.choice(_ORG_C)}"
                pid = self._partner(name, company, True, cc, created)
                if r.random() < 0.5:
                    first, last = self.person()
                    self._partner(f"{first} {last}", company, False, cc, created,
                                  customer=0, parent=pid)  # fmt: skip
            else:
                first, last = self.person()
                pid = self._partner(f"{first} {last}", company, False, cc, created)
            if r.random() < 0.08:
                self.vendors.append(pid)
            else:
                self.customers.append(pid)
            for c in [company] if company else self.companies:
                self.customers_by_company[c].append(pid)

    def products(self) -> None:
        r = self.rng
        cat = self.table("product_category", "id, name, complete_name, parent_id, parent_path")
        full: list[str] = []
        paths: list[str] = []
        for i, (name, parent) in enumerate(_CATEGORIES):
            cid = i + 1
            full.append(name if parent is None else f"{full[parent]} / {name}")
            paths.append(f"{cid}/" if parent is None else f"{paths[parent]}{cid}/")
            cat.add(cid, name, full[i], None if parent is None else parent + 1, paths[i])
        cols = "id, name, default_code, categ_id, list_price, company_id, active, sale_ok, "
        cols += "purchase_ok, type, " + (
            "detailed_type, create_date" if self.v == 17 else "is_storable, create_date"
        )
        tmpl = self.table("product_template", cols)
        pcols = "id, product_tmpl_id, default_code, barcode, active, " + (
            "create_date" if self.v == 17 else "standard_price, create_date"
        )
        prod = self.table("product_product", pcols)
        prop = (
            self.table(
                "ir_property",
                "id, name, res_id, company_id, fields_id, value_float, type",
            )
            if self.v == 17
            else None
        )
        self.products_list: list[tuple[int, float, str, str]] = []  # id, price, kind, name
        self.cost: dict[tuple[int, int], float] = {}
        tid = pid = propid = 0
        created = self.start - dt.timedelta(days=200)
        for leaf, (nouns, detailed, (lo, hi)) in _PRODUCT_KINDS.items():
            for noun in nouns:
                for grade in ("Basic", "Pro", "Max"):
                    tid += 1
                    en = f"{noun} {grade}"
                    tname: dict[str, str] = {"en_US": en}
                    for word, fr in _FRENCH.items():
                        if word in noun and r.random() < 0.7:
                            tname["fr_FR"] = en.replace(word, fr)
                    price = round(
                        r.uniform(lo, hi) * (1 + 0.5 * (["Basic", "Pro", "Max"].index(grade))), 2
                    )
                    code = f"P{tid:04d}"
                    company = None if r.random() < 0.9 else r.choice(self.companies)
                    kind = {"product": "storable", "consu": "consumable"}.get(detailed, detailed)
                    if self.v == 17:
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
                        for c in self.companies:
                            cost = round(price * r.uniform(0.45, 0.7), 2)
                            costs[str(c)] = cost
                            self.cost[(pid, c)] = cost
                        vcode = code if variants == 1 else f"{code}-{vi + 1}"
                        barcode = f"{r.randrange(10**12, 10**13)}"
                        if self.v == 17:
                            prod.add(pid, tid, vcode, barcode, True, created)
                            assert prop is not None
                            for c in self.companies:
                                propid += 1
                                prop.add(propid, "standard_price", f"product.product,{pid}", c,
                                         1, self.cost[(pid, c)], "float")  # fmt: skip
                        else:
                            prod.add(pid, tid, vcode, barcode, True, costs, created)
                        self.products_list.append((pid, price, kind, en))
        self.saleable = list(self.products_list)
        self.storable = [p for p in self.products_list if p[2] == "storable"]

    def crm_setup(self) -> None:
        team = self.table("crm_team", "id, name, company_id, user_id, active")
        self.teams: dict[int, list[int]] = {}
        tid = 0
        for c in self.companies:
            self.teams[c] = []
            for label in ("Direct Sales", "Online"):
                tid += 1
                leader = self.salespeople[c][0]
                team.add(tid, {"en_US": label, "de_DE": "Direktvertrieb" if tid % 2 else "Online"},
                         c, leader, True)  # fmt: skip
                self.teams[c].append(tid)
        stage = self.table("crm_stage", "id, name, sequence, is_won, fold, team_id")
        for i, (name, seq, won) in enumerate([*_STAGES, _STAGE_WON], start=1):
            stage.add(i, {"en_US": name}, seq, won, False, None)
        lost = self.table("crm_lost_reason", "id, name, active")
        for i, name in enumerate(_LOST_REASONS, start=1):
            lost.add(i, {"en_US": name}, True)
        # accounting setup, per version
        acc_cols = "id, name, account_type, reconcile, active, " + (
            "code, company_id, create_date" if self.v == 17 else "code_store, create_date"
        )
        acc = self.table("account_account", acc_cols)
        kinds = [
            ("income", "Product Sales", "400000", "8400"),
            ("asset_receivable", "Account Receivable", "121000", "1400"),
            ("liability_current", "Tax Payable", "251000", "1776"),
            ("expense", "Cost of Goods", "600000", "3400"),
            ("liability_payable", "Account Payable", "211000", "1600"),
        ]
        self.account: dict[tuple[int, str], int] = {}
        created = self.start - dt.timedelta(days=400)
        aid = 0
        if self.v == 17:
            for c in self.companies:
                for kind, name, us, de in kinds:
                    aid += 1
                    code = de if c == 2 else us
                    acc.add(aid, {"en_US": name}, kind, kind.endswith(("receivable", "payable")),
                            True, code, c, created)  # fmt: skip
                    self.account[(c, kind)] = aid
        else:
            rel = self.table(
                "account_account_res_company_rel", "account_account_id, res_company_id"
            )
            for kind, name, us, de in kinds:
                aid += 1
                codes = {str(c): (de if c == 2 else us) for c in self.companies}
                acc.add(aid, {"en_US": name}, kind, kind.endswith(("receivable", "payable")),
                        True, codes, created)  # fmt: skip
                for c in self.companies:
                    rel.add(aid, c)
                    self.account[(c, kind)] = aid
        jour = self.table("account_journal", "id, name, code, type, company_id, active")
        self.journal: dict[tuple[int, str], int] = {}
        jid = 0
        for c in self.companies:
            for jtype, label, code in (("sale", "Customer Invoices", "INV"),
                                       ("purchase", "Vendor Bills", "BILL")):  # fmt: skip
                jid += 1
                jour.add(jid, {"en_US": label}, code, jtype, c, True)
                self.journal[(c, jtype)] = jid

    def sales_and_invoices(self) -> None:
        r = self.rng
        so = self.table(
            "sale_order",
            "id, name, partner_id, partner_invoice_id, partner_shipping_id, company_id, user_id, "
            "team_id, date_order, state, amount_untaxed, amount_tax, amount_total, currency_id, "
            "invoice_status, locked, origin, client_order_ref, commitment_date, create_date",
        )
        sol = self.table(
            "sale_order_line",
            "id, order_id, sequence, product_id, name, display_type, product_uom_qty, "
            "qty_delivered, qty_invoiced, price_unit, discount, price_subtotal, price_tax, "
            "price_total, company_id, currency_id, salesman_id, order_partner_id, state, "
            "create_date",
        )
        self.am = self.table(
            "account_move",
            "id, name, ref, move_type, state, partner_id, commercial_partner_id, company_id, "
            "journal_id, currency_id, date, invoice_date, invoice_date_due, invoice_origin, "
            "invoice_user_id, team_id, amount_untaxed, amount_tax, amount_total, "
            "amount_residual, amount_untaxed_signed, amount_total_signed, "
            "amount_residual_signed, payment_state, reversed_entry_id, create_date",
        )
        self.aml = self.table(
            "account_move_line",
            "id, move_id, move_name, date, parent_state, journal_id, company_id, "
            "company_currency_id, currency_id, account_id, partner_id, product_id, name, "
            "display_type, quantity, price_unit, discount, price_subtotal, price_total, balance, "
            "amount_currency, debit, credit, amount_residual, date_maturity, create_date",
        )
        self.next_aml = 1
        self.inv_seq: dict[tuple[int, str, int], int] = {}
        self.product_inv_lines = 0
        self.inv_target = INVOICE_LINES_PER_SCALE * self.scale
        self.sale_lines: list[tuple[int, int, int, float, dt.datetime, int, int]] = []
        target = LINES_PER_SCALE * self.scale
        line_id = 0
        oid = 0
        self.invoiced: list[int] = []  # move ids of posted customer invoices (for refunds)
        states = ["draft", "sent", "sale", "cancel"]
        weights = [10, 8, 75, 7]
        while line_id < target:
            oid += 1
            company = self.companies[0] if r.random() < 0.5 else r.choice(self.companies[1:])
            partner = r.choice(self.customers_by_company[company])
            user = r.choice(self.salespeople[company])
            team = r.choice(self.teams[company])
            when = self.when()
            state = r.choices(states, weights)[0]
            currency = self.company_currency[company]
            fx = 0.92 if currency == 2 else 1.0
            n = min(r.randint(1, 9), target - line_id)
            lines = []
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
                pid, price, kind, pname = r.choice(self.saleable)
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
                    self.sale_lines.append((line_id, pid, company, qty, when, partner, oid))
            invoiced = False
            if (
                state == "sale"
                and lines
                and self.product_inv_lines < self.inv_target
                and r.random() < 0.285
            ):
                invoiced = True
                self._invoice(company, partner, user, team, when, lines, f"S{oid:06d}")
            so.add(oid, f"S{oid:06d}", partner, partner, partner, company, user, team, when,
                   state, round(untaxed, 2), round(tax, 2), round(untaxed + tax, 2), currency,
                   "invoiced" if invoiced else ("to invoice" if state == "sale" else "no"),
                   state == "sale" and r.random() < 0.3, None,
                   f"PO-{r.randrange(1000, 9999)}" if r.random() < 0.3 else None,
                   None, when)  # fmt: skip
        # top up invoice lines to the exact target with invoices that do not come from an order
        while self.product_inv_lines < self.inv_target:
            company = r.choice(self.companies)
            fx = 0.92 if self.company_currency[company] == 2 else 1.0
            k = min(r.randint(1, 5), self.inv_target - self.product_inv_lines)
            lines = []
            for _ in range(k):
                pid, price, _kind, pname = r.choice(self.saleable)
                unit = round(price * fx, 2)
                sub = round(unit, 2)
                lines.append((pid, 1, unit, 0, sub, round(sub * 0.15, 2), pname))
            self._invoice(company, r.choice(self.customers_by_company[company]),
                          r.choice(self.salespeople[company]), r.choice(self.teams[company]),
                          self.when(), lines, None)  # fmt: skip
        # vendor bills: a few per company and month, with no product lines counted
        for _ in range(30 * self.scale):
            company = r.choice(self.companies)
            vendor = r.choice(self.vendors) if self.vendors else self.customers[0]
            amount = round(r.uniform(200, 8000), 2)
            self._move("in_invoice", company, vendor, None, None, self.when(), amount, [], None)

    def _invoice(
        self,
        company: int,
        partner: int,
        user: int,
        team: int,
        when: dt.datetime,
        lines: list[tuple[int, int, float, int, float, float, str]],
        origin: str | None,
    ) -> None:
        r = self.rng
        lines = lines[: self.inv_target - self.product_inv_lines]
        self.product_inv_lines += len(lines)
        date = when + dt.timedelta(days=r.randrange(0, 10))
        untaxed = round(sum(line[4] for line in lines), 2)
        move_id = self._move("out_invoice", company, partner, user, team, date, untaxed, lines,
                             origin)  # fmt: skip
        if move_id and r.random() < 0.08:
            # a refund of part of it, which also counts as invoice lines
            part = lines[:1]
            if self.product_inv_lines < self.inv_target:
                self.product_inv_lines += 1
                refund_date = date + dt.timedelta(days=r.randrange(5, 40))
                self._move("out_refund", company, partner, user, team, refund_date, part[0][4],
                           part, origin, reversed_id=move_id)  # fmt: skip

    def _move(
        self,
        move_type: str,
        company: int,
        partner: int,
        user: int | None,
        team: int | None,
        when: dt.datetime,
        untaxed: float,
        lines: list[tuple[int, int, float, int, float, float, str]],
        origin: str | None,
        *,
        reversed_id: int | None = None,
    ) -> int | None:
        r = self.rng
        mid = self.am.count + 1
        currency = self.company_currency[company]
        tax = round(untaxed * 0.15, 2)
        total = round(untaxed + tax, 2)
        date = when.date()
        if date > self.end.date():
            date = self.end.date()
        state = r.choices(["posted", "draft", "cancel"], [93, 5, 2])[0]
        if move_type == "out_refund":
            state = "posted"
        age = (self.end.date() - date).days
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
        self.inv_seq[key] = self.inv_seq.get(key, 0) + 1
        name = f"{prefix}/{date.year}/{self.inv_seq[key]:05d}" if state == "posted" else "/"
        jtype = "purchase" if move_type.startswith("in_") else "sale"
        journal = self.journal[(company, jtype)]
        due = date + dt.timedelta(days=30)
        self.am.add(mid, name, None, move_type, state, partner, partner, company, journal,
                    currency, date, date, due, origin, user, team, untaxed, tax, total, residual,
                    sign * untaxed, sign * total, sign * residual, payment, reversed_id,
                    when)  # fmt: skip
        # journal items: product lines, one tax line, one payment-term line
        items: list[tuple[str, int, int | None, str, float, float, float, float, float]] = []
        income = self.account[(company, "income" if jtype == "sale" else "expense")]
        for pid, qty, unit, disc, sub, ptax, pname in lines:
            items.append(
                ("product", income, pid, pname, qty, unit, disc, sub, round(sub + ptax, 2))
            )
        if not lines:
            items.append(("product", income, None, "Services", 1, untaxed, 0, untaxed, total))
        items.append(("tax", self.account[(company, "liability_current")], None, "Tax 15%",
                      0, 0, 0, tax, tax))  # fmt: skip
        term_kind = "asset_receivable" if jtype == "sale" else "liability_payable"
        for display, account, item_pid, label, iqty, iunit, idisc, isub, itot in items:
            self._aml(mid, name, date, state, journal, company, currency, account, partner,
                      item_pid, label, display, iqty, iunit, idisc, isub, itot, -sign * isub,
                      0.0, None)  # fmt: skip
        self._aml(mid, name, date, state, journal, company, currency,
                  self.account[(company, term_kind)], partner, None, name, "payment_term", 0, 0,
                  0, 0, 0, sign * total, sign * residual, due)  # fmt: skip
        if move_type == "out_invoice" and state == "posted":
            self.invoiced.append(mid)
        return mid if state == "posted" else None

    def _aml(self, move: int, mname: str, date: dt.date, state: str, journal: int, company: int,
             currency: int, account: int, partner: int, product: int | None, label: str,
             display: str, qty: float, unit: float, disc: float, sub: float, tot: float,
             balance: float, residual: float, maturity: dt.date | None) -> None:  # fmt: skip
        balance = round(balance, 2)
        self.aml.add(self.next_aml, move, mname, date, state, journal, company, currency,
                     currency, account, partner, product, label, display, qty, unit, disc, sub,
                     tot, balance, balance, max(balance, 0), max(-balance, 0), round(residual, 2),
                     maturity, dt.datetime.combine(date, dt.time(9)))  # fmt: skip
        self.next_aml += 1

    def crm_leads(self) -> None:
        r = self.rng
        lead = self.table(
            "crm_lead",
            "id, name, partner_id, company_id, user_id, team_id, stage_id, type, active, "
            "probability, expected_revenue, prorated_revenue, date_deadline, date_open, "
            "date_closed, lost_reason_id, priority, email_from, phone, contact_name, "
            "partner_name, create_date",
        )
        topics = ["office refit", "laptop renewal", "new branch", "support contract",
                  "monitor upgrade", "chairs for HQ", "yearly supplies"]  # fmt: skip
        for lid in range(1, 300 * self.scale + 1):
            company = r.choice(self.companies)
            created = self.when()
            first, last = self.person()
            user = r.choice(self.salespeople[company])
            team = r.choice(self.teams[company])
            kind = "lead" if r.random() < 0.3 else "opportunity"
            roll = r.random()
            stage = r.choice((1, 2, 3))
            active, prob, closed, lost = True, float((10, 30, 60)[stage - 1]), None, None
            if kind == "opportunity" and roll < 0.25:
                stage, prob = 4, 100.0
                closed = created + dt.timedelta(days=r.randrange(3, 90))
            elif roll < 0.4:
                active, prob, lost = False, 0.0, r.randrange(1, len(_LOST_REASONS) + 1)
                closed = created + dt.timedelta(days=r.randrange(3, 60))
            if closed and closed > self.end:
                closed = self.end
            revenue = round(r.uniform(1_000, 60_000), 2)
            partner = r.choice(self.customers_by_company[company]) if r.random() < 0.6 else None
            lead.add(lid, f"{first} {last}: {r.choice(topics)}", partner, company, user, team,
                     stage, kind, active, prob, revenue, round(revenue * prob / 100, 2),
                     (created + dt.timedelta(days=r.randrange(10, 120))).date(), created, closed,
                     lost, r.choice("0123"), f"{first.lower()}.{last.lower()}{lid}@example.org",
                     self.phone("US"), f"{first} {last}", None, created)  # fmt: skip

    def stock(self) -> None:
        r = self.rng
        wh = self.table("stock_warehouse", "id, name, code, company_id")
        loc = self.table(
            "stock_location",
            "id, name, complete_name, usage, location_id, warehouse_id, company_id, active",
        )
        loc.add(1, "Partners", "Partners", "view", None, None, None, True)
        loc.add(2, "Customers", "Partners/Customers", "customer", 1, None, None, True)
        loc.add(3, "Vendors", "Partners/Vendors", "supplier", 1, None, None, True)
        loc.add(4, "Virtual Locations", "Virtual Locations", "view", None, None, None, True)
        self.stock_loc: dict[int, int] = {}
        self.adjust_loc: dict[int, int] = {}
        lid = 4
        for c in self.companies:
            code = f"WH{c}"
            wh.add(c, f"Warehouse {c}", code, c)
            lid += 1
            loc.add(lid, "Stock", f"{code}/Stock", "internal", None, c, c, True)
            self.stock_loc[c] = lid
            lid += 1
            loc.add(lid, "Inventory adjustment", "Virtual Locations/Inventory adjustment",
                    "inventory", 4, None, c, True)  # fmt: skip
            self.adjust_loc[c] = lid
        move = self.table(
            "stock_move",
            "id, name, reference, origin, product_id, product_uom_qty, quantity, location_id, "
            "location_dest_id, state, date, company_id, price_unit, partner_id, sale_line_id, "
            "create_date",
        )
        total = 4000 * self.scale
        out_n = min(len(self.sale_lines), 3000 * self.scale)
        mid = 0
        states = ["done", "assigned", "confirmed", "cancel"]
        weights = [85, 7, 5, 3]
        for line_id, pid, company, qty, when, partner, oid in self.sale_lines[:out_n]:
            mid += 1
            state = r.choices(states, weights)[0]
            date = min(when + dt.timedelta(days=r.randrange(0, 6)), self.end)
            move.add(mid, f"P{pid}", f"WH{company}/OUT/{mid:06d}", f"S{oid:06d}", pid, qty,
                     qty if state == "done" else 0, self.stock_loc[company], 2, state, date,
                     company, self.cost[(pid, company)], partner, line_id, when)  # fmt: skip
        storable = self.storable
        while mid < total:
            mid += 1
            pid, _price, _kind, _name = r.choice(storable)
            company = r.choice(self.companies)
            when = self.when()
            if r.random() < 0.9:
                src, dst, ref, qty = 3, self.stock_loc[company], "IN", r.choice((5, 10, 20, 50))
            else:
                qty = r.choice((1, 2, 3))
                if r.random() < 0.5:
                    src, dst = self.adjust_loc[company], self.stock_loc[company]
                else:
                    src, dst = self.stock_loc[company], self.adjust_loc[company]
                ref = "INV"
            state = r.choices(states, weights)[0]
            move.add(mid, f"P{pid}", f"WH{company}/{ref}/{mid:06d}", None, pid, qty,
                     qty if state == "done" else 0, src, dst, state, when, company,
                     self.cost[(pid, company)], None, None, when)  # fmt: skip

    def hr(self) -> None:
        r = self.rng
        dep = self.table("hr_department", "id, name, complete_name, company_id, parent_id, active")
        emp = self.table(
            "hr_employee",
            "id, name, company_id, department_id, job_title, work_email, work_phone, "
            "mobile_phone, private_email, private_phone, private_street, birthday, "
            "identification_id, ssnid, gender, marital, user_id, parent_id, active, create_date",
        )
        did = eid = 0
        created = self.start - dt.timedelta(days=300)
        for c in self.companies:
            deps: dict[str, int] = {}
            for name in _DEPARTMENTS:
                did += 1
                dep.add(did, {"en_US": name}, name, c, None, True)
                deps[name] = did
            head = None
            users = list(self.salespeople[c])
            for i in range(12 + min(self.scale, 40)):
                eid += 1
                dname = (
                    _DEPARTMENTS[0]
                    if i == 0
                    else ("Sales" if users else r.choice(_DEPARTMENTS[1:]))
                )
                user = users.pop(0) if users and dname == "Sales" else None
                if user is not None:
                    first, last = self.user_names[user].split(" ", 1)
                else:
                    first, last = self.person()
                slug = f"{first.lower()}.{last.lower()}"
                cc = "DE" if c == 2 else "US"
                emp.add(eid, f"{first} {last}", c, deps[dname], _JOBS[dname],
                        f"{slug}@example.com", self.phone(cc), self.phone(cc),
                        f"{slug}.home{eid}@example.net", self.phone(cc),
                        f"{r.randrange(1, 99)} {r.choice(_ORG_B)} Lane",
                        dt.date(r.randrange(1965, 2002), r.randrange(1, 13), r.randrange(1, 29)),
                        f"ID{r.randrange(10**7, 10**8)}",
                        f"{r.randrange(100, 999)}-55-{r.randrange(1000, 9999)}",
                        r.choice(("male", "female", "other")), r.choice(("single", "married")),
                        user, head, True, created)  # fmt: skip
                if head is None:
                    head = eid


# ------------------------------------------------------------------------ loading


def _chunks(lines: list[str], size: int = 1 << 20) -> Iterator[str]:
    buf: list[str] = []
    n = 0
    for line in lines:
        buf.append(line)
        n += len(line)
        if n >= size:
            yield "".join(buf)
            buf, n = [], 0
    if buf:
        yield "".join(buf)


def _existing_marker(conn: psycopg.Connection[Any]) -> str | None:
    row = conn.execute(
        "SELECT obj_description(c.oid, 'pg_class') FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relname = 'res_company' AND c.relkind = 'r'"
    ).fetchone()
    if row is None:
        return None
    return str(row[0] or "")


def seeded_end_date(conninfo: str) -> dt.date | None:
    """The ``end_date`` of the seed data already in the database, or None when there is none."""
    try:
        with psycopg.connect(conninfo) as conn:
            marker = _existing_marker(conn) or ""
    except psycopg.Error as exc:
        raise DatabaseError(f"could not read the seed marker: {exc}") from exc
    found = (
        re.search(r"end_date=(\d{4}-\d{2}-\d{2})", marker) if marker.startswith(MARKER) else None
    )
    return dt.date.fromisoformat(found.group(1)) if found else None


def _drop(conn: psycopg.Connection[Any], names: Iterable[str]) -> None:
    for name in names:
        conn.execute(sql.SQL("DROP TABLE IF EXISTS public.{} CASCADE").format(sql.Identifier(name)))


def seed_database(
    conninfo: str,
    *,
    odoo_version: int = 17,
    scale: int = 1,
    seed: int = 42,
    end_date: dt.date = DEFAULT_END_DATE,
    replace: bool = False,
) -> SeedSummary:
    """Create the Odoo-shaped tables in ``public`` and fill them, in one transaction.

    Idempotent: when the database already holds seed data made with the same parameters, it
    returns at once with ``created=False``. Different parameters, or Odoo tables that were not
    made by this function, raise :class:`DatabaseError` unless ``replace=True`` (which drops
    the seed's tables first; never use it on a real Odoo database).
    """
    if odoo_version not in SUPPORTED_VERSIONS:
        raise DatabaseError(
            f"unsupported Odoo version {odoo_version}",
            hint=f"use one of {', '.join(map(str, SUPPORTED_VERSIONS))}",
        )
    if not 1 <= scale <= 1000:
        raise DatabaseError(f"scale {scale} is out of range", hint="use 1 to 1000")
    wanted = marker_text(odoo_version, scale, seed, end_date)
    started = time.monotonic()
    try:
        with psycopg.connect(conninfo) as conn:
            existing = _existing_marker(conn)
            if existing is not None and not replace:
                if existing == wanted:
                    counts = _counts(conn, tables(odoo_version))
                    return SeedSummary(odoo_version, scale, seed, end_date, False, counts,
                                       time.monotonic() - started)  # fmt: skip
                what = existing if existing.startswith(MARKER) else "tables not made by the seed"
                raise DatabaseError(
                    f"the database already holds Odoo tables ({what})",
                    hint="use another database, or replace=True / --replace for seed data",
                )
            if existing is not None:
                _drop(conn, sorted(set(tables(17)) | set(tables(18))))
            gen = _Gen(odoo_version, scale, seed, end_date)
            gen.run()
            log.info("generated %d rows in %.1fs", sum(t.count for t in gen.t.values()),
                     time.monotonic() - started)  # fmt: skip
            for stmt in create_statements(odoo_version):
                conn.execute(stmt)
            with conn.cursor() as cur:
                for name in tables(odoo_version):
                    tab = gen.t.get(name)
                    if tab is None:
                        continue
                    cols = sql.SQL(", ").join(sql.Identifier(c) for c in tab.columns)
                    copy_sql = sql.SQL("COPY public.{} ({}) FROM STDIN").format(
                        sql.Identifier(name), cols
                    )
                    with cur.copy(copy_sql) as copy:
                        for chunk in _chunks(tab.chunks):
                            copy.write(chunk)
                    tab.chunks = []
                    if "id" in tab.columns:
                        conn.execute(
                            sql.SQL(
                                "SELECT setval(pg_get_serial_sequence({}, 'id'), "
                                "(SELECT coalesce(max(id), 0) + 1 FROM public.{}), false)"
                            ).format(sql.Literal(f"public.{name}"), sql.Identifier(name))
                        )
            for stmt in index_statements(odoo_version):
                conn.execute(stmt)
            conn.execute(
                sql.SQL("COMMENT ON TABLE public.res_company IS {}").format(sql.Literal(wanted))
            )
            counts = {name: tab.count for name, tab in gen.t.items()}
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute("ANALYZE")
    except psycopg.Error as exc:
        raise DatabaseError(f"seeding failed: {exc}") from exc
    seconds = time.monotonic() - started
    log.info("seeded Odoo %d scale %d in %.1fs", odoo_version, scale, seconds)
    return SeedSummary(odoo_version, scale, seed, end_date, True, counts, seconds)


def _counts(conn: psycopg.Connection[Any], names: Iterable[str]) -> dict[str, int]:
    out = {}
    for name in names:
        row = conn.execute(
            sql.SQL("SELECT count(*) FROM public.{}").format(sql.Identifier(name))
        ).fetchone()
        out[name] = int(row[0]) if row else 0
    return out


__all__ = ["DEFAULT_END_DATE", "SeedSummary", "seed_database"]
