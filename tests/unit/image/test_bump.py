"""`bump`: atomic, idempotent, comment-preserving, and it refuses every bad input."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from supersetctl import fsutil
from supersetctl.contract.loader import load_manifest
from supersetctl.errors import OperationFailed, UsageError
from supersetctl.findings import Finding
from supersetctl.image import bump as bump_mod
from supersetctl.image import gate as gate_mod
from supersetctl.image.bump import BumpRequest, bump, is_downgrade, new_spec_text, pr_body
from supersetctl.image.reference import ImageReference
from supersetctl.image.registry import DigestMismatch, Resolved, UnknownManifest
from supersetctl.paths import RepoPaths
from supersetctl.yamlio import load_document

D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64
D3 = "sha256:" + "3" * 64
COMMIT = "c" * 40
RUN = "https://github.com/insightpulseai/superset/actions/runs/42"


def fake_registry(tags: dict[str, str]) -> Callable[[ImageReference], Resolved]:
    """A resolver that knows ``tags`` (tag -> digest), with the real client's checks."""

    def resolve(ref: ImageReference) -> Resolved:
        assert ref.registry == "ghcr.io"
        assert ref.repository == "insightpulseai/superset"
        if ref.tag not in tags:
            raise UnknownManifest(f"no manifest for {ref.tag!r}")
        digest = tags[ref.tag]
        if ref.digest and ref.digest != digest:
            raise DigestMismatch(f"{ref.tag} is {digest}, not {ref.digest}")
        return Resolved(ref.with_digest(digest), digest, "application/json", 10, "HEAD")

    return resolve


REGISTRY = fake_registry({"6.1.0-1": D1, "6.1.0-2": D2, "6.2.0": D3, "6.0.0": D3})


def snapshot(paths: RepoPaths) -> tuple[str, str]:
    return paths.manifest.read_text(), paths.app_spec.read_text()


def image_blocks(paths: RepoPaths) -> list[dict[str, object]]:
    spec = load_document(paths.app_spec).data
    return [
        comp["image"]
        for kind in ("services", "workers", "jobs")
        for comp in spec.get(kind, [])
        if "image" in comp
    ]


def comments(text: str) -> list[str]:
    return [m.group(0).strip() for m in re.finditer(r"#.*$", text, re.MULTILINE)]


def test_first_bump_pins_manifest_and_every_image_block(repo_copy: RepoPaths) -> None:
    old_manifest, old_spec = snapshot(repo_copy)
    plan = bump(
        repo_copy,
        BumpRequest("6.1.0-1", source_commit=COMMIT, run_url=RUN),
        REGISTRY,
    )
    assert plan.changed and not plan.new_findings
    assert (plan.old_tag, plan.new_tag, plan.new_digest) == (None, "6.1.0-1", D1)
    m = load_manifest(repo_copy)
    assert (m.image.status, m.image.tag, m.image.digest) == ("released", "6.1.0-1", D1)
    assert (m.source.commit, m.source.run_url) == (COMMIT, RUN)
    blocks = image_blocks(repo_copy)
    assert len(blocks) == len(plan.blocks) >= 4
    for block in blocks:
        assert block["digest"] == D1
        assert "tag" not in block
    new_spec = repo_copy.app_spec.read_text()
    assert comments(new_spec) == comments(old_spec)  # every comment kept, in place
    spec_diff = plan.diff.split("--- a/infra/superset/do-app-spec.yaml")[1].splitlines()[2:]
    changed = [ln for ln in spec_diff if ln[:1] in "+-"]
    assert changed == [f"+      digest: {D1}"] * len(blocks)  # nothing else in the spec moved
    assert old_manifest != repo_copy.manifest.read_text()


