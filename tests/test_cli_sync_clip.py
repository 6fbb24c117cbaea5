"""A plan's ``clip = true`` through clip-on-download (``scene-picker download --clip``): the fetch table
maps to the download's clip options (``cli/sync.py: download_args``), each date is clipped to the
search's AOI by windowed reads, the time stack covers every synced date, and a second sync reads nothing."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from osgeo import gdal
from shapely import wkt
from shapely.geometry import mapping

from scene_picker.cli.main import main

import support.cog as cog

AOI = cog.aoi_lonlat(300, 200, 600, 500)
WINDOW = (300, 200, 300, 300)
DAYS = (5, 1, 3)


@pytest.fixture(scope="module")
def dated(served_dir: Path) -> dict[int, Path]:
    folder = served_dir / "sync-clip"
    folder.mkdir(exist_ok=True)
    return {day: cog.make_cog(folder / f"B04_{day}.tif", seed=day) for day in DAYS}


def catalog(path: Path, base_url: str, days) -> Path:
    """A static STAC ItemCollection: one scene per day, footprint the AOI, a COG band B04."""
    features = [
        {
            "type": "Feature",
            "stac_version": "1.0.0",
            "id": f"S2_202307{day:02d}",
            "geometry": mapping(wkt.loads(AOI)),
            "properties": {"datetime": dt.datetime(2023, 7, day, 10).isoformat() + "Z"},
            "assets": {"B04": {"href": f"{base_url}/sync-clip/B04_{day}.tif", "roles": ["data"]}},
            "links": [],
        }
        for day in days
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def test_a_clipped_plan_syncs_each_date_once(dated, proxy, tmp_path, capsys):
    items = catalog(tmp_path / "items.json", proxy.base_url, DAYS[:2])
    plan = tmp_path / "plan.toml"
    plan.write_text(
        f'[[search]]\nprovider = "stac-static"\nurl = "{items}"\naoi = "{AOI}"\n'
        '[search.fetch]\nassets = ["B04"]\nclip = true\n'
    )
    out = tmp_path / "out"
    assert main(["sync", str(plan), "--out", str(out)]) == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    assert "2 new" in printed and printed.count("windowed") == 2
    assert proxy.bytes_sent < sum(dated[d].stat().st_size for d in DAYS[:2]) / 2

    catalog(items, proxy.base_url, DAYS)  # a new date appears in the catalog
    proxy.reset()
    assert main(["sync", str(plan), "--out", str(out)]) == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    assert "1 new, 2 already complete" in printed and "S2_20230703" in printed
    vrt = gdal.Open(str(out / "stack" / "B04.vrt"))
    assert vrt.RasterCount == 3  # every date synced so far, in time order
    assert vrt.GetRasterBand(1).ReadRaster() == cog.window_read(str(dated[1]), WINDOW)
    vrt = None

    proxy.reset()
    assert main(["sync", str(plan), "--out", str(out)]) == 0
    assert proxy.requests == 0 and "0 new, 3 already complete" in capsys.readouterr().out
