"""The USGS M2M provider against the M2M emulator: paging, filters, activation by polling, download."""

from __future__ import annotations

import json

import pytest
from shapely.geometry import MultiPolygon, box

from scene_picker.core.cancel import CancelToken
from scene_picker.core.credentials import delete_credentials, store_credentials
from scene_picker.core.errors import ActivationError, AuthenticationError, CancelledError, OutputError
from scene_picker.core.query import Query
from scene_picker.core.scene import Scene
from scene_picker.providers.polling import PollPolicy
from scene_picker.providers.usgs import UsgsProvider

from support.m2m_emulator import M2MEmulator

USER, APP_TOKEN = "landsat_user", "app-token-XYZ987654321"
FAST = PollPolicy(interval=0.01, factor=2.0, max_interval=0.05, timeout=1.0)
PLATFORMS = {
    "LT04": "landsat-4",
    "LT05": "landsat-5",
    "LE07": "landsat-7",
    "LC08": "landsat-8",
    "LC09": "landsat-9",
}


@pytest.fixture(scope="module")
def m2m():
    emu = M2MEmulator(users={USER: APP_TOKEN}, polls_needed=3).start()
    yield emu
    emu.close()


@pytest.fixture
def provider(m2m):
    store_credentials("usgs", USER, APP_TOKEN)
    prov = UsgsProvider(url=m2m.api_url, page_size=4, poll=FAST)
    yield prov
    prov.close()
    delete_credentials("usgs")


def test_paging_returns_every_scene_once(provider, m2m):
    results = provider.search(Query.build())
    ids = [s.id for s in results]
    assert len(ids) == len(set(ids)) == len(m2m.scenes) == results.total
    assert set(ids) == {s.display_id for s in m2m.scenes}
    assert results.pages_fetched >= len(m2m.scenes) // 4


@pytest.mark.parametrize(
    "aoi, start, end, cloud, platforms",
    [
        (box(-3, 40, 12, 50), "2022-03-01", "2022-05-31", (5, 80), ("landsat-8",)),
        (None, "2010-03-15T12:00:00Z", "2010-06-01", None, ("Landsat_5",)),
        (MultiPolygon([box(-6, 37, 3, 45), box(8, 44, 20, 53)]), None, None, (0, 50), ()),
        (box(-10, 30, 30, 60), "2015-04-01", "2015-07-31", (20.5, 70.5), ("landsat-7",)),
    ],
)
def test_filters_match_brute_force(provider, m2m, aoi, start, end, cloud, platforms):
    query = Query.build(
        aoi=aoi,
        start=start,
        end=end,
        cloud_min=cloud and cloud[0],
        cloud_max=cloud and cloud[1],
        platforms=platforms,
    )
    wanted = {"landsat-5" if p == "Landsat_5" else p for p in platforms}
    expected = {
        s.display_id
        for s in m2m.scenes
        if (not wanted or PLATFORMS[s.display_id[:4]] in wanted)
        and (query.aoi is None or s.polygon.intersects(query.aoi))
        and (query.start is None or s.acquired >= query.start)
        and (query.end is None or s.acquired <= query.end)
        and (cloud is None or (s.cloud_cover is not None and cloud[0] <= s.cloud_cover <= cloud[1]))
    }
    got = [s.id for s in provider.search(query)]
    assert len(got) == len(set(got)) and set(got) == expected and expected


def test_scene_fields_and_get(provider, m2m):
    source = next(s for s in m2m.scenes if s.dataset == "landsat_ot_c2_l2" and s.cloud_cover is not None)
    scene = provider.get(source.display_id)
    assert scene.id == source.display_id and scene.collection == "landsat_ot_c2_l2"
    assert scene.properties["entity_id"] == source.entity_id
    assert scene.platform == PLATFORMS[source.display_id[:4]]
    assert scene.datetime == source.acquired and scene.cloud_cover == source.cloud_cover
    assert scene.footprint.equals(source.polygon) and not scene.online


