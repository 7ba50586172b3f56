"""A Markdown file posted as a sticky pull request comment."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from supersetctl.errors import ConfigError

from .client import CommentResult, github_from_env


def marker_of(body: str) -> str | None:
    """The first line when it is an HTML comment (``<!-- ... -->``), else None."""
    first = body.split("\n", 1)[0].strip()
    return first if first.startswith("<!--") and first.endswith("-->") else None


def comment_from_file(
    environ: Mapping[str, str], pr: int, file: Path, marker: str | None = None
) -> CommentResult:
    """Post ``file`` on pull request ``pr``, editing the comment that holds ``marker``."""
    try:
        body = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {file}: {exc.strerror}", path=str(file)) from None
    marker = marker or marker_of(body)
    if not marker:
        raise ConfigError(
            f"{file} starts with no <!-- marker --> line",
            path=str(file),
            hint="pass --marker TEXT, or write the file with `supersetctl plan --markdown`",
        )
    with github_from_env(environ) as gh:
        return gh.upsert_comment(pr, marker, body)
