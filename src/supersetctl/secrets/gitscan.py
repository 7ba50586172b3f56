"""Scan what git holds: the tracked tree, the staged changes, or every commit's added lines.

Each mode reads git through one or two ``git`` processes (``ls-files``, ``cat-file --batch``,
``log -p``), never one process per file, so a whole history scans in seconds.
"""

from __future__ import annotations

import codecs
import logging
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from supersetctl.errors import SecretsError
from supersetctl.findings import Finding
from supersetctl.secrets import allowlist as allowlist_mod
from supersetctl.secrets.engine import Detected, detect

log = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024  # bigger files are data, not config: skipped (and logged)
_SKIP_DIRS = frozenset(
    {".git", ".venv", "venv", "node_modules", "__pycache__", ".mypy_cache", ".ruff_cache",
     ".pytest_cache", ".local", ".tox", "dist", "build"}
)  # fmt: skip
_HUNK = re.compile(rb"^@@ -\d+(?:,\d+)? \+(?P<start>\d+)(?:,\d+)? @@")


@dataclass
class ScanResult:
    mode: str  # tree, paths, staged, history
    findings: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    files: int = 0  # files (tree, paths, staged) or file changes (history) scanned
    commits: int = 0
    allowed: int = 0
    seconds: float = 0.0


def _git(root: Path, *args: str, stdin: bytes | None = None) -> bytes:
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C"}
    try:
        proc = subprocess.run(
            ["git", "-c", "core.quotepath=off", *args],
            cwd=root,
            input=stdin,
            capture_output=True,
            env=env,
            check=False,
        )
    except FileNotFoundError:
        raise SecretsError("git is not installed", hint="install git") from None
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise SecretsError(
            f"git {args[0]} failed: {message[-1] if message else proc.returncode}",
            hint="run inside a git repository",
        )
    return proc.stdout


def _git_lines(root: Path, *args: str) -> Iterator[bytes]:
    """The output lines of a long-running git command, streamed (``git log -p``)."""
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C"}
    with tempfile.TemporaryFile() as errors:
        try:
            proc = subprocess.Popen(
                ["git", "-c", "core.quotepath=off", *args],
                cwd=root,
                stdout=subprocess.PIPE,
                stderr=errors,
                env=env,
            )
        except FileNotFoundError:
            raise SecretsError("git is not installed", hint="install git") from None
        assert proc.stdout is not None
        with proc:
            for line in proc.stdout:
                yield line.rstrip(b"\n")
        if proc.returncode != 0:
            errors.seek(0)
            message = errors.read().decode("utf-8", "replace").strip().splitlines()
            raise SecretsError(
                f"git {args[0]} failed: {message[-1] if message else proc.returncode}",
                hint="check the revision range",
            )


def _diff_path(name: bytes) -> str:
    """The path of a ``+++ b/path`` line; git C-quotes names with special characters."""
    if name.endswith(b"\t"):
        name = name[:-1]  # git ends names holding a space with a tab, for patch(1)
    if name.startswith(b'"') and name.endswith(b'"'):
        name = codecs.escape_decode(name[1:-1])[0]
    text = name.decode("utf-8", "replace")
    return text[2:] if text.startswith("b/") else ""  # "/dev/null": a deletion


def git_root(start: Path) -> Path:
    """The top folder of the git work tree holding ``start``."""
    out = _git(start, "rev-parse", "--show-toplevel")
    return Path(out.decode().strip())


def scan_root(base: Path, *, outside_git: bool = False) -> Path:
    """Where a scan of ``base`` runs: the top of the git work tree holding it; with
    ``outside_git`` (a scan of named files and folders), ``base`` itself when it is in none."""
    try:
        return git_root(base)
    except SecretsError:
        if not outside_git:
            raise
        return base.resolve()


def _text(data: bytes) -> str | None:
    if b"\0" in data[:8192]:
        return None  # binary
    return data.decode("utf-8", "replace")


def _scan_blob(path: str, data: bytes) -> list[Detected]:
    if len(data) > MAX_BYTES:
        log.info("skipped %s: larger than %d bytes", path, MAX_BYTES)
        return []
    text = _text(data)
    return [] if text is None else detect(text, path)


def tracked_files(root: Path) -> list[str]:
    out = _git(root, "ls-files", "-z", "--cached")
    return sorted({p for p in out.decode("utf-8", "replace").split("\0") if p})


def _walk(root: Path, target: Path) -> Iterator[Path]:
    if target.is_file():
        yield target
        return
    for folder, dirs, files in os.walk(target):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        for name in sorted(files):
            yield Path(folder) / name


