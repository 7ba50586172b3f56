"""``preview``: screenshots of the dashboards a change touches, before and after, compared.

:func:`preview_env` picks the dashboards (named ones; else those a change since ``REF``
reaches, through the dependency graph of :mod:`supersetctl.check.graph`; else every managed
one), makes sure the environment shows the working tree ("after": refuses pending changes
unless told to apply them), finds a "before" (``--before-url``, or the base's provisioning
files applied to a scratch copy of the local stack: :mod:`.scratch`), screenshots both in
headless Chromium (:mod:`.browser`), scores the pixel difference (:mod:`.diff`) and writes
``index.html``. Files under ``out``::

    <slug>/before.png  after.png  diff.png
    index.html
"""

from __future__ import annotations

import contextlib
import io
import logging
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from supersetctl.check.graph import changed_files, changed_uuids, charts_of_dashboard, reached
from supersetctl.contract.environment import Environment
from supersetctl.errors import BrowserError, ConfigError, OperationFailed, UsageError
from supersetctl.paths import RepoPaths
from supersetctl.progress import NO_PROGRESS, Progress
from supersetctl.provision import Desired, client_for, load_desired, prepare, send_plan

from . import browser
from .diff import compare
from .model import DashboardPreview, PreviewReport
from .page import write_index
from .watchdog import BrowserStalled

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Board:
    slug: str
    title: str
    uuid: str
    charts: int


def boards(desired: Iterable[Desired]) -> dict[str, Board]:
    """slug -> dashboard of the files (its chart count is what the page must show)."""
    out = {}
    for d in desired:
        if d.kind == "dashboard" and d.data.get("slug"):
            slug = str(d.data["slug"])
            title = str(d.data.get("dashboard_title") or slug)
            out[slug] = Board(slug, title, d.uuid.lower(), len(charts_of_dashboard(d)))
    return out


def reached_boards(desired: list[Desired], files: set[str]) -> set[str]:
    """Slugs of the dashboards a change of ``files`` reaches: a changed dashboard, or one
    placing a chart that a changed chart, dataset or database reaches."""
    hit = reached(desired, changed_uuids(desired, files))
    out = set()
    for d in desired:
        on_it = d.uuid.lower() in hit or bool(charts_of_dashboard(d) & hit)
        if d.kind == "dashboard" and d.data.get("slug") and on_it:
            out.add(str(d.data["slug"]))
    return out


def needs(desired: list[Desired], slugs: set[str]) -> set[str]:
    """The uuids a dashboard shows: itself, its charts, their datasets and databases."""
    by_uuid = {d.uuid.lower(): d for d in desired}
    out: set[str] = set()
    for d in desired:
        if d.kind == "dashboard" and str(d.data.get("slug")) in slugs:
            out.add(d.uuid.lower())
            out |= charts_of_dashboard(d)
    for key in ("dataset_uuid", "database_uuid"):
        out |= {
            str(by_uuid[u].data.get(key, "")).lower()
            for u in list(out)
            if u in by_uuid and by_uuid[u].data.get(key)
        }
    return out


