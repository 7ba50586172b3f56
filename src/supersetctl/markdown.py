"""Markdown pieces the reports share (a pull request comment, a CI job summary): a table cell
and the section of a command that could not run. Both are redacted by value."""

from __future__ import annotations

import re

from supersetctl.redact import redact


def cell(text: str) -> str:
    """``text`` as one table cell: a ``|`` would end the cell, a newline the row."""
    return text.replace("|", "\\|").replace("\n", " ")


def failed_section(marker: str, heading: str, message: str) -> str:
    """A report's section when its command failed: the marker (the sticky comment's), the
    heading, then the message in a code block fenced longer than any backtick run in it, so
    the message cannot close the block early."""
    longest = max((len(run) for run in re.findall(r"`+", message)), default=0)
    fence = "`" * max(3, longest + 1)
    return redact(f"{marker}\n### {heading}\n\n{fence}\n{message}\n{fence}\n")
