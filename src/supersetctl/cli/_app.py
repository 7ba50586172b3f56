"""The root typer app, global options and the error handler."""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Annotated

import typer

from supersetctl import __version__
from supersetctl.cli._output import Format, State, emit_json, err_console, is_json, state
from supersetctl.errors import ExitCode, SupersetctlError
from supersetctl.redact import RedactingFilter, redact, register_env

app = typer.Typer(
    name="supersetctl",
    help=(
        "Run Apache Superset as governed, reproducible BI on top of an Odoo ERP.\n\n"
        "Exit codes: 0 ok, 1 findings or failure, 2 usage or configuration error, "
        "130 interrupted."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"supersetctl {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    fmt: Annotated[
        Format,
        typer.Option(
            "--format",
            "-f",
            envvar="SUPERSETCTL_FORMAT",
            help="Output format: text for people, json for machines.",
            case_sensitive=False,
        ),
    ] = Format.text,
    repo: Annotated[
        Path | None,
        typer.Option(
            "--repo",
            envvar="SUPERSETCTL_REPO",
            help="The repo root (default: found from the current folder upwards).",
            file_okay=False,
        ),
    ] = None,
    verbose: Annotated[
        int,
        typer.Option("--verbose", "-v", count=True, help="More logging to stderr (-vv: debug)."),
    ] = 0,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    state.format = fmt
    state.repo = repo
    # every secret-named variable of the environment is masked in all output from here on
    register_env()
    level = logging.WARNING - 10 * min(verbose, 2)
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def _crash_log(exc: BaseException) -> Path:
    folder = Path(tempfile.gettempdir()) / "supersetctl"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = folder / f"crash-{stamp}-{os.getpid()}.log"
    text = "".join(traceback.format_exception(exc))
    path.write_text(
        redact(f"supersetctl {__version__}, Python {sys.version}\nargv: {sys.argv}\n\n{text}"),
        encoding="utf-8",
    )
    return path


# what a bad URL or endpoint raises in the HTTP and S3 libraries (matched by name, so that a
# command that never makes a request does not import them to catch their errors)
_BAD_ADDRESS = {
    ("httpx", "InvalidURL"),
    ("httpx", "UnsupportedProtocol"),
    ("botocore.exceptions", "InvalidEndpointConfigurationError"),
}


def _outside_error(exc: Exception) -> tuple[str, int] | None:
    """A message and exit code for failures that are no bug of ours: a URL or endpoint that
    is not one (usage, 2), or the system refusing a file or a TLS setting (1)."""
    kind = type(exc)
    if (kind.__module__.split("._")[0], kind.__name__) in _BAD_ADDRESS or (
        isinstance(exc, ValueError) and str(exc).startswith("Invalid endpoint")  # botocore
    ):
        return f"not a usable URL: {exc}", ExitCode.USAGE
    if isinstance(exc, OSError):
        where = f": {exc.filename}" if getattr(exc, "filename", None) else ""
        return f"{exc.strerror or exc}{where}", ExitCode.FINDINGS
    return None


def _json_error(
    message: str,
    code: int,
    kind: str,
    hint: str | None = None,
    path: str | None = None,
    line: int | None = None,
) -> None:
    """With --format json, a failure is a JSON document on stdout too (the message stays on
    stderr), so a script reading stdout always gets one."""
    if not is_json():
        return
    error = {"message": message, "type": kind, "exit_code": int(code), "hint": hint}
    error.update({"path": path, "line": line} if path else {})
    emit_json({"error": error})


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and return (or exit with) the exit code."""
    command = typer.main.get_command(app)
    code: int
    try:
        result = command.main(args=argv, prog_name="supersetctl", standalone_mode=False)
        code = int(result) if isinstance(result, int) else 0
    except typer.Exit as exc:
        code = exc.exit_code
    except typer.TyperException as exc:  # typer's usage errors: bad flag, unknown command
        exc.show(file=sys.stderr)  # type: ignore[attr-defined]
        code = ExitCode.USAGE
    except (typer.Abort, KeyboardInterrupt):
        err_console().print("interrupted")
        code = ExitCode.INTERRUPTED
    except SupersetctlError as exc:
        err_console().print(f"error: {redact(str(exc))}", markup=False, highlight=False)
        code = exc.exit_code
        _json_error(exc.message, code, type(exc).__name__, exc.hint, getattr(exc, "path", None),
                    getattr(exc, "line", None))  # fmt: skip
    except Exception as exc:  # a bug: the traceback goes to a file, not the screen
        known = _outside_error(exc)
        if known is not None:
            err_console().print(f"error: {redact(known[0])}", markup=False, highlight=False)
            code = known[1]
            _json_error(known[0], code, type(exc).__name__)
            if argv is None:
                sys.exit(code)
            return code
        log = _crash_log(exc)
        err_console().print(
            f"internal error: {redact(type(exc).__name__ + ': ' + str(exc))}\n"
            f"the traceback is in {log}; please report it",
            markup=False,
            highlight=False,
        )
        code = ExitCode.INTERNAL
    if argv is None:
        sys.exit(code)
    return code


__all__ = ["State", "app", "main"]