def base_files(env: Environment, ref: str, dest: Path) -> Environment:
    """``env`` reading its provisioning files as they were at git ``ref`` (extracted into
    ``dest``); the rest of the environment (config, variables) stays the working tree's."""
    root = env.paths.root
    rel = env.paths.provisioning.relative_to(root).as_posix()
    done = subprocess.run(
        ["git", "archive", "--format=tar", ref, "--", rel],
        cwd=root,
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        why = done.stderr.decode(errors="replace").strip()
        if "did not match any files" not in why:
            raise UsageError(
                f"--changed-since {ref}: {(why.splitlines() or ['git archive failed'])[-1]}",
                hint="name a commit, branch or tag git knows",
            )
    else:
        with tarfile.open(fileobj=io.BytesIO(done.stdout)) as tar:
            tar.extractall(dest, filter="data")
    return replace(env, paths=RepoPaths(dest))


def _credentials(env: Environment) -> tuple[str, str]:
    names = env.config.superset
    user = env.environ.get(names.admin_username_env)
    password = env.secret(names.admin_password_env)
    if not user or not password:
        raise ConfigError(
            f"preview logs in to Superset like a user and needs {names.admin_username_env} "
            f"and {names.admin_password_env}",
            path=env.config_file,
            hint="export both: an access token alone cannot open the web pages"
            f"{'; `supersetctl up` writes them to .local/dev.env' if env.name == 'dev' else ''}",
        )
    return user, password


def ensure_applied(
    env: Environment,
    desired: list[Desired],
    slugs: set[str],
    *,
    apply: bool,
    progress: Progress,
) -> None:
    """The instance must show the working tree for the previewed dashboards: with pending
    changes on what they show, apply them (``apply``) or refuse."""
    if apply and env.name != "dev":
        raise UsageError(
            f"--apply changes dev only; {env.name} is applied with `supersetctl apply --env "
            f"{env.name}` (it asks first)"
        )
    wanted = needs(desired, slugs)
    progress.phase(f"planning {env.name} (the 'after' must match the files)")
    with client_for(env) as client:
        prepared = prepare(env, client, desired=desired, progress=progress)
        pending = [c for c in prepared.plan.pending if c.uuid.lower() in wanted]
        conflicts = [c for c in prepared.plan.conflicts if c.uuid.lower() in wanted]
        if conflicts:
            raise OperationFailed(
                f"{len(conflicts)} asset(s) of the previewed dashboards cannot be applied to "
                f"{env.name}: " + ", ".join(f"{c.kind} {c.name}" for c in conflicts[:5]),
                hint=f"see `supersetctl plan --env {env.name}`",
            )
        if not pending:
            return
        if not apply:
            raise OperationFailed(
                f"{env.name} does not show the working tree yet: {len(pending)} change(s) "
                "on the previewed dashboards are not applied ("
                + ", ".join(f"{c.action} {c.kind} {c.name}" for c in pending[:5])
                + ")",
                hint=f"run `supersetctl apply --env {env.name}` first, or pass --apply",
            )
        progress.phase(f"applying {len(pending)} change(s) to {env.name}")
        send_plan(env, prepared, client, progress=progress)


def _select(
    current: dict[str, Board],
    base: dict[str, Board] | None,
    named: Sequence[str],
    hit: set[str] | None,
) -> tuple[list[str], str]:
    known = set(current) | set(base or {})
    for slug in named:
        if slug not in known:
            raise UsageError(
                f"no dashboard with slug '{slug}' in the provisioning files",
                hint="one of: " + ", ".join(sorted(known)) if known else "there are none",
            )
    if named:
        return sorted(set(named)), "dashboards " + ", ".join(sorted(set(named)))
    if hit is not None:
        return sorted(hit), f"{len(hit)} dashboard(s) the change reaches"
    return sorted(current), "every managed dashboard"


def _shoot(
    context: Any, url: str, board: Board, out: Path, timeout: float, side: str
) -> browser.Shot:
    return browser.screenshot_dashboard(
        context,
        url,
        board.slug,
        out,
        expected=board.charts,
        timeout=timeout,
        what=f"dashboard {board.slug} ({side}, {url})",
    )


def preview_env(
    env: Environment,
    *,
    changed_since: str | None = None,
    dashboards: Sequence[str] = (),
    before_url: str | None = None,
    out: Path | None = None,
    apply: bool = False,
    timeout: float = browser.RENDER_TIMEOUT,
    progress: Progress = NO_PROGRESS,
) -> PreviewReport:
    """Screenshots of ``env``'s dashboards before and after (see the module docstring)."""
    started = time.monotonic()
    user, password = _credentials(env)
    out = out or env.paths.local / "preview" / env.name
    desired = load_desired(env)
    current = boards(desired)
    with contextlib.ExitStack() as stack:
        base: dict[str, Board] | None = None
        hit: set[str] | None = None
        base_env: Environment | None = None
        if changed_since is not None:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="supersetctl-")))
            base_env = base_files(env, changed_since, tmp)
            base_desired = load_desired(base_env)
            base = boards(base_desired)
            files = changed_files(env.paths.root, changed_since, env.paths.provisioning)
            hit = reached_boards(desired, files) | reached_boards(base_desired, files)
        slugs, words = _select(current, base, dashboards, hit)
        report = PreviewReport(env.name, out, words, base=before_url or changed_since)
        report.reached = sorted(hit or ())
        if not slugs:
            report.seconds = time.monotonic() - started
            write_index(report)
            return report
        ensure_applied(env, desired, set(slugs) & set(current), apply=apply, progress=progress)
        before: str | None = before_url.rstrip("/") if before_url else None
        if before is None and base_env is not None:
            from .scratch import scratch_superset  # the local stack: only for this

            made = time.monotonic()
            scratch = stack.enter_context(scratch_superset(env, progress=progress))
            progress.phase(f"applying {changed_since}'s files to the scratch Superset")
            from supersetctl.provision import apply_env

            scratch_env = replace(base_env, url_override=scratch.url)
            with client_for(scratch_env) as client:
                apply_env(scratch_env, client, prune=True, progress=progress)
            before = scratch.url
            report.scratch_seconds = time.monotonic() - made
        before_boards = base if base is not None else current
        report.dashboards = _screenshots(
            env.url, before, slugs, current, before_boards, (user, password), out, timeout,
            {s: s in (hit or ()) for s in slugs}, progress,
        )  # fmt: skip
    report.seconds = time.monotonic() - started
    write_index(report)
    return report


