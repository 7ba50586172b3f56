"""``image resolve`` and ``bump``: the image pin of the artifact contract."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from supersetctl.cli._app import app
from supersetctl.cli._output import emit_json, info, is_json, state, write
from supersetctl.cli._progress import progress
from supersetctl.errors import ExitCode
from supersetctl.image import bump as bump_mod
from supersetctl.image import gate as gate_mod
from supersetctl.image.bump import BumpPlan, BumpRequest
from supersetctl.image.registry import resolve

image_app = typer.Typer(
    name="image",
    help="Container images: resolve a tag to the digest its registry serves.",
    no_args_is_help=True,
)
app.add_typer(image_app)


@image_app.command("resolve")
def resolve_cmd(
    ref: Annotated[
        str,
        typer.Argument(
            help="An image reference: [HOST/]NAME[:TAG][@DIGEST]. No host means Docker Hub.",
            show_default=False,
        ),
    ],
) -> None:
    """Print the digest a registry serves for an image tag.

    Uses the OCI distribution API (HEAD with every manifest media type, GET and sha256 as a
    fallback) and the registry's Bearer token flow. Anonymous by default; for private GHCR
    images set GHCR_USERNAME and GHCR_TOKEN, for other registries
    SUPERSETCTL_REGISTRY_USERNAME and SUPERSETCTL_REGISTRY_PASSWORD. A multi-arch tag
    resolves to the digest of its index. The digest goes to stdout (the full reference to
    stderr), so DIGEST=$(supersetctl image resolve REF) works in scripts. Exit 1 when the
    tag is unknown, access is denied or the registry is unreachable.

    Example:

        supersetctl image resolve ghcr.io/insightpulseai/superset:6.1.0-1
        supersetctl image resolve apache/superset:6.1.0
        supersetctl --format json image resolve apache/superset:6.1.0
    """
    result = resolve(ref, environ=os.environ)
    if is_json():
        emit_json(result.as_dict())
    else:
        kind = "multi-arch index" if result.is_index else "single manifest"
        info(f"{result.reference} ({kind}, {result.media_type})")
        write(result.digest + "\n")


@app.command()
def bump(
    tag: Annotated[str, typer.Option("--tag", "-t", help="The image tag to pin (never latest).")],
    digest: Annotated[
        str | None,
        typer.Option(help="The digest the tag must have (checked against the registry)."),
    ] = None,
    source_commit: Annotated[
        str | None, typer.Option(help="The 40-hex commit the image was built from.")
    ] = None,
    run_url: Annotated[str | None, typer.Option(help="The URL of the build run.")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the diff; write nothing.")
    ] = False,
    allow_downgrade: Annotated[
        bool, typer.Option(help="Allow a tag older than the pinned one.")
    ] = False,
    pr_body: Annotated[
        Path | None,
        typer.Option(help="Also write a Markdown pull-request body (old -> new, links) here."),
    ] = None,
    gate: Annotated[
        bool,
        typer.Option(
            "--gate/--no-gate",
            help="Before the pin moves, run the tag's Superset version on a scratch local stack, "
            "import every bundle and check every chart (about 2 min). --no-gate pins without "
            "it (a warning, and the PR body says so).",
        ),
    ] = True,
) -> None:
    """Pin a new runtime image in manifest.json and every image block of do-app-spec.yaml.

    Resolves TAG on the registry (or checks that --digest is the tag's digest), refuses
    latest, malformed input and downgrades, runs validate on the result, then the upgrade
    gate: the tag's Superset version (6.1.0-... runs 6.1.0, which needs a runtime lock under
    image/) on a scratch local stack in a temp folder with its own ports (PostgreSQL, the
    seed data, the access model), every provisioning bundle applied, then check: a chart or
    dataset that breaks blocks the bump with its name. The stack is removed afterwards. Then
    it writes both files or neither. The spec keeps its comments and layout; image blocks get
    the digest, never the tag. Running the same bump twice changes nothing. Exit 0 when
    pinned (or already pinned), 1 when the registry, validate or the gate refuses, 2 on bad
    input (a tag whose version has no runtime lock).

    Example:

    \b
        supersetctl bump --tag 6.1.0-1a2b3c4d5e6f --dry-run
        supersetctl bump --tag 6.1.0-1a2b3c4d5e6f --digest sha256:... --source-commit SHA
        supersetctl bump --tag 6.1.0-1a2b3c4d5e6f --no-gate   # pin without the gate
    """
    paths = state.paths()
    req = BumpRequest(tag, digest, source_commit, run_url, allow_downgrade)
    if not gate:
        info("warning: --no-gate: no chart is run on the new Superset version before the pin")
    with progress() as shown:
        chosen = gate_mod.default_gate(paths, progress=shown) if gate else None
        try:
            plan = bump_mod.bump(
                paths, req, bump_mod.default_resolver(os.environ), dry_run=dry_run, gate=chosen
            )
        except gate_mod.GateBlocked as blocked:
            _blocked(blocked)
    if pr_body is not None:
        bump_mod.write_pr_body(pr_body, plan)
    if is_json():
        emit_json({**plan.as_dict(), "dry_run": dry_run})
    else:
        _render_bump(plan, dry_run=dry_run)
    if dry_run and plan.new_findings:
        for f in plan.new_findings:
            info(f.format())
        raise typer.Exit(ExitCode.FINDINGS)


def _blocked(exc: gate_mod.GateBlocked) -> NoReturn:
    """A blocked bump: the message on stderr, with --format json the gate's result on stdout."""
    info(f"error: {exc}")
    if is_json():
        error = {"message": exc.message, "type": "GateBlocked", "exit_code": 1, "hint": exc.hint}
        emit_json({"error": error, "gate": exc.result.as_dict(), "changed": False})
    raise typer.Exit(ExitCode.FINDINGS)


def _render_bump(plan: BumpPlan, *, dry_run: bool) -> None:
    for warning in plan.warnings:
        info(f"warning: {warning}")
    info(plan.gate.summary() if plan.gate else f"gate: {plan.gate_skipped}")
    if dry_run:
        write(plan.diff)
    if not plan.changed:
        info(f"already pinned: {plan.image}:{plan.new_tag}@{plan.new_digest}")
        return
    verb = "would pin" if dry_run else "pinned"
    info(
        f"{verb} {plan.image}:{plan.new_tag}@{plan.new_digest} "
        f"(was {plan.old_tag or 'unreleased'}) in manifest.json and "
        f"{len(plan.blocks)} image block(s)"
    )
