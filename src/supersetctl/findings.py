"""Findings: what ``validate`` and ``scan`` report, as plain data.

A finding points at ``path:line:col`` (1-based; 0 when unknown), names a rule, says what is
wrong and how to fix it. Rendering to text, JSON or SARIF lives here too, as pure functions
returning strings, so that the CLI only chooses one and prints it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    col: int
    rule: str
    message: str
    fix: str = ""
    severity: Severity = Severity.ERROR
    extra: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    def format(self) -> str:
        loc = f"{self.path}:{self.line}:{self.col}" if self.line else f"{self.path}"
        sev = "" if self.severity is Severity.ERROR else " [warning]"
        text = f"{loc}: {self.rule}{sev} {self.message}"
        if self.fix:
            text += f" ({self.fix})"
        for key, value in self.extra:
            text += f" {key}={value}"
        return text

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["severity"] = str(self.severity)
        data["extra"] = dict(self.extra)
        return data


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Sort findings by file, line, column and rule, and drop exact duplicates."""
    return sorted(set(findings), key=lambda f: (f.path, f.line, f.col, f.rule, f.message))


def has_errors(findings: Sequence[Finding]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)


def to_text(findings: Sequence[Finding]) -> str:
    return "".join(f.format() + "\n" for f in findings)


def to_json(findings: Sequence[Finding], **summary: Any) -> str:
    payload = {
        **summary,
        "errors": sum(1 for f in findings if f.severity is Severity.ERROR),
        "warnings": sum(1 for f in findings if f.severity is Severity.WARNING),
        "findings": [f.as_dict() for f in findings],
    }
    return json.dumps(payload, indent=2, sort_keys=True) + "\n"


def to_sarif(findings: Sequence[Finding], *, tool: str, rules: dict[str, str]) -> str:
    """SARIF 2.1.0, so code-scanning UIs can show findings inline."""
    used = sorted({f.rule for f in findings})
    results = []
    for f in findings:
        region: dict[str, int] = {}
        if f.line:
            region["startLine"] = f.line
            if f.col:
                region["startColumn"] = f.col
        location: dict[str, Any] = {"artifactLocation": {"uri": f.path}}
        if region:
            location["region"] = region
        results.append(
            {
                "ruleId": f.rule,
                "level": "error" if f.severity is Severity.ERROR else "warning",
                "message": {"text": f.message + (f" ({f.fix})" if f.fix else "")},
                "locations": [{"physicalLocation": location}],
            }
        )
    doc = {
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": tool,
                        "rules": [
                            {"id": r, "shortDescription": {"text": rules.get(r, r)}} for r in used
                        ],
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"