class _Browser:
    """Chromium and one logged-in context per side, started when first needed and started
    again after a stall (the watchdog killed it). The contexts' pages are never closed: the
    browser's end closes them (see ``browser._page``)."""

    def __init__(self, login: tuple[str, str], progress: Progress) -> None:
        self._login = login
        self._progress = progress
        self._stack = contextlib.ExitStack()
        self._chromium: Any = None
        self._contexts: dict[str, Any] = {}
        self.restarts = 0

    def context(self, side: str, url: str) -> Any:
        """The side's context; Chromium that cannot start or a login refused ends the run
        (an :class:`OperationFailed`, not one dashboard's error)."""
        if side not in self._contexts:
            try:
                if self._chromium is None:
                    self._progress.phase("starting Chromium")
                    self._chromium = self._stack.enter_context(browser.launch())
                self._progress.phase(f"logging in to {url} ({side})")
                context = browser.new_context(self._chromium)
                browser.login(context, url, *self._login)
            except BrowserError as exc:
                raise OperationFailed(exc.message, hint=exc.hint) from None
            self._contexts[side] = context
        return self._contexts[side]

    def restart(self) -> None:
        self.close()
        self._stack, self._chromium, self._contexts = contextlib.ExitStack(), None, {}
        self.restarts += 1

    def close(self) -> None:
        self._stack.close()


def _screenshots(
    after_url: str,
    before_url: str | None,
    slugs: list[str],
    current: dict[str, Board],
    base: dict[str, Board],
    login: tuple[str, str],
    out: Path,
    timeout: float,
    reached_by: dict[str, bool],
    progress: Progress,
) -> list[DashboardPreview]:
    results: list[DashboardPreview] = []
    chromium = _Browser(login, progress)
    try:
        progress.phase("screenshots", len(slugs))
        for slug in slugs:
            board = current.get(slug) or base[slug]
            d = DashboardPreview(slug, board.title, reached=reached_by.get(slug, False))
            d.in_after = slug in current
            d.in_before = before_url is None or slug in base  # no before asked: not "new"
            folder = out / slug
            for name in ("before.png", "after.png", "diff.png"):
                (folder / name).unlink(missing_ok=True)
            problems = []
            for side, url, files, wanted in (
                ("before", before_url, base, d.in_before),
                ("after", after_url, current, d.in_after),
            ):
                if not wanted or url is None:
                    continue
                try:
                    shot = _shot_with_restart(chromium, side, url, files[slug], folder, timeout)
                except BrowserError as exc:
                    problems.append(exc.message)
                    continue
                setattr(d, side, shot)
            d.error = "; ".join(problems) or None
            if d.before is not None and d.after is not None:
                diff = compare(d.before.path, d.after.path, folder / "diff.png")
                d.score, d.diff = diff.score, folder / "diff.png"
            results.append(d)
            progress.advance()
    finally:
        chromium.close()
    return results


_RESTARTS = 2  # a run starts a stalled browser again this many times at the most


def _shot_with_restart(
    chromium: _Browser, side: str, url: str, board: Board, folder: Path, timeout: float
) -> browser.Shot:
    """One screenshot; a stalled browser is started again and the shot taken again."""
    while True:
        try:
            context = chromium.context(side, url)
            return _shoot(context, url, board, folder / f"{side}.png", timeout, side)
        except BrowserStalled as exc:
            if chromium.restarts >= _RESTARTS:
                raise
            log.warning("%s; starting Chromium again", exc.message)
            chromium.restart()
