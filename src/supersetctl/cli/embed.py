"""``embed``: the guest-token broker for embedded dashboards."""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer

from supersetctl.cli._app import app
from supersetctl.cli._options import EnvOpt, UrlOpt, environment
from supersetctl.cli._output import emit_json, is_json, write

embed_app = typer.Typer(
    name="embed",
    help="Embedded dashboards: the guest-token broker a host application (Odoo) calls.",
    no_args_is_help=True,
)
app.add_typer(embed_app)


@embed_app.command("serve")
def serve(
    env: EnvOpt = "dev",
    host: Annotated[str, typer.Option("--host", help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="The port to listen on.")] = 8089,
    url: UrlOpt = None,
) -> None:
    """Serve POST /guest-token: mint Superset guest tokens for allowlisted dashboards.

    The host's backend (an Odoo controller) signs a short-lived HS256 caller token naming
    the user; the broker finds the user's company itself (Odoo's res_users, read-only),
    renders the dashboard's dataset-scoped RLS template from config/<env>/embed.yaml with it,
    and asks Superset for a guest token as a least-privilege service user. Unknown request
    fields, a company stated by the caller, a dashboard outside the allowlist or a dataset
    its template does not filter are refused. One JSON audit line per decision on stdout.
    Secrets come from the variables embed.yaml names (docs/embedding.md).

    Example:

    \b
        export EMBED_CALLER_SECRET=$(openssl rand -base64 42)   # shared with Odoo only
        export EMBED_SUPERSET_USERNAME=embed-broker EMBED_SUPERSET_PASSWORD=...
        export EMBED_ODOO_DSN=postgresql://embed_ro:...@odoo-db/odoo?sslmode=require
        supersetctl embed serve --env prod --host 0.0.0.0 --port 8089
    """
    from supersetctl.embed import AUDIT_LOGGER, build_broker
    from supersetctl.embed import serve as run

    broker = build_broker(environment(env, url=url))
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    audit = logging.getLogger(AUDIT_LOGGER)
    audit.addHandler(handler)
    audit.setLevel(logging.INFO)
    audit.propagate = False
    write(f"embed broker for {env} on http://{host}:{port} (POST /guest-token)\n")
    run(broker, host=host, port=port)


@embed_app.command("service-user")
def service_user(env: EnvOpt = "dev", url: UrlOpt = None) -> None:
    """Create or update the broker's Superset service user, with the embed_broker role only.

    The user name and password come from the variables config/<env>/embed.yaml names under
    service_user (the ones `embed serve` logs in with); the role comes from git
    (infra/superset/provisioning/roles/embed-broker.yaml), so run `apply` first. Idempotent:
    a second run sets the password, the one role and `active` again. Runs as the
    environment's admin (its admin variables or SUPERSET_ACCESS_TOKEN).

    Example:

    \b
        supersetctl apply --env dev                       # the roles, the dashboards' embedding
        export EMBED_SUPERSET_USERNAME=embed-broker EMBED_SUPERSET_PASSWORD=$(openssl rand -hex 24)
        supersetctl embed service-user --env dev
    """
    from supersetctl import provision
    from supersetctl.embed import load_embed_config
    from supersetctl.embed.service_user import ensure_service_user

    environ = environment(env, url=url)
    names = load_embed_config(environ.paths, env).service_user
    user = environ.environ.get(names.username_env) or environ.require(
        names.username_env, why="the embedding service user"
    )  # a user name is no secret: it stays readable in the output
    password = environ.require(names.password_env, why="its password")
    with provision.client_for(environ) as client:
        made = ensure_service_user(client, user, password)
    if is_json():
        emit_json({"username": made.username, "role": made.role, "action": made.action})
        return
    write(f"{made.action} Superset user {made.username} with role {made.role} only\n")
