"""Which assets were last seen equal to their files, so a no-change run needs no export.

An entry is ``uuid -> [changed_on, hash of the file's resolved content, kind, id]``. It is
written only after a real content comparison found the asset unchanged, and used only while
both the live ``changed_on`` and the file are the same; anything else is compared again.

``fingerprint`` is, per kind, the number of live assets and the newest ``changed_on``, taken
when a full comparison found every file's asset unchanged. While the instance still shows the
same fingerprint, nothing was added, edited or deleted there since, so the per-asset entries
hold without listing every asset again (four one-row requests instead of every page of every
list). ``drift``, ``--refresh``, ``--prune`` and ``--force`` never take that shortcut.

The file lives in ``.local/provision/<env>.json`` (git-ignored).
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from supersetctl.fsutil import atomic_write

log = logging.getLogger(__name__)

VERSION = 3
Fingerprint = dict[str, list[Any]]


def content_key(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class VerifiedCache:
    path: Path | None
    url: str
    entries: dict[str, list[Any]] = field(default_factory=dict)
    fingerprint: Fingerprint | None = None
    dirty: bool = False

    @classmethod
    def load(cls, path: Path | None, url: str) -> VerifiedCache:
        cache = cls(path, url)
        if path is None or not path.exists():
            return cache
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cache
        if isinstance(doc, dict) and doc.get("url") == url and doc.get("version") == VERSION:
            entries = doc.get("verified")
            if isinstance(entries, dict):
                cache.entries = {
                    str(k): list(v)
                    for k, v in entries.items()
                    if isinstance(v, list) and len(v) == 4
                }
            fp = doc.get("fingerprint")
            cache.fingerprint = fp if isinstance(fp, dict) else None
        return cache

    def hit(self, uuid: str, changed_on: str, key: str) -> bool:
        entry = self.entries.get(uuid)
        return bool(changed_on) and entry is not None and entry[:2] == [changed_on, key]

    def remember(self, uuid: str, changed_on: str, key: str, kind: str, pk: int) -> None:
        new = [changed_on, key, kind, pk]
        if changed_on and self.entries.get(uuid) != new:
            self.entries[uuid] = new
            self.dirty = True

    def forget(self, uuid: str) -> None:
        if self.entries.pop(uuid, None) is not None:
            self.dirty = True

    def set_fingerprint(self, fingerprint: Fingerprint | None) -> None:
        if fingerprint != self.fingerprint:
            self.fingerprint = fingerprint
            self.dirty = True

    def save(self) -> None:
        if self.path is None or not self.dirty:
            return
        doc = {
            "version": VERSION,
            "url": self.url,
            "fingerprint": self.fingerprint,
            "verified": dict(sorted(self.entries.items())),
        }
        try:
            atomic_write(self.path, json.dumps(doc, indent=0, sort_keys=True) + "\n")
        except OSError as exc:
            log.info("cannot write %s: %s", self.path, exc)
        self.dirty = False
