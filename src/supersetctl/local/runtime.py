"""The Superset runtime venvs: installed from a hash-pinned lock with uv when it is there, else
pip; shared between checkouts and test sessions by the digest of that file, and guarded by a
lock while it is built.

Two locks: ``image/requirements.txt``, the pinned runtime (the same file the image installs),
and ``image/previous/requirements.txt``, the version before it, which upgrade rehearsals start
from. :func:`runtimes` lists them by Superset version; :func:`local_runtime` says which one the
local stack runs (``.local/runtime.json``, written by :func:`select_local_runtime`).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from supersetctl import redact
from supersetctl.errors import LocalStackError, UsageError
from supersetctl.fsutil import atomic_write
from supersetctl.paths import RepoPaths

log = logging.getLogger(__name__)

SUPERSET_VERSION = "6.1.0"  # the pinned runtime (image/requirements.txt)
Progress = Callable[[str], None]
LOCKS = ("requirements.txt", "previous/requirements.txt")  # under image/, newest first
VENV_ENV = "SUPERSETCTL_RUNTIME_VENV"  # the pinned runtime's venv (shared between clones)
CACHE_ENV = "SUPERSETCTL_RUNTIME_CACHE"  # a folder holding every runtime, keyed by its lock
RECORD = "runtime.json"  # under .local/: the version the local stack runs
_SUPERSET_PIN = re.compile(r"^apache-superset==([0-9][^\s;\\]*)", re.MULTILINE)


def _quiet(_: str) -> None:
    return None


def requirements_digest(requirements: Path) -> str:
    data = requirements.read_bytes() + f"|{sys.version_info[:2]}".encode()
    return hashlib.sha256(data).hexdigest()


def lock_version(requirements: Path) -> str:
    """The Superset version a lock pins (its ``apache-superset==X`` line)."""
    try:
        text = requirements.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LocalStackError(
            f"{requirements} is missing", hint="run from a supersetctl repo"
        ) from None
    found = _SUPERSET_PIN.search(text)
    if found is None:
        raise LocalStackError(f"{requirements} pins no apache-superset version")
    return found.group(1)


@dataclass(frozen=True)
class Runtime:
    """One Superset version: the lock it is installed from and the venv it is installed in."""

    version: str
    requirements: Path
    venv: Path

    @property
    def pinned(self) -> bool:
        return self.version == SUPERSET_VERSION


def runtimes(image: Path) -> dict[str, Path]:
    """Every Superset version with a lock under ``image`` (the pinned one first) -> the lock."""
    out: dict[str, Path] = {}
    for name in LOCKS:
        lock = image / name
        if lock.is_file():
            out.setdefault(lock_version(lock), lock)
    return out


def cached_venv(requirements: Path, cache: Path) -> Path:
    """One venv per lock, shared by whoever uses that cache: ``<cache>/runtime-<digest>`` for
    the pinned version (the test suite's runtime), ``<cache>/runtime-<version>-<digest>`` for
    another."""
    version = lock_version(requirements)
    tag = "" if version == SUPERSET_VERSION else f"{version}-"
    return cache / f"runtime-{tag}{requirements_digest(requirements)[:12]}"


def runtime_for(
    paths: RepoPaths, version: str | None = None, environ: Mapping[str, str] | None = None
) -> Runtime:
    """The runtime of ``version`` (default: the pinned one) for the local stack.

    Its venv: ``$SUPERSETCTL_RUNTIME_CACHE/runtime-<digest>`` when that folder is set, else
    ``.local/venv`` for the pinned version (or ``$SUPERSETCTL_RUNTIME_VENV``) and
    ``.local/venv-<version>`` for another.
    """
    environ = os.environ if environ is None else environ
    known = runtimes(paths.image)
    wanted = version or SUPERSET_VERSION
    if wanted not in known:
        raise UsageError(
            f"no runtime lock for Superset {wanted}",
            hint=f"known versions: {', '.join(known) or 'none'} (image/requirements.txt, "
            "image/previous/requirements.txt)",
        )
    lock = known[wanted]
    if wanted == SUPERSET_VERSION and environ.get(VENV_ENV):
        venv = Path(environ[VENV_ENV])
    elif environ.get(CACHE_ENV):
        venv = cached_venv(lock, Path(environ[CACHE_ENV]))
    elif wanted == SUPERSET_VERSION:
        venv = paths.local / "venv"
    else:
        venv = paths.local / f"venv-{wanted}"
    return Runtime(wanted, lock, venv)


def local_runtime(paths: RepoPaths, environ: Mapping[str, str] | None = None) -> Runtime:
    """The runtime the local stack runs: the one last selected, else the pinned one."""
    try:
        data = json.loads((paths.local / RECORD).read_text(encoding="utf-8"))
        version = str(data["version"]) if isinstance(data, dict) else None
    except (FileNotFoundError, ValueError, KeyError):
        version = None
    if version is not None and version not in runtimes(paths.image):
        log.warning(
            "the local stack's recorded runtime %s has no lock; using the pinned one", version
        )
        version = None
    return runtime_for(paths, version, environ)


def select_local_runtime(
    paths: RepoPaths,
    version: str | None,
    environ: Mapping[str, str] | None = None,
    *,
    upgrading: bool = False,
) -> Runtime:
    """Make ``version`` (default: the pinned one) the local stack's runtime from now on.

    A stack whose metadata database some version already migrated changes versions only
    through an upgrade (``upgrading``: a backup first, a roll back on failure).
    """
    runtime = runtime_for(paths, version, environ)
    current = local_runtime(paths, environ)
    migrated = (paths.local / "superset" / "bootstrap.json").is_file()
    if not upgrading and migrated and current.version != runtime.version:
        raise UsageError(
            f"the local stack runs Superset {current.version}; its metadata database is "
            f"migrated for it",
            hint=f"`supersetctl upgrade --env dev --to {runtime.version}` changes versions "
            "(a backup first, a roll back on failure); `supersetctl reset` starts over",
        )
    atomic_write(
        paths.local / RECORD,
        json.dumps({"version": runtime.version}, indent=2, sort_keys=True) + "\n",
    )
    return runtime


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
    found = _SUPERSET_PIN.search(requirements.read_text(encoding="utf-8"))
    version = found.group(1) if found else "the runtime"
    what = f"Superset {version}" if found else version
    progress(f"installing {what} and its pinned dependencies (about 1 min)")
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
