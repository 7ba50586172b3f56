"""The runtime venv is installed once per requirements file, and an interrupted one is rebuilt."""

from __future__ import annotations

import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from supersetctl.local import runtime as rt
from supersetctl.local.superset import read_or_create_secret


@pytest.fixture
def installs(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    calls: list[list[str]] = []

    def fake_run(argv: Sequence[str], **_: Any) -> None:
        calls.append(list(argv))
        if "venv" in argv:
            venv = Path(argv[-1])
            (venv / "bin").mkdir(parents=True, exist_ok=True)
        if "install" in argv:
            python = Path(argv[argv.index("--python") + 1] if "--python" in argv else argv[0])
            (python.parent / "superset").write_text("#!/bin/sh\n")

    monkeypatch.setattr(rt, "run_logged", fake_run)
    monkeypatch.setattr(rt, "_find_uv", lambda: "/usr/bin/uv")
    return calls


def test_installs_once_per_requirements(tmp_path: Path, installs: list[list[str]]) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text("apache-superset==6.1.0 --hash=sha256:00\n")
    venv = tmp_path / "venv"
    assert rt.ensure_venv(venv, req, log_file=tmp_path / "install.log") is True
    assert any("--require-hashes" in c for c in installs)
    assert rt.ensure_venv(venv, req, log_file=tmp_path / "install.log") is False
    req.write_text("apache-superset==6.1.0 --hash=sha256:11\n")
    assert rt.ensure_venv(venv, req, log_file=tmp_path / "install.log") is True


def test_interrupted_install_is_rebuilt(tmp_path: Path, installs: list[list[str]]) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text("x==1\n")
    venv = tmp_path / "venv"
    (venv / "lib").mkdir(parents=True)
    (venv / "lib" / "half-written").write_text("")
    messages: list[str] = []
    assert rt.ensure_venv(venv, req, log_file=tmp_path / "l", progress=messages.append) is True
    assert not (venv / "lib" / "half-written").exists()
    assert any("removing the incomplete" in m for m in messages)


def test_missing_requirements_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(rt.LocalStackError, match=r"requirements\.txt is missing"):
        rt.ensure_venv(tmp_path / "v", tmp_path / "requirements.txt", log_file=tmp_path / "l")


def test_secrets_are_generated_once_and_private(tmp_path: Path) -> None:
    path = tmp_path / "s" / "admin.password"
    first = read_or_create_secret(path)
    assert len(first) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_or_create_secret(path) == first
    from supersetctl import redact

    assert redact.redact(f"pw={first}") == "pw=***"
