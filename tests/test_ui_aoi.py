"""Test 1 of the dock issue: drawing an AOI with the map tools (real mouse events on the pytest-qgis canvas)
from a project in EPSG:3857 gives the expected AOI in EPSG:4326 (checked independently with pyproj)."""

from __future__ import annotations

import pytest
from pyproj import Transformer
from qgis.core import (
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsGeometry,
    QgsPointXY,
    QgsProject,
    QgsRectangle,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QPoint, Qt
from qgis.PyQt.QtTest import QTest

from scene_picker.ui.aoi_tools import AoiController, PolygonMapTool

pytestmark = pytest.mark.qgis

MERC = QgsCoordinateReferenceSystem("EPSG:3857")
TO_WGS84 = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)


@pytest.fixture()
def mercator_canvas(qgis_canvas, qgis_new_project):
    QgsProject.instance().setCrs(MERC)
    qgis_canvas.setDestinationCrs(MERC)
    qgis_canvas.resize(600, 400)
    qgis_canvas.window().show()  # offscreen: a hidden canvas keeps a tiny viewport
    qgis_canvas.show()
    QgsApplication.processEvents()
    assert qgis_canvas.viewport().width() > 500
    # around Toulouse, in metres
    qgis_canvas.setExtent(QgsRectangle(100_000, 5_300_000, 300_000, 5_450_000))
    yield qgis_canvas
    qgis_canvas.window().hide()


def _map_point(canvas, pos: QPoint) -> QgsPointXY:
    return canvas.getCoordinateTransform().toMapCoordinates(pos.x(), pos.y())


def _expected_lonlat(canvas, pos: QPoint) -> tuple[float, float]:
    point = _map_point(canvas, pos)
    return TO_WGS84.transform(point.x(), point.y())


def test_polygon_drawn_with_mouse_gives_aoi_in_wgs84(mercator_canvas):
    canvas = mercator_canvas
    aoi = AoiController(canvas)
    changes = []
    aoi.aoiChanged.connect(lambda: changes.append(aoi.aoi_wkt()))
    tool = aoi.start_polygon()
    assert canvas.mapTool() is tool
    clicks = [QPoint(100, 80), QPoint(450, 120), QPoint(380, 330), QPoint(140, 300)]
    viewport = canvas.viewport()
    for pos in clicks:
        QTest.mouseMove(viewport, pos)
        QTest.mouseClick(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)
    assert len(tool.vertices()) == 4
    QTest.mouseClick(viewport, Qt.MouseButton.RightButton, Qt.KeyboardModifier.NoModifier, QPoint(300, 200))

    result = aoi.aoi()
    assert result is not None and len(changes) == 1
    ring = result.asPolygon()[0]
    assert len(ring) == 5  # closed ring of the four clicks
    for vertex, pos in zip(ring[:4], clicks):
        lon, lat = _expected_lonlat(canvas, pos)
        assert vertex.x() == pytest.approx(lon, abs=1e-7)
        assert vertex.y() == pytest.approx(lat, abs=1e-7)
        assert 0.5 < vertex.x() < 3.0 and 42.0 < vertex.y() < 44.5  # degrees, not metres
    # the drawing tool is gone, the AOI stays visible as a rubber band in the canvas CRS
    assert canvas.mapTool() is not tool and aoi.active_tool() is None
    band_geom = aoi.band().asGeometry()
    assert band_geom.boundingBox().xMinimum() == pytest.approx(_map_point(canvas, clicks[0]).x(), rel=1e-6)

    aoi.clear()
    assert aoi.aoi() is None and aoi.band().asGeometry().isEmpty()
    aoi.remove()


def test_escape_cancels_and_too_few_vertices_draw_nothing(mercator_canvas):
    canvas = mercator_canvas
    aoi = AoiController(canvas)
    tool = aoi.start_polygon()
    assert isinstance(tool, PolygonMapTool)
    viewport = canvas.viewport()
    for pos in (QPoint(10, 10), QPoint(200, 10)):
        QTest.mouseClick(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)
    QTest.keyClick(viewport, Qt.Key.Key_Escape)
    assert aoi.active_tool() is None and aoi.aoi() is None

    tool = aoi.start_polygon()
    for pos in (QPoint(10, 10), QPoint(200, 10)):
        QTest.mouseClick(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)
    QTest.mouseClick(viewport, Qt.MouseButton.RightButton, Qt.KeyboardModifier.NoModifier, QPoint(5, 5))
    assert aoi.aoi() is None and aoi.active_tool() is None
    aoi.remove()


