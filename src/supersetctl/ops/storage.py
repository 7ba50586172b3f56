"""Where archives go: a local folder or S3-compatible storage (DigitalOcean Spaces), and
retention (``--keep-daily N --keep-weekly M``).

S3 settings come from the environment's variables only: ``AWS_ACCESS_KEY_ID`` and
``AWS_SECRET_ACCESS_KEY`` (Spaces keys work as they are), ``S3_ENDPOINT_URL`` (for Spaces
``https://<region>.digitaloceanspaces.com``) and ``S3_REGION`` (default ``us-east-1``).

Retention keeps, for one environment's archives, the newest archive of each of the last N days
that have one and the newest of each of the last M ISO weeks that have one; it deletes the
others (with their ``.sha256``). Without either flag nothing is deleted.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from supersetctl.errors import ConfigError, OperationFailed, UsageError
from supersetctl.ops.archive import archive_time
from supersetctl.redact import redact, register

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str  # "" or ends with "/"

    @classmethod
    def parse(cls, url: str) -> S3Location:
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise UsageError(f"not an s3:// URL: {url}", hint="use s3://BUCKET/PREFIX")
        prefix = parts.path.lstrip("/")
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        return cls(parts.netloc, prefix)

    def key(self, name: str) -> str:
        return self.prefix + name

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


def is_s3(target: str) -> bool:
    return target.startswith("s3://")


def s3_client(source: Mapping[str, str]) -> Any:
    """A boto3 S3 client configured from an environment's variables (keys registered as
    secrets)."""
    import boto3  # imported here: only backups to S3 need it

    key = source.get("AWS_ACCESS_KEY_ID")
    secret = source.get("AWS_SECRET_ACCESS_KEY")
    if not key or not secret:
        raise ConfigError(
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set",
            hint="export the S3 (Spaces) access key and secret to use s3:// targets",
        )
    register(secret, source.get("AWS_SESSION_TOKEN"))
    return boto3.session.Session().client(
        "s3",
        endpoint_url=source.get("S3_ENDPOINT_URL") or None,
        region_name=source.get("S3_REGION") or source.get("AWS_DEFAULT_REGION") or "us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=source.get("AWS_SESSION_TOKEN") or None,
    )


def _s3_error(action: str, exc: Exception) -> OperationFailed:
    return OperationFailed(redact(f"S3 {action} failed: {type(exc).__name__}: {exc}"))


def upload(client: Any, archive: Path, location: S3Location) -> list[str]:
    """Upload the archive and its ``.sha256``; return the keys written."""
    from botocore.exceptions import BotoCoreError, ClientError

    keys = []
    for path in (archive, archive.with_name(archive.name + ".sha256")):
        if not path.exists():
            continue
        key = location.key(path.name)
        try:
            client.upload_file(str(path), location.bucket, key)
        except (BotoCoreError, ClientError) as exc:
            raise _s3_error(f"upload of {path.name}", exc) from None
        keys.append(key)
    return keys


def download(client: Any, url: str, dest_dir: Path) -> Path:
    """Download ``s3://bucket/prefix/NAME.tar`` (and its ``.sha256`` when present)."""
    from botocore.exceptions import BotoCoreError, ClientError

    parts = urlsplit(url)
    key = parts.path.lstrip("/")
    name = key.rsplit("/", 1)[-1]
    if not name:
        raise UsageError(f"{url}: name an archive, not a prefix")
    dest = dest_dir / name
    try:
        client.download_file(parts.netloc, key, str(dest))
    except (BotoCoreError, ClientError) as exc:
        raise _s3_error(f"download of {key}", exc) from None
    try:
        client.download_file(parts.netloc, key + ".sha256", str(dest) + ".sha256")
    except ClientError:
        log.info("no %s.sha256 beside the archive", key)
    return dest


def local_copy(archive: str, workdir: Path, environ: Mapping[str, str]) -> Path:
    """``archive`` as a local file: a path as it is, an ``s3://`` URL downloaded into
    ``workdir`` (with the S3 settings of ``environ``)."""
    if is_s3(archive):
        return download(s3_client(environ), archive, workdir)
    return Path(archive)


