"""Options several commands share, and the one place that loads an environment."""

from __future__ import annotations

from typing import Annotated

import typer

from supersetctl.cli._output import state
from supersetctl.contract.environment import Environment, load_environment
from supersetctl.paths import ENVIRONMENTS

_ENV_HELP = f"The environment ({', '.join(ENVIRONMENTS)})."
EnvOpt = Annotated[str, typer.Option("--env", "-e", help=_ENV_HELP)]
# for a command where the environment is optional (a URL or an archive may do instead)
MaybeEnvOpt = Annotated[str | None, typer.Option("--env", "-e", help=_ENV_HELP)]
UrlOpt = Annotated[
    str | None,
    typer.Option("--url", help="Superset base URL (default: superset.url of config/<env>/)."),
]


def environment(name: str, *, url: str | None = None) -> Environment:
    """``config/<name>/`` and the process's variables, loaded once for the command (an
    unknown name is a usage error, exit 2)."""
    return load_environment(state.paths(), name, url=url)
