"""``db plan`` as Markdown, for a pull request comment and a CI job summary: what the access
model would change on an environment's Odoo database (each step's summary, then the SQL of
one transaction), secrets redacted."""

from __future__ import annotations

from pathlib import Path

from supersetctl.contract.environment import Environment
from supersetctl.fsutil import report_to
from supersetctl.markdown import failed_section
from supersetctl.redact import redact

from .access import plan_env
from .model import Plan

MARKER = "<!-- supersetctl-db-plan:{env} -->"
_MAX_SQL = 50_000  # GitHub refuses a comment over 65,536 characters


def plan_markdown(env: str, plan: Plan) -> str:
    verdict = f"{len(plan.changes)} change(s)" if plan.has_changes else "in sync"
    lines = [MARKER.format(env=env), f"### supersetctl db plan: {env} ({plan.database}): {verdict}"]
    lines.append("")
    lines += [f"- {s.summary}" for s in plan.changes]
    lines += [f"- note: {n}" for n in plan.notes]
    if plan.has_changes:
        sql = plan.script()
        if len(sql) > _MAX_SQL:
            sql = sql[:_MAX_SQL] + f"\n-- ... cut (run `supersetctl db plan --env {env}`)\n"
        lines += ["", "<details><summary>SQL</summary>", "", "```sql", sql.rstrip(), "```",
                  "", "</details>"]  # fmt: skip
    return redact("\n".join(lines) + "\n")


def error_markdown(env: str, message: str) -> str:
    return failed_section(MARKER.format(env=env), f"supersetctl db plan: {env}: failed", message)


def plan_report(env: Environment, markdown: Path | None = None) -> Plan:
    """:func:`~.access.plan_env`, and with ``markdown`` the plan (or its error) as Markdown."""
    return report_to(
        markdown,
        lambda: plan_env(env),
        lambda plan: plan_markdown(env.name, plan),
        lambda message: error_markdown(env.name, message),
    )
