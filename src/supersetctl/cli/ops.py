"""``health``, ``backup``, ``backup verify`` and ``restore``: operating a Superset."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer

from supersetctl.cli._app import app
from supersetctl.cli._output import emit_json, info, is_json, state, write
from supersetctl.contract.environment import load_environment
from supersetctl.contract.loader import load_env_config
from supersetctl.contract.models import EnvConfig
from supersetctl.errors import ExitCode, OperationFailed, UsageError
from supersetctl.ops import _pg, storage
from supersetctl.ops.alerts import alert_on_change, format_duration, webhook_from_env
from supersetctl.ops.backup import AssetExporter, create_backup
from supersetctl.ops.health import HealthOptions, HealthReport, check_health
from supersetctl.ops.restore import Comparison, restore_backup, verify_backup
from supersetctl.paths import ENVIRONMENTS
from supersetctl.provision import client_for
from supersetctl.redact import register, register_uri

METADATA_ENV = "SUPERSET_METADATA_DB_URL"
SCRATCH_ENV = "SUPERSETCTL_SCRATCH_DB_URL"

EnvOpt = Annotated[
    str | None, typer.Option("--env", "-e", help="Environment: dev, staging or prod.")
]
UrlOpt = Annotated[
    str | None,
    typer.Option("--url", help="Superset base URL (overrides the environment's superset.url)."),
]
MetadataUrlEnvOpt = Annotated[
    str,
    typer.Option("--metadata-url-env", help="The variable holding the metadata database URL."),
]


def _env_config(env: str | None) -> EnvConfig | None:
    if env is None:
        return None
    if env not in ENVIRONMENTS:
        raise UsageError(f"unknown environment '{env}'", hint=f"use {', '.join(ENVIRONMENTS)}")
    return load_env_config(state.paths(), env)


def _credentials(cfg: EnvConfig | None) -> tuple[str | None, str | None]:
    user_var = cfg.superset.admin_username_env if cfg else "SUPERSET_ADMIN_USERNAME"
    pass_var = cfg.superset.admin_password_env if cfg else "SUPERSET_ADMIN_PASSWORD"
    password = os.environ.get(pass_var) or None
    register(password)
    return os.environ.get(user_var) or None, password


def _render_health(report: HealthReport, label: str) -> None:
    lines = [f"superset {label} {report.url}: {report.state.upper()}"]
    for c in report.checks:
        ms = f"{c.elapsed_ms:.0f} ms" if c.elapsed_ms is not None else "-"
        tries = f"{c.attempts} tries" if c.attempts > 1 else ""
        lines.append(f"  {c.name:<24} {c.status:<5} {ms:>8} {tries:<8} {c.detail}")
    write("\n".join(lines) + "\n")


@app.command()
def health(
    env: EnvOpt = None,
    url: UrlOpt = None,
    alert: Annotated[
        str | None,
        typer.Option(
            "--alert",
            help="slack: post to SLACK_WEBHOOK_URL when the state changes (down, degraded, "
            "recovered), never on every run.",
        ),
    ] = None,
    state_file: Annotated[
        Path | None,
        typer.Option(
            "--state-file",
            help="Where --alert remembers the last state (default .local/health/<name>.json).",
            dir_okay=False,
        ),
    ] = None,
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
    OK). Login and the database queries run when the admin username and password variables
    are set (those the environment names; SUPERSET_ADMIN_USERNAME/PASSWORD with --url).
    Exit 1 unless UP, or when the Slack alert could not be sent (its state is then kept, so
    the next run tries again); the JSON output says which (state, alert_error).

    Example:

    \b
        supersetctl health --env prod --alert slack --state-file .health/prod.json
        supersetctl --format json health --url http://127.0.0.1:8088
    """
    if env is None and url is None:
        raise UsageError("name the Superset to check", hint="pass --env ENV or --url URL")
    if alert not in (None, "slack"):
        raise UsageError(f"unknown alert channel '{alert}'", hint="use --alert slack")
    cfg = _env_config(env)
    base = url or (cfg.superset.url if cfg else "")
    register_uri(base)  # a password in the URL is masked in everything printed
    try:
        parts = urlsplit(base)
        host = f"{parts.hostname}:{parts.port}" if parts.port else parts.hostname
    except ValueError:
        raise UsageError(f"not a valid URL: {base}", hint="pass http(s)://host[:port]") from None
    label = env or host or base
    webhook = webhook_from_env() if alert else None
    username, password = _credentials(cfg)
    options = HealthOptions(
        attempts=attempts,
        backoff=backoff,
        timeout=timeout,
        tls_warn_days=tls_warn_days,
        tls_fail_days=tls_fail_days,
        ca_file=str(ca_file) if ca_file else None,
        query_databases=not no_queries,
    )
    report = check_health(base, username=username, password=password, options=options)
    sent: str | None = None
    alert_error: str | None = None
    if webhook:
        path = state_file or _default_state_file(label)
        try:
            outcome = alert_on_change(report, state_file=path, label=label, webhook=webhook)
        except OperationFailed as exc:  # the state file is unchanged: the next run retries
            alert_error = str(exc)
            info(f"error: {alert_error}")
        else:
            if outcome.alert:
                sent = outcome.alert.kind
                extra = ""
                if outcome.alert.down_for_seconds is not None:
                    extra = f" after {format_duration(outcome.alert.down_for_seconds)}"
                info(f"sent a Slack alert: {sent}{extra}")
    if is_json():
        emit_json({**report.to_dict(), "alert_sent": sent, "alert_error": alert_error})
    else:
        _render_health(report, label)
    ok = report.healthy and alert_error is None
    raise typer.Exit(ExitCode.OK if ok else ExitCode.FINDINGS)


