"""The workflow harness's expressions: the forms our workflows use, evaluated as Actions does."""

from __future__ import annotations

from pathlib import Path

from tests.support.workflows import _Eval


def test_conditions_contexts_and_functions(tmp_path: Path) -> None:
    pull = {"head": {"repo": {"full_name": "o/r"}}, "number": 7}
    ctx = {"github": {"repository": "o/r", "event": {"pull_request": pull}},
           "matrix": {"env": "staging"}, "secrets": {"A": "x"}}  # fmt: skip
    e = _Eval(ctx, tmp_path, failed=False)
    assert e.condition("github.event.pull_request.head.repo.full_name == github.repository")
    pull["head"]["repo"]["full_name"] = "fork/r"  # type: ignore[index]
    assert not e.condition("github.event.pull_request.head.repo.full_name == github.repository")
    summary = "${{ !cancelled() && hashFiles('db-plan.md') != '' }}"
    assert not e.condition(summary)
    (tmp_path / "db-plan.md").write_text("x")  # a dash and a dot inside a string literal
    assert e.condition(summary)
    assert e.condition("true") and not e.condition("false")
    e.failed = True
    assert e.condition(summary) and e.condition("always()") and e.condition("failure()")
    assert not e.condition(None) and not e.condition("success()")
    assert e.text("${{ matrix.env }}-read") == "staging-read"
    assert e.text("${{ secrets.A }}") == "x" and e.text("${{ secrets.B }}") == ""
    assert not e.condition("true")  # `success() &&` is implied without a status function
