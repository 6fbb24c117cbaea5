"""Widget makers the dock and the dialogs share: a button is named (tests and the GUI smoke find it by
its object name), labelled, explained on hover and connected in one call."""

from __future__ import annotations

from typing import Callable, Optional

from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtWidgets import QPushButton, QToolButton, QWidget


def push_button(
    parent: QWidget, name: str, text: str, slot: Optional[Callable] = None, tooltip: str = ""
) -> QPushButton:
    """A push button ``name`` showing ``text`` (and ``tooltip`` on hover) that calls ``slot`` when clicked."""
    button = QPushButton(text, parent)
    button.setObjectName(name)
    if tooltip:
        button.setToolTip(tooltip)
    if slot is not None:
        button.clicked.connect(slot)
    return button


def tool_button(parent: QWidget, name: str, text: str, icon: str, slot: Callable) -> QToolButton:
    """An icon-only tool button ``name`` with QGIS's theme ``icon`` (``text`` on hover) calling ``slot``."""
    from qgis.core import QgsApplication

    button = QToolButton(parent)
    button.setObjectName(name)
    button.setText(text)
    button.setToolTip(text)
    button.setIcon(QgsApplication.getThemeIcon(icon))
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
    button.clicked.connect(slot)
    return button
