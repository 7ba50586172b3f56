"""S3 upload, download and retention against moto's S3-compatible server on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path
from typing import Any

import pytest

from supersetctl import redact
from supersetctl.ops import storage
from supersetctl.ops.archive import archive_name

pytestmark = pytest.mark.integration


@pytest.fixture
def s3(s3_endpoint: str) -> tuple[Any, str, dict[str, str]]:
    env = {
        "AWS_ACCESS_KEY_ID": "test" + secrets.token_hex(4),
        "AWS_SECRET_ACCESS_KEY": "sk_" + secrets.token_hex(16),
        "S3_ENDPOINT_URL": s3_endpoint,
        "S3_REGION": "us-east-1",
    }
    client = storage.s3_client(env)
    bucket = "backups-" + secrets.token_hex(4)
    client.create_bucket(Bucket=bucket)
    return client, bucket, env


def _ts(day: int) -> dt.datetime:
    return dt.datetime(2026, 11, day, 2, 0, 0, tzinfo=dt.UTC)


def test_secret_key_is_registered(s3: tuple[Any, str, dict[str, str]]) -> None:
    _client, _bucket, env = s3
    assert env["AWS_SECRET_ACCESS_KEY"] in redact.registered()


def test_upload_download_and_retention(s3: tuple[Any, str, dict[str, str]], tmp_path: Path) -> None:
    client, bucket, _env = s3
    location = storage.S3Location.parse(f"s3://{bucket}/superset/prod")
    src = tmp_path / "src"
    src.mkdir()
    for day in range(1, 28):
        for env in ("prod", "staging"):
            path = src / archive_name(env, _ts(day))
            path.write_bytes(b"archive " + path.name.encode())
            (src / (path.name + ".sha256")).write_text("x  " + path.name + "\n")
            keys = storage.upload(client, path, location)
            assert keys == [location.key(path.name), location.key(path.name + ".sha256")]
    # an unrelated object and a nested one stay
    client.put_object(Bucket=bucket, Key=location.key("notes.txt"), Body=b"n")
    client.put_object(Bucket=bucket, Key=location.key("old/" + archive_name("prod", _ts(1))))

    deleted = storage.retain_s3(client, location, "prod", keep_daily=3, keep_weekly=3)
    kept_days = [27, 26, 25, 22, 15]  # 3 newest days + newest of weeks 47 and 46
    assert deleted == sorted(
        archive_name("prod", _ts(d)) for d in range(1, 28) if d not in kept_days
    )
    names = {k[len(location.prefix) :] for k in storage.list_keys(client, location)}
    prod = sorted(n for n in names if n.startswith("superset-prod-") and n.endswith(".tar"))
    assert prod == sorted(archive_name("prod", _ts(d)) for d in kept_days)
    assert archive_name("prod", _ts(14)) + ".sha256" not in names
    assert sum(1 for n in names if n.startswith("superset-staging-") and n.endswith(".tar")) == 27
    assert "notes.txt" in names
    assert "old/" + archive_name("prod", _ts(1)) in names

    down = tmp_path / "down"
    down.mkdir()
    name = archive_name("prod", _ts(27))
    got = storage.download(client, f"s3://{bucket}/{location.key(name)}", down)
    assert got.read_bytes() == b"archive " + name.encode()
    assert (down / (name + ".sha256")).exists()


def test_missing_credentials_is_a_config_error() -> None:
    from supersetctl.errors import ConfigError

    with pytest.raises(ConfigError, match="AWS_ACCESS_KEY_ID"):
        storage.s3_client({})
