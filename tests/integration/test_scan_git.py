"""``supersetctl scan`` on real git repositories: staged, history, allowlist; and on this repo."""

from __future__ import annotations

import json
import secrets
import shutil
from pathlib import Path

import pytest

from tests.support.helpers import REPO_ROOT, git, need

pytestmark = pytest.mark.integration


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    need(shutil.which("git") is not None, "git is not installed")
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "README.md").write_text("# demo\n\nSet `PGPASSWORD=${PGPASSWORD}` first.\n")
    git(root, "add", "README.md")
    git(root, "commit", "-q", "-m", "init")
    return root


def _token() -> str:
    return "dop_v1_" + secrets.token_hex(32)


def _uri() -> tuple[str, str]:
    pw = "P!@#%" + secrets.token_hex(8)
    return pw, f"postgresql+psycopg2://superset_ro:{pw}@db.internal:25060/odoo"


def test_staged_reports_what_commit_would_record(repo: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    token = _token()
    pw, uri = _uri()
    (repo / "deploy.sh").write_text(f"#!/bin/sh\nexport DIGITALOCEAN_ACCESS_TOKEN={token}\n")
    (repo / "config.py").write_text(f'URI = "{uri}"\n')
    git(repo, "add", "deploy.sh", "config.py")
    # the work tree no longer holds the token, the index still does
    (repo / "deploy.sh").write_text("#!/bin/sh\nexport DIGITALOCEAN_ACCESS_TOKEN=${DO_TOKEN}\n")
    # an unstaged secret is not part of the commit
    (repo / "notes.txt").write_text(f"token {_token()}\n")

    result = run_cli(["--repo", str(repo), "scan", "--staged"])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert [line.split(" fingerprint=")[0] for line in lines] == [
        "config.py:1: SEC-PG-URI PostgreSQL/SQLAlchemy URI with an inline password",
        "deploy.sh:2: SEC-DO-TOKEN DigitalOcean API token",
    ]
    assert token not in result.stdout + result.stderr
    assert pw not in result.stdout + result.stderr

    git(repo, "reset", "-q")
    clean = run_cli(["--repo", str(repo), "scan", "--staged"])
    assert clean.exit_code == 0 and clean.stdout == ""


def test_history_finds_a_secret_added_then_deleted(repo: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    key = secrets.token_urlsafe(42)
    env = repo / "infra.env"
    env.write_text(f"PGHOST=db\nSUPERSET_SECRET_KEY={key}\n")
    git(repo, "add", "infra.env")
    git(repo, "commit", "-q", "-m", "add env")
    added = git(repo, "rev-parse", "HEAD").strip()
    env.write_text("PGHOST=db\nSUPERSET_SECRET_KEY=${SUPERSET_SECRET_KEY:?set it}\n")
    git(repo, "commit", "-q", "-am", "use a placeholder")

    tree = run_cli(["--repo", str(repo), "scan"])
    assert tree.exit_code == 0, tree.stdout

    history = run_cli(["--repo", str(repo), "--format", "json", "scan", "--history"])
    assert history.exit_code == 1
    data = json.loads(history.stdout)
    assert data["commits"] == 3
    (finding,) = data["findings"]
    assert (finding["path"], finding["line"], finding["rule"]) == ("infra.env", 2, "SEC-SECRET-KEY")
    assert finding["extra"]["commit"] == added[:12]
    assert key not in history.stdout + history.stderr

    # only the last commit: the deletion adds no secret
    last = run_cli(["--repo", str(repo), "scan", "--history", "HEAD~1..HEAD"])
    assert last.exit_code == 0
    bad = run_cli(["--repo", str(repo), "scan", "--history", "nope..HEAD"])
    assert bad.exit_code == 2


def test_history_reads_quoted_file_names(repo: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    name = 'odd "name"\tcafé.env'
    (repo / name).write_text(f"PGPASSWORD={secrets.token_hex(10)}\n")
    git(repo, "add", name)
    git(repo, "commit", "-q", "-m", "odd name")
    result = run_cli(["--repo", str(repo), "scan", "--history"])
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{name}:1: SEC-PASSWORD")


def test_allowlist_inline_and_stale(repo: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    token = _token()
    (repo / "a.sh").write_text(f"T={token}\n")
    (repo / "b.sh").write_text(f"T={_token()}  # supersetctl: allow-secret reason=revoked test\n")
    git(repo, "add", "a.sh", "b.sh")
    first = run_cli(["--repo", str(repo), "scan"])
    assert first.exit_code == 1
    (line,) = first.stdout.splitlines()
    assert line.startswith("a.sh:1: SEC-DO-TOKEN")
    fingerprint = line.rsplit("fingerprint=", 1)[1]

    allow = repo / ".supersetctl-secrets-allowlist.yaml"
    allow.write_text(
        "version: 1\nentries:\n"
        f"  - fingerprint: {fingerprint}\n    path: a.sh\n    reason: revoked, kept as a fixture\n"
        "  - fingerprint: 0123456789ab\n    reason: an old one\n"
    )
    second = run_cli(["--repo", str(repo), "scan"])
    assert second.exit_code == 0
    assert second.stdout.startswith(".supersetctl-secrets-allowlist.yaml:")
    assert "SEC-ALLOWLIST-STALE [warning]" in second.stdout
    assert "1 allowlisted" in second.stderr
    assert run_cli(["--repo", str(repo), "scan", "--strict"]).exit_code == 1

    # the entry is scoped to its path: the same token elsewhere is still a finding
    (repo / "c.sh").write_text(f"T={token}\n")
    git(repo, "add", "c.sh")
    assert run_cli(["--repo", str(repo), "scan"]).stdout.count("SEC-DO-TOKEN") == 1

    allow.write_text(f"version: 1\nentries:\n  - fingerprint: {fingerprint}\n")
    broken = run_cli(["--repo", str(repo), "scan"])
    assert broken.exit_code == 2
    assert "reason" in broken.stderr


def test_paths_and_usage_errors(repo: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    (repo / "cfg").mkdir()
    (repo / "cfg" / "odoo.conf").write_text(f"[options]\nadmin_passwd = {secrets.token_hex(8)}\n")
    result = run_cli(["--repo", str(repo), "scan", str(repo / "cfg")])
    assert result.exit_code == 1
    assert result.stdout.startswith("cfg/odoo.conf:2: SEC-ODOO-PASSWORD")
    assert run_cli(["--repo", str(repo), "scan", "--staged", "--history"]).exit_code == 2
    assert run_cli(["--repo", str(repo), "scan", "--staged", "x"]).exit_code == 2
    assert run_cli(["--repo", str(repo), "scan", str(repo / "missing")]).exit_code == 2


def test_this_repo_tree_and_history_are_clean(run_cli) -> None:  # type: ignore[no-untyped-def]
    need(shutil.which("git") is not None, "git is not installed")
    need((REPO_ROOT / ".git").exists(), "not a git checkout")
    tree = run_cli(["--repo", str(REPO_ROOT), "scan"])
    assert tree.exit_code == 0, tree.stdout
    history = run_cli(["--repo", str(REPO_ROOT), "scan", "--history"])
    assert history.exit_code == 0, history.stdout
