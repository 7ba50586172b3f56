"""The normal forms files and live exports are compared in."""

from __future__ import annotations

from supersetctl.provision.normalize import comparable, diff, for_file
from tests.support.provision_unit import (
    CH_UUID,
    DS_UUID,
)


def test_dashboard_chart_ids_compare_as_uuids() -> None:
    file_side = {
        "position": {"CHART-1": {"type": "CHART", "meta": {"chartId": 1, "uuid": CH_UUID}}},
        "metadata": {"expanded_slices": {"1": True}, "chart_configuration": {"1": {"id": 1}}},
        "version": "1.0.0",
    }
    live_side = {
        "position": {"CHART-1": {"type": "CHART", "meta": {"chartId": 87}}},
        "metadata": {"expanded_slices": {"87": True}, "chart_configuration": {"87": {"id": 87}}},
    }
    a = comparable("dashboard", file_side, {})
    b = comparable("dashboard", live_side, {87: CH_UUID})
    assert a == b
    assert a["metadata"]["expanded_slices"] == {CH_UUID: True}


def test_export_renumbers_chart_ids_locally() -> None:
    live = {
        "position": {
            "CHART-b": {"type": "CHART", "meta": {"chartId": 912}},
            "CHART-a": {"type": "CHART", "meta": {"chartId": 40, "uuid": CH_UUID}},
        },
        "metadata": {"timed_refresh_immune_slices": [40, 912]},
    }
    out = for_file("dashboard", live, {912: DS_UUID})
    assert out["position"]["CHART-b"]["meta"] == {"chartId": 1, "uuid": DS_UUID}
    assert out["position"]["CHART-a"]["meta"]["chartId"] == 2
    assert out["metadata"]["timed_refresh_immune_slices"] == [2, 1]


def test_diff_is_field_level_and_ignores_keys_the_file_leaves_out() -> None:
    desired = {"slice_name": "A", "params": {"metric": "sum", "row_limit": 10}}
    live = {"slice_name": "B", "params": {"metric": "sum", "row_limit": 10, "extra": 1}, "x": 2}
    assert [(d.path, d.live, d.desired) for d in diff(desired, live)] == [("slice_name", "B", "A")]


def test_the_colours_a_dashboard_page_works_out_are_neither_compared_nor_exported() -> None:
    """Superset's page stores them when the dashboard is opened, without a new changed_on."""
    file_side = {
        "metadata": {"color_scheme": "supersetColors", "label_colors": {"won": "#5AC189"},
                     "color_scheme_domain": [], "shared_label_colors": [],
                     "map_label_colors": {}},
    }  # fmt: skip
    opened = {
        "metadata": {"color_scheme": "supersetColors", "label_colors": {"won": "#5AC189"},
                     "color_scheme_domain": ["#1FA8C9", "#454E7C"],
                     "shared_label_colors": ["lost", "won"],
                     "map_label_colors": {"lost": "#1FA8C9"}},
    }  # fmt: skip
    assert comparable("dashboard", file_side, {}) == comparable("dashboard", opened, {})
    assert for_file("dashboard", opened, {}) == file_side
    assert opened["metadata"]["shared_label_colors"] == ["lost", "won"]  # the input is left as is
    # what someone chose still counts: the scheme and the custom label colours
    recoloured = {"metadata": {**opened["metadata"], "label_colors": {"won": "#000000"}}}
    changes = diff(comparable("dashboard", file_side, {}),
                   comparable("dashboard", recoloured, {}))  # fmt: skip
    assert [d.path for d in changes] == ["metadata.label_colors.won"]
