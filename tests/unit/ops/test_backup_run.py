"""The ``backup``, ``backup verify`` and ``health`` commands as library calls, without servers.

``back_up`` is run with ``create_backup`` replaced by a fake that writes an archive name (the
dump itself is tested against PostgreSQL in tests/integration/test_ops_backup_pg.py) and, for
S3, with a fake boto3 client.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from supersetctl.contract.environment import Environment, load_environment
from supersetctl.errors import ConfigError, UsageError
from supersetctl.ops import backup, storage
from supersetctl.ops.archive import archive_name
from supersetctl.ops.backup import BackupResult, back_up
from supersetctl.ops.health import health_target
from supersetctl.ops.restore import scratch_server
from supersetctl.paths import RepoPaths

T0 = dt.datetime(2026, 11, 27, 1, 0, 0, tzinfo=dt.UTC)
OLD = "superset-dev-20200101T000000Z.tar"
META_PW = "pw-" + secrets.token_hex(6)
METADATA = f"postgresql://superset:{META_PW}@127.0.0.1:5432/superset"


def dev(paths: RepoPaths, **variables: str) -> Environment:
    return load_environment(
        paths, "dev", environ={"SUPERSET_METADATA_DB_URL": METADATA, **variables}
    )


class FakeCreate:
    """Stands in for ``create_backup``: writes the archive's name, records each call."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, **kwargs: Any) -> BackupResult:
        self.calls.append(kwargs)
        dest = kwargs["dest_dir"] / archive_name(kwargs["env"], T0)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(b"archive")
        dest.with_name(dest.name + ".sha256").write_text("0" * 64 + "\n")
        record = {"parts": ["metadata.dump", "record.json"], "objects": {"charts": {"count": 2}}}
        return BackupResult(dest, "0" * 64, record)


@pytest.fixture
def create(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCreate]:
    fake = FakeCreate()
    monkeypatch.setattr(backup, "create_backup", fake)
    yield fake


class FakeS3:
    """The three calls upload and retention make on a boto3 client."""

    def __init__(self, keys: list[str]) -> None:
        self.keys = list(keys)
        self.uploaded: list[tuple[str, str]] = []

    def upload_file(self, path: str, bucket: str, key: str) -> None:
        assert Path(path).is_file()
        self.uploaded.append((bucket, key))
        self.keys.append(key)

    def get_paginator(self, _name: str) -> FakeS3:
        return self

    def paginate(self, Bucket: str, Prefix: str) -> list[dict[str, Any]]:
        return [{"Contents": [{"Key": k} for k in self.keys if k.startswith(Prefix)]}]

    def delete_objects(self, Bucket: str, Delete: dict[str, Any]) -> None:
        for obj in Delete["Objects"]:
            self.keys.remove(obj["Key"])


def test_local_backup_writes_once_into_the_default_folder_then_prunes(
    repo_copy: RepoPaths, create: FakeCreate
) -> None:
    folder = repo_copy.local / "backups" / "dev"
    folder.mkdir(parents=True)
    (folder / OLD).write_bytes(b"old")
    run = back_up(dev(repo_copy), keep_daily=1)
    (call,) = create.calls
    assert call["dest_dir"] == folder
    assert call["metadata"]["password"] == META_PW and call["metadata"]["dbname"] == "superset"
    assert call["manifest"] == repo_copy.manifest
    assert call["superset_url"] == "http://127.0.0.1:8088"
    assert run.where == str(folder / archive_name("dev", T0))
    assert run.deleted == [OLD] and not (folder / OLD).exists()
    assert run.as_dict()["objects"] == {"charts": 2}


