"""``infra/superset/analytics/README.md``, generated from the view templates and the live types.

The README is the reference dashboards build on: every view, every column, its type and
meaning. A test regenerates it from a real database (Odoo 17 and 18 shapes) and fails when the
committed file differs, so names and types cannot drift silently.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from supersetctl import pg
from supersetctl.contract.environment import Environment
from supersetctl.fsutil import atomic_write

from .model import admin_url
from .views import ViewTemplate, column_docs, load_templates

_INTRO = """\
# Analytics views

Superset reads Odoo through these views only. They live in the schema `analytics` (the name is
`access.analytics_schema` in `config/<env>/environment.yaml`); the Superset roles can read
nothing else. This file is generated from the templates in `views/` (`supersetctl db docs`);
do not edit it by hand.

How it fits together (details: `docs/access-model.md`):

- `views/NNN_<name>.sql` holds one `SELECT` per view. `supersetctl db apply --env ENV` renders
  it for the database at hand (Odoo 17 or 18 shapes are decided per column from
  `information_schema`), creates it as `analytics_internal.<name>` (a plain or materialized
  view, owned by the NOLOGIN role `analytics_owner`), and publishes
  `analytics.<name>`: a `security_barrier` view that keeps only the rows of the companies the
  connected role may see (`analytics_internal.company_scope`, keyed on `current_user`).
- Rows with a `company_id` outside the role's scope are never returned; views marked
  *shared* also return rows whose `company_id` is NULL (Odoo records shared by all companies).
- Where masking is on (staging), names of people are replaced by stable pseudonyms such as
  `Partner 1A2B3C4D`; ids stay, so joins and counts still work. No view has an e-mail,
  phone, street, birthday or identification column in any environment.
- *Materialized* views are summaries for dashboards; `supersetctl db refresh --env ENV`
  refreshes them concurrently (readers are never blocked). Their `*_name` columns are as of
  the last refresh.
- Dates: `*_month` columns are the first day of the month (`date`), for time grains and
  filters. Amounts are `numeric`; `*_signed` amounts are in company currency with Odoo's
  sign (positive for customer invoices, negative for refunds and vendor bills).
"""


def render_readme(templates: Sequence[ViewTemplate], types: Mapping[str, Mapping[str, str]]) -> str:
    """The README text; ``types`` maps view -> column -> SQL type (information_schema)."""
    docs = column_docs(templates)
    out = [_INTRO, "\n## Views\n\n| view | kind | company scope | rows |\n|---|---|---|---|\n"]
    for t in templates:
        scope = "none" if t.scope == "none" else ("shared + own" if t.shared else "own")
        kind = "materialized" if t.kind == "materialized" else "view"
        first = t.description.split(". ")[0].rstrip(".")
        out.append(f"| [`{t.name}`](#{t.name}) | {kind} | {scope} | {first} |\n")
    for t in templates:
        out.append(f"\n## {t.name}\n\n{t.description}\n\n")
        facts = [f"Kind: {'materialized view' if t.kind == 'materialized' else 'view'}"]
        if t.scope == "none":
            facts.append("company scope: none (no company column)")
        else:
            extra = ", plus shared rows (NULL)" if t.shared else ""
            facts.append(f"company scope: `{t.scope_column}`{extra}")
        if t.kind == "materialized":
            facts.append(f"key: `{', '.join(t.unique)}`")
        out.append("; ".join(facts) + f". Source: `views/{Path(t.path).name}`\n\n")
        out.append("| column | type | description |\n|---|---|---|\n")
        view_types = types.get(t.name, {})
        for c in docs[t.name]:
            out.append(f"| `{c.name}` | {view_types.get(c.name, '?')} | {c.description} |\n")
    return "".join(out)


def read_view_types(conn: psycopg.Connection[Any], schema: str) -> dict[str, dict[str, str]]:
    """``{view: {column: type}}`` of the views and materialized views in ``schema``."""
    rows = conn.execute(
        "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
        "WHERE n.nspname = %s AND c.relkind IN ('v', 'm') ORDER BY c.relname, a.attnum",
        (schema,),
    ).fetchall()
    out: dict[str, dict[str, str]] = {}
    for view, column, kind in rows:
        out.setdefault(str(view), {})[str(column)] = str(kind)
    return out


def live_readme(env: Environment) -> str:
    """The README for the views applied in the environment's database: the templates of its
    repo and the column types read as the admin (a DatabaseError when they cannot be)."""
    conninfo = admin_url(env.config, env.environ)
    with pg.session(conninfo, "cannot read the view types") as conn:
        types = read_view_types(conn, env.config.access.analytics_schema)
    return render_readme(load_templates(env.paths.analytics), types)


@dataclass(frozen=True)
class ReadmeResult:
    path: Path
    stale: bool  # the file differed from the live README (or was missing)
    written: bool


def update_readme(env: Environment, *, check: bool = False) -> ReadmeResult:
    """Compare ``infra/superset/analytics/README.md`` with :func:`live_readme` and rewrite it
    when stale, unless ``check`` (then nothing is written)."""
    text = live_readme(env)
    target = env.paths.analytics / "README.md"
    current = target.read_text(encoding="utf-8") if target.exists() else ""
    stale = current != text
    if stale and not check:
        atomic_write(target, text)
    return ReadmeResult(target, stale, written=stale and not check)
