"""The pinned Superset runtime venv: installed from ``image/requirements.txt`` (hash-pinned,
the same file the image installs) with uv when it is there, else pip; shared between checkouts
and test sessions by the digest of that file, and guarded by a lock while it is built.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

from supersetctl import redact
from supersetctl.errors import LocalStackError
from supersetctl.fsutil import atomic_write

log = logging.getLogger(__name__)

SUPERSET_VERSION = "6.1.0"
Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


def requirements_digest(requirements: Path) -> str:
    data = requirements.read_bytes() + f"|{sys.version_info[:2]}".encode()
    return hashlib.sha256(data).hexdigest()


def _find_uv() -> str | None:
    beside = Path(sys.executable).parent / "uv"
    if beside.is_file():
        return str(beside)
    return shutil.which("uv")


def run_logged(
    argv: Sequence[str],
    *,
    log_file: Path,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
    timeout: float = 900,
    what: str,
) -> None:
    log_file.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with log_file.open("a", encoding="utf-8") as fh:
        fh.write(f"\n==> {what}\n")
        fh.flush()
        try:
            result = subprocess.run(
                list(argv),
                input=stdin,
                stdout=fh,
                stderr=subprocess.STDOUT,
                text=True,
                env=dict(env) if env is not None else None,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise LocalStackError(
                f"{what} did not finish in {timeout:.0f} s", hint=f"see {log_file}"
            ) from exc
    log.info("%s took %.1f s", what, time.monotonic() - started)
    if result.returncode != 0:
        raise LocalStackError(
            f"{what} failed (exit {result.returncode}):\n{tail(log_file, 15)}",
            hint=f"the full output is in {log_file}",
        )


def tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""
    return redact.redact("\n".join(text.splitlines()[-lines:]))


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (another process installing the same venv waits)."""

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure_venv(
    venv: Path, requirements: Path, *, log_file: Path, progress: Progress = _quiet
) -> bool:
    """Install the pinned runtime into ``venv`` unless it already matches; returns whether it did.

    A venv without the stamp (an interrupted install) is removed and rebuilt. Concurrent callers
    for the same ``venv`` wait for each other.
    """
    with _locked(venv.parent / f".{venv.name}.lock"):
        return _ensure_venv(venv, requirements, log_file=log_file, progress=progress)


def _ensure_venv(venv: Path, requirements: Path, *, log_file: Path, progress: Progress) -> bool:
    if not requirements.is_file():
        raise LocalStackError(f"{requirements} is missing", hint="run from a supersetctl repo")
    stamp = venv / ".supersetctl-requirements.sha256"
    digest = requirements_digest(requirements)
    superset_bin = venv / "bin" / "superset"
    if stamp.is_file() and stamp.read_text().strip() == digest and superset_bin.is_file():
        return False
    if venv.exists():
        progress(f"removing the incomplete or outdated runtime in {venv}")
        shutil.rmtree(venv)
    uv = _find_uv()
    progress(f"installing Superset {SUPERSET_VERSION} and its pinned dependencies (about 1 min)")
    if uv:
        run_logged(
            [uv, "venv", "--quiet", "--python", sys.executable, str(venv)],
            log_file=log_file,
            what="create the runtime venv",
        )
        run_logged(
            [
                uv,
                "pip",
                "install",
                "--python",
                str(venv / "bin" / "python"),
                "--require-hashes",
                "-r",
                str(requirements),
            ],
            log_file=log_file,
            what="install the pinned runtime (uv pip install --require-hashes)",
        )
    else:
        run_logged(
            [sys.executable, "-m", "venv", str(venv)],
            log_file=log_file,
            what="create the runtime venv",
        )
        run_logged(
            [
                str(venv / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "-q",
                "--require-hashes",
                "-r",
                str(requirements),
            ],
            log_file=log_file,
            what="install the pinned runtime (pip install --require-hashes)",
        )
    atomic_write(stamp, digest + "\n")
    return True