def test_s3_backup_writes_once_uploads_and_prunes_the_bucket(
    repo_copy: RepoPaths, create: FakeCreate, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3 = FakeS3(["superset/" + OLD, "superset/" + OLD + ".sha256", "superset/notes.txt"])
    given: list[Mapping[str, str]] = []
    monkeypatch.setattr(storage, "s3_client", lambda environ: given.append(environ) or s3)
    env = dev(repo_copy, AWS_ACCESS_KEY_ID="k")
    run = back_up(env, to="s3://bucket/superset", keep_daily=1)
    assert len(create.calls) == 1
    assert given == [env.environ]  # the S3 settings of the environment, not of the process
    name = archive_name("dev", T0)
    assert s3.uploaded == [("bucket", f"superset/{name}"), ("bucket", f"superset/{name}.sha256")]
    assert run.where == f"s3://bucket/superset/{name}"
    assert run.deleted == [OLD]
    assert sorted(s3.keys) == ["superset/notes.txt", f"superset/{name}", f"superset/{name}.sha256"]
    assert not create.calls[0]["dest_dir"].exists()  # the temporary folder is gone


def test_the_metadata_url_comes_from_the_environment(
    repo_copy: RepoPaths, create: FakeCreate
) -> None:
    env = load_environment(repo_copy, "dev", environ={})
    with pytest.raises(ConfigError, match="SUPERSET_METADATA_DB_URL is not set"):
        back_up(env)
    other = load_environment(repo_copy, "dev", environ={"MY_META": METADATA})
    back_up(other, to=str(repo_copy.root / "out"), metadata_url_env="MY_META")
    assert create.calls[0]["metadata"]["user"] == "superset"


def test_a_malformed_s3_target_is_refused_before_anything_is_written(
    repo_copy: RepoPaths, create: FakeCreate, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage, "s3_client", lambda environ: FakeS3([]))
    with pytest.raises(UsageError, match="s3://BUCKET/PREFIX"):
        back_up(dev(repo_copy), to="s3:///no-bucket")
    assert create.calls == []


def test_scratch_server_prefers_its_own_variable() -> None:
    scratch = f"postgresql://postgres:{META_PW}-s@127.0.0.1:5432/postgres"
    both = {"SUPERSETCTL_SCRATCH_DB_URL": scratch, "SUPERSET_METADATA_DB_URL": METADATA}
    assert scratch_server(both, metadata_url_env="SUPERSET_METADATA_DB_URL")["user"] == "postgres"
    only_meta = {"SUPERSET_METADATA_DB_URL": METADATA}
    assert scratch_server(only_meta, metadata_url_env="SUPERSET_METADATA_DB_URL")["user"] == (
        "superset"
    )
    with pytest.raises(UsageError, match="pass --env"):
        scratch_server(only_meta)


def test_local_copy_of_a_path_is_the_path(tmp_path: Path) -> None:
    assert storage.local_copy("a/b.tar", tmp_path, {}) == Path("a/b.tar")


def _admin(user: str, password: str) -> dict[str, str]:
    return {"SUPERSET_ADMIN_USERNAME": user, "SUPERSET_ADMIN_PASSWORD": password}


def test_health_target_of_an_environment_uses_its_variables(repo_copy: RepoPaths) -> None:
    env = load_environment(repo_copy, "dev", environ=_admin("admin", META_PW + "-1"))
    shell = _admin("other", META_PW + "-2")
    target = health_target(env, None, shell)
    assert (target.url, target.label, target.username, target.password) == (
        "http://127.0.0.1:8088",
        "dev",
        "admin",
        META_PW + "-1",
    )
    assert health_target(env, "http://127.0.0.1:9000", shell).url == "http://127.0.0.1:9000"


def test_health_target_of_a_url_alone_uses_the_given_variables() -> None:
    shell = {"SUPERSET_ADMIN_PASSWORD": META_PW}
    target = health_target(None, "http://127.0.0.1:8088", shell)
    assert (target.label, target.username, target.password) == ("127.0.0.1:8088", None, META_PW)
    with pytest.raises(UsageError, match="not a valid URL"):
        health_target(None, "http://[::1", {})
