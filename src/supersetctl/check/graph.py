"""Which charts a check runs: all of them, one dashboard's, or those a change reaches.

The dependency graph comes from the files: a database reaches its datasets, a dataset its
charts, a chart the dashboards that place it. ``--changed-since REF`` starts from the
provisioning files that differ from git ``REF`` (committed, staged, in the work tree, or new)
and follows the graph down; a changed dashboard checks the charts it places.
"""

from __future__ import annotations

import subprocess
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from supersetctl.errors import UsageError
from supersetctl.provision.model import Desired
from supersetctl.provision.normalize import chart_nodes


def charts_of_dashboard(d: Desired) -> set[str]:
    return {
        str(n["meta"].get("uuid") or "").lower()
        for n in chart_nodes(d.data.get("position"))
        if n["meta"].get("uuid")
    }


def reached(desired: Iterable[Desired], start: Iterable[str]) -> set[str]:
    """``start`` (uuids) and every dataset and chart they reach down the graph; a dashboard in
    ``start`` adds the charts it places."""
    items = {d.uuid.lower(): d for d in desired}
    below: dict[str, set[str]] = defaultdict(set)
    for uid, d in items.items():
        if d.kind == "dataset":
            below[str(d.data.get("database_uuid", "")).lower()].add(uid)
        elif d.kind == "chart":
            below[str(d.data.get("dataset_uuid", "")).lower()].add(uid)
        elif d.kind == "dashboard":
            below[uid] |= charts_of_dashboard(d)
    seen: set[str] = set()
    todo = [u.lower() for u in start]
    while todo:
        uid = todo.pop()
        if uid in seen:
            continue
        seen.add(uid)
        todo.extend(below.get(uid, ()))
    return {u for u in seen if u in items}


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
