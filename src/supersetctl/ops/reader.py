"""The Superset role the scheduled jobs log in with: everything ``health``, ``drift``,
``plan`` and the backup's asset export need, and nothing that writes an asset.

:data:`READER_PERMISSIONS` is the role, as Superset 6.1 names its permissions (``permission``
on ``view menu``); docs/operations.md shows it as a table (a test keeps the two equal), and
an integration test gives exactly these to a user of the test Superset and runs the drift and
health workflows as that user.
"""

from __future__ import annotations

READER_ROLE = "supersetctl_reader"

# (permission, view menu, who needs it)
READER_PERMISSIONS: tuple[tuple[str, str, str], ...] = (
    ("can_read", "Dashboard", "drift, plan: list the dashboards"),
    ("can_read", "Chart", "drift, plan: list the charts"),
    ("can_read", "Dataset", "drift, plan: list the datasets"),
    ("can_read", "Database", "drift, plan, health: list the databases"),
    ("can_export", "Dashboard", "drift, plan: read a dashboard's content (its export)"),
    ("can_export", "Chart", "drift, plan: read a chart's content"),
    ("can_export", "Dataset", "drift, plan: read a dataset's content"),
    ("can_export", "Database", "drift, plan: read a database's content (password masked)"),
    ("can_export", "ImportExportRestApi", "backup: the whole instance's asset export"),
    ("all_datasource_access", "all_datasource_access", "drift, plan: see every dataset and chart"),
    ("all_database_access", "all_database_access", "health: query each database"),
    ("can_execute_sql_query", "SQLLab", "health: SELECT 1 on each database"),
    ("can_read", "SecurityRestApi", "health: the CSRF token SQL Lab's POST needs"),
)


def reader_table() -> str:
    """:data:`READER_PERMISSIONS` as the Markdown table of docs/operations.md."""
    rows = ["| permission | on | needed by |", "|---|---|---|"]
    rows += [f"| `{p}` | `{v}` | {why} |" for p, v, why in READER_PERMISSIONS]
    return "\n".join(rows) + "\n"
