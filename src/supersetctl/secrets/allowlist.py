"""Reviewed false positives, committed in ``.supersetctl-secrets-allowlist.yaml``.

The file::

    version: 1
    entries:
      - fingerprint: 94f92a24183f        # from the finding (12 hex characters)
        path: image/superset_config.py   # optional glob, or a list of globs; default: any file
        rule: SEC-SUPERSET-DEFAULT-KEY   # optional; default: any rule
        reason: the public default keys, listed to refuse them at start-up   # required
        history_only: false              # true: the value is gone from the tree

An entry hides the findings with that fingerprint (in that path and rule, when given). Entries
that hide nothing are reported as stale (a warning) by full scans of the tree or the history.
For a single line, an inline ``supersetctl: allow-secret reason=...`` comment does the same.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from supersetctl.errors import ConfigError
from supersetctl.findings import Finding, Severity
from supersetctl.yamlio import parse_text

FILENAME = ".supersetctl-secrets-allowlist.yaml"
_FINGERPRINT = re.compile(r"[0-9a-f]{12}")


@dataclass(frozen=True)
class Entry:
    fingerprint: str
    reason: str
    paths: tuple[str, ...] = ()
    rule: str | None = None
    history_only: bool = False
    line: int = 0

    def matches(self, finding: Finding) -> bool:
        if dict(finding.extra).get("fingerprint") != self.fingerprint:
            return False
        if self.rule and self.rule != finding.rule:
            return False
        return not self.paths or any(fnmatchcase(finding.path, p) for p in self.paths)


@dataclass(frozen=True)
class Allowlist:
    source: str
    entries: tuple[Entry, ...] = ()

    def apply(self, findings: Sequence[Finding]) -> tuple[list[Finding], set[int]]:
        """The findings no entry hides, and the indexes of the entries that hid something."""
        kept: list[Finding] = []
        used: set[int] = set()
        for finding in findings:
            hit = [n for n, e in enumerate(self.entries) if e.matches(finding)]
            if hit:
                used.update(hit)
            else:
                kept.append(finding)
        return kept, used

    def stale(self, used: set[int], *, history: bool) -> list[Finding]:
        """Warnings for the entries that hid nothing in a full scan (tree or history)."""
        out = []
        for n, entry in enumerate(self.entries):
            if n in used or (entry.history_only and not history):
                continue
            out.append(
                Finding(
                    path=self.source,
                    line=entry.line,
                    col=0,
                    rule="SEC-ALLOWLIST-STALE",
                    message=f"allowlist entry {entry.fingerprint} matches nothing",
                    fix="remove the entry",
                    severity=Severity.WARNING,
                    extra=(("fingerprint", entry.fingerprint),),
                )
            )
        return out


def _globs(value: object, display: str, line: int) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) and v for v in value):
        return tuple(value)
    raise ConfigError("path must be a glob or a list of globs", path=display, line=line)


def load(file: Path, display: str = FILENAME) -> Allowlist:
    """Read the allowlist; a missing file is an empty list. Invalid entries raise ConfigError."""
    if not file.is_file():
        return Allowlist(display)
    doc = parse_text(file.read_text(encoding="utf-8"), display)
    data = doc.data or {}
    if not isinstance(data, dict) or data.get("version", 1) != 1:
        raise ConfigError("expected a mapping with version: 1", path=display, line=1)
    raw = data.get("entries") or []
    if not isinstance(raw, list):
        raise ConfigError(
            "entries must be a list", path=display, line=doc.positions.line(("entries",))
        )
    entries = []
    for n, item in enumerate(raw):
        line = doc.positions.line(("entries", n))
        if not isinstance(item, dict):
            raise ConfigError("each entry must be a mapping", path=display, line=line)
        fp = str(item.get("fingerprint", "")).strip()
        reason = str(item.get("reason") or "").strip()
        if not _FINGERPRINT.fullmatch(fp):
            raise ConfigError(
                "fingerprint must be the 12 hex characters a finding shows",
                path=display,
                line=line,
            )
        if not reason:
            raise ConfigError("every entry needs a reason", path=display, line=line)
        unknown = set(item) - {"fingerprint", "reason", "path", "rule", "history_only"}
        if unknown:
            raise ConfigError(
                f"unknown keys: {', '.join(sorted(unknown))}", path=display, line=line
            )
        entries.append(
            Entry(
                fingerprint=fp,
                reason=reason,
                paths=_globs(item.get("path"), display, line),
                rule=str(item["rule"]) if item.get("rule") else None,
                history_only=bool(item.get("history_only", False)),
                line=line,
            )
        )
    return Allowlist(display, tuple(entries))
