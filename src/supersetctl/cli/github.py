"""``github comment``: what a workflow step posts on a pull request."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from supersetctl.cli._app import app
from supersetctl.cli._output import emit_json, is_json, write

github_app = typer.Typer(
    name="github",
    help="Post to GitHub from a workflow (GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_API_URL).",
    no_args_is_help=True,
)
app.add_typer(github_app)


@github_app.command("comment")
def comment_cmd(
    pr: Annotated[int, typer.Option("--pr", help="The pull request number.", min=1)],
    file: Annotated[
        Path, typer.Option("--file", help="The Markdown body (e.g. from `plan --markdown`).")
    ],
    marker: Annotated[
        str | None,
        typer.Option(
            "--marker",
            help="Text that finds the comment again (default: the file's first line when it "
            "is an HTML comment, as `plan --markdown` writes).",
        ),
    ] = None,
) -> None:
    """Create, or edit in place, the pull request comment that holds a marker: one current
    comment per marker however often the workflow runs.

    Example (a workflow step with `permissions: pull-requests: write`):

    \b
        supersetctl plan --env staging --markdown plan.md --changes-ok
        supersetctl github comment --pr "$PR_NUMBER" --file plan.md
    """
    from supersetctl.github.comments import comment_from_file

    result = comment_from_file(os.environ, pr, file, marker)
    if is_json():
        emit_json(result.as_dict())
    else:
        write(f"comment {result.action}: {result.url or result.id}\n")
