"""Whether each dataset's declared columns and metrics resolve against its database.

Run on a connection logged in as the environment's read-only role (the one Superset uses):
a physical dataset's columns are looked up in ``information_schema.columns`` (one query per
dataset); every column expression and metric expression is then tried in a ``LIMIT 0`` probe
of its own (``SELECT <expression> FROM <table> LIMIT 0``), so each problem names what broke.
A virtual dataset (``sql``) is probed as a subquery. SQL with Jinja (``{{ }}``, ``{% %}``) is
Superset's to render: it is left out and said so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from supersetctl.redact import redact

if TYPE_CHECKING:
    import psycopg
    from psycopg import sql


@dataclass
class DatasetResult:
    uuid: str
    name: str  # schema.table
    problems: list[str] = field(default_factory=list)
    skipped: str | None = None  # why it was not probed

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "uuid": self.uuid,
            "dataset": self.name,
            "status": "ok" if self.ok else "error",
            "problems": self.problems,
            "skipped": self.skipped,
        }


def dataset_name(data: Mapping[str, Any]) -> str:
    schema = data.get("schema")
    table = str(data.get("table_name") or "")
    return f"{schema}.{table}" if schema else table


def _templated(text: str) -> bool:
    return "{{" in text or "{%" in text


def _source(data: Mapping[str, Any]) -> sql.Composable:
    from psycopg import sql

    query = data.get("sql")
    if isinstance(query, str) and query.strip():
        return sql.SQL("({}) AS virtual_dataset").format(sql.SQL(query.strip().rstrip(";")))
    table = sql.Identifier(str(data["table_name"]))
    schema = data.get("schema")
    return sql.SQL("{}.{}").format(sql.Identifier(str(schema)), table) if schema else table


def _first_line(exc: psycopg.Error) -> str:
    return redact((str(exc).strip().splitlines() or [type(exc).__name__])[0])


def _probe(conn: psycopg.Connection[Any], expression: str, source: sql.Composable) -> str | None:
    """``SELECT <expression> FROM <source> LIMIT 0`` in a savepoint; the error, or None."""
    import psycopg
    from psycopg import sql

    query = sql.SQL("SELECT {} FROM {} LIMIT 0").format(sql.SQL(expression), source)
    try:
        with conn.transaction():
            conn.execute(query)
    except psycopg.Error as exc:
        return _first_line(exc)
    return None


def _physical_columns(conn: psycopg.Connection[Any], data: Mapping[str, Any]) -> set[str] | None:
    """The table's columns from information_schema (None: no such table, or not visible)."""
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = %s AND table_schema = COALESCE(%s, current_schema())",
        (str(data["table_name"]), data.get("schema")),
    ).fetchall()
    return {str(r[0]) for r in rows} or None


def probe_dataset(
    conn: psycopg.Connection[Any], uuid: str, data: Mapping[str, Any]
) -> DatasetResult:
    """The problems of one dataset (its resolved provisioning data) on ``conn``."""
    from psycopg import sql

    result = DatasetResult(uuid, dataset_name(data))
    query = data.get("sql")
    virtual = isinstance(query, str) and bool(query.strip())
    expressions = [str(m.get("expression") or "") for m in data.get("metrics") or []]
    expressions += [str(c.get("expression") or "") for c in data.get("columns") or []]
    if (virtual and _templated(str(query))) or any(_templated(e) for e in expressions):
        result.skipped = "its SQL is a Jinja template Superset renders (its charts try it)"
        return result
    source = _source(data)
    with conn.transaction():
        if virtual:
            error = _probe(conn, "*", source)
            if error:
                result.problems.append(f"its SQL fails: {error}")
                return result
            cur = conn.execute(sql.SQL("SELECT * FROM {} LIMIT 0").format(source))
            known = {d.name for d in cur.description or ()}
        else:
            found = _physical_columns(conn, data)
            if found is None:
                result.problems.append(
                    f"table {result.name} does not exist or the read-only role cannot see it"
                )
                return result
            known = found
        for column in data.get("columns") or []:
            name, expression = str(column.get("column_name")), column.get("expression")
            if expression:
                error = _probe(conn, str(expression), source)
                if error:
                    result.problems.append(f"column {name} ({expression}): {error}")
            elif name not in known:
                result.problems.append(f"column {name} is not in {result.name}")
        for metric in data.get("metrics") or []:
            expression = str(metric.get("expression") or "")
            error = _probe(conn, expression, source) if expression else "no expression"
            if error:
                name = metric.get("metric_name")
                result.problems.append(f"metric {name} ({expression}): {error}")
    return result
