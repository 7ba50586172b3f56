"""One environment, loaded once per command and passed down.

An :class:`Environment` is the typed ``config/<env>/environment.yaml`` plus the variables the
process was given (its secrets and ``SUPERSETCTL_VAR_*`` overrides), read from one injected
mapping: no library code reads ``os.environ`` for a secret. For ``dev`` the mapping is the
shell's environment completed by ``.local/dev.env`` (what ``supersetctl up`` writes), so every
command reaches the local stack right after ``make up``; a variable the shell sets wins.

::

    env = load_environment(repo(), "dev")          # ConfigError / UsageError (exit 2) if bad
    env.url, env.strict, env.config.databases
    env.secret("ODOO_RO_PASSWORD")                 # None when unset; registered for redaction
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from supersetctl import redact
from supersetctl.errors import ConfigError, UsageError
from supersetctl.paths import ENVIRONMENTS, RepoPaths

from .loader import load_env_config
from .models import EnvConfig

VAR_OVERRIDE_PREFIX = "SUPERSETCTL_VAR_"
DEFAULT_OWNER = "supersetctl"


@dataclass(frozen=True)
class Environment:
    """Everything a command needs to know about one environment."""

    name: str
    paths: RepoPaths
    config: EnvConfig
    environ: Mapping[str, str] = field(repr=False, default_factory=dict)
    url_override: str | None = None
    env_file: Path | None = None  # the .local/<env>.env that completed ``environ``, if any

    @property
    def url(self) -> str:
        """The Superset base URL: ``--url``, else ``SUPERSETCTL_VAR_SUPERSET_URL`` (like every
        derived variable, ``SUPERSET_URL`` may be overridden: a tunnel, an internal address, a
        stand-in), else ``superset.url``."""
        override = self.url_override or self.var_overrides().get("SUPERSET_URL")
        return (override or self.config.superset.url).rstrip("/")

    @property
    def strict(self) -> bool:
        """Whether the database access model must pass ``db verify`` before provisioning."""
        return self.config.flags.strict_read_only

    @property
    def owner(self) -> str:
        """The id this repo's managed assets carry (``provisioning.owner``)."""
        return self.config.provisioning.owner or DEFAULT_OWNER

    @property
    def config_file(self) -> str:
        return self.paths.rel(self.paths.env_config(self.name))

    def secret(self, name: str) -> str | None:
        """The value of the variable ``name`` (None when unset or empty), registered for
        redaction."""
        value = self.environ.get(name) or None
        if value is not None:
            redact.register(value)
        return value

    def require(self, name: str, *, why: str) -> str:
        """``secret(name)``, or a ConfigError saying which variable to set and what for."""
        value = self.secret(name)
        if value is None:
            where = (
                f" (or run `supersetctl up`: it writes {self.paths.rel(self.paths.local)}/dev.env)"
            )
            raise ConfigError(
                f"{name} is not set: {why}",
                path=self.config_file,
                hint=f"export {name}" + (where if self.name == "dev" else ""),
            )
        return value

    def var_overrides(self) -> dict[str, str]:
        """``SUPERSETCTL_VAR_<NAME>`` values, by ``<NAME>`` (a local stack on other ports)."""
        n = len(VAR_OVERRIDE_PREFIX)
        return {
            key[n:]: value
            for key, value in self.environ.items()
            if key.startswith(VAR_OVERRIDE_PREFIX) and len(key) > n
        }

    def values(self) -> dict[str, str]:
        """Every non-secret ``${VAR}`` value: config, then ``SUPERSETCTL_VAR_*`` overrides."""
        return {**self.config.variables(), **self.var_overrides()}

    def with_environ(self, extra: Mapping[str, str]) -> Environment:
        """The same environment with more variables (``extra`` wins)."""
        return Environment(
            self.name,
            self.paths,
            self.config,
            MappingProxyType({**self.environ, **extra}),
            self.url_override,
            self.env_file,
        )


def check_name(name: str) -> str:
    """``name`` if it is an environment, else a usage error (the one place that says so)."""
    if name not in ENVIRONMENTS:
        raise UsageError(f"unknown environment '{name}'", hint=f"use {', '.join(ENVIRONMENTS)}")
    return name


def read_env_file(path: Path) -> dict[str, str]:
    """``NAME=value`` lines of a shell env file (``#`` comments, shell quoting); {} if absent.

    Written by hand rather than with python-dotenv: the file is ours (``supersetctl up``
    writes it with shell quoting), and shlex reads that quoting exactly.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}", path=str(path)) from None
    out: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, raw = line.removeprefix("export ").partition("=")
        if not sep or not name.strip().isidentifier():
            raise ConfigError(
                "not a NAME=value line", path=str(path), line=number, hint="or delete the file"
            )
        try:
            parts = shlex.split(raw, comments=False, posix=True)
        except ValueError as exc:
            raise ConfigError(f"bad quoting: {exc}", path=str(path), line=number) from None
        out[name.strip()] = " ".join(parts)
    return out


def load_environment(
    paths: RepoPaths,
    name: str,
    *,
    environ: Mapping[str, str] | None = None,
    url: str | None = None,
) -> Environment:
    """Load ``config/<name>/environment.yaml`` once, with the variables of ``environ`` (the
    process environment by default). For ``dev``, ``.local/dev.env`` fills in any variable
    ``environ`` does not set."""
    check_name(name)
    config = load_env_config(paths, name)
    given = dict(os.environ if environ is None else environ)
    env_file: Path | None = None
    if name == "dev":
        candidate = paths.local / "dev.env"
        local = read_env_file(candidate)
        if local:
            env_file = candidate
            for key, value in local.items():
                given.setdefault(key, value)
    env = Environment(name, paths, config, MappingProxyType(given), url, env_file)
    # every secret it holds is masked in all output from here on (a user name is no secret)
    for secret in config.secret_names() - {config.superset.admin_username_env}:
        env.secret(secret)
    return env
