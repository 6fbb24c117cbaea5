"""The plugin loads through QGIS's own plugin machinery, toggles its dock, and unloads cleanly."""

from __future__ import annotations

import sys

import pytest
import qgis.utils
from qgis.PyQt.QtCore import QCoreApplication, QEvent
from qgis.PyQt.QtWidgets import QAction, QDockWidget

from conftest import PKG_PARENT
from support.qgis_shell import MainWindowIface

PLUGIN = "scene_picker"


def _flush_deletes() -> None:
    for _ in range(3):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        QCoreApplication.processEvents()


@pytest.fixture
def shell_iface(qgis_iface, qgis_canvas, monkeypatch):
    """A main window as QGIS has it, and a plugin package that QGIS imports itself.

    Other tests import ``scene_picker`` too; QGIS only tracks (and unloads) the modules that its own
    import hook sees, so the test's copies are set aside while QGIS loads its own, then put back.
    """
    saved = {n: m for n, m in sys.modules.items() if n == PLUGIN or n.startswith(PLUGIN + ".")}
    for name in saved:
        del sys.modules[name]
    iface = MainWindowIface(qgis_canvas, qgis_iface.messageBar())
    monkeypatch.setattr(qgis.utils, "iface", iface)
    # QGIS discovers plugins by scanning its plugin paths for folders holding a metadata.txt.
    monkeypatch.setattr(qgis.utils, "plugin_paths", [str(PKG_PARENT)])
    qgis.utils.updateAvailablePlugins()
    assert PLUGIN in qgis.utils.available_plugins
    iface.window.show()
    yield iface
    if PLUGIN in qgis.utils.active_plugins:
        qgis.utils.unloadPlugin(PLUGIN)
    for name in _plugin_modules():
        del sys.modules[name]
    sys.modules.update(saved)
    iface.window.close()
    iface.window.deleteLater()
    _flush_deletes()


def _plugin_modules() -> list[str]:
    return [n for n in sys.modules if n == PLUGIN or n.startswith(PLUGIN + ".")]


def _our_actions(iface: MainWindowIface) -> list[QAction]:
    return iface.window.findChildren(QAction, "ScenePickerToggleAction")


def _our_docks(iface: MainWindowIface) -> list[QDockWidget]:
    return [d for d in iface.window.findChildren(QDockWidget) if d.objectName() == "ScenePickerDock"]


def test_plugin_loads_toggles_dock_and_unloads_cleanly(shell_iface):
    assert qgis.utils.loadPlugin(PLUGIN), "QGIS could not import the plugin package"
    assert qgis.utils.startPlugin(PLUGIN), "classFactory/initGui failed"
    assert PLUGIN in qgis.utils.active_plugins

    (action,) = _our_actions(shell_iface)
    (dock,) = _our_docks(shell_iface)
    assert dock.windowTitle() == "Scene Picker"
    assert action in shell_iface.web_toolbar.actions()
    web_menu = shell_iface.web_menu()
    assert web_menu is not None
    (sub,) = [a.menu() for a in web_menu.actions() if a.menu() and a.menu().title() == "Scene Picker"]
    assert action in sub.actions()

    assert not dock.isVisible()
    action.trigger()
    QCoreApplication.processEvents()
    assert dock.isVisible()
    assert action.isChecked()
    action.trigger()
    QCoreApplication.processEvents()
    assert not dock.isVisible()
    assert not action.isChecked()

    # Closing the dock by its own close button unchecks the action.
    action.trigger()
    QCoreApplication.processEvents()
    dock.close()
    QCoreApplication.processEvents()
    assert not action.isChecked()

    assert qgis.utils.unloadPlugin(PLUGIN)
    _flush_deletes()
    assert PLUGIN not in qgis.utils.active_plugins
    assert _our_actions(shell_iface) == []
    assert _our_docks(shell_iface) == []
    assert shell_iface.web_toolbar.actions() == []
    assert shell_iface.web_menu() is None, "the Web menu entry was left behind"
    # QGIS removes the modules it saw the plugin import; one it did not see would survive a plugin
    # reload and keep stale state (e.g. the provider registry).
    assert _plugin_modules() == []


def test_reloaded_plugin_sees_every_provider(shell_iface):
    for _ in range(2):
        assert qgis.utils.loadPlugin(PLUGIN) and qgis.utils.startPlugin(PLUGIN)
        registry = sys.modules[PLUGIN + ".providers.registry"]
        names = {info.name for info in registry.list_providers()}
        assert {"stac", "cdse", "geodes", "terrascope", "cmr", "usgs", "planet"} <= names
        assert qgis.utils.unloadPlugin(PLUGIN)
        _flush_deletes()
        assert _plugin_modules() == []
