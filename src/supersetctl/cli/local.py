"""``up``, ``down``, ``status``, ``logs``, ``reset``: the local stack, without Docker."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict
from typing import Annotated

import typer

from supersetctl.cli._app import app
from supersetctl.cli._options import EnvOpt, environment
from supersetctl.cli._output import emit_json, err_console, info, is_json, state, write
from supersetctl.contract.environment import Environment
from supersetctl.errors import ExitCode
from supersetctl.local.rehearsal import LOG_FILES as REHEARSAL_LOGS
from supersetctl.local.rehearsal import Rehearsal, rehearsal_settings
from supersetctl.local.runtime import select_local_runtime
from supersetctl.local.stack import LOG_FILES, Component, LocalStack, UpResult, settings_from_config

Stack = LocalStack | Rehearsal


def _stack(env: str) -> Stack:
    """The dev stack, or the rehearsal of ``env`` (staging) under .local/<env>/."""
    if env == "dev":
        return LocalStack(state.paths())
    if env != "staging":
        environment(env)  # an unknown name is a usage error
        info(f"only dev runs locally, and staging as the production rehearsal (got '{env}')")
        raise typer.Exit(ExitCode.USAGE)
    return Rehearsal(state.paths(), env=env)


@contextlib.contextmanager
def _progress() -> Iterator[Callable[[str], None]]:
    """A spinner on a terminal, plain timestamped lines otherwise; always on stderr."""
    started = time.monotonic()
    console = err_console()
    if console.is_terminal and not is_json():
        with console.status("starting") as status:
            last: list[tuple[str, float]] = []

            def finish() -> None:
                if last:
                    message, t0 = last[0]
                    took = time.monotonic() - t0
                    console.print(
                        f"  done: {message} ({took:.1f} s)", markup=False, highlight=False
                    )

            def update(message: str) -> None:
                finish()
                last[:] = [(message, time.monotonic())]
                status.update(message)

            yield update
            finish()
    else:

        def plain(message: str) -> None:
            info(f"[{time.monotonic() - started:5.1f}s] {message}")

        yield plain


def _summary(stack: LocalStack, result: UpResult) -> str:
    p = stack.paths
    comps = {c.name: c for c in result.components}
    pg = comps["postgres"]
    lines = [
        f"Superset is ready at {result.url} ({result.seconds:.0f} s)",
        "",
        f"  log in:    user '{result.admin_username}', password in "
        f"{p.rel(result.admin_password_file)} (cat it; it is never printed)",
        f"  health:    curl {result.url}/health",
        "",
        "What runs where:",
        f"  superset   {result.url}  pid {comps['superset'].pid}  "
        f"log {p.rel(stack.log_file('superset'))}",
        f"  postgres   127.0.0.1:{pg.port}  pid {pg.pid}  databases superset (metadata), "
        f"{stack.settings.odoo_database} (Odoo seed)  log {p.rel(stack.log_file('postgres'))}",
    ]
    if "redis" in comps:
        r = comps["redis"]
        lines.append(f"  redis      127.0.0.1:{r.port}  pid {r.pid}")
    lines += [
        f"  runtime    {p.rel(stack.venv)} (Superset {stack.runtime.version} from "
        f"{p.rel(stack.runtime.requirements)})",
        f"  secrets    {p.rel(result.env_file)} (0600; every command with --env dev reads it)",
    ]
    return _summary_end(lines, result)


def _summary_end(lines: list[str], result: UpResult, env: str = "") -> str:
    flag = f" --env {env}" if env else ""
    if result.skipped:
        lines += ["", "Skipped:"] + [f"  {s}" for s in result.skipped]
    lines += [
        "",
        f"Stop it with `supersetctl down{flag}` (data stays); "
        f"`supersetctl status{flag}`, `supersetctl logs{flag} {'web' if env else 'superset'}`.",
    ]
    return "\n".join(lines) + "\n"


def _rehearsal_summary(r: Rehearsal, result: UpResult) -> str:
    p = r.paths
    lines = [
        f"The {r.settings.env} rehearsal is ready at {result.url} ({result.seconds:.0f} s): "
        "the app spec's processes, SUPERSET_ENV=prod, TLS to PostgreSQL and Redis",
        "",
        f"  log in:    user '{result.admin_username}', password in "
        f"{p.rel(result.admin_password_file)} (cat it; it is never printed)",
        f'  CA:        {p.rel(r.tls.ca_file)} (psql "sslmode=verify-full sslrootcert=...")',
        "",
        "What runs where:",
    ]
    for c in result.components:
        lines.append(f"  {c.name:<9}  {c.state:<4}  pid {c.pid or '-':<7}  {c.detail}")
    lines.append(f"  secrets    {p.rel(result.env_file)} (0600)")
    return _summary_end(lines, result, r.settings.env)


@app.command()
def up(
    env: EnvOpt = "dev",
    port: Annotated[
        int | None, typer.Option("--port", help="Superset port (default: from config/dev).")
    ] = None,
    pg_port: Annotated[
        int | None, typer.Option("--pg-port", help="PostgreSQL port (default: from config/dev).")
    ] = None,
    scale: Annotated[
        int | None,
        typer.Option("--scale", min=1, max=1000, help="Seed data size (1: ~2k order lines)."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, max=16, help="gunicorn workers (default 1).")
    ] = None,
    with_redis: Annotated[
        bool, typer.Option("--with-redis", help="Also run Redis (cache, results) like prod.")
    ] = False,
    redis_port: Annotated[
        int | None, typer.Option("--redis-port", help="Redis port (default 6389).")
    ] = None,
    superset_version: Annotated[
        str | None,
        typer.Option(
            "--superset-version",
            help="Run another Superset version that has a lock (image/previous/: the one "
            "before the pin, for upgrade rehearsals). Default: the one the stack runs.",
        ),
    ] = None,
) -> None:
    """Run the whole stack on this machine, without Docker: PostgreSQL, seed data, Superset.

    With --env staging, rehearse production instead (under .local/staging/, its own ports):
    the app spec's web, Celery worker and beat and PRE_DEPLOY job, SUPERSET_ENV=prod, TLS-only
    PostgreSQL and Redis verified against a CA it makes, staging's masking, the read-only gate
    and provisioning. --workers and --with-redis are the dev stack's (the spec decides those).

    Builds under .local/ (gitignored): the pinned Superset runtime, a PostgreSQL cluster with
    the metadata database and odoo_dev (seed data), Superset bootstrapped with a generated admin
    password (0600 file), gunicorn on 127.0.0.1, then waits until /health says OK. Running it
    again reuses everything (seconds). Progress goes to stderr, the summary to stdout.

    Example:

        \b
        supersetctl up
        supersetctl up --port 8090 --pg-port 54330 --scale 10
        supersetctl --format json up
        supersetctl up --superset-version 6.0.0   # then: supersetctl upgrade --env dev
        supersetctl up --env staging        # the production rehearsal (make rehearse)
    """
    environ = environment(env)
    if env != "dev":
        _up_rehearsal(environ, port, pg_port, redis_port, scale, dev_only=(workers, with_redis))
        return
    if superset_version is not None:
        select_local_runtime(environ.paths, superset_version)
    previous = LocalStack(environ.paths).recorded()
    settings = settings_from_config(
        environ,
        superset_port=port,
        pg_port=pg_port,
        scale=scale if scale is not None else (previous.scale if previous else None),
        workers=workers,
        with_redis=with_redis,
        redis_port=redis_port,
    )
    stack = LocalStack(environ.paths, settings)
    with _progress() as progress:
        result = stack.up(progress=progress, env=environ)
    if is_json():
        emit_json(result.to_dict())
    else:
        write(_summary(stack, result))


def _up_rehearsal(
    environ: Environment,
    port: int | None,
    pg_port: int | None,
    redis_port: int | None,
    scale: int | None,
    *,
    dev_only: tuple[int | None, bool],
) -> None:
    if dev_only != (None, False):
        info("--workers and --with-redis are the dev stack's: the app spec decides them")
        raise typer.Exit(ExitCode.USAGE)
    previous = Rehearsal(environ.paths, env=environ.name).recorded()
    settings = rehearsal_settings(
        environ,
        superset_port=port,
        pg_port=pg_port,
        redis_port=redis_port,
        scale=scale if scale is not None else (previous.scale if previous else None),
    )
    r = Rehearsal(environ.paths, settings)
    with _progress() as progress:
        result = r.up(environ, progress=progress)
    if is_json():
        emit_json(result.to_dict())
    else:
        write(_rehearsal_summary(r, result))


@app.command()
def down(env: EnvOpt = "dev") -> None:
    """Stop the local stack (Superset, Redis, PostgreSQL). Data in .local/ stays.

    With --env staging, stop the production rehearsal (web, worker, beat, Redis, PostgreSQL).

    Example:

        \b
        supersetctl down
        supersetctl down --env staging
    """
    stopped = _stack(env).down()
    if is_json():
        emit_json({"stopped": stopped})
    else:
        write(f"stopped: {', '.join(stopped)}\n" if stopped else "nothing was running\n")


def _status_text(components: list[Component]) -> str:
    tls = any(c.tls is not None for c in components)
    rows = [("COMPONENT", "STATE", "PORT", "PID", "HEALTH") + (("TLS",) if tls else ()) +
            ("DETAIL",)]  # fmt: skip
    for c in components:
        said = ({True: "on", False: "off", None: "-"}[c.tls],) if tls else ()
        rows.append(
            (
                c.name,
                c.state,
                str(c.port or "-"),
                str(c.pid or "-"),
                c.health,
                *said,
                c.detail or "",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "".join(
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() + "\n"
        for r in rows
    )


@app.command()
def status(env: EnvOpt = "dev") -> None:
    """Show each local component: up or down, port, pid, health.

    With --env staging, the production rehearsal's: postgres, redis (both TLS only), web,
    worker, beat. Exit 0 when everything that should run is up and healthy, 1 otherwise.

    Example:

        \b
        supersetctl status
        supersetctl status --env staging
        supersetctl --format json status
    """
    components = _stack(env).status()
    if is_json():
        emit_json({"components": [asdict(c) for c in components]})
    else:
        write(_status_text(components))
    healthy = all(c.state == "up" and c.health == "ok" for c in components)
    raise typer.Exit(ExitCode.OK if healthy else ExitCode.FINDINGS)


@app.command()
def logs(
    component: Annotated[
        str | None,
        typer.Argument(
            help=f"One of: {', '.join(LOG_FILES)} (default: postgres, superset); with "
            f"--env staging one of: {', '.join(REHEARSAL_LOGS)} (default: web, worker, beat)."
        ),
    ] = None,
    lines: Annotated[int, typer.Option("--lines", "-n", min=1, help="Lines from the end.")] = 50,
    env: EnvOpt = "dev",
) -> None:
    """Print the end of a local component's log (secrets masked).

    Example:

        \b
        supersetctl logs superset -n 100
        supersetctl logs bootstrap
        supersetctl logs worker --env staging
    """
    stack = _stack(env)
    tails = stack.logs(component, lines=lines)
    if is_json():
        emit_json({"logs": tails})
        return
    for name, text in tails.items():
        if component is None:
            write(f"==> {name} ({stack.paths.rel(stack.log_file(name))}) <==\n")
        write(text + ("\n" if text else f"(no log yet at {stack.log_file(name)})\n"))


@app.command()
def reset(
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
    env: EnvOpt = "dev",
) -> None:
    """Stop the local stack and delete .local/ (runtime, databases, secrets). Asks first.

    With --env staging, stop the production rehearsal and delete .local/staging/ only (the
    dev stack and the runtime stay).

    Example:

        \b
        supersetctl reset --yes
        supersetctl reset --env staging --yes
    """
    stack = _stack(env)
    if not stack.root.exists():
        write("nothing to reset\n")
        return
    if not yes:
        if not sys.stdin.isatty():
            info("refusing to delete .local/ without --yes (stdin is not a terminal)")
            raise typer.Exit(ExitCode.USAGE)
        typer.confirm(
            f"Delete {stack.root} (databases, Superset state, secrets, runtime)?", abort=True
        )
    stack.reset()
    if is_json():
        emit_json({"reset": str(stack.root)})
    else:
        write(f"deleted {stack.paths.rel(stack.root)}\n")
