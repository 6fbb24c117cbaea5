"""Clipping a scene of a provider with a download of its own (Planet: activation, signed links) against
the Planet Data API emulator: the provider downloads as usual, the raster is clipped locally and the
summary says so; a re-run skips the scene without activating or downloading again.
"""

from __future__ import annotations

import pytest
from osgeo import gdal
from shapely.geometry import box

from scene_picker.catalogs.download import download_scene
from scene_picker.core.clip import DOWNLOADED, clip_scene, read_record
from scene_picker.core.clip_raster import ClipRequest
from scene_picker.core.clip_stack import clip_summary
from scene_picker.core.credentials import delete_credentials, store_credentials
from scene_picker.core.errors import UsageError
from scene_picker.providers.planet import PlanetProvider
from scene_picker.providers.polling import PollPolicy

from support.cog import window_read
from support.geotiff import tiny_geotiff
from support.planet_emulator import PlanetEmulator

KEY = "PLAK0123456789abcdef"
FAST = PollPolicy(interval=0.01, factor=2.0, max_interval=0.05, timeout=1.0)
SIDE = 64


@pytest.fixture
def planet():
    emu = PlanetEmulator(api_keys={KEY}, polls_needed=2).start()
    store_credentials("planet", "", KEY)
    yield emu
    delete_credentials("planet")
    emu.close()


def test_planet_scene_is_downloaded_by_the_provider_then_clipped(planet, tmp_path):
    item = planet.items[0]
    west, south, east, north = item.polygon.bounds
    pixels = bytes((x * 3 + y * 5) % 251 for y in range(SIDE) for x in range(SIDE))
    item.assets["ortho_analytic_4b"] = tiny_geotiff(pixels, SIDE, SIDE, (west, south, east, north))
    step_x, step_y = (east - west) / SIDE, (north - south) / SIDE
    # pixels 10..30 across, 20..40 down (a quarter pixel inside, so the bounds stay in those pixels)
    aoi = box(west + 10.25 * step_x, north - 39.75 * step_y, west + 29.75 * step_x, north - 20.25 * step_y)
    provider = PlanetProvider(url=planet.api_url, poll=FAST)
    scene = provider.get(item.id)
    request = ClipRequest(aoi)
    outcome = clip_scene(provider.downloader(scene), tmp_path, request, assets=["ortho_analytic_4b"])
    (clipped,) = outcome.clipped
    assert clipped.method == DOWNLOADED and clipped.path.name == f"{item.id}_ortho_analytic_4b.clip.tif"
    record = read_record(clipped.path)
    assert record["window"] == [10, 20, 20, 20] and record["source"] == provider.downloader(scene).provider
    source = tmp_path / "source.tif"
    source.write_bytes(item.assets["ortho_analytic_4b"])
    assert window_read(clipped.path) == window_read(source, (10, 20, 20, 20))
    assert gdal.Open(str(clipped.path)).GetMetadataItem("SCENE_PICKER_SCENE") == item.id
    assert "downloaded whole, then clipped" in clip_summary([clipped.path])[0]
    assert not (tmp_path / item.id / ".clip-full").exists()
    # again: recorded complete, nothing activated or downloaded
    planet.calls.clear()
    again = clip_scene(provider.downloader(scene), tmp_path, request, assets=["ortho_analytic_4b"])
    assert again.result.skipped == 1 and again.clipped[0].path == clipped.path
    assert not [c for c in planet.calls if c["path"].endswith(("/activate", "/download"))]
    # through the service layer (the job every face runs) too: not even the asset listing of activation
    planet.calls.clear()
    payload = request.to_payload()
    result = download_scene(provider.downloader(scene), tmp_path, assets=["ortho_analytic_4b"], clip=payload)
    assert result.skipped == 1 and result.files == [clipped.path]
    assert not [c for c in planet.calls if c["path"].endswith(("/assets", "/activate", "/download"))]


def test_planet_scene_without_a_raster_to_clip_is_an_error(planet, tmp_path):
    item = planet.items[0]
    item.assets["ortho_analytic_4b_xml"] = b"<metadata/>"
    provider = PlanetProvider(url=planet.api_url, poll=FAST)
    scene = provider.get(item.id)
    request = ClipRequest(box(*item.polygon.bounds))
    with pytest.raises(UsageError, match=f"Scene {item.id} has no raster asset to clip"):
        clip_scene(provider.downloader(scene), tmp_path, request, assets=["ortho_analytic_4b_xml"])
    assert [c for c in planet.calls if c["path"].endswith("/download")]  # downloaded, then found no raster
    assert not (tmp_path / item.id / ".clip-full").exists()
    assert not list((tmp_path / item.id).glob("*.clip.tif"))
