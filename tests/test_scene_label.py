"""Short scene labels (core/scene_label.py) from what real catalogs return: STAC properties, product
names, platforms; zip member labels and what a download fetches."""

from __future__ import annotations

import datetime as dt

from scene_picker.core.scene import Asset, Scene
from scene_picker.core.scene_label import (
    fetch_summary,
    member_label,
    scene_label,
    scene_size,
    scene_tile,
    short_platform,
)

WHEN = dt.datetime(2024, 6, 3, 10, 56, tzinfo=dt.timezone.utc)


def _scene(scene_id: str, platform: str | None = None, **properties) -> Scene:
    return Scene("stac", scene_id, platform=platform, datetime=WHEN, properties=properties)


def test_sentinel2_from_properties_and_from_the_product_name():
    # Earth Search (element84) items carry the MGRS parts; Planetary Computer's carry s2:mgrs_tile
    earth_search = _scene(
        "S2A_31TDJ_20240603_0_L2A",
        "sentinel-2a",
        **{"mgrs:utm_zone": 31, "mgrs:latitude_band": "T", "mgrs:grid_square": "DJ"},
    )
    assert scene_label(earth_search) == "2024-06-03 T31TDJ S2A"
    pc = _scene(
        "S2B_MSIL2A_20240603T105619_R094_T31TDJ_20240603T140000", "Sentinel-2B", **{"s2:mgrs_tile": "31TDJ"}
    )
    assert scene_label(pc) == "2024-06-03 T31TDJ S2B"
    cdse = _scene("S2A_MSIL1C_20240603T105621_N0510_R094_T31TDJ_20240603T113052.SAFE")
    assert scene_tile(cdse) == "T31TDJ" and short_platform(cdse) == "S2A"
    assert scene_label(cdse) == "2024-06-03 T31TDJ S2A"


def test_landsat_path_row_sentinel1_orbit_and_unknowns():
    landsat = _scene("LC08_L2SP_198030_20240603_20240612_02_T1", "landsat-8")
    assert scene_label(landsat) == "2024-06-03 198/030 L8"
    usgs = _scene(
        "LC09_L1TP_001002_20240603", "LANDSAT_9", **{"landsat:wrs_path": "1", "landsat:wrs_row": "2"}
    )
    assert scene_tile(usgs) == "001/002" and short_platform(usgs) == "L9"
    s1 = _scene("S1A_IW_GRDH_1SDV_20240603T054012", "sentinel-1a", **{"sat:relative_orbit": 37})
    assert scene_label(s1) == "2024-06-03 R037 S1A"
    planet = _scene("20240603_101112_42_2474", "PlanetScope")
    assert scene_label(planet) == "2024-06-03 PlanetScope"
    bare = Scene("stac", "some-item")  # nothing known: the id itself
    assert scene_label(bare) == "some-item"


def test_size_members_and_what_a_download_fetches():
    scene = _scene("x")
    scene.assets = {
        "B04": Asset("B04", "https://h/B04.tif", roles=("data",), size=1000),
        "B03": Asset("B03", "https://h/B03.tif", roles=("data",), size=24),
        "thumbnail": Asset("thumbnail", "https://h/t.png", roles=("thumbnail",)),
    }
    assert scene_size(scene) == 1024
    assert fetch_summary(scene, ["B04"], None) == ("assets", ["B04"])
    assert fetch_summary(scene, None, None) == ("assets", ["B04", "B03"])
    scene.assets["B03"] = Asset("B03", "https://h/B03.tif", roles=("data",))
    assert scene_size(scene) is None  # one size unknown: no total
    zipped = _scene("y")
    zipped.assets = {"product": Asset("product", "https://h/p.zip", roles=("data",), size=5)}
    assert fetch_summary(zipped, None, None) == ("archive", ["product"])
    assert fetch_summary(zipped, None, ["*B04.jp2", "*B03.jp2"]) == ("members", ["*B04.jp2", "*B03.jp2"])
    assert member_label("S2A.SAFE/GRANULE/L2A/IMG_DATA/R10m/T31TDJ_B04_10m.jp2") == (
        "T31TDJ_B04_10m.jp2 — S2A.SAFE/GRANULE/L2A/IMG_DATA/R10m"
    )
    assert member_label("manifest.safe") == "manifest.safe"
