"""The Odoo 17 / 18 table shapes the seed data fills: the subset of Odoo's schema BI reads.

Column names and types follow Odoo's own tables. The differences between the two versions
that the analytics views must handle are real ones:

========================  ==============================  ===================================
what                      Odoo 17                         Odoo 18
========================  ==============================  ===================================
product type              ``detailed_type`` (product,     ``type`` (consu, service, combo)
                          consu, service) + ``type``      + ``is_storable`` boolean
product cost              ``ir_property`` rows            ``product_product.standard_price``
                          (company-dependent field)       jsonb keyed by company id
account code              ``account_account.code`` +      ``account_account.code_store`` jsonb
                          ``company_id``                  keyed by company id + m2m
                                                          ``account_account_res_company_rel``
========================  ==============================  ===================================

Both versions store translated names as jsonb (``{"en_US": ...}``) and the done quantity of a
stock move in ``stock_move.quantity`` (Odoo 16 called it ``quantity_done``).

The sensitive tables a BI role must never read (``res_users``, ``ir_config_parameter``,
``ir_mail_server``) are here too, so tests can prove they stay closed.
"""

from __future__ import annotations

SUPPORTED_VERSIONS = (17, 18)

# (table, columns DDL) in creation order; "{v17}" / "{v18}" lines are kept for that version only.
_TABLES: list[tuple[str, str]] = [
    (
        "res_currency",
        """id serial PRIMARY KEY, name varchar NOT NULL, symbol varchar NOT NULL,
        decimal_places integer, active boolean""",
    ),
    ("res_country", "id serial PRIMARY KEY, code varchar(2), name jsonb NOT NULL"),
    (
        "res_partner",
        """id serial PRIMARY KEY, name varchar, complete_name varchar, company_id integer,
        type varchar, parent_id integer, commercial_partner_id integer, is_company boolean,
        email varchar, phone varchar, mobile varchar, street varchar, street2 varchar,
        city varchar, zip varchar, country_id integer, vat varchar, customer_rank integer,
        supplier_rank integer, active boolean, create_date timestamp, write_date timestamp""",
    ),
    (
        "res_company",
        """id serial PRIMARY KEY, name varchar NOT NULL, partner_id integer NOT NULL,
        currency_id integer NOT NULL, sequence integer, active boolean,
        create_date timestamp""",
    ),
    (
        "res_users",
        """id serial PRIMARY KEY, login varchar NOT NULL, password varchar,
        partner_id integer NOT NULL, company_id integer NOT NULL, active boolean,
        share boolean, create_date timestamp""",
    ),
    ("res_company_users_rel", "cid integer NOT NULL, user_id integer NOT NULL"),
    ("ir_config_parameter", "id serial PRIMARY KEY, key varchar NOT NULL, value text NOT NULL"),
    (
        "ir_mail_server",
        """id serial PRIMARY KEY, name varchar, smtp_host varchar, smtp_port integer,
        smtp_user varchar, smtp_pass varchar, active boolean""",
    ),
    (
        "ir_property",
        """{v17}id serial PRIMARY KEY, name varchar, res_id varchar, company_id integer,
        fields_id integer, value_float double precision, type varchar""",
    ),
    (
        "product_category",
        """id serial PRIMARY KEY, name varchar NOT NULL, complete_name varchar,
        parent_id integer, parent_path varchar""",
    ),
    (
        "product_template",
        """id serial PRIMARY KEY, name jsonb NOT NULL, default_code varchar,
        categ_id integer NOT NULL, list_price numeric, company_id integer, active boolean,
        sale_ok boolean, purchase_ok boolean, type varchar,
        {v17}detailed_type varchar,
        {v18}is_storable boolean,
        create_date timestamp""",
    ),
    (
        "product_product",
        """id serial PRIMARY KEY, product_tmpl_id integer NOT NULL, default_code varchar,
        barcode varchar, active boolean,
        {v18}standard_price jsonb,
        create_date timestamp""",
    ),
    (
        "crm_team",
        """id serial PRIMARY KEY, name jsonb NOT NULL, company_id integer, user_id integer,
        active boolean""",
    ),
    (
        "crm_stage",
        """id serial PRIMARY KEY, name jsonb NOT NULL, sequence integer, is_won boolean,
        fold boolean, team_id integer""",
    ),
    ("crm_lost_reason", "id serial PRIMARY KEY, name jsonb NOT NULL, active boolean"),
    (
        "sale_order",
        """id serial PRIMARY KEY, name varchar NOT NULL, partner_id integer NOT NULL,
        partner_invoice_id integer, partner_shipping_id integer, company_id integer NOT NULL,
        user_id integer, team_id integer, date_order timestamp NOT NULL, state varchar,
        amount_untaxed numeric, amount_tax numeric, amount_total numeric,
        currency_id integer, invoice_status varchar, locked boolean, origin varchar,
        client_order_ref varchar, commitment_date timestamp, create_date timestamp""",
    ),
    (
        "sale_order_line",
        """id serial PRIMARY KEY, order_id integer NOT NULL, sequence integer,
        product_id integer, name text NOT NULL, display_type varchar,
        product_uom_qty numeric, qty_delivered numeric, qty_invoiced numeric,
        price_unit numeric, discount numeric, price_subtotal numeric, price_tax double precision,
        price_total numeric, company_id integer, currency_id integer, salesman_id integer,
        order_partner_id integer, state varchar, create_date timestamp""",
    ),
    (
        "account_account",
        """id serial PRIMARY KEY, name jsonb NOT NULL, account_type varchar NOT NULL,
        reconcile boolean, active boolean,
        {v17}code varchar(64), company_id integer,
        {v18}code_store jsonb,
        create_date timestamp""",
    ),
    (
        "account_account_res_company_rel",
        "{v18}account_account_id integer NOT NULL, res_company_id integer NOT NULL",
    ),
    (
        "account_journal",
        """id serial PRIMARY KEY, name jsonb NOT NULL, code varchar, type varchar,
        company_id integer NOT NULL, active boolean""",
    ),
    (
        "account_move",
        """id serial PRIMARY KEY, name varchar, ref varchar, move_type varchar NOT NULL,
        state varchar NOT NULL, partner_id integer, commercial_partner_id integer,
        company_id integer, journal_id integer NOT NULL, currency_id integer NOT NULL,
        date date NOT NULL, invoice_date date, invoice_date_due date,
        invoice_origin varchar, invoice_user_id integer, team_id integer,
        amount_untaxed numeric, amount_tax numeric, amount_total numeric,
        amount_residual numeric, amount_untaxed_signed numeric, amount_total_signed numeric,
        amount_residual_signed numeric, payment_state varchar, reversed_entry_id integer,
        create_date timestamp""",
    ),
    (
        "account_move_line",
        """id serial PRIMARY KEY, move_id integer NOT NULL, move_name varchar, date date,
        parent_state varchar, journal_id integer, company_id integer,
        company_currency_id integer, currency_id integer NOT NULL, account_id integer,
        partner_id integer, product_id integer, name varchar, display_type varchar NOT NULL,
        quantity numeric, price_unit numeric, discount numeric, price_subtotal numeric,
        price_total numeric, balance numeric, amount_currency numeric, debit numeric,
        credit numeric, amount_residual numeric, date_maturity date, create_date timestamp""",
    ),
    (
        "crm_lead",
        """id serial PRIMARY KEY, name varchar NOT NULL, partner_id integer,
        company_id integer, user_id integer, team_id integer, stage_id integer,
        type varchar NOT NULL, active boolean, probability double precision,
        expected_revenue numeric, prorated_revenue numeric, date_deadline date,
        date_open timestamp, date_closed timestamp, lost_reason_id integer,
        priority varchar, email_from varchar, phone varchar, contact_name varchar,
        partner_name varchar, create_date timestamp""",
    ),
    (
        "stock_warehouse",
        "id serial PRIMARY KEY, name varchar NOT NULL, code varchar, company_id integer",
    ),
    (
        "stock_location",
        """id serial PRIMARY KEY, name varchar NOT NULL, complete_name varchar,
        usage varchar NOT NULL, location_id integer, warehouse_id integer,
        company_id integer, active boolean""",
    ),
    (
        "stock_move",
        """id serial PRIMARY KEY, name varchar NOT NULL, reference varchar, origin varchar,
        product_id integer NOT NULL, product_uom_qty numeric, quantity numeric,
        location_id integer NOT NULL, location_dest_id integer NOT NULL,
        state varchar, date timestamp NOT NULL, company_id integer NOT NULL,
        price_unit double precision, partner_id integer, sale_line_id integer,
        create_date timestamp""",
    ),
    (
        "hr_department",
        """id serial PRIMARY KEY, name jsonb NOT NULL, complete_name varchar,
        company_id integer, parent_id integer, active boolean""",
    ),
    (
        "hr_employee",
        """id serial PRIMARY KEY, name varchar, company_id integer NOT NULL,
        department_id integer, job_title varchar, work_email varchar, work_phone varchar,
        mobile_phone varchar, private_email varchar, private_phone varchar,
        private_street varchar, birthday date, identification_id varchar, ssnid varchar,
        gender varchar, marital varchar, user_id integer, parent_id integer,
        active boolean, create_date timestamp""",
    ),
]

