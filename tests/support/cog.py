"""Cloud-optimised GeoTIFFs (and stored/deflated zips of them) for the clip tests and the benchmark.

Pixels are a deterministic mix of gradients and noise (so tiles compress like real bands), written
with GDAL's COG driver in UTM zone 31N (EPSG:32631) with nodata, scale/offset and band metadata set.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
from osgeo import gdal

#: The grid's top-left corner (EPSG:32631) and pixel size (10 m, like a Sentinel-2 band).
ORIGIN = (600000.0, 5100000.0)
PIXEL = 10.0
EPSG = 32631


def make_cog(
    path: Path,
    size: int = 1024,
    block: int = 256,
    seed: int = 1,
    noise: int = 200,
    overviews: bool = True,
    nodata: bool = True,
) -> Path:
    """A single-band UInt16 COG of ``size`` x ``size`` pixels in ``block`` x ``block`` DEFLATE tiles;
    ``noise`` is the range of the random part of each pixel (how well the tiles compress)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size]
    data = ((x * 7 + y * 3) % 4000 + rng.integers(0, noise, (size, size)) + seed * 11).astype(np.uint16)
    data[:3, :3] = 0  # some nodata pixels
    mem = gdal.GetDriverByName("MEM").Create("", size, size, 1, gdal.GDT_UInt16)
    mem.SetGeoTransform((ORIGIN[0], PIXEL, 0.0, ORIGIN[1], 0.0, -PIXEL))
    from osgeo import osr

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(EPSG)
    mem.SetProjection(srs.ExportToWkt())
    band = mem.GetRasterBand(1)
    band.WriteArray(data)
    if nodata:
        band.SetNoDataValue(0)
    band.SetScale(0.0001)
    band.SetOffset(-0.1)
    band.SetDescription("B04")
    band.SetMetadata({"BANDNAME": "red", "WAVELENGTH": "665"})
    mem.SetMetadata({"PRODUCT": f"synthetic-{seed}"})
    options = ["COMPRESS=DEFLATE", f"BLOCKSIZE={block}", f"OVERVIEWS={'AUTO' if overviews else 'NONE'}"]
    gdal.GetDriverByName("COG").CreateCopy(str(path), mem, 0, options).FlushCache()
    return Path(path)


def zip_with(path: Path, members: dict[str, Path], stored: bool) -> Path:
    """A zip of ``{member name: file}``, members stored (uncompressed) or deflated."""
    method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(path, "w", compression=method) as archive:
        archive.writestr("README.txt", "synthetic product\n")
        for name, source in members.items():
            archive.write(source, name)
    return Path(path)


def aoi_lonlat(x0: int, y0: int, x1: int, y1: int) -> str:
    """WKT (EPSG:4326) of the polygon covering pixels ``[x0, x1) x [y0, y1)`` of the grid, shrunk by
    a quarter pixel so that its bounds stay inside those pixels once reprojected."""
    from pyproj import Transformer

    to_lonlat = Transformer.from_crs(EPSG, 4326, always_xy=True).transform
    e0, e1 = ORIGIN[0] + (x0 + 0.25) * PIXEL, ORIGIN[0] + (x1 - 0.25) * PIXEL
    n0, n1 = ORIGIN[1] - (y0 + 0.25) * PIXEL, ORIGIN[1] - (y1 - 0.25) * PIXEL
    corners = [(e0, n0), (e1, n0), (e1, n1), (e0, n1), (e0, n0)]
    points = [to_lonlat(e, n) for e, n in corners]
    return "POLYGON((" + ", ".join(f"{lon:.10f} {lat:.10f}" for lon, lat in points) + "))"


def window_read(source: str, window: tuple | None = None) -> bytes:
    """GDAL's own read of ``window`` (default: all) of band 1 of ``source`` (a path or a /vsi path)."""
    dataset = gdal.Open(str(source))
    band = dataset.GetRasterBand(1)
    data = band.ReadRaster(*window) if window else band.ReadRaster()
    band = None
    dataset = None  # the band goes first: GDAL 3.6's bindings crash on a band outliving its dataset
    return data


def write_cog_catalog(root: Path, base_url: str, days: tuple[str, ...]) -> Path:
    """A static STAC catalog in ``root`` (served at ``base_url``): one item per date, each with a COG
    band ``B04`` (``<item id>_B04.tif``, seed = position + 1) covering the 1024 x 1024 grid."""
    import json

    from shapely import wkt

    grid = wkt.loads(aoi_lonlat(0, 0, 1024, 1024))
    links = []
    for number, when in enumerate(days):
        item_id = f"S2X_{when[:10].replace('-', '')}"
        make_cog(root / f"{item_id}_B04.tif", seed=number + 1)
        item = {
            "type": "Feature",
            "stac_version": "1.0.0",
            "id": item_id,
            "geometry": grid.__geo_interface__,
            "bbox": list(grid.bounds),
            "properties": {"datetime": when, "eo:cloud_cover": 5},
            "assets": {
                "B04": {
                    "href": f"{base_url}{item_id}_B04.tif",
                    "type": "image/tiff; application=geotiff; profile=cloud-optimized",
                    "roles": ["data"],
                }
            },
            "links": [],
        }
        (root / f"{item_id}.json").write_text(json.dumps(item))
        links.append({"rel": "item", "href": f"{item_id}.json", "type": "application/geo+json"})
    catalog = {"type": "Catalog", "stac_version": "1.0.0", "id": "clip", "description": "t", "links": links}
    (root / "catalog.json").write_text(json.dumps(catalog))
    return root / "catalog.json"
