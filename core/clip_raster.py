"""The raster side of clipping, with GDAL (``osgeo``, imported lazily): the AOI in the raster's CRS,
its pixel window, and the clipped GeoTIFF (COG layout) of that window.

The output holds exactly the source's pixels of the window: same data type and values, same grid
(the source geotransform shifted to the window's corner), CRS, nodata, scale/offset, unit, colour
interpretation and table, band descriptions and metadata. It is compressed losslessly (DEFLATE,
whatever the source used). With ``mask``, pixels whose centre lies outside the AOI polygon become
nodata, or are masked by an internal per-dataset mask band when the source has no nodata value.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

from shapely import wkt as shapely_wkt
from shapely.geometry.base import BaseGeometry
from shapely.ops import transform

from .errors import ScenePickerError, UsageError

#: Lossless, whatever the source's compression (a JPEG source is not re-encoded with loss).
COG_OPTIONS = ["COMPRESS=DEFLATE", "LEVEL=1", "PREDICTOR=YES", "BLOCKSIZE=512", "NUM_THREADS=ALL_CPUS"]
#: Clips wider or taller than this get overviews (computed from the clipped pixels).
OVERVIEW_THRESHOLD = 2048
GDAL_HINT = (
    "Clipping needs GDAL's Python bindings (osgeo): on Debian/Ubuntu 'apt install python3-gdal' (and a "
    "venv made with --system-site-packages), elsewhere 'pip install GDAL==<your gdal-config --version>' "
    "or conda's gdal. QGIS ships them."
)


class GdalMissingError(UsageError):
    """``osgeo.gdal`` cannot be imported."""


class ClipError(ScenePickerError):
    """A raster could not be clipped (outside the AOI, rotated grid, unreadable)."""


def gdal_module() -> Any:
    """``osgeo.gdal``, or :class:`GdalMissingError` saying how to install it."""
    try:
        from osgeo import gdal
    except ImportError:
        raise GdalMissingError(GDAL_HINT) from None
    return gdal


@contextlib.contextmanager
def quiet_gdal() -> Iterator[Any]:
    """GDAL with its errors kept for this thread (no stderr noise), whether or not other code turned
    on GDAL's exceptions process-wide (``gdal.UseExceptions()``, as QGIS plugins may): a failing call
    gives None or raises RuntimeError, which becomes :class:`ClipError` here."""
    gdal = gdal_module()
    gdal.PushErrorHandler("CPLQuietErrorHandler")
    try:
        gdal.ErrorReset()
        yield gdal
    except RuntimeError as exc:
        raise ClipError(f"GDAL: {exc}") from None
    finally:
        gdal.PopErrorHandler()


@dataclass(frozen=True)
class ClipRequest:
    """What to clip to: an AOI in EPSG:4326, grown by ``buffer`` metres, and whether to mask outside."""

    aoi: BaseGeometry
    buffer: float = 0.0
    mask: bool = False

    def __post_init__(self) -> None:
        if self.aoi is None or self.aoi.is_empty:
            raise UsageError("Clipping needs an area of interest.")
        if self.buffer < 0:
            raise UsageError("--clip-buffer must be zero or more metres.")

    @property
    def key(self) -> str:
        """Identifies the request: an output clipped for another AOI/buffer/mask is not reused."""
        text = json.dumps([self.aoi.wkt, round(self.buffer, 6), self.mask])
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def to_payload(self) -> dict[str, Any]:
        return {"aoi": self.aoi.wkt, "buffer": self.buffer, "mask": self.mask}

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> ClipRequest:
        return cls(shapely_wkt.loads(data["aoi"]), float(data.get("buffer") or 0), bool(data.get("mask")))


def aoi_in_crs(request: ClipRequest, srs_wkt: str) -> BaseGeometry:
    """The request's AOI, buffered in metres (in a local equidistant projection), in ``srs_wkt``."""
    from pyproj import CRS, Transformer

    aoi = request.aoi
    if request.buffer:
        centre = aoi.centroid
        local = CRS.from_proj4(f"+proj=aeqd +lat_0={centre.y} +lon_0={centre.x} +datum=WGS84 +units=m")
        there = Transformer.from_crs("EPSG:4326", local, always_xy=True).transform
        back = Transformer.from_crs(local, "EPSG:4326", always_xy=True).transform
        aoi = transform(back, transform(there, aoi).buffer(request.buffer))
    if not srs_wkt:
        raise ClipError("the raster has no CRS: the AOI cannot be placed on it")
    to_raster = _from_wgs84(srs_wkt, threading.get_ident())  # pyproj objects stay in their thread
    if to_raster is None:
        return aoi
    return transform(to_raster, aoi.segmentize(0.01))


