"""``deploy`` and ``rollback``: App Platform, through the DigitalOcean API."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

import typer

from supersetctl.cli._app import app
from supersetctl.cli._options import EnvOpt, environment
from supersetctl.cli._output import emit_json, info, is_json, write
from supersetctl.contract.environment import Environment
from supersetctl.deploy import Progress, Waiter, apps_api, create, deploy, rollback
from supersetctl.errors import ExitCode, UsageError
from supersetctl.upgrade.platform import guard_for


def _progress(event: Progress) -> None:
    info(event.message)


PollOption = Annotated[
    float,
    typer.Option("--poll-interval", min=0.0, help="Seconds between deployment status checks."),
]
TimeoutOption = Annotated[
    float,
    typer.Option("--timeout", min=1.0, help="Give up following a deployment after this long."),
]
BackupOption = Annotated[
    bool | None,
    typer.Option(
        "--metadata-backup/--no-metadata-backup",
        help="Back up the metadata database (SUPERSET_METADATA_DB_URL) before a deployment "
        "whose PRE_DEPLOY job migrates it, and restore it when that deployment is rolled "
        "back. Default: on when the variable is set.",
    ),
]
BackupToOption = Annotated[
    str | None,
    typer.Option(
        "--metadata-backup-to",
        help="Where that backup goes: a folder (default .local/backups/ENV) or "
        "s3://BUCKET/PREFIX (S3 settings as for `backup`).",
    ),
]


@app.command("deploy")
def deploy_cmd(
    env: EnvOpt,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait/--no-wait",
            help="Follow the deployment, verify /health and the running digest, and roll "
            "back on failure (default). --no-wait only submits the spec.",
        ),
    ] = True,
    poll_interval: PollOption = 10.0,
    timeout: TimeoutOption = 1800.0,
    create_app: Annotated[
        bool,
        typer.Option(
            "--create",
            help="First deploy: create the app (it must not exist yet) after checking its "
            "managed databases, create the first admin, wait for /health, then provision. "
            "See docs/first-deploy.md.",
        ),
    ] = False,
    provision: Annotated[
        bool,
        typer.Option("--provision/--no-provision", help="With --create: run `apply` at the end."),
    ] = True,
    admin_email: Annotated[
        str | None,
        typer.Option("--admin-email", help="With --create: the first admin's e-mail address."),
    ] = None,
    metadata_backup: BackupOption = None,
    metadata_backup_to: BackupToOption = None,
) -> None:
    """Deploy the pinned image and spec to the environment's App Platform app.

    Renders infra/superset/do-app-spec.yaml for ENV (app name from config/ENV, every image
    block must carry manifest.json's digest), validates it with the propose endpoint, updates
    the app, follows the deployment phases, then checks that /health answers
    {"status": "OK"} and that the running digest is the manifest's. On failure the previous
    spec is restored automatically and the command exits 1. The API token comes from
    DIGITALOCEAN_TOKEN.

    --create is the first deploy, on an account without the app: the same spec and checks,
    plus what only a first deploy needs (a flag of deploy rather than a command of its own,
    because it is a deploy: the same rendered spec, the same follow and verification). It
    checks that the managed clusters the spec attaches exist and are online (exit 1, nothing
    created, with the doctl command that makes a missing one), takes every SECRET from the
    environment (exit 2 naming the unset ones), refuses an app that exists already (exit 2:
    plain deploy is the command), creates the app with a one-off POST_DEPLOY job that creates
    the admin from SUPERSET_ADMIN_USERNAME/PASSWORD (never resetting an existing user's
    password), follows the deployment, checks /health and an admin login, removes the job
    again, then provisions like `supersetctl apply` unless --no-provision. No rollback: a
    failed first deploy leaves the app and says how to retry.

    Example:

    \b
        DIGITALOCEAN_TOKEN=... supersetctl deploy --env prod --wait
        DIGITALOCEAN_TOKEN=... supersetctl deploy --env prod --create
    """
    environ = environment(env)
    waiter = Waiter(interval=poll_interval, timeout=timeout)
    api = apps_api(environ.environ)
    if create_app:
        if not wait:
            raise UsageError("--create waits for the app: drop --no-wait")
        _create(environ, api, waiter, provision=provision, admin_email=admin_email)
    guard, warning = guard_for(environ, metadata_backup, backups_to=metadata_backup_to)
    if warning:
        info(f"warning: {warning}")
    result = deploy(environ, api, wait=wait, on_progress=_progress, waiter=waiter, guard=guard)
    for key in result.missing_secrets:
        info(f"warning: SECRET {key} has no value in the spec nor on the app")
    if is_json():
        emit_json(result.as_dict())
    elif result.ok:
        state_word = "verified" if result.verified else "submitted"
        write(
            f"{state_word}: {result.app_name} deployment {result.deployment_id or '(pending)'} "
            f"runs {result.digest}\n"
        )
    else:
        rolled = (
            f"; rolled back by deployment {result.rollback_deployment_id} ({result.rollback_phase})"
            if result.rolled_back
            else ""
        )
        write(f"FAILED: {result.app_name}: {result.reason}{rolled}\n")
    raise typer.Exit(ExitCode.OK if result.ok else ExitCode.FINDINGS)


def _apply(env: Environment, url: str) -> dict[str, Any]:
    """``supersetctl apply --env ENV --yes`` against the new app's URL."""
    from supersetctl.provision import apply_env, client_for

    target = dataclasses.replace(env, url_override=url)
    with client_for(target) as client:
        result = apply_env(target, client)
    return {
        "imported": len(result.imported),
        "deleted": len(result.deleted),
        "requests": result.requests,
    }


def _create(
    env: Environment, api: Any, waiter: Waiter, *, provision: bool, admin_email: str | None
) -> None:
    result = create(
        env,
        api,
        admin_email=admin_email,
        provision=(lambda url: _apply(env, url)) if provision else None,
        on_progress=_progress,
        waiter=waiter,
    )
    if is_json():
        emit_json(result.as_dict())
    elif result.ok:
        done = (
            f", provisioned ({result.provisioned['imported']} imported)"
            if result.provisioned
            else ""
        )
        write(f"created: {result.app_name} at {result.url} runs {result.digest}{done}\n")
    else:
        write(f"FAILED: {result.app_name}: {result.reason}\nnext: {result.next_step}\n")
    raise typer.Exit(ExitCode.OK if result.ok else ExitCode.FINDINGS)


@app.command("rollback")
def rollback_cmd(
    env: EnvOpt,
    to: Annotated[
        str | None,
        typer.Option("--to", help="The deployment id to return to (default: the last good one)."),
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait/--no-wait", help="Follow the rollback deployment.")
    ] = True,
    pin: Annotated[
        bool,
        typer.Option(
            "--pin/--no-pin",
            help="Pin the app to the rollback (App Platform then refuses new deployments "
            "until the rollback is committed or reverted).",
        ),
    ] = False,
    poll_interval: PollOption = 10.0,
    timeout: TimeoutOption = 1800.0,
    metadata_backup: BackupOption = None,
) -> None:
    """Roll the environment's app back to an earlier deployment.

    Without --to, picks the newest deployment before the active one that went live. When
    `deploy` backed up the metadata database before the active deployment and its migrations
    moved the schema since, that backup is restored first (SUPERSET_METADATA_DB_URL; see
    docs/upgrade.md). Exit 1 when the rollback deployment does not become ACTIVE.

    Example:

        supersetctl rollback --env prod
        supersetctl rollback --env prod --to 3aa4d20e-5527-4c4e-9f3c-7c2d0e4b5f61
    """
    environ = environment(env)
    waiter = Waiter(interval=poll_interval, timeout=timeout)
    result = rollback(
        environ,
        apps_api(environ.environ),
        to=to,
        wait=wait,
        pin=pin,
        on_progress=_progress,
        waiter=waiter,
        guard=guard_for(environ, metadata_backup)[0],
    )
    if is_json():
        emit_json(result.as_dict())
    else:
        write(
            f"{'rolled back' if result.ok else 'FAILED'}: {env} to {result.target} "
            f"(deployment {result.deployment_id}, {result.phase or 'submitted'})\n"
        )
    raise typer.Exit(ExitCode.OK if result.ok else ExitCode.FINDINGS)
