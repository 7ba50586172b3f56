"""The upgrade, step by step, on any :class:`Target`.

0. ``preflight`` (with ``verify``): ``plan`` clean and every chart answering before anything
   changes, so that what the checks of step 5 find is the upgrade's doing;
1. ``backup``: the metadata database, before anything changes (:mod:`.metadata`);
2. ``switch``: the old version stops, the new one is there (installed, not yet serving);
3. ``migrate``: ``superset db upgrade && superset init`` by the new version (the app spec's
   PRE_DEPLOY job);
4. ``health``: the new version starts and ``/health`` answers OK;
5. ``verify``: ``plan`` clean against the files, every chart's data query answering.

A failure in 2-5 (or an interrupt) rolls back: the new version stops, the metadata database is
restored from the backup of step 1 (only when it moved: a failure before the migrations leaves
it as it was), the old version starts, and it must be healthy and answer every chart's query
again. Every step is timed; :class:`UpgradeResult` says what ran, how long it took and where
it stopped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from supersetctl.errors import SupersetctlError

from .checks import ChartReport
from .metadata import MetadataBackup, UpgradeFailed

log = logging.getLogger(__name__)

Progress = Callable[[str], None]
T = TypeVar("T")


def _quiet(_: str) -> None:
    return None


class Target(Protocol):
    """Where Superset runs, as the upgrade needs it."""

    def version(self) -> str:
        """The Superset version serving now."""
        ...

    def revision(self) -> str | None:
        """The metadata database's alembic revision."""
        ...

    def backup(self) -> MetadataBackup: ...

    def switch(self, version: str) -> None:
        """Stop the serving version and have ``version`` ready to migrate and start."""
        ...

    def migrate(self) -> None:
        """Run the migrations with the version switched to."""
        ...

    def start(self) -> None:
        """Start the version switched to; return once ``/health`` answers OK, raise if not."""
        ...

    def plan_changes(self) -> int:
        """How many changes ``plan`` finds between the files and the instance."""
        ...

    def charts(self) -> ChartReport: ...

    def restore(self, backup: MetadataBackup) -> str | None:
        """Stop whatever serves, put ``backup`` back; the revision after."""
        ...


@dataclass
class UpgradeResult:
    from_version: str
    to_version: str
    ok: bool = False
    steps: list[tuple[str, float]] = field(default_factory=list)
    revision_before: str | None = None
    revision_after: str | None = None
    backup: MetadataBackup | None = None
    failed_step: str | None = None
    reason: str | None = None
    plan_changes: int | None = None
    charts: ChartReport | None = None
    rolled_back: bool = False
    rollback_steps: list[tuple[str, float]] = field(default_factory=list)
    rollback_charts: ChartReport | None = None
    rollback_error: str | None = None
    seconds: float = 0.0
    rollback_seconds: float = 0.0

    @property
    def serving(self) -> str:
        """The version that serves at the end."""
        if self.ok:
            return self.to_version
        return self.from_version if self.rolled_back and not self.rollback_error else "unknown"

    def as_dict(self) -> dict[str, Any]:
        def timings(steps: list[tuple[str, float]]) -> list[dict[str, Any]]:
            return [{"step": s, "seconds": round(t, 2)} for s, t in steps]

        return {
            "from": self.from_version,
            "to": self.to_version,
            "ok": self.ok,
            "serving": self.serving,
            "revision_before": self.revision_before,
            "revision_after": self.revision_after,
            "backup": self.backup.as_dict() if self.backup else None,
            "steps": timings(self.steps),
            "seconds": round(self.seconds, 2),
            "failed_step": self.failed_step,
            "reason": self.reason,
            "plan_changes": self.plan_changes,
            "charts": self.charts.as_dict() if self.charts else None,
            "rolled_back": self.rolled_back,
            "rollback_steps": timings(self.rollback_steps),
            "rollback_seconds": round(self.rollback_seconds, 2),
            "rollback_charts": self.rollback_charts.as_dict() if self.rollback_charts else None,
            "rollback_error": self.rollback_error,
        }


