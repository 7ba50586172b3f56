"""A deadline for Playwright calls that have none of their own.

Some of Playwright's calls never time out (``page.close()``, ``context.new_page()``,
``page.evaluate()``, ``browser.close()``), and one was seen to wait forever. A block run under
:func:`watchdog` that has not ended by its deadline gets the browser killed: the call it is
stuck in then fails (the browser is gone), and the block's error becomes a
:class:`BrowserStalled` naming what stalled, instead of a run that never ends.

Killing the browser means the Chromium processes under Playwright's driver (a child of this
process); nothing else this process started (the scratch Superset) is touched. They are found
in ``/proc`` (Linux); elsewhere the deadline only logs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

from supersetctl.errors import BrowserError

log = logging.getLogger(__name__)

_PROC = Path("/proc")


class BrowserStalled(BrowserError):
    """A browser call did not return by its deadline; the browser was killed."""


def _parents() -> dict[int, int]:
    """pid -> parent pid of every process (psutil is not a dependency for one walk of /proc)."""
    out: dict[int, int] = {}
    for stat in _PROC.glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the process ended while being read
            continue
        # "pid (command) state ppid ...": the command may hold spaces and parentheses
        fields = text[text.rindex(")") + 2 :].split()
        out[int(stat.parent.name)] = int(fields[1])
    return out


def _is_driver(pid: int) -> bool:
    try:
        return b"run-driver" in (_PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return False


def browser_pids() -> list[int]:
    """The processes under the Playwright driver(s) this process started."""
    me = os.getpid()
    parents = _parents()
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    todo = [pid for pid in children.get(me, []) if _is_driver(pid)]
    found: list[int] = []
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return sorted(found)


def kill_browsers() -> int:
    """SIGKILL every browser process under this process's Playwright driver; how many."""
    killed = 0
    for pid in browser_pids():
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
            killed += 1
    return killed


@contextlib.contextmanager
def watchdog(seconds: float, what: str) -> Iterator[None]:
    """Run the block; past ``seconds`` the browser is killed and the block's error (the
    stuck call fails once the browser is gone) becomes a :class:`BrowserStalled`; so does a
    block that ended as the deadline passed, since its browser is gone too."""
    fired = threading.Event()

    def fire() -> None:
        fired.set()
        log.warning("%s: no answer from the browser in %.0f s; stopping it", what, seconds)
        log.debug("killed %d browser process(es)", kill_browsers())

    def stalled() -> BrowserStalled:
        return BrowserStalled(
            f"{what}: the browser stopped answering for {seconds:.0f} s and was stopped",
            hint="run again; if it keeps happening, run with -vv and report the log",
        )

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    try:
        yield
    except Exception as exc:
        if fired.is_set():
            raise stalled() from exc
        raise
    finally:
        timer.cancel()
    if fired.is_set():  # the block ended just as the deadline passed: the browser is gone all
        raise stalled()  # the same, and the caller must start another
