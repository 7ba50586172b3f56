"""An optional Redis for the local stack (``up --with-redis``): cache, results, Celery broker.

Runs the system ``redis-server`` (or ``valkey-server``) on ``127.0.0.1:<port>``, without
persistence, as a detached process whose pid is kept in ``state/redis.pid``.

With ``tls`` (the production rehearsal) it listens on TLS only, with a certificate of the local
CA, and asks for a password, like DigitalOcean's managed Valkey: ``rediss://default:PW@...``.
Its settings then go through ``state/redis.conf`` (0600), so the password is never on a
command line.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from supersetctl import redact
from supersetctl.errors import LocalStackError
from supersetctl.fsutil import atomic_write
from supersetctl.local.postgres import port_in_use, port_open
from supersetctl.local.process import read_pid, terminate

if TYPE_CHECKING:
    from supersetctl.local.tls import TlsFiles

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
    def __init__(
        self,
        state: Path,
        *,
        port: int,
        host: str = "127.0.0.1",
        tls: TlsFiles | None = None,
        password: str | None = None,
    ) -> None:
        self.state = state
        self.port = port
        self.host = host
        self.tls = tls
        self.password = password
        if password:
            redact.register(password)

    @property
    def pid_file(self) -> Path:
        return self.state / "redis.pid"

    @property
    def log_file(self) -> Path:
        return self.state / "redis.log"

    @property
    def url(self) -> str:
        """``redis://HOST:PORT/0``, or with TLS ``rediss://default:PW@HOST:PORT/0`` (the form
        DigitalOcean gives for a managed Valkey)."""
        if self.tls is None:
            return f"redis://{self.host}:{self.port}/0"
        auth = f"default:{quote(self.password, safe='')}@" if self.password else ""
        return f"rediss://{auth}{self.host}:{self.port}/0"

    @property
    def conf_file(self) -> Path:
        return self.state / "redis.conf"

    def _argv(self, binary: str) -> list[str]:
        common = {
            "bind": self.host,
            "save": '""',
            "appendonly": "no",
            "protected-mode": "yes",
            "dir": str(self.state),
        }
        if self.tls is None:
            plain = [binary, "--port", str(self.port)]
            for key, value in common.items():
                plain += [f"--{key}", "" if value == '""' else value]
            return plain
        settings = {
            **common,
            "port": "0",
            "tls-port": str(self.port),
            "tls-cert-file": str(self.tls.cert_file),
            "tls-key-file": str(self.tls.key_file),
            "tls-ca-cert-file": str(self.tls.ca_file),
            "tls-auth-clients": "no",
        }
        if self.password:
            settings["requirepass"] = self.password
        text = "# written by supersetctl: TLS only\n" + "".join(
            f"{k} {v}\n" for k, v in settings.items()
        )
        atomic_write(self.conf_file, text, mode=0o600)
        return [binary, str(self.conf_file)]

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
                self._argv(binary),
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
