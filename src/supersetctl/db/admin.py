"""The admin connection every ``db`` operation opens: from an environment's variables,
checked against the config, then opened through :mod:`supersetctl.pg` (a refusal is a
redacted :class:`DatabaseError`)."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

from supersetctl import pg
from supersetctl.contract.environment import Environment
from supersetctl.contract.models import EnvConfig
from supersetctl.errors import ConfigError

from .model import admin_url, role_passwords


def admin_args(env: Environment) -> tuple[str, EnvConfig, dict[str, str]]:
    """``(admin URL, config, login role -> password)`` from the environment's variables: the
    first arguments of :func:`~.access.plan`, :func:`~.access.apply` and :func:`~.verify.verify`.
    """
    cfg = env.config
    return admin_url(cfg, env.environ), cfg, role_passwords(cfg, env.environ)


def check_database(cfg: EnvConfig, conninfo: str) -> str:
    """The database the admin URL names; a ConfigError unless it is the config's primary one."""
    try:
        params = conninfo_to_dict(conninfo)
    except psycopg.ProgrammingError as exc:
        raise ConfigError(f"the admin connection URL is invalid: {exc}") from None
    dbname = str(params.get("dbname") or params.get("user") or "")
    _key, db = cfg.primary_database
    if dbname != db.database:
        raise ConfigError(
            f"the admin connection URL points at database '{dbname}', the {cfg.environment} "
            f"config at '{db.database}'",
            hint="fix the URL, or `databases.*.database` in the config",
        )
    return dbname


def connect_admin(conninfo: str, *, autocommit: bool = False) -> psycopg.Connection[Any]:
    """A connection as the admin; a refusal is a DatabaseError ``cannot connect as admin``."""
    return pg.connect(conninfo, autocommit=autocommit, failure="cannot connect as admin")
