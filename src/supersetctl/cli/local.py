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
from supersetctl.errors import ExitCode
from supersetctl.local.runtime import select_local_runtime
from supersetctl.local.stack import LOG_FILES, Component, LocalStack, UpResult, settings_from_config


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
    if result.skipped:
        lines += ["", "Skipped:"] + [f"  {s}" for s in result.skipped]
    lines += [
        "",
        "Stop it with `supersetctl down` (data stays); "
        "`supersetctl status`, `supersetctl logs superset`.",
    ]
    return "\n".join(lines) + "\n"


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
    """
    environ = environment(env)
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


@app.command()
def down() -> None:
    """Stop the local stack (Superset, Redis, PostgreSQL). Data in .local/ stays.

    Example:

        supersetctl down
    """
    stopped = LocalStack(state.paths()).down()
    if is_json():
        emit_json({"stopped": stopped})
    else:
        write(f"stopped: {', '.join(stopped)}\n" if stopped else "nothing was running\n")


def _status_text(components: list[Component]) -> str:
    rows = [("COMPONENT", "STATE", "PORT", "PID", "HEALTH", "DETAIL")]
    for c in components:
        rows.append(
            (c.name, c.state, str(c.port or "-"), str(c.pid or "-"), c.health, c.detail or "")
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "".join(
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() + "\n"
        for r in rows
    )


@app.command()
def status() -> None:
    """Show each local component: up or down, port, pid, health.

    Exit 0 when everything that should run is up and healthy, 1 otherwise.

    Example:

        \b
        supersetctl status
        supersetctl --format json status
    """
    components = LocalStack(state.paths()).status()
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
        typer.Argument(help=f"One of: {', '.join(LOG_FILES)} (default: postgres, superset)."),
    ] = None,
    lines: Annotated[int, typer.Option("--lines", "-n", min=1, help="Lines from the end.")] = 50,
) -> None:
    """Print the end of a local component's log (secrets masked).

    Example:

        \b
        supersetctl logs superset -n 100
        supersetctl logs bootstrap
    """
    stack = LocalStack(state.paths())
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
) -> None:
    """Stop the local stack and delete .local/ (runtime, databases, secrets). Asks first.

    Example:

        supersetctl reset --yes
    """
    stack = LocalStack(state.paths())
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
