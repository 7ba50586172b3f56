"""report_to: a result, or the error that stopped it, rendered into the report file."""

from __future__ import annotations

from pathlib import Path

import pytest

from supersetctl.errors import DatabaseError
from supersetctl.fsutil import report_to


def test_the_result_is_rendered_and_returned(tmp_path: Path) -> None:
    out = tmp_path / "r.md"
    assert report_to(out, lambda: 3, lambda n: f"n={n}\n", lambda m: f"error {m}\n") == 3
    assert out.read_text() == "n=3\n"
    assert report_to(None, lambda: 4, str, str) == 4  # no file: only the result


def test_an_error_is_rendered_then_raised(tmp_path: Path) -> None:
    out = tmp_path / "r.md"

    def fail() -> int:
        raise DatabaseError("refused")

    with pytest.raises(DatabaseError, match="refused"):
        report_to(out, fail, str, lambda m: f"failed: {m}\n")
    assert out.read_text() == "failed: refused\n"
