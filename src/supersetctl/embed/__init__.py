"""Embedded dashboards: the guest-token broker (``supersetctl embed serve``).

- ``config.py``: ``config/<env>/embed.yaml`` (allowlist, caller, typed RLS templates);
- ``caller.py``: the host backend's signed caller token (who the user is);
- ``companies.py``: user -> company, server side (Odoo's ``res_users``, or a file);
- ``broker.py``: the decision and the audit line;
- ``app.py``: the Starlette app on HTTP;
- ``service_user.py``: the broker's Superset user, with the embed_broker role from git.

Secrets come from environment variables only (named in ``embed.yaml``), so the broker runs the
same as an App Platform component, beside Odoo, or behind a Supabase Edge Function that
forwards to it (docs/embedding.md).
"""

from __future__ import annotations

from supersetctl.contract.environment import Environment
from supersetctl.errors import ConfigError
from supersetctl.superset.guest import GuestTokenClient

from .app import create_app, serve
from .broker import AUDIT_LOGGER, Broker, Minted
from .caller import Identity, check_secret, sign_caller, verify_caller
from .companies import CompanyDirectory, FileCompanies, OdooCompanies
from .config import EmbedConfig, embed_file, load_embed_config
from .errors import Refused


def build_broker(env: Environment, *, superset_url: str | None = None) -> Broker:
    """The broker of ``env``: its embed.yaml, and the secrets it names read from the
    environment (ConfigError naming the variable when one is missing)."""
    config = load_embed_config(env.paths, env.name)
    rel = env.paths.rel(embed_file(env.paths, env.name))
    secret = env.require(config.caller.secret_env, why="the secret caller tokens are signed with")
    try:
        check_secret(secret, config.caller.secret_env)
    except ValueError as exc:
        raise ConfigError(str(exc), path=rel) from None
    user = env.require(config.service_user.username_env, why="the embedding service user")
    password = env.require(config.service_user.password_env, why="its password")
    companies: CompanyDirectory
    if config.companies.source == "odoo":
        assert config.companies.dsn_env is not None  # the model says so
        dsn = env.require(config.companies.dsn_env, why="Odoo's database, read-only")
        companies = OdooCompanies(dsn)
    else:
        assert config.companies.file is not None
        file = env.paths.root / config.companies.file
        if not file.exists():
            raise ConfigError(f"{config.companies.file} does not exist", path=rel)
        companies = FileCompanies.load(file, env.paths.rel(file))
    client = GuestTokenClient(superset_url or env.url, user, password)
    return Broker(config, caller_secret=secret, companies=companies, superset=client)


__all__ = [
    "AUDIT_LOGGER",
    "Broker",
    "CompanyDirectory",
    "EmbedConfig",
    "FileCompanies",
    "Identity",
    "Minted",
    "OdooCompanies",
    "Refused",
    "build_broker",
    "create_app",
    "load_embed_config",
    "serve",
    "sign_caller",
    "verify_caller",
]
