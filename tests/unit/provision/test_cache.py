"""The cache keeps only what a run proved equal (the invariant in provision/cache.py)."""

from __future__ import annotations

from pathlib import Path

from supersetctl.provision.cache import VerifiedCache
from supersetctl.provision.live import LiveAsset, LiveState
from supersetctl.provision.planner import content_needed, desired_key
from tests.support.provision_unit import CH_UUID, DA_UUID, DS_UUID, settled

T1 = "2026-01-01T00:00:00.000001+0000"
T2 = "2026-01-01T00:00:00.000002+0000"


def _bare(live: LiveState) -> LiveState:
    """What a listing gives: no content."""
    return LiveState(
        {
            u: LiveAsset(a.kind, a.id, u, a.name, a.managed, a.changed_on, a.ident)
            for u, a in live.assets.items()
        }
    )


def test_a_hit_needs_the_same_change_time_and_the_same_file(tmp_path: Path) -> None:
    cache = VerifiedCache(None, "http://x")
    cache.remember(CH_UUID, T1, "key", "chart", 3)
    assert cache.hit(CH_UUID, "chart", T1, "key")
    assert not cache.hit(CH_UUID, "chart", T2, "key")  # edited live since
    assert not cache.hit(CH_UUID, "chart", T1, "other")  # the file changed
    assert not cache.hit(CH_UUID, "chart", "", "key")  # no change time: no proof
    cache.forget(CH_UUID)
    assert not cache.hit(CH_UUID, "chart", T1, "key")


def test_datasets_are_never_vouched_for(tmp_path: Path) -> None:
    # Superset's column sync rewrites a dataset's columns and leaves its changed_on
    cache = VerifiedCache(tmp_path / "c.json", "http://x")
    cache.remember(DS_UUID, T1, "key", "dataset", 2)
    assert DS_UUID not in cache.entries
    assert not cache.hit(DS_UUID, "dataset", T1, "key")


def test_what_must_be_read(tmp_path: Path) -> None:
    desired, live = settled(tmp_path)
    bare = _bare(live)
    keys = {d.uuid: desired_key(d, bare) for d in desired}
    assert set(content_needed(desired, bare, keys, None)) == {d.uuid for d in desired}
    cache = VerifiedCache(None, "http://x")
    for d in desired:
        cache.remember(d.uuid, bare.assets[d.uuid].changed_on, keys[d.uuid], d.kind, 1)
    assert content_needed(desired, bare, keys, cache) == [DS_UUID]
    bare.assets[CH_UUID].changed_on = T2
    assert content_needed(desired, bare, keys, cache) == [DS_UUID, CH_UUID]


def test_a_key_moves_when_what_an_asset_refers_to_was_made_again(tmp_path: Path) -> None:
    desired, live = settled(tmp_path)
    dash = next(d for d in desired if d.uuid == DA_UUID)
    before = desired_key(dash, live)
    live.assets[CH_UUID].id = 99  # the chart was deleted and made again
    assert desired_key(dash, live) != before


def test_a_cache_of_another_instance_or_format_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    cache = VerifiedCache(path, "http://a")
    cache.remember(CH_UUID, T1, "key", "chart", 3)
    cache.save()
    assert VerifiedCache.load(path, "http://a").entries
    assert not VerifiedCache.load(path, "http://b").entries
    path.write_text(path.read_text().replace('"version": 4', '"version": 3'))
    assert not VerifiedCache.load(path, "http://a").entries
    path.write_text("{not json")
    assert not VerifiedCache.load(path, "http://a").entries
