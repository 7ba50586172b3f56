"""`image resolve` against a real registry (Debian docker-registry) fed by skopeo."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from supersetctl.image import (
    AccessDenied,
    Credentials,
    DigestMismatch,
    RegistryClient,
    RegistryUnreachable,
    UnknownManifest,
)
from tests.support.oci import MEDIA_TYPES, OCILayout
from tests.support.registry import LocalRegistry, free_port

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Pushed:
    registry: LocalRegistry
    single: str  # digest of the single-arch manifest
    index: str  # digest of the two-arch index


def _push_images(registry: LocalRegistry, tmp: Path) -> Pushed:
    layout = OCILayout(tmp / "layout")
    amd = layout.image("hello amd64\n", arch="amd64")
    arm = layout.image("hello arm64\n", arch="arm64")
    index = layout.index([(amd, "amd64"), (arm, "arm64")])
    registry.push(layout.tag(amd, "single"), "insightpulseai/superset:1.0.0")
    registry.push(layout.tag(index, "multi"), "insightpulseai/superset:1.1.0", all_images=True)
    return Pushed(registry, amd.digest, index.digest)


@pytest.fixture(scope="module")
def pushed(local_registry: LocalRegistry, tmp_path_factory: pytest.TempPathFactory) -> Pushed:
    return _push_images(local_registry, tmp_path_factory.mktemp("oci"))


@pytest.fixture(scope="module")
def pushed_auth(auth_registry: LocalRegistry, tmp_path_factory: pytest.TempPathFactory) -> Pushed:
    return _push_images(auth_registry, tmp_path_factory.mktemp("oci-auth"))


def test_single_arch_tag_resolves_to_skopeos_digest(pushed: Pushed) -> None:
    reg = pushed.registry
    with RegistryClient() as client:
        got = client.resolve(f"{reg.host}/insightpulseai/superset:1.0.0")
    assert got.digest == reg.skopeo_digest("insightpulseai/superset:1.0.0")
    assert got.digest == pushed.single
    assert got.method == "HEAD"
    assert got.media_type == MEDIA_TYPES["manifest"]
    assert not got.is_index


def test_multi_arch_index_resolves_to_the_index_digest(pushed: Pushed) -> None:
    reg = pushed.registry
    with RegistryClient() as client:
        got = client.resolve(f"{reg.host}/insightpulseai/superset:1.1.0")
    assert got.digest == reg.skopeo_digest("insightpulseai/superset:1.1.0")
    assert got.digest == pushed.index
    assert got.is_index
    assert got.media_type == MEDIA_TYPES["index"]


def test_resolve_by_digest_and_tag_plus_matching_digest(pushed: Pushed) -> None:
    host = pushed.registry.host
    with RegistryClient() as client:
        by_digest = client.resolve(f"{host}/insightpulseai/superset@{pushed.index}")
        both = client.verify(f"{host}/insightpulseai/superset:1.1.0", pushed.index)
    assert by_digest.digest == pushed.index
    assert both.digest == pushed.index


def test_digest_of_another_tag_is_a_mismatch(pushed: Pushed) -> None:
    host = pushed.registry.host
    with RegistryClient() as client, pytest.raises(DigestMismatch, match="not sha256:"):
        client.verify(f"{host}/insightpulseai/superset:1.1.0", pushed.single)


def test_unknown_tag_and_unknown_repository(pushed: Pushed) -> None:
    host = pushed.registry.host
    with RegistryClient() as client:
        with pytest.raises(UnknownManifest, match=r"no manifest for '9\.9\.9'"):
            client.resolve(f"{host}/insightpulseai/superset:9.9.9")
        with pytest.raises(UnknownManifest, match="nobody/nothing"):
            client.resolve(f"{host}/nobody/nothing:1.0.0")


def test_basic_auth_registry(pushed_auth: Pushed) -> None:
    reg = pushed_auth.registry
    assert reg.username and reg.password
    ref = f"{reg.host}/insightpulseai/superset:1.1.0"
    creds = {reg.host: Credentials(reg.username, reg.password)}
    with RegistryClient(credentials=creds) as client:
        got = client.resolve(ref)
    assert got.digest == reg.skopeo_digest("insightpulseai/superset:1.1.0") == pushed_auth.index


def test_basic_auth_registry_denies_anonymous_and_wrong_password(pushed_auth: Pushed) -> None:
    reg = pushed_auth.registry
    ref = f"{reg.host}/insightpulseai/superset:1.0.0"
    with RegistryClient() as client, pytest.raises(AccessDenied, match="authentication required"):
        client.resolve(ref)
    wrong = {reg.host: Credentials("pusher", "not-the-password")}
    with RegistryClient(credentials=wrong) as client, pytest.raises(AccessDenied) as info:
        client.resolve(ref)
    assert "not-the-password" not in str(info.value)


def test_unreachable_registry() -> None:
    port = free_port()  # nothing listens there
    with RegistryClient() as client, pytest.raises(RegistryUnreachable, match="unreachable"):
        client.resolve(f"127.0.0.1:{port}/insightpulseai/superset:1.0.0")


def test_cli_resolve_json(pushed: Pushed, run_cli) -> None:  # type: ignore[no-untyped-def]
    import json

    host = pushed.registry.host
    result = run_cli(
        ["--format", "json", "image", "resolve", f"{host}/insightpulseai/superset:1.1.0"]
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["digest"] == pushed.index
    assert data["multi_arch"] is True
    missing = run_cli(["image", "resolve", f"{host}/insightpulseai/superset:0.0.1"])
    assert missing.exit_code == 1
    assert "no manifest" in missing.stderr


def test_cli_resolve_with_credentials_from_env(
    pushed_auth: Pushed,
    run_cli,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reg = pushed_auth.registry
    assert reg.username and reg.password
    monkeypatch.setenv("SUPERSETCTL_REGISTRY_USERNAME", reg.username)
    monkeypatch.setenv("SUPERSETCTL_REGISTRY_PASSWORD", reg.password)
    result = run_cli(["image", "resolve", f"{reg.host}/insightpulseai/superset:1.0.0"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip().endswith(pushed_auth.single)
    assert reg.password not in result.stdout + result.stderr
