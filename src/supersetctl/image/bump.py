"""``bump``: pin a new runtime image in ``manifest.json`` and every image block of the spec.

The steps, in order; nothing is written until every one passed:

1. check the input: a valid OCI tag that is not ``latest``, a well-formed digest if given;
2. ask the registry: the tag's digest, or a check that the given digest is the tag's;
3. refuse a downgrade (an older version than the pinned one) unless ``allow_downgrade``;
4. build both new files: manifest.json (JSON, key order kept) and do-app-spec.yaml (round-trip
   YAML: comments, quotes and layout kept; ``tag`` removed, ``digest`` set in each image block
   of the manifest's repository);
5. run ``validate`` on a scratch copy of the repo holding the new files: the bump may not add
   an error;
6. the upgrade gate, when given one (``supersetctl bump`` does unless ``--no-gate``): the
   candidate's Superset version on a scratch local stack, every bundle applied, ``check`` run;
   a broken chart raises :class:`~supersetctl.image.gate.GateBlocked` (:mod:`.gate`);
7. write both files or neither (:func:`supersetctl.fsutil.atomic_write_many`).

The same bump twice changes nothing the second time (``updated_at`` only moves when something
else does).
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import logging
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from supersetctl.contract.models import Manifest
from supersetctl.errors import ConfigError, OperationFailed, UsageError
from supersetctl.findings import Finding, Severity
from supersetctl.fsutil import atomic_write, atomic_write_many
from supersetctl.paths import ENVIRONMENTS, RepoPaths
from supersetctl.yamlio import roundtrip_dump, roundtrip_load

from .reference import DIGEST_RE, TAG_RE, ImageReference
from .registry import Resolved

if TYPE_CHECKING:
    from .gate import GateResult

log = logging.getLogger(__name__)

COMPONENT_KINDS = ("services", "workers", "jobs", "static_sites", "functions")
_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+_.](.*))?$")
_GIT_SHA = re.compile(r"^[0-9a-f]{40}$")
_RUN_URL = re.compile(r"^https://\S+$")

Resolver = Callable[[ImageReference], Resolved]
Gate = Callable[[str], "GateResult"]  # the candidate's Superset version -> what it answered
NOT_GATED = "not gated (--no-gate)"


@dataclass(frozen=True)
class BumpRequest:
    tag: str
    digest: str | None = None
    source_commit: str | None = None
    run_url: str | None = None
    allow_downgrade: bool = False
    updated_by: str = "supersetctl bump"


@dataclass
class BumpPlan:
    """What a bump would change; ``files`` holds the new text of each changed file."""

    old_tag: str | None
    old_digest: str | None
    new_tag: str
    new_digest: str
    image: str  # ghcr.io/OWNER/NAME
    blocks: list[str]  # the spec's image blocks that point at the image, e.g. services[0]
    files: dict[Path, str] = field(default_factory=dict)
    diff: str = ""
    warnings: list[str] = field(default_factory=list)
    new_findings: list[Finding] = field(default_factory=list)
    source_commit: str | None = None
    run_url: str | None = None
    source_repository: str | None = None
    gate: GateResult | None = None
    gate_skipped: str | None = None  # why the gate did not run

    @property
    def changed(self) -> bool:
        return bool(self.files)

    def gate_dict(self) -> dict[str, Any]:
        if self.gate is not None:
            return self.gate.as_dict()
        return {"ran": False, "reason": self.gate_skipped}

    def as_dict(self) -> dict[str, Any]:
        return {
            "image": self.image,
            "old": {"tag": self.old_tag, "digest": self.old_digest},
            "new": {"tag": self.new_tag, "digest": self.new_digest},
            "changed": self.changed,
            "files": sorted(p.name for p in self.files),
            "blocks": self.blocks,
            "warnings": self.warnings,
            "diff": self.diff,
            "gate": self.gate_dict(),
        }


# ------------------------------------------------------------------ input checks


def check_request(req: BumpRequest) -> None:
    """Refuse ``latest``, malformed tags, digests, commits and run URLs (:class:`UsageError`)."""
    if req.tag == "latest":
        raise UsageError("refusing tag 'latest': it is not a pin", hint="use a version tag")
    if not TAG_RE.match(req.tag):
        raise UsageError(
            f"malformed tag {req.tag!r}",
            hint="letters, digits, '_', '.', '-'; at most 128; not starting with '.' or '-'",
        )
    if req.digest is not None and not DIGEST_RE.match(req.digest):
        raise UsageError(
            f"malformed digest {req.digest!r}", hint="sha256: followed by 64 lower-case hex"
        )
    if req.source_commit is not None and not _GIT_SHA.match(req.source_commit):
        raise UsageError("malformed --source-commit", hint="a full 40-hex commit SHA")
    if req.run_url is not None and not _RUN_URL.match(req.run_url):
        raise UsageError("malformed --run-url", hint="an https:// URL")


def version_key(tag: str) -> tuple[tuple[int, int, int], int | None] | None:
    """``6.1.0-3`` -> ((6, 1, 0), 3); ``6.1.0-1a2b3c`` -> ((6, 1, 0), None); no version: None."""
    m = _VERSION.match(tag)
    if not m:
        return None
    core = (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))
    suffix = m.group(4)
    build = int(suffix) if suffix is not None and suffix.isdigit() else None
    return core, build


def is_downgrade(old: str | None, new: str) -> bool:
    """True when ``new`` is an older version than ``old``.

    Versions compare by their leading X.Y[.Z]; equal versions by a numeric build suffix when
    both have one. Tags without a version (or with a commit suffix) are not ordered.
    """
    if old is None:
        return False
    a, b = version_key(old), version_key(new)
    if a is None or b is None:
        return False
    if b[0] != a[0]:
        return b[0] < a[0]
    if a[1] is not None and b[1] is not None:
        return b[1] < a[1]
    return False


# ------------------------------------------------------------------ file edits


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def new_manifest_text(
    old_text: str, req: BumpRequest, digest: str, *, now: Callable[[], str] = _now
) -> str:
    """manifest.json with the new image; unchanged text when nothing would change."""
    data = json.loads(old_text)
    image = data["image"]
    source = data.setdefault("source", {})
    same_image = image.get("tag") == req.tag and image.get("digest") == digest
    before = json.dumps(data, sort_keys=True)
    image["status"] = "released"
    image["tag"] = req.tag
    image["digest"] = digest
    if same_image:
        if req.source_commit is not None:
            source["commit"] = req.source_commit
        if req.run_url is not None:
            source["run_url"] = req.run_url
    else:
        source["commit"] = req.source_commit
        source["run_url"] = req.run_url
        data["built_at"] = None
    if json.dumps(data, sort_keys=True) == before:
        return old_text
    data["updated_at"] = now()
    data["updated_by"] = req.updated_by
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _image_blocks(spec: Any) -> Iterator[tuple[str, Any]]:
    if not hasattr(spec, "get"):
        return
    for kind in COMPONENT_KINDS:
        components = spec.get(kind) or []
        for i, comp in enumerate(components):
            if hasattr(comp, "get") and hasattr(comp.get("image"), "get"):
                yield f"{kind}[{i}] {comp.get('name', '?')}", comp["image"]


def new_spec_text(old_text: str, repository: str, digest: str) -> tuple[str, list[str]]:
    """The spec with ``digest`` in every GHCR image block of ``repository`` (OWNER/NAME).

    Returns the new text (the old one, byte for byte, when nothing changes) and the blocks.
    """
    owner, _, name = repository.partition("/")
    spec = roundtrip_load(old_text)
    blocks: list[str] = []
    changed = False
    for label, image in _image_blocks(spec):
        if (image.get("registry_type"), image.get("registry"), image.get("repository")) != (
            "GHCR",
            owner,
            name,
        ):
            continue
        blocks.append(label)
        if "tag" in image:
            del image["tag"]
            changed = True
        if image.get("digest") != digest:
            changed = True
            if "digest" in image:
                image["digest"] = digest
            else:
                keys = list(image.keys())
                at = keys.index("repository") + 1 if "repository" in keys else len(keys)
                image.insert(at, "digest", digest)
    if not blocks:
        raise ConfigError(
            f"no image block of the spec points at ghcr.io/{repository}",
            hint="each component's image needs registry_type GHCR, "
            f"registry {owner}, repository {name}",
        )
    return (roundtrip_dump(spec) if changed else old_text), blocks


def unified_diff(paths: RepoPaths, old: Mapping[Path, str], new: Mapping[Path, str]) -> str:
    out: list[str] = []
    for path, text in new.items():
        rel = paths.rel(path)
        out.extend(
            difflib.unified_diff(
                old[path].splitlines(keepends=True),
                text.splitlines(keepends=True),
                fromfile=f"a/{rel}",
                tofile=f"b/{rel}",
            )
        )
    return "".join(out)


# ------------------------------------------------------------------ validate on a scratch copy

_COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", ".local", "__pycache__", "node_modules", "*.pyc"
)


def _validate(paths: RepoPaths, files: Mapping[Path, str] | None) -> list[Finding]:
    from supersetctl.contract.validate import validate_repo

    with tempfile.TemporaryDirectory(prefix="supersetctl-bump-") as tmp:
        scratch = RepoPaths(Path(tmp))
        for name in ("infra", "config", "image", ".github"):
            src = paths.root / name
            if src.is_dir():
                shutil.copytree(src, scratch.root / name, ignore=_COPY_IGNORE)
        for path, text in (files or {}).items():
            target = scratch.root / path.resolve().relative_to(paths.root.resolve())
            target.write_text(text, encoding="utf-8")
        findings = validate_repo(scratch, list(ENVIRONMENTS))
    return [f for f in findings if f.severity is Severity.ERROR]


def _key(f: Finding) -> tuple[str, str, str]:
    return (f.path, f.rule, f.message)


def new_errors(paths: RepoPaths, files: Mapping[Path, str]) -> list[Finding]:
    """Errors ``validate`` reports with ``files`` applied that it does not report today."""
    before = {_key(f) for f in _validate(paths, None)}
    return [f for f in _validate(paths, files) if _key(f) not in before]


# ------------------------------------------------------------------ the whole bump


def default_resolver(environ: Mapping[str, str]) -> Resolver:
    from .registry import RegistryClient, credentials_from_env

    def _resolve(ref: ImageReference) -> Resolved:
        creds = credentials_from_env(ref, environ)
        with RegistryClient(credentials={ref.registry: creds} if creds else None) as client:
            return client.resolve(ref)

    return _resolve


def plan_bump(paths: RepoPaths, req: BumpRequest, resolver: Resolver) -> BumpPlan:
    """Check, resolve and build the new files; raises before anything is written."""
    check_request(req)
    from supersetctl.contract.loader import load_manifest

    manifest: Manifest = load_manifest(paths)
    ref = ImageReference(manifest.image.registry, manifest.image.repository, req.tag, req.digest)
    resolved = resolver(ref)
    digest = resolved.digest
    old_tag, old_digest = manifest.image.tag, manifest.image.digest
    if is_downgrade(old_tag, req.tag) and not req.allow_downgrade:
        raise UsageError(
            f"refusing to downgrade from {old_tag} to {req.tag}",
            hint="pass --allow-downgrade if this is a deliberate roll back",
        )
    warnings: list[str] = []
    if old_tag == req.tag and old_digest and old_digest != digest:
        warnings.append(f"tag {req.tag} moved: it was {old_digest}, the registry now says {digest}")
    if is_downgrade(old_tag, req.tag):
        warnings.append(f"downgrade from {old_tag} to {req.tag} (allowed)")

    old_manifest = paths.manifest.read_text(encoding="utf-8")
    try:
        old_spec = paths.app_spec.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found", path=paths.rel(paths.app_spec)) from None
    manifest_text = new_manifest_text(old_manifest, req, digest)
    spec_text, blocks = new_spec_text(old_spec, manifest.image.repository, digest)
    Manifest.model_validate_json(manifest_text)  # the model the rest of the tool reads

    old = {paths.manifest: old_manifest, paths.app_spec: old_spec}
    files = {
        p: t
        for p, t in ((paths.manifest, manifest_text), (paths.app_spec, spec_text))
        if t != old[p]
    }
    plan = BumpPlan(
        old_tag=old_tag,
        old_digest=old_digest,
        new_tag=req.tag,
        new_digest=digest,
        image=f"{manifest.image.registry}/{manifest.image.repository}",
        blocks=blocks,
        files=files,
        diff=unified_diff(paths, old, files),
        warnings=warnings,
        source_commit=req.source_commit or manifest.source.commit,
        run_url=req.run_url or manifest.source.run_url,
        source_repository=manifest.source.repository,
    )
    if files:
        plan.new_findings = new_errors(paths, files)
    return plan


def apply_bump(plan: BumpPlan) -> None:
    """Write both files or neither; refuses a plan that adds validate errors."""
    if plan.new_findings:
        raise OperationFailed(
            f"the bump would add {len(plan.new_findings)} validate error(s); nothing written",
            hint="; ".join(f.format() for f in plan.new_findings[:3]),
        )
    if plan.files:
        atomic_write_many(plan.files)
        log.info("pinned %s:%s@%s", plan.image, plan.new_tag, plan.new_digest)


def bump(
    paths: RepoPaths,
    req: BumpRequest,
    resolver: Resolver,
    *,
    dry_run: bool = False,
    gate: Gate | None = None,
) -> BumpPlan:
    """Plan, gate (when ``gate`` is given and there is something to pin), write.

    The tag's Superset version must have a runtime lock before anything else runs; a gate
    that finds a broken chart raises before anything is written."""
    version: str | None = None
    if gate is not None:
        from .gate import gate_version

        check_request(req)
        version = gate_version(paths, req.tag)
    plan = plan_bump(paths, req, resolver)
    if version is None or gate is None:
        plan.gate_skipped = NOT_GATED
    elif not plan.changed:
        plan.gate_skipped = "nothing to pin"
    elif plan.new_findings:
        plan.gate_skipped = "validate refused the bump first"
    else:
        plan.gate = gate(version)
    if not dry_run:
        apply_bump(plan)
    return plan


def pr_body(plan: BumpPlan) -> str:
    """Markdown for the bump PR: old -> new, and the links that prove where the image is from."""
    lines = [
        f"Pins the Superset runtime image `{plan.image}` to `{plan.new_tag}`.",
        "",
        "| | tag | digest |",
        "|---|---|---|",
        f"| old | `{plan.old_tag or '(unreleased)'}` | `{plan.old_digest or '-'}` |",
        f"| new | `{plan.new_tag}` | `{plan.new_digest}` |",
        "",
        f"- Image: https://{plan.image} (`{plan.image}@{plan.new_digest}`)",
    ]
    if plan.source_commit and plan.source_repository:
        lines.append(
            f"- Source commit: https://github.com/{plan.source_repository}/commit/"
            f"{plan.source_commit}"
        )
    if plan.run_url:
        lines.append(f"- Build run: {plan.run_url}")
    lines.append(f"- Image blocks updated: {', '.join(plan.blocks)}")
    if plan.gate is not None:
        lines.append(f"- {plan.gate.summary()}")
    else:
        lines.append(
            f"- gate: {plan.gate_skipped or NOT_GATED}: **this bump was not gated**, no chart "
            "was run on the new Superset version before the pin moved"
        )
    for w in plan.warnings:
        lines.append(f"- Warning: {w}")
    gated = (
        " The upgrade gate imported every bundle into this Superset version on a scratch local"
        " stack and every chart and dataset answered."
        if plan.gate is not None
        else ""
    )
    lines += [
        "",
        "The digest was checked against the registry and `supersetctl validate` passed." + gated,
        "After merge, `superset-deploy` pushes the spec to App Platform and verifies the running",
        "digest.",
        "",
    ]
    return "\n".join(lines)


def write_pr_body(path: Path, plan: BumpPlan) -> None:
    atomic_write(path, pr_body(plan))
