"""Progress of long work, reported by library code and rendered by the CLI.

Library functions take a :class:`Progress` and call ``phase`` when a new step starts (with its
size when known) and ``advance`` as items finish; they never print. The CLI passes one that
draws a bar on a terminal, writes one line per phase in a CI log, or nothing (``--format
json``). ``NO_PROGRESS`` is the silent default.
"""

from __future__ import annotations

import threading
from typing import Protocol


class Progress(Protocol):
    def phase(self, name: str, total: int | None = None) -> None:
        """A new step starts (``total`` items, when known); the previous one is done."""

    def advance(self, n: int = 1) -> None:
        """``n`` more items of the current step are done (may be called from threads)."""

    def close(self) -> None:
        """The work is over (success or failure)."""


class _Silent:
    def phase(self, name: str, total: int | None = None) -> None:
        return None

    def advance(self, n: int = 1) -> None:
        return None

    def close(self) -> None:
        return None


NO_PROGRESS: Progress = _Silent()


class Recorder:
    """A Progress that remembers what it was told (for tests and benchmarks)."""

    def __init__(self) -> None:
        self.phases: list[tuple[str, int | None]] = []
        self.done: dict[str, int] = {}
        self._lock = threading.Lock()
        self.closed = False

    def phase(self, name: str, total: int | None = None) -> None:
        with self._lock:
            self.phases.append((name, total))
            self.done.setdefault(name, 0)

    def advance(self, n: int = 1) -> None:
        with self._lock:
            if self.phases:
                self.done[self.phases[-1][0]] += n

    def close(self) -> None:
        self.closed = True
