"""Sticky pull request comments against a fake GitHub speaking its REST API."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from supersetctl import redact
from supersetctl.errors import ConfigError, GitHubError
from supersetctl.github.client import MAX_BODY, GitHubClient
from supersetctl.github.comments import comment_from_file, marker_of
from tests.support.fake_github import FakeGitHub
from tests.support.helpers import Result

MARK = "<!-- supersetctl-plan:prod -->"


@pytest.fixture
def gh(httpserver: HTTPServer) -> FakeGitHub:
    return FakeGitHub(httpserver, token="ghs_" + secrets.token_hex(18))


def _client(gh: FakeGitHub, token: str | None = None) -> GitHubClient:
    return GitHubClient(token or gh.token, gh.repository, api_url=gh.url)


def test_created_then_edited_then_left_alone(gh: FakeGitHub) -> None:
    with _client(gh) as c:
        first = c.upsert_comment(7, MARK, f"{MARK}\nplan one")
        second = c.upsert_comment(7, MARK, f"{MARK}\nplan two")
        third = c.upsert_comment(7, MARK, f"{MARK}\nplan two")
    assert (first.action, second.action, third.action) == ("created", "updated", "unchanged")
    assert first.id == second.id == third.id
    assert gh.bodies(7) == [f"{MARK}\nplan two"]


def test_the_marker_is_found_past_the_first_page_and_added_when_missing(gh: FakeGitHub) -> None:
    gh.comments[7] = [{"id": i, "body": f"chatter {i}", "html_url": ""} for i in range(150)]
    with _client(gh) as c:
        c.upsert_comment(7, MARK, "first")  # no marker in the body: it is put in front
        assert gh.bodies(7)[-1] == f"{MARK}\nfirst"
        again = c.upsert_comment(7, MARK, "second")
    assert again.action == "updated" and len(gh.bodies(7)) == 151
    assert ("GET", f"/repos/{gh.repository}/issues/7/comments") in gh.requests


def test_a_body_over_githubs_limit_is_cut(gh: FakeGitHub) -> None:
    with _client(gh) as c:
        c.upsert_comment(7, MARK, MARK + "\n" + "x" * (MAX_BODY + 10))
    [body] = gh.bodies(7)
    assert len(body) <= MAX_BODY and body.endswith("job summary)\n")


def test_a_refusal_is_a_typed_error_without_the_token(gh: FakeGitHub) -> None:
    wrong = "ghs_" + secrets.token_hex(18)
    redact.register(wrong)
    with _client(gh, wrong) as c, pytest.raises(GitHubError) as exc:
        c.upsert_comment(7, MARK, "x")
    assert "401" in str(exc.value) and "expired" in str(exc.value)
    assert wrong not in str(exc.value)
    with pytest.raises(ConfigError, match="OWNER/NAME"):
        GitHubClient(gh.token, "not a repo")


def test_the_marker_comes_from_the_file(tmp_path: Path, gh: FakeGitHub) -> None:
    assert marker_of(f"{MARK}\n### plan") == MARK
    assert marker_of("### plan") is None
    f = tmp_path / "plan.md"
    f.write_text("### no marker\n")
    env = {"GITHUB_TOKEN": gh.token, "GITHUB_REPOSITORY": gh.repository, "GITHUB_API_URL": gh.url}
    with pytest.raises(ConfigError, match="no <!-- marker -->"):
        comment_from_file(env, 3, f)
    assert comment_from_file(env, 3, f, marker="<!-- mine -->").action == "created"
    with pytest.raises(ConfigError, match="GITHUB_TOKEN is not set"):
        comment_from_file({}, 3, f, marker="<!-- mine -->")


def test_cli_json_and_exit_codes(
    tmp_path: Path,
    gh: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
    run_cli: Callable[[list[str]], Result],
) -> None:
    f = tmp_path / "plan.md"
    f.write_text(f"{MARK}\nsome plan\n")
    monkeypatch.setenv("GITHUB_TOKEN", gh.token)
    monkeypatch.setenv("GITHUB_REPOSITORY", gh.repository)
    monkeypatch.setenv("GITHUB_API_URL", gh.url)
    ok = run_cli(["--format", "json", "github", "comment", "--pr", "5", "--file", str(f)])
    assert ok.exit_code == 0, ok.stderr
    assert '"action": "created"' in ok.stdout
    missing = run_cli(["github", "comment", "--pr", "5", "--file", str(tmp_path / "nope.md")])
    assert missing.exit_code == 2
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_" + secrets.token_hex(18))
    refused = run_cli(["github", "comment", "--pr", "5", "--file", str(f)])
    assert refused.exit_code == 1 and "Traceback" not in refused.stderr