def test_same_bump_twice_leaves_no_diff(repo_copy: RepoPaths) -> None:
    bump(repo_copy, BumpRequest("6.1.0-1", source_commit=COMMIT), REGISTRY)
    first = snapshot(repo_copy)
    plan = bump(repo_copy, BumpRequest("6.1.0-1", source_commit=COMMIT), REGISTRY)
    assert not plan.changed and plan.diff == ""
    assert snapshot(repo_copy) == first
    plan = bump(repo_copy, BumpRequest("6.1.0-1", digest=D1), REGISTRY)  # commit kept
    assert not plan.changed
    assert snapshot(repo_copy) == first


def test_next_bump_updates_and_replaces_a_tag_in_the_spec(repo_copy: RepoPaths) -> None:
    bump(repo_copy, BumpRequest("6.1.0-1"), REGISTRY)
    text = repo_copy.app_spec.read_text().replace(f"digest: {D1}", "tag: 6.1.0-1", 1)
    repo_copy.app_spec.write_text(text)
    plan = bump(repo_copy, BumpRequest("6.1.0-2", digest=D2), REGISTRY)
    assert (plan.old_tag, plan.old_digest, plan.new_digest) == ("6.1.0-1", D1, D2)
    for block in image_blocks(repo_copy):
        assert block["digest"] == D2 and "tag" not in block
    assert "- Source commit" not in pr_body(plan)
    body = pr_body(plan)
    assert "`6.1.0-1`" in body and D1 in body and D2 in body


def test_dry_run_writes_nothing_and_shows_the_diff(repo_copy: RepoPaths) -> None:
    before = snapshot(repo_copy)
    plan = bump(repo_copy, BumpRequest("6.1.0-1"), REGISTRY, dry_run=True)
    assert snapshot(repo_copy) == before
    assert "--- a/infra/superset/manifest.json" in plan.diff
    assert "+++ b/infra/superset/do-app-spec.yaml" in plan.diff
    assert f"+      digest: {D1}" in plan.diff


@pytest.mark.parametrize(
    ("req", "message"),
    [
        (BumpRequest("latest"), "latest"),
        (BumpRequest("-1.0"), "malformed tag"),
        (BumpRequest("6.1.0 1"), "malformed tag"),
        (BumpRequest("a" * 129), "malformed tag"),
        (BumpRequest("6.1.0-1", digest="sha256:1234"), "malformed digest"),
        (BumpRequest("6.1.0-1", digest="SHA256:" + "1" * 64), "malformed digest"),
        (BumpRequest("6.1.0-1", source_commit="main"), "source-commit"),
        (BumpRequest("6.1.0-1", run_url="http://x y"), "run-url"),
    ],
)
def test_bad_input_is_a_usage_error_and_writes_nothing(
    repo_copy: RepoPaths, req: BumpRequest, message: str
) -> None:
    before = snapshot(repo_copy)
    with pytest.raises(UsageError, match=message):
        bump(repo_copy, req, REGISTRY)
    assert snapshot(repo_copy) == before


def test_digest_that_does_not_match_the_tag(repo_copy: RepoPaths) -> None:
    before = snapshot(repo_copy)
    with pytest.raises(DigestMismatch):
        bump(repo_copy, BumpRequest("6.1.0-1", digest=D2), REGISTRY)
    with pytest.raises(UnknownManifest):
        bump(repo_copy, BumpRequest("9.9.9"), REGISTRY)
    assert snapshot(repo_copy) == before


def test_downgrade_needs_allow_downgrade(repo_copy: RepoPaths) -> None:
    bump(repo_copy, BumpRequest("6.1.0-2"), REGISTRY)
    pinned = snapshot(repo_copy)
    for older in ("6.1.0-1", "6.0.0"):
        with pytest.raises(UsageError, match="downgrade"):
            bump(repo_copy, BumpRequest(older), REGISTRY)
        assert snapshot(repo_copy) == pinned
    plan = bump(repo_copy, BumpRequest("6.1.0-1", allow_downgrade=True), REGISTRY)
    assert plan.changed and any("downgrade" in w for w in plan.warnings)
    assert load_manifest(repo_copy).image.tag == "6.1.0-1"


