"""The Scene Picker dock widget (the panel that hosts the search form, results and downloads)."""

from __future__ import annotations

from qgis.gui import QgsDockWidget
from qgis.PyQt.QtCore import QCoreApplication, Qt
from qgis.PyQt.QtWidgets import QLabel, QVBoxLayout, QWidget

DOCK_OBJECT_NAME = "ScenePickerDock"


class ScenePickerDock(QgsDockWidget):
    """Titled dock with a stable object name so QGIS restores its position between sessions."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Scene Picker"), parent)
        self.setObjectName(DOCK_OBJECT_NAME)
        self.setAllowedAreas(Qt.DockWidgetArea.LeftDockWidgetArea | Qt.DockWidgetArea.RightDockWidgetArea)
        body = QWidget(self)
        layout = QVBoxLayout(body)
        self.placeholder = QLabel(self.tr("Draw an area of interest, then search."), body)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.placeholder)
        self.setWidget(body)

    def tr(self, text: str) -> str:  # noqa: D401 - Qt naming
        return QCoreApplication.translate("ScenePickerDock", text)

    def close_panel(self) -> None:
        """Stop whatever the panel runs before it is removed (tasks, map tools); none yet."""
