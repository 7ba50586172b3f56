"""The App Platform spec as processes on this machine: what the production rehearsal runs.

``infra/superset/do-app-spec.yaml`` says how production runs: each component's ``run_command``,
the PRE_DEPLOY job, and the environment variables of the app and of each component. This
module turns it into :class:`RunComponent` values (pure: no process is started here):

- the web service runs its ``run_command`` with the bind address changed to this machine's
  host and port (``--bind 0.0.0.0:8088`` -> ``--bind 127.0.0.1:PORT``); every other flag stays;
- workers (Celery worker, beat) and jobs run theirs unchanged, except that a path under
  ``/tmp/`` (beat's schedule file) moves into the rehearsal's own folder, so two rehearsals
  on one machine never share it;
- each component's environment holds only the variables the spec names (app-level, then the
  component's own: the component wins) and those the env template
  (``infra/superset/env/.env.superset.example``) names, plus the few a process needs to exist
  (:data:`PROCESS_NAMES`) and those the image sets (:data:`IMAGE_NAMES`). Values come from the
  spec; App Platform's bindable variables (``${metadata.DATABASE_URL}``) and unset SECRET
  variables from the rehearsal (:func:`component_env`).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from supersetctl.contract.appspec import AppSpec, EnvScope, EnvType, EnvVar, JobKind
from supersetctl.errors import ConfigError, LocalStackError

Role = Literal["web", "worker", "beat", "job"]

# What any process needs to exist, taken from the invoking shell (nothing Superset reads).
PROCESS_NAMES = frozenset({"PATH", "HOME", "USER", "LANG", "LC_ALL", "TZ", "TMPDIR"})
# What the image sets itself (image/Dockerfile ENV, and the upstream image's SUPERSET_HOME).
IMAGE_NAMES = frozenset({"SUPERSET_CONFIG_PATH", "SUPERSET_HOME", "PYTHONUNBUFFERED"})

_BINDABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_.-]*)\}")
_BIND_FLAGS = ("--bind", "-b")


@dataclass(frozen=True)
class RunComponent:
    """One process (or job) of the spec, as the rehearsal runs it."""

    name: str  # the spec's component name (web, celery-worker, ...)
    role: Role
    command: str  # the spec's run_command, as written
    argv: tuple[str, ...]  # what runs here (``sh -c`` for a command with && or ;)
    envs: tuple[EnvVar, ...]  # the spec's variables for it: app-level, then its own

    @property
    def env_names(self) -> frozenset[str]:
        return frozenset(e.key for e in self.envs)


def load_spec(path: Path, display: str) -> AppSpec:
    """The app spec, validated; a ConfigError naming the file when it is not valid."""
    from pydantic import ValidationError

    from supersetctl.yamlio import load_document

    doc = load_document(path, display)
    try:
        return AppSpec.model_validate(doc.data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(
            f"the app spec is not valid: {where}: {first['msg']}",
            path=display,
            hint="`supersetctl validate` lists every problem",
        ) from None


def _role(kind: str, command: str, http_port: int | None) -> Role:
    if kind == "services":
        return "web"
    if kind == "jobs":
        return "job"
    words = shlex.split(command)
    return "beat" if "beat" in words else "worker"


def adapt_command(
    command: str,
    *,
    role: Role,
    bind: str,
    state: Path,
    web_tls: tuple[Path, Path] | None = None,
) -> tuple[str, ...]:
    """The argv that runs ``command`` here: the web bind address replaced by ``bind``, paths
    under /tmp/ moved under ``state``/tmp/. A command with shell operators runs by ``sh -c``
    (as App Platform runs it), unchanged but for the same two adaptations. ``web_tls``
    (certificate, key) makes gunicorn serve HTTPS: App Platform's edge ends TLS in front of
    the web service, so the app sees https (secure cookies work); here gunicorn ends it."""
    tmp = str(state / "tmp")
    if re.search(r"&&|\|\||;|\|", command):
        adapted = re.sub(r"(?<![\w/])/tmp/", tmp + "/", command)
        return ("/bin/sh", "-c", adapted)
    words = shlex.split(command)
    tls = ["--certfile", str(web_tls[0]), "--keyfile", str(web_tls[1])] if web_tls else []
    out: list[str] = []
    skip = False
    for i, word in enumerate(words):
        if skip:
            skip = False
            continue
        if role == "web" and word in _BIND_FLAGS and i + 1 < len(words):
            out += [word, bind, *tls]
            skip = True
            continue
        if role == "web" and word.startswith("--bind="):
            out += [f"--bind={bind}", *tls]
            continue
        if word.startswith("/tmp/"):  # noqa: S108 (moved out of /tmp, not used there)
            word = tmp + word[4:]
        out.append(word)
    if role == "web" and not any(w in _BIND_FLAGS or w.startswith("--bind=") for w in words):
        out[1:1] = ["--bind", bind, *tls]
    return tuple(out)


def run_components(
    spec: AppSpec, *, bind: str, state: Path, web_tls: tuple[Path, Path] | None = None
) -> list[RunComponent]:
    """Every component of the spec with a run_command, web first, the PRE_DEPLOY jobs last."""
    out: list[RunComponent] = []
    app_envs = [e for e in spec.envs if e.scope is not EnvScope.BUILD_TIME]
    for kind, _, comp in spec.components():
        if kind == "jobs" and getattr(comp, "kind", None) is not JobKind.PRE_DEPLOY:
            continue
        if not comp.run_command:
            raise ConfigError(
                f"component {comp.name} has no run_command: the rehearsal runs each "
                "component's run_command",
                path="infra/superset/do-app-spec.yaml",
                hint="give it the run_command App Platform runs",
            )
        command = " ".join(comp.run_command.split())
        role = _role(kind, command, getattr(comp, "http_port", None))
        own = [e for e in comp.envs if e.scope is not EnvScope.BUILD_TIME]
        names = {e.key for e in own}
        envs = tuple([e for e in app_envs if e.key not in names] + own)
        out.append(
            RunComponent(
                comp.name, role, command,
                adapt_command(command, role=role, bind=bind, state=state, web_tls=web_tls),
                envs,
            )
        )  # fmt: skip
    return out


def pick(components: list[RunComponent], role: Role) -> list[RunComponent]:
    return [c for c in components if c.role == role]


def resolve_value(var: EnvVar, *, bindings: Mapping[str, str], secrets: Mapping[str, str]) -> str:
    """The value App Platform would give ``var``: its bindable variables replaced; an unset
    SECRET (or one holding DigitalOcean's encrypted form) from ``secrets``."""
    raw = var.value
    if var.type is EnvType.SECRET and (raw is None or raw.startswith("EV[")):
        if var.key not in secrets:
            raise LocalStackError(
                f"the spec's SECRET {var.key} has no value in the rehearsal",
                hint="the rehearsal generates the secrets the spec names; this one is new: "
                "teach supersetctl.local.rehearsal about it",
            )
        return secrets[var.key]
    if raw is None:
        return ""

    def bind(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in bindings:
            raise LocalStackError(
                f"the spec binds ${{{name}}} (in {var.key}), which the rehearsal does not provide",
                hint=f"it provides: {', '.join(sorted(bindings))}",
            )
        return bindings[name]

    return _BINDABLE.sub(bind, raw)


def component_env(
    comp: RunComponent,
    *,
    template_names: frozenset[str],
    bindings: Mapping[str, str],
    secrets: Mapping[str, str],
    local: Mapping[str, str],
    process: Mapping[str, str],
) -> dict[str, str]:
    """The environment of ``comp``: the spec's variables (resolved), then ``local`` values
    for names the template (or the image) declares, then the process basics from
    ``process`` (the invoking shell). ``local`` naming anything else is refused: the
    rehearsal may not hand the runtime a variable production does not have."""
    allowed = comp.env_names | template_names | IMAGE_NAMES
    stray = sorted(set(local) - allowed)
    if stray:
        raise LocalStackError(
            f"the rehearsal would set {', '.join(stray)}, which neither the spec nor the env "
            "template names",
            hint="declare it in infra/superset/env/.env.superset.example first",
        )
    env = {k: v for k, v in process.items() if k in PROCESS_NAMES}
    env.update(local)
    for var in comp.envs:
        env[var.key] = resolve_value(var, bindings=bindings, secrets=secrets)
    return env


def template_names(text: str) -> frozenset[str]:
    """The variable names an env template (``NAME=value`` lines) declares."""
    from supersetctl.contract.rules_env import env_template_entries

    return frozenset(env_template_entries(text))