def select_kept(
    stamps: Iterable[dt.datetime], keep_daily: int, keep_weekly: int
) -> set[dt.datetime]:
    """The archive times retention keeps (see the module docstring)."""
    ordered = sorted(set(stamps), reverse=True)
    kept: set[dt.datetime] = set()
    days: set[dt.date] = set()
    weeks: set[tuple[int, int]] = set()
    for stamp in ordered:
        day = stamp.date()
        if day not in days and len(days) < keep_daily:
            days.add(day)
            kept.add(stamp)
        week = tuple(stamp.isocalendar())[:2]
        if week not in weeks and len(weeks) < keep_weekly:
            weeks.add((week[0], week[1]))
            kept.add(stamp)
    return kept


def _check_counts(keep_daily: int | None, keep_weekly: int | None) -> bool:
    if keep_daily is None and keep_weekly is None:
        return False
    if (keep_daily or 0) < 0 or (keep_weekly or 0) < 0:
        raise UsageError("--keep-daily and --keep-weekly must not be negative")
    if not keep_daily and not keep_weekly:
        raise UsageError("retention would delete every archive", hint="keep at least one")
    return True


def _plan(names: Iterable[str], env: str, keep_daily: int, keep_weekly: int) -> list[str]:
    by_time: dict[dt.datetime, list[str]] = {}
    for name in names:
        parsed = archive_time(name)
        if parsed and parsed[0] == env:
            by_time.setdefault(parsed[1], []).append(name)
    kept = select_kept(by_time, keep_daily, keep_weekly)
    return sorted(n for t, ns in by_time.items() if t not in kept for n in ns)


def retain_local(
    folder: Path, env: str, keep_daily: int | None, keep_weekly: int | None
) -> list[str]:
    """Apply retention in a local folder; return the archive names deleted."""
    if not _check_counts(keep_daily, keep_weekly):
        return []
    names = [p.name for p in folder.iterdir() if p.is_file()]
    doomed = _plan(names, env, keep_daily or 0, keep_weekly or 0)
    for name in doomed:
        (folder / name).unlink()
        (folder / (name + ".sha256")).unlink(missing_ok=True)
        log.info("retention: deleted %s", name)
    return doomed


def list_keys(client: Any, location: S3Location) -> list[str]:
    from botocore.exceptions import BotoCoreError, ClientError

    keys: list[str] = []
    try:
        paginator = client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=location.bucket, Prefix=location.prefix):
            keys.extend(str(obj["Key"]) for obj in page.get("Contents", []))
    except (BotoCoreError, ClientError) as exc:
        raise _s3_error("listing", exc) from None
    return keys


def retain_s3(
    client: Any, location: S3Location, env: str, keep_daily: int | None, keep_weekly: int | None
) -> list[str]:
    """Apply retention under an S3 prefix (direct children only); return the names deleted."""
    from botocore.exceptions import BotoCoreError, ClientError

    if not _check_counts(keep_daily, keep_weekly):
        return []
    names = [
        k[len(location.prefix) :]
        for k in list_keys(client, location)
        if "/" not in k[len(location.prefix) :]
    ]
    doomed = _plan(names, env, keep_daily or 0, keep_weekly or 0)
    present = set(names)
    for name in doomed:
        objects = [{"Key": location.key(name)}]
        if name + ".sha256" in present:
            objects.append({"Key": location.key(name + ".sha256")})
        try:
            client.delete_objects(Bucket=location.bucket, Delete={"Objects": objects})
        except (BotoCoreError, ClientError) as exc:
            raise _s3_error(f"delete of {name}", exc) from None
        log.info("retention: deleted %s%s", location, name)
    return doomed


def _newest(names: Iterable[str], env: str) -> str | None:
    dated = [(parsed[1], n) for n in names if (parsed := archive_time(n)) and parsed[0] == env]
    return max(dated)[1] if dated else None


def newest_archive(target: str, env: str, environ: Mapping[str, str]) -> str:
    """The newest archive of ``env`` in a folder or directly under ``s3://BUCKET/PREFIX``:
    its path or URL. None there is an :class:`OperationFailed` (a backup job did not run)."""
    if is_s3(target):
        location = S3Location.parse(target)
        keys = list_keys(s3_client(environ), location)
        names = [k[len(location.prefix) :] for k in keys if "/" not in k[len(location.prefix) :]]
        found = _newest(names, env)
        where = f"{location}{found}" if found else None
    else:
        folder = Path(target)
        if not folder.is_dir():
            raise UsageError(f"{target}: no such folder", hint="pass the backups' folder or s3://")
        found = _newest((p.name for p in folder.iterdir() if p.is_file()), env)
        where = str(folder / found) if found else None
    if where is None:
        raise OperationFailed(f"no archive of {env} in {target}")
    return where
