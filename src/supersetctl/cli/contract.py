"""``validate`` and ``schema``: the contract commands."""

from __future__ import annotations

from typing import Annotated

import typer

from supersetctl.cli._app import app
from supersetctl.cli._output import emit_json, is_json, state, write
from supersetctl.contract.environment import check_name
from supersetctl.contract.schemas import check_schemas, write_schemas
from supersetctl.contract.validate import RULES, validate_repo
from supersetctl.errors import ExitCode
from supersetctl.findings import has_errors, to_json, to_sarif, to_text
from supersetctl.paths import ENVIRONMENTS
from supersetctl.provision.lint import RULES as LAYOUT_RULES
from supersetctl.provision.lint import layout_findings


@app.command()
def validate(
    env: Annotated[
        list[str] | None,
        typer.Option(
            "--env",
            "-e",
            envvar="SUPERSETCTL_ENV",
            help="Environment to check: dev, staging, prod, or all (repeatable; default: dev).",
        ),
    ] = None,
    sarif: Annotated[bool, typer.Option("--sarif", help="Write SARIF 2.1.0 instead.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail too.")] = False,
) -> None:
    """Check the repo against the Superset integration contract.

    Reports every finding as PATH:LINE:COL: RULE-ID message (how to fix). Exit 1 when there
    is an error (or a warning with --strict), 0 when clean. Staging and prod are strict: an
    image that was never released, a database without TLS or a privileged role fail them.
    The provisioning files are checked too: each parses, and no two collide on a uuid, a
    dashboard slug, a dataset's table or a database name; every reference names a file.

    Example:

    \b
        supersetctl validate                # dev, what `make up` runs
        supersetctl validate --env prod     # before a deploy
        supersetctl validate -e all --sarif > validate.sarif
    """
    wanted = env or ["dev"]
    envs = list(ENVIRONMENTS) if "all" in wanted else [check_name(e) for e in dict.fromkeys(wanted)]
    paths = state.paths()
    findings = validate_repo(paths, envs, more=[layout_findings])
    if sarif:
        write(to_sarif(findings, tool="supersetctl validate", rules={**RULES, **LAYOUT_RULES}))
    elif is_json():
        write(to_json(findings, environments=envs))
    else:
        write(to_text(findings))
        errors = sum(1 for f in findings if f.severity == "error")
        warnings = len(findings) - errors
        typer.echo(f"{errors} error(s), {warnings} warning(s) in {', '.join(envs)}", err=True)
    failed = has_errors(findings) or (strict and bool(findings))
    raise typer.Exit(ExitCode.FINDINGS if failed else ExitCode.OK)


@app.command()
def schema(
    write_files: Annotated[
        bool, typer.Option("--write", help="Rewrite infra/superset/schemas/ from the models.")
    ] = False,
) -> None:
    """Check (or rewrite) the committed JSON Schemas generated from the typed models.

    Example:

        supersetctl schema --write
    """
    paths = state.paths()
    if write_files:
        changed = write_schemas(paths)
        if is_json():
            emit_json({"written": changed})
        else:
            write("".join(f"wrote {c}\n" for c in changed) or "schemas up to date\n")
        return
    stale = check_schemas(paths)
    if is_json():
        emit_json({"stale": stale})
    else:
        write("".join(f"stale: {s} (run: supersetctl schema --write)\n" for s in stale))
    raise typer.Exit(ExitCode.FINDINGS if stale else ExitCode.OK)
