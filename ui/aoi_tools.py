"""The area of interest (AOI): drawing map tools, the AOI rubber band, and AOI from extents or selections.

The AOI is kept in EPSG:4326 (transformed with ``QgsCoordinateTransform`` from whatever CRS it was drawn
or taken in) and shown on the canvas as a rubber band until it is cleared or replaced.
"""

from __future__ import annotations

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFeatureRequest,
    QgsGeometry,
    QgsMapLayer,
    QgsPointXY,
    QgsProject,
    QgsRectangle,
    QgsVectorLayer,
)
from qgis.gui import QgsMapCanvas, QgsMapMouseEvent, QgsMapTool, QgsRubberBand
from qgis.PyQt.QtCore import QCoreApplication, QObject, Qt, pyqtSignal
from qgis.PyQt.QtGui import QColor, QKeyEvent

from ..core.errors import InvalidAOIError
from . import compat

WGS84 = QgsCoordinateReferenceSystem("EPSG:4326")
_DENSIFY = 16  # extra vertices per edge so a box keeps its true shape in another CRS
_DRAW_COLOUR = QColor(230, 80, 20, 200)
_AOI_STROKE = QColor(230, 80, 20)
_AOI_FILL = QColor(230, 80, 20, 40)


def to_wgs84(geometry: QgsGeometry, crs: QgsCoordinateReferenceSystem) -> QgsGeometry:
    """A copy of ``geometry`` (in ``crs``) transformed to EPSG:4326; raises InvalidAOIError if it cannot."""
    if geometry is None or geometry.isEmpty():
        raise InvalidAOIError(QCoreApplication.translate("AoiTools", "The area of interest is empty."))
    if not crs.isValid():
        raise InvalidAOIError(
            QCoreApplication.translate(
                "AoiTools", "The area of interest has no valid coordinate reference system."
            )
        )
    out = QgsGeometry(geometry)
    if crs != WGS84:
        transform = QgsCoordinateTransform(crs, WGS84, QgsProject.instance())
        try:
            out.transform(transform)
        except Exception as exc:  # noqa: BLE001 - QgsCsException and friends, re-raised as ours
            raise InvalidAOIError(
                QCoreApplication.translate(
                    "AoiTools", "The area of interest cannot be transformed to EPSG:4326: {}"
                ).format(exc)
            ) from exc
    if not out.isGeosValid():
        out = out.makeValid()
    if out.isEmpty():
        raise InvalidAOIError(
            QCoreApplication.translate("AoiTools", "The area of interest is empty after transformation.")
        )
    return out


def rectangle_geometry(rect: QgsRectangle) -> QgsGeometry:
    """A polygon of ``rect`` with densified edges (so it bends correctly when reprojected)."""
    geom = QgsGeometry.fromRect(rect)
    return geom.densifyByCount(_DENSIFY)


class _DrawingTool(QgsMapTool):
    """Common part of the drawing tools: a temporary rubber band, Esc to cancel."""

    geometryDrawn = pyqtSignal(QgsGeometry)  # in the canvas CRS
    cancelled = pyqtSignal()

    def __init__(self, canvas: QgsMapCanvas) -> None:
        super().__init__(canvas)
        self._band = QgsRubberBand(canvas, compat.POLYGON_GEOMETRY)
        self._band.setStrokeColor(_DRAW_COLOUR)
        self._band.setFillColor(QColor(230, 80, 20, 30))
        self._band.setWidth(2)
        self.setCursor(Qt.CursorShape.CrossCursor)

    def reset(self) -> None:
        self._band.reset(compat.POLYGON_GEOMETRY)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.reset()
            self.cancelled.emit()
            event.accept()
            return
        event.ignore()

    def deactivate(self) -> None:
        self.reset()
        super().deactivate()

    def remove_band(self) -> None:
        """Delete the temporary rubber band from the canvas scene (the tool is going away)."""
        if self._band is not None:
            self.reset()
            scene = self.canvas().scene()
            if scene is not None:
                scene.removeItem(self._band)
            self._band = None


