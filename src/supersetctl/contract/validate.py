"""``validate``: every rule of the contract, as findings."""

from __future__ import annotations

from collections.abc import Sequence

from supersetctl.findings import Finding, sort_findings
from supersetctl.paths import RepoPaths

RULES: dict[str, str] = {}


def validate_repo(paths: RepoPaths, envs: Sequence[str]) -> list[Finding]:
    return sort_findings([])
