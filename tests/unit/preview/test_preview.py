"""The parts of ``preview`` that need no browser: which dashboards a change reaches, the
base's files, the pixel score and its picture, the page and the Markdown, the CLI's text."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

from supersetctl.check.graph import changed_files
from supersetctl.cli.preview import render
from supersetctl.contract.environment import Environment, load_environment
from supersetctl.errors import ConfigError, UsageError
from supersetctl.paths import RepoPaths
from supersetctl.preview import (
    DashboardPreview,
    PreviewReport,
    Shot,
    compare,
    index_html,
    preview_markdown,
)
from supersetctl.preview.browser import ChartState, settled
from supersetctl.preview.page import score_text
from supersetctl.preview.run import (
    _credentials,
    _select,
    base_files,
    boards,
    needs,
    reached_boards,
)
from supersetctl.provision import Desired, load_desired
from tests.support.helpers import copy_repo, git

MOVES = "infra/superset/provisioning/datasources/odoo-analytics/analytics.stock_moves.yaml"
DB = "infra/superset/provisioning/databases/odoo-analytics.yaml"
CHART = "infra/superset/provisioning/dashboards/inventory-movements/charts/moves-by-direction.yaml"
BOARD = "infra/superset/provisioning/dashboards/crm-pipeline/dashboard.yaml"


def _env(root: Path, **extra: str) -> Environment:
    environ = {"ODOO_RO_PASSWORD": "ro_" + secrets.token_hex(8), **extra}
    return load_environment(RepoPaths(root), "dev", environ=environ)


@pytest.fixture(scope="module")
def starter(tmp_path_factory: pytest.TempPathFactory) -> tuple[Environment, list[Desired]]:
    root = copy_repo(tmp_path_factory.mktemp("preview") / "repo", ("infra", "config"))
    env = _env(root)
    return env, load_desired(env)


# --- which dashboards --------------------------------------------------------------------------


def test_a_change_reaches_the_dashboards_that_show_it(starter: Any) -> None:
    _, desired = starter
    assert reached_boards(desired, {CHART}) == {"inventory-movements"}
    assert reached_boards(desired, {MOVES}) == {"inventory-movements"}
    assert reached_boards(desired, {BOARD}) == {"crm-pipeline"}
    assert reached_boards(desired, {DB}) == {
        "crm-pipeline", "inventory-movements", "invoicing-and-receivables", "sales-overview"
    }  # fmt: skip
    assert reached_boards(desired, set()) == set()


def test_boards_count_the_charts_each_dashboard_places(starter: Any) -> None:
    _, desired = starter
    found = boards(desired)
    assert sorted(found) == [
        "crm-pipeline", "inventory-movements", "invoicing-and-receivables", "sales-overview"
    ]  # fmt: skip
    assert found["inventory-movements"].charts == 6
    assert found["inventory-movements"].title == "Inventory movements"


def test_a_dashboard_needs_its_charts_datasets_and_database(starter: Any) -> None:
    _, desired = starter
    kinds: dict[str, int] = {}
    by = {d.uuid.lower(): d.kind for d in desired}
    for u in needs(desired, {"inventory-movements"}):
        kinds[by[u]] = kinds.get(by[u], 0) + 1
    assert kinds == {"dashboard": 1, "chart": 6, "dataset": 1, "database": 1}


def test_selection_named_then_reached_then_all(starter: Any) -> None:
    _, desired = starter
    current = boards(desired)
    assert _select(current, None, ["crm-pipeline"], {"sales-overview"})[0] == ["crm-pipeline"]
    assert _select(current, None, [], {"sales-overview"}) == (
        ["sales-overview"], "1 dashboard(s) the change reaches"
    )  # fmt: skip
    assert _select(current, None, [], None)[1] == "every managed dashboard"
    with pytest.raises(UsageError, match=r"no dashboard with slug 'nope'.*crm-pipeline"):
        _select(current, None, ["nope"], None)


def test_the_base_files_come_from_the_ref_and_a_removed_dashboard_is_there(
    tmp_path: Path,
) -> None:
    root = copy_repo(tmp_path / "repo", ("infra", "config"))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    board = root / "infra/superset/provisioning/dashboards/crm-pipeline/dashboard.yaml"
    board.unlink()
    (root / "infra/superset/provisioning/dashboard_access/crm-pipeline.yaml").unlink()
    env = _env(root)
    base = base_files(env, "HEAD", tmp_path / "base")
    assert base.paths.root == tmp_path / "base" and base.config is env.config
    assert "crm-pipeline" in boards(load_desired(base))
    assert "crm-pipeline" not in boards(load_desired(env))
    files = changed_files(root, "HEAD", env.paths.provisioning)
    assert reached_boards(load_desired(base), files) == {"crm-pipeline"}
    with pytest.raises(UsageError, match="--changed-since no-such-ref"):
        base_files(env, "no-such-ref", tmp_path / "nothing")


def test_the_browser_login_needs_a_username_and_password(tmp_path: Path) -> None:
    root = copy_repo(tmp_path / "repo", ("infra", "config"))
    with pytest.raises(ConfigError, match="SUPERSET_ADMIN_USERNAME and SUPERSET_ADMIN_PASSWORD"):
        _credentials(_env(root, SUPERSET_ACCESS_TOKEN="t" + secrets.token_hex(8)))
    password = "pw_" + secrets.token_hex(8)
    env = _env(root, SUPERSET_ADMIN_USERNAME="admin", SUPERSET_ADMIN_PASSWORD=password)
    assert _credentials(env) == ("admin", password)


# --- waiting -----------------------------------------------------------------------------------


def _chart(**state: Any) -> ChartState:
    raw = {"name": "c", "loading": 0, "error": 0, "noResults": False, "canvas": 0, "rows": 0,
           "text": "c"}  # fmt: skip
    raw.update(state)
    return ChartState.from_page(raw)


def test_a_dashboard_has_settled_when_every_chart_is_done() -> None:
    drawn = _chart(canvas=1)
    assert settled([drawn, _chart(text="Revenue\n1.2M")], 2)
    assert not settled([drawn], 2)  # one not on the page yet
    assert not settled([drawn, _chart(loading=1, canvas=1)], 2)  # a spinner
    assert not settled([drawn, _chart()], 2)  # nothing drawn yet
    assert settled([drawn, _chart(error=1)], 2)  # an error is final
    assert settled([drawn, _chart(noResults=True)], 2)


# --- the score ---------------------------------------------------------------------------------


def _png(path: Path, size: tuple[int, int] = (200, 100), box: Any = None) -> Path:
    image = Image.new("RGB", size, (255, 255, 255))
    if box:
        ImageDraw.Draw(image).rectangle(box, fill=(0, 0, 255))
    image.save(path)
    return path


def test_the_same_picture_scores_zero(tmp_path: Path) -> None:
    a = _png(tmp_path / "a.png", box=(10, 10, 29, 29))
    b = _png(tmp_path / "b.png", box=(10, 10, 29, 29))
    d = compare(a, b, tmp_path / "diff.png")
    assert (d.score, d.pixels, d.size) == (0.0, 0, (200, 100))
    assert (tmp_path / "diff.png").exists()


def test_the_score_is_the_share_of_differing_pixels(tmp_path: Path) -> None:
    a = _png(tmp_path / "a.png")
    b = _png(tmp_path / "b.png", box=(0, 0, 19, 9))  # 20 x 10 = 200 of 20,000 pixels
    d = compare(a, b, tmp_path / "diff.png")
    assert d.pixels == 200 and d.score == pytest.approx(0.01)
    with Image.open(tmp_path / "diff.png") as diff:
        assert diff.getpixel((5, 5)) == (220, 30, 30)  # differing: red
        assert diff.getpixel((100, 50)) == (255, 255, 255)  # same: the after, faded


def test_small_noise_is_not_a_difference(tmp_path: Path) -> None:
    a = _png(tmp_path / "a.png")
    noisy = Image.new("RGB", (200, 100), (250, 250, 250))  # 5 of 255 off everywhere
    noisy.save(tmp_path / "b.png")
    assert compare(a, tmp_path / "b.png").score == 0.0


def test_rows_only_one_picture_has_count_as_different(tmp_path: Path) -> None:
    short = _png(tmp_path / "a.png", size=(200, 100))
    tall = Image.new("RGB", (200, 150), (0, 0, 0))
    tall.paste(Image.new("RGB", (200, 100), (255, 255, 255)), (0, 0))
    tall.save(tmp_path / "b.png")
    d = compare(short, tmp_path / "b.png")
    assert d.size == (200, 150) and d.score == pytest.approx(1 / 3)


# --- the page, the Markdown, the text -----------------------------------------------------------


def _report(tmp_path: Path) -> PreviewReport:
    out = tmp_path / "out"
    changed = DashboardPreview("inventory-movements", "Inventory movements", reached=True)
    changed.before = Shot(out / "inventory-movements/before.png", 2.0, [_chart(canvas=1)])
    changed.after = Shot(out / "inventory-movements/after.png", 1.5, [_chart(canvas=1)])
    changed.score, changed.diff = 0.0421, out / "inventory-movements/diff.png"
    new = DashboardPreview("new-board", "New | board", in_before=False)
    new.after = Shot(out / "new-board/after.png", 1.0, [_chart(name="Broken", error=1)])
    failed = DashboardPreview("sales-overview", "Sales overview", error="did not render")
    report = PreviewReport("dev", out, "3 dashboard(s)", base="main", seconds=12.3)
    report.dashboards = [changed, new, failed]
    report.reached = ["inventory-movements"]
    return report


def test_statuses_and_what_fails_the_run(tmp_path: Path) -> None:
    report = _report(tmp_path)
    assert [d.status for d in report.dashboards] == ["changed", "new", "error"]
    assert report.dashboards[1].chart_errors == ["Broken"]
    assert not report.ok
    same = DashboardPreview("x", "X", score=0.0)
    assert same.status == "same" and same.ok
    retitled = DashboardPreview("t", "T", score=0.0002)  # a chart title renamed
    assert retitled.status == "changed" and score_text(retitled) == "0.02 %"
    assert score_text(DashboardPreview("s", "S", score=0.00004)) == "< 0.01 %"
    assert DashboardPreview("y", "Y").status == "shot"
    assert DashboardPreview("z", "Z", in_after=False).status == "removed"
    data = report.as_dict()
    first = data["dashboards"][0]
    assert first["before"]["png"] == "inventory-movements/before.png"
    assert first["diff"] == "inventory-movements/diff.png" and first["score"] == 0.0421
    assert data["reached"] == ["inventory-movements"] and data["base"] == "main"


def test_the_page_shows_the_three_pictures_side_by_side(tmp_path: Path) -> None:
    page = index_html(_report(tmp_path))
    assert page.startswith("<!doctype html>")
    assert '<img src="inventory-movements/before.png" alt="before">' in page
    assert '<img src="inventory-movements/diff.png" alt="diff">' in page
    assert "4.21 %" in page and "<em>no before</em>" in page
    assert "New | board" in page and "charts showing an error: Broken" in page
    assert "did not render" in page


def test_the_markdown_is_one_sticky_section_per_environment(tmp_path: Path) -> None:
    md = preview_markdown(_report(tmp_path), "http://127.0.0.1:8088")
    assert md.startswith("<!-- supersetctl-preview:dev -->\n### supersetctl preview: dev")
    assert "2 of 3 dashboard(s) look different, 2 with errors" in md
    assert "| Inventory movements (`inventory-movements`) | changed | 4.21 % |  |" in md
    assert "| New \\| board (`new-board`) | new | new | charts with errors: Broken |" in md


def test_the_text_names_each_dashboard_and_the_page(tmp_path: Path) -> None:
    text = render(_report(tmp_path))
    assert "changed     4.21 %  inventory-movements (before 2.0 s, after 1.5 s)" in text
    assert "sales-overview (): did not render" in text
    assert text.rstrip().endswith(f"open {tmp_path / 'out' / 'index.html'}")


def test_scratch_leftovers_are_known_by_the_pid_that_made_them() -> None:
    from supersetctl.preview.scratch import _owner

    assert _owner("superset_preview_4242_a1b2c3") == 4242
    assert _owner("supersetctl-preview-4242-x_y1z") == 4242
    assert _owner("superset_preview_a1b2c3d4") is None  # not ours to judge
