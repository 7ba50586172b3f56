"""Which charts a check runs: all of them, one dashboard's, or those a change reaches.

The dependency graph comes from the files: a database reaches its datasets, a dataset its
charts, a chart the dashboards that place it. ``--changed-since REF`` starts from the
provisioning files that differ from git ``REF`` (committed, staged, in the work tree, or new)
and follows the graph down; a changed dashboard checks the charts it places.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from pathlib import Path

from supersetctl.errors import UsageError
from supersetctl.provision.impact import charts_of_dashboard, reached
from supersetctl.provision.model import Desired

__all__ = ["changed_files", "changed_uuids", "charts_of_dashboard", "reached"]


def changed_files(root: Path, ref: str, folder: Path) -> set[str]:
    """Paths (relative to ``root``, forward slashes) under ``folder`` that differ from ``ref``:
    changed since it in commits, the index or the work tree, and files git does not track."""
    rel = folder.relative_to(root).as_posix() if folder.is_relative_to(root) else str(folder)

    def git(*args: str) -> list[str]:
        try:
            done = subprocess.run(
                ["git", "-c", "core.quotepath=off", *args],
                cwd=root,
                capture_output=True,
                text=True,
                check=False,
            )
        except OSError as exc:
            raise UsageError(f"--changed-since needs git: {exc}") from None
        if done.returncode != 0:
            why = (done.stderr.strip().splitlines() or ["git failed"])[-1]
            raise UsageError(
                f"--changed-since {ref}: {why}", hint="name a commit, branch or tag git knows"
            )
        return [line for line in done.stdout.splitlines() if line]

    git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    names = set(git("diff", "--name-only", "--relative", ref, "--", rel))
    names |= set(git("ls-files", "--others", "--exclude-standard", "--", rel))
    return names


def changed_uuids(desired: Iterable[Desired], files: set[str]) -> set[str]:
    """The uuids of the files in ``files`` (a deleted file has no asset left to check)."""
    return {d.uuid.lower() for d in desired if d.asset.rel in files}
