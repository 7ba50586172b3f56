"""An optional Redis for the local stack (``up --with-redis``): cache, results, Celery broker.

Runs the system ``redis-server`` (or ``valkey-server``) on ``127.0.0.1:<port>``, without
persistence, as a detached process whose pid is kept in ``state/redis.pid``.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from supersetctl.errors import LocalStackError
from supersetctl.fsutil import atomic_write
from supersetctl.local.postgres import port_in_use, port_open
from supersetctl.local.process import read_pid, terminate

INSTALL_HINT = (
    "install it: Debian/Ubuntu `apt-get install redis-server`, macOS `brew install redis`"
)


def find_redis_server() -> str:
    for name in ("redis-server", "valkey-server"):
        found = shutil.which(name)
        if found:
            return found
    for candidate in ("/usr/bin/redis-server", "/opt/homebrew/bin/redis-server"):
        if Path(candidate).is_file():
            return candidate
    raise LocalStackError("no redis-server found on PATH", hint=INSTALL_HINT)


class RedisServer:
    def __init__(self, state: Path, *, port: int, host: str = "127.0.0.1") -> None:
        self.state = state
        self.port = port
        self.host = host

    @property
    def pid_file(self) -> Path:
        return self.state / "redis.pid"

    @property
    def log_file(self) -> Path:
        return self.state / "redis.log"

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def pid(self) -> int | None:
        return read_pid(self.pid_file)

    def start(self, *, timeout: float = 20) -> bool:
        if self.pid() is not None:
            return False
        if port_in_use(self.port, self.host):
            raise LocalStackError(
                f"port {self.port} on {self.host} is already in use by another program",
                hint="stop it, or pick another port (`supersetctl up --redis-port N`)",
            )
        binary = find_redis_server()
        self.state.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("a", encoding="utf-8") as fh:
            proc = subprocess.Popen(
                [
                    binary,
                    "--bind",
                    self.host,
                    "--port",
                    str(self.port),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--protected-mode",
                    "yes",
                    "--dir",
                    str(self.state),
                ],
                stdout=fh,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        atomic_write(self.pid_file, f"{proc.pid}\n")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise LocalStackError(
                    f"redis-server exited (status {proc.returncode})",
                    hint=f"see {self.log_file}",
                )
            if port_open(self.port, self.host):
                return True
            time.sleep(0.1)
        raise LocalStackError(f"redis-server does not answer on port {self.port}")

    def stop(self, *, timeout: float = 10) -> bool:
        return terminate(self.pid_file, timeout=timeout)