# Indexes like Odoo's own (index=True fields), created after the bulk load.
_INDEXES: list[tuple[str, str]] = [
    ("res_partner", "company_id"),
    ("res_partner", "parent_id"),
    ("product_product", "product_tmpl_id"),
    ("product_template", "categ_id"),
    ("sale_order", "date_order"),
    ("sale_order", "partner_id"),
    ("sale_order", "user_id"),
    ("sale_order", "company_id"),
    ("sale_order", "state"),
    ("sale_order_line", "order_id"),
    ("sale_order_line", "product_id"),
    ("sale_order_line", "company_id"),
    ("account_move", "date"),
    ("account_move", "invoice_date"),
    ("account_move", "partner_id"),
    ("account_move", "company_id"),
    ("account_move", "state"),
    ("account_move", "move_type"),
    ("account_move", "payment_state"),
    ("account_move_line", "move_id"),
    ("account_move_line", "account_id"),
    ("account_move_line", "product_id"),
    ("account_move_line", "date"),
    ("crm_lead", "stage_id"),
    ("crm_lead", "user_id"),
    ("crm_lead", "company_id"),
    ("stock_move", "product_id"),
    ("stock_move", "date"),
    ("stock_move", "company_id"),
    ("stock_move", "state"),
    ("stock_move", "sale_line_id"),
    ("hr_employee", "company_id"),
    ("ir_property", "res_id"),
]


