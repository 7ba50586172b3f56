"""`make up` refuses a Python the pinned Superset runtime has no wheels for, before building."""

from __future__ import annotations

import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from supersetctl.errors import LocalStackError
from supersetctl.local import python_support
from supersetctl.local.stack import LocalStack
from supersetctl.paths import RepoPaths
from tests.support.helpers import REPO_ROOT


@pytest.mark.parametrize("version", [(3, 11, 7), (3, 12, 0)])
def test_supported_versions(version: tuple[int, int, int]) -> None:
    assert python_support.problem(version) is None


def test_a_newer_python_names_the_pins_and_the_supported_versions() -> None:
    why = python_support.problem((3, 13, 1), "/usr/bin/python3.13")
    assert why is not None
    assert "Python 3.13.1 (/usr/bin/python3.13)" in why
    assert "numpy 1.26.4" in why and "no wheels" in why
    assert why.endswith("Supported: Python 3.11 or 3.12.")


def test_an_older_python_is_refused_too() -> None:
    why = python_support.problem((3, 10, 12))
    assert why is not None and "3.11 or 3.12" in why


def test_the_running_python_is_supported() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "check_python.py")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def _python_claiming(version: str, tmp_path: Path) -> Path:
    """An interpreter that says it is ``version`` (the real one underneath)."""
    fake = tmp_path / "python-fake"
    parts = ", ".join(version.split("."))
    fake.write_text(
        "#!/bin/sh\n"
        f'exec {sys.executable} -c "import runpy, sys; '
        f"sys.version_info = ({parts}, 'final', 0); sys.argv = sys.argv[1:]; "
        f'runpy.run_path(sys.argv[0], run_name=\'__main__\')" "$@"\n'
    )
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    return fake


@pytest.mark.skipif(shutil.which("make") is None, reason="no make")
def test_make_up_stops_before_building_anything(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(REPO_ROOT / "scripts", repo / "scripts")
    shutil.copytree(REPO_ROOT / "src", repo / "src", ignore=shutil.ignore_patterns("*.egg-info"))
    shutil.copy(REPO_ROOT / "Makefile", repo / "Makefile")
    fake = _python_claiming("3.13.1", tmp_path)
    result = subprocess.run(
        ["make", "--no-print-directory", "up", f"PYTHON={fake}"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode != 0
    assert "Python 3.13.1" in result.stderr
    assert "Supported: Python 3.11 or 3.12" in result.stderr
    assert "make up PYTHON=python3.12" in result.stderr
    assert not (repo / ".venv").exists()  # nothing was built


def test_supersetctl_up_refuses_it_too(
    repo_copy: RepoPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "version_info", (3, 13, 1, "final", 0))
    with pytest.raises(LocalStackError, match=r"Supported: Python 3\.11 or 3\.12"):
        LocalStack(repo_copy).up()
    assert not repo_copy.local.exists()
