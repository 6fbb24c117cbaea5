"""Query building and AOI normalisation: parsing, reprojection, antimeridian split, repair, dates."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from shapely.geometry import MultiPolygon, Point, Polygon, box

from scene_picker.core.errors import InvalidAOIError, UsageError
from scene_picker.core.geometry import aoi_from, bbox_geometry, is_rectangle, parse_bbox, to_wgs84
from scene_picker.core.query import Query, parse_datetime
from scene_picker.core.scene import Scene

UTC = dt.timezone.utc


def test_bbox_parsing_and_errors():
    assert parse_bbox("1,2,3,4") == (1.0, 2.0, 3.0, 4.0)
    assert parse_bbox([1, 2, 3, 4]) == (1.0, 2.0, 3.0, 4.0)
    for bad in ("1,2,3", "a,b,c,d", "0,10,1,5", "0,0,nan,1"):
        with pytest.raises(InvalidAOIError):
            parse_bbox(bad)
    assert bbox_geometry("1,2,3,4").equals(box(1, 2, 3, 4))


def test_bbox_crossing_antimeridian_is_split():
    geom = bbox_geometry("170,-10,-170,10")
    assert isinstance(geom, MultiPolygon)
    parts = sorted(p.bounds for p in geom.geoms)
    assert parts == [(-180.0, -10.0, -170.0, 10.0), (170.0, -10.0, 180.0, 10.0)]


def test_polygon_with_jump_across_antimeridian_is_split():
    # vertices written the naive GeoJSON way: 175 → -175
    ring = [(175, 0), (-175, 0), (-175, 5), (175, 5), (175, 0)]
    geom = aoi_from(Polygon(ring))
    assert isinstance(geom, MultiPolygon)
    assert geom.area == pytest.approx(50.0)
    assert geom.covers(Point(179.5, 2)) and geom.covers(Point(-179.5, 2))
    assert not geom.covers(Point(0, 2))
    # the same area written with longitudes beyond 180
    beyond = aoi_from(box(175, 0, 185, 5))
    assert beyond.equals(geom)


def test_reprojection_from_web_mercator_matches_wgs84():
    from pyproj import Transformer

    fwd = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    x0, y0 = fwd.transform(10, 40)
    x1, y1 = fwd.transform(12, 42)
    geom = aoi_from(box(x0, y0, x1, y1), "EPSG:3857")
    assert geom.bounds == pytest.approx((10, 40, 12, 42), abs=1e-9)
    assert is_rectangle(Polygon(box(10, 40, 12, 42)))


def test_mercator_aoi_across_the_antimeridian_is_split():
    from pyproj import Transformer

    fwd = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    x0, y0 = fwd.transform(170, -5)
    x1, y1 = fwd.transform(180, 5)
    width = x1 - x0
    # extends 10° east past the antimeridian in Mercator metres
    geom = aoi_from(box(x0, y0, x1 + width, y1), 3857)
    assert isinstance(geom, MultiPolygon)
    assert geom.area == pytest.approx(200.0, rel=1e-6)


def test_geojson_text_file_feature_collection_and_crs(tmp_path):
    fc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {}, "geometry": box(0, 0, 1, 1).__geo_interface__},
            {"type": "Feature", "properties": {}, "geometry": box(2, 0, 3, 1).__geo_interface__},
        ],
    }
    path = tmp_path / "aoi.geojson"
    path.write_text(json.dumps(fc))
    geom = aoi_from(str(path))
    assert geom.area == pytest.approx(2.0)
    legacy = dict(fc, crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}})
    legacy["features"] = [
        {"type": "Feature", "properties": {}, "geometry": box(0, 0, 111319.49, 111325.14).__geo_interface__}
    ]
    geom = aoi_from(json.dumps(legacy))
    assert geom.bounds == pytest.approx((0, 0, 1, 1), abs=1e-4)
    wkt_file = tmp_path / "aoi.wkt"
    wkt_file.write_text("POLYGON ((0 0, 1 0, 1 1, 0 1, 0 0))")
    assert aoi_from(wkt_file).equals(box(0, 0, 1, 1))
    assert aoi_from("SRID=4326;POINT (1 2)").equals(Point(1, 2))


def test_invalid_geometry_is_repaired_or_refused():
    bowtie = Polygon([(0, 0), (2, 2), (2, 0), (0, 2), (0, 0)])
    fixed = aoi_from(bowtie)
    assert fixed.is_valid and fixed.area == pytest.approx(2.0)
    with pytest.raises(InvalidAOIError, match="invalid"):
        aoi_from(Polygon([(0, 0), (1, 1), (2, 2), (0, 0)]))  # zero area, nothing to keep
    for bad in ("", "POLYGON ((0 0, 1 0", "{not json", "/no/such/file.geojson", '{"type": "Feature"}'):
        with pytest.raises(InvalidAOIError):
            aoi_from(bad)
    with pytest.raises(InvalidAOIError, match="latitudes"):
        to_wgs84(box(0, 0, 1000, 1000))
    with pytest.raises(InvalidAOIError, match="CRS"):
        aoi_from(box(0, 0, 1, 1), "EPSG:999999")


def test_dates_are_utc_and_end_day_is_inclusive():
    q = Query.build(start="2023-12-01", end="2023-12-31")
    assert q.start == dt.datetime(2023, 12, 1, tzinfo=UTC)
    assert q.end == dt.datetime(2023, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    assert parse_datetime("2023-06-01T12:00:00+02:00") == dt.datetime(2023, 6, 1, 10, tzinfo=UTC)
    assert parse_datetime("2023-06-01T12:00:00Z") == dt.datetime(2023, 6, 1, 12, tzinfo=UTC)
    assert parse_datetime(dt.date(2023, 6, 1), end=True).hour == 23
    with pytest.raises(UsageError):
        Query.build(start="2023-13-01")
    with pytest.raises(UsageError, match="after"):
        Query.build(start="2024-01-01", end="2023-01-01")


def test_query_validation_and_fields():
    q = Query.build(
        bbox="0,0,1,1", cloud_max="20", collections="a, b", platforms=["sentinel-2a"], max_results="5"
    )
    assert q.cloud_max == 20.0 and q.collections == ("a", "b") and q.max_results == 5
    assert q.aoi.equals(box(0, 0, 1, 1))
    for kwargs in (
        {"cloud_max": 101},
        {"cloud_min": "x"},
        {"cloud_min": 50, "cloud_max": 10},
        {"max_results": 0},
    ):
        with pytest.raises(UsageError):
            Query.build(**kwargs)
    with pytest.raises(UsageError):
        Query.build(aoi=box(0, 0, 1, 1), bbox="0,0,1,1")


def test_query_matches_scene():
    when = dt.datetime(2023, 12, 31, 22, tzinfo=UTC)
    scene = Scene(
        "p",
        "s1",
        platform="Sentinel-2A",
        collection="c1",
        datetime=when,
        footprint=box(0, 0, 1, 1),
        cloud_cover=12.5,
    )
    assert Query.build(bbox="0.5,0.5,2,2", end="2023-12-31", cloud_max=12.5).matches(scene)
    assert Query.build(platforms="sentinel-2a", collections="c1").matches(scene)
    assert not Query.build(bbox="1.5,1.5,2,2").matches(scene)
    assert not Query.build(end="2023-12-30").matches(scene)
    assert not Query.build(cloud_min=13).matches(scene)
    assert not Query.build(collections="c2").matches(scene)
    cloudless = Scene("p", "s2", footprint=box(0, 0, 1, 1))
    assert not Query.build(cloud_max=50).matches(cloudless)
    assert Query.build(cloud_max=50).matches(cloudless, cloud=False)


def test_world_wide_boxes_are_not_taken_for_antimeridian_crossings():
    assert bbox_geometry("-180,-60,180,60").equals(box(-180, -60, 180, 60))
    assert aoi_from((-180, -60, 180, 60)).equals(box(-180, -60, 180, 60))
    assert aoi_from(box(-180, -90, 180, 90)).area == pytest.approx(360 * 180)
    # a bbox keeps W < E as written (170° wide), a polygon's 340° edge is read as a crossing
    assert bbox_geometry("-170,0,170,1").area == pytest.approx(340)
    assert aoi_from(box(-170, 0, 170, 1)).area == pytest.approx(20)
