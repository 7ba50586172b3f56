"""The Markdown pieces the reports share."""

from __future__ import annotations

import secrets

from supersetctl.markdown import cell, failed_section
from supersetctl.redact import register


def test_a_cell_keeps_its_row() -> None:
    assert cell("a | b\nc") == "a \\| b c"


def test_a_failed_section_fences_the_message_longer_than_any_backtick_run_in_it() -> None:
    message = "bad file:\n```yaml\nkey: value\n```"
    text = failed_section("<!-- m -->", "supersetctl plan: dev: failed", message)
    assert text.startswith("<!-- m -->\n### supersetctl plan: dev: failed\n\n````\n")
    assert text.endswith("\n```\n````\n")
    assert failed_section("m", "h", "plain").endswith("\n```\nplain\n```\n")


def test_a_failed_section_is_redacted() -> None:
    token = "tok_" + secrets.token_hex(12)
    register(token)
    assert token not in failed_section("m", "h", f"login with {token} refused")
