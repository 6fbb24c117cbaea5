"""The NASA CMR provider against the CMR and Earthdata Login emulators: paging, filters, download."""

from __future__ import annotations

import base64
import hashlib

import pytest
from shapely.geometry import Polygon, box

from scene_picker.core.credentials import delete_credentials, store_credentials
from scene_picker.core.errors import AuthenticationError, ChecksumMismatchError, HttpStatusError
from scene_picker.core.query import Query
from scene_picker.providers.cmr import CmrProvider

from support.cmr_emulator import CmrEmulator
from support.earthdata_emulator import EarthdataEmulator

USER, PASSWORD, TOKEN = "alice", "s3cret-Passw0rd", "edl-token-0123456789abcdef"


@pytest.fixture(scope="module")
def earthdata():
    emu = EarthdataEmulator(users={USER: PASSWORD}, tokens={TOKEN}).start()
    yield emu
    emu.close()


@pytest.fixture(scope="module")
def cmr(earthdata):
    emu = CmrEmulator(earthdata.data_url).start()
    earthdata.add_files(emu.data_files())
    yield emu
    emu.close()


@pytest.fixture
def provider(cmr, earthdata):
    store_credentials("cmr", USER, PASSWORD)
    yield CmrProvider(url=cmr.base_url, urs_url=earthdata.urs_url, page_size=4)
    delete_credentials("cmr")


def _brute_force(cmr, aoi=None, start=None, end=None, cloud=None, platform=None) -> set[str]:
    out = set()
    for g in cmr.granules:
        if platform is not None and not g.platform.lower().startswith(platform):
            continue
        if aoi is not None and not g.polygon.intersects(aoi):
            continue
        if start is not None and g.end < start or end is not None and g.begin > end:
            continue
        if cloud is not None and (g.cloud_cover is None or not cloud[0] <= g.cloud_cover <= cloud[1]):
            continue
        out.add(g.granule_ur)
    return out


def test_paging_returns_every_granule_once(provider, cmr):
    results = provider.search(Query.build())
    ids = [s.id for s in results]
    assert len(ids) == len(set(ids)) == len(cmr.granules) == results.total
    assert set(ids) == {g.granule_ur for g in cmr.granules}
    assert results.pages_fetched >= len(cmr.granules) // 4
    # Search is public: no credentials ever went to CMR.
    assert all("Authorization" not in r["headers"] for r in cmr.requests)


@pytest.mark.parametrize(
    "aoi, start, end, cloud, platforms",
    [
        (box(-5, 38, 12, 50), "2021-01-10", "2021-02-20", (10, 70), ()),
        (Polygon([(0, 40), (15, 40), (15, 52), (0, 52)]), "2021-02-01", None, None, ("sentinel-2",)),
        (box(-10, 35, 20, 55).difference(box(-2, 40, 12, 50)), None, "2021-03-01", (0, 40), ("landsat-8",)),
        (None, "2021-03-10T06:00:00Z", "2021-03-31", (55, 100), ("terra",)),
    ],
)
def test_filters_match_brute_force(provider, cmr, aoi, start, end, cloud, platforms):
    query = Query.build(
        aoi=aoi,
        start=start,
        end=end,
        cloud_min=cloud and cloud[0],
        cloud_max=cloud and cloud[1],
        platforms=platforms,
    )
    platform = platforms[0] if platforms else None  # granule platforms: LANDSAT-8, Sentinel-2A, Terra…
    expected = _brute_force(cmr, query.aoi, query.start, query.end, cloud, platform)
    got = [s.id for s in provider.search(query)]
    assert len(got) == len(set(got))
    assert set(got) == expected
    assert expected, "the case should select something"


def test_scene_fields(provider, cmr):
    granule = next(
        g for g in cmr.granules if g.collection.short_name == "HLSL30" and g.cloud_cover is not None
    )
    scene = provider.get(granule.concept_id)
    assert scene.id == granule.granule_ur and scene.collection == "HLSL30"
    assert scene.platform in ("landsat-8", "landsat-9")
    assert scene.datetime == granule.begin
    assert scene.cloud_cover == granule.cloud_cover
    assert scene.footprint.equals(granule.polygon)
    ((name, data),) = granule.files.items()
    asset = scene.assets["B04"]
    assert asset.size == len(data) and asset.checksum.hexdigest == hashlib.md5(data).hexdigest()
    assert provider.get(granule.granule_ur).properties["concept_id"] == granule.concept_id


