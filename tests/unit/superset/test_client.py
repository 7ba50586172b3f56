"""The Superset client against a MockTransport standing in for the server."""

from __future__ import annotations

import io
import json
import secrets
import zipfile
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from supersetctl.errors import ConfigError, SupersetAPIError
from supersetctl.redact import redact
from supersetctl.superset import (
    Credentials,
    SupersetClient,
    parse,
    read_folder,
    read_zip,
    write_zip,
)
from supersetctl.superset.bundle import dump_native, kind_of, load_native
from supersetctl.superset.rison import dumps as rison

Handler = Callable[[httpx.Request], httpx.Response]


def _client(handler: Handler, creds: Credentials | None = None) -> SupersetClient:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return SupersetClient(
        "http://superset.test",
        creds or Credentials("admin", "pw-" + secrets.token_hex(8)),
        http=http,
        sleep=lambda _: None,
    )


class Server:
    """A tiny fake: login, CSRF, and whatever ``routes`` answers."""

    def __init__(self, routes: dict[str, Handler] | None = None) -> None:
        self.token = "tok-" + secrets.token_hex(8)
        self.csrf = "csrf-" + secrets.token_hex(8)
        self.routes = routes or {}
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        path = request.url.path
        if path == "/api/v1/security/login":
            return httpx.Response(200, json={"access_token": self.token})
        if path == "/api/v1/security/csrf_token/":
            return httpx.Response(
                200, json={"result": self.csrf}, headers={"Set-Cookie": "session=s1; Path=/"}
            )
        assert request.headers["Authorization"] == f"Bearer {self.token}"
        return self.routes[f"{request.method} {path}"](request)


def test_login_then_csrf_cookie_and_referer_on_writes() -> None:
    def imported(request: httpx.Request) -> httpx.Response:
        assert request.headers["X-CSRFToken"] == server.csrf
        assert request.headers["Referer"] == "http://superset.test/"
        assert "session=s1" in request.headers["Cookie"]
        body = request.read()
        assert b'name="bundle"' in body
        assert b'name="passwords"' in body
        assert b'"databases/x.yaml"' in body
        assert b'name="sparse"' in body
        return httpx.Response(200, json={"message": "OK"})

    server = Server({"POST /api/v1/assets/import/": imported})
    client = _client(server)
    client.import_assets(b"zip", passwords={"databases/x.yaml": "s3cret-pw"}, sparse=True)
    login = json.loads(server.seen[0].read())
    assert login["provider"] == "db"
    assert login["username"] == "admin"
    assert redact("s3cret-pw") == "***"  # the password was registered


def test_access_token_skips_login() -> None:
    token = "at-" + secrets.token_hex(8)
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        assert request.headers["Authorization"] == f"Bearer {token}"
        if request.url.path == "/api/v1/security/csrf_token/":
            return httpx.Response(200, json={"result": "c"})
        return httpx.Response(200, json={"result": [], "count": 0})

    client = _client(handler, Credentials(access_token=token))
    assert client.list("chart", ["id"]) == []
    assert "/api/v1/security/login" not in seen


def test_retries_5xx_and_dropped_connections_then_succeeds() -> None:
    calls = {"n": 0}

    def flaky(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            raise httpx.RemoteProtocolError("server disconnected", request=request)
        if calls["n"] == 2:
            return httpx.Response(502, text="bad gateway")
        return httpx.Response(200, content=b"zipbytes")

    server = Server({"GET /api/v1/assets/export/": flaky})
    assert _client(server).export_assets() == b"zipbytes"
    assert calls["n"] == 3


def test_gives_up_after_retries_with_a_clear_error() -> None:
    server = Server({"GET /api/v1/assets/export/": lambda r: httpx.Response(503, text="down")})
    client = _client(server)
    client.retries = 2
    with pytest.raises(SupersetAPIError) as info:
        client.export_assets()
    assert info.value.status == 503
    assert "api/v1/assets/export/" in str(info.value)


def test_4xx_is_not_retried_and_reports_the_message() -> None:
    calls = {"n": 0}

    def refuse(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        return httpx.Response(422, json={"message": {"bundle": ["bad file"]}})

    server = Server({"POST /api/v1/assets/import/": refuse})
    with pytest.raises(SupersetAPIError) as info:
        _client(server).import_assets(b"zip")
    assert calls["n"] == 1
    assert "bad file" in str(info.value)


def test_failed_login_names_the_user_not_the_password() -> None:
    password = "pw-" + secrets.token_hex(8)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"message": "Not authorized"})

    client = _client(handler, Credentials("admin", password))
    with pytest.raises(SupersetAPIError) as info:
        client.list("chart", ["id"])
    assert "admin" in str(info.value)
    assert password not in str(info.value)


