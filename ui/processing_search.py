"""The Processing algorithm "Search scenes" (``scenepicker:searchscenes``).

AOI from an extent and/or a layer (its selected features when the user ticks "selected features
only"), one provider, dates, cloud cover, platforms/collections → a footprint layer (MultiPolygon,
EPSG:4326) whose attributes are the scenes' (see :mod:`.processing_scenes`). Runs the provider's lazy
search in the algorithm's thread, stopping as soon as the feedback is cancelled.
"""

from __future__ import annotations

from typing import Any, Optional

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFeatureSink,
    QgsGeometry,
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingParameterDateTime,
    QgsProcessingParameterEnum,
    QgsProcessingParameterExtent,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
)

from ..core.errors import ScenePickerError
from ..core.query import Query
from . import compat
from .processing_common import ScenePickerAlgorithm, provider_names, provider_options
from .processing_scenes import scene_fields, scene_to_feature

WGS84 = "EPSG:4326"


class SearchScenesAlgorithm(ScenePickerAlgorithm):
    EXTENT = "EXTENT"
    AOI_LAYER = "AOI_LAYER"
    PROVIDER = "PROVIDER"
    URL = "URL"
    START = "START"
    END = "END"
    CLOUD_MIN = "CLOUD_MIN"
    CLOUD_MAX = "CLOUD_MAX"
    PLATFORMS = "PLATFORMS"
    COLLECTIONS = "COLLECTIONS"
    MAX_RESULTS = "MAX_RESULTS"
    OUTPUT = "OUTPUT"
    COUNT = "COUNT"

    def name(self) -> str:
        return "searchscenes"

    def displayName(self) -> str:
        return self.tr("Search scenes")

    def shortHelpString(self) -> str:
        return self.tr(
            "Searches one satellite catalog for scenes over an area of interest (an extent, the features "
            "of a layer, or both combined), between two dates (the end date is included as a whole day), "
            "under a cloud cover. The result is a footprint layer with one feature per scene; its "
            "selection can be given to 'Download scenes'. STAC catalogs need their URL."
        )

    def initAlgorithm(self, config: Optional[dict[str, Any]] = None) -> None:
        self.addParameter(
            QgsProcessingParameterExtent(self.EXTENT, self.tr("Area of interest (extent)"), optional=True)
        )
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                self.AOI_LAYER,
                self.tr("Area of interest (layer)"),
                [compat.SOURCE_VECTOR_ANY_GEOMETRY],
                optional=True,
            )
        )
        names = provider_names()
        default = "stac" if "stac" in names else (names[0] if names else None)
        provider = QgsProcessingParameterEnum(
            self.PROVIDER, self.tr("Provider"), options=names, defaultValue=default
        )
        provider.setUsesStaticStrings(True)
        self.addParameter(provider)
        self.addParameter(
            QgsProcessingParameterString(
                self.URL, self.tr("Catalog URL (STAC API or static catalog)"), optional=True
            )
        )
        for key, label in ((self.START, self.tr("Start date")), (self.END, self.tr("End date (included)"))):
            self.addParameter(
                QgsProcessingParameterDateTime(key, label, type=compat.DATETIME_DATE, optional=True)
            )
        for key, label, default in (
            (self.CLOUD_MIN, self.tr("Minimum cloud cover (%)"), 0.0),
            (self.CLOUD_MAX, self.tr("Maximum cloud cover (%)"), 100.0),
        ):
            self.addParameter(
                QgsProcessingParameterNumber(
                    key,
                    label,
                    type=compat.NUMBER_DOUBLE,
                    defaultValue=default,
                    minValue=0.0,
                    maxValue=100.0,
                )
            )
        self.addParameter(
            QgsProcessingParameterString(
                self.PLATFORMS, self.tr("Platforms (comma separated)"), optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterString(
                self.COLLECTIONS, self.tr("Collections (comma separated)"), optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.MAX_RESULTS, self.tr("Maximum number of scenes"), defaultValue=100, minValue=1
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSink(
                self.OUTPUT, self.tr("Scene footprints"), compat.SOURCE_VECTOR_POLYGON
            )
        )
        self.addOutput(QgsProcessingOutputNumber(self.COUNT, self.tr("Number of scenes found")))

    # -- running -----------------------------------------------------------------------------------
    def _aoi_wkt(self, parameters, context) -> Optional[str]:
        """The AOI as WKT in EPSG:4326 (union of the extent and the layer's features), or None."""
        wgs84 = QgsCoordinateReferenceSystem(WGS84)
        parts: list[QgsGeometry] = []
        if parameters.get(self.EXTENT) not in (None, ""):
            extent = self.parameterAsExtentGeometry(parameters, self.EXTENT, context, wgs84)
            if extent is not None and not extent.isEmpty():
                parts.append(extent)
        source = self.parameterAsSource(parameters, self.AOI_LAYER, context)
        if source is not None:
            transform = QgsCoordinateTransform(source.sourceCrs(), wgs84, context.transformContext())
            for feature in source.getFeatures():
                geometry = QgsGeometry(feature.geometry())
                if geometry.isEmpty():
                    continue
                geometry.transform(transform)
                parts.append(geometry)
            if not parts:
                raise QgsProcessingException(
                    self.tr("The area-of-interest layer has no geometry to search with.")
                )
        if not parts:
            return None
        return QgsGeometry.unaryUnion(parts).asWkt(12)

    def process(self, parameters, context, feedback) -> dict[str, Any]:
        name = self.parameterAsEnumString(parameters, self.PROVIDER, context)
        options = provider_options(self.parameterAsString(parameters, self.URL, context))
        start = self._date(parameters, self.START, context)
        end = self._date(parameters, self.END, context)
        max_results = self.parameterAsInt(parameters, self.MAX_RESULTS, context)
        try:
            query = Query.build(
                aoi=self._aoi_wkt(parameters, context),
                start=start,
                end=end,
                cloud_min=self.parameterAsDouble(parameters, self.CLOUD_MIN, context),
                cloud_max=self.parameterAsDouble(parameters, self.CLOUD_MAX, context),
                platforms=self.parameterAsString(parameters, self.PLATFORMS, context) or None,
                collections=self.parameterAsString(parameters, self.COLLECTIONS, context) or None,
                max_results=max_results,
            )
        except ScenePickerError as exc:
            raise QgsProcessingException(str(exc)) from None
        fields = scene_fields()
        sink, dest_id = self.parameterAsSink(
            parameters,
            self.OUTPUT,
            context,
            fields,
            compat.WKB_MULTIPOLYGON,
            QgsCoordinateReferenceSystem(WGS84),
        )
        if sink is None:
            raise QgsProcessingException(self.invalidSinkError(parameters, self.OUTPUT))
        count = 0
        cancel = self.cancel_token(feedback)
        try:
            provider = self.provider_instance(name, options)
            feedback.pushInfo(self.tr("Searching {}…").format(provider.label))
            results = provider.search(query)
            try:
                total = results.total
                expected = min(total, max_results) if total is not None else None
                if total is not None:
                    feedback.pushInfo(self.tr("{} scenes match on the server.").format(total))
                for scene in results:
                    if cancel.is_cancelled():
                        break
                    sink.addFeature(scene_to_feature(scene, fields, options), QgsFeatureSink.Flag.FastInsert)
                    count += 1
                    if expected:
                        feedback.setProgress(100.0 * count / expected)
            finally:
                results.close()
        except ScenePickerError as exc:
            raise QgsProcessingException(self.tr("{}: {}").format(name, exc)) from None
        if cancel.is_cancelled():
            feedback.pushInfo(self.tr("Search cancelled after {} scenes.").format(count))
        else:
            feedback.pushInfo(self.tr("{} scenes found.").format(count))
        return {self.OUTPUT: dest_id, self.COUNT: count}

    def _date(self, parameters, key: str, context) -> Optional[str]:
        if parameters.get(key) in (None, ""):
            return None
        value = self.parameterAsDateTime(parameters, key, context)
        if not value.isValid():
            raise QgsProcessingException(self.tr("Invalid date for {}.").format(key))
        return value.date().toString("yyyy-MM-dd")