def test_activation_polls_then_downloads_and_a_stuck_product_fails_clearly(provider, m2m, tmp_path):
    scenes = [s for s in provider.search(Query.build(collections=("landsat_etm_c2_l2",), max_results=3))]
    stuck = scenes[1]
    m2m.never_available.add(stuck.properties["entity_id"])
    try:
        outcomes = {s.id: provider.downloader(s).try_download(tmp_path) for s in (scenes[0], scenes[2])}
        with pytest.raises(ActivationError) as info:
            provider.downloader(stuck).download(tmp_path)
    finally:
        m2m.never_available.clear()
    assert "still" in str(info.value) and stuck.id in str(info.value) and "try again later" in str(info.value)
    for scene_id, result in outcomes.items():
        source = next(s for s in m2m.scenes if s.display_id == scene_id)
        assert result.ok and result.files[0].read_bytes() == source.bundle
    assert not (tmp_path / stuck.id / f"{stuck.id}.tar").exists()
    retrieves = [c for c in m2m.calls if c["endpoint"] == "download-retrieve"]
    assert len(retrieves) >= 3 * 2 + 2  # three polls per ready product, several for the stuck one
    assert all(hit["api_key"] is None for hit in m2m.download_hits)  # the API key stays on the M2M host
    assert not m2m.downloads  # labels removed after use


def test_session_renewal_logout_and_bad_token(provider, m2m, tmp_path):
    assert list(provider.search(Query.build(max_results=1)))
    m2m.api_keys.clear()  # the server forgot the key
    assert list(provider.search(Query.build(max_results=1)))
    provider.close()
    assert not m2m.api_keys
    bad = UsgsProvider(url=m2m.api_url, username=USER, token="not-the-token")
    with pytest.raises(AuthenticationError) as info:
        list(bad.search(Query.build()))
    assert "not-the-token" not in str(info.value)


def test_cancel_while_waiting_for_activation(provider, m2m, tmp_path):
    scene = next(iter(provider.search(Query.build(collections=("landsat_tm_c2_l2",), max_results=1))))
    m2m.never_available.add(scene.properties["entity_id"])
    polls = []
    token = CancelToken.from_callable(lambda: len(polls) >= 2)
    original = provider.call

    def counting(endpoint, body, **kw):
        if endpoint == "download-retrieve":
            polls.append(endpoint)
        return original(endpoint, body, **kw)

    provider.call = counting
    try:
        with pytest.raises(CancelledError):
            provider.downloader(scene).download(tmp_path, cancel=token)
    finally:
        m2m.never_available.clear()
    assert len(polls) == 2


def test_a_scene_saved_as_geojson_still_downloads(provider, m2m, tmp_path):
    found = next(iter(provider.search(Query.build(collections=("landsat_ot_c2_l2",), max_results=1))))
    restored = Scene.from_feature(json.loads(json.dumps(found.to_feature())))
    assert restored.properties == found.properties and restored.collection == found.collection
    result = provider.downloader(restored).download(tmp_path)
    source = next(s for s in m2m.scenes if s.display_id == found.id)
    assert result.files[0].read_bytes() == source.bundle


def test_a_product_requested_by_an_interrupted_run_is_retrieved_under_its_label(provider, m2m, tmp_path):
    scene = next(iter(provider.search(Query.build(collections=("landsat_ot_c2_l2",), max_results=1))))
    entity = scene.properties["entity_id"]
    product = provider.call("download-options", {"datasetName": "landsat_ot_c2_l2", "entityIds": [entity]})[0]
    provider.call(  # an earlier run asked for it, then died before removing its label
        "download-request",
        {"downloads": [{"entityId": entity, "productId": product["id"]}], "label": "killed-run"},
        idempotent=False,
    )
    m2m.calls.clear()
    try:
        result = provider.downloader(scene).download(tmp_path)
    finally:
        provider.call("download-order-remove", {"label": "killed-run"})
    source = next(s for s in m2m.scenes if s.display_id == scene.id)
    assert result.files[0].read_bytes() == source.bundle
    requests = [c for c in m2m.calls if c["endpoint"] == "download-request"]
    assert len(requests) == 1  # the emulator answered with duplicateProducts, not a second queue entry
    retrieved = {(c["body"] or {}).get("label") for c in m2m.calls if c["endpoint"] == "download-retrieve"}
    assert "killed-run" in retrieved


def test_a_file_where_the_output_folder_should_be_is_an_output_error(provider, m2m, tmp_path):
    scene = next(iter(provider.search(Query.build(collections=("landsat_ot_c2_l2",), max_results=1))))
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(OutputError, match="Cannot write .*not-a-folder.*free space"):
        provider.downloader(scene).download(blocker / "sub")
    assert not m2m.downloads  # the order's label is removed all the same
