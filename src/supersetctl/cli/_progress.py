"""How the CLI shows the progress of long work (see :mod:`supersetctl.progress`).

On a terminal: a rich progress bar on stderr. Elsewhere (a CI log): one line per step on
stderr, with its size and when it started. With ``--format json``: nothing.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from supersetctl.cli._output import err_console, is_json
from supersetctl.progress import NO_PROGRESS, Progress


class _Lines:
    """One line per step, for logs: its name, its size, and when it started."""

    def __init__(self) -> None:
        self._started = time.monotonic()
        self._lock = threading.Lock()

    def phase(self, name: str, total: int | None = None) -> None:
        size = f" ({total})" if total is not None else ""
        with self._lock:
            sys.stderr.write(f"[{time.monotonic() - self._started:5.1f}s] {name}{size}\n")
            sys.stderr.flush()

    def advance(self, n: int = 1) -> None:
        return None

    def close(self) -> None:
        return None


class _Bar:
    """A rich progress bar, one task per step."""

    def __init__(self) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console(),
            transient=True,
        )
        self._task: Any = None
        self._bar.start()

    def phase(self, name: str, total: int | None = None) -> None:
        if self._task is not None:
            self._bar.update(self._task, completed=self._bar.tasks[-1].total or 0)
        self._task = self._bar.add_task(name, total=total)

    def advance(self, n: int = 1) -> None:
        if self._task is not None:
            self._bar.advance(self._task, n)

    def close(self) -> None:
        self._bar.stop()


@contextmanager
def progress() -> Iterator[Progress]:
    """The right Progress for where output goes; closed when the block ends."""
    if is_json():
        yield NO_PROGRESS
        return
    shown: _Lines | _Bar = _Bar() if sys.stderr.isatty() else _Lines()
    try:
        yield shown
    finally:
        shown.close()
