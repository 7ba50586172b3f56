"""``plan``, ``apply``, ``export``, ``import-bundle``, ``drift``: provisioning as code."""

from __future__ import annotations

import sys
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
from supersetctl.cli._options import EnvOpt, UrlOpt, environment
from supersetctl.cli._output import emit_json, info, is_json, write
from supersetctl.cli._progress import progress
from supersetctl.contract.environment import Environment
from supersetctl.errors import ExitCode, UsageError
from supersetctl.ops.drift_alert import DriftOutcome, drift_alert_on_change
from supersetctl.ops.notify import Target
from supersetctl.provision import (
    DEFAULT_CHUNK,
    ExportResult,
    Plan,
    Prepared,
    client_for,
    describe,
    drift_env,
    export_env,
    import_bundle,
    plan_report,
    prepare,
    send_plan,
)
from supersetctl.provision.report import drift_items, drift_markdown

RefreshOpt = Annotated[
    bool,
    typer.Option("--refresh", help="Compare every asset's content again (trust no cache)."),
]


def _render_plan(plan: Plan, *, show_unchanged: bool = False) -> str:
    lines = [describe(c) for c in plan.changes if show_unchanged or c.action != "unchanged"]
    summary = ", ".join(f"{n} {a.replace('foreign', 'owned elsewhere')}"
                        for a, n in plan.counts().items() if n)  # fmt: skip
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
    markdown: Annotated[
        Path | None,
        typer.Option(
            "--markdown",
            help="Also write the plan as Markdown to this file (for a pull request comment or "
            "a job summary); a plan that cannot be made writes its error there.",
        ),
    ] = None,
    changes_ok: Annotated[
        bool,
        typer.Option(
            "--changes-ok",
            help="Exit 0 when the plan shows changes to apply (conflicts and failures still "
            "exit 1): for a CI step that reports a plan rather than gates on it.",
        ),
    ] = False,
) -> None:
    """Show what `apply` would change: create, update (field by field), delete, unchanged,
    and conflicts (a file whose asset another repo owns, or whose slug a live asset holds).

    Reads the provisioning files and the live Superset (read requests only); secrets are
    redacted. Exit 0 when nothing would change, 1 when something would (or conflicts).
    A change to a database, dataset or chart names the charts and dashboards it reaches.

    Example:

    \b
        supersetctl plan --env staging
        supersetctl --format json plan --env prod --prune
        supersetctl plan --env prod --markdown plan-prod.md --changes-ok
    """
    environ = environment(env, url=url)
    with progress() as shown:
        result = plan_report(environ, markdown, prune=prune, refresh=refresh, progress=shown).plan
    if is_json():
        emit_json(result.as_dict())
    else:
        write(_render_plan(result, show_unchanged=verbose_plan))
    failed = result.conflicts or (result.pending and not changes_ok)
    raise typer.Exit(ExitCode.FINDINGS if failed else ExitCode.OK)


def _confirm(prepared: Prepared, env: str, yes: bool) -> None:
    """Ask before changing staging/prod or deleting anything (unless --yes)."""
    pending = prepared.plan.pending
    risky = env != "dev" or any(c.action == "delete" for c in pending)
    if not pending or not risky or yes or prepared.plan.conflicts:
        return
    if not sys.stdin.isatty():
        raise UsageError(
            f"apply to {env} changes {len(pending)} asset(s)",
            hint="review `supersetctl plan` and pass --yes",
        )
    info(_render_plan(prepared.plan))
    if not typer.confirm("apply these changes?"):
        raise typer.Exit(ExitCode.FINDINGS)


