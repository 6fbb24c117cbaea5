"""Clip on download against loopback nginx (and the fault proxy): pixels equal GDAL's own windowed read
of the source, bytes bounded by the intersecting tiles + header, zip members stored (windowed) or
deflated (extracted then clipped), a bearer-token asset whose token never reaches GDAL's configuration,
cancellation then resume, masking, and the time stack.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from osgeo import gdal
from shapely import wkt

from scene_picker.core.auth import BearerAuth, OidcTokenProvider
from scene_picker.core.cancel import CancelToken
from scene_picker.core.clip import DOWNLOADED, EXTRACTED, WINDOWED, clip_scene, read_record
from scene_picker.core.clip_raster import ClipRequest
from scene_picker.core.clip_stack import build_stacks, clip_summary
from scene_picker.core.clip_tiff import HEADER_BYTES
from scene_picker.core.errors import CancelledError
from scene_picker.core.http import HttpClient
from scene_picker.core.scene import Asset, Scene
from scene_picker.providers.downloader import Downloader

from support.cog import aoi_lonlat, make_cog, window_read, zip_with
from support.fixtures_engine import cli_env

WINDOW = (300, 200, 300, 300)  # xoff, yoff, xsize, ysize of the AOI on the 1024 x 1024 grid
AOI = aoi_lonlat(300, 200, 600, 500)


@pytest.fixture(scope="module")
def rasters(served_dir: Path) -> dict[str, Path]:
    folder = served_dir / "clip"
    folder.mkdir(exist_ok=True)
    cogs = {f"d{i}": make_cog(folder / f"B04_d{i}.tif", seed=i) for i in range(3)}
    cogs["no_nodata"] = make_cog(folder / "B04_no_nodata.tif", seed=7, nodata=False)
    byte = {"outputType": gdal.GDT_Byte, "scaleParams": [[0, 4400, 0, 255]]}
    three = gdal.Translate("", str(cogs["d0"]), format="MEM", bandList=[1, 1, 1], **byte)
    rgb, planes = folder / "rgb_jpeg.tif", folder / "planes_bigtiff.tif"
    gdal.GetDriverByName("COG").CreateCopy(
        str(rgb), three, 0, ["COMPRESS=JPEG", "BLOCKSIZE=256"]
    ).FlushCache()
    options = ["TILED=YES", "INTERLEAVE=BAND", "COMPRESS=ZSTD", "BIGTIFF=YES"]
    gdal.GetDriverByName("GTiff").CreateCopy(str(planes), three, 0, options).FlushCache()
    three = None
    striped = folder / "striped.tif"
    gdal.Translate(str(striped), str(cogs["d0"]), creationOptions=["COMPRESS=LZW"])
    members = {"PRODUCT/IMG/T31_B04.tif": cogs["d1"], "PRODUCT/IMG/T31_B08.tif": cogs["d2"]}
    return {
        **cogs,
        "striped": striped,
        "rgb_jpeg": rgb,
        "planes_bigtiff": planes,
        "stored": zip_with(folder / "stored.zip", members, stored=True),
        "deflated": zip_with(folder / "deflated.zip", members, stored=False),
    }


def scene_of(url: str, day: int = 1, key: str = "B04") -> Scene:
    when = dt.datetime(2023, 6, day, 10, 30, tzinfo=dt.timezone.utc)
    media = "application/zip" if url.endswith(".zip") else "image/tiff; application=geotiff"
    return Scene(
        "stac",
        f"S2_2023060{day}",
        datetime=when,
        assets={key: Asset(key, url, media_type=media, roles=("data",))},
    )


def tile_bytes(path: Path, window: tuple) -> int:
    """The bytes of the tiles of ``path`` that ``window`` touches (GDAL's own block offsets)."""
    dataset = gdal.Open(str(path))
    band = dataset.GetRasterBand(1)
    block_x, block_y = band.GetBlockSize()
    xoff, yoff, xsize, ysize = window
    total = 0
    for row in range(yoff // block_y, (yoff + ysize - 1) // block_y + 1):
        for col in range(xoff // block_x, (xoff + xsize - 1) // block_x + 1):
            total += int(band.GetMetadataItem(f"BLOCK_SIZE_{col}_{row}", "TIFF") or 0)
    return total


def clip(url: str, out: Path, http=None, request=None, **kwargs):
    downloader = Downloader(scene_of(url, **kwargs.pop("scene", {})), http or HttpClient())
    return clip_scene(downloader, out, request or ClipRequest(wkt.loads(AOI)), **kwargs)


def test_cog_asset_pixels_equal_gdal_window_and_bytes_are_bounded(rasters, nginx, proxy, tmp_path):
    outcome = clip(proxy.url("clip/B04_d0.tif"), tmp_path)
    (clipped,) = outcome.clipped
    assert clipped.method == WINDOWED and clipped.path.name == "B04_d0.clip.tif"
    record = read_record(clipped.path)
    assert record["window"] == list(WINDOW)
    out = gdal.Open(str(clipped.path))
    src = gdal.Open(str(rasters["d0"]))
    gdal_own = window_read(f"/vsicurl/{nginx.url('clip/B04_d0.tif')}", WINDOW)
    assert window_read(clipped.path) == gdal_own
    # same grid, nodata, scale/offset, band metadata
    x0, dx, _, y0, _, dy = src.GetGeoTransform()
    assert out.GetGeoTransform() == (x0 + WINDOW[0] * dx, dx, 0.0, y0 + WINDOW[1] * dy, 0.0, dy)
    assert out.GetSpatialRef().IsSame(src.GetSpatialRef())
    band, source_band = out.GetRasterBand(1), src.GetRasterBand(1)
    assert band.GetNoDataValue() == source_band.GetNoDataValue() == 0
    assert (band.GetScale(), band.GetOffset()) == (source_band.GetScale(), source_band.GetOffset())
    assert band.GetDescription() == "B04" and band.GetMetadata() == source_band.GetMetadata()
    assert out.GetMetadataItem("SCENE_PICKER_DATETIME") == "2023-06-01T10:30:00+00:00"
    assert out.GetMetadata("IMAGE_STRUCTURE")["LAYOUT"] == "COG"
    # bytes: what crossed the wire is bounded by the intersecting tiles + the header
    budget = tile_bytes(rasters["d0"], WINDOW) + HEADER_BYTES
    assert proxy.bytes_sent == record["bytes_read"]
    assert proxy.bytes_sent <= 1.5 * budget
    assert proxy.bytes_sent < rasters["d0"].stat().st_size / 2
    assert record["source"] == proxy.url("clip/B04_d0.tif") and record["requests"] == len(proxy.log)


def test_striped_tiff_is_read_by_strips(rasters, proxy, tmp_path):
    (clipped,) = clip(proxy.url("clip/striped.tif"), tmp_path).clipped
    assert clipped.method == WINDOWED
    assert window_read(clipped.path) == window_read(rasters["striped"], WINDOW)
    assert proxy.bytes_sent < rasters["striped"].stat().st_size / 2


def test_stored_zip_member_is_read_by_window(rasters, proxy, tmp_path):
    outcome = clip(proxy.url("clip/stored.zip"), tmp_path, members=["*_B04.tif"])
    (clipped,) = outcome.clipped
    assert clipped.method == WINDOWED and clipped.band == "B04"
    record = read_record(clipped.path)
    assert record["member"] == "PRODUCT/IMG/T31_B04.tif"
    inner = f"/vsizip/{rasters['stored']}/PRODUCT/IMG/T31_B04.tif"
    assert window_read(clipped.path) == window_read(inner, WINDOW)
    budget = tile_bytes(rasters["d1"], WINDOW) + HEADER_BYTES + 64 * 1024  # + the zip's directory
    assert proxy.bytes_sent <= 1.5 * budget
    assert proxy.bytes_sent < rasters["stored"].stat().st_size / 4


def test_deflated_member_falls_back_to_extraction_and_says_so(rasters, proxy, tmp_path):
    outcome = clip(proxy.url("clip/deflated.zip"), tmp_path, members=["*_B08.tif"])
    (clipped,) = outcome.clipped
    assert clipped.method == EXTRACTED
    inner = f"/vsizip/{rasters['deflated']}/PRODUCT/IMG/T31_B08.tif"
    assert window_read(clipped.path) == window_read(inner, WINDOW)
    (line,) = clip_summary([clipped.path])
    assert "extracted whole, then clipped" in line and "T31_B08.tif" in line
    assert not (tmp_path / "S2_20230601" / ".clip-full").exists()  # the full copy is gone


def _config_values() -> list[str]:
    keys = ("GDAL_HTTP_HEADERS", "GDAL_HTTP_AUTH", "GDAL_HTTP_USERPWD", "GDAL_HTTP_BEARER")
    values = [gdal.GetConfigOption(k) or "" for k in keys]
    values += [gdal.GetThreadLocalConfigOption(k, "") or "" for k in keys]
    return values


def test_bearer_token_asset_renews_token_and_never_reaches_gdal_config(rasters, nginx, proxy, tmp_path):
    # Each token works for two requests: the windowed read outlives its token and must renew it.
    proxy.configure(require_bearer=True, token_life_requests=2)
    tokens = OidcTokenProvider(proxy.token_url, "client", "alice", "wonderland", http=HttpClient())
    http = HttpClient(auth=BearerAuth(tokens, hosts=["127.0.0.1"]))
    (clipped,) = clip(proxy.url("clip/B04_d2.tif"), tmp_path, http=http).clipped
    assert clipped.method == WINDOWED
    assert window_read(clipped.path) == window_read(str(rasters["d2"]), WINDOW)
    assert "refresh_token" in proxy.token_grants
    token = tokens.current_token
    assert token and all(token not in value for value in _config_values())
    assert token not in clipped.path.with_name(f".{clipped.path.name}.scene-picker.json").read_text()


def test_cancelled_clip_resumes_and_finished_outputs_are_skipped(rasters, proxy, tmp_path):
    first = clip(proxy.url("clip/B04_d0.tif"), tmp_path, scene={"day": 1})
    cancel = CancelToken()
    stop = threading.Event()

    def progress(event) -> None:  # cancel once the tile ranges started arriving
        if event.done > 0 and not stop.is_set():
            stop.set()
            cancel.cancel()

    with pytest.raises(CancelledError):
        clip(proxy.url("clip/B04_d1.tif"), tmp_path, scene={"day": 2}, cancel=cancel, progress=progress)
    second_dir = tmp_path / "S2_20230602"
    assert not (second_dir / "B04_d1.clip.tif").exists()
    assert not [p for p in second_dir.iterdir() if p.name.endswith(".part")]
    proxy.reset()
    again_first = clip(proxy.url("clip/B04_d0.tif"), tmp_path, scene={"day": 1})
    assert again_first.result.skipped == 1 and proxy.requests == 0
    again = clip(proxy.url("clip/B04_d1.tif"), tmp_path, scene={"day": 2})
    (done,) = again.clipped
    assert not done.skipped and done.path.is_file()
    assert first.clipped[0].path.stat().st_mtime_ns == again_first.clipped[0].path.stat().st_mtime_ns
    # another AOI is another output: not skipped
    other = ClipRequest(wkt.loads(aoi_lonlat(0, 0, 100, 100)))
    redo = clip(proxy.url("clip/B04_d0.tif"), tmp_path, scene={"day": 1}, request=other)
    assert redo.result.skipped == 0 and read_record(redo.clipped[0].path)["window"] == [0, 0, 100, 100]


def test_mask_sets_pixels_outside_the_polygon_to_nodata(rasters, proxy, tmp_path):
    triangle = wkt.loads(AOI)
    coords = list(triangle.exterior.coords)
    request = ClipRequest(type(triangle)([coords[0], coords[1], coords[2], coords[0]]), mask=True)
    (clipped,) = clip(proxy.url("clip/B04_d0.tif"), tmp_path, request=request).clipped
    out_ds, src_ds = gdal.Open(str(clipped.path)), gdal.Open(str(rasters["d0"]))
    out, src = out_ds.GetRasterBand(1), src_ds.GetRasterBand(1)
    x, y = WINDOW[0], WINDOW[1]
    assert out.ReadRaster(0, 299, 1, 1) == b"\0\0"  # a corner outside the triangle: nodata
    inside = out.ReadRaster(299, 0, 1, 1)
    assert inside == src.ReadRaster(x + 299, y, 1, 1) and inside != b"\0\0"


def test_time_stack_orders_dates(rasters, proxy, tmp_path):
    files = []
    for day, name in ((3, "B04_d2"), (1, "B04_d0"), (2, "B04_d1")):
        files += clip(proxy.url(f"clip/{name}.tif"), tmp_path, scene={"day": day}).result.files
    (stack,) = build_stacks(files, tmp_path)
    assert stack == tmp_path / "stack" / "B04.vrt"
    vrt = gdal.Open(str(stack))
    assert vrt.RasterCount == 3
    days = [vrt.GetRasterBand(i).GetDescription()[:10] for i in (1, 2, 3)]
    assert days == ["2023-06-01", "2023-06-02", "2023-06-03"]
    for index, name in enumerate(("d0", "d1", "d2"), start=1):
        assert vrt.GetRasterBand(index).ReadRaster() == window_read(str(rasters[name]), WINDOW)


def test_buffer_grows_the_window_by_metres(rasters, proxy, tmp_path):
    request = ClipRequest(wkt.loads(AOI), buffer=100.0)  # 10 pixels of 10 m on each side
    (clipped,) = clip(proxy.url("clip/B04_d0.tif"), tmp_path, request=request).clipped
    window = read_record(clipped.path)["window"]
    assert window == [WINDOW[0] - 10, WINDOW[1] - 10, WINDOW[2] + 20, WINDOW[3] + 20]
    assert window_read(clipped.path) == window_read(rasters["d0"], tuple(window))


def test_records_of_several_members_add_up_to_the_bytes_sent(rasters, proxy, tmp_path):
    outcome = clip(proxy.url("clip/stored.zip"), tmp_path, members=["*_B04.tif", "*_B08.tif"])
    assert [c.band for c in outcome.clipped] == ["B04", "B08"]
    records = [read_record(c.path) for c in outcome.clipped]
    assert sum(r["bytes_read"] for r in records) == proxy.bytes_sent == outcome.result.bytes_fetched
    assert all(r["method"] == WINDOWED for r in records)


def test_mask_without_nodata_writes_an_internal_mask_band(rasters, proxy, tmp_path):
    polygon = wkt.loads(AOI)
    corners = list(polygon.exterior.coords)
    triangle = type(polygon)([corners[0], corners[1], corners[2], corners[0]])
    request = ClipRequest(triangle, mask=True)
    (clipped,) = clip(proxy.url("clip/B04_no_nodata.tif"), tmp_path, request=request).clipped
    assert window_read(clipped.path) == window_read(rasters["no_nodata"], WINDOW)  # values untouched
    dataset = gdal.Open(str(clipped.path))
    band = dataset.GetRasterBand(1)
    assert band.GetNoDataValue() is None
    assert band.GetMaskFlags() == gdal.GMF_PER_DATASET
    mask = band.GetMaskBand()
    assert mask.ReadRaster(0, 299, 1, 1) == b"\0" and mask.ReadRaster(299, 0, 1, 1) == b"\xff"


def test_windowed_read_retries_busy_answers_and_survives_cut_ranges(rasters, proxy, tmp_path):
    from scene_picker.core.http import RetryPolicy

    http = HttpClient(retry=RetryPolicy(backoff_base=0.01, sleep=lambda _s: None))
    proxy.configure(status_503=2, retry_after=None, short_ranges=100_000)  # busy, then cut every range
    (clipped,) = clip(proxy.url("clip/B04_d1.tif"), tmp_path, http=http).clipped
    assert clipped.method == WINDOWED
    assert window_read(clipped.path) == window_read(rasters["d1"], WINDOW)
    statuses = [r.status for r in proxy.log]
    assert statuses[:2] == [503, 503] and statuses.count(206) > 3  # cut answers asked again


@pytest.mark.parametrize("name", ["rgb_jpeg", "planes_bigtiff"])
def test_three_band_tiffs_jpeg_tables_bigtiff_and_band_planes(name, rasters, proxy, tmp_path):
    (clipped,) = clip(proxy.url(f"clip/{name}.tif"), tmp_path).clipped
    assert clipped.method == WINDOWED
    out, src = gdal.Open(str(clipped.path)), gdal.Open(str(rasters[name]))
    assert out.RasterCount == 3
    for index in (1, 2, 3):
        assert out.GetRasterBand(index).ReadRaster() == src.GetRasterBand(index).ReadRaster(*WINDOW)
    assert proxy.bytes_sent < rasters[name].stat().st_size / 2


def test_server_without_ranges_falls_back_to_a_whole_download(rasters, proxy, tmp_path):
    proxy.configure(ignore_range=True)
    (clipped,) = clip(proxy.url("clip/B04_d2.tif"), tmp_path).clipped
    assert clipped.method == DOWNLOADED
    assert window_read(clipped.path) == window_read(rasters["d2"], WINDOW)
    assert "downloaded whole, then clipped" in clip_summary([clipped.path])[0]
    assert not (tmp_path / "S2_20230601" / ".clip-full").exists()


def test_sparse_copy_reads_like_the_file_and_frees_its_buffers(rasters):
    from scene_picker.core.clip_remote import SparseCopy

    data = rasters["d0"].read_bytes()
    copy = SparseCopy(len(data))
    copy.add(0, data[:1000])
    copy.add(5000, data[5000:9000])
    handle = gdal.VSIFOpenL(copy.path, "rb")

    def read(offset: int, count: int) -> bytes:
        gdal.VSIFSeekL(handle, offset, 0)
        return bytes(gdal.VSIFReadL(1, count, handle))

    assert read(0, 1000) == data[:1000] and read(5000, 4000) == data[5000:9000]
    assert read(1000, 4000) == bytes(4000)  # not fetched: zeros
    assert read(8000, 2000) == data[8000:9000] + bytes(1000)
    gdal.VSIFCloseL(handle)
    assert gdal.ReadDir(copy.prefix)
    copy.close()
    assert gdal.ReadDir(copy.prefix) is None


def check_clip_with_gdal_as_it_is(b04_url: str, zip_url: str, reference: Path, tmp_path: Path) -> None:
    """Clip a COG and a deflated zip member, stack them, and refuse a file that is no raster, with
    GDAL's exceptions as this process has them."""
    from scene_picker.core.clip_raster import ClipError, clip_local

    request = ClipRequest(wkt.loads(AOI), mask=True)
    files = clip(b04_url, tmp_path, request=request).result.files
    files += clip(zip_url, tmp_path, request=request, members=["*_B08.tif"]).result.files
    assert window_read(files[0])[-2:] == window_read(reference, WINDOW)[-2:]
    assert len(build_stacks(files, tmp_path)) == 2
    not_a_raster = tmp_path / "text.tif"
    not_a_raster.write_text("not a raster")
    with pytest.raises(ClipError, match="cannot read"):
        clip_local(not_a_raster, request, tmp_path / "out.tif", {})


@pytest.mark.parametrize("exceptions", [False, True])
def test_clip_works_whether_or_not_gdal_exceptions_are_on(exceptions, rasters, proxy, tmp_path):
    urls = proxy.url("clip/B04_d0.tif"), proxy.url("clip/deflated.zip")
    was = gdal.GetUseExceptions()
    try:
        (gdal.UseExceptions if exceptions else gdal.DontUseExceptions)()  # other plugins may turn them on
    except RuntimeError:
        # GDAL 3.6 cannot turn them off once ogr's are on too (earlier in this process): a fresh
        # interpreter, where they are off, runs the same check
        code = (
            "import sys; from pathlib import Path; from osgeo import gdal; gdal.DontUseExceptions(); "
            "assert not gdal.GetUseExceptions(); from test_clip import check_clip_with_gdal_as_it_is as c; "
            "c(sys.argv[1], sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]))"
        )
        args = [*urls, str(rasters["d0"]), str(tmp_path)]
        env = dict(
            cli_env(), PYTHONPATH=os.pathsep.join([cli_env()["PYTHONPATH"], str(Path(__file__).parent)])
        )
        done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env)
        assert done.returncode == 0, done.stderr
        return
    try:
        check_clip_with_gdal_as_it_is(*urls, rasters["d0"], tmp_path)
    finally:
        with contextlib.suppress(RuntimeError):
            (gdal.UseExceptions if was else gdal.DontUseExceptions)()