@pytest.mark.parametrize(
    ("old", "new", "down"),
    [
        (None, "1.0.0", False),
        ("6.1.0", "6.0.9", True),
        ("6.1.0", "6.1.1", False),
        ("6.1.0-10", "6.1.0-9", True),
        ("6.1.0-9", "6.1.0-10", False),
        ("6.1.0-1a2b3c", "6.1.0-0f9e8d", False),  # commit suffixes are not ordered
        ("v7.0", "6.9.9", True),
        ("nightly", "6.0.0", False),
    ],
)
def test_is_downgrade(old: str | None, new: str, down: bool) -> None:
    assert is_downgrade(old, new) is down


def test_failure_writing_the_second_file_leaves_the_first_untouched(
    repo_copy: RepoPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(repo_copy)
    real = fsutil.atomic_write

    def flaky(path: Path, text: str, *, mode: int | None = None) -> None:
        if path.name == "do-app-spec.yaml" and "digest" in text:
            raise OSError("disk full")
        real(path, text, mode=mode)

    monkeypatch.setattr(fsutil, "atomic_write", flaky)
    with pytest.raises(OSError, match="disk full"):
        bump(repo_copy, BumpRequest("6.1.0-1"), REGISTRY)
    assert snapshot(repo_copy) == before


def test_validate_runs_on_the_result_before_writing(
    repo_copy: RepoPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    import supersetctl.contract.validate as validate

    seen: list[str] = []

    def fake_validate(paths: RepoPaths, envs: list[str]) -> list[Finding]:
        status = json.loads(paths.manifest.read_text())["image"]["status"]
        seen.append(status)
        if status == "released":
            return [Finding("infra/superset/manifest.json", 1, 1, "X-TEST", "broken by bump")]
        return []

    monkeypatch.setattr(validate, "validate_repo", fake_validate)
    before = snapshot(repo_copy)
    with pytest.raises(OperationFailed, match="validate error"):
        bump(repo_copy, BumpRequest("6.1.0-1"), REGISTRY)
    assert snapshot(repo_copy) == before
    assert seen == ["unreleased", "released"]


def test_spec_without_a_matching_image_block(tmp_path: Path) -> None:
    from supersetctl.errors import ConfigError

    text = "name: x\nservices:\n  - name: web\n    image:\n      registry_type: DOCKER_HUB\n"
    with pytest.raises(ConfigError, match="no image block"):
        new_spec_text(text, "insightpulseai/superset", D1)


def passing_gate(paths: RepoPaths, version: str, **kw: object) -> gate_mod.GateResult:
    from supersetctl.check import CheckReport

    return gate_mod.GateResult(version, CheckReport("dev"), [], 1.0)


def test_cli_bump(
    repo_copy: RepoPaths,
    run_cli,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setattr(bump_mod, "default_resolver", lambda environ: REGISTRY)
    # the gate's own tests are in test_gate.py: here it passes without starting anything
    monkeypatch.setattr(gate_mod, "run_gate", passing_gate)
    repo = ["--repo", str(repo_copy.root)]
    before = snapshot(repo_copy)
    dry = run_cli([*repo, "bump", "--tag", "6.1.0-1", "--dry-run"])
    assert dry.exit_code == 0, dry.stderr
    assert f"+      digest: {D1}" in dry.stdout
    assert snapshot(repo_copy) == before
    body = tmp_path / "body.md"
    done = run_cli([*repo, "--format", "json", "bump", "--tag", "6.1.0-1", "--pr-body", str(body)])
    assert done.exit_code == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["new"] == {"tag": "6.1.0-1", "digest": D1}
    assert data["old"] == {"tag": None, "digest": None}
    assert "(unreleased)" in body.read_text()
    again = run_cli([*repo, "bump", "--tag", "6.1.0-1"])
    assert again.exit_code == 0 and "already pinned" in again.stderr
    latest = run_cli([*repo, "bump", "--tag", "latest"])
    assert latest.exit_code == 2
    mismatch = run_cli([*repo, "bump", "--tag", "6.1.0-2", "--digest", D1])
    assert mismatch.exit_code == 1
