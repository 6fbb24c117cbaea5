"""The SensorAPI facade over the CMR/Earthdata, USGS M2M and Planet emulators: platform choice,
download_all with failures, threads and cancellation."""

from __future__ import annotations

import json

import pytest
from shapely.geometry import box, mapping

from scene_picker.core.credentials import delete_credentials, store_credentials
from scene_picker.core.errors import ActivationError, CancelledError, HttpStatusError, UsageError
from scene_picker.core.naming import safe_name
from scene_picker.core.transfer import CHUNK_SIZE, part_path
from scene_picker.providers.polling import PollPolicy
from scene_picker.providers.sensor_api import SensorAPI

from support.cmr_emulator import CmrEmulator
from support.earthdata_emulator import EarthdataEmulator
from support.fake_catalog import synthetic_bytes
from support.m2m_emulator import M2MEmulator
from support.planet_emulator import PlanetEmulator

FAST = PollPolicy(interval=0.01, factor=2.0, max_interval=0.05, timeout=1.0)
BIG = 6 * CHUNK_SIZE + 1234


@pytest.fixture(scope="module")
def servers():
    earthdata = EarthdataEmulator(users={"alice": "s3cret-Passw0rd"}).start()
    cmr = CmrEmulator(earthdata.data_url)
    big = cmr.granules[1]  # an HLSS30 granule made large enough for several chunks
    name = next(iter(big.files))
    big.files[name] = synthetic_bytes(name, BIG)
    earthdata.add_files(cmr.data_files())
    cmr.start()
    m2m = M2MEmulator(users={"landsat_user": "app-token-XYZ987654321"}, polls_needed=2).start()
    planet = PlanetEmulator(api_keys={"PLAK0123456789abcdef"}, polls_needed=2).start()
    yield {"earthdata": earthdata, "cmr": cmr, "m2m": m2m, "planet": planet, "big": big}
    for server in (planet, m2m, cmr, earthdata):
        server.close()


@pytest.fixture
def api(servers):
    store_credentials("cmr", "alice", "s3cret-Passw0rd")
    store_credentials("usgs", "landsat_user", "app-token-XYZ987654321")
    store_credentials("planet", "", "PLAK0123456789abcdef")
    options = {
        "cmr": {"url": servers["cmr"].base_url, "urs_url": servers["earthdata"].urs_url, "page_size": 7},
        "usgs": {"url": servers["m2m"].api_url, "poll": FAST, "page_size": 5},
        "planet": {"url": servers["planet"].api_url, "poll": FAST, "page_size": 6},
    }
    with SensorAPI(providers=["cmr", "usgs", "planet"], provider_options=options) as facade:
        yield facade
    for name in ("cmr", "usgs", "planet"):
        delete_credentials(name)


AREA = box(-4, 38, 14, 50)


@pytest.mark.parametrize("aoi", [AREA.wkt, json.dumps(mapping(AREA)), mapping(AREA), AREA])
def test_scenes_by_platform_name_over_several_providers(api, servers, aoi):
    scenes = api.scenes("Landsat8", aoi=aoi, start_date="2021-01-01", end_date="2022-12-31", cloud_max=60)
    expected_cmr = {
        g.granule_ur
        for g in servers["cmr"].granules
        if g.platform == "LANDSAT-8"
        and g.polygon.intersects(AREA)
        and g.cloud_cover is not None
        and g.cloud_cover <= 60
    }
    expected_usgs = {
        s.display_id
        for s in servers["m2m"].scenes
        if s.display_id.startswith("LC08")
        and s.polygon.intersects(AREA)
        and s.cloud_cover is not None
        and s.cloud_cover <= 60
    }
    got = [(s.provider, s.id) for s in scenes]
    assert len(got) == len(set(got))
    assert {i for p, i in got if p == "cmr"} == expected_cmr and expected_cmr
    assert {i for p, i in got if p == "usgs"} == expected_usgs and expected_usgs
    assert not api.last_errors


def test_platform_choice_and_unknown_platform(api, servers):
    planet = api.scenes("PlanetScope", cloud_min=0, cloud_max=100)
    assert {s.provider for s in planet} == {"planet"} and len(planet) == len(servers["planet"].items)
    with pytest.raises(UsageError) as info:
        api.scenes("sentinel-1")
    assert "planetscope" in str(info.value) and "landsat-8" in str(info.value)


