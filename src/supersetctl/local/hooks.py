"""The steps ``up`` runs that other packages own: seed data (``db.seed``), the access model
(``db.access``), provisioning (``provision``) and the check of what was provisioned
(``check``), in that order, each given a :class:`HookContext`. A hook returns None when it
did its work, or why it skipped it."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from supersetctl.contract.environment import Environment
from supersetctl.errors import LocalStackError
from supersetctl.fsutil import atomic_write
from supersetctl.local.postgres import PostgresCluster
from supersetctl.local.superset import SupersetServer
from supersetctl.paths import RepoPaths

if TYPE_CHECKING:
    from supersetctl.check import CheckReport
    from supersetctl.local.stack import StackSettings

log = logging.getLogger(__name__)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class HookContext:
    paths: RepoPaths
    settings: StackSettings
    cluster: PostgresCluster
    server: SupersetServer
    env: Environment  # config/dev with the local secrets, as the variables it names
    progress: Progress


def _hook_seed(ctx: HookContext) -> str | None:
    from supersetctl.db import seed  # imported here: psycopg only when up runs

    if not ctx.settings.seed:
        return "seed data off (flags.seed_data)"
    ctx.progress(
        f"filling {ctx.settings.odoo_database} with seed data (scale {ctx.settings.scale})"
    )
    conninfo = ctx.cluster.info().conninfo(ctx.settings.odoo_database)
    summary = seed.seed_database(
        conninfo,
        scale=ctx.settings.scale,
        end_date=seed_end_date(ctx.paths, seeded=seed.seeded_end_date(conninfo)),
    )
    return None if summary.created else "seed data already there"


def seed_end_date(
    paths: RepoPaths, today: dt.date | None = None, *, seeded: dt.date | None = None
) -> dt.date:
    """The last day of the seed data: yesterday at the first ``up``, then fixed.

    Recent data makes AR aging and "last 90 days" filters meaningful; fixing the day after the
    first run keeps every later ``up`` (and the data) the same. ``seeded`` is the day of seed
    data already in the database (a stack made before this record existed): it wins.
    """
    record = paths.local / "seed.json"
    if seeded is None:
        try:
            return dt.date.fromisoformat(json.loads(record.read_text())["end_date"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
    end = seeded or (today or dt.date.today()) - dt.timedelta(days=1)
    atomic_write(record, json.dumps({"end_date": end.isoformat()}) + "\n")
    return end


def _hook_access(ctx: HookContext) -> str | None:
    """Apply the analytics views and read-only roles (supersetctl.db.access)."""
    from supersetctl.db.access import apply_env

    ctx.progress("applying the analytics views and read-only roles")
    result = apply_env(ctx.env)
    log.info("access model: %s", result)
    return None


def _hook_provision(ctx: HookContext) -> str | None:
    """Apply infra/superset/provisioning/ to the running Superset (supersetctl.provision)."""
    from supersetctl import provision

    if not any(p.is_file() for p in ctx.paths.provisioning.rglob("*.yaml")):
        return "nothing to provision under infra/superset/provisioning/"
    ctx.progress("provisioning databases, datasets and dashboards")
    with provision.client_for(ctx.env) as client:
        provision.apply_env(ctx.env, client)
    return None


def _hook_check(ctx: HookContext) -> str | None:
    """Run every provisioned chart's query and probe its dataset (supersetctl.check).

    A failure fails ``up`` (exit 1), the stack left running: ``make up`` is where a change to
    an analytics view or a dashboard file is first seen working, and CI's local stack gates on
    it; the message names each broken chart and its dashboards."""
    from supersetctl import check, provision

    if not any(p.is_file() for p in ctx.paths.provisioning.rglob("*.yaml")):
        return "nothing provisioned to check"
    ctx.progress("checking every chart's query and every dataset against the data")
    with provision.client_for(ctx.env) as client:
        raise_on_broken(check.check_env(ctx.env, client), ctx.env.name, ctx.server.s.url)
    return None


def raise_on_broken(report: CheckReport, env: str, url: str) -> None:
    """Raise a :class:`LocalStackError` naming each broken chart (its dashboards, Superset's
    message) and each broken dataset; return when everything answered."""
    if report.ok:
        return
    broken = [
        f"{c.name} ({', '.join(c.dashboards) or 'no dashboard'}): {c.message}"
        for c in report.failed_charts
    ]
    broken += [f"dataset {d.name}: {'; '.join(d.problems)}" for d in report.failed_datasets]
    raise LocalStackError(
        f"the check after provisioning failed: {len(report.failed_charts)} chart(s), "
        f"{len(report.failed_datasets)} dataset(s): " + " | ".join(broken),
        hint=f"the stack is running at {url}; `supersetctl check --env {env}` reports each failure",
    )


# Steps run in order after the database is up (seed) and after Superset is healthy (the rest).
HOOKS_BEFORE_SUPERSET: tuple[tuple[str, Callable[[HookContext], str | None]], ...] = (
    ("seed", _hook_seed),
)
HOOKS: tuple[tuple[str, Callable[[HookContext], str | None]], ...] = (
    ("access", _hook_access),
    ("provision", _hook_provision),
    ("check", _hook_check),
)
