"""Deterministic synthetic Sentinel-2-like scenes and their static STAC catalog, for the demo and tests.

Six scenes (two small tiles near Toulouse, three dates) are drawn from one synthetic landscape defined
in world coordinates (fields, a river, a lake, a town), so overlapping tiles agree, with clouds whose
share of the image is the item's ``eo:cloud_cover``. Each scene is a zip archive laid out like a SAFE
product: 13 UInt16 GeoTIFF bands (256 x 256, 20 m, EPSG:32631), a true-colour image, a scene
classification, a cloud mask, metadata XML and a quicklook PNG. The STAC catalog (``catalog.json`` →
``collection.json`` → items) uses relative links only, so any server root can serve it.

Everything is a pure function of the constants below: the same bytes come out on every machine, which
the catalog's ``file:checksum`` values record. Needs GDAL's Python bindings and numpy.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

#: Bumped whenever the output changes, so an old ``build/demo`` is regenerated.
GENERATOR_VERSION = "1"
COLLECTION_ID = "demo-s2-l2a"
EPSG = 32631
SIZE = 256
PIXEL = 20.0
BANDS = ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11", "B12")
#: Surface reflectance x 10000 per land-cover class, in the order of :data:`BANDS`.
SIGNATURES = {
    "water": (600, 520, 480, 300, 260, 210, 190, 160, 150, 90, 10, 60, 40),
    "crop": (300, 360, 620, 380, 950, 2500, 3100, 3350, 3450, 3200, 15, 1900, 900),
    "forest": (250, 280, 450, 260, 700, 2000, 2500, 2700, 2800, 2600, 12, 1400, 600),
    "soil": (800, 1000, 1300, 1650, 1800, 2000, 2200, 2300, 2400, 2400, 20, 3000, 2600),
    "urban": (1000, 1100, 1250, 1350, 1380, 1420, 1460, 1500, 1520, 1400, 20, 1800, 1700),
    "cloud": (7000, 7200, 7400, 7600, 7600, 7650, 7650, 7700, 7700, 6000, 3000, 5200, 3600),
}
#: Scene classification codes (Sentinel-2 L2A SCL convention).
SCL = {"water": 6, "crop": 4, "forest": 4, "soil": 5, "urban": 5, "cloud": 9}
#: Upper-left corners (EPSG:32631) of the two synthetic tiles; they overlap by about 1 km.
TILES = {"31TCJ": (364000.0, 4834000.0), "31TDJ": (368000.0, 4830000.0)}
#: (date, platform letter, cloud cover wanted in %) for each tile.
ACQUISITIONS = {
    "31TCJ": (("2024-06-03", "A", 4.0), ("2024-06-08", "B", 63.0), ("2024-06-13", "A", 18.0)),
    "31TDJ": (("2024-06-03", "A", 0.0), ("2024-06-08", "B", 35.0), ("2024-06-13", "A", 88.0)),
}
SENSING_TIME = "105621"


@dataclass(frozen=True)
class DemoItem:
    """One generated scene: its STAC item id and the files written for it."""

    id: str
    tile: str
    datetime: datetime
    cloud_cover: float
    item_path: Path
    archive_path: Path
    archive_size: int
    members: tuple[str, ...]


@dataclass(frozen=True)
class DemoCatalog:
    """What :func:`generate` wrote: the folder to serve and the catalog's entry point within it."""

    root: Path
    catalog_path: Path
    items: tuple[DemoItem, ...]

    @property
    def catalog_relpath(self) -> str:
        return self.catalog_path.relative_to(self.root).as_posix()


def default_root() -> Path:
    """``build/demo/catalog`` of the repository this file belongs to."""
    return Path(__file__).resolve().parents[1] / "build" / "demo" / "catalog"


