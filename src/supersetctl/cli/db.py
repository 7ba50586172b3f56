"""``db seed|plan|apply|verify|refresh|docs``: the data access model on Odoo's PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from supersetctl.cli._app import app
from supersetctl.cli._options import EnvOpt, environment
from supersetctl.cli._output import emit_json, info, is_json, write
from supersetctl.errors import ExitCode, UsageError

db_app = typer.Typer(
    name="db",
    help=(
        "The data access model on Odoo's PostgreSQL: analytics views, a read-only Superset "
        "role, company scoping in the database, staging masking, and proof.\n\n"
        "The admin connection URL comes from the variable named by access.admin_url_env "
        "(default ODOO_ADMIN_DATABASE_URL); role passwords from the variables the config names "
        "(databases.*.password_env, access.scoped_roles[].password_env)."
    ),
    no_args_is_help=True,
)
app.add_typer(db_app)


@db_app.command("seed")
def seed_cmd(
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            help="Connection URL of the (empty) database to fill; default: the admin URL "
            "variable of --env.",
        ),
    ] = None,
    env: EnvOpt = "dev",
    odoo_version: Annotated[int, typer.Option("--odoo", help="Odoo table shapes: 17 or 18.")] = 17,
    scale: Annotated[
        int,
        typer.Option(
            "--scale",
            min=1,
            max=1000,
            help="Size: 10,000 x SCALE sale order lines, "
            "2,000 x SCALE invoice lines (100 = the benchmark size).",
        ),
    ] = 1,
    seed: Annotated[int, typer.Option("--seed", help="Random seed; same seed, same rows.")] = 42,
    end_date: Annotated[
        str | None,
        typer.Option("--end-date", help="Last day of the generated history (YYYY-MM-DD)."),
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Drop earlier seed tables first (never on real data).")
    ] = False,
) -> None:
    """Fill a database with safe, deterministic seed data shaped like Odoo 17 or 18.

    Every name, e-mail and phone number is made up. Refused on a config whose flags.seed_data
    is false unless --url is given explicitly.

    Example:

        supersetctl db seed --env dev --scale 1
        supersetctl db seed --url postgresql://USER:PW@HOST/bench --odoo 18 --scale 100
    """
    from supersetctl import redact
    from supersetctl.db.seed import DEFAULT_END_DATE, seed_database, seed_target

    if url is None:
        url = seed_target(environment(env))
    else:
        redact.register_uri(url)
    try:
        end = dt.date.fromisoformat(end_date) if end_date else DEFAULT_END_DATE
    except ValueError:
        raise UsageError(f"--end-date '{end_date}' is not YYYY-MM-DD") from None
    if not is_json():
        info(f"seeding Odoo {odoo_version} shapes at scale {scale} (seed {seed})")
    summary = seed_database(
        url, odoo_version=odoo_version, scale=scale, seed=seed, end_date=end, replace=replace
    )
    if is_json():
        emit_json(summary.to_dict())
        return
    verb = "created" if summary.created else "already there"
    rows = sum(summary.counts.values())
    write(f"seed data {verb}: {rows:,} rows in {len(summary.counts)} tables "
          f"({summary.seconds:.1f}s)\n")  # fmt: skip
    for table, n in sorted(summary.counts.items()):
        write(f"  {table:32} {n:>10,}\n")


@db_app.command("plan")
def plan_cmd(
    env: EnvOpt = "dev",
    markdown: Annotated[
        Path | None,
        typer.Option(
            "--markdown",
            help="Also write the plan as Markdown to this file (a pull request comment, a job "
            "summary); a plan that cannot be made writes its error there.",
        ),
    ] = None,
    changes_ok: Annotated[
        bool,
        typer.Option("--changes-ok", help="Exit 0 when the plan shows changes (a CI report)."),
    ] = False,
) -> None:
    """Print the SQL `db apply` would run now, secrets redacted (read-only).

    Compares the database with config/<env>/ and infra/superset/analytics/views/; lists only
    what differs. Exit 0 when nothing would change, 1 when something would. It changes
    nothing, but reads as the admin (Odoo's catalogs, the company-scoping table).

    Example:

        ODOO_ADMIN_DATABASE_URL=postgresql://... supersetctl db plan --env staging
        supersetctl db plan --env prod --markdown db-plan.md --changes-ok
    """
    from supersetctl.db.report import plan_report

    result = plan_report(environment(env), markdown)
    if is_json():
        emit_json(result.to_dict())
    else:
        write(result.script())
        for note in result.notes:
            info(f"note: {note}")
        info(f"{len(result.changes)} change(s) for {result.database}")
    raise typer.Exit(ExitCode.FINDINGS if result.has_changes and not changes_ok else ExitCode.OK)


@db_app.command("apply")
def apply_cmd(env: EnvOpt = "dev") -> None:
    """Create or update roles, grants, company scoping and analytics views, in one transaction.

    Idempotent: a second run changes nothing. Role passwords come from the variables the
    config names and are sent as SCRAM verifiers. Nothing is changed when any statement fails.

    Example:

        export ODOO_ADMIN_DATABASE_URL=postgresql://odoo:PW@db:5432/odoo_dev
        export ODOO_RO_PASSWORD=... ODOO_RO_COMPANY_1_PASSWORD=...
        supersetctl db apply --env dev
    """
    from supersetctl.db.access import apply_env

    result = apply_env(environment(env))
    if is_json():
        emit_json(result.to_dict())
        return
    for line in result.summaries:
        write(f"  {line}\n")
    for note in result.notes:
        info(f"note: {note}")
    what = f"{len(result.summaries)} change(s)" if result.changed else "no changes"
    write(f"{result.database}: {what} ({result.seconds:.1f}s)\n")


@db_app.command("verify")
def verify_cmd(
    env: EnvOpt = "dev",
    database: Annotated[
        str | None,
        typer.Option(
            "--database",
            help="A key under `databases:` other than Odoo's (a Supabase source, say): "
            "prove that its login role is read-only instead.",
        ),
    ] = None,
) -> None:
    """Prove the access model by connecting as each Superset role; exit 1 on any failure.

    Checks, per role: it connects; it is read-only with timeouts and a connection limit; it is
    a member of no role (not pg_read_all_data); SELECT works on every view and fails on every
    raw Odoo table; writes and CREATE TABLE / TEMP TABLE / FUNCTION / SCHEMA fail even in a
    read-write transaction; it sees exactly its companies' rows; where masking is on, no real
    name, e-mail or phone. Prod requires this to pass before anything is provisioned.

    With --database KEY (a second source such as Supabase, whose schema is not ours), the
    checks run as that source's login role alone: no superuser or BYPASSRLS, member of no
    administrative role (postgres, service_role...), read-only sessions with a statement
    timeout, no write privilege on any table, CREATE refused. Where strict read-only is on,
    provisioning requires these too, for every declared source.

    Example:

        supersetctl db verify --env prod
        supersetctl db verify --env staging --database supabase
        supersetctl --format json db verify --env staging
    """
    from supersetctl.db.source_checks import verify_database

    report = verify_database(environment(env), database)
    if is_json():
        emit_json(report.to_dict())
    else:
        width = max((len(c.role or "(database)") for c in report.checks), default=10)
        for c in report.checks:
            mark = "PASS" if c.ok else "FAIL"
            detail = f"  [{c.detail}]" if c.detail and not c.ok else ""
            write(f"{mark}  {(c.role or '(database)'):{width}}  {c.name}{detail}\n")
        failed = len(report.failures)
        write(f"{len(report.checks) - failed} passed, {failed} failed ({report.database})\n")
    raise typer.Exit(ExitCode.OK if report.ok else ExitCode.FINDINGS)


@db_app.command("refresh")
def refresh_cmd(
    env: EnvOpt = "dev",
    view: Annotated[
        list[str] | None,
        typer.Option("--view", help="Refresh only this materialized view (repeatable)."),
    ] = None,
    blocking: Annotated[
        bool,
        typer.Option("--blocking", help="Plain REFRESH (locks readers out; faster when idle)."),
    ] = False,
) -> None:
    """Refresh the materialized analytics summaries, CONCURRENTLY by default.

    Readers keep the previous contents until each refresh commits. Run it on a schedule
    (see docs/access-model.md), e.g. every 15 minutes.

    Example:

        supersetctl db refresh --env prod
        supersetctl db refresh --env dev --view sales_monthly
    """
    from supersetctl.db.refresh import refresh_env

    result = refresh_env(environment(env), concurrently=not blocking, only=view)
    if is_json():
        emit_json(result.to_dict())
        return
    for name, seconds in result.timings:
        write(f"  {name:28} {seconds:8.2f}s\n")
    write(f"refreshed {len(result.timings)} view(s) in {result.seconds:.2f}s\n")


@db_app.command("docs")
def docs_cmd(
    env: EnvOpt = "dev",
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 when the README is stale; write nothing.")
    ] = False,
) -> None:
    """Regenerate infra/superset/analytics/README.md from the templates and live column types.

    Reads the types of the applied views in the --env database (run `db apply` first).

    Example:

        supersetctl db docs --env dev
    """
    from supersetctl.db.docs import update_readme

    environ = environment(env)
    result = update_readme(environ, check=check)
    where = environ.paths.rel(result.path)
    if check:
        write(f"{where}: {'stale' if result.stale else 'up to date'}\n")
        raise typer.Exit(ExitCode.FINDINGS if result.stale else ExitCode.OK)
    write(f"{'wrote' if result.written else 'unchanged'} {where}\n")


__all__ = ["db_app"]
