"""The footprint layer: a memory layer of scene footprints in the "Scene Picker" layer-tree group,
categorised (coloured) by provider, labelled on demand, and kept in selection sync with the results table.

Selecting keys from the table selects (and zooms to) the footprints; selecting footprints on the map
emits :attr:`FootprintLayer.mapSelectionChanged` with their scene keys.
"""

from __future__ import annotations

from qgis.core import (
    QgsCategorizedSymbolRenderer,
    QgsCoordinateTransform,
    QgsFeature,
    QgsFillSymbol,
    QgsGeometry,
    QgsLayerTreeGroup,
    QgsPalLayerSettings,
    QgsProject,
    QgsProperty,
    QgsRendererCategory,
    QgsSymbolLayer,
    QgsVectorLayer,
    QgsVectorLayerSimpleLabeling,
)
from qgis.PyQt.QtCore import QCoreApplication, QObject, pyqtSignal
from qgis.PyQt.QtGui import QColor

from ..core.scene import Scene
from . import compat, field_types
from .aoi_tools import WGS84
from .results_model import scene_key

GROUP_NAME = "Scene Picker"
FIELDS = (
    ("key", field_types.STRING),
    ("provider", field_types.STRING),
    ("scene_id", field_types.STRING),
    ("datetime", field_types.STRING),
    ("cloud", field_types.DOUBLE),
    ("platform", field_types.STRING),
    ("online", field_types.BOOL),
    ("downloaded", field_types.BOOL),
)
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")


def scene_group(project: QgsProject | None = None) -> QgsLayerTreeGroup:
    """The "Scene Picker" group at the top of the layer tree (created when missing)."""
    root = (project or QgsProject.instance()).layerTreeRoot()
    group = root.findGroup(GROUP_NAME)
    if group is None:
        group = root.insertGroup(0, GROUP_NAME)
    return group


def _symbol(colour: str) -> QgsFillSymbol:
    fill = QColor(colour)
    fill.setAlpha(35)
    symbol = QgsFillSymbol.createSimple(
        {"color": fill.name(QColor.NameFormat.HexArgb), "outline_color": colour, "outline_width": "0.5"}
    )
    # downloaded scenes get a bold outline and no fill: their bands show through
    symbol.symbolLayer(0).setDataDefinedProperty(
        QgsSymbolLayer.Property.PropertyStrokeWidth,
        QgsProperty.fromExpression('if("downloaded", 1.2, 0.5)'),
    )
    symbol.symbolLayer(0).setDataDefinedProperty(
        QgsSymbolLayer.Property.PropertyFillColor,
        QgsProperty.fromExpression(
            f"if(\"downloaded\", '0,0,0,0', '{fill.red()},{fill.green()},{fill.blue()},{fill.alpha()}')"
        ),
    )
    return symbol


