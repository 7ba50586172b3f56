"""The allowlist file: scoping by path, rule and fingerprint; stale entries; invalid entries."""

from __future__ import annotations

from pathlib import Path

import pytest

from supersetctl.errors import ConfigError
from supersetctl.findings import Finding, Severity
from supersetctl.secrets.allowlist import load


def _finding(path: str, fp: str, rule: str = "SEC-PASSWORD") -> Finding:
    return Finding(path, 3, 1, rule, "m", extra=(("fingerprint", fp),))


def test_entries_match_by_fingerprint_path_and_rule(tmp_path: Path) -> None:
    file = tmp_path / "allow.yaml"
    file.write_text(
        "version: 1\nentries:\n"
        "  - fingerprint: aaaaaaaaaaaa\n    path: [tests/*.py, docs/*.md]\n    reason: fake\n"
        "  - fingerprint: bbbbbbbbbbbb\n    rule: SEC-JWT\n    reason: fake\n"
        "  - fingerprint: cccccccccccc\n    reason: old\n    history_only: true\n"
        "  - fingerprint: dddddddddddd\n    reason: old\n"
    )
    allow = load(file, "allow.yaml")
    findings = [
        _finding("tests/a.py", "aaaaaaaaaaaa"),
        _finding("docs/x.md", "aaaaaaaaaaaa"),
        _finding("src/a.py", "aaaaaaaaaaaa"),
        _finding("src/a.py", "bbbbbbbbbbbb", "SEC-JWT"),
        _finding("src/b.py", "bbbbbbbbbbbb", "SEC-PASSWORD"),
    ]
    kept, used = allow.apply(findings)
    assert [(f.path, f.rule) for f in kept] == [
        ("src/a.py", "SEC-PASSWORD"),
        ("src/b.py", "SEC-PASSWORD"),
    ]
    assert used == {0, 1}
    tree = allow.stale(used, history=False)
    assert [(f.line, f.rule, f.severity) for f in tree] == [
        (12, "SEC-ALLOWLIST-STALE", Severity.WARNING)
    ]
    assert len(allow.stale(used, history=True)) == 2


def test_missing_file_is_empty(tmp_path: Path) -> None:
    assert load(tmp_path / "none.yaml").entries == ()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("  - fingerprint: aaaaaaaaaaaa\n", "reason"),
        ("  - fingerprint: xyz\n    reason: r\n", "12 hex"),
        ("  - fingerprint: aaaaaaaaaaaa\n    reason: r\n    paths: x\n", "unknown keys"),
        ("  - fingerprint: aaaaaaaaaaaa\n    reason: r\n    path: [1]\n", "glob"),
        ("  - just a string\n", "mapping"),
    ],
)
def test_invalid_entries(tmp_path: Path, body: str, message: str) -> None:
    file = tmp_path / "allow.yaml"
    file.write_text("version: 1\nentries:\n" + body)
    with pytest.raises(ConfigError, match=message) as info:
        load(file, "allow.yaml")
    assert info.value.line == 3
