"""Clip to area in the dock, and the clipped dates as a time series QGIS's Temporal Controller plays.

- :func:`clip_checkbox`: the "Clip to area" option of the Results tab; :func:`clip_payload` turns it
  and the dock's area of interest into the queue job's ``clip`` (see :mod:`scene_picker.core.clip`).
- :func:`set_acquisition_time` (main thread, no disk access): a clipped raster gets its acquisition
  time, read from its clip record by the worker that checked the file, as a fixed temporal range.
- :func:`show_series` (main thread): the footprint layer becomes temporal too (its ``datetime``
  field), the project's time range and the canvas's temporal controller cover every temporal layer,
  and the controller animates day by day.
"""

from __future__ import annotations

from typing import Any, Optional

from qgis.core import (
    Qgis,
    QgsDateTimeRange,
    QgsInterval,
    QgsProject,
    QgsRasterLayer,
    QgsTemporalNavigationObject,
    QgsTemporalUtils,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QCoreApplication, QDateTime, Qt
from qgis.PyQt.QtWidgets import QCheckBox, QWidget

from ..core.scene import parse_scene_datetime
from . import compat

FOOTPRINT_TIME = 'to_datetime("datetime")'


def clip_checkbox(parent: QWidget) -> QCheckBox:
    box = QCheckBox(QCoreApplication.translate("Temporal", "Clip to area"), parent)
    box.setObjectName("clipCheck")
    tip = QCoreApplication.translate("Temporal", "Fetch only the area's pixels; play the dates in time")
    box.setToolTip(tip)
    return box


def clip_payload(checked: bool, aoi_wkt: Optional[str]) -> Optional[dict[str, Any]]:
    """The queue job's ``clip`` when the option is checked and an AOI is drawn (None otherwise)."""
    if not checked or not aoi_wkt:
        return None
    from shapely import wkt

    from ..core.clip_raster import ClipRequest

    return ClipRequest(wkt.loads(aoi_wkt)).to_payload()


def _qdatetime(value: Any) -> Optional[QDateTime]:
    moment = parse_scene_datetime(value)
    if moment is None:
        return None
    return QDateTime.fromString(moment.strftime("%Y-%m-%dT%H:%M:%S") + "Z", Qt.DateFormat.ISODate)


def set_acquisition_time(layer: QgsRasterLayer, value: Any) -> None:
    """Give a raster its acquisition time ``value`` (read from its clip record by a worker:
    :func:`scene_picker.core.clip.clip_datetime`) as a fixed temporal range; nothing when None."""
    when = _qdatetime(value)
    if when is None:
        return
    properties = layer.temporalProperties()
    properties.setMode(Qgis.RasterTemporalMode.FixedTemporalRange)
    properties.setFixedTemporalRange(QgsDateTimeRange(when, when))
    properties.setIsActive(True)


def make_footprints_temporal(layer: QgsVectorLayer) -> None:
    properties = layer.temporalProperties()
    properties.setMode(Qgis.VectorTemporalMode.FeatureDateTimeStartAndEndFromExpressions)
    properties.setStartExpression(FOOTPRINT_TIME)
    properties.setEndExpression(FOOTPRINT_TIME)
    properties.setIsActive(True)


def show_series(
    layers: list, footprints: Optional[QgsVectorLayer], canvas=None, project: Optional[QgsProject] = None
) -> Optional[QgsDateTimeRange]:
    """After clipped rasters were added: make the footprints temporal, and set the project's time
    range and the canvas's temporal controller to cover every temporal layer (main thread)."""
    if not any(layer.temporalProperties().isActive() for layer in layers):
        return None
    project = project or QgsProject.instance()
    if footprints is not None:
        make_footprints_temporal(footprints)
    whole = QgsTemporalUtils.calculateTemporalRangeForProject(project)
    if not whole.begin().isValid():
        return None
    if whole.begin() == whole.end():  # one date: a range of one day around it
        whole = QgsDateTimeRange(whole.begin(), whole.begin().addDays(1))
    project.timeSettings().setTemporalRange(whole)
    controller = canvas.temporalController() if canvas is not None else None
    if isinstance(controller, QgsTemporalNavigationObject):
        controller.setTemporalExtents(whole)
        controller.setFrameDuration(QgsInterval(24 * 3600))  # one frame per day
        if controller.navigationMode() == compat.NAVIGATION_OFF:
            controller.setNavigationMode(compat.NAVIGATION_ANIMATED)
    return whole
