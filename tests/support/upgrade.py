"""Shared by the upgrade tests and ``bench/upgrade.py``: a release that migrates but does not
boot, to drive the real roll back."""

from __future__ import annotations

import shutil
from pathlib import Path


def broken_runtime(runtime: Path, where: Path) -> Path:
    """A copy of ``runtime`` (a pinned venv) that migrates (its ``superset`` is the real one)
    but whose app does not boot: its gunicorn loads a configuration that raises, as a release
    with a bad setting would. Everything else is the real venv's (symlinks)."""
    venv = where / "venv-broken"
    (venv / "bin").mkdir(parents=True)
    for entry in (runtime / "bin").iterdir():
        if entry.name != "gunicorn":
            (venv / "bin" / entry.name).symlink_to(entry)
    (venv / "lib").symlink_to(runtime / "lib")
    for name in ("pyvenv.cfg", ".supersetctl-requirements.sha256"):
        shutil.copy(runtime / name, venv / name)
    config = where / "broken_config.py"
    config.write_text('raise RuntimeError("this release cannot load its configuration")\n')
    gunicorn = venv / "bin" / "gunicorn"
    gunicorn.write_text(
        f'#!/bin/sh\nSUPERSET_CONFIG_PATH="{config}" exec "{runtime / "bin" / "gunicorn"}" "$@"\n'
    )
    gunicorn.chmod(0o755)
    return venv
