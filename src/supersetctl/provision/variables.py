"""``${VAR}`` interpolation in values (never keys) of provisioning files.

Non-secret names come from ``config/<env>/`` (:meth:`EnvConfig.variables`); secret names (those
:meth:`EnvConfig.secret_names` lists) from the environment's variables (an injected mapping,
never ``os.environ`` directly). ``$${`` writes a literal ``${``. Superset's own Jinja
(``{{ ... }}``) is never touched. Every secret read is registered for redaction.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from supersetctl.errors import ConfigError
from supersetctl.redact import register

VAR = re.compile(r"\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass
class Variables:
    """What ``${NAME}`` may resolve to in one environment."""

    values: Mapping[str, str]
    secret_names: frozenset[str] = frozenset()
    environ: Mapping[str, str] = field(default_factory=dict)
    config_file: str = "config/<env>/environment.yaml"  # where the names are declared

    def lookup(self, name: str) -> str | None:
        if name in self.secret_names:
            value = self.environ.get(name)
            if value:
                register(value)
            return value or None
        return self.values.get(name)

    def is_secret(self, name: str) -> bool:
        return name in self.secret_names


def names_in(text: str) -> list[str]:
    """The variable names ``text`` references (escaped ``$${X}`` excluded)."""
    return [m.group(2) for m in VAR.finditer(text) if not m.group(1)]


def _sub(text: str, resolve: Any) -> str:
    def repl(m: re.Match[str]) -> str:
        if m.group(1):
            return "${" + m.group(2) + "}"
        return str(resolve(m.group(2)))

    return VAR.sub(repl, text)


def interpolate(
    data: Any,
    variables: Variables,
    file: str,
    *,
    secret_value: Any = None,
) -> tuple[Any, set[str]]:
    """Resolve every ``${NAME}`` in the string values of ``data``.

    Returns the resolved copy and the secret names used. ``secret_value``, when given, is a
    function ``name -> str`` used for secrets instead of their value (to build a redacted
    form). Raises :class:`ConfigError` naming every missing variable and the file.
    """
    missing: set[str] = set()
    secrets: set[str] = set()

    def resolve(name: str) -> str:
        if variables.is_secret(name):
            secrets.add(name)
            if secret_value is not None:
                return str(secret_value(name))
        value = variables.lookup(name)
        if value is None:
            missing.add(name)
            return ""
        return value

    def walk(node: Any) -> Any:
        if isinstance(node, str):
            return _sub(node, resolve) if "${" in node else node
        if isinstance(node, dict):
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    out = walk(data)
    if missing:
        names = sorted(missing)
        secret = [n for n in names if variables.is_secret(n)]
        hint = (
            f"export the secret variable(s) {', '.join(secret)}"
            if secret
            else f"define them under `vars:` in {variables.config_file}"
        )
        raise ConfigError(
            f"undefined variable(s) {', '.join('${' + n + '}' for n in names)}",
            path=file,
            hint=hint,
        )
    return out, secrets
