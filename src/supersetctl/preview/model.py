"""What a preview returns: per dashboard its two screenshots, the score between them, and
what went wrong; the whole run in a :class:`PreviewReport`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .browser import Shot

# changed: before and after differ; same: they do not (score under SAME_BELOW); new: no
# before (the dashboard is not in the base); removed: no after; shot: only an after (no
# base asked for); error: a screenshot could not be taken
Status = Literal["changed", "same", "new", "removed", "shot", "error"]
# a score under this is the same picture: a stray pixel or two. The pictures are made to be
# reproducible (fixed viewport, clock, fonts hinting; no animation, caret or hover), and an
# unchanged dashboard scores exactly 0 here; a renamed chart title moves about 0.02 %
SAME_BELOW = 0.00001


@dataclass
class DashboardPreview:
    slug: str
    title: str
    reached: bool = False  # the change since the base reaches it
    before: Shot | None = None
    after: Shot | None = None
    score: float | None = None
    diff: Path | None = None
    error: str | None = None
    in_before: bool = True
    in_after: bool = True

    @property
    def status(self) -> Status:
        if self.error:
            return "error"
        if not self.in_before:
            return "new"
        if not self.in_after:
            return "removed"
        if self.score is None:
            return "shot"
        return "same" if self.score < SAME_BELOW else "changed"

    @property
    def chart_errors(self) -> list[str]:
        return self.after.errors if self.after else []

    @property
    def ok(self) -> bool:
        return self.error is None and not self.chart_errors

    def as_dict(self, root: Path) -> dict[str, Any]:
        def rel(p: Path | None) -> str | None:
            if p is None:
                return None
            try:
                return p.relative_to(root).as_posix()
            except ValueError:
                return str(p)

        def shot(s: Shot | None) -> dict[str, Any] | None:
            if s is None:
                return None
            return {
                "png": rel(s.path),
                "seconds": round(s.seconds, 2),
                "charts": len(s.charts),
                "chart_errors": s.errors,
                "no_results": s.no_results,
            }

        return {
            "slug": self.slug,
            "title": self.title,
            "status": self.status,
            "reached": self.reached,
            "score": None if self.score is None else round(self.score, 5),
            "before": shot(self.before),
            "after": shot(self.after),
            "diff": rel(self.diff),
            "error": self.error,
        }


@dataclass
class PreviewReport:
    env: str
    out: Path
    selection: str
    base: str | None = None  # REF, the --before-url, or None (after only)
    dashboards: list[DashboardPreview] = field(default_factory=list)
    reached: list[str] = field(default_factory=list)  # slugs the change reaches
    seconds: float = 0.0
    scratch_seconds: float = 0.0  # making the "before" instance (0 with --before-url)

    @property
    def ok(self) -> bool:
        return all(d.ok for d in self.dashboards)

    @property
    def index(self) -> Path:
        return self.out / "index.html"

    def shot_seconds(self) -> list[float]:
        return [s.seconds for d in self.dashboards for s in (d.before, d.after) if s is not None]

    def as_dict(self) -> dict[str, Any]:
        return {
            "env": self.env,
            "ok": self.ok,
            "selection": self.selection,
            "base": self.base,
            "out": str(self.out),
            "index": str(self.index),
            "reached": self.reached,
            "dashboards": [d.as_dict(self.out) for d in self.dashboards],
            "seconds": round(self.seconds, 2),
            "scratch_seconds": round(self.scratch_seconds, 2),
        }