class FootprintLayer(QObject):
    mapSelectionChanged = pyqtSignal(list)  # scene keys the user selected on the map

    def __init__(self, canvas=None, project: QgsProject | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.canvas = canvas
        self.project = project or QgsProject.instance()
        self._layer: QgsVectorLayer | None = None
        self._fids: dict[str, int] = {}
        self._keys: dict[int, str] = {}
        self._syncing = False
        self._labels = False

    def tr(self, text: str) -> str:
        return QCoreApplication.translate("FootprintLayer", text)

    # -- the layer --------------------------------------------------------------------------------------
    def layer(self) -> QgsVectorLayer:
        """The footprint layer, created (and added to the "Scene Picker" group) on first use."""
        if self._layer is not None:
            return self._layer
        layer = QgsVectorLayer("MultiPolygon?crs=EPSG:4326", self.tr("Scene footprints"), "memory")
        layer.dataProvider().addAttributes(field_types.qgs_fields(FIELDS).toList())
        layer.updateFields()
        layer.setRenderer(QgsCategorizedSymbolRenderer("provider", []))
        self.project.addMapLayer(layer, False)
        # at the bottom of the group: the scenes' bands (groups inserted at the top) draw above it
        scene_group(self.project).addLayer(layer)
        layer.selectionChanged.connect(self._on_layer_selection)
        layer.willBeDeleted.connect(self._forget_layer)
        self._layer = layer
        self._apply_labels()
        return layer

    def has_layer(self) -> bool:
        return self._layer is not None

    def _forget_layer(self) -> None:
        self._layer = None
        self._fids.clear()
        self._keys.clear()

    def add_scenes(self, scenes: list[Scene]) -> None:
        layer = self.layer()
        features = []
        for scene in scenes:
            key = scene_key(scene)
            if key in self._fids or scene.footprint is None:
                continue
            feature = QgsFeature(layer.fields())
            geometry = QgsGeometry.fromWkt(scene.footprint.wkt)
            geometry.convertToMultiType()
            feature.setGeometry(geometry)
            feature.setAttributes(
                [
                    key,
                    scene.provider,
                    scene.id,
                    scene.datetime.isoformat() if scene.datetime else None,
                    scene.cloud_cover,
                    scene.platform,
                    bool(scene.online),
                    False,
                ]
            )
            features.append(feature)
        if not features:
            return
        ok, added = layer.dataProvider().addFeatures(features)
        if ok:
            for feature in added:
                key = feature["key"]
                self._fids[key] = feature.id()
                self._keys[feature.id()] = key
        self._ensure_categories({f["provider"] for f in features})
        layer.updateExtents()
        layer.triggerRepaint()

    def clear(self) -> None:
        if self._layer is None:
            return
        self._syncing = True
        try:
            self._layer.removeSelection()
            self._layer.dataProvider().truncate()
        finally:
            self._syncing = False
        self._fids.clear()
        self._keys.clear()
        self._layer.triggerRepaint()

    def keys(self) -> list[str]:
        return list(self._fids)

    def feature_keys(self) -> list[str]:
        """Keys read back from the layer's features (what is really in the layer)."""
        if self._layer is None:
            return []
        return [f["key"] for f in self._layer.getFeatures()]

    def _ensure_categories(self, providers: set[str]) -> None:
        renderer = self._layer.renderer()
        if not isinstance(renderer, QgsCategorizedSymbolRenderer):
            return
        known = {c.value() for c in renderer.categories()}
        for provider in sorted(providers - known):
            colour = PALETTE[len(renderer.categories()) % len(PALETTE)]
            renderer.addCategory(QgsRendererCategory(provider, _symbol(colour), provider))
        self._layer.emitStyleChanged()

    # -- labels -----------------------------------------------------------------------------------------
    def set_labels(self, enabled: bool) -> None:
        self._labels = enabled
        if self._layer is not None:
            self._apply_labels()

    def labels_enabled(self) -> bool:
        return self._layer is not None and self._layer.labelsEnabled()

    def _apply_labels(self) -> None:
        settings = QgsPalLayerSettings()
        settings.fieldName = "scene_id"
        settings.placement = compat.LABEL_HORIZONTAL
        self._layer.setLabeling(QgsVectorLayerSimpleLabeling(settings))
        self._layer.setLabelsEnabled(self._labels)
        self._layer.triggerRepaint()

    # -- downloaded -------------------------------------------------------------------------------------
    def mark_downloaded(self, key: str) -> None:
        fid = self._fids.get(key)
        if self._layer is None or fid is None:
            return
        index = self._layer.fields().indexOf("downloaded")
        self._layer.dataProvider().changeAttributeValues({fid: {index: True}})
        self._layer.triggerRepaint()

    def is_downloaded(self, key: str) -> bool:
        fid = self._fids.get(key)
        if self._layer is None or fid is None:
            return False
        return bool(self._layer.getFeature(fid)["downloaded"])

    # -- selection sync -----------------------------------------------------------------------------------
    def select_keys(self, keys: list[str], zoom: bool = True) -> None:
        """Select the footprints of ``keys`` (from the table) and zoom the canvas to them."""
        if self._layer is None:
            return
        fids = [self._fids[k] for k in keys if k in self._fids]
        self._syncing = True
        try:
            self._layer.selectByIds(fids)
        finally:
            self._syncing = False
        if zoom and fids and self.canvas is not None:
            self.zoom_to(fids)

    def selected_keys(self) -> list[str]:
        if self._layer is None:
            return []
        return [self._keys[fid] for fid in self._layer.selectedFeatureIds() if fid in self._keys]

    def zoom_to(self, fids: list[int]) -> None:
        box = self._layer.boundingBoxOfSelected() if fids else self._layer.extent()
        if box.isEmpty() and box.width() == 0 and box.height() == 0:
            return
        transform = QgsCoordinateTransform(WGS84, self.canvas.mapSettings().destinationCrs(), self.project)
        try:
            box = transform.transformBoundingBox(box)
        except Exception:  # noqa: BLE001 - QgsCsException: outside the canvas CRS, do not zoom
            return
        box.scale(1.2)
        self.canvas.setExtent(box)
        self.canvas.refresh()

    def _on_layer_selection(self, selected, _deselected, _clear) -> None:
        if self._syncing:
            return
        self.mapSelectionChanged.emit(self.selected_keys())

    def detach(self) -> None:
        """Disconnect from the layer (the panel closes); the layer itself stays in the project."""
        if self._layer is not None:
            for signal, slot in (
                (self._layer.selectionChanged, self._on_layer_selection),
                (self._layer.willBeDeleted, self._forget_layer),
            ):
                try:
                    signal.disconnect(slot)
                except (TypeError, RuntimeError):
                    pass
        self._layer = None