@functools.lru_cache(maxsize=32)
def _from_wgs84(srs_wkt: str, _thread: int) -> Optional[Callable]:
    """The EPSG:4326 -> ``srs_wkt`` transform (None when that is EPSG:4326); cached: a time series
    reprojects the same AOI into the same CRS for every date."""
    from pyproj import CRS, Transformer

    target = CRS.from_wkt(srs_wkt)
    if target.equals(CRS.from_epsg(4326), ignore_axis_order=True):
        return None
    return Transformer.from_crs("EPSG:4326", target, always_xy=True).transform


def pixel_window(geotransform: tuple, width: int, height: int, geom: BaseGeometry) -> Optional[tuple]:
    """``(xoff, yoff, xsize, ysize)`` of the pixels covering ``geom``'s bounds, or None when outside."""
    x0, dx, rx, y0, ry, dy = geotransform
    if rx or ry or dx <= 0 or dy >= 0:
        raise ClipError("rotated or south-up rasters are not clipped (no north-up geotransform)")
    minx, miny, maxx, maxy = geom.bounds
    left = max(0, int((minx - x0) // dx))
    right = min(width, -int(-(maxx - x0) // dx))
    top = max(0, int((maxy - y0) // dy))
    bottom = min(height, -int(-(miny - y0) // dy))
    if right <= left or bottom <= top:
        return None
    return left, top, right - left, bottom - top


def source_window(dataset: Any, request: ClipRequest) -> tuple[tuple, BaseGeometry]:
    """The pixel window of the AOI on ``dataset`` and the AOI in its CRS; ClipError when disjoint."""
    geom = aoi_in_crs(request, dataset.GetProjectionRef())
    window = pixel_window(dataset.GetGeoTransform(), dataset.RasterXSize, dataset.RasterYSize, geom)
    if window is None:
        raise ClipError("the area of interest does not overlap the raster")
    return window, geom


def write_clip(
    dataset: Any, window: tuple, geom: BaseGeometry, dest: Path, mask: bool, metadata: dict[str, str]
) -> None:
    """Write the ``window`` of ``dataset`` to ``dest`` (atomic: ``.part`` then rename)."""
    with quiet_gdal() as gdal:
        mem = _window_copy(gdal, dataset, window)
        if mask:
            _mask_outside(gdal, mem, geom)
        mem.SetMetadata({**(dataset.GetMetadata() or {}), **metadata})
        options = list(COG_OPTIONS)
        big = max(window[2], window[3]) > OVERVIEW_THRESHOLD
        options.append("OVERVIEWS=AUTO" if big else "OVERVIEWS=NONE")
        part = dest.with_name(dest.name + ".part")
        out = gdal.GetDriverByName("COG").CreateCopy(str(part), mem, 0, options)
        if out is None:
            with contextlib.suppress(OSError):
                part.unlink()
            raise ClipError(f"writing {dest.name} failed: {gdal.GetLastErrorMsg()}")
        out = None
        mem = None
        with open(part, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(part, dest)


def _window_copy(gdal: Any, dataset: Any, window: tuple) -> Any:
    xoff, yoff, xsize, ysize = window
    first = dataset.GetRasterBand(1)
    mem = gdal.GetDriverByName("MEM").Create("", xsize, ysize, dataset.RasterCount, first.DataType)
    x0, dx, rx, y0, ry, dy = dataset.GetGeoTransform()
    mem.SetGeoTransform((x0 + xoff * dx, dx, rx, y0 + yoff * dy, ry, dy))
    mem.SetProjection(dataset.GetProjectionRef())
    for index in range(1, dataset.RasterCount + 1):
        src, dst = dataset.GetRasterBand(index), mem.GetRasterBand(index)
        data = src.ReadRaster(xoff, yoff, xsize, ysize)
        if data is None:
            raise ClipError(f"GDAL could not read band {index}: {gdal.GetLastErrorMsg()}")
        dst.WriteRaster(0, 0, xsize, ysize, data)
        nodata = src.GetNoDataValue()
        if nodata is not None:
            dst.SetNoDataValue(nodata)
        for getter, setter in (
            ("GetScale", "SetScale"),
            ("GetOffset", "SetOffset"),
            ("GetUnitType", "SetUnitType"),
            ("GetDescription", "SetDescription"),
        ):
            value = getattr(src, getter)()
            if value not in (None, ""):
                getattr(dst, setter)(value)
        dst.SetColorInterpretation(src.GetColorInterpretation())
        if src.GetColorTable() is not None:
            dst.SetColorTable(src.GetColorTable())
        if src.GetCategoryNames():
            dst.SetCategoryNames(src.GetCategoryNames())
        if src.GetMetadata():
            dst.SetMetadata(src.GetMetadata())
    return mem


def _mask_outside(gdal: Any, mem: Any, geom: BaseGeometry) -> None:
    """Pixels whose centre is outside ``geom`` become nodata (or masked out when there is none)."""
    from osgeo import ogr, osr

    srs = osr.SpatialReference()
    srs.ImportFromWkt(mem.GetProjectionRef())
    source = gdal.GetDriverByName("Memory").Create("", 0, 0, 0, gdal.GDT_Unknown)
    layer = source.CreateLayer("aoi", srs=srs)
    feature = ogr.Feature(layer.GetLayerDefn())
    feature.SetGeometry(ogr.CreateGeometryFromWkb(geom.wkb))
    layer.CreateFeature(feature)
    nodata = mem.GetRasterBand(1).GetNoDataValue()
    if nodata is not None:
        bands = list(range(1, mem.RasterCount + 1))
        options = gdal.RasterizeOptions(bands=bands, burnValues=[nodata] * len(bands), inverse=True)
        if gdal.Rasterize(mem, source, options=options) is None:
            raise ClipError(f"masking failed: {gdal.GetLastErrorMsg()}")
        return
    inside = gdal.GetDriverByName("MEM").Create("", mem.RasterXSize, mem.RasterYSize, 1, gdal.GDT_Byte)
    inside.SetGeoTransform(mem.GetGeoTransform())
    inside.SetProjection(mem.GetProjectionRef())
    gdal.Rasterize(inside, source, options=gdal.RasterizeOptions(bands=[1], burnValues=[255]))
    mem.CreateMaskBand(gdal.GMF_PER_DATASET)
    values = inside.GetRasterBand(1).ReadRaster()
    mem.GetRasterBand(1).GetMaskBand().WriteRaster(0, 0, mem.RasterXSize, mem.RasterYSize, values)


def open_raster(path: Path | str) -> Any:
    """A GDAL dataset of the raster ``path`` (a file or a GDAL path; read-only); ClipError when GDAL
    cannot read it."""
    with quiet_gdal() as gdal:
        try:
            dataset = gdal.OpenEx(str(path), gdal.OF_RASTER | gdal.OF_READONLY)
            message = gdal.GetLastErrorMsg()
        except RuntimeError as exc:  # GDAL's exceptions turned on by other code
            dataset, message = None, str(exc)
        if dataset is None:
            name = Path(path).name if isinstance(path, Path) else "the raster"
            raise ClipError(f"GDAL cannot read {name}: {message or 'unknown format'}")
        return dataset


def clip_local(source: Path, request: ClipRequest, dest: Path, metadata: dict[str, str]) -> tuple:
    """Clip the local raster ``source`` into ``dest``; returns the window."""
    dataset = open_raster(source)
    window, geom = source_window(dataset, request)
    write_clip(dataset, window, geom, dest, request.mask, metadata)
    return window
