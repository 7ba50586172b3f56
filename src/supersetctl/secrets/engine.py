"""Scan text for secrets: our rules plus detect-secrets' plugins, deduplicated, allowlisted inline.

:func:`scan_text` is the entry point every caller uses (``scan`` on files, ``validate`` on the
spec, configs and templates). It returns :class:`~supersetctl.findings.Finding` values whose
messages never hold the secret; ``extra`` carries ``("fingerprint", <12 hex>)``, a salted
SHA-256 prefix of the value, so one secret is recognisable across files and commits.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from supersetctl.findings import Finding
from supersetctl.secrets import thirdparty
from supersetctl.secrets.rules import (
    DEFAULT_FIX,
    FIXES,
    LINE_RULES,
    PRIORITY,
    RULES,
    Hit,
    make_context,
)

MAX_LINE = 20_000  # longer lines (minified bundles) are scanned up to here
_ALLOW = re.compile(r"supersetctl:\s*allow-secret\b(?P<rest>[^\n]*)")
_REASON = re.compile(r"reason=\s*\S")
_COMMENT_ONLY = re.compile(r"\s*(?:#|//|--|<!--|/\*|\*|;)")


def fingerprint(value: str) -> str:
    """A short, salted hash of a secret: safe to print, stable across files and commits."""
    return hashlib.sha256(b"supersetctl-secret-v1\0" + value.encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class Detected:
    """A finding plus the secret behind it (kept in memory only, for redaction)."""

    finding: Finding
    value: str


def inline_allowed(lines: list[str], i: int) -> bool:
    """``supersetctl: allow-secret reason=...`` on the line, or alone on the line above."""
    for j in (i, i - 1):
        if j < 0 or j >= len(lines):
            continue
        m = _ALLOW.search(lines[j])
        if not m or not _REASON.search(m["rest"]):
            continue
        if j == i or _COMMENT_ONLY.match(lines[j]):
            return True
    return False


def _line_hits(text: str, lines: list[str], path: str) -> Iterable[tuple[Hit, str]]:
    ctx = make_context(path, lines, text)
    plugins = thirdparty.may_match(text)
    for i, full in enumerate(lines):
        line = full[:MAX_LINE]
        for rule in LINE_RULES:
            for hit in rule(ctx, i, line):
                yield hit, ""
        if plugins:
            yield from thirdparty.scan_line(i, line)


def detect(text: str, path: str, *, line_offset: int = 0) -> list[Detected]:
    """Every secret in ``text`` (the content of ``path``), with its value; inline allows applied."""
    lines = text.splitlines()
    by_line: dict[int, list[tuple[Hit, str]]] = {}
    for hit, kind in _line_hits(text, lines, path):
        by_line.setdefault(hit.line, []).append((hit, kind))
    out: list[Detected] = []
    for i in sorted(by_line):
        if inline_allowed(lines, i):
            continue
        taken: list[Hit] = []
        for hit, kind in sorted(by_line[i], key=lambda hk: (PRIORITY[hk[0].rule], hk[0].start)):
            if any(hit.start < t.end and t.start < hit.end for t in taken):
                continue
            taken.append(hit)
            message = RULES[hit.rule] + (f" ({kind})" if kind else "")
            finding = Finding(
                path=path,
                line=i + 1 + line_offset,
                col=hit.start + 1,
                rule=hit.rule,
                message=message,
                fix=FIXES.get(hit.rule, DEFAULT_FIX),
                extra=(("fingerprint", fingerprint(hit.value)),),
            )
            out.append(Detected(finding, hit.value))
    return out


def scan_text(text: str, path: str) -> list[Finding]:
    """The secrets in ``text`` (the content of ``path``, which picks file-type rules) as findings.

    >>> scan_text("password: ${DB_PASSWORD}", "config.yaml")
    []
    """
    return [d.finding for d in detect(text, path)]