def generate(root: Path | None = None, force: bool = False) -> DemoCatalog:
    """Write the demo catalog under ``root`` (:func:`default_root`) unless already there; a folder
    holding anything else is replaced as a whole, so give it a folder of its own."""
    root = Path(root) if root is not None else default_root()
    stamp = root / ".generated"
    if not force and stamp.is_file() and stamp.read_text().strip() == GENERATOR_VERSION:
        return _read_back(root)
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    from osgeo import gdal

    gdal.UseExceptions()
    old_pam = gdal.GetConfigOption("GDAL_PAM_ENABLED")
    gdal.SetConfigOption("GDAL_PAM_ENABLED", "NO")
    try:
        items = [_write_scene(root, tile, *acq) for tile in TILES for acq in ACQUISITIONS[tile]]
    finally:
        gdal.SetConfigOption("GDAL_PAM_ENABLED", old_pam)
    _write_catalog(root, items)
    stamp.write_text(GENERATOR_VERSION + "\n")
    return _read_back(root)


# -- the landscape ------------------------------------------------------------------------------------
def _landscape(xs, ys):
    """Land-cover class names (array of str) at the given world coordinates (2-D arrays)."""
    import numpy as np

    rng = np.random.RandomState(20240603)
    x0, y1 = 362000.0, 4836000.0
    n = 70
    seeds_x = rng.uniform(x0, x0 + 13000.0, n)
    seeds_y = rng.uniform(y1 - 13000.0, y1, n)
    classes = rng.choice(["crop", "crop", "crop", "forest", "soil", "soil"], n)
    d2 = (xs[..., None] - seeds_x) ** 2 + (ys[..., None] - seeds_y) ** 2
    cover = classes[np.argmin(d2, axis=-1)].astype(object)
    # A town around one point, a meandering river and a lake.
    town = (xs - 370500.0) ** 2 + (ys - 4828500.0) ** 2 < 1300.0**2
    cover[town] = "urban"
    river_y = 4831000.0 + 900.0 * np.sin((xs - x0) / 1700.0) + 300.0 * np.sin((xs - x0) / 530.0)
    cover[np.abs(ys - river_y) < 70.0] = "water"
    lake = ((xs - 368900.0) / 600.0) ** 2 + ((ys - 4826300.0) / 380.0) ** 2 < 1.0
    cover[lake] = "water"
    return cover


def _clouds(seed: int, wanted: float):
    """A boolean cloud mask covering about ``wanted`` percent of the tile."""
    import numpy as np

    if wanted <= 0:
        return np.zeros((SIZE, SIZE), dtype=bool)
    rng = np.random.RandomState(seed)
    rows, cols = np.mgrid[0:SIZE, 0:SIZE].astype(float)
    field = np.zeros((SIZE, SIZE))
    for _ in range(9):
        cy, cx = rng.uniform(0, SIZE, 2)
        radius = rng.uniform(18, 60)
        field = np.maximum(field, np.exp(-((rows - cy) ** 2 + (cols - cx) ** 2) / (2 * radius**2)))
    field += rng.uniform(0, 0.08, field.shape)
    return field >= np.quantile(field, 1.0 - wanted / 100.0)


# -- one scene ----------------------------------------------------------------------------------------
def _scene_id(tile: str, date: str, platform: str) -> str:
    day = date.replace("-", "")
    return f"S2{platform}_MSIL2A_{day}T{SENSING_TIME}_N0510_R051_T{tile}_{day}T135959"


