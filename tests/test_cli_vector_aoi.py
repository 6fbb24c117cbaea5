"""``scene-picker search --aoi FILE`` with vector files read by GDAL (GeoPackage, Shapefile) in their own
CRS, and ``--platforms``, against the demo's static catalog on loopback."""

from __future__ import annotations

import json

import pytest
from osgeo import ogr, osr

from scene_picker.cli.main import main
from scene_picker.demo.generate import generate
from scene_picker.demo.server import RangeServer

#: South-east part of the synthetic tile 31TDJ only, in UTM 31N metres.
UTM_AOI = "POLYGON((371000 4825500,372500 4825500,372500 4827000,371000 4827000,371000 4825500))"


@pytest.fixture(scope="module")
def catalog_url(tmp_path_factory):
    demo = generate(tmp_path_factory.mktemp("catalog") / "catalog")
    with RangeServer(demo.root) as server:
        yield server.url_for(demo.catalog_relpath)


def write_vector(path, driver: str, wkt: str, epsg: int) -> None:
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    source = ogr.GetDriverByName(driver).CreateDataSource(str(path))
    layer = source.CreateLayer("aoi", srs, ogr.wkbPolygon)
    feature = ogr.Feature(layer.GetLayerDefn())
    feature.SetGeometry(ogr.CreateGeometryFromWkt(wkt))
    layer.CreateFeature(feature)
    source = None


def search(capsys, url, *argv) -> tuple[int, list[str], str]:
    code = main(["search", "--provider", "stac-static", "--url", url, *argv])
    out, err = capsys.readouterr()
    ids = [f["id"] for f in json.loads(out)["features"]] if code == 0 else []
    return code, ids, err


@pytest.mark.parametrize("driver, suffix", [("GPKG", ".gpkg"), ("ESRI Shapefile", ".shp")])
def test_vector_file_aoi_in_its_own_crs(catalog_url, tmp_path, capsys, driver, suffix):
    path = tmp_path / f"aoi{suffix}"
    write_vector(path, driver, UTM_AOI, 32631)
    code, ids, err = search(capsys, catalog_url, "--aoi", str(path))
    assert code == 0, err
    assert len(ids) == 3 and all("_T31TDJ_" in i for i in ids)


def test_platforms_filter(catalog_url, tmp_path, capsys):
    code, ids, err = search(capsys, catalog_url, "--bbox=1.30,43.55,1.45,43.66", "--platforms", "sentinel-2b")
    assert code == 0, err
    assert sorted(i[:3] + i[11:19] for i in ids) == ["S2B20240608", "S2B20240608"]


def test_unreadable_vector_file_is_a_usage_error(catalog_url, tmp_path, capsys):
    bad = tmp_path / "broken.gpkg"
    bad.write_bytes(b"not a geopackage")
    code, _ids, err = search(capsys, catalog_url, "--aoi", str(bad))
    assert code == 2
    assert "GDAL cannot read the AOI file" in err
