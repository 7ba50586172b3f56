"""``scan``: find secrets in the tree, the staged changes or the history, without printing them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from supersetctl.cli._app import app
from supersetctl.cli._output import is_json, state, write
from supersetctl.errors import ExitCode, UsageError
from supersetctl.findings import Finding, Severity, to_json, to_sarif
from supersetctl.secrets import RULES
from supersetctl.secrets.gitscan import ScanResult, run_scan, scan_root


def format_line(f: Finding) -> str:
    """``path:line: RULE-ID description fingerprint=<hash>`` (plus ``commit=`` in history)."""
    where = f"{f.path}:{f.line}" if f.line else f.path
    sev = " [warning]" if f.severity is Severity.WARNING else ""
    extra = "".join(f" {k}={v}" for k, v in f.extra)
    return f"{where}: {f.rule}{sev} {f.message}{extra}\n"


def _summary(result: ScanResult) -> str:
    what = f"{result.files} file(s)"
    if result.mode == "history":
        what = f"{result.commits} commit(s), {result.files} file change(s)"
    allowed = f", {result.allowed} allowlisted" if result.allowed else ""
    return (
        f"{len(result.findings)} secret(s) in {what} ({result.mode}{allowed}, "
        f"{result.seconds:.2f} s)"
    )


@app.command()
def scan(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Files or folders to scan (default: every tracked file). With --history: "
            "one git revision range instead (default: all of HEAD's history).",
            show_default=False,
        ),
    ] = None,
    staged: Annotated[
        bool, typer.Option("--staged", help="Scan what `git commit` would record (pre-commit).")
    ] = False,
    history: Annotated[
        bool,
        typer.Option("--history", help="Scan the lines every commit added, deleted ones too."),
    ] = False,
    allowlist: Annotated[
        Path | None,
        typer.Option(
            "--allowlist",
            help="Allowlist file (default: .supersetctl-secrets-allowlist.yaml at the repo root).",
            dir_okay=False,
        ),
    ] = None,
    sarif: Annotated[bool, typer.Option("--sarif", help="Write SARIF 2.1.0 instead.")] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Warnings (stale allowlist entries) fail too.")
    ] = False,
) -> None:
    """Find secrets (DB passwords, tokens, JWTs, keys) in git, and never print them.

    Each finding is PATH:LINE: RULE-ID description fingerprint=<hash>; the value itself never
    appears, in any format. Placeholders (${VAR}, <...>, __SET_ME__, EV[...], ...) are fine.
    Hide a reviewed false positive by adding its fingerprint, with a reason, to
    .supersetctl-secrets-allowlist.yaml, or with an inline comment
    `supersetctl: allow-secret reason=...`. Exit 1 when a secret is found.

    Example:

    \b
        supersetctl scan                      # the tracked tree
        supersetctl scan --staged             # the pre-commit hook
        supersetctl scan --history            # every commit of HEAD
        supersetctl scan --history main..HEAD # the commits of a branch
        supersetctl scan config/ infra/superset/do-app-spec.yaml
    """
    args, rev_range = _scan_args(list(paths or []), staged=staged, history=history)
    if state.repo is not None and not state.repo.is_dir():
        raise UsageError(f"--repo {state.repo}: no such folder", hint="pass the repo's root")
    # files and folders named outside git scan too
    root = scan_root(state.repo or Path.cwd(), outside_git=bool(args))
    result = run_scan(
        root,
        paths=args,
        staged=staged,
        history=history,
        rev_range=rev_range,
        allowlist_file=allowlist,
    )
    _render_scan(result, sarif=sarif)
    failed = bool(result.findings) or (strict and bool(result.warnings))
    raise typer.Exit(ExitCode.FINDINGS if failed else ExitCode.OK)


def _scan_args(args: list[Path], *, staged: bool, history: bool) -> tuple[list[Path], str | None]:
    """The paths to scan and the revision range, from the arguments and the mode."""
    if staged and history:
        raise UsageError("--staged and --history exclude each other")
    if history:
        if len(args) > 1:
            raise UsageError("--history takes at most one revision range")
        return [], str(args[0]) if args else None
    if staged and args:
        raise UsageError("--staged scans the index: give no paths")
    return args, None


def _render_scan(result: ScanResult, *, sarif: bool) -> None:
    shown = [*result.findings, *result.warnings]
    if sarif:
        write(to_sarif(shown, tool="supersetctl scan", rules=RULES))
    elif is_json():
        write(
            to_json(
                shown,
                mode=result.mode,
                files=result.files,
                commits=result.commits,
                allowlisted=result.allowed,
                seconds=round(result.seconds, 3),
            )
        )
    else:
        write("".join(format_line(f) for f in shown))
        typer.echo(_summary(result), err=True)