def _write_scene(root: Path, tile: str, date: str, platform: str, wanted_cloud: float) -> dict[str, Any]:
    import numpy as np
    from osgeo import gdal

    scene_id = _scene_id(tile, date, platform)
    day = date.replace("-", "")
    when = datetime.fromisoformat(date).replace(
        hour=int(SENSING_TIME[:2]),
        minute=int(SENSING_TIME[2:4]),
        second=int(SENSING_TIME[4:]),
        tzinfo=timezone.utc,
    )
    ulx, uly = TILES[tile]
    geotransform = (ulx, PIXEL, 0.0, uly, 0.0, -PIXEL)
    cols = ulx + (np.arange(SIZE) + 0.5) * PIXEL
    rows = uly - (np.arange(SIZE) + 0.5) * PIXEL
    xs, ys = np.meshgrid(cols, rows)
    cover = _landscape(xs, ys)
    seed = int(hashlib.sha256(scene_id.encode()).hexdigest()[:8], 16)
    clouds = _clouds(seed, wanted_cloud)
    cover[clouds] = "cloud"
    cloud_cover = round(float(clouds.mean()) * 100.0, 2)
    # Crops green up over the three dates.
    growth = 1.0 + 0.08 * (datetime.fromisoformat(date) - datetime(2024, 6, 3)).days / 5.0
    rng = np.random.RandomState(seed % (2**31))

    staging = root / ".staging" / scene_id
    staging.mkdir(parents=True)
    safe = f"{scene_id}.SAFE"
    granule = f"{safe}/GRANULE/L2A_T{tile}_A0{day[2:]}_{day}T{SENSING_TIME}"
    img_dir = f"{granule}/IMG_DATA/R20m"
    prefix = f"T{tile}_{day}T{SENSING_TIME}"
    members: list[tuple[str, Path | None, int]] = []  # (name, file or None for a folder, compression)
    for folder in (
        f"{safe}/",
        f"{safe}/GRANULE/",
        f"{granule}/",
        f"{granule}/IMG_DATA/",
        f"{img_dir}/",
        f"{granule}/QI_DATA/",
    ):
        members.append((folder, None, zipfile.ZIP_STORED))

    reflectance = {}
    for index, band in enumerate(BANDS):
        values = np.zeros((SIZE, SIZE), dtype=float)
        for name, signature in SIGNATURES.items():
            scale = growth if name == "crop" and index >= 5 else 1.0
            values[cover == name] = signature[index] * scale
        values *= 1.0 + rng.normal(0.0, 0.04, values.shape)
        data = np.clip(values + 1000.0, 1, 65535).astype(np.uint16)  # L2A BOA_ADD_OFFSET of 1000
        reflectance[band] = values
        path = staging / f"{prefix}_{band}_20m.tif"
        _write_tif(path, [data], gdal.GDT_UInt16, geotransform, nodata=0, descriptions=[band])
        members.append((f"{img_dir}/{path.name}", path, zipfile.ZIP_STORED))
    tci = [np.clip(reflectance[b] / 2500.0 * 255.0, 1, 255).astype(np.uint8) for b in ("B04", "B03", "B02")]
    tci_path = staging / f"{prefix}_TCI_20m.tif"
    _write_tif(tci_path, tci, gdal.GDT_Byte, geotransform, nodata=0, descriptions=["red", "green", "blue"])
    members.append((f"{img_dir}/{tci_path.name}", tci_path, zipfile.ZIP_STORED))
    scl = np.zeros((SIZE, SIZE), dtype=np.uint8)
    for name, code in SCL.items():
        scl[cover == name] = code
    scl_path = staging / f"{prefix}_SCL_20m.tif"
    _write_tif(scl_path, [scl], gdal.GDT_Byte, geotransform, nodata=0, descriptions=["SCL"])
    members.append((f"{img_dir}/{scl_path.name}", scl_path, zipfile.ZIP_STORED))
    mask_path = staging / "MSK_CLDPRB_20m.tif"
    _write_tif(mask_path, [clouds.astype(np.uint8) * 100], gdal.GDT_Byte, geotransform, None, ["CLDPRB"])
    members.append((f"{granule}/QI_DATA/{mask_path.name}", mask_path, zipfile.ZIP_STORED))

    footprint = _footprint(ulx, uly)
    quicklook = root / "data" / f"{scene_id}-ql.png"
    quicklook.parent.mkdir(parents=True, exist_ok=True)
    _write_png(quicklook, tci)
    members.append((f"{safe}/{scene_id}-ql.png", quicklook, zipfile.ZIP_DEFLATED))
    mtd = staging / "MTD_MSIL2A.xml"
    mtd.write_text(_product_metadata(scene_id, when, platform, tile, cloud_cover, footprint))
    members.append((f"{safe}/MTD_MSIL2A.xml", mtd, zipfile.ZIP_DEFLATED))
    tl = staging / "MTD_TL.xml"
    tl.write_text(_tile_metadata(tile, when, geotransform))
    members.append((f"{granule}/MTD_TL.xml", tl, zipfile.ZIP_DEFLATED))
    manifest = staging / "manifest.safe"
    manifest.write_text(_manifest([m[0] for m in members if m[1] is not None]))
    members.insert(1, (f"{safe}/manifest.safe", manifest, zipfile.ZIP_DEFLATED))

    archive = root / "data" / f"{scene_id}.zip"
    stamp = (when.year, when.month, when.day, 13, 59, 58)
    with zipfile.ZipFile(archive, "w") as zf:
        for name, path, compression in members:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.create_system = 3
            if path is None:
                info.external_attr = (0o40755 << 16) | 0x10
                zf.writestr(info, b"")
            else:
                info.external_attr = 0o644 << 16
                info.compress_type = compression
                zf.writestr(info, path.read_bytes())
    shutil.rmtree(staging)
    return {
        "id": scene_id,
        "tile": tile,
        "platform": f"sentinel-2{platform.lower()}",
        "datetime": when,
        "cloud_cover": cloud_cover,
        "footprint": footprint,
        "geotransform": geotransform,
        "archive": archive,
        "quicklook": quicklook,
        "members": [m[0] for m in members],
    }


