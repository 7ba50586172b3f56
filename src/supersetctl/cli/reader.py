"""``reader``: the Superset role and user the scheduled jobs log in as (they can only read)."""

from __future__ import annotations

from typing import Annotated

import typer

from supersetctl.cli._app import app
from supersetctl.cli._options import EnvOpt, UrlOpt, environment
from supersetctl.cli._output import emit_json, is_json, write
from supersetctl.ops.reader import READER_ROLE, READER_USER, READER_VARIABLES, ensure_reader
from supersetctl.provision import client_for
from supersetctl.redact import register


@app.command()
def reader(
    env: EnvOpt,
    username: Annotated[
        str, typer.Option("--username", help="The reader's user name.")
    ] = READER_USER,
    password_env: Annotated[
        str,
        typer.Option(
            "--password-env", help="The variable holding the password of a user to create."
        ),
    ] = READER_VARIABLES[1],
    url: UrlOpt = None,
) -> None:
    """Create (or set) the role the scheduled jobs log in with, and its user.

    Logged in as the admin, through Superset's security API: the role supersetctl_reader
    gets exactly the permissions health, drift, plan and the backup's asset export need
    (docs/operations.md lists them), nothing that writes; the user is created with the
    password in --password-env when missing, and given that role only. An existing user
    keeps its password; one holding another role is refused (exit 2). Run it again after
    an upgrade: the permissions are set again, exactly.

    Example:

    \b
        SUPERSET_READER_PASSWORD=$(openssl rand -base64 24) \\
          supersetctl reader --env prod --username supersetctl-reader
    """
    environ = environment(env, url=url)
    password = environ.environ.get(password_env) or None
    register(password)
    with client_for(environ) as client:
        result = ensure_reader(client, username=username, password=password)
    if is_json():
        emit_json(result.as_dict())
        return
    role = "created" if result.role_created else "set"
    user = "created" if result.user_created else "holds it"
    write(f"role {READER_ROLE}: {role}, {result.permissions} permissions\n")
    write(f"user {result.username}: {user}\n")
