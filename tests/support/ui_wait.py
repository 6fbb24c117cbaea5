"""Bounded waits for the UI tests: spin the Qt event loop until a condition holds or a deadline passes."""

from __future__ import annotations

import time
from typing import Callable

from qgis.core import QgsApplication


def wait_until(condition: Callable[[], bool], timeout: float = 20.0, step: float = 0.01) -> bool:
    """Process events until ``condition()`` is true; False when ``timeout`` seconds passed first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        QgsApplication.processEvents()
        if condition():
            return True
        time.sleep(step)
    QgsApplication.processEvents()
    return bool(condition())


def wait_for_tasks(timeout: float = 30.0) -> bool:
    """Wait until QGIS's task manager has no active task left."""
    manager = QgsApplication.taskManager()
    return wait_until(lambda: manager.countActiveTasks() == 0, timeout)


def clear_plugin_settings() -> None:
    """Forget every ``scene_picker/...`` QgsSettings key (pytest-qgis keeps its settings file in the
    work tree: tests must not leave state there for the next run)."""
    from qgis.core import QgsSettings

    settings = QgsSettings()
    settings.remove("scene_picker")
    settings.sync()