def _write_tif(path: Path, arrays, data_type, geotransform, nodata, descriptions) -> None:
    from osgeo import gdal, osr

    mem = gdal.GetDriverByName("MEM").Create("", SIZE, SIZE, len(arrays), data_type)
    mem.SetGeoTransform(geotransform)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(EPSG)
    mem.SetProjection(srs.ExportToWkt())
    for index, (array, description) in enumerate(zip(arrays, descriptions), start=1):
        band = mem.GetRasterBand(index)
        band.WriteArray(array)
        band.SetDescription(description)
        if nodata is not None:
            band.SetNoDataValue(nodata)
    options = ["COMPRESS=DEFLATE", "PREDICTOR=2", "TILED=YES", "BLOCKXSIZE=128", "BLOCKYSIZE=128"]
    gdal.GetDriverByName("GTiff").CreateCopy(str(path), mem, options=options)
    mem = None


def _write_png(path: Path, rgb) -> None:
    from osgeo import gdal

    mem = gdal.GetDriverByName("MEM").Create("", SIZE, SIZE, 3, gdal.GDT_Byte)
    for index, array in enumerate(rgb, start=1):
        mem.GetRasterBand(index).WriteArray(array)
    gdal.GetDriverByName("PNG").CreateCopy(str(path), mem)
    mem = None


def _footprint(ulx: float, uly: float) -> list[list[float]]:
    """The tile outline in EPSG:4326 (lon, lat), counter-clockwise and closed."""
    from osgeo import osr

    source, target = osr.SpatialReference(), osr.SpatialReference()
    source.ImportFromEPSG(EPSG)
    target.ImportFromEPSG(4326)
    target.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    to_wgs84 = osr.CoordinateTransformation(source, target)
    side = SIZE * PIXEL
    corners = [(ulx, uly - side), (ulx + side, uly - side), (ulx + side, uly), (ulx, uly), (ulx, uly - side)]
    return [[round(c, 7) for c in to_wgs84.TransformPoint(x, y)[:2]] for x, y in corners]


# -- metadata documents -------------------------------------------------------------------------------
def _product_metadata(scene_id, when, platform, tile, cloud_cover, footprint) -> str:
    pos_list = " ".join(f"{lat} {lon}" for lon, lat in footprint)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<n1:Level-2A_User_Product xmlns:n1="https://psd-14.sentinel2.eo.esa.int/PSD/User_Product_Level-2A.xsd">
  <n1:General_Info>
    <Product_Info>
      <PRODUCT_START_TIME>{when:%Y-%m-%dT%H:%M:%S}.024Z</PRODUCT_START_TIME>
      <PRODUCT_URI>{scene_id}.SAFE</PRODUCT_URI>
      <PROCESSING_LEVEL>Level-2A</PROCESSING_LEVEL>
      <PRODUCT_TYPE>S2MSI2A</PRODUCT_TYPE>
      <Datatake SPACECRAFT_NAME="Sentinel-2{platform}"/>
      <Note>Synthetic scene generated for the Scene Picker demo; not real data.</Note>
      <TILE_ID>T{tile}</TILE_ID>
    </Product_Info>
    <Product_Image_Characteristics>
      <QUANTIFICATION_VALUE>10000</QUANTIFICATION_VALUE>
      <BOA_ADD_OFFSET>-1000</BOA_ADD_OFFSET>
    </Product_Image_Characteristics>
  </n1:General_Info>
  <n1:Geometric_Info>
    <Product_Footprint><Global_Footprint><EXT_POS_LIST>{pos_list}</EXT_POS_LIST></Global_Footprint>
    </Product_Footprint>
  </n1:Geometric_Info>
  <n1:Quality_Indicators_Info>
    <Cloud_Coverage_Assessment>{cloud_cover}</Cloud_Coverage_Assessment>
  </n1:Quality_Indicators_Info>
