from __future__ import annotations

import pytest

from supersetctl.errors import UsageError
from supersetctl.image.reference import ImageReference, parse_reference

D = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("superset", ImageReference("docker.io", "library/superset", "latest")),
        ("apache/superset:6.1.0", ImageReference("docker.io", "apache/superset", "6.1.0")),
        (
            "docker.io/apache/superset:6.1.0",
            ImageReference("docker.io", "apache/superset", "6.1.0"),
        ),
        (
            "ghcr.io/insightpulseai/superset:6.1.0-1",
            ImageReference("ghcr.io", "insightpulseai/superset", "6.1.0-1"),
        ),
        (
            f"ghcr.io/insightpulseai/superset@{D}",
            ImageReference("ghcr.io", "insightpulseai/superset", None, D),
        ),
        (
            f"ghcr.io/insightpulseai/superset:1.0@{D}",
            ImageReference("ghcr.io", "insightpulseai/superset", "1.0", D),
        ),
        ("localhost:5000/a/b:c", ImageReference("localhost:5000", "a/b", "c")),
        ("127.0.0.1:5000/a:c", ImageReference("127.0.0.1:5000", "a", "c")),
        ("GHCR.IO/owner/name:v1", ImageReference("ghcr.io", "owner/name", "v1")),
    ],
)
def test_parse(text: str, expected: ImageReference) -> None:
    assert parse_reference(text) == expected


def test_docker_hub_api_host_and_loopback() -> None:
    assert parse_reference("apache/superset:6.1.0").api_host == "registry-1.docker.io"
    assert parse_reference("ghcr.io/o/n:1").api_host == "ghcr.io"
    assert parse_reference("127.0.0.1:5000/a:c").is_loopback
    assert parse_reference("localhost/a:c").is_loopback
    assert parse_reference("[::1]:5000/a:c").is_loopback
    assert not parse_reference("ghcr.io/o/n:1").is_loopback


def test_reference_part_and_str() -> None:
    ref = parse_reference(f"ghcr.io/o/n@{D}")
    assert ref.reference == D
    assert str(parse_reference("ghcr.io/o/n:1").with_digest(D)) == f"ghcr.io/o/n:1@{D}"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "a b",
        "ghcr.io/Owner/name:1",  # upper case repository
        "ghcr.io/o/n:-bad",
        "ghcr.io/o/n:" + "x" * 129,
        "ghcr.io/o/n@sha256:abc",
        "ghcr.io/o/n@md5:" + "a" * 32,
        "ghcr.io/o//n:1",
    ],
)
def test_malformed(text: str) -> None:
    with pytest.raises(UsageError):
        parse_reference(text)