def test_list_pages_until_count() -> None:
    rows = [{"id": i, "uuid": f"u{i}"} for i in range(230)]
    pages: list[int] = []

    def listing(request: httpx.Request) -> httpx.Response:
        q = request.url.params["q"]
        page = int(q.split("page:")[1].split(",")[0])
        pages.append(page)
        chunk = rows[page * 100 : (page + 1) * 100]
        return httpx.Response(200, json={"result": chunk, "count": len(rows)})

    server = Server({"GET /api/v1/chart/": listing})
    assert len(_client(server).list("chart", ["id", "uuid"])) == 230
    assert sorted(pages) == [0, 1, 2]


def test_a_listing_cut_short_by_an_edit_is_read_again() -> None:
    rows = [{"id": i} for i in range(150)]
    served: list[int] = []

    def listing(request: httpx.Request) -> httpx.Response:
        q = request.url.params["q"]
        page = int(q.split("page:")[1].split(",")[0])
        served.append(page)
        chunk = rows[page * 100 : (page + 1) * 100]
        if served == [0]:  # row 5 is edited after page 0: it moves last, row 100 moves up
            rows.append(rows.pop(5))
        return httpx.Response(200, json={"result": chunk, "count": len(rows)})

    server = Server({"GET /api/v1/chart/": listing})
    listed = _client(server).list("chart", ["id"])
    assert sorted(r["id"] for r in listed) == list(range(150))
    assert served == [0, 1, 0, 1]


def test_a_listing_that_stays_short_is_an_error() -> None:
    def listing(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"result": [{"id": 1}], "count": 2})

    server = Server({"GET /api/v1/chart/": listing})
    with pytest.raises(SupersetAPIError, match="kept changing"):
        _client(server).list("chart", ["id"])


def test_delete_treats_404_as_done() -> None:
    server = Server({"DELETE /api/v1/chart/7": lambda r: httpx.Response(404, json={})})
    _client(server).delete("chart", 7)


def test_rison() -> None:
    assert rison({"a": [1, "x y", True, None]}) == "(a:!(1,'x y',!t,!n))"
    assert rison("it's!") == "'it!'s!!'"
    assert rison([]) == "!()"


def test_bundle_roundtrip_strips_the_root_and_keeps_yes_a_string() -> None:
    assets = {"charts/a.yaml": {"slice_name": "yes", "uuid": "u1", "params": {"on": "off"}}}
    data = write_zip(assets, root="export_1")
    assert write_zip(assets, root="export_1") == data  # deterministic
    files = read_zip(data)
    assert sorted(files) == ["charts/a.yaml", "metadata.yaml"]
    assert parse(files) == {"charts/a.yaml": assets["charts/a.yaml"]}
    assert load_native(dump_native("yes"), "x") == "yes"
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert all(n.startswith("export_1/") for n in zf.namelist())
    assert kind_of("datasets/db/t.yaml") == "dataset"
    assert kind_of("metadata.yaml") is None


def test_archiver_leftovers_are_skipped_and_the_root_still_stripped(tmp_path: Path) -> None:
    chart = dump_native({"slice_name": "c", "uuid": "u1"})
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("export_1/metadata.yaml", "version: 1.0.0\n")
        zf.writestr("export_1/charts/c.yaml", chart)
        zf.writestr("export_1/.DS_Store", b"\x00\x01\xff\xfe binary")
        zf.writestr("__MACOSX/export_1/charts/._c.yaml", b"\x00\x05\x16\x07\xff")
    assert sorted(read_zip(buf.getvalue())) == ["charts/c.yaml", "metadata.yaml"]
    folder = tmp_path / "export_1"
    (folder / "charts").mkdir(parents=True)
    (folder / "charts" / "c.yaml").write_text(chart)
    (folder / "charts" / "._c.yaml").write_bytes(b"\x00\x05\x16\x07\xff")
    (folder / ".DS_Store").write_bytes(b"\x00\xff")
    assert list(parse(read_folder(tmp_path))) == ["charts/c.yaml"]


