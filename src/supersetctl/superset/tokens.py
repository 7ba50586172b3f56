"""Access tokens kept between runs, so a run right after another skips the password login.

A Superset login checks the password against its (deliberately slow) hash: about 0.15 s of
server time per run, the largest part of a no-change ``apply``. The access token a login
returns is kept here, one file per (Superset URL, username), and reused by the next runs until
a minute before it expires, and never for longer than :data:`MAX_AGE` (Superset issues them for
15 minutes by default). Only the short-lived access token is kept, never the password nor a
refresh token.

Where: ``$SUPERSETCTL_TOKEN_CACHE`` if it names a folder; else ``$XDG_RUNTIME_DIR/supersetctl/
tokens`` (a per-user tmpfs, emptied at logout); else ``~/.cache/supersetctl/tokens``. Never in
the repo. The folder is made 0700 and each file 0600; a file another user owns, or that others
can read, is ignored, so a token someone else put there is never used.
``SUPERSETCTL_TOKEN_CACHE=off`` turns the cache off.

As with ``sudo``'s timestamp, a token obtained with the right password stays usable until it
expires even if the password variable changes meanwhile; a token Superset refuses (401) is
dropped and the client logs in with the password.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from supersetctl.fsutil import atomic_write
from supersetctl.redact import register

log = logging.getLogger(__name__)

ENV = "SUPERSETCTL_TOKEN_CACHE"
OFF = frozenset({"off", "0", "false", "no", "none"})
MAX_AGE = 15 * 60  # seconds a token is reused at most, whatever the server's expiry says
MARGIN = 60  # seconds before its expiry a token is no longer used


def token_expiry(token: str) -> float | None:
    """The ``exp`` claim of a JWT (not verified: the server does that), or None."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, binascii.Error):
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    return float(exp) if isinstance(exp, int | float) and not isinstance(exp, bool) else None


class TokenCache:
    """One folder of access tokens (see the module's docs)."""

    def __init__(self, folder: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.folder = folder
        self._now = clock

    @classmethod
    def default(cls, environ: Mapping[str, str] | None = None) -> TokenCache | None:
        """The cache ``environ`` (the process environment by default) asks for, or None when
        it is off."""
        env = os.environ if environ is None else environ
        setting = env.get(ENV, "").strip()
        if setting.lower() in OFF:
            return None
        if setting:
            return cls(Path(setting).expanduser())
        runtime = env.get("XDG_RUNTIME_DIR")
        if runtime and Path(runtime).is_dir():
            return cls(Path(runtime) / "supersetctl" / "tokens")
        cache = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        return cls(Path(cache) / "supersetctl" / "tokens")

    def _path(self, url: str, username: str) -> Path:
        key = hashlib.sha256(f"{url.rstrip('/')}\n{username}".encode()).hexdigest()[:32]
        return self.folder / f"{key}.json"

    def get(self, url: str, username: str) -> str | None:
        """A token still good for ``username`` at ``url``, or None."""
        path = self._path(url, username)
        try:
            st = path.stat()
            if st.st_uid != os.geteuid() or st.st_mode & 0o077:
                log.info("ignoring %s: not private to this user", path)
                return None
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(doc, dict):
            return None
        token, until = doc.get("access_token"), doc.get("use_until")
        if (
            doc.get("url") != url.rstrip("/")
            or doc.get("username") != username
            or not isinstance(token, str)
            or not isinstance(until, int | float)
            or self._now() >= until
        ):
            return None
        register(token)
        return token

    def put(self, url: str, username: str, token: str) -> None:
        """Keep ``token`` (unless it carries no expiry or is about to expire)."""
        now = self._now()
        exp = token_expiry(token)
        if exp is None:
            return
        until = min(exp - MARGIN, now + MAX_AGE)
        if until <= now:
            return
        doc: dict[str, object] = {"url": url.rstrip("/"), "username": username}
        doc.update(access_token=token, use_until=int(until))
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)  # private when made here
            atomic_write(self._path(url, username), json.dumps(doc) + "\n", mode=0o600)
        except OSError as exc:
            log.info("cannot keep the access token in %s: %s", self.folder, exc)

    def drop(self, url: str, username: str, token: str | None = None) -> None:
        """Forget the token kept for ``username`` at ``url`` (only if it is ``token``, when
        given: another run may have kept a newer one meanwhile)."""
        path = self._path(url, username)
        with contextlib.suppress(OSError, ValueError):
            if token is not None:
                doc = json.loads(path.read_text(encoding="utf-8"))
                if not isinstance(doc, dict) or doc.get("access_token") != token:
                    return
            path.unlink()
