"""``plan``, ``apply``, ``export``, ``import-bundle``, ``drift``: provisioning as code."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from supersetctl.cli._app import app
from supersetctl.cli._output import emit_json, info, is_json, state, write
from supersetctl.errors import ExitCode, UsageError
from supersetctl.paths import ENVIRONMENTS
from supersetctl.provision import (
    ExportResult,
    Plan,
    client_for_env,
    describe,
    drift_env,
    export_env,
    import_bundle,
    load_desired,
    prepare,
    send_plan,
)
from supersetctl.provision.engine import DEFAULT_CHUNK

EnvOpt = Annotated[
    str,
    typer.Option("--env", "-e", help=f"The environment ({', '.join(ENVIRONMENTS)})."),
]
RefreshOpt = Annotated[
    bool,
    typer.Option("--refresh", help="Compare every asset's content again (ignore the cache)."),
]
UrlOpt = Annotated[
    str | None,
    typer.Option("--url", help="Superset base URL (default: superset.url of config/<env>/)."),
]


def _check_env(env: str) -> None:
    if env not in ENVIRONMENTS:
        raise UsageError(f"unknown environment '{env}'", hint=f"use {', '.join(ENVIRONMENTS)}")


def _render_plan(plan: Plan, *, show_unchanged: bool = False) -> str:
    lines = [describe(c) for c in plan.changes if show_unchanged or c.action != "unchanged"]
    counts = plan.counts()
    summary = ", ".join(f"{n} {a}" for a, n in counts.items() if n)
    return "".join(line + "\n" for line in lines) + f"plan: {summary or 'nothing'}\n"


@app.command()
def plan(
    env: EnvOpt = "dev",
    prune: Annotated[
        bool, typer.Option("--prune", help="Also list managed assets that have no file.")
    ] = False,
    url: UrlOpt = None,
    verbose_plan: Annotated[bool, typer.Option("--all", help="List unchanged assets too.")] = False,
    refresh: RefreshOpt = False,
) -> None:
    """Show what `apply` would change: create, update (field by field), delete, unchanged.

    Reads the provisioning files and the live Superset (read requests only); secrets are
    redacted. Exit 0 when nothing would change, 1 when something would.

    Example:

    \b
        supersetctl plan --env staging
        supersetctl --format json plan --env prod --prune
    """
    _check_env(env)
    paths = state.paths()
    desired = load_desired(paths, env)
    with client_for_env(paths, env, url=url) as client:
        result = prepare(paths, env, client, prune=prune, refresh=refresh, desired=desired)[2]
    if is_json():
        emit_json(result.as_dict())
    else:
        write(_render_plan(result, show_unchanged=verbose_plan))
    raise typer.Exit(ExitCode.FINDINGS if result.changed else ExitCode.OK)


@app.command()
def apply(
    env: EnvOpt = "dev",
    prune: Annotated[
        bool,
        typer.Option("--prune", help="Delete managed assets whose file was removed."),
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask before changing staging/prod.")
    ] = False,
    url: UrlOpt = None,
    chunk_size: Annotated[
        int, typer.Option("--chunk-size", min=1, help="Assets per import request.")
    ] = DEFAULT_CHUNK,
    refresh: RefreshOpt = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Send every asset, changed or not (after rotating a password)."
        ),
    ] = False,
) -> None:
    """Make the live Superset match the provisioning files.

    Only changed assets are sent (nothing when nothing changed), in dependency order and in
    chunks; each is marked managed externally with a link to its file. Database passwords come
    from the secret variables config/<env>/ names. --prune deletes managed assets whose file is
    gone, never ones made in the UI. staging and prod (and any deletion) ask first unless --yes.

    Example:

    \b
        supersetctl apply --env dev
        supersetctl apply --env prod --prune --yes
    """
    _check_env(env)
    paths = state.paths()
    desired = load_desired(paths, env)
    with client_for_env(paths, env, url=url) as client:
        _, live, result_plan = prepare(
            paths, env, client, prune=prune, refresh=refresh, force=force, desired=desired
        )
        risky = env != "dev" or any(c.action == "delete" for c in result_plan.pending)
        if result_plan.changed and risky and not yes:
            if not sys.stdin.isatty():
                raise UsageError(
                    f"apply to {env} changes {len(result_plan.pending)} asset(s)",
                    hint="review `supersetctl plan` and pass --yes",
                )
            info(_render_plan(result_plan))
            if not typer.confirm("apply these changes?"):
                raise typer.Exit(ExitCode.FINDINGS)
        result = send_plan(paths, env, result_plan, desired, client, live, chunk_size=chunk_size)
    if is_json():
        emit_json(result.as_dict())
    else:
        write(_render_plan(result.plan))
        write(
            f"applied: {len(result.imported)} imported in {result.requests} request(s), "
            f"{len(result.deleted)} deleted\n"
        )


@app.command()
def export(
    env: EnvOpt = "dev",
    dashboard: Annotated[
        list[str] | None,
        typer.Option("--dashboard", "-d", help="Only this dashboard (slug), with what it uses."),
    ] = None,
    url: UrlOpt = None,
) -> None:
    """Write the live assets into infra/superset/provisioning/, deterministically.

    Stable file names (a file keeps its path), Superset's key order, no ids, timestamps or
    volatile fields; passwords become the ${VAR} names config/<env>/ declares. Export, apply,
    export again gives no diff.

    Example:

        supersetctl export --env dev --dashboard sales-overview
    """
    _check_env(env)
    paths = state.paths()
    with client_for_env(paths, env, url=url) as client:
        result = export_env(paths, env, client, dashboards=dashboard or None)
    _render_written(result, "export")


def _render_written(result: ExportResult, verb: str) -> None:
    """What export and import-bundle wrote into the layout."""
    if is_json():
        emit_json(result.as_dict())
        return
    write("".join(f"wrote {p}\n" for p in result.written))
    write(f"{verb}: {len(result.written)} written, {len(result.unchanged)} unchanged\n")
    for w in result.warnings:
        info(f"warning: {w}")


@app.command("import-bundle")
def import_bundle_cmd(
    path: Annotated[Path, typer.Argument(help="A Superset export: .zip file or folder.")],
    env: EnvOpt = "dev",
) -> None:
    """Add a native Superset export (zip or folder, from the UI or the API) to the layout.

    A dashboard built by hand comes under management in one step: export it in the UI,
    import-bundle it, commit, apply. --env picks whose variables replace the database password.

    Example:

        supersetctl import-bundle ~/Downloads/dashboard_export_20260101T000000.zip
    """
    _check_env(env)
    paths = state.paths()
    result = import_bundle(paths, path, env=env)
    _render_written(result, "import-bundle")


@app.command()
def drift(env: EnvOpt = "dev", url: UrlOpt = None) -> None:
    """Report where the live Superset differs from git; exit 1 when it does.

    For a scheduled job: edited in the UI (update), deleted (create), managed but without a
    file (delete), or added by hand (unmanaged).

    Example:

        supersetctl drift --env prod || notify-team
    """
    _check_env(env)
    paths = state.paths()
    with client_for_env(paths, env, url=url) as client:
        result = drift_env(paths, env, client)
    drifted = result.changed or result.counts()["unmanaged"] > 0
    if is_json():
        emit_json({**result.as_dict(), "drift": drifted})
    else:
        write(_render_plan(result))
        write("drift: yes\n" if drifted else "drift: none\n")
    raise typer.Exit(ExitCode.FINDINGS if drifted else ExitCode.OK)
