"""Bounded waits for the UI tests: spin the Qt event loop until a condition holds or a deadline passes."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Callable, Iterator

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


@contextlib.contextmanager
def private_qgis_settings(folder: Path) -> Iterator[Path]:
    """Point QgsSettings at a private ini under ``folder`` for the duration (pytest-qgis keeps one
    settings file in the work tree, shared by every test run on the machine at the same time)."""
    from qgis.core import QgsSettings
    from qgis.PyQt.QtCore import QSettings

    original = Path(QgsSettings().fileName()).parent.parent  # <path>/QGIS/QGIS3.ini
    fmt, scope = QSettings.Format.IniFormat, QSettings.Scope.UserScope
    QSettings.setPath(fmt, scope, str(folder))
    try:
        yield Path(QgsSettings().fileName())
    finally:
        QSettings.setPath(fmt, scope, str(original))


def clear_plugin_settings() -> None:
    """Forget every ``scene_picker/...`` QgsSettings key (pytest-qgis keeps its settings file in the
    work tree: tests must not leave state there for the next run)."""
    from qgis.core import QgsSettings

    settings = QgsSettings()
    settings.remove("scene_picker")
    settings.sync()


def check_test_login(dialog, bad: str, good: str) -> None:
    """The settings dialog's *Test login* on its current provider: with the ``bad`` secret typed it checks
    in the background and says the login failed without showing the secret; with ``good`` it succeeds."""
    dialog.secret_edit.setText(bad)
    assert dialog.test_login() is not None  # stores what was typed, then checks it in the background
    assert dialog.login_label.text() == "Testing…"
    assert wait_until(lambda: dialog.login_label.text() != "Testing…", 30)
    assert dialog.login_label.text().startswith("Login failed:")
    assert bad not in dialog.login_label.text()

    dialog.secret_edit.setText(good)
    assert dialog.test_login() is not None
    assert wait_until(lambda: dialog.login_label.text() != "Testing…", 30)
    assert dialog.login_label.text() == "Login succeeded."
