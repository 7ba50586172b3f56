"""The SQL text of the access model: quoting, the published views and their digests.

A view's digest (a hash of the SQL that made it) is written into its comment; comparing it
with the digest of the SQL wanted now tells ``plan`` which views to recreate.
"""

from __future__ import annotations

import hashlib

from .model import Desired
from .views import RenderedView

# table privileges ``verify`` proves the login roles do not hold (SELECT aside)
PRIVS = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")

# pg_class.relkind -> the word DROP takes
KIND_WORD = {"v": "VIEW", "m": "MATERIALIZED VIEW", "r": "TABLE", "S": "SEQUENCE",
             "f": "FOREIGN TABLE", "p": "TABLE"}  # fmt: skip


def q(name: str) -> str:
    """A quoted identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def scope_filter(internal: str, column: str | None, shared: bool) -> str:
    """The WHERE clause of a published view: rows of the caller's companies only.

    Both sub-selects are uncorrelated (evaluated once per query, not per row).
    """
    table = f"{q(internal)}.company_scope"
    mine = f"SELECT {{}} FROM {table} s WHERE s.role_name = current_user"
    if column is None:
        return f"EXISTS ({mine.format('1')})"
    parts = [
        f"t.{q(column)} = ANY (ARRAY({mine.format('s.company_id')}))",
        f"coalesce(({mine.format('bool_or(s.company_id IS NULL)')}), false)",
    ]
    if shared:
        parts.append(f"(t.{q(column)} IS NULL AND EXISTS ({mine.format('1')}))")
    return "\n   OR ".join(parts)


def wrapper_sql(d: Desired, v: RenderedView) -> str:
    t = v.template
    where = scope_filter(d.internal, t.scope_column, t.shared)
    return (
        f"CREATE VIEW {q(d.schema)}.{q(v.name)} WITH (security_barrier = true) AS\n"
        f"SELECT * FROM {q(d.internal)}.{q(v.name)} t\nWHERE {where}"
    )


def base_sql(d: Desired, v: RenderedView) -> list[str]:
    t = v.template
    target = f"{q(d.internal)}.{q(v.name)}"
    if t.kind == "materialized":
        out = [f"CREATE MATERIALIZED VIEW {target} AS\n{v.sql.rstrip()}\nWITH DATA"]
        cols = ", ".join(q(c) for c in t.unique)
        out.append(f"CREATE UNIQUE INDEX {q(v.name + '_key')} ON {target} ({cols})")
        for i, index in enumerate(t.indexes, start=1):
            cols = ", ".join(q(c) for c in index)
            out.append(f"CREATE INDEX {q(f'{v.name}_idx{i}')} ON {target} ({cols})")
        return out
    return [f"CREATE VIEW {target} AS\n{v.sql.rstrip()}"]


def base_digest(d: Desired, v: RenderedView) -> str:
    text = "\n".join(base_sql(d, v))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def wrapper_digest(d: Desired, v: RenderedView) -> str:
    docs = "|".join(f"{c.name}:{c.description}" for c in v.template.columns)
    text = wrapper_sql(d, v) + v.template.description + docs
    return hashlib.sha256(text.encode()).hexdigest()[:16]