class RectangleMapTool(_DrawingTool):
    """Press, drag and release (or click twice) to draw a rectangle; right-click or Esc cancels."""

    def __init__(self, canvas: QgsMapCanvas) -> None:
        super().__init__(canvas)
        self._start: QgsPointXY | None = None

    def reset(self) -> None:
        self._start = None
        super().reset()

    def canvasPressEvent(self, event: QgsMapMouseEvent) -> None:
        if event.button() == Qt.MouseButton.RightButton:
            self.reset()
            self.cancelled.emit()
            return
        if event.button() == Qt.MouseButton.LeftButton and self._start is None:
            self._start = event.mapPoint()

    def canvasMoveEvent(self, event: QgsMapMouseEvent) -> None:
        if self._start is not None:
            self._show(QgsRectangle(self._start, event.mapPoint()))

    def canvasReleaseEvent(self, event: QgsMapMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self._start is None:
            return
        end = event.mapPoint()
        if end == self._start:  # a click: wait for the second corner
            return
        rect = QgsRectangle(self._start, end)
        self.reset()
        if rect.width() > 0 and rect.height() > 0:
            self.geometryDrawn.emit(rectangle_geometry(rect))

    def _show(self, rect: QgsRectangle) -> None:
        self._band.setToGeometry(QgsGeometry.fromRect(rect), None)


class PolygonMapTool(_DrawingTool):
    """Left-click adds a vertex, right-click finishes (3 vertices at least), Backspace undoes, Esc cancels."""

    def __init__(self, canvas: QgsMapCanvas) -> None:
        super().__init__(canvas)
        self._points: list[QgsPointXY] = []

    def reset(self) -> None:
        self._points = []
        super().reset()

    def vertices(self) -> list[QgsPointXY]:
        return list(self._points)

    def set_vertices(self, points: list[QgsPointXY]) -> None:
        """Start from existing vertices (editing an AOI): add more, Backspace removes, right-click ends."""
        self._points = list(points)
        self._show(None)

    def canvasReleaseEvent(self, event: QgsMapMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._points.append(event.mapPoint())
            self._show(None)
        elif event.button() == Qt.MouseButton.RightButton:
            self._finish()

    def canvasMoveEvent(self, event: QgsMapMouseEvent) -> None:
        if self._points:
            self._show(event.mapPoint())

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Backspace and self._points:
            self._points.pop()
            self._show(None)
            event.accept()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._finish()
            event.accept()
            return
        super().keyPressEvent(event)

    def _finish(self) -> None:
        points = list(self._points)
        self.reset()
        if len(points) < 3:
            self.cancelled.emit()
            return
        geom = QgsGeometry.fromPolygonXY([points + [points[0]]])
        if not geom.isGeosValid():
            geom = geom.makeValid()
        self.geometryDrawn.emit(geom)

    def _show(self, floating: QgsPointXY | None) -> None:
        points = self._points + ([floating] if floating is not None else [])
        self._band.reset(compat.POLYGON_GEOMETRY)
        for i, point in enumerate(points):
            self._band.addPoint(point, i == len(points) - 1)


class AoiController(QObject):
    """Owns the AOI (EPSG:4326), its rubber band on the canvas, and the drawing tools."""

    aoiChanged = pyqtSignal()
    failed = pyqtSignal(str)  # a user-facing message when a drawn AOI cannot be used

    def __init__(self, canvas: QgsMapCanvas, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.canvas = canvas
        self._aoi: QgsGeometry | None = None
        self._band = QgsRubberBand(canvas, compat.POLYGON_GEOMETRY)
        self._band.setStrokeColor(_AOI_STROKE)
        self._band.setFillColor(_AOI_FILL)
        self._band.setWidth(2)
        self._tool: _DrawingTool | None = None
        self._previous_tool: QgsMapTool | None = None
        canvas.destinationCrsChanged.connect(self._redraw)

    # -- the AOI ------------------------------------------------------------------------------------
    def aoi(self) -> QgsGeometry | None:
        """The AOI in EPSG:4326, or None."""
        return QgsGeometry(self._aoi) if self._aoi is not None else None

    def aoi_wkt(self) -> str | None:
        return self._aoi.asWkt(8) if self._aoi is not None else None

    def set_aoi(self, geometry: QgsGeometry, crs: QgsCoordinateReferenceSystem) -> QgsGeometry:
        """Replace the AOI by ``geometry`` given in ``crs``; returns it in EPSG:4326."""
        self._aoi = to_wgs84(geometry, crs)
        self._redraw()
        self.aoiChanged.emit()
        return QgsGeometry(self._aoi)

    def clear(self) -> None:
        self._aoi = None
        self._band.reset(compat.POLYGON_GEOMETRY)
        self.aoiChanged.emit()

    def band(self) -> QgsRubberBand:
        return self._band

    def from_canvas_extent(self) -> QgsGeometry:
        crs = self.canvas.mapSettings().destinationCrs()
        return self.set_aoi(rectangle_geometry(self.canvas.extent()), crs)

    def from_layer_extent(self, layer: QgsMapLayer) -> QgsGeometry:
        if layer is None or not layer.isValid():
            raise InvalidAOIError(
                QCoreApplication.translate("AoiTools", "Choose a valid layer to take its extent.")
            )
        return self.set_aoi(rectangle_geometry(layer.extent()), layer.crs())

    def from_selected_features(self, layer: QgsVectorLayer) -> QgsGeometry:
        if not isinstance(layer, QgsVectorLayer) or layer.selectedFeatureCount() == 0:
            raise InvalidAOIError(
                QCoreApplication.translate("AoiTools", "Select one or more features of a vector layer first.")
            )
        request = QgsFeatureRequest().setNoAttributes()
        geoms = [f.geometry() for f in layer.getSelectedFeatures(request) if f.hasGeometry()]
        if not geoms:
            raise InvalidAOIError(
                QCoreApplication.translate("AoiTools", "The selected features have no geometry.")
            )
        union = QgsGeometry.unaryUnion(geoms)
        if union.type() != compat.POLYGON_GEOMETRY:
            # points and lines: use their bounding box so the AOI has an area
            union = rectangle_geometry(union.boundingBox().buffered(1e-9))
        return self.set_aoi(union, layer.crs())

    # -- drawing --------------------------------------------------------------------------------------
    def start_rectangle(self) -> RectangleMapTool:
        return self._start(RectangleMapTool(self.canvas))

    def start_polygon(self) -> PolygonMapTool:
        return self._start(PolygonMapTool(self.canvas))

    def edit(self) -> PolygonMapTool | None:
        """Re-open the AOI's outer ring in the polygon tool (in the canvas CRS) to add or remove vertices."""
        if self._aoi is None:
            return None
        geom = QgsGeometry(self._aoi)
        transform = QgsCoordinateTransform(
            WGS84, self.canvas.mapSettings().destinationCrs(), QgsProject.instance()
        )
        geom.transform(transform)
        polygons = geom.asMultiPolygon() if geom.isMultipart() else [geom.asPolygon()]
        largest = max(polygons, key=lambda p: QgsGeometry.fromPolygonXY(p).area()) if polygons else None
        tool = self.start_polygon()
        if largest:
            ring = list(largest[0])
            tool.set_vertices(ring[:-1] if len(ring) > 1 and ring[0] == ring[-1] else ring)
        return tool

    def active_tool(self) -> _DrawingTool | None:
        return self._tool

    def stop_tools(self) -> None:
        """Unset and delete the drawing tool, giving the canvas back its previous tool."""
        tool, self._tool = self._tool, None
        if tool is None:
            return
        if self.canvas.mapTool() is tool:
            self.canvas.unsetMapTool(tool)
            if self._previous_tool is not None:
                try:
                    self.canvas.setMapTool(self._previous_tool)
                except RuntimeError:  # the previous tool was deleted meanwhile
                    pass
        self._previous_tool = None
        tool.remove_band()
        tool.deleteLater()

    def remove(self) -> None:
        """Take everything off the canvas (the panel closes)."""
        self.stop_tools()
        try:
            self.canvas.destinationCrsChanged.disconnect(self._redraw)
        except (TypeError, RuntimeError):
            pass
        self._band.reset(compat.POLYGON_GEOMETRY)
        scene = self.canvas.scene()
        if scene is not None:
            scene.removeItem(self._band)

    def _start(self, tool: _DrawingTool) -> _DrawingTool:
        self.stop_tools()
        current = self.canvas.mapTool()
        self._previous_tool = current if not isinstance(current, _DrawingTool) else None
        self._tool = tool
        tool.geometryDrawn.connect(self._on_drawn)
        tool.cancelled.connect(self.stop_tools)
        self.canvas.setMapTool(tool)
        return tool

    def _on_drawn(self, geometry: QgsGeometry) -> None:
        crs = self.canvas.mapSettings().destinationCrs()
        self.stop_tools()
        try:
            self.set_aoi(geometry, crs)
        except InvalidAOIError as exc:
            self.failed.emit(str(exc))

    def _redraw(self) -> None:
        self._band.reset(compat.POLYGON_GEOMETRY)
        if self._aoi is not None:
            self._band.setToGeometry(self._aoi, WGS84)
