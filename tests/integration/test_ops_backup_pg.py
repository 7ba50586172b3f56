"""Backup, restore and verify against a real PostgreSQL holding a Superset-shaped metadata DB.

The full round trip against a running Superset is in test_ops_superset.py; this one needs only
PostgreSQL, and covers the refusals (non-empty target, corrupt archive) in detail.
"""

from __future__ import annotations

import io
import json
import secrets
import tarfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest

from supersetctl.local.postgres import PostgresInfo
from supersetctl.ops import _pg
from supersetctl.ops.archive import RECORD, SUMS, ArchiveCorrupt, sha256_file
from supersetctl.ops.backup import create_backup
from supersetctl.ops.restore import TargetNotEmpty, restore_backup, verify_backup
from supersetctl.pg import dsn, parse_url

pytestmark = pytest.mark.integration

SCHEMA = """
CREATE TABLE ab_user (id serial PRIMARY KEY, username text UNIQUE NOT NULL);
CREATE TABLE dashboards (id serial PRIMARY KEY, dashboard_title text,
                         created_by_fk int REFERENCES ab_user(id));
CREATE TABLE tables (id serial PRIMARY KEY, table_name text);
CREATE TABLE slices (id serial PRIMARY KEY, slice_name text,
                     datasource_id int REFERENCES tables(id));
CREATE TABLE dashboard_slices (dashboard_id int REFERENCES dashboards(id),
                               slice_id int REFERENCES slices(id));
INSERT INTO ab_user (username) VALUES ('admin'), ('alice'), ('bob');
DELETE FROM ab_user WHERE username = 'alice';        -- ids with a gap: 1, 3
INSERT INTO tables (table_name) VALUES ('sales'), ('stock');
INSERT INTO slices (slice_name, datasource_id) VALUES ('a', 1), ('b', 2), ('c', 2);
INSERT INTO dashboards (dashboard_title, created_by_fk) VALUES ('Sales', 1), ('Stock', 3);
INSERT INTO dashboard_slices VALUES (1, 1), (2, 2), (2, 3);
"""


