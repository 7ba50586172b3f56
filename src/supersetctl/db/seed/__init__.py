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

Entry points: :func:`seed_database` (into a connection string), :func:`seed_target` (the
admin URL of an environment that allows seed data), :func:`seeded_end_date`; :func:`generate`
makes the rows without a database.

The modules: ``vocabulary`` (the made-up words), ``rows`` (COPY text), ``generator`` (the state
every step shares), one module per group of Odoo models (``company``, ``partners``,
``products``, ``crm``, ``accounting``, ``sales``, ``stock``, ``hr``), ``dataset`` (the steps in
order) and ``writer`` (the tables created and filled in one transaction).
"""

from __future__ import annotations

from .dataset import generate
from .generator import INVOICE_LINES_PER_SCALE, LINES_PER_SCALE, Generator
from .writer import (
    DEFAULT_END_DATE,
    MARKER,
    SeedSummary,
    marker_text,
    seed_database,
    seed_target,
    seeded_end_date,
)

__all__ = [
    "DEFAULT_END_DATE",
    "INVOICE_LINES_PER_SCALE",
    "LINES_PER_SCALE",
    "MARKER",
    "Generator",
    "SeedSummary",
    "generate",
    "marker_text",
    "seed_database",
    "seed_target",
    "seeded_end_date",
]
