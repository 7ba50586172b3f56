"""The generated corpus: every secret found, no placeholder flagged, no value ever printed."""

from __future__ import annotations

import json
import secrets
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import pytest

from supersetctl.secrets.gitscan import scan_paths
from tests.support.secret_corpus import INSTANCES, Corpus, build


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    return build(tmp_path_factory.mktemp("corpus"), secrets.randbits(32))


def test_corpus_size(corpus: Corpus) -> None:
    per_shape = Counter(s.shape for s in corpus.secrets)
    assert len(per_shape) >= 9
    assert all(n >= INSTANCES * 3 for n in per_shape.values()), per_shape
    assert corpus.placeholder_lines >= 300


def test_recall_and_false_positives(corpus: Corpus) -> None:
    found, _ = scan_paths(corpus.root, [corpus.root])
    at = {(d.finding.path, d.finding.line) for d in found}
    expected = {(s.path, s.line) for s in corpus.secrets}
    missed = sorted({s.path for s in corpus.secrets if (s.path, s.line) not in at})
    extra = sorted(f"{p}:{n}" for p, n in at - expected)
    assert not missed, f"seed {corpus.seed}: missed secrets in {missed}"
    assert not extra, f"seed {corpus.seed}: false positives at {extra[:20]}"


def _forms(value: str) -> set[str]:
    return {value, quote(value, safe=""), value.replace("/", "")} - {""}


@pytest.mark.parametrize("fmt", [[], ["--format", "json"], ["--sarif"]])
def test_no_output_holds_a_secret(corpus: Corpus, run_cli, fmt: list[str]) -> None:  # type: ignore[no-untyped-def]
    flags = fmt if fmt != ["--sarif"] else []
    sarif = ["--sarif"] if fmt == ["--sarif"] else []
    result = run_cli([*flags, "-vv", "--repo", str(corpus.root), "scan", *sarif, str(corpus.root)])
    assert result.exit_code == 1
    output = result.stdout + result.stderr
    if fmt == ["--format", "json"]:
        data = json.loads(result.stdout)
        assert data["errors"] == len(corpus.secrets)
    leaked = [s.shape for s in corpus.secrets if any(f in output for f in _forms(s.value))]
    assert not leaked, f"seed {corpus.seed}: values printed for {Counter(leaked)}"


def test_text_format_is_path_line_rule_fingerprint(corpus: Corpus, run_cli) -> None:  # type: ignore[no-untyped-def]
    target = Path(corpus.root) / "do-token"
    result = run_cli(["--repo", str(corpus.root), "scan", str(target)])
    lines = result.stdout.splitlines()
    assert len(lines) == INSTANCES * 3
    for line in lines:
        where, rest = line.split(": ", 1)
        path, lineno = where.rsplit(":", 1)
        assert path.startswith("do-token/") and lineno.isdigit()
        assert rest.startswith("SEC-DO-TOKEN ")
        assert rest.rsplit(" ", 1)[-1].startswith("fingerprint=")
