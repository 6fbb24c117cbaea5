"""The "clip to area" parameters of the Processing algorithm "Download scenes".

``CLIP_AREA`` (optional polygon layer: the union of its features, or of its selection, is the AOI, in
any CRS), ``CLIP_BUFFER`` (metres) and ``CLIP_MASK``. With an area, each raster is clipped to it as
``scene-picker download --clip`` does (:mod:`scene_picker.core.clip`); clipped rasters loaded on
completion get their acquisition time as temporal range, and ``folder/stack/<band>.vrt`` stacks the dates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsGeometry,
    QgsProcessingException,
    QgsProcessingLayerPostProcessorInterface,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterNumber,
)
from qgis.PyQt.QtCore import QCoreApplication

from . import compat
from .temporal import set_acquisition_time

CLIP_AREA, CLIP_BUFFER, CLIP_MASK = "CLIP_AREA", "CLIP_BUFFER", "CLIP_MASK"
#: Post-processors must outlive the algorithm run (QGIS calls them later, on the main thread).
_KEEP: list[QgsProcessingLayerPostProcessorInterface] = []


def add_clip_parameters(algorithm) -> None:
    algorithm.addParameter(
        QgsProcessingParameterFeatureSource(
            CLIP_AREA,
            QCoreApplication.translate("ProcessingClip", "Clip to area (polygons; empty: whole files)"),
            [compat.SOURCE_VECTOR_POLYGON],
            optional=True,
        )
    )
    algorithm.addParameter(
        QgsProcessingParameterNumber(
            CLIP_BUFFER,
            QCoreApplication.translate("ProcessingClip", "Clip buffer (metres)"),
            compat.NUMBER_DOUBLE,
            0.0,
            optional=True,
            minValue=0.0,
        )
    )
    algorithm.addParameter(
        QgsProcessingParameterBoolean(
            CLIP_MASK,
            QCoreApplication.translate("ProcessingClip", "Set pixels outside the area to nodata"),
            False,
        )
    )


def clip_from_parameters(algorithm, parameters, context) -> Optional[dict[str, Any]]:
    """The ``clip`` payload of :func:`scene_picker.catalogs.download.download_scene` (None: no area)."""
    source = algorithm.parameterAsSource(parameters, CLIP_AREA, context)
    if source is None:
        return None
    geometries = [f.geometry() for f in source.getFeatures() if f.hasGeometry()]
    if not geometries:
        raise QgsProcessingException(
            QCoreApplication.translate("ProcessingClip", "The clip area layer has no polygon.")
        )
    area = QgsGeometry.unaryUnion(geometries)
    wgs84 = QgsCoordinateReferenceSystem("EPSG:4326")
    area.transform(QgsCoordinateTransform(source.sourceCrs(), wgs84, context.transformContext()))
    from shapely import wkt

    from ..core.clip_raster import ClipRequest

    buffer = algorithm.parameterAsDouble(parameters, CLIP_BUFFER, context) or 0.0
    mask = algorithm.parameterAsBool(parameters, CLIP_MASK, context)
    return ClipRequest(wkt.loads(area.asWkt(10)), buffer, mask).to_payload()


class ClipTimePostProcessor(QgsProcessingLayerPostProcessorInterface):
    """Gives a clipped raster loaded on completion its acquisition time (read by the algorithm's worker;
    QGIS calls this on the main thread)."""

    def __init__(self, when: Optional[str]) -> None:
        super().__init__()
        self.when = when

    def postProcessLayer(self, layer, context, feedback) -> None:  # noqa: N802 - QGIS API
        set_acquisition_time(layer, self.when)


def clip_time_post_processor(path: str) -> ClipTimePostProcessor:
    """The post-processor of the clipped output ``path`` (called in the algorithm's worker: reads its
    record there)."""
    from ..core.clip import clip_datetime

    if len(_KEEP) > 10_000:
        del _KEEP[:5_000]
    processor = ClipTimePostProcessor(clip_datetime(Path(path)))
    _KEEP.append(processor)
    return processor


def build_time_stacks(files: list[str], folder: Path, feedback) -> list[str]:
    """``folder/stack/<band>.vrt`` stacking the clipped dates (see :mod:`scene_picker.core.clip_stack`)."""
    from ..core.clip_stack import build_stacks, clip_summary

    for line in clip_summary([Path(p) for p in files]):
        feedback.pushInfo(line.strip())
    stacks = [str(p) for p in build_stacks([Path(p) for p in files], folder)]
    for stack in stacks:
        feedback.pushInfo(QCoreApplication.translate("ProcessingClip", "Time stack: {}").format(stack))
    return stacks
