"""``deploy`` and ``rollback`` call the metadata guard at the right moments (a recording guard;
the real one, against PostgreSQL, is tests/integration/test_deploy_metadata.py)."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from supersetctl.deploy import AppsAPI, deploy, rollback
from supersetctl.errors import OperationFailed
from supersetctl.paths import RepoPaths
from tests.support.fake_do import ERROR_PHASES, FakeDO
from tests.unit.deploy.test_deploy import NEW, OLD, instant, live_spec, pin, prod


class Recorder:
    def __init__(self, *, restore_fails: bool = False) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.restore_fails = restore_fails

    def before_deploy(
        self, app_id: str, previous_spec: dict[str, Any], spec: dict[str, Any]
    ) -> str | None:
        self.calls.append(("before_deploy", app_id))
        return "archive.tar (revision r1)"

    def deployed(self, app_id: str, deployment_id: str) -> None:
        self.calls.append(("deployed", deployment_id))

    def before_rollback(self, app_id: str, from_deployment: str | None) -> str | None:
        self.calls.append(("before_rollback", from_deployment))
        if self.restore_fails:
            raise OperationFailed("restore failed: lock timeout")
        return "restored archive.tar"


@pytest.fixture
def setup(httpserver: HTTPServer, repo_copy: RepoPaths) -> tuple[FakeDO, AppsAPI]:
    token = "dop_v1_" + secrets.token_hex(32)
    fake = FakeDO(httpserver, token)
    fake.add_app(live_spec(repo_copy, OLD))
    pin(repo_copy, "6.1.0-2", NEW)
    return fake, AppsAPI(token, endpoint=httpserver.url_for("/").rstrip("/"), retries=0)


def test_success_backs_up_before_the_update_and_never_restores(
    setup: tuple[FakeDO, AppsAPI], repo_copy: RepoPaths
) -> None:
    fake, api = setup
    guard = Recorder()
    result = deploy(prod(repo_copy), api, waiter=instant(), guard=guard)
    assert result.ok and result.metadata_backup == "archive.tar (revision r1)"
    assert guard.calls == [("before_deploy", fake.app_id), ("deployed", result.deployment_id)]
    assert result.as_dict()["metadata_restored"] is None


def test_failure_restores_before_the_previous_spec_goes_back(
    setup: tuple[FakeDO, AppsAPI], repo_copy: RepoPaths
) -> None:
    fake, api = setup
    fake.scripts = [ERROR_PHASES]
    guard = Recorder()
    puts_at_restore: list[int] = []
    real = guard.before_rollback

    def spy(app_id: str, from_deployment: str | None) -> str | None:
        puts_at_restore.append(len(fake.puts()))
        return real(app_id, from_deployment)

    guard.before_rollback = spy  # type: ignore[method-assign]
    result = deploy(prod(repo_copy), api, waiter=instant(), guard=guard)
    assert result.rolled_back and result.metadata_restored == "restored archive.tar"
    assert guard.calls[-1] == ("before_rollback", result.deployment_id)
    assert puts_at_restore == [1]  # the new spec was sent, the old one not yet


def test_a_failed_restore_is_reported_and_the_roll_back_goes_on(
    setup: tuple[FakeDO, AppsAPI], repo_copy: RepoPaths
) -> None:
    fake, api = setup
    fake.scripts = [ERROR_PHASES]
    result = deploy(prod(repo_copy), api, waiter=instant(), guard=Recorder(restore_fails=True))
    assert result.rolled_back and result.rollback_phase == "ACTIVE"
    assert str(result.metadata_restored).startswith("FAILED: restore failed")


def test_rollback_asks_for_the_active_deployment(
    setup: tuple[FakeDO, AppsAPI], repo_copy: RepoPaths
) -> None:
    api = setup[1]
    first = deploy(prod(repo_copy), api, waiter=instant())
    guard = Recorder()
    back = rollback(prod(repo_copy), api, waiter=instant(), guard=guard)
    assert back.ok and guard.calls == [("before_rollback", first.deployment_id)]
    assert back.as_dict()["metadata_restored"] == "restored archive.tar"
