"""QGIS names that changed between the supported versions (3.22 to 3.44, and Qt6 builds of QGIS 4).

The one place that branches on the running QGIS version: the rest of ui/ imports the names from here.
- QGIS 3.34 moved ``QgsMapLayerProxyModel.Filter`` to ``Qgis.LayerFilter`` (the old name is deprecated).
- QGIS 3.38 moved ``QgsField`` types to ``QMetaType.Type`` (``QVariant.Type`` is gone from PyQt6):
  see :mod:`.field_types`.
"""

from __future__ import annotations

from qgis.core import Qgis

QGIS_VERSION = Qgis.versionInt()

if QGIS_VERSION >= 33400:
    LayerFilter = Qgis.LayerFilter
else:
    from qgis.core import QgsMapLayerProxyModel

    LayerFilter = QgsMapLayerProxyModel.Filter
