"""Clip on download: bytes and time of Scene Picker's windowed read vs GDAL's own ``/vsicurl/`` read,
and a 50-date x 3-band time series clipped vs downloaded whole.

Run by hand (not in CI), from the repository root::

    .venv/bin/python bench/bench_clip.py [--repeat 5] [--dates 50]

1. One 4096 x 4096 UInt16 COG (512 x 512 DEFLATE tiles, with overviews) served by Debian's nginx on
   loopback behind the fault proxy, which counts body bytes. An AOI of 600 x 600 pixels (not aligned
   on tiles) is read into memory by Scene Picker (:func:`scene_picker.core.clip_remote.remote_window`:
   header + structure, then the intersecting tiles, decoded by GDAL) and by GDAL alone
   (``gdal.Open('/vsicurl/…').ReadRaster(window)``, its cache cleared before each run); then written as
   a COG file by each (:func:`~scene_picker.core.clip_remote.clip_remote_tiff`, fsynced, vs
   ``gdal.Translate`` with the same creation options, not fsynced). Printed: bytes sent by the server,
   their ratio to the budget (the intersecting tiles' bytes + a 16 KiB header), requests, median wall
   time (after one uncounted warm-up each), and whether the pixels are identical.
2. 50 dates x 3 bands of such COGs (three generated files behind 150 URLs) as a search result file:
   ``scene-picker download --clip -j 4`` vs ``scene-picker download -j 4`` (whole files), straight
   from nginx. Printed: bytes fetched (the engine's own count) and wall time of each.

Times on a shared machine are noisy: compare them side by side within one run only.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG_PARENT = ROOT / "build" / "pkgroot"
if not (PKG_PARENT / "scene_picker").is_symlink():
    PKG_PARENT.mkdir(parents=True, exist_ok=True)
    (PKG_PARENT / "scene_picker").symlink_to(ROOT, target_is_directory=True)
sys.path[:0] = [str(PKG_PARENT), str(ROOT / "tests")]

from osgeo import gdal  # noqa: E402
from shapely import wkt  # noqa: E402

from scene_picker.cli.main import main as cli  # noqa: E402
from scene_picker.core.clip import read_record  # noqa: E402
from scene_picker.core.clip_raster import COG_OPTIONS, ClipRequest  # noqa: E402
from scene_picker.core.clip_remote import RemoteTiff, clip_remote_tiff, remote_window  # noqa: E402
from scene_picker.core.clip_tiff import HEADER_BYTES  # noqa: E402
from scene_picker.core.export import write_geojson  # noqa: E402
from scene_picker.core.http import HttpClient  # noqa: E402
from scene_picker.core.scene import Asset, Scene  # noqa: E402

from support.cog import aoi_lonlat, make_cog, window_read  # noqa: E402
from support.fault_proxy import FaultProxy  # noqa: E402
from support.nginx import NginxServer  # noqa: E402

SIZE, BLOCK = 4096, 512
OURS_READ, GDAL_READ = "scene-picker read", "GDAL /vsicurl/ read"
OURS, GDAL_WRITE = "scene-picker clip -> COG", "GDAL Translate -> COG"
PIXELS = (1000, 1300, 1600, 1900)  # x0, y0, x1, y1: 600 x 600 pixels across 3 x 2 tiles
WINDOW = (PIXELS[0], PIXELS[1], PIXELS[2] - PIXELS[0], PIXELS[3] - PIXELS[1])
BANDS = ("B02", "B03", "B04")
NOISE = 48  # the random part of each pixel: 33.5 MB per 4096 x 4096 band once compressed


def tile_bytes(path: Path) -> tuple[int, int]:
    """(tiles the window touches, their bytes), from GDAL's own block offsets of the local file."""
    dataset = gdal.Open(str(path))
    band = dataset.GetRasterBand(1)
    count = total = 0
    for row in range(WINDOW[1] // BLOCK, (WINDOW[1] + WINDOW[3] - 1) // BLOCK + 1):
        for col in range(WINDOW[0] // BLOCK, (WINDOW[0] + WINDOW[2] - 1) // BLOCK + 1):
            count += 1
            total += int(band.GetMetadataItem(f"BLOCK_SIZE_{col}_{row}", "TIFF"))
    return count, total


def ours(url: str, out: Path) -> bytes:
    request = ClipRequest(wkt.loads(aoi_lonlat(*PIXELS)))
    dest = out / "ours.clip.tif"
    dest.unlink(missing_ok=True)
    clip_remote_tiff(RemoteTiff(url, HttpClient()), request, dest, {})
    return window_read(dest)


def ours_read(url: str, _out: Path) -> bytes:
    request = ClipRequest(wkt.loads(aoi_lonlat(*PIXELS)))
    with remote_window(RemoteTiff(url, HttpClient()), request) as (dataset, window, _aoi):
        band = dataset.GetRasterBand(1)
        data = bytes(band.ReadRaster(*window))
        band = dataset = None
    return data


def gdal_vsicurl(url: str, _out: Path) -> bytes:
    gdal.VSICurlClearCache()
    return window_read(f"/vsicurl/{url}", WINDOW)


def gdal_translate(url: str, out: Path) -> bytes:
    gdal.VSICurlClearCache()
    dest = out / "gdal.clip.tif"
    options = gdal.TranslateOptions(format="COG", srcWin=list(WINDOW), creationOptions=COG_OPTIONS)
    gdal.Translate(str(dest), f"/vsicurl/{url}", options=options)
    return window_read(dest)


def part_one(proxy: FaultProxy, cog: Path, repeat: int, out: Path) -> None:
    expected = window_read(cog, WINDOW)
    tiles, tile_total = tile_bytes(cog)
    budget = tile_total + HEADER_BYTES
    print(f"COG {SIZE}x{SIZE} UInt16, {BLOCK}x{BLOCK} DEFLATE tiles, {cog.stat().st_size:,} bytes")
    where = f"{WINDOW[2]}x{WINDOW[3]} px at ({WINDOW[0]}, {WINDOW[1]})"
    print(f"AOI window {where}: {tiles} tiles, {tile_total:,} bytes")
    print(f"budget = tiles + 16 KiB header = {budget:,} bytes")
    print(f"{'client':<26}{'bytes':>12}{'x budget':>10}{'requests':>10}{'median s':>10}  pixels")
    url = proxy.url(cog.name)
    rows = {}
    clients = (
        (OURS_READ, ours_read),
        (GDAL_READ, gdal_vsicurl),
        (OURS, ours),
        (GDAL_WRITE, gdal_translate),
    )
    for _name, client in clients:  # one uncounted warm-up each (imports, PROJ, connections)
        client(url, out)
    for _ in range(repeat):
        for name, client in clients:
            proxy.configure()
            start = time.perf_counter()
            pixels = client(url, out)
            elapsed = time.perf_counter() - start
            entry = rows.setdefault(name, {"times": [], "ok": True})
            entry["times"].append(elapsed)
            entry["bytes"], entry["requests"] = proxy.bytes_sent, proxy.requests
            entry["ok"] &= pixels == expected
    for name, entry in rows.items():
        median = statistics.median(entry["times"])
        print(
            f"{name:<26}{entry['bytes']:>12,}{entry['bytes'] / budget:>10.3f}{entry['requests']:>10}"
            f"{median:>10.3f}  {'identical' if entry['ok'] else 'DIFFERENT'}"
        )
    for mine, theirs in ((OURS_READ, GDAL_READ), (OURS, GDAL_WRITE)):
        ratio = statistics.median(rows[mine]["times"]) / statistics.median(rows[theirs]["times"])
        bytes_ratio = rows[mine]["bytes"] / rows[theirs]["bytes"]
        print(f"{mine} / {theirs}: time x{ratio:.2f}, bytes x{bytes_ratio:.3f}")


def part_two(nginx: NginxServer, served: Path, cogs: dict[str, Path], dates: int, work: Path) -> None:
    scenes = []
    for day in range(dates):
        when = dt.datetime(2023, 1, 1, 10, tzinfo=dt.timezone.utc) + dt.timedelta(days=5 * day)
        folder = served / f"d{day:03d}"
        folder.mkdir(exist_ok=True)
        assets = {}
        for band, source in cogs.items():
            link = folder / f"{band}.tif"
            if not link.exists():
                link.symlink_to(source)
            assets[band] = Asset(band, nginx.url(f"d{day:03d}/{band}.tif"), "image/tiff", roles=("data",))
        scenes.append(Scene("stac", f"T31_{when:%Y%m%d}", datetime=when, assets=assets))
    results = work / "scenes.geojson"
    write_geojson(scenes, results, aoi=wkt.loads(aoi_lonlat(*PIXELS)))
    whole_size = sum(p.stat().st_size for p in cogs.values()) * dates
    count = dates * len(cogs)
    print(
        f"\n{dates} dates x {len(cogs)} bands ({count} assets, {whole_size:,} bytes in all), -j 4, loopback:"
    )
    print(f"{'run':<34}{'bytes fetched':>16}{'seconds':>10}")
    for label, extra in (("download --clip (AOI only)", ["--clip"]), ("download (whole assets)", [])):
        out = work / ("clipped" if extra else "whole")
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            code = cli(["download", str(results), "--out", str(out), "-j", "4", *extra])
        elapsed = time.perf_counter() - start
        files = [p for p in out.rglob("*.tif") if "stack" not in p.parts]
        if extra:
            fetched = sum(read_record(p)["bytes_read"] for p in files)
            stack = out / "stack" / "B04.vrt"
            bands = gdal.Open(str(stack)).RasterCount if stack.exists() else 0
            note = f"  ({len(files)} clipped files, stack B04.vrt with {bands} dates)"
        else:
            fetched = sum(p.stat().st_size for p in files)
            note = f"  ({len(files)} files)"
        print(f"{label:<34}{fetched:>16,}{elapsed:>10.2f}{note}  exit {code}")
        print(f"{'':<34}(at 100 Mbit/s these bytes alone would take {fetched * 8 / 100e6:.1f} s)")
        shutil.rmtree(out, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--dates", type=int, default=50)
    args = parser.parse_args()
    gdal.SetConfigOption("GDAL_DISABLE_READDIR_ON_OPEN", "EMPTY_DIR")
    with tempfile.TemporaryDirectory(prefix="bench-clip-") as tmp:
        base = Path(tmp)
        served, work = base / "served", base / "work"
        served.mkdir()
        work.mkdir()
        cogs = {
            band: make_cog(served / f"{band}.tif", SIZE, BLOCK, seed=i + 1, noise=NOISE)
            for i, band in enumerate(BANDS)
        }
        with NginxServer(served) as nginx, FaultProxy(nginx.base_url) as proxy:
            part_one(proxy, cogs["B04"], args.repeat, work)
            part_two(nginx, served, cogs, args.dates, work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