def test_earthdata_download_never_sends_credentials_to_data_host(provider, cmr, earthdata, tmp_path):
    earthdata.drop_sessions()
    earthdata.reset_records()
    scenes = list(provider.search(Query.build(platforms=("sentinel-2",), max_results=3)))
    assert len(scenes) == 3
    for scene in scenes:
        result = provider.downloader(scene).download(tmp_path)
        granule = next(g for g in cmr.granules if g.granule_ur == scene.id)
        ((name, data),) = granule.files.items()
        assert [p.name for p in result.files] == [name]
        assert result.files[0].read_bytes() == data
    secret = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    assert earthdata.data_requests, "the data host was used"
    for record in earthdata.data_requests:
        assert record["authorization"] is None
        assert PASSWORD not in str(record) and secret not in str(record)
    basic = [r for r in earthdata.urs_requests if r["authorization"]]
    assert basic and all(r["authorization"] == f"Basic {secret}" for r in basic)
    # One login, then the data host's session cookie serves the other granules.
    assert sum(1 for r in earthdata.data_requests if r["path"].startswith("/login")) == 1


def test_earthdata_token_goes_to_data_host_only(cmr, earthdata, tmp_path):
    earthdata.drop_sessions()
    earthdata.reset_records()
    provider = CmrProvider(url=cmr.base_url, urs_url=earthdata.urs_url, token=TOKEN)
    scene = next(iter(provider.search(Query.build(platforms=("terra",), max_results=1))))
    result = provider.downloader(scene).download(tmp_path)
    assert result.files and result.bytes_fetched > 0
    assert not earthdata.urs_requests
    assert {r["authorization"] for r in earthdata.data_requests} == {f"Bearer {TOKEN}"}


def test_wrong_password_and_faults_are_clear(cmr, earthdata, tmp_path):
    earthdata.drop_sessions()
    provider = CmrProvider(url=cmr.base_url, urs_url=earthdata.urs_url, username=USER, password="wrong-one")
    scene = next(iter(provider.search(Query.build(platforms=("landsat-8",), max_results=1))))
    with pytest.raises(AuthenticationError) as info:
        provider.downloader(scene).download(tmp_path)
    assert "wrong-one" not in str(info.value)
    good = CmrProvider(url=cmr.base_url, urs_url=earthdata.urs_url, username=USER, password=PASSWORD)
    scenes = list(good.search(Query.build(platforms=("landsat-8",), max_results=3)))[1:]
    granules = {g.granule_ur: g for g in cmr.granules}
    corrupt, missing = (cmr.file_path(granules[s.id], next(iter(granules[s.id].files))) for s in scenes)
    earthdata.faults.update({corrupt: "corrupt", missing: "missing"})
    try:
        with pytest.raises(ChecksumMismatchError):
            good.downloader(scenes[0]).download(tmp_path)
        with pytest.raises(HttpStatusError) as info:
            good.downloader(scenes[1]).download(tmp_path)
        assert info.value.status == 404
        for scene in scenes:  # nothing left under a final name
            assert not (tmp_path / scene.id / next(iter(granules[scene.id].files))).exists()
    finally:
        earthdata.faults.clear()


def test_closing_the_provider_closes_its_download_sessions(cmr, earthdata, tmp_path):
    provider = CmrProvider(url=cmr.base_url, urs_url=earthdata.urs_url, token=TOKEN)
    scene = next(iter(provider.search(Query.build(platforms=("terra",), max_results=1))))
    assert provider.downloader(scene).download(tmp_path).files
    # the client kept per data host (in a dict): its connection pools are emptied by the provider's close
    pools = provider.download_client(scene).session.get_adapter(earthdata.data_url).poolmanager.pools
    assert len(pools) >= 1
    provider.close()
    assert len(pools) == 0