def _columns(body: str, version: int) -> str | None:
    """The column list of one table for ``version``; None when the table does not exist."""
    keep: list[str] = []
    present = True
    marker = f"{{v{version}}}"
    for raw in body.splitlines():
        line = raw.strip()
        if line.startswith("{v"):
            tag = line[: line.index("}") + 1]
            if tag != marker:
                # a version-specific line of another version: a whole table when it is first
                if not keep:
                    present = False
                continue
            line = line[len(tag) :]
        keep.append(line)
    if not present:
        return None
    return " ".join(keep).strip().rstrip(",")


def tables(version: int) -> list[str]:
    """The table names of ``version``, in creation order."""
    return [name for name, body in _TABLES if _columns(body, version) is not None]


def create_statements(version: int) -> list[str]:
    """``CREATE TABLE`` statements for the Odoo ``version`` shape (public schema)."""
    if version not in SUPPORTED_VERSIONS:
        raise ValueError(f"unsupported Odoo version {version}")
    out = []
    for name, body in _TABLES:
        cols = _columns(body, version)
        if cols is not None:
            out.append(f"CREATE TABLE public.{name} ({cols})")
    return out


def index_statements(version: int) -> list[str]:
    present = set(tables(version))
    return [
        f"CREATE INDEX {table}_{column}_index ON public.{table} ({column})"
        for table, column in _INDEXES
        if table in present
    ]
