"""The backup archive: one tar holding the parts and a sha256 manifest of them.

Layout of ``superset-<env>-<YYYYMMDDTHHMMSSZ>.tar``::

    record.json      what was backed up: environment, time, object ids per kind, versions
    metadata.dump    pg_dump --format=custom of the Superset metadata database
    assets.zip       Superset's asset export (databases, datasets, charts, dashboards)
    manifest.json    infra/superset/manifest.json in force when the backup was taken
    SHA256SUMS       "<sha256>  <name>" for every part above (sha256sum -c compatible)

A ``<archive>.sha256`` file beside the tar holds the checksum of the whole archive.
:func:`open_archive` extracts the parts into a folder and checks every checksum before the
caller touches anything else; a missing, extra, renamed or altered part is refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from supersetctl.errors import OperationFailed

FORMAT = "supersetctl-backup"
FORMAT_VERSION = 1
SUMS = "SHA256SUMS"
RECORD = "record.json"
DUMP = "metadata.dump"
ASSETS = "assets.zip"
MANIFEST = "manifest.json"
KNOWN_PARTS = (RECORD, DUMP, ASSETS, MANIFEST)

NAME_RE = re.compile(r"^superset-(?P<env>[a-z0-9-]+)-(?P<stamp>\d{8}T\d{6}Z)\.tar$")
_STAMP = "%Y%m%dT%H%M%SZ"
_CHUNK = 1 << 20


class ArchiveCorrupt(OperationFailed):
    """The archive is unreadable or a checksum does not match: nothing was touched."""


def archive_name(env: str, moment: dt.datetime) -> str:
    return f"superset-{env}-{moment.astimezone(dt.UTC).strftime(_STAMP)}.tar"


def archive_time(name: str) -> tuple[str, dt.datetime] | None:
    """``(env, time)`` from an archive file name, or None for other names."""
    m = NAME_RE.match(name)
    if not m:
        return None
    return m["env"], dt.datetime.strptime(m["stamp"], _STAMP).replace(tzinfo=dt.UTC)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def sums_text(parts: Mapping[str, Path]) -> str:
    return "".join(f"{sha256_file(parts[name])}  {name}\n" for name in sorted(parts))


def parse_sums(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        m = re.fullmatch(r"([0-9a-f]{64}) [ *]([A-Za-z0-9._-]+)", line.strip())
        if not m:
            raise ArchiveCorrupt(f"{SUMS} line {number} is malformed")
        if m[2] in out:
            raise ArchiveCorrupt(f"{SUMS} lists {m[2]} twice")
        out[m[2]] = m[1]
    return out


def write_archive(dest: Path, parts: Mapping[str, Path], mtime: dt.datetime) -> str:
    """Write the tar (parts sorted, then SHA256SUMS) and its ``.sha256``; return its sha256."""
    unknown = sorted(set(parts) - set(KNOWN_PARTS))
    if unknown:
        raise ValueError(f"unknown archive parts: {unknown}")
    sums = sums_text(parts).encode()
    stamp = int(mtime.timestamp())
    tmp = dest.with_name(f".{dest.name}.partial")
    with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(parts):
            info = tar.gettarinfo(str(parts[name]), arcname=name)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mode = 0o600
            info.mtime = stamp
            with parts[name].open("rb") as fh:
                tar.addfile(info, fh)
        info = tarfile.TarInfo(SUMS)
        info.size = len(sums)
        info.mode = 0o600
        info.mtime = stamp
        tar.addfile(info, io.BytesIO(sums))
    tmp.chmod(0o600)
    tmp.replace(dest)
    whole = sha256_file(dest)
    side = dest.with_name(dest.name + ".sha256")
    side.write_text(f"{whole}  {dest.name}\n", encoding="utf-8")
    return whole


@dataclass(frozen=True)
class OpenedArchive:
    path: Path
    record: dict[str, Any]
    files: dict[str, Path]

    @property
    def object_ids(self) -> dict[str, list[int]]:
        objects = self.record.get("objects", {})
        return {k: [int(i) for i in v.get("ids", [])] for k, v in objects.items()}


def open_archive(path: Path, workdir: Path) -> OpenedArchive:
    """Extract ``path`` into ``workdir`` and verify every part; :class:`ArchiveCorrupt` if not.

    Checks, in order: the sidecar ``.sha256`` of the whole tar (when present), that the tar
    holds only plain files with known names, that SHA256SUMS lists exactly the other parts, and
    every part's checksum. Only then is ``record.json`` parsed.
    """
    if not path.is_file():
        raise ArchiveCorrupt(f"{path}: no such archive")
    side = path.with_name(path.name + ".sha256")
    if side.is_file():
        expected = side.read_text(encoding="utf-8").split()[:1]
        if not expected or expected[0] != sha256_file(path):
            raise ArchiveCorrupt(f"{path.name}: does not match its {side.name}")
    files: dict[str, Path] = {}
    try:
        with tarfile.open(path, "r:") as tar:
            for member in tar:
                name = member.name
                if not member.isfile() or name not in (*KNOWN_PARTS, SUMS) or name in files:
                    raise ArchiveCorrupt(f"{path.name}: unexpected member {name!r}")
                source = tar.extractfile(member)
                if source is None:
                    raise ArchiveCorrupt(f"{path.name}: unreadable member {name!r}")
                target = workdir / name
                with target.open("wb") as out:
                    while chunk := source.read(_CHUNK):
                        out.write(chunk)
                files[name] = target
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise ArchiveCorrupt(f"{path.name}: not a readable archive: {exc}") from None
    if SUMS not in files:
        raise ArchiveCorrupt(f"{path.name}: no {SUMS}")
    listed = parse_sums(files.pop(SUMS).read_text(encoding="utf-8"))
    if set(listed) != set(files):
        missing = sorted(set(listed) - set(files))
        extra = sorted(set(files) - set(listed))
        raise ArchiveCorrupt(f"{path.name}: parts missing {missing} or unlisted {extra}")
    for name in sorted(files):
        if sha256_file(files[name]) != listed[name]:
            raise ArchiveCorrupt(f"{path.name}: checksum mismatch for {name}")
    for required in (RECORD, DUMP):
        if required not in files:
            raise ArchiveCorrupt(f"{path.name}: no {required}")
    try:
        record = json.loads(files[RECORD].read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ArchiveCorrupt(f"{path.name}: {RECORD} is not JSON: {exc}") from None
    if record.get("format") != FORMAT or record.get("version") != FORMAT_VERSION:
        raise ArchiveCorrupt(f"{path.name}: not a {FORMAT} v{FORMAT_VERSION} archive")
    return OpenedArchive(path, record, files)