def _timed(steps: list[tuple[str, float]], name: str, fn: Callable[[], T]) -> T:
    started = time.monotonic()
    try:
        return fn()
    finally:
        steps.append((name, time.monotonic() - started))


def upgrade(
    target: Target, to_version: str, *, progress: Progress = _quiet, verify: bool = True
) -> UpgradeResult:
    """Upgrade ``target`` to ``to_version``; see the module docstring. Raises
    :class:`UpgradeFailed` only when nothing was changed yet (the preflight or the backup
    failed); every later failure is in the result, rolled back."""
    started = time.monotonic()
    result = UpgradeResult(target.version(), to_version)
    if result.from_version == to_version:
        raise UpgradeFailed(
            f"Superset {to_version} runs already", hint="nothing to upgrade; --to VERSION"
        )
    result.revision_before = target.revision()
    if verify:
        progress("preflight: plan and every chart's data query before the upgrade")
        _timed(result.steps, "preflight", lambda: _preflight(target))
    progress(f"backing up the metadata database (revision {result.revision_before})")
    result.backup = _timed(result.steps, "backup", target.backup)
    step = "switch"
    try:
        progress(f"stopping Superset {result.from_version}; readying {to_version}")
        _timed(result.steps, step, lambda: target.switch(to_version))
        step = "migrate"
        progress(f"migrating the metadata database with {to_version} (db upgrade, init)")
        _timed(result.steps, step, target.migrate)
        step = "health"
        progress(f"starting Superset {to_version}; waiting for /health")
        _timed(result.steps, step, target.start)
        if verify:
            step = "plan"
            progress("plan: the files against the upgraded instance")
            result.plan_changes = _timed(result.steps, step, target.plan_changes)
            if result.plan_changes:
                raise UpgradeFailed(f"plan finds {result.plan_changes} change(s) after the upgrade")
            step = "charts"
            progress("every chart's data query")
            result.charts = _timed(result.steps, step, target.charts)
            _check_charts(result.charts)
        result.revision_after = target.revision()
    except (SupersetctlError, KeyboardInterrupt) as exc:
        # an interrupt mid-way leaves a half-done upgrade: it is rolled back like a failure
        reason = exc.message if isinstance(exc, SupersetctlError) else "interrupted"
        result.failed_step, result.reason = step, reason
        progress(f"{step} failed: {reason}")
        _roll_back(target, result, progress)
    else:
        result.ok = True
    result.seconds = time.monotonic() - started
    return result


def _preflight(target: Target) -> None:
    changes = target.plan_changes()
    if changes:
        raise UpgradeFailed(
            f"plan finds {changes} change(s) before the upgrade: the checks after it would "
            "not tell the upgrade's doing from these",
            hint="apply them first (supersetctl apply --env dev), or see supersetctl plan",
        )
    _check_charts(target.charts(), when="before the upgrade: ", hint="fix those charts first")


def _check_charts(report: ChartReport, *, when: str = "", hint: str | None = None) -> None:
    if report.failed:
        first = report.failed[0]
        raise UpgradeFailed(
            f"{when}{len(report.failed)} of {len(report.answers)} chart queries failed "
            f"(first: {first.name}: {first.error})",
            hint=hint,
        )


def _roll_back(target: Target, result: UpgradeResult, progress: Progress) -> None:
    backup = result.backup
    assert backup is not None
    started = time.monotonic()
    steps = result.rollback_steps
    result.rolled_back = True
    step = "restore"
    try:
        moved = target.revision() != backup.revision or result.failed_step != "switch"
        if moved:
            progress(f"restoring the metadata database from {backup.name}")
            _timed(steps, step, lambda: target.restore(backup))
        step = "switch back"
        progress(f"switching back to Superset {result.from_version}")
        _timed(steps, step, lambda: target.switch(result.from_version))
        step = "health"
        _timed(steps, step, target.start)
        step = "charts"
        result.rollback_charts = _timed(steps, step, target.charts)
        _check_charts(result.rollback_charts)
        result.revision_after = target.revision()
    except SupersetctlError as exc:
        result.rollback_error = f"{step}: {exc.message}"
        progress(f"roll back failed at {step}: {exc.message}")
    result.rollback_seconds = time.monotonic() - started