def test_rectangle_drag_and_extents(mercator_canvas):
    canvas = mercator_canvas
    aoi = AoiController(canvas)
    aoi.start_rectangle()
    viewport = canvas.viewport()
    start, end = QPoint(50, 50), QPoint(250, 350)
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(viewport, QPoint(150, 200))
    QTest.mouseMove(viewport, end)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
    box = aoi.aoi().boundingBox()
    west, north = _expected_lonlat(canvas, start)
    east, south = _expected_lonlat(canvas, end)
    assert (box.xMinimum(), box.yMinimum(), box.xMaximum(), box.yMaximum()) == pytest.approx(
        (west, south, east, north), abs=1e-7
    )

    # redraw from the canvas extent: replaces the previous AOI
    box = aoi.from_canvas_extent().boundingBox()
    ext = canvas.extent()
    west, south = TO_WGS84.transform(ext.xMinimum(), ext.yMinimum())
    east, north = TO_WGS84.transform(ext.xMaximum(), ext.yMaximum())
    assert (box.xMinimum(), box.yMinimum(), box.xMaximum(), box.yMaximum()) == pytest.approx(
        (west, south, east, north), abs=1e-7
    )

    # a layer in another CRS (UTM 31N): its extent and its selected features
    layer = QgsVectorLayer("Polygon?crs=EPSG:32631", "fields", "memory")
    feats = []
    for x0 in (300_000, 400_000):
        feat = QgsFeature()
        feat.setGeometry(QgsGeometry.fromRect(QgsRectangle(x0, 4_800_000, x0 + 10_000, 4_810_000)))
        feats.append(feat)
    layer.dataProvider().addFeatures(feats)
    layer.updateExtents()
    utm = Transformer.from_crs("EPSG:32631", "EPSG:4326", always_xy=True)
    box = aoi.from_layer_extent(layer).boundingBox()
    # west of the central meridian the west edge bends: its northern corner is the westmost point
    west = min(utm.transform(300_000, y)[0] for y in (4_800_000, 4_810_000))
    east = max(utm.transform(410_000, y)[0] for y in (4_800_000, 4_810_000))
    assert box.xMinimum() == pytest.approx(west, abs=1e-6)
    assert box.xMaximum() == pytest.approx(east, abs=1e-6)

    layer.selectByIds([feats[1].id() if feats[1].id() > 0 else 2])
    geom = aoi.from_selected_features(layer)
    lon, lat = utm.transform(405_000, 4_805_000)
    assert geom.contains(QgsGeometry.fromPointXY(QgsPointXY(lon, lat)))
    lon, lat = utm.transform(305_000, 4_805_000)
    assert not geom.contains(QgsGeometry.fromPointXY(QgsPointXY(lon, lat)))
    aoi.remove()


def test_edit_reopens_the_aoi_vertices(mercator_canvas):
    canvas = mercator_canvas
    aoi = AoiController(canvas)
    viewport = canvas.viewport()
    aoi.start_polygon()
    clicks = [QPoint(100, 100), QPoint(400, 100), QPoint(400, 300)]
    for pos in clicks:
        QTest.mouseClick(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)
    QTest.mouseClick(viewport, Qt.MouseButton.RightButton, Qt.KeyboardModifier.NoModifier, QPoint(1, 1))
    assert len(aoi.aoi().asPolygon()[0]) == 4

    tool = aoi.edit()
    assert len(tool.vertices()) == 3  # the ring, back in canvas coordinates
    for vertex, pos in zip(tool.vertices(), clicks):
        expected = _map_point(canvas, pos)
        assert vertex.x() == pytest.approx(expected.x(), rel=1e-9)
        assert vertex.y() == pytest.approx(expected.y(), rel=1e-9)
    extra = QPoint(100, 300)
    QTest.mouseClick(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(250, 350))
    QTest.keyClick(viewport, Qt.Key.Key_Backspace)  # undo that one
    QTest.mouseClick(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, extra)
    QTest.mouseClick(viewport, Qt.MouseButton.RightButton, Qt.KeyboardModifier.NoModifier, QPoint(1, 1))
    ring = aoi.aoi().asPolygon()[0]
    assert len(ring) == 5
    lon, lat = _expected_lonlat(canvas, extra)
    assert ring[3].x() == pytest.approx(lon, abs=1e-7) and ring[3].y() == pytest.approx(lat, abs=1e-7)
    aoi.remove()