@app.command()
def apply(
    env: EnvOpt = "dev",
    prune: Annotated[
        bool,
        typer.Option("--prune", help="Delete this repo's managed assets whose file was removed."),
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
    chunks; each carries this repo's owner marker and a link to its file. Database passwords
    come from the secret variables config/<env>/ names. A conflict (an asset another repo
    owns, a slug held live) stops the run before anything is sent. --prune deletes this
    repo's assets whose file is gone, never ones made in the UI or owned elsewhere. staging
    and prod (and any deletion) ask first unless --yes.

    Example:

    \b
        supersetctl apply --env dev
        supersetctl apply --env prod --prune --yes
    """
    environ = environment(env, url=url)
    with client_for(environ) as client, progress() as shown:
        prepared = prepare(
            environ, client, prune=prune, refresh=refresh, force=force, progress=shown
        )
        _confirm(prepared, env, yes)
        result = send_plan(environ, prepared, client, chunk_size=chunk_size, progress=shown)
    if is_json():
        emit_json(result.as_dict())
        return
    write(_render_plan(result.plan))
    write(
        f"applied: {len(result.imported)} imported in {result.requests} request(s), "
        f"{len(result.access)} access change(s), {len(result.deleted)} deleted\n"
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
    """Write the live assets into infra/superset/provisioning/: the minimum.

    An asset equal to its file leaves the file byte-identical; a changed one rewrites only the
    keys that changed, in the file's order. New files get stable names and no ids,
    timestamps or volatile fields; passwords become the ${VAR} names config/<env>/ declares.

    Example:

        supersetctl export --env dev --dashboard sales-overview
    """
    environ = environment(env, url=url)
    with client_for(environ) as client, progress() as shown:
        result = export_env(environ, client, dashboards=dashboard or None, progress=shown)
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
    rename: Annotated[
        bool,
        typer.Option(
            "--rename",
            help="An asset whose slug or name a file of another uuid holds comes in as a new "
            "one (slug-2, 'name (2)').",
        ),
    ] = False,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="An asset whose slug, table or name a file of another uuid holds replaces "
            "that file's content (under that file's uuid).",
        ),
    ] = False,
) -> None:
    """Add a native Superset export (zip or folder, from the UI or the API) to the layout.

    A dashboard built by hand comes under management in one step: export it in the UI,
    import-bundle it, commit, apply. A bundle asset that collides with a file (same slug,
    dataset table or database name, another uuid) is refused unless --rename or --replace
    says what to do; nothing is written then. --env picks whose variables replace the
    database password.

    Example:

    \b
        supersetctl import-bundle ~/Downloads/dashboard_export_20260101T000000.zip
        supersetctl import-bundle export.zip --rename
    """
    result = import_bundle(environment(env), path, rename=rename, replace=replace)
    _render_written(result, "import-bundle")


@app.command()
def drift(
    env: EnvOpt = "dev",
    url: UrlOpt = None,
    alert: AlertOpt = None,
    state_file: StateFileOpt = None,
    markdown: MarkdownOpt = None,
    link: Annotated[
        str | None, typer.Option("--link", help="A URL the alert links to (the workflow run).")
    ] = None,
    drift_ok: Annotated[
        bool,
        typer.Option(
            "--drift-ok",
            help="Exit 0 on drift too (a scheduled job whose --alert reports it); an alert "
            "that could not be sent still exits 1.",
        ),
    ] = False,
) -> None:
    """Report where the live Superset differs from git; exit 1 when it does.

    For a scheduled job: edited in the UI (update), deleted (create), this repo's but without
    a file (delete), added by hand (unmanaged), or a conflict. Assets another repo or tool
    manages are listed as owned elsewhere and are no drift. Always compares full content,
    with read requests only: a user whose role can only read is enough. With --alert, the
    targets hear of it when the drift starts, when the drifted assets change and when it is
    gone, never twice for the same drift.

    Example:

    \b
        supersetctl drift --env prod --alert auto --state-file .drift-state/prod.json
        supersetctl --format json drift --env staging
    """
    environ = environment(env, url=url)
    targets = alert_targets(alert, environ.environ)
    with client_for(environ) as client, progress() as shown:
        result = drift_env(environ, client, progress=shown)
    items = drift_items(result)
    write_markdown(markdown, drift_markdown(env, result, environ.url))
    alerted = _alert_drift(environ, items, targets, state_file, link)
    if is_json():
        extra = {"alert_sent": alerted.sent, "alert_error": alerted.error}
        emit_json({**result.as_dict(), "drift": bool(items), **extra})
    else:
        write(_render_plan(result))
        write("drift: yes\n" if items else "drift: none\n")
    ok = (drift_ok or not items) and alerted.error is None
    raise typer.Exit(ExitCode.OK if ok else ExitCode.FINDINGS)


def _alert_drift(
    env: Environment,
    items: list[dict[str, Any]],
    targets: list[Target],
    state_file: Path | None,
    link: str | None,
) -> DriftOutcome:
    if not targets:
        return DriftOutcome(None)
    where = state_file or env.paths.local / "drift" / f"{env.name}.json"
    alerted = drift_alert_on_change(
        items, state_file=where, label=env.name, url=env.url, targets=targets, link=link
    )
    report_sent(alerted.error, alerted.kind, targets)
    return alerted
