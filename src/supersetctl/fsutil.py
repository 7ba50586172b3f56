"""Safe file writes: a temp file and a rename, and all-or-nothing for several files."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

from supersetctl.errors import SupersetctlError

T = TypeVar("T")


def atomic_write(path: Path, text: str, *, mode: int | None = None) -> None:
    """Write ``text`` to ``path`` through a temp file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            Path(tmp).chmod(mode)
        elif path.exists():
            Path(tmp).chmod(path.stat().st_mode & 0o7777)
        else:
            Path(tmp).chmod(0o644)
        Path(tmp).replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            Path(tmp).unlink()
        raise


def atomic_write_many(files: Mapping[Path, str]) -> None:
    """Write every file or none: on any failure the files that were replaced are put back."""
    originals: dict[Path, str | None] = {}
    for path in files:
        originals[path] = path.read_text(encoding="utf-8") if path.exists() else None
    done: list[Path] = []
    try:
        for path, text in files.items():
            atomic_write(path, text)
            done.append(path)
    except BaseException:
        for path in reversed(done):
            old = originals[path]
            if old is None:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
            else:
                atomic_write(path, old)
        raise


def report_to(
    path: Path | None,
    make: Callable[[], T],
    render: Callable[[T], str],
    render_error: Callable[[str], str],
) -> T:
    """``make()``, and with ``path`` its result rendered into that file (a pull request
    comment, a job summary). When ``make`` raises one of supersetctl's errors, its message is
    rendered there first, so the report says why, and the error goes on."""
    try:
        result = make()
    except SupersetctlError as exc:
        if path is not None:
            atomic_write(path, render_error(str(exc)))
        raise
    if path is not None:
        atomic_write(path, render(result))
    return result