def _six_scenes(api, servers):
    cmr = api.scenes("terra", max_results=2)
    usgs = api.scenes("landsat-7", max_results=2)
    planet = api.scenes("planetscope", max_results=2)
    scenes = cmr + usgs + planet
    assert [s.provider for s in scenes] == ["cmr"] * 2 + ["usgs"] * 2 + ["planet"] * 2
    granule = next(g for g in servers["cmr"].granules if g.granule_ur == cmr[1].id)
    missing = servers["cmr"].file_path(granule, next(iter(granule.files)))
    return scenes, missing, planet[0].id


@pytest.mark.parametrize("use_threads", [False, True])
def test_download_all_skips_errors_and_reports_causes(api, servers, tmp_path, use_threads):
    scenes, missing, stuck = _six_scenes(api, servers)
    servers["earthdata"].faults[missing] = "missing"
    servers["planet"].never_activate.add((stuck, "ortho_analytic_4b"))
    extra = api.scenes("terra", max_results=3)[2]  # excluded by the scene filter
    try:
        results, failures = api.download_all(
            scenes + [extra],
            tmp_path,
            skip_error=True,
            use_threads=use_threads,
            scene_filter=lambda s: s.id != extra.id,
        )
    finally:
        servers["earthdata"].faults.clear()
        servers["planet"].never_activate.clear()
    assert len(results) == 4 and len(failures) == 2
    causes = {f.scene_id: f.error for f in failures}
    assert isinstance(causes[scenes[1].id], HttpStatusError) and causes[scenes[1].id].status == 404
    assert isinstance(causes[stuck], ActivationError) and "'activating'" in str(causes[stuck])
    assert {r.scene_id for r in results} == {s.id for s in scenes} - set(causes)
    for result in results:
        assert result.files and all(p.is_file() and p.stat().st_size > 0 for p in result.files)
    assert not (tmp_path / safe_name(extra.id)).exists()


def test_download_all_without_skip_error_raises_the_failure(api, servers, tmp_path):
    scenes, missing, _ = _six_scenes(api, servers)
    servers["earthdata"].faults[missing] = "missing"
    try:
        with pytest.raises(HttpStatusError):
            api.download_all(scenes, tmp_path, skip_error=False)
    finally:
        servers["earthdata"].faults.clear()
    assert not (tmp_path / safe_name(scenes[2].id)).exists()  # nothing after the failure started


def test_cancel_requested_stops_within_one_chunk_without_partial_final_file(api, servers, tmp_path):
    big = servers["big"]
    scene = next(s for s in api.scenes("sentinel-2") if s.id == big.granule_ur)
    other = api.scenes("planetscope", max_results=1)[0]
    name = next(iter(big.files))
    final = tmp_path / safe_name(scene.id) / name
    part = part_path(final)
    seen: dict[str, int] = {}

    def cancel_requested() -> bool:
        if "at" not in seen and part.exists() and part.stat().st_size >= CHUNK_SIZE:
            seen["at"] = part.stat().st_size
        return "at" in seen

    results, failures = api.download_all([scene, other], tmp_path, cancel_requested=cancel_requested)
    assert not results and [f.scene_id for f in failures] == [scene.id, other.id]
    assert all(isinstance(f.error, CancelledError) for f in failures)
    assert not final.exists()
    assert CHUNK_SIZE <= seen["at"] < BIG
    kept = part.stat().st_size if part.exists() else 0
    assert kept <= seen["at"] + CHUNK_SIZE  # stopped within one chunk of the request
    assert not (tmp_path / safe_name(other.id)).exists() or not any(
        (tmp_path / safe_name(other.id)).iterdir()
    )
    # The kept .part resumes: the next run completes and verifies the file.
    results, failures = api.download_all([scene], tmp_path)
    assert not failures and final.read_bytes() == big.files[name]
    assert results[0].bytes_fetched == BIG - kept


def test_download_all_activates_only_the_assets_asked_for(api, servers, tmp_path):
    planet = servers["planet"]
    scene = api.scenes("planetscope", max_results=1)[0]
    item = next(i for i in planet.items if i.id == scene.id)
    planet.calls.clear()
    results, failures = api.download_all([scene], tmp_path, assets=["ortho_visual"])
    assert not failures and [p.name for p in results[0].files] == [f"{scene.id}_ortho_visual.tif"]
    assert results[0].files[0].read_bytes() == item.assets["ortho_visual"]
    activated = {
        planet.tokens[c["path"].split("/")[4]][1] for c in planet.calls if c["path"].endswith("/activate")
    }
    assert activated == {"ortho_visual"}
