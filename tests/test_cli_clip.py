"""``scene-picker download --clip``: the AOI recorded by ``search`` in the result file (or ``--aoi``),
the summary of how each file was clipped, the time stack, idempotent re-runs, and the message when
GDAL's bindings are missing.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from pathlib import Path

import pytest
from osgeo import gdal
from shapely import wkt

from scene_picker.cli.main import main
from scene_picker.core.export import AOI_MEMBER, write_geojson
from scene_picker.core.scene import Asset, Scene

from support.cog import aoi_lonlat, make_cog, window_read
from support.fixtures_engine import cli_command, cli_env

AOI = aoi_lonlat(300, 200, 600, 500)
WINDOW = (300, 200, 300, 300)


@pytest.fixture(scope="module")
def dated(served_dir: Path) -> list[Path]:
    folder = served_dir / "clip-cli"
    folder.mkdir(exist_ok=True)
    return [make_cog(folder / f"B04_{day}.tif", seed=day) for day in (5, 1, 3)]


def results(path: Path, base_url: str, days=(5, 1, 3), aoi: str | None = AOI) -> Path:
    scenes = [
        Scene(
            "stac",
            f"S2_202307{day:02d}",
            datetime=dt.datetime(2023, 7, day, 10, tzinfo=dt.timezone.utc),
            assets={
                "B04": Asset("B04", f"{base_url}clip-cli/B04_{day}.tif", "image/tiff", roles=("data",)),
                "meta": Asset("meta", f"{base_url}clip-cli/meta.json", "application/json", roles=("data",)),
            },
        )
        for day in days
    ]
    write_geojson(scenes, path, aoi=wkt.loads(aoi) if aoi else None)
    return path


def test_clip_uses_the_recorded_aoi_builds_a_stack_and_skips_on_rerun(dated, proxy, tmp_path, capsys):
    scenes = results(tmp_path / "scenes.geojson", proxy.base_url + "/")
    assert AOI_MEMBER in json.loads(scenes.read_text())
    out = tmp_path / "out"
    assert main(["download", str(scenes), "--clip", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.count("windowed (only the AOI's tiles/strips fetched)") == 3
    first_bytes = proxy.bytes_sent
    assert 0 < first_bytes < sum(p.stat().st_size for p in dated) / 2
    stack = out / "stack" / "B04.vrt"
    assert f"Time stack: {stack}" in printed
    vrt = gdal.Open(str(stack))
    assert [vrt.GetRasterBand(i).GetDescription()[:10] for i in (1, 2, 3)] == [
        "2023-07-01",
        "2023-07-03",
        "2023-07-05",
    ]
    assert vrt.GetRasterBand(1).ReadRaster() == window_read(dated[1], WINDOW)
    vrt = None
    # again: every clipped output is recorded complete, nothing is fetched
    proxy.reset()
    assert main(["download", str(scenes), "--clip", "--out", str(out)]) == 0
    assert proxy.requests == 0
    assert (out / "S2_20230701" / "B04_1.clip.tif").is_file()
    assert not (out / "S2_20230701" / "meta.json").exists()  # not a raster: not clipped


def test_aoi_option_overrides_and_missing_aoi_is_a_usage_error(dated, proxy, tmp_path, capsys):
    scenes = results(tmp_path / "scenes.geojson", proxy.base_url + "/", days=(1,), aoi=None)
    assert main(["download", str(scenes), "--clip", "--out", str(tmp_path / "o")]) == 2
    assert "--clip needs an area of interest" in capsys.readouterr().err
    small = aoi_lonlat(0, 0, 100, 50)
    code = main(
        ["download", str(scenes), "--clip", "--aoi", small, "--clip-buffer", "0", "--out", str(tmp_path)]
    )
    assert code == 0
    clipped = gdal.Open(str(tmp_path / "S2_20230701" / "B04_1.clip.tif"))
    assert (clipped.RasterXSize, clipped.RasterYSize) == (100, 50)
    assert main(["download", str(scenes), "--clip-mask", "--out", str(tmp_path)]) == 2


def test_without_gdal_bindings_the_cli_says_how_to_install_them(tmp_path, proxy):
    blocker = tmp_path / "no_gdal" / "osgeo"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('osgeo hidden for this test')\n")
    scenes = results(tmp_path / "scenes.geojson", proxy.base_url + "/", days=(1,))
    env = cli_env()
    env["PYTHONPATH"] = os.pathsep.join([str(blocker.parent), env["PYTHONPATH"]])
    done = subprocess.run(
        cli_command("download", str(scenes), "--clip", "--out", str(tmp_path / "o")),
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2
    assert "apt install python3-gdal" in done.stderr
    assert proxy.requests == 0


def test_dry_run_with_clip_says_what_will_be_fetched(dated, proxy, tmp_path, capsys):
    scenes = results(tmp_path / "scenes.geojson", proxy.base_url + "/", days=(1,))
    assert main(["download", str(scenes), "--clip", "--dry-run", "--out", str(tmp_path / "o")]) == 0
    printed = capsys.readouterr().out
    assert "--clip: only the AOI's tiles/strips" in printed and "Nothing downloaded" in printed
    assert not (tmp_path / "o").exists()
