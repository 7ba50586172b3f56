"""Background processes of the production rehearsal besides the web server: the Celery worker
and beat, each started detached in its own session, tracked by a pid file, logging to a file.

Readiness comes from the process's own log: Celery prints ``celery@HOST ready.`` once the
worker consumes from the broker, and beat ``beat: Starting...`` once it schedules. Only what
the log says since the last start counts.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from supersetctl.errors import LocalStackError
from supersetctl.fsutil import atomic_write
from supersetctl.local.process import read_pid, terminate
from supersetctl.local.runtime import tail

START_MARK = "==> starting "


@dataclass(frozen=True)
class Service:
    """One detached process: ``<state>/<name>.pid`` and ``<state>/<name>.log``."""

    name: str
    state: Path
    ready_text: str  # what its log says once it works

    @property
    def pid_file(self) -> Path:
        return self.state / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return self.state / f"{self.name}.log"

    def pid(self) -> int | None:
        return read_pid(self.pid_file)

    def _since_start(self) -> str:
        try:
            text = self.log_file.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""
        return text[text.rfind(START_MARK) :] if START_MARK in text else text

    def ready(self) -> bool:
        """Whether it runs and its log says it is ready since it last started."""
        return self.pid() is not None and self.ready_text in self._since_start()

    def start(self, argv: Sequence[str], *, env: Mapping[str, str], cwd: Path) -> bool:
        """Start it unless it runs; returns whether it started."""
        if self.pid() is not None:
            return False
        with contextlib.suppress(FileNotFoundError):
            self.pid_file.unlink()
        self.state.mkdir(parents=True, exist_ok=True)
        cwd.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("a", encoding="utf-8") as fh:
            fh.write(f"\n{START_MARK}{self.name}: {' '.join(argv)}\n")
            fh.flush()
            try:
                proc = subprocess.Popen(
                    list(argv),
                    stdout=fh,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    env=dict(env),
                    cwd=cwd,
                    start_new_session=True,
                )
            except OSError as exc:
                raise LocalStackError(
                    f"cannot start {self.name} ({argv[0]}): {exc.strerror}",
                    hint="is the Superset runtime installed? `supersetctl up` installs it",
                ) from None
        atomic_write(self.pid_file, f"{proc.pid}\n")
        return True

    def wait_ready(self, *, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.pid() is None:
                raise LocalStackError(
                    f"{self.name} exited before it was ready:\n{tail(self.log_file, 20)}",
                    hint=f"the full log is {self.log_file}",
                )
            if self.ready_text in self._since_start():
                return
            time.sleep(0.5)
        raise LocalStackError(
            f"{self.name} was not ready within {timeout:.0f} s", hint=f"see {self.log_file}"
        )

    def stop(self, *, timeout: float = 30) -> bool:
        """TERM (Celery's warm shutdown), KILL to the process group after ``timeout``."""
        return terminate(self.pid_file, timeout=timeout, kill_group=True)
