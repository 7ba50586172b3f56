"""``health``, ``backup``, ``backup verify`` and ``restore``: operating a Superset."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from supersetctl.cli._alerting import (
    AlertOpt,
    MarkdownOpt,
    StateFileOpt,
    alert_targets,
    report_sent,
    write_markdown,
)
from supersetctl.cli._app import app
from supersetctl.cli._options import EnvOpt, MaybeEnvOpt, UrlOpt, environment
from supersetctl.cli._output import emit_json, info, is_json, state, write
from supersetctl.contract.environment import Environment
from supersetctl.errors import ExitCode, OperationFailed, UsageError
from supersetctl.ops import _pg, storage
from supersetctl.ops.alerts import (
    AlertOutcome,
    alert_on_change,
    default_state_file,
    format_duration,
)
from supersetctl.ops.backup import METADATA_ENV, AssetExporter, back_up
from supersetctl.ops.health import (
    HealthOptions,
    HealthReport,
    check_health,
    health_target,
    report_markdown,
)
from supersetctl.ops.notify import Target
from supersetctl.ops.restore import (
    SCRATCH_ENV,
    Comparison,
    VerifyResult,
    restore_backup,
    scratch_server,
    verify_backup,
)
from supersetctl.pg import parse_url
from supersetctl.provision import client_for

MetadataUrlEnvOpt = Annotated[
    str,
    typer.Option("--metadata-url-env", help="The variable holding the metadata database URL."),
]


def _render_health(report: HealthReport, label: str) -> None:
    lines = [f"superset {label} {report.url}: {report.state.upper()}"]
    for c in report.checks:
        ms = f"{c.elapsed_ms:.0f} ms" if c.elapsed_ms is not None else "-"
        tries = f"{c.attempts} tries" if c.attempts > 1 else ""
        lines.append(f"  {c.name:<24} {c.status:<5} {ms:>8} {tries:<8} {c.detail}")
    write("\n".join(lines) + "\n")


@app.command()
def health(
    env: MaybeEnvOpt = None,
    url: UrlOpt = None,
    alert: AlertOpt = None,
    state_file: StateFileOpt = None,
    markdown: MarkdownOpt = None,
    unhealthy_ok: Annotated[
        bool,
        typer.Option(
            "--unhealthy-ok",
            help="Exit 0 when not UP too (a scheduled job whose --alert reports it); an "
            "alert that could not be sent still exits 1.",
        ),
    ] = False,
    attempts: Annotated[
        int, typer.Option("--attempts", min=1, help="Tries per check before it fails.")
    ] = 3,
    backoff: Annotated[
        float, typer.Option("--backoff", min=0, help="Seconds before the first retry; doubles.")
    ] = 2.0,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0.1, help="Seconds per request.")
    ] = 10.0,
    tls_warn_days: Annotated[
        int, typer.Option("--tls-warn-days", help="Warn when the certificate expires sooner.")
    ] = 21,
    tls_fail_days: Annotated[
        int, typer.Option("--tls-fail-days", help="Fail when the certificate expires sooner.")
    ] = 7,
    ca_file: Annotated[
        Path | None,
        typer.Option("--ca-file", help="Extra CA bundle to trust (PEM).", exists=True),
    ] = None,
    no_queries: Annotated[
        bool, typer.Option("--no-queries", help="Skip the test query on each database.")
    ] = False,
) -> None:
    """Check a Superset: /health, API login, a query per database, TLS days left, timings.

    Each check is retried with exponential backoff before it counts as failed. The state is
    UP, DEGRADED (/health answers but another check fails) or DOWN (/health does not answer
    OK). Login and the database queries run when the username and password variables are
    set (those the environment names; SUPERSET_ADMIN_USERNAME/PASSWORD with --url); a user
    whose role can only read is enough. Exit 1 unless UP (0 with --unhealthy-ok), or when
    the alert could not be sent (its state is then kept, so the next run tries again); the
    JSON output says which (state, alert_error).

    Example:

    \b
        supersetctl health --env prod --alert auto --state-file .health/prod.json
        supersetctl --format json health --url http://127.0.0.1:8088
    """
    if env is None and url is None:
        raise UsageError("name the Superset to check", hint="pass --env ENV or --url URL")
    environ = environment(env, url=url) if env else None
    variables = environ.environ if environ else os.environ  # --url alone: the shell's
    target = health_target(environ, url, variables)
    targets = alert_targets(alert, variables)
    options = HealthOptions(
        attempts=attempts,
        backoff=backoff,
        timeout=timeout,
        tls_warn_days=tls_warn_days,
        tls_fail_days=tls_fail_days,
        ca_file=str(ca_file) if ca_file else None,
        query_databases=not no_queries,
    )
    report = check_health(target.url, username=target.username, password=target.password,
                          options=options)  # fmt: skip
    alerted = _alert_health(report, target.label, targets, state_file)
    write_markdown(markdown, report_markdown(report, target.label))
    if is_json():
        emit_json({**report.to_dict(), "alert_sent": alerted.sent, "alert_error": alerted.error})
    else:
        _render_health(report, target.label)
    ok = (report.healthy or unhealthy_ok) and alerted.error is None
    raise typer.Exit(ExitCode.OK if ok else ExitCode.FINDINGS)


def _alert_health(
    report: HealthReport, label: str, targets: list[Target], state_file: Path | None
) -> AlertOutcome:
    if not targets:
        return AlertOutcome(None)
    where = state_file or default_state_file(state.paths().local, label)
    alerted = alert_on_change(report, state_file=where, label=label, targets=targets)
    what: str | None = None
    if alerted.alert is not None:
        what = alerted.alert.kind
        if alerted.alert.down_for_seconds is not None:
            what += f" after {format_duration(alerted.alert.down_for_seconds)}"
    report_sent(alerted.error, what, targets)
    return alerted


# ------------------------------------------------------------------------------ backup

backup_app = typer.Typer(
    name="backup",
    invoke_without_command=True,
    no_args_is_help=False,
    rich_markup_mode=None,
)
app.add_typer(backup_app)


@contextlib.contextmanager
def _asset_exporter(env: Environment, skip: bool) -> Iterator[AssetExporter | None]:
    """The provisioning client's asset export for ``env``, logged in lazily."""
    if skip:
        yield None
        return
    with client_for(env) as client:
        yield client.export_assets