</n1:Level-2A_User_Product>
"""


def _tile_metadata(tile, when, geotransform) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<n1:Level-2A_Tile_ID xmlns:n1="https://psd-14.sentinel2.eo.esa.int/PSD/S2_PDI_Level-2A_Tile_Metadata.xsd">
  <n1:General_Info><TILE_ID>T{tile}</TILE_ID><SENSING_TIME>{when:%Y-%m-%dT%H:%M:%S}Z</SENSING_TIME>
  </n1:General_Info>
  <n1:Geometric_Info><Tile_Geocoding>
    <HORIZONTAL_CS_CODE>EPSG:{EPSG}</HORIZONTAL_CS_CODE>
    <Size resolution="20"><NROWS>{SIZE}</NROWS><NCOLS>{SIZE}</NCOLS></Size>
    <Geoposition resolution="20"><ULX>{geotransform[0]:.0f}</ULX><ULY>{geotransform[3]:.0f}</ULY>
    </Geoposition>
  </Tile_Geocoding></n1:Geometric_Info>
</n1:Level-2A_Tile_ID>
"""


def _manifest(names: list[str]) -> str:
    rows = "\n".join(
        f'    <dataObject ID="{n.rsplit("/", 1)[-1]}" href="./{n.split("/", 1)[1]}"/>' for n in names
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<xfdu:XFDU xmlns:xfdu="urn:ccsds:schema:xfdu:1"
    version="esa/safe/sentinel/1.1/sentinel-2/msi/archive_l2a_user_product">
  <dataObjectSection>
{rows}
  </dataObjectSection>
</xfdu:XFDU>
"""


# -- the STAC catalog ---------------------------------------------------------------------------------
def _sha256_multihash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return "1220" + digest.hexdigest()


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.024000Z")


def _write_catalog(root: Path, scenes: list[dict[str, Any]]) -> None:
    collection_dir = root / COLLECTION_ID
    collection_dir.mkdir()
    extensions = [
        "https://stac-extensions.github.io/eo/v1.1.0/schema.json",
        "https://stac-extensions.github.io/file/v2.1.0/schema.json",
        "https://stac-extensions.github.io/projection/v1.1.0/schema.json",
    ]
    for scene in scenes:
        item_dir = collection_dir / scene["id"]
        item_dir.mkdir()
        lons = [p[0] for p in scene["footprint"]]
        lats = [p[1] for p in scene["footprint"]]
        archive: Path = scene["archive"]
        item = {
            "type": "Feature",
            "stac_version": "1.0.0",
            "stac_extensions": extensions,
            "id": scene["id"],
            "collection": COLLECTION_ID,
            "geometry": {"type": "Polygon", "coordinates": [scene["footprint"]]},
            "bbox": [min(lons), min(lats), max(lons), max(lats)],
            "properties": {
                "datetime": _iso(scene["datetime"]),
                "title": f"Synthetic Sentinel-2-like scene T{scene['tile']} {scene['datetime']:%Y-%m-%d}",
                "platform": scene["platform"],
                "constellation": "sentinel-2",
                "instruments": ["msi"],
                "eo:cloud_cover": scene["cloud_cover"],
                "proj:epsg": EPSG,
                "proj:shape": [SIZE, SIZE],
                "proj:transform": list(scene["geotransform"][1:3])
                + [scene["geotransform"][0]]
                + list(scene["geotransform"][4:6])
                + [scene["geotransform"][3]],
                "s2:mgrs_tile": scene["tile"],
                "s2:product_type": "S2MSI2A",
            },
            "links": [
                {"rel": "root", "href": "../../catalog.json", "type": "application/json"},
                {"rel": "parent", "href": "../collection.json", "type": "application/json"},
                {"rel": "collection", "href": "../collection.json", "type": "application/json"},
            ],
            "assets": {
                "archive": {
                    "href": f"../../data/{archive.name}",
                    "type": "application/zip",
                    "title": "Zipped SAFE-like product (13 bands, TCI, SCL, cloud mask, metadata)",
                    "roles": ["data", "archive"],
                    "file:size": archive.stat().st_size,
                    "file:checksum": _sha256_multihash(archive),
                },
                "thumbnail": {
                    "href": f"../../data/{scene['quicklook'].name}",
                    "type": "image/png",
                    "title": "Quicklook",
                    "roles": ["thumbnail"],
                    "file:size": scene["quicklook"].stat().st_size,
                },
            },
        }
        _dump(item_dir / f"{scene['id']}.json", item)
    all_lons = [p[0] for s in scenes for p in s["footprint"]]
    all_lats = [p[1] for s in scenes for p in s["footprint"]]
    times = sorted(s["datetime"] for s in scenes)
    collection = {
        "type": "Collection",
        "stac_version": "1.0.0",
        "stac_extensions": extensions[:1],
        "id": COLLECTION_ID,
        "title": "Synthetic Sentinel-2-like L2A (Scene Picker demo)",
        "description": "Small synthetic scenes near Toulouse generated by demo/generate.py; not real data.",
        "license": "CC0-1.0",
        "extent": {
            "spatial": {"bbox": [[min(all_lons), min(all_lats), max(all_lons), max(all_lats)]]},
            "temporal": {"interval": [[_iso(times[0]), _iso(times[-1] + timedelta(seconds=1))]]},
        },
        "summaries": {
            "platform": sorted({s["platform"] for s in scenes}),
            "constellation": ["sentinel-2"],
            "eo:cloud_cover": {"minimum": 0, "maximum": 100},
        },
        "links": [
            {"rel": "root", "href": "../catalog.json", "type": "application/json"},
            {"rel": "parent", "href": "../catalog.json", "type": "application/json"},
        ]
        + [
            {"rel": "item", "href": f"./{s['id']}/{s['id']}.json", "type": "application/geo+json"}
            for s in scenes
        ],
    }
    _dump(collection_dir / "collection.json", collection)
    catalog = {
        "type": "Catalog",
        "stac_version": "1.0.0",
        "id": "scene-picker-demo",
        "title": "Scene Picker demo catalog",
        "description": "Static STAC catalog of synthetic scenes for `make demo` and the tests.",
        "links": [
            {"rel": "root", "href": "./catalog.json", "type": "application/json"},
            {"rel": "child", "href": f"./{COLLECTION_ID}/collection.json", "type": "application/json"},
        ],
    }
    _dump(root / "catalog.json", catalog)
    shutil.rmtree(root / ".staging", ignore_errors=True)


def _dump(path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document, indent=2) + "\n")


def _read_back(root: Path) -> DemoCatalog:
    items = []
    for item_path in sorted((root / COLLECTION_ID).glob("*/*.json")):
        item = json.loads(item_path.read_text())
        archive = (item_path.parent / item["assets"]["archive"]["href"]).resolve()
        with zipfile.ZipFile(archive) as zf:
            members = tuple(zf.namelist())
        items.append(
            DemoItem(
                id=item["id"],
                tile=item["properties"]["s2:mgrs_tile"],
                datetime=datetime.strptime(item["properties"]["datetime"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                    tzinfo=timezone.utc
                ),
                cloud_cover=item["properties"]["eo:cloud_cover"],
                item_path=item_path,
                archive_path=archive,
                archive_size=archive.stat().st_size,
                members=members,
            )
        )
    return DemoCatalog(root=root, catalog_path=root / "catalog.json", items=tuple(items))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", type=Path, default=None, help="output folder (build/demo/catalog)")
    parser.add_argument("--force", action="store_true", help="regenerate even when up to date")
    args = parser.parse_args(argv)
    catalog = generate(args.root, force=args.force)
    for item in catalog.items:
        print(f"{item.id}  cloud {item.cloud_cover:5.1f}%  {item.archive_size} bytes")
    print(f"catalog: {catalog.catalog_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