def _display(root: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def scan_files(root: Path, files: Iterable[Path]) -> tuple[list[Detected], int]:
    found: list[Detected] = []
    count = 0
    for file in files:
        if file.is_symlink() or not file.is_file():
            continue
        try:
            data = file.read_bytes()
        except OSError as exc:
            log.warning("cannot read %s: %s", _display(root, file), exc.strerror)
            continue
        count += 1
        found.extend(_scan_blob(_display(root, file), data))
    return found, count


def scan_tree(root: Path) -> tuple[list[Detected], int]:
    """Every tracked file, as it is in the work tree now."""
    return scan_files(root, (root / p for p in tracked_files(root)))


def scan_paths(root: Path, paths: Sequence[Path]) -> tuple[list[Detected], int]:
    """Files and folders given by the user (folders walked, caches and venvs skipped)."""
    files: list[Path] = []
    for p in paths:
        if not p.exists():
            raise SecretsError(f"no such file or folder: {p}")
        files.extend(_walk(root, p))
    return scan_files(root, files)


def _cat_blobs(root: Path, shas: Sequence[str]) -> list[bytes]:
    if not shas:
        return []
    out = _git(root, "cat-file", "--batch", stdin="".join(s + "\n" for s in shas).encode())
    blobs, pos = [], 0
    for _ in shas:
        header_end = out.index(b"\n", pos)
        parts = out[pos:header_end].split()
        size = int(parts[2]) if len(parts) == 3 else 0
        blobs.append(out[header_end + 1 : header_end + 1 + size])
        pos = header_end + 1 + size + 1
    return blobs


def scan_staged(root: Path) -> tuple[list[Detected], int]:
    """The staged content (what ``git commit`` would record) of every added or changed file."""
    names = _git(root, "diff", "--cached", "--name-only", "-z", "--diff-filter=ACMRT")
    wanted = {p for p in names.decode("utf-8", "replace").split("\0") if p}
    if not wanted:
        return [], 0
    entries: list[tuple[str, str]] = []
    for record in _git(root, "ls-files", "-s", "-z").decode("utf-8", "replace").split("\0"):
        if not record:
            continue
        meta, _, path = record.partition("\t")
        mode, sha, _stage = meta.split()
        if path in wanted and mode.startswith("100"):  # regular files, not links or submodules
            entries.append((path, sha))
    found: list[Detected] = []
    for (path, _sha), data in zip(entries, _cat_blobs(root, [s for _, s in entries]), strict=True):
        found.extend(_scan_blob(path, data))
    return found, len(entries)


@dataclass
class _Hunk:
    start: int
    lines: list[str] = field(default_factory=list)
    added: set[int] = field(default_factory=set)  # 0-based indexes into lines


def _scan_hunk(path: str, commit: str, hunk: _Hunk) -> list[Detected]:
    out = []
    for d in detect("\n".join(hunk.lines), path, line_offset=hunk.start - 1):
        if d.finding.line - hunk.start in hunk.added:
            extra = (*d.finding.extra, ("commit", commit[:12]))
            out.append(Detected(replace(d.finding, extra=extra), d.value))
    return out


def scan_history(root: Path, rev_range: str | None = None) -> tuple[list[Detected], int, int]:
    """The lines every commit added (so a secret added then deleted is still found)."""
    args = ["log", "-p", "-U3", "--no-color", "--no-ext-diff", "--no-textconv", "--format=%x00%H"]
    if rev_range and rev_range.startswith("-"):
        raise SecretsError(f"not a revision range: {rev_range}")
    try:
        has_head = bool(_git(root, "rev-parse", "--verify", "-q", "HEAD"))
    except SecretsError:
        has_head = False
    if not rev_range and not has_head:
        return [], 0, 0
    found: list[Detected] = []
    commit, path, hunk = "", "", None
    commits = changes = 0
    skipping = False

    def flush() -> None:
        nonlocal hunk
        if hunk is not None and hunk.added and path:
            found.extend(_scan_hunk(path, commit, hunk))
        hunk = None

    for raw in _git_lines(root, *args, rev_range or "HEAD", "--"):
        if raw.startswith(b"\0"):
            flush()
            commit, path, skipping = raw[1:].decode().strip(), "", False
            commits += 1
        elif raw.startswith(b"diff --git "):
            flush()
            path, skipping = "", False
        elif raw.startswith(b"+++ ") and hunk is None:
            path = _diff_path(raw[4:])
            changes += 1 if path else 0
        elif raw.startswith(b"Binary files "):
            skipping = True
        elif raw.startswith(b"@@ ") and not skipping:
            flush()
            m = _HUNK.match(raw)
            hunk = _Hunk(int(m["start"])) if m else None
        elif hunk is not None and raw[:1] in (b"+", b" "):
            if raw[:1] == b"+":
                hunk.added.add(len(hunk.lines))
            hunk.lines.append(raw[1:].decode("utf-8", "replace"))
        elif raw.startswith(b"\\"):
            continue  # "\ No newline at end of file"
    flush()
    return found, changes, commits


def _sorted(findings: Iterable[Finding]) -> list[Finding]:
    """Sorted and deduplicated; unlike sort_findings, two commits' secrets on one line both stay."""
    unique = {(f.path, f.line, f.col, f.rule, f.extra): f for f in findings}
    return [unique[k] for k in sorted(unique)]


def run_scan(
    root: Path,
    *,
    paths: Sequence[Path] = (),
    staged: bool = False,
    history: bool = False,
    rev_range: str | None = None,
    allowlist_file: Path | None = None,
) -> ScanResult:
    """One scan, allowlist applied; stale allowlist entries come back as warnings."""
    started = time.perf_counter()
    commits = 0
    if history:
        mode = "history"
        found, files, commits = scan_history(root, rev_range)
    elif staged:
        mode = "staged"
        found, files = scan_staged(root)
    elif paths:
        mode = "paths"
        found, files = scan_paths(root, paths)
    else:
        mode = "tree"
        found, files = scan_tree(root)
    allow = allowlist_mod.load(allowlist_file or root / allowlist_mod.FILENAME)
    findings = _sorted(d.finding for d in found)
    kept, used = allow.apply(findings)
    warnings: list[Finding] = []
    if mode == "tree" or (mode == "history" and not rev_range):
        warnings = allow.stale(used, history=mode == "history")
    return ScanResult(
        mode=mode,
        findings=kept,
        warnings=warnings,
        files=files,
        commits=commits,
        allowed=len(findings) - len(kept),
        seconds=time.perf_counter() - started,
    )