@backup_app.callback()
def backup(
    ctx: typer.Context,
    env: MaybeEnvOpt = None,
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            help="A folder, or s3://BUCKET/PREFIX (S3_ENDPOINT_URL, AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY from the environment). Default: .local/backups/<env>.",
        ),
    ] = None,
    url: UrlOpt = None,
    keep_daily: Annotated[
        int | None,
        typer.Option("--keep-daily", help="Keep the newest archive of each of the last N days."),
    ] = None,
    keep_weekly: Annotated[
        int | None,
        typer.Option("--keep-weekly", help="Keep the newest archive of each of the last M weeks."),
    ] = None,
    no_assets: Annotated[
        bool, typer.Option("--no-assets", help="Skip the asset export (database dump only).")
    ] = False,
    metadata_url_env: MetadataUrlEnvOpt = METADATA_ENV,
) -> None:
    """Write one timestamped archive: pg_dump of the metadata DB, asset export, manifest.

    The archive (superset-<env>-<UTC stamp>.tar) carries a SHA256SUMS of its parts and the
    ids of every dashboard, chart, dataset and user; a .sha256 of the whole archive sits
    beside it. With --keep-daily/--keep-weekly older archives of the same environment at the
    destination are deleted.

    Example:

    \b
        supersetctl backup --env prod --to s3://acme-backups/superset --keep-daily 7 --keep-weekly 4
        supersetctl backup verify .local/backups/dev/superset-dev-20261127T010000Z.tar
    """
    if ctx.invoked_subcommand is not None:
        return
    if env is None:
        raise UsageError("name the environment to back up", hint="pass --env ENV")
    environ = environment(env, url=url)
    with _asset_exporter(environ, no_assets) as assets:
        run = back_up(
            environ,
            to=to,
            assets=assets,
            keep_daily=keep_daily,
            keep_weekly=keep_weekly,
            metadata_url_env=metadata_url_env,
        )
    if is_json():
        emit_json(run.as_dict())
        return
    counts = ", ".join(f"{v} {k}" for k, v in sorted(run.objects().items()))
    write(f"wrote {run.where}\n  sha256 {run.result.sha256}\n  {counts}\n")
    write("".join(f"  retention deleted {d}\n" for d in run.deleted))


def _comparison_text(comparison: Comparison) -> str:
    lines = []
    for row in comparison.rows():
        mark = "ok" if row["ids_match"] else "MISMATCH"
        lines.append(
            f"  {row['kind']:<11} expected {row['expected']:>5}  found {row['found']:>5}  {mark}"
        )
    return "\n".join(lines) + "\n"


