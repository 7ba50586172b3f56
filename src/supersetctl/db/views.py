"""The analytics views: SQL templates in ``infra/superset/analytics/views/`` rendered per database.

Each template is one ``SELECT`` with a header::

    -- view: sale_order_lines            the stable name
    -- kind: materialized                optional; default view
    -- scope: company_id [shared]        how rows are scoped to companies (or: none)
    -- unique: col, col                  materialized only: the key for a concurrent refresh
    -- index: col, col                   materialized only: more indexes (repeatable)
    -- description: ...

and one output column per line, each with a ``-- description`` comment (the README's column
tables are generated from these and the live types).

Macros in ``{{ }}`` are decided per column from ``information_schema`` (a :class:`Catalog`), so
one template serves Odoo 17 and 18:

- ``{{tr TABLE.COLUMN | ALIAS}}``: a translated name: ``jsonb`` (16+) resolved in the configured
  language with an ``en_US`` fallback, or the plain column.
- ``{{mask EXPR | ID | LABEL [| CONDITION]}}``: personal data; where masking is on, a
  deterministic pseudonym ``LABEL 1A2B3C4D`` derived from ``ID``, so joins and counts still work.
- ``{{masking}}``: ``true`` where masking is on, else ``false``.
- ``{{product_type ALIAS}}``: storable / consumable / service / combo (17 ``detailed_type``,
  18 ``type`` + ``is_storable``).
- ``{{account_code ALIAS | COMPANY}}``: 17 ``code``, 18 ``code_store`` jsonb by company id.
- ``{{stock_qty ALIAS}}``: 17+ ``quantity``, 16 ``quantity_done``.
- ``{{product_costs}}``: the whole body of ``product_costs`` (17 ``ir_property``, 18 jsonb).
- ``{{internal}}``: the private schema holding the unscoped base views.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from supersetctl.errors import ConfigError

_HEADER = re.compile(r"^--\s*(view|kind|scope|unique|index|description):\s*(.*?)\s*$")
_COLUMN = re.compile(r"^\s*(?:.*\bAS\s+)?([a-z_][a-z0-9_]*)\s*,?\s*--\s*(.+?)\s*$", re.I)
_MACRO = re.compile(r"\{\{\s*([a-z_]+)\s*(.*?)\s*\}\}")
_TABLE_REF = re.compile(r"\bpublic\.([a-z_][a-z0-9_]*)")
_INTERNAL_REF = re.compile(r"\{\{\s*internal\s*\}\}\.([a-z_][a-z0-9_]*)")
PSEUDONYM_SALT = "supersetctl-pseudonym"


@dataclass(frozen=True)
class ColumnDoc:
    name: str
    description: str


@dataclass(frozen=True)
class ViewTemplate:
    """One template file, parsed."""

    name: str
    kind: str  # "view" or "materialized"
    scope: str  # "company_id", "company_id shared" or "none"
    description: str
    body: str
    columns: tuple[ColumnDoc, ...]
    unique: tuple[str, ...] = ()
    indexes: tuple[tuple[str, ...], ...] = ()
    path: str = ""

    @property
    def scope_column(self) -> str | None:
        return None if self.scope == "none" else self.scope.split()[0]

    @property
    def shared(self) -> bool:
        return self.scope.endswith(" shared")

    @property
    def depends(self) -> tuple[str, ...]:
        """The other templates this one reads (``{{internal}}.name``)."""
        return tuple(sorted(set(_INTERNAL_REF.findall(self.body))))


def parse_template(text: str, path: str = "") -> ViewTemplate:
    meta: dict[str, str] = {}
    indexes: list[tuple[str, ...]] = []
    body: list[str] = []
    columns: list[ColumnDoc] = []
    in_header = True
    for line in text.splitlines():
        m = _HEADER.match(line) if in_header else None
        if m:
            key, value = m.group(1), m.group(2)
            if key == "index":
                indexes.append(tuple(c.strip() for c in value.split(",") if c.strip()))
            else:
                meta[key] = value
            continue
        in_header = False
        body.append(line)
        c = _COLUMN.match(line)
        if c and not line.lstrip().startswith("--"):
            columns.append(ColumnDoc(c.group(1), c.group(2)))
    for key in ("view", "scope", "description"):
        if key not in meta:
            raise ConfigError(f"view template lacks '-- {key}:'", path=path)
    kind = meta.get("kind", "view")
    if kind not in ("view", "materialized"):
        raise ConfigError(f"unknown kind '{kind}'", path=path)
    scope = meta["scope"]
    if scope != "none" and not re.fullmatch(r"[a-z_]+( shared)?", scope):
        raise ConfigError(f"bad scope '{scope}'", path=path, hint="company_id [shared] | none")
    unique = tuple(c.strip() for c in meta.get("unique", "").split(",") if c.strip())
    if kind == "materialized" and not unique:
        raise ConfigError("a materialized view needs '-- unique:'", path=path)
    return ViewTemplate(
        name=meta["view"],
        kind=kind,
        scope=scope,
        description=meta["description"],
        body="\n".join(body).strip() + "\n",
        columns=tuple(columns),
        unique=unique,
        indexes=tuple(indexes),
        path=path,
    )


def views_dir(analytics_dir: Path) -> Path:
    return analytics_dir / "views"


def load_templates(analytics_dir: Path) -> list[ViewTemplate]:
    """Every template under ``analytics_dir/views``, in file-name order."""
    folder = views_dir(analytics_dir)
    files = sorted(folder.glob("*.sql"))
    if not files:
        raise ConfigError(f"no view templates in {folder}")
    out = [parse_template(f.read_text(encoding="utf-8"), str(f)) for f in files]
    names = [t.name for t in out]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError(f"view defined twice: {', '.join(dupes)}", path=str(folder))
    seen: set[str] = set()
    for t in out:
        missing = [d for d in t.depends if d not in seen]
        if missing:
            raise ConfigError(
                f"view {t.name} reads {', '.join(missing)} which is not defined before it",
                path=t.path,
            )
        seen.add(t.name)
    return out


# ------------------------------------------------------------------------ the catalog


@dataclass(frozen=True)
class Catalog:
    """Columns of the Odoo schema: ``{table: {column: data_type}}`` from information_schema."""

    columns: Mapping[str, Mapping[str, str]]

    def has_table(self, table: str) -> bool:
        return table in self.columns

    def has(self, table: str, column: str) -> bool:
        return column in self.columns.get(table, {})

    def type_of(self, table: str, column: str) -> str | None:
        return self.columns.get(table, {}).get(column)


def read_catalog(conn: psycopg.Connection[Any], schema: str = "public") -> Catalog:
    rows = conn.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = %s ORDER BY table_name, ordinal_position",
        (schema,),
    ).fetchall()
    cols: dict[str, dict[str, str]] = {}
    for table, column, dtype in rows:
        cols.setdefault(str(table), {})[str(column)] = str(dtype)
    return Catalog(cols)


# ------------------------------------------------------------------------ rendering


@dataclass(frozen=True)
class RenderOptions:
    internal_schema: str
    language: str = "en_US"
    masking: bool = False


@dataclass(frozen=True)
class RenderedView:
    template: ViewTemplate
    sql: str  # the SELECT, macros resolved
    tables: tuple[str, ...]  # Odoo tables it reads
    missing: tuple[str, ...] = ()  # Odoo tables it needs that this database lacks
    notes: tuple[str, ...] = field(default_factory=tuple)
    columns: Mapping[str, frozenset[str]] = field(default_factory=dict)  # table -> columns read

    @property
    def name(self) -> str:
        return self.template.name

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()[:16]


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _args(raw: str) -> list[str]:
    return [a.strip() for a in raw.split("|")] if raw else []


class _Renderer:
    def __init__(self, catalog: Catalog, opts: RenderOptions) -> None:
        self.cat = catalog
        self.opts = opts
        self.notes: list[str] = []
        self.extra_tables: set[str] = set()
        self.macros: dict[str, Callable[[list[str]], str]] = {
            "tr": self.tr,
            "mask": self.mask,
            "masking": lambda _a: "true" if self.opts.masking else "false",
            "product_type": self.product_type,
            "account_code": self.account_code,
            "stock_qty": self.stock_qty,
            "product_costs": self.product_costs,
            "internal": lambda _a: self.opts.internal_schema,
        }

    def expand(self, text: str) -> str:
        def sub(m: re.Match[str]) -> str:
            name = m.group(1)
            fn = self.macros.get(name)
            if fn is None:
                raise ConfigError(f"unknown macro '{{{{{name}}}}}'")
            return fn(_args(m.group(2)))

        return _MACRO.sub(sub, text)

    def tr(self, args: list[str]) -> str:
        ref, alias = args
        table, column = ref.split(".")
        col = f"{alias}.{column}"
        if self.cat.type_of(table, column) == "jsonb":
            lang = self.opts.language
            if lang == "en_US":
                return f"({col} ->> 'en_US')"
            return f"coalesce({col} ->> {_lit(lang)}, {col} ->> 'en_US')"
        return col

    def mask(self, args: list[str]) -> str:
        expr, ident, label = args[0], args[1], args[2]
        if not self.opts.masking:
            return expr
        pseudo = (
            f"({_lit(label + ' ')} || upper(substr(md5({_lit(PSEUDONYM_SALT + ':' + label + ':')}"
            f" || ({ident})::text), 1, 8)))"
        )
        if len(args) > 3:
            return f"(CASE WHEN {args[3]} THEN {pseudo} ELSE {expr} END)"
        return f"(CASE WHEN {ident} IS NULL THEN NULL ELSE {pseudo} END)"

    def product_type(self, args: list[str]) -> str:
        (a,) = args
        if self.cat.has("product_template", "is_storable"):  # Odoo 18
            return (
                f"(CASE WHEN {a}.is_storable THEN 'storable' WHEN {a}.type = 'consu' "
                f"THEN 'consumable' ELSE {a}.type END)"
            )
        if self.cat.has("product_template", "detailed_type"):  # Odoo 15-17
            return (
                f"(CASE {a}.detailed_type WHEN 'product' THEN 'storable' WHEN 'consu' "
                f"THEN 'consumable' ELSE {a}.detailed_type END)"
            )
        return (
            f"(CASE {a}.type WHEN 'product' THEN 'storable' WHEN 'consu' THEN 'consumable' "
            f"ELSE {a}.type END)"
        )

    def account_code(self, args: list[str]) -> str:
        a, company = args
        kind = self.cat.type_of("account_account", "code_store")
        if kind == "jsonb":  # Odoo 18: code per company
            return f"({a}.code_store ->> ({company})::text)"
        if self.cat.has("account_account", "code"):
            return f"{a}.code"
        self.notes.append("account_account has neither code nor code_store: account_code NULL")
        return "NULL"

    def stock_qty(self, args: list[str]) -> str:
        (a,) = args
        if self.cat.has("stock_move", "quantity"):
            return f"{a}.quantity"
        if self.cat.has("stock_move", "quantity_done"):
            return f"{a}.quantity_done"
        return "NULL::numeric"

    def product_costs(self, _args: list[str]) -> str:
        cols = (
            "    {pid}::integer AS product_id,  -- product variant id\n"
            "    {cid}::integer AS company_id,  -- company the cost applies to\n"
            "    {val}::numeric AS standard_price  -- cost per unit, company currency\n"
        )
        if self.cat.type_of("product_product", "standard_price") == "jsonb":  # Odoo 18
            return (
                "SELECT\n"
                + cols.format(pid="pp.id", cid="c.key", val="c.value")
                + "FROM public.product_product pp\n"
                "CROSS JOIN LATERAL jsonb_each_text(pp.standard_price) c\n"
                "JOIN public.res_company rc ON rc.id::text = c.key"
            )
        if self.cat.has("product_product", "standard_price"):  # not company dependent
            return (
                "SELECT\n"
                + cols.format(pid="pp.id", cid="rc.id", val="pp.standard_price")
                + "FROM public.product_product pp\nCROSS JOIN public.res_company rc"
            )
        self.extra_tables.add("ir_property")
        return (
            "SELECT\n"
            + cols.format(pid="substr(ip.res_id, 17)", cid="ip.company_id", val="ip.value_float")
            + "FROM public.ir_property ip\n"
            "WHERE ip.name = 'standard_price' AND ip.res_id LIKE 'product.product,%'\n"
            "  AND ip.company_id IS NOT NULL"
        )


def render(template: ViewTemplate, catalog: Catalog, opts: RenderOptions) -> RenderedView:
    """Resolve the macros of ``template`` for the database described by ``catalog``."""
    r = _Renderer(catalog, opts)
    sql = r.expand(template.body).strip()
    tables = tuple(sorted(set(_TABLE_REF.findall(sql)) | r.extra_tables))
    missing = tuple(t for t in tables if not catalog.has_table(t))
    return RenderedView(template, sql + "\n", tables, missing, tuple(r.notes), columns_read(sql))


_FROM_ALIAS = re.compile(
    r"\b(?:FROM|JOIN)\s+public\.([a-z_][a-z0-9_]*)(?:\s+(?:AS\s+)?([a-z_][a-z0-9_]*))?", re.I
)
_QUALIFIED = re.compile(r"\b([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)\b", re.I)
_STRING = re.compile(r"'(?:[^']|'')*'")
_NOT_ALIAS = {"where", "on", "join", "left", "right", "inner", "cross", "full", "group",
              "order", "limit", "union", "lateral"}  # fmt: skip


def columns_read(sql: str) -> dict[str, frozenset[str]]:
    """Which columns of which Odoo tables ``sql`` reads, from its ``alias.column`` references.

    Every column must be qualified by its table's alias (the templates are written so); the
    owner role gets SELECT on exactly these columns.
    """
    text = _STRING.sub("''", re.sub(r"--[^\n]*", "", sql))
    aliases: dict[str, str] = {}
    for table, alias in _FROM_ALIAS.findall(text):
        aliases[table] = table
        if alias and alias.lower() not in _NOT_ALIAS:
            aliases[alias] = table
    out: dict[str, set[str]] = {}
    for alias, column in _QUALIFIED.findall(text):
        table = aliases.get(alias)
        if table is not None and alias != "public":
            out.setdefault(table, set()).add(column)
    return {t: frozenset(c) for t, c in sorted(out.items())}


def render_all(
    templates: Sequence[ViewTemplate], catalog: Catalog, opts: RenderOptions
) -> tuple[list[RenderedView], list[str]]:
    """Render every template; skip (with a note) those whose tables or inputs are missing."""
    out: list[RenderedView] = []
    skipped: list[str] = []
    have: set[str] = set()
    for t in templates:
        rv = render(t, catalog, opts)
        lacking = [d for d in t.depends if d not in have]
        if rv.missing or lacking:
            why = ", ".join([*(f"table {m}" for m in rv.missing), *(f"view {d}" for d in lacking)])
            skipped.append(f"{t.name}: skipped, the database lacks {why}")
            continue
        out.append(rv)
        have.add(t.name)
    return out, skipped


def column_docs(templates: Sequence[ViewTemplate]) -> dict[str, tuple[ColumnDoc, ...]]:
    """The documented output columns of every view (including ``{{product_costs}}``)."""
    out = {}
    for t in templates:
        cols = t.columns
        if not cols and "{{product_costs}}" in t.body:
            body = _Renderer(Catalog({}), RenderOptions("x")).product_costs([])
            cols = parse_template(f"-- view: x\n-- scope: none\n-- description: x\n{body}").columns
        out[t.name] = cols
    return out