def _default_state_file(label: str) -> Path:
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in label)
    return state.paths().local / "health" / f"{safe}.json"


# ------------------------------------------------------------------------------ backup

backup_app = typer.Typer(
    name="backup",
    invoke_without_command=True,
    no_args_is_help=False,
    rich_markup_mode=None,
)
app.add_typer(backup_app)


def _metadata(var: str) -> dict[str, str]:
    return _pg.from_env(var)


@contextlib.contextmanager
def _asset_exporter(env: str, base: str | None, skip: bool) -> Iterator[AssetExporter | None]:
    """The provisioning client's asset export for ``env`` (at ``base``), logged in lazily."""
    if skip:
        yield None
        return
    client = client_for(load_environment(state.paths(), env, url=base))
    try:
        yield client.export_assets
    finally:
        client.close()


@backup_app.callback()
def backup(
    ctx: typer.Context,
    env: EnvOpt = None,
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
    cfg = _env_config(env)
    metadata = _metadata(metadata_url_env)
    base = url or (cfg.superset.url if cfg else None)
    paths = state.paths()
    target = to or str(paths.local / "backups" / env)
    s3 = storage.s3_client() if storage.is_s3(target) else None
    with _asset_exporter(env, base, no_assets) as assets:
        if s3 is not None:
            with tempfile.TemporaryDirectory(prefix="supersetctl-backup-out-") as tmp:
                result = create_backup(
                    env=env,
                    metadata=metadata,
                    dest_dir=Path(tmp),
                    manifest=paths.manifest,
                    assets=assets,
                    superset_url=base,
                )
                location = storage.S3Location.parse(target)
                storage.upload(s3, result.path, location)
                where = f"{location}{result.path.name}"
            deleted = storage.retain_s3(s3, location, env, keep_daily, keep_weekly)
        else:
            result = create_backup(
                env=env,
                metadata=metadata,
                dest_dir=Path(target),
                manifest=paths.manifest,
                assets=assets,
                superset_url=base,
            )
            where = str(result.path)
            deleted = storage.retain_local(Path(target), env, keep_daily, keep_weekly)
    objects = {k: v["count"] for k, v in result.record["objects"].items()}
    if is_json():
        emit_json(
            {
                "archive": where,
                "sha256": result.sha256,
                "parts": result.record["parts"],
                "objects": objects,
                "deleted": deleted,
            }
        )
    else:
        counts = ", ".join(f"{v} {k}" for k, v in sorted(objects.items()))
        write(f"wrote {where}\n  sha256 {result.sha256}\n  {counts}\n")
        write("".join(f"  retention deleted {d}\n" for d in deleted))


def _local_archive(archive: str, workdir: Path) -> Path:
    if storage.is_s3(archive):
        return storage.download(storage.s3_client(), archive, workdir)
    return Path(archive)


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
    archive: Annotated[str, typer.Argument(help="The archive: a path or s3://BUCKET/KEY.tar.")],
    env: EnvOpt = None,
    scratch_url_env: Annotated[
        str,
        typer.Option(
            "--scratch-url-env",
            help=f"The variable holding a URL to a server where a scratch database may be "
            f"created (default {SCRATCH_ENV}, else the metadata URL of --env).",
        ),
    ] = SCRATCH_ENV,
) -> None:
    """Prove an archive restores: checksums, restore into a scratch database, compare.

    Every checksum is verified, the dump is restored into a new database
    (supersetctl_verify_<random>) which is dropped afterwards, and the dashboards, charts,
    datasets and users found there are compared, id by id, with the archive's record.
    Exit 1 on any difference.

    Example:

    \b
        SUPERSETCTL_SCRATCH_DB_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
          supersetctl backup verify .local/backups/dev/superset-dev-20261127T010000Z.tar
    """
    if os.environ.get(scratch_url_env):
        server = _pg.from_env(scratch_url_env)
    elif env is not None:
        server = _metadata(METADATA_ENV)
    else:
        raise UsageError(f"no server for the scratch database: set {scratch_url_env} or pass --env")
    with tempfile.TemporaryDirectory(prefix="supersetctl-dl-") as tmp:
        result = verify_backup(_local_archive(archive, Path(tmp)), server)
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
    raise typer.Exit(ExitCode.OK if result.ok else ExitCode.FINDINGS)


# ------------------------------------------------------------------------------ restore


@app.command()
def restore(
    archive: Annotated[str, typer.Argument(help="The archive: a path or s3://BUCKET/KEY.tar.")],
    env: Annotated[str, typer.Option("--env", "-e", help="Environment to restore into.")],
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
    cfg = _env_config(env)
    target = _metadata(metadata_url_env)
    with tempfile.TemporaryDirectory(prefix="supersetctl-dl-") as tmp:
        result = restore_backup(
            _local_archive(archive, Path(tmp)), target, force=force, keep_owners=not no_owner
        )
    report: HealthReport | None = None
    if not no_health:
        base = url or (cfg.superset.url if cfg else "")
        username, password = _credentials(cfg)
        report = check_health(base, username=username, password=password)
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
