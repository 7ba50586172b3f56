"""The Superset client against the real server's limits (gunicorn's 4,094-byte request line)."""

from __future__ import annotations

import pytest

from supersetctl.errors import SupersetAPIError
from supersetctl.provision import apply_env
from supersetctl.superset import SupersetClient, parse, read_zip
from supersetctl.superset.rison import dumps
from tests.support.provision import ProvRepo

pytestmark = pytest.mark.integration


def test_a_request_line_over_the_limit_is_refused_in_one_readable_line(
    ss_client: SupersetClient,
) -> None:
    ids = list(range(10_000, 11_000))  # ~6,000 bytes of query string
    with pytest.raises(SupersetAPIError) as info:
        ss_client.request("GET", "api/v1/chart/export/", params={"q": dumps(ids)})
    message = str(info.value)
    assert info.value.status == 400
    assert "Request Line is too large" in message
    assert "\n" not in message and "<" not in message


def test_exports_are_split_to_the_servers_limit_and_lose_nothing(
    prov_repo: ProvRepo, ss_client: SupersetClient
) -> None:
    apply_env(prov_repo.env(), ss_client)
    mine = {prov_repo.uid(f"chart{i}") for i in range(1, 7)}
    rows = [r for r in ss_client.list("chart", ["id", "uuid"]) if r["uuid"] in mine]
    ss_client.request_line_limit = 60  # as if the ids were thousands: a few ids per request
    bundles = ss_client.export("chart", [r["id"] for r in rows])
    assert len(bundles) >= 2
    got = {
        d["uuid"] for b in bundles for n, d in parse(read_zip(b)).items() if n.startswith("charts/")
    }
    assert got == mine