@pytest.fixture
def metadata(pg: PostgresInfo) -> Iterator[dict[str, str]]:
    """A fresh metadata database owned by its own login role."""
    suffix = secrets.token_hex(3)
    role, db = f"meta_{suffix}", f"superset_{suffix}"
    password = "pw_" + secrets.token_hex(12)
    with psycopg.connect(pg.conninfo(), autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
        conn.execute(f"CREATE DATABASE {db} OWNER {role}")
    url = f"postgresql://{role}:{quote(password)}@{pg.host}:{pg.port}/{db}?sslmode=disable"
    info = parse_url(url)
    with psycopg.connect(dsn(info)) as conn:
        conn.execute("ALTER SCHEMA public OWNER TO CURRENT_USER")
        conn.execute(SCHEMA)
    yield info
    with psycopg.connect(pg.conninfo(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        conn.execute(f"DROP ROLE IF EXISTS {role}")


def _ids(info: dict[str, str]) -> dict[str, list[int]]:
    return _pg.object_ids(info)


def test_backup_drop_everything_restore(
    metadata: dict[str, str], tmp_path: Path, repo_copy
) -> None:  # type: ignore[no-untyped-def]
    before = _ids(metadata)
    assert before == {
        "dashboards": [1, 2],
        "charts": [1, 2, 3],
        "datasets": [1, 2],
        "users": [1, 3],
    }
    result = create_backup(
        env="dev", metadata=metadata, dest_dir=tmp_path, manifest=repo_copy.manifest
    )
    assert result.record["objects"]["users"] == {"count": 2, "ids": [1, 3]}
    assert sorted(result.record["parts"]) == ["manifest.json", "metadata.dump", "record.json"]
    assert metadata["password"] not in json.dumps(result.record)

    with psycopg.connect(dsn(metadata), autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    assert _pg.user_relations(metadata) == 0

    restored = restore_backup(result.path, metadata)
    assert restored.comparison.matches
    assert _ids(metadata) == before
    with psycopg.connect(dsn(metadata)) as conn:
        titles = conn.execute("SELECT dashboard_title FROM dashboards ORDER BY id").fetchall()
        # sequences come back too: the next id continues after the restored ones
        next_id = conn.execute(
            "INSERT INTO ab_user (username) VALUES ('carol') RETURNING id"
        ).fetchone()
    assert [t[0] for t in titles] == ["Sales", "Stock"]
    assert next_id is not None and next_id[0] == 4


def test_non_empty_target_is_refused_then_replaced_with_force(
    metadata: dict[str, str], tmp_path: Path
) -> None:
    result = create_backup(env="dev", metadata=metadata, dest_dir=tmp_path)
    with psycopg.connect(dsn(metadata), autocommit=True) as conn:
        conn.execute("INSERT INTO dashboards (dashboard_title) VALUES ('later')")
        conn.execute("CREATE SCHEMA scratch")
        conn.execute("CREATE TABLE scratch.junk (x int)")
    with pytest.raises(TargetNotEmpty, match="--force"):
        restore_backup(result.path, metadata)
    assert _ids(metadata)["dashboards"] == [1, 2, 3]  # untouched

    restored = restore_backup(result.path, metadata, force=True)
    assert restored.cleared_schemas == ["public", "scratch"]
    assert _ids(metadata)["dashboards"] == [1, 2]
    assert _pg.user_schemas(metadata) == ["public"]


def test_restore_as_superuser_keeps_the_recorded_owners(
    metadata: dict[str, str], pg: PostgresInfo, tmp_path: Path
) -> None:
    """Superset connects as its own role: a restore run by an admin must give the tables back
    to that role, and leave schema public's owner and grants as they were."""
    result = create_backup(env="dev", metadata=metadata, dest_dir=tmp_path)
    admin = parse_url(pg.dsn(metadata["dbname"]))
    with psycopg.connect(dsn(admin)) as conn:
        public_before = conn.execute(
            "SELECT nspowner::regrole::text, nspacl::text FROM pg_namespace "
            "WHERE nspname = 'public'"
        ).fetchone()
    restore_backup(result.path, admin, force=True)
    with psycopg.connect(dsn(admin)) as conn:
        owners = conn.execute(
            "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
        public_after = conn.execute(
            "SELECT nspowner::regrole::text, nspacl::text FROM pg_namespace "
            "WHERE nspname = 'public'"
        ).fetchone()
    assert owners == [(metadata["user"],)]
    assert public_after == public_before
    # and the application role can still use its tables
    assert _ids(metadata)["users"] == [1, 3]


def test_corrupt_archive_is_refused_before_anything_is_touched(
    metadata: dict[str, str], tmp_path: Path
) -> None:
    result = create_backup(env="dev", metadata=metadata, dest_dir=tmp_path / "out")
    with psycopg.connect(dsn(metadata), autocommit=True) as conn:
        conn.execute("INSERT INTO dashboards (dashboard_title) VALUES ('after the backup')")
    # flip one byte inside the dump, keep the tar readable, drop the whole-archive sidecar
    bad = tmp_path / "bad" / result.path.name
    bad.parent.mkdir()
    with tarfile.open(result.path) as tin, tarfile.open(bad, "w") as tout:
        for member in tin:
            data = bytearray(tin.extractfile(member).read())  # type: ignore[union-attr]
            if member.name == "metadata.dump":
                data[len(data) // 2] ^= 0x01
            tout.addfile(member, io.BytesIO(bytes(data)))
    with pytest.raises(ArchiveCorrupt, match=r"checksum mismatch for metadata\.dump"):
        restore_backup(bad, metadata, force=True)
    assert _ids(metadata)["dashboards"] == [1, 2, 3]
    with pytest.raises(ArchiveCorrupt):
        verify_backup(bad, metadata)


def test_verify_restores_into_a_scratch_database(
    metadata: dict[str, str], pg: PostgresInfo, tmp_path: Path
) -> None:
    result = create_backup(env="dev", metadata=metadata, dest_dir=tmp_path)
    server = parse_url(pg.dsn("postgres"))
    verified = verify_backup(result.path, server)
    assert verified.ok
    assert {r["kind"]: r["found"] for r in verified.comparison.rows()} == {
        "charts": 3,
        "dashboards": 2,
        "datasets": 2,
        "users": 2,
    }
    with psycopg.connect(pg.conninfo(), autocommit=True) as conn:
        left = conn.execute(
            "SELECT count(*) FROM pg_database WHERE datname LIKE 'supersetctl_verify_%'"
        ).fetchone()
    assert left == (0,)


def test_verify_reports_a_record_that_does_not_match(
    metadata: dict[str, str], pg: PostgresInfo, tmp_path: Path
) -> None:
    result = create_backup(env="dev", metadata=metadata, dest_dir=tmp_path / "a")
    # a consistent archive (checksums fine) whose record claims one more dashboard
    forged = tmp_path / "b" / result.path.name
    forged.parent.mkdir()
    with tarfile.open(result.path) as tin:
        members = {m.name: tin.extractfile(m).read() for m in tin}  # type: ignore[union-attr]
    record = json.loads(members[RECORD])
    record["objects"]["dashboards"] = {"count": 3, "ids": [1, 2, 3]}
    members[RECORD] = json.dumps(record).encode()
    work = tmp_path / "parts"
    work.mkdir()
    for name, data in members.items():
        (work / name).write_bytes(data)
    members[SUMS] = "".join(
        f"{sha256_file(work / n)}  {n}\n" for n in sorted(members) if n != SUMS
    ).encode()
    with tarfile.open(forged, "w") as tout:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tout.addfile(info, io.BytesIO(data))
    verified = verify_backup(forged, parse_url(pg.dsn("postgres")))
    assert not verified.ok
    row = next(r for r in verified.comparison.rows() if r["kind"] == "dashboards")
    assert row == {"kind": "dashboards", "expected": 3, "found": 2, "ids_match": False}


def test_cli_backup_verify_restore(  # type: ignore[no-untyped-def]
    run_cli, metadata: dict[str, str], pg: PostgresInfo, tmp_path: Path, monkeypatch, repo_copy
) -> None:
    url = (
        f"postgresql://{metadata['user']}:{quote(metadata['password'])}@{metadata['host']}:"
        f"{metadata['port']}/{metadata['dbname']}?sslmode=disable"
    )
    monkeypatch.setenv("SUPERSET_METADATA_DB_URL", url)
    out = tmp_path / "backups"
    base = ["--repo", str(repo_copy.root), "--format", "json"]
    made = run_cli([*base, "backup", "--env", "dev", "--no-assets", "--to", str(out)])
    assert made.exit_code == 0, made.stderr
    data = json.loads(made.stdout)
    assert data["objects"] == {"charts": 3, "dashboards": 2, "datasets": 2, "users": 2}
    assert metadata["password"] not in made.stdout + made.stderr
    archive = data["archive"]

    monkeypatch.setenv("SUPERSETCTL_SCRATCH_DB_URL", pg.dsn("postgres"))
    verified = run_cli([*base, "backup", "verify", archive])
    assert verified.exit_code == 0, verified.stderr
    assert json.loads(verified.stdout)["ok"] is True

    refused = run_cli([*base, "restore", archive, "--env", "dev", "--no-health"])
    assert refused.exit_code == 1
    assert "not empty" in refused.stderr
    restored = run_cli([*base, "restore", archive, "--env", "dev", "--force", "--no-health"])
    assert restored.exit_code == 0, restored.stderr
    assert json.loads(restored.stdout)["matches_record"] is True
    assert sha256_file(Path(archive))  # the archive is left in place


def test_cli_backup_to_s3_with_retention_and_restore_from_s3(  # type: ignore[no-untyped-def]
    run_cli, metadata: dict[str, str], tmp_path: Path, monkeypatch, repo_copy
) -> None:
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        secret = "sk_" + secrets.token_hex(16)
        env = {
            "AWS_ACCESS_KEY_ID": "AK" + secrets.token_hex(6),
            "AWS_SECRET_ACCESS_KEY": secret,
            "S3_ENDPOINT_URL": endpoint,
            "SUPERSET_METADATA_DB_URL": (
                f"postgresql://{metadata['user']}:{quote(metadata['password'])}@"
                f"{metadata['host']}:{metadata['port']}/{metadata['dbname']}?sslmode=disable"
            ),
        }
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=secret,
        )
        s3.create_bucket(Bucket="spaces")
        # an old archive of the same environment, which retention must delete
        s3.put_object(Bucket="spaces", Key="superset/superset-dev-20200101T000000Z.tar", Body=b"x")
        base = ["--repo", str(repo_copy.root), "--format", "json"]
        args = ["backup", "--env", "dev", "--no-assets", "--to", "s3://spaces/superset"]
        made = run_cli([*base, *args, "--keep-daily", "1"])
        assert made.exit_code == 0, made.stderr
        data = json.loads(made.stdout)
        assert data["deleted"] == ["superset-dev-20200101T000000Z.tar"]
        assert secret not in made.stdout + made.stderr
        keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="spaces")["Contents"])
        name = data["archive"].rsplit("/", 1)[-1]
        assert keys == [f"superset/{name}", f"superset/{name}.sha256"]

        restored = run_cli(
            [*base, "restore", data["archive"], "--env", "dev", "--force", "--no-health"]
        )
        assert restored.exit_code == 0, restored.stderr
        assert json.loads(restored.stdout)["matches_record"] is True
    finally:
        server.stop()
