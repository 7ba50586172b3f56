from __future__ import annotations

import datetime as dt
import io
import json
import tarfile
from pathlib import Path

import pytest

from supersetctl.errors import UsageError
from supersetctl.ops.archive import (
    DUMP,
    FORMAT,
    MANIFEST,
    RECORD,
    SUMS,
    ArchiveCorrupt,
    archive_name,
    archive_time,
    open_archive,
    write_archive,
)
from supersetctl.ops.storage import S3Location, retain_local, select_kept

T0 = dt.datetime(2026, 11, 27, 1, 2, 3, tzinfo=dt.UTC)


def _parts(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    record = {
        "format": FORMAT,
        "version": 1,
        "environment": "dev",
        "objects": {"dashboards": {"count": 2, "ids": [1, 4]}},
    }
    (folder / RECORD).write_text(json.dumps(record))
    (folder / DUMP).write_bytes(b"PGDMP" + bytes(range(256)) * 10)
    (folder / MANIFEST).write_text('{"schema_version": 1}')
    return {RECORD: folder / RECORD, DUMP: folder / DUMP, MANIFEST: folder / MANIFEST}


def _archive(tmp_path: Path) -> Path:
    dest = tmp_path / "out" / archive_name("dev", T0)
    dest.parent.mkdir()
    write_archive(dest, _parts(tmp_path / "parts"), T0)
    return dest


def test_name_round_trip() -> None:
    name = archive_name("prod", T0)
    assert name == "superset-prod-20261127T010203Z.tar"
    assert archive_time(name) == ("prod", T0)
    assert archive_time("notes.txt") is None


def test_write_then_open(tmp_path: Path) -> None:
    path = _archive(tmp_path)
    with tarfile.open(path) as tar:
        assert tar.getnames() == [MANIFEST, DUMP, RECORD, SUMS]
    sums = (path.parent / (path.name + ".sha256")).read_text()
    assert sums.endswith(f"  {path.name}\n")
    work = tmp_path / "work"
    work.mkdir()
    opened = open_archive(path, work)
    assert opened.object_ids == {"dashboards": [1, 4]}
    assert opened.files[DUMP].read_bytes().startswith(b"PGDMP")


def _rewrite(src: Path, dest: Path, change: dict[str, bytes | None]) -> None:
    """Copy a tar, replacing (or dropping, with None) some members' content."""
    with tarfile.open(src) as tin, tarfile.open(dest, "w") as tout:
        for member in tin:
            data = tin.extractfile(member).read()  # type: ignore[union-attr]
            if member.name in change:
                if change[member.name] is None:
                    continue
                data = change[member.name]  # type: ignore[assignment]
            member.size = len(data)
            tout.addfile(member, io.BytesIO(data))


@pytest.mark.parametrize(
    ("member", "content", "message"),
    [
        (DUMP, b"PGDMP tampered", "checksum mismatch for metadata.dump"),
        (SUMS, None, "no SHA256SUMS"),
        (MANIFEST, None, "parts missing"),
        (SUMS, b"zz  metadata.dump\n", "malformed"),
    ],
)
def test_corruption_is_refused(
    tmp_path: Path, member: str, content: bytes | None, message: str
) -> None:
    good = _archive(tmp_path)
    bad = tmp_path / "bad.tar"
    _rewrite(good, bad, {member: content})
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(ArchiveCorrupt, match=message):
        open_archive(bad, work)


def test_sidecar_checksum_mismatch_is_refused(tmp_path: Path) -> None:
    path = _archive(tmp_path)
    data = bytearray(path.read_bytes())
    data[2000] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ArchiveCorrupt, match="does not match"):
        open_archive(path, tmp_path)


def test_truncated_archive_is_refused(tmp_path: Path) -> None:
    path = _archive(tmp_path)
    (path.parent / (path.name + ".sha256")).unlink()
    path.write_bytes(path.read_bytes()[:1500])
    with pytest.raises(ArchiveCorrupt):
        open_archive(path, tmp_path)


def test_unexpected_member_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.tar"
    with tarfile.open(path, "w") as tar:
        info = tarfile.TarInfo("../etc/passwd")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(ArchiveCorrupt, match="unexpected member"):
        open_archive(path, work)
    assert not (tmp_path / "etc").exists()


def _ts(day: int, hour: int = 3) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, 0, 0, tzinfo=dt.UTC)


def test_select_kept_daily_and_weekly() -> None:
    # two archives a day, 1..27 November 2026 (27th is a Friday, ISO week 48)
    stamps = [_ts(d, h) for d in range(1, 28) for h in (3, 15)]
    kept = select_kept(stamps, keep_daily=3, keep_weekly=2)
    assert sorted(kept) == [
        _ts(22, 15),  # newest of ISO week 47 (Sunday 22nd)
        _ts(25, 15),
        _ts(26, 15),
        _ts(27, 15),  # newest of today, also newest of week 48
    ]


def test_retain_local_deletes_only_this_envs_old_archives(tmp_path: Path) -> None:
    for day in range(20, 28):
        for env in ("dev", "prod"):
            name = archive_name(env, _ts(day))
            (tmp_path / name).write_text("x")
            (tmp_path / (name + ".sha256")).write_text("y")
    (tmp_path / "README").write_text("keep me")
    deleted = retain_local(tmp_path, "prod", keep_daily=2, keep_weekly=None)
    assert deleted == [archive_name("prod", _ts(d)) for d in range(20, 26)]
    left = sorted(p.name for p in tmp_path.iterdir())
    assert archive_name("prod", _ts(27)) in left
    assert archive_name("prod", _ts(25)) + ".sha256" not in left
    assert sum(1 for n in left if n.startswith("superset-dev-")) == 16
    assert "README" in left


def test_retention_refuses_to_delete_everything(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        retain_local(tmp_path, "prod", keep_daily=0, keep_weekly=0)
    assert retain_local(tmp_path, "prod", keep_daily=None, keep_weekly=None) == []


def test_s3_location() -> None:
    loc = S3Location.parse("s3://bucket/a/b")
    assert (loc.bucket, loc.prefix, loc.key("x.tar")) == ("bucket", "a/b/", "a/b/x.tar")
    assert S3Location.parse("s3://bucket").prefix == ""
    with pytest.raises(UsageError):
        S3Location.parse("https://bucket/x")
