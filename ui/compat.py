"""QGIS names that changed between the supported versions (3.22 to 3.44, and Qt6 builds of QGIS 4).

The one place that branches on the running QGIS version for enums: the rest of ui/ imports the names from
here (field types, which follow QMetaType from 3.38, are in :mod:`.field_types`). QGIS 3.26-3.36 moved
these enums into ``Qgis`` (``Qgis.GeometryType``, ``Qgis.WkbType``, ``Qgis.LabelPlacement``,
``Qgis.LayerFilter``, ``Qgis.Processing*``, ``Qgis.TemporalNavigationMode``); the old names are deprecated
aliases that QGIS 4 drops, and
QGIS 3.22 only has the old ones.
"""

from __future__ import annotations

from qgis.core import Qgis

QGIS_VERSION = Qgis.versionInt()

if QGIS_VERSION >= 33600:
    LayerFilter, LayerFilters = Qgis.LayerFilter, Qgis.LayerFilters
    POLYGON_GEOMETRY = Qgis.GeometryType.Polygon
    WKB_MULTIPOLYGON = Qgis.WkbType.MultiPolygon
    WKB_NO_GEOMETRY = Qgis.WkbType.NoGeometry
    LABEL_HORIZONTAL = Qgis.LabelPlacement.Horizontal
    SOURCE_VECTOR = Qgis.ProcessingSourceType.Vector
    SOURCE_VECTOR_ANY_GEOMETRY = Qgis.ProcessingSourceType.VectorAnyGeometry
    SOURCE_VECTOR_POLYGON = Qgis.ProcessingSourceType.VectorPolygon
    NUMBER_DOUBLE = Qgis.ProcessingNumberParameterType.Double
    DATETIME_DATE = Qgis.ProcessingDateTimeParameterDataType.Date
    NAVIGATION_OFF = Qgis.TemporalNavigationMode.Disabled
    NAVIGATION_ANIMATED = Qgis.TemporalNavigationMode.Animated
else:
    from qgis.core import (
        QgsMapLayerProxyModel,
        QgsPalLayerSettings,
        QgsProcessing,
        QgsProcessingParameterDateTime,
        QgsProcessingParameterNumber,
        QgsTemporalNavigationObject,
        QgsWkbTypes,
    )

    LayerFilter, LayerFilters = QgsMapLayerProxyModel.Filter, QgsMapLayerProxyModel.Filters
    POLYGON_GEOMETRY = QgsWkbTypes.GeometryType.PolygonGeometry
    WKB_MULTIPOLYGON = QgsWkbTypes.Type.MultiPolygon
    WKB_NO_GEOMETRY = QgsWkbTypes.Type.NoGeometry
    LABEL_HORIZONTAL = QgsPalLayerSettings.Placement.Horizontal
    SOURCE_VECTOR = QgsProcessing.SourceType.TypeVector
    SOURCE_VECTOR_ANY_GEOMETRY = QgsProcessing.SourceType.TypeVectorAnyGeometry
    SOURCE_VECTOR_POLYGON = QgsProcessing.SourceType.TypeVectorPolygon
    NUMBER_DOUBLE = QgsProcessingParameterNumber.Type.Double
    DATETIME_DATE = QgsProcessingParameterDateTime.Type.Date
    NAVIGATION_OFF = QgsTemporalNavigationObject.NavigationMode.NavigationOff
    NAVIGATION_ANIMATED = QgsTemporalNavigationObject.NavigationMode.Animated
