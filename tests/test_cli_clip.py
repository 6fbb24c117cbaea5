"""``scene-picker download --clip``: the AOI recorded by ``search`` in the result file (or ``--aoi``),
the summary of how each file was clipped, the time stack, idempotent re-runs, and the message when
GDAL's bindings are missing.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import time
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


def results(path: Path, base_url, days=(5, 1, 3), aoi: str | None = AOI) -> Path:
    """A result file of one scene per day; ``base_url`` is one URL for all, or one per day."""
    bases = base_url if isinstance(base_url, dict) else dict.fromkeys(days, base_url)
    scenes = [
        Scene(
            "stac",
            f"S2_202307{day:02d}",
            datetime=dt.datetime(2023, 7, day, 10, tzinfo=dt.timezone.utc),
            assets={
                "B04": Asset("B04", f"{bases[day]}clip-cli/B04_{day}.tif", "image/tiff", roles=("data",)),
                "meta": Asset("meta", f"{bases[day]}clip-cli/meta.json", "application/json", roles=("data",)),
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


def test_interrupted_clip_run_resumes_without_fetching_finished_files_again(dated, nginx, proxy, tmp_path):
    # the first date comes straight from nginx; the next ones through the proxy, which stalls them
    bases = {1: nginx.base_url + "/", 3: proxy.base_url + "/", 5: proxy.base_url + "/"}
    scenes = results(tmp_path / "scenes.geojson", bases, days=(1, 3, 5))
    out = tmp_path / "out"
    first = out / "S2_20230701" / "B04_1.clip.tif"
    proxy.configure(stall_after=0)
    process = subprocess.Popen(
        cli_command("download", str(scenes), "--clip", "-j", "1", "--out", str(out)),
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (first.is_file() and proxy.requests > 0):
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        _stdout, stderr = process.communicate(timeout=60)
    finally:
        proxy.release_stall()
    assert process.returncode == 130, stderr
    assert not list(out.rglob("*.ranges.tif")) and not list(out.rglob("*.part"))
    stamp = first.stat().st_mtime_ns
    proxy.reset()
    again = subprocess.run(
        cli_command("download", str(scenes), "--clip", "-j", "1", "--out", str(out)),
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert again.returncode == 0, again.stderr
    assert first.stat().st_mtime_ns == stamp  # recorded complete: not fetched again
    assert {r.path for r in proxy.log} == {"/clip-cli/B04_3.tif", "/clip-cli/B04_5.tif"}
    for day, source in ((3, dated[2]), (5, dated[0])):
        assert window_read(out / f"S2_202307{day:02d}" / f"B04_{day}.clip.tif") == window_read(source, WINDOW)
    assert (out / "stack" / "B04.vrt").is_file()
