"""Which assets were last seen equal to their files, so a no-change run needs no export.

An entry is ``uuid -> [changed_on, hash of the file's comparable form]``. It is written only
after a real content comparison found the asset unchanged, and used only while both the live
``changed_on`` and the file are the same; anything else is compared again. ``drift`` and
``plan --refresh`` ignore it. The file lives in ``.local/provision/<env>.json`` (git-ignored).
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


def content_key(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class VerifiedCache:
    path: Path | None
    url: str
    entries: dict[str, list[str]] = field(default_factory=dict)
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
        if isinstance(doc, dict) and doc.get("url") == url and doc.get("version") == 1:
            entries = doc.get("verified")
            if isinstance(entries, dict):
                cache.entries = {
                    str(k): [str(x) for x in v]
                    for k, v in entries.items()
                    if isinstance(v, list) and len(v) == 2
                }
        return cache

    def hit(self, uuid: str, changed_on: str, key: str) -> bool:
        return bool(changed_on) and self.entries.get(uuid) == [changed_on, key]

    def remember(self, uuid: str, changed_on: str, key: str) -> None:
        if changed_on and self.entries.get(uuid) != [changed_on, key]:
            self.entries[uuid] = [changed_on, key]
            self.dirty = True

    def forget(self, uuid: str) -> None:
        if self.entries.pop(uuid, None) is not None:
            self.dirty = True

    def save(self) -> None:
        if self.path is None or not self.dirty:
            return
        doc = {"version": 1, "url": self.url, "verified": dict(sorted(self.entries.items()))}
        try:
            atomic_write(self.path, json.dumps(doc, indent=0, sort_keys=True) + "\n")
        except OSError as exc:
            log.info("cannot write %s: %s", self.path, exc)
        self.dirty = False
