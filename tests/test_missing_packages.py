"""First start on a QGIS without shapely, pyproj or keyring (Debian's and Ubuntu's ``qgis`` package does
not pull them in): QGIS itself loads the plugin in a fresh process whose imports of those packages are
blocked. No traceback; one message bar entry naming what is missing and the install command; only what
needs the missing package is turned off."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import PKG_PARENT

pytestmark = pytest.mark.qgis

CHILD = r"""
import json, sys

blocked = set(filter(None, sys.argv[1].split(",")))


class Blocker:
    # an import finder that refuses the blocked packages, as if they were not installed
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in blocked:
            raise ModuleNotFoundError(f"No module named {name!r}")
        return None


sys.meta_path.insert(0, Blocker())
sys.path[:0] = [sys.argv[2]]

from qgis.core import QgsApplication

app = QgsApplication([], True)
app.initQgis()
import qgis.utils
from qgis.gui import QgsMapCanvas, QgsMessageBar

from qgis.PyQt.QtWidgets import QMainWindow


class Iface:
    # the part of QgisInterface the plugin uses at start-up, on a real main window
    def __init__(self):
        self.window, self.canvas, self.bar = QMainWindow(), QgsMapCanvas(), QgsMessageBar()

    def mainWindow(self):
        return self.window

    def mapCanvas(self):
        return self.canvas

    def messageBar(self):
        return self.bar

    def addDockWidget(self, area, dock):
        self.window.addDockWidget(area, dock)

    def removeDockWidget(self, dock):
        self.window.removeDockWidget(dock)

    def addWebToolBarIcon(self, action):
        pass

    def removeWebToolBarIcon(self, action):
        pass

    def addPluginToWebMenu(self, name, action):
        pass

    def removePluginWebMenu(self, name, action):
        pass


shown = []
qgis.utils.showException = lambda *args, **kwargs: shown.append(repr(args[:2]))
iface = Iface()
bar = iface.bar
qgis.utils.iface = iface
qgis.utils.plugin_paths = [sys.argv[2]]
qgis.utils.updateAvailablePlugins()
loaded = qgis.utils.loadPlugin("scene_picker") and qgis.utils.startPlugin("scene_picker")
plugin = qgis.utils.plugins.get("scene_picker")
messages = [f"{item.title()}: {item.text()}" for item in bar.items()]
action = plugin.action if plugin else None
result = {
    "loaded": bool(loaded),
    "exceptions": shown,
    "messages": messages,
    "dock": plugin is not None and plugin.dock is not None,
    "action_enabled": action is not None and action.isEnabled(),
    "processing": QgsApplication.processingRegistry().providerById("scenepicker") is not None,
    "blocked_imported": sorted(n for n in sys.modules if n.split(".")[0] in blocked),
}
if plugin is not None and plugin.dock is not None:
    dock = plugin.dock
    dock.form.set_checked("stac", True)
    result["badge"] = dict(dock.form.read_badges()).get("cdse")
unloaded = qgis.utils.unloadPlugin("scene_picker")
result["unloaded"] = bool(unloaded)
print("RESULT " + json.dumps(result))
app.exitQgis()
"""


def _start_without(blocked: tuple[str, ...], tmp_path: Path) -> dict:
    env = dict(os.environ, HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"))
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"  # never a real keyring
    done = subprocess.run(
        [sys.executable, "-c", CHILD, ",".join(blocked), str(PKG_PARENT)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, f"rc={done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    return json.loads(lines[-1][len("RESULT ") :])


def test_without_shapely_pyproj_and_keyring_the_plugin_loads_and_says_what_to_install(tmp_path):
    result = _start_without(("shapely", "pyproj", "keyring"), tmp_path)
    assert result["loaded"] and result["unloaded"] and result["exceptions"] == []
    assert result["blocked_imported"] == []
    (message,) = result["messages"]  # one entry
    assert "shapely, pyproj, keyring" in message
    if Path("/etc/debian_version").exists():
        assert "apt install python3-shapely python3-pyproj python3-keyring" in message
    assert not result["dock"] and not result["action_enabled"] and not result["processing"]


def test_without_keyring_only_the_keyring_is_off(tmp_path):
    result = _start_without(("keyring",), tmp_path)
    assert result["loaded"] and result["unloaded"] and result["exceptions"] == []
    (message,) = result["messages"]
    assert "Missing Python package(s): keyring." in message and "authentication database" in message
    assert "shapely" not in message
    assert result["dock"] and result["action_enabled"] and result["processing"]
    assert result["badge"] == "no-keyring"  # an account provider says so; the others work


def test_without_pyproj_the_dock_and_processing_stay(tmp_path):
    result = _start_without(("pyproj",), tmp_path)
    assert result["loaded"] and result["exceptions"] == []
    (message,) = result["messages"]
    assert "pyproj" in message and "EPSG:4326" in message
    assert result["dock"] and result["action_enabled"] and result["processing"]


def test_install_hints_per_platform():
    from scene_picker.ui.dependencies import install_hint

    assert install_hint(["shapely", "keyring"], "debian") == (
        "in a terminal: sudo apt install python3-shapely python3-keyring"
    )
    assert install_hint(["pyproj"], "windows") == "in the OSGeo4W Shell: python -m pip install pyproj"
    assert "QGIS.app/Contents/MacOS/bin/python3 -m pip install keyring" in install_hint(["keyring"], "macos")
