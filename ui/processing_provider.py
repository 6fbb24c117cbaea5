"""The Scene Picker Processing provider (id ``scenepicker``) with its two algorithms:
"Search scenes" (``scenepicker:searchscenes``) and "Download scenes" (``scenepicker:downloadscenes``).

The plugin adds it to QGIS's processing registry in ``initProcessing`` and removes it in ``unload``.
"""

from __future__ import annotations

from qgis.core import QgsProcessingProvider
from qgis.PyQt.QtCore import QCoreApplication
from qgis.PyQt.QtGui import QIcon

from .processing_common import ICON

PROVIDER_ID = "scenepicker"


class ScenePickerProcessingProvider(QgsProcessingProvider):
    def id(self) -> str:
        return PROVIDER_ID

    def name(self) -> str:
        return QCoreApplication.translate("ScenePickerProcessing", "Scene Picker")

    def longName(self) -> str:
        return QCoreApplication.translate(
            "ScenePickerProcessing", "Scene Picker: search and download satellite scenes"
        )

    def icon(self) -> QIcon:
        return QIcon(str(ICON))

    def loadAlgorithms(self) -> None:
        from .processing_download import DownloadScenesAlgorithm
        from .processing_search import SearchScenesAlgorithm

        self.addAlgorithm(SearchScenesAlgorithm())
        self.addAlgorithm(DownloadScenesAlgorithm())
