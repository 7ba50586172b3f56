from __future__ import annotations

import subprocess
import sys


def test_version(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(["--version"])
    assert result.exit_code == 0
    assert result.stdout.startswith("supersetctl ")


def test_unknown_command_is_usage_error(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(["no-such-command"])
    assert result.exit_code == 2


def test_library_import_does_not_load_cli_stack() -> None:
    code = (
        "import sys, supersetctl, supersetctl.contract, supersetctl.redact, supersetctl.findings;"
        "bad=[m for m in ('typer','rich','click') if m in sys.modules];"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