@backup_app.command("verify")
def backup_verify(
    archive: Annotated[
        str,
        typer.Argument(
            help="The archive: a path or s3://BUCKET/KEY.tar; with --latest, the folder or "
            "s3://BUCKET/PREFIX holding the archives."
        ),
    ],
    env: MaybeEnvOpt = None,
    latest: Annotated[
        bool,
        typer.Option("--latest", help="Verify the newest archive of --env in ARCHIVE's place."),
    ] = False,
    scratch_url_env: Annotated[
        str,
        typer.Option(
            "--scratch-url-env",
            help=f"The variable holding a URL to a server where a scratch database may be "
            f"created (default {SCRATCH_ENV}, else the metadata URL of --env).",
        ),
    ] = SCRATCH_ENV,
    scratch_cluster: Annotated[
        bool,
        typer.Option(
            "--scratch-cluster",
            help="Restore into a throwaway PostgreSQL cluster started here from the system's "
            "server binaries (initdb; removed afterwards) instead of a server of yours.",
        ),
    ] = False,
) -> None:
    """Prove an archive restores: checksums, restore into a scratch database, compare.

    Every checksum is verified, the dump is restored into a new database
    (supersetctl_verify_<random>) which is dropped afterwards, and the dashboards, charts,
    datasets and users found there are compared, id by id, with the archive's record.
    Exit 1 on any difference (or when --latest finds no archive).

    Example:

    \b
        SUPERSETCTL_SCRATCH_DB_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
          supersetctl backup verify .local/backups/dev/superset-dev-20261127T010000Z.tar
        supersetctl backup verify --latest --env prod --scratch-cluster s3://acme-backups/superset
    """
    if latest and env is None:
        raise UsageError("--latest needs the environment whose archives to look at",
                         hint="pass --env ENV")  # fmt: skip
    variables = environment(env).environ if env else os.environ  # no --env: the shell's
    if latest and env is not None:
        archive = storage.newest_archive(archive, env, variables)
    with contextlib.ExitStack() as stack:
        if scratch_cluster:
            server = stack.enter_context(_throwaway_server())
        else:
            metadata = METADATA_ENV if env else None
            server = scratch_server(variables, scratch_url_env=scratch_url_env,
                                    metadata_url_env=metadata)  # fmt: skip
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="supersetctl-dl-")))
        result = verify_backup(storage.local_copy(archive, tmp, variables), server)
    _render_verify(archive, result)
    raise typer.Exit(ExitCode.OK if result.ok else ExitCode.FINDINGS)


@contextlib.contextmanager
def _throwaway_server() -> Iterator[dict[str, str]]:
    """A PostgreSQL cluster in a temporary folder for the scratch database, then gone."""
    from supersetctl.local.postgres import PostgresCluster, free_port

    with tempfile.TemporaryDirectory(prefix="supersetctl-scratch-") as tmp:
        Path(tmp).chmod(0o755)  # run as the postgres user when invoked as root
        cluster = PostgresCluster(Path(tmp) / "pg", port=free_port())
        try:
            info(f"starting a throwaway PostgreSQL cluster on port {cluster.port}")
            yield parse_url(cluster.start().dsn())
        finally:
            cluster.destroy()


def _render_verify(archive: str, result: VerifyResult) -> None:
    if is_json():
        emit_json(
            {
                "archive": archive,
                "ok": result.ok,
                "created_at": result.record.get("created_at"),
                "objects": result.comparison.rows(),
            }
        )
    else:
        write(f"{archive}: checksums ok, restored into a scratch database\n")
        write(_comparison_text(result.comparison))
        write("verified\n" if result.ok else "MISMATCH: the restore differs from the record\n")


# ------------------------------------------------------------------------------ restore


@app.command()
def restore(
    archive: Annotated[str, typer.Argument(help="The archive: a path or s3://BUCKET/KEY.tar.")],
    env: EnvOpt,
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace the content of a target that is not empty."),
    ] = False,
    url: UrlOpt = None,
    no_owner: Annotated[
        bool,
        typer.Option(
            "--no-owner",
            help="Make the restoring role own everything (when the recorded owners do not "
            "exist on the target server); default: owners and grants as recorded.",
        ),
    ] = False,
    no_health: Annotated[
        bool, typer.Option("--no-health", help="Do not run the health check afterwards.")
    ] = False,
    metadata_url_env: MetadataUrlEnvOpt = METADATA_ENV,
) -> None:
    """Restore an archive into the environment's metadata database, then check health.

    Every checksum is verified before anything is touched. A target holding any table is
    refused unless --force; with --force its objects are dropped and the dump restored in
    one transaction (a failure leaves it as it was), owners and grants as recorded. Stop
    Superset's web and worker processes first, and start them again afterwards.

    Example:

    \b
        supersetctl restore --env prod --force \\
          .local/backups/prod/superset-prod-20261127T010000Z.tar
    """
    environ = environment(env, url=url)
    target = _pg.from_env(metadata_url_env, environ.environ)
    with tempfile.TemporaryDirectory(prefix="supersetctl-dl-") as tmp:
        local = storage.local_copy(archive, Path(tmp), environ.environ)
        result = restore_backup(local, target, force=force, keep_owners=not no_owner)
    report: HealthReport | None = None
    if not no_health:
        checked = health_target(environ, url, environ.environ)
        report = check_health(checked.url, username=checked.username, password=checked.password)
    payload: dict[str, Any] = {
        "archive": archive,
        "target": result.target,
        "cleared_schemas": result.cleared_schemas,
        "objects": result.comparison.rows(),
        "matches_record": result.comparison.matches,
        "health": report.to_dict() if report else None,
    }
    if is_json():
        emit_json(payload)
    else:
        write(f"restored {archive} into {result.target}\n")
        write(_comparison_text(result.comparison))
        if report:
            _render_health(report, env)
    ok = result.comparison.matches and (report is None or report.healthy)
    if not result.comparison.matches:
        raise OperationFailed("the restored objects differ from the archive's record")
    raise typer.Exit(ExitCode.OK if ok else ExitCode.FINDINGS)
