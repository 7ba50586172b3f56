"""Which assets were last seen equal to their files, so that a run need not read their content.

The invariant (docs/provisioning.md, "How changes are detected"):

    An entry ``uuid -> [changed_on, key, kind, id]`` is written only by a run that listed the
    asset, then read its content, and found that content equal to the file whose resolved form
    hashes to ``key`` (the hash takes in the live ids of what the asset refers to). A later
    run skips reading the content only when the listing *it* just made shows the same
    ``changed_on`` and its file still hashes to the same ``key``. Every other outcome of a
    run (create, update, conflict, an asset gone) removes the entry, so the next run reads
    the asset again.

Superset gives every edit a new ``changed_on`` (microseconds; an edit in flight while the run
lists commits with a value the listing did not show), so an unchanged ``changed_on`` means an
unchanged asset, with two exceptions. Superset's column sync
(``PUT /api/v1/dataset/<id>/refresh``) rewrites a dataset's columns without touching its
``changed_on``, so datasets are always read and never vouched for by this cache. A dashboard's
page stores the colours it works out (``PUT /api/v1/dashboard/<id>/colors?mark_updated=false``)
without touching it either; those fields are not compared (``normalize.DERIVED_COLORS``), so
what is compared still moves ``changed_on``.

Besides the entries, the file keeps *hints*: the ids this repo's datasets and databases had at
the last run, so that the datasets' content (read on every run, their databases' with it) can
be exported while the instance is listed. A hint proves nothing by itself: what the export
brings back is used only as run.py's ``_read_live`` says.

The file lives in ``.local/provision/<env>.json`` (git-ignored), per Superset URL.
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

VERSION = 4
# kinds whose changed_on moves with every change of their compared content
TRUSTED_KINDS = frozenset({"database", "chart", "dashboard"})


def content_key(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class VerifiedCache:
    path: Path | None
    url: str
    entries: dict[str, list[Any]] = field(default_factory=dict)
    hints: dict[str, dict[str, int]] = field(default_factory=dict)  # kind -> uuid -> id
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
                    if isinstance(v, list) and len(v) == 4 and v[2] in TRUSTED_KINDS
                }
            hints = doc.get("hints")
            if isinstance(hints, dict):
                cache.hints = {
                    str(kind): {str(u): i for u, i in ids.items() if isinstance(i, int)}
                    for kind, ids in hints.items()
                    if isinstance(ids, dict)
                }
        return cache

    def hit(self, uuid: str, kind: str, changed_on: str, key: str) -> bool:
        """Whether the asset was found equal to this very file at this very ``changed_on``."""
        if kind not in TRUSTED_KINDS or not changed_on:
            return False
        entry = self.entries.get(uuid)
        return entry is not None and entry[:2] == [changed_on, key]

    def remember(self, uuid: str, changed_on: str, key: str, kind: str, pk: int) -> None:
        """Record that this run read the asset and found it equal to the file (see the
        invariant above: call it for nothing else)."""
        new = [changed_on, key, kind, pk]
        if kind in TRUSTED_KINDS and changed_on and self.entries.get(uuid) != new:
            self.entries[uuid] = new
            self.dirty = True

    def hint(self, hints: dict[str, dict[str, int]]) -> None:
        if hints != self.hints:
            self.hints = {k: dict(v) for k, v in hints.items()}
            self.dirty = True

    def forget(self, uuid: str) -> None:
        if self.entries.pop(uuid, None) is not None:
            self.dirty = True

    def save(self) -> None:
        if self.path is None or not self.dirty:
            return
        doc = {
            "version": VERSION,
            "url": self.url,
            "verified": dict(sorted(self.entries.items())),
            "hints": {k: dict(sorted(v.items())) for k, v in sorted(self.hints.items())},
        }
        try:
            atomic_write(self.path, json.dumps(doc, indent=0, sort_keys=True) + "\n")
        except OSError as exc:
            log.info("cannot write %s: %s", self.path, exc)
        self.dirty = False