def test_an_asset_that_is_not_text_names_its_file() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("charts/c.yaml", b"\xff\xfe\x00")
    with pytest.raises(ConfigError, match="not UTF-8") as info:
        read_zip(buf.getvalue(), "export.zip")
    assert "export.zip:charts/c.yaml" in str(info.value)


def test_an_export_of_many_ids_is_split_to_fit_the_request_line() -> None:
    lines: list[int] = []

    def export(request: httpx.Request) -> httpx.Response:
        line = len(f"GET {request.url.raw_path.decode()} HTTP/1.1")
        lines.append(line)
        if line > 4094:  # gunicorn's limit_request_line
            return httpx.Response(400, text="<html><title>Bad Request</title></html>")
        return httpx.Response(200, content=b"zip")

    server = Server({"GET /api/v1/chart/export/": export})
    ids = list(range(100_000, 103_000))
    bundles = _client(server).export("chart", ids)
    assert len(bundles) == len(lines) >= 2
    assert max(lines) <= 3800
    sent = [int(x) for r in server.seen for x in r.url.params.get("q", "").strip("!()").split(",")
            if r.url.path.endswith("/export/") and x]  # fmt: skip
    assert sorted(sent) == ids  # every id once


def test_an_html_error_page_becomes_one_readable_line() -> None:
    page = (
        "<html>\n  <head>\n    <title>Bad Request</title>\n  </head>\n  <body>\n"
        "    <h1><p>Bad Request</p></h1>\n    Request Line is too large (8192 &gt; 4094)\n"
        "  </body>\n</html>\n"
    )
    server = Server({"GET /api/v1/assets/export/": lambda r: httpx.Response(400, text=page)})
    with pytest.raises(SupersetAPIError) as info:
        _client(server).export_assets()
    message = str(info.value)
    assert "\n" not in message and "<" not in message
    assert "Bad Request: Bad Request Request Line is too large (8192 > 4094)" in message


def test_an_unreachable_server_fails_once_for_every_thread() -> None:
    calls = {"n": 0}

    def refuse(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        raise httpx.ConnectError("connection refused", request=request)

    client = _client(refuse)
    slept: list[float] = []
    client._sleep = slept.append  # type: ignore[method-assign]
    with pytest.raises(SupersetAPIError, match="cannot reach Superset"):
        client.list("chart", ["id"])
    assert calls["n"] == 3  # the first try and two quick retries, for the login
    with pytest.raises(SupersetAPIError, match="cannot reach Superset"):
        client.list("dashboard", ["id"])  # another request (a thread of the same run)
    assert calls["n"] == 3  # gives up at once: no second round of retries
    assert sum(slept) < 2


def test_a_server_that_caps_the_page_size_is_paged_at_its_size() -> None:
    rows = [{"id": i} for i in range(250)]
    asked: list[tuple[int, int]] = []

    def listing(request: httpx.Request) -> httpx.Response:
        q = request.url.params["q"]
        page = int(q.split("page:")[1].split(",")[0])
        size = min(int(q.split("page_size:")[1].split(")")[0].split(",")[0]), 100)
        asked.append((page, size))
        return httpx.Response(
            200, json={"result": rows[page * size : (page + 1) * size], "count": len(rows)}
        )

    server = Server({"GET /api/v1/chart/": listing})
    assert len(_client(server).list("chart", ["id"])) == 250
    assert sorted(asked) == [(0, 100), (1, 100), (2, 100)]


def test_execute_sql_posts_one_synchronous_query_with_csrf() -> None:
    def execute(request: httpx.Request) -> httpx.Response:
        assert request.headers["X-CSRFToken"] == server.csrf
        body = json.loads(request.read())
        assert body["database_id"] == 7 and body["sql"] == "SELECT 1"
        assert body["runAsync"] is False and body["queryLimit"] == 1
        assert len(body["client_id"]) <= 11
        return httpx.Response(200, json={"status": "success", "data": [{"?column?": 1}]})

    server = Server({"POST /api/v1/sqllab/execute/": execute})
    result = _client(server).execute_sql(7, "SELECT 1")
    assert result["status"] == "success" and result["data"] == [{"?column?": 1}]


def test_execute_sql_reports_the_database_error() -> None:
    def execute(_: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"message": "relation does not exist"})

    server = Server({"POST /api/v1/sqllab/execute/": execute})
    with pytest.raises(SupersetAPIError, match="relation does not exist") as caught:
        _client(server).execute_sql(1, "SELECT * FROM nowhere")
    assert caught.value.status == 400
