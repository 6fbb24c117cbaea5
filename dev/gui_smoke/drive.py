"""Drives Scene Picker inside a real QGIS desktop (``qgis --code dev/gui_smoke/drive.py``), for
``make gui-smoke`` (dev/gui_smoke/run.sh starts QGIS under Xvfb with a throw-away profile).

Steps, each followed by a screenshot of the whole screen (``import -window root``) in
``$SMOKE_OUT``: search the demo catalog (served here, on loopback, by ``demo/server.py``), select the
least cloudy scene, download two bands of its zipped product by member patterns (the Downloads tab
while they arrive, then the bands on the map), stream a third band by pattern, build an RGB composite
of three members, wait 45 s (QGIS's idle task threads expire after 30 s) and check that every band still
draws. Writes ``result.json`` (steps, failures, Python errors QGIS logged, ResourceWarnings of HTTP
sessions left open) and quits QGIS.
"""

from __future__ import annotations

import gc
import importlib.util
import json
import os
import subprocess
import sys
import time
import traceback
import warnings
from pathlib import Path

from qgis.core import (
    Qgis,
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsGeometry,
    QgsMapRendererParallelJob,
    QgsProject,
    QgsRectangle,
)
from qgis.PyQt.QtCore import QDate, QDateTime, QSize, Qt, QTime, QTimer
from qgis.PyQt.QtGui import QColor
from qgis.utils import iface, plugins

OUT = Path(os.environ["SMOKE_OUT"])
CATALOG = Path(os.environ["SMOKE_CATALOG"])
SERVER_PY = Path(os.environ["SMOKE_SERVER_PY"])
AOI = (1.35, 43.59, 1.39, 43.62)
SCENE = "S2A_MSIL2A_20240603T105621_N0510_R051_T31TDJ_20240603T135959"  # 0 % cloud
DOCK_WIDTH = 360
STILL_DRAWN_AFTER = 45.0  # seconds: QGIS's pooled task threads expire after 30 s idle
WGS84 = QgsCoordinateReferenceSystem("EPSG:4326")

result: dict = {
    "steps": [],
    "failures": [],
    "python_errors": [],
    "resource_warnings": [],
    "layers": {},
    "ok": False,
}


def on_log(message: str, tag: str, level) -> None:
    if tag == "Python error" or (tag == "Scene Picker" and level == Qgis.MessageLevel.Critical):
        result["python_errors"].append(f"[{tag}] {message}")


QgsApplication.messageLog().messageReceived.connect(on_log)

_show_warning = warnings.showwarning


def on_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Record ResourceWarnings (an HTTP session left open: ``unclosed <socket…>``), then log as QGIS does."""
    if issubclass(category, ResourceWarning):
        result["resource_warnings"].append(f"{message} ({filename}:{lineno})")
    _show_warning(message, category, filename, lineno, file, line)


warnings.simplefilter("always", ResourceWarning)
warnings.showwarning = on_warning


def shot(name: str) -> None:
    QgsApplication.processEvents()
    iface.mapCanvas().refresh()
    path = OUT / f"{len(result['steps']):02d}-{name}.png"
    subprocess.run(["import", "-window", "root", str(path)], check=False, timeout=60)
    result["steps"].append({"step": name, "screenshot": path.name, "t": round(time.monotonic() - START, 1)})
    save()


def save() -> None:
    (OUT / "result.json").write_text(json.dumps(result, indent=1))


def fail(text: str) -> None:
    result["failures"].append(text)
    save()


def wait(condition, timeout: float, what: str):
    """A step of the scenario: poll ``condition`` (each 0.2 s, the event loop running) up to ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except Exception:  # noqa: BLE001 - a condition may raise until the UI is there
            pass
        yield
    fail(f"timed out ({timeout:g} s): {what}")
    return False


def scene_group():
    root = QgsProject.instance().layerTreeRoot().findGroup("Scene Picker")
    return root.findGroup(SCENE) if root is not None else None


def scene_layers() -> dict:
    group = scene_group()
    return {node.layer().name(): node.layer() for node in group.findLayers()} if group else {}


def drawn_share(layer) -> float:
    """Render ``layer`` alone with the canvas's settings (EPSG:4326) over white: share of drawn pixels."""
    settings = iface.mapCanvas().mapSettings()
    settings.setLayers([layer])
    transform = QgsCoordinateTransform(layer.crs(), settings.destinationCrs(), QgsProject.instance())
    settings.setExtent(transform.transformBoundingBox(layer.extent()))
    settings.setOutputSize(QSize(100, 100))
    settings.setBackgroundColor(QColor("white"))
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    white = QColor("white").rgb()
    drawn = sum(image.pixel(x, y) != white for y in range(image.height()) for x in range(image.width()))
    return drawn / (image.width() * image.height())


def zoom_to_scene() -> None:
    layers = list(scene_layers().values())
    if not layers:
        return
    iface.layerTreeView().expandAll()  # the Layers panel lists the bands in the screenshots
    transform = QgsCoordinateTransform(layers[0].crs(), WGS84, QgsProject.instance())
    box = transform.transformBoundingBox(layers[0].extent())
    box.scale(1.3)
    iface.mapCanvas().setExtent(box)
    iface.mapCanvas().refresh()


def scenario():
    # -- QGIS is up, the plugin is loaded from the profile ------------------------------------------------
    yield from wait(lambda: "scene_picker" in plugins and iface.mainWindow().isVisible(), 60, "plugin loaded")
    plugin = plugins["scene_picker"]
    iface.mainWindow().showMaximized()
    spec = importlib.util.spec_from_file_location("demo_server", SERVER_PY)
    module = importlib.util.module_from_spec(spec)
    sys.modules["demo_server"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    server = module.RangeServer(CATALOG).start()
    result["catalog"] = server.url_for("catalog.json")

    from scene_picker.ui import settings as plugin_settings
    from scene_picker.ui.dock import TAB_DOWNLOADS

    plugin_settings.write_setting("providers/stac-static/url", server.url_for("catalog.json"))
    plugin_settings.write_setting(plugin_settings.OUTPUT_DIR, str(OUT / "downloads"))
    QgsProject.instance().setCrs(WGS84)  # the project of the "bands go blank" report
    iface.mapCanvas().setDestinationCrs(WGS84)
    plugin.action.trigger()
    dock = plugin.dock
    yield from wait(dock.isVisible, 10, "dock shown")
    iface.mainWindow().resizeDocks([dock], [DOCK_WIDTH], Qt.Orientation.Horizontal)

    # -- search ---------------------------------------------------------------------------------------
    form = dock.form
    for info in dock.providers:
        form.set_checked(info.name, info.name == "stac-static")
    form.set_dates(
        QDateTime(QDate(2024, 6, 1), QTime(0, 0), Qt.TimeSpec.UTC),
        QDateTime(QDate(2024, 6, 30), QTime(23, 59), Qt.TimeSpec.UTC),
    )
    dock.aoi.set_aoi(QgsGeometry.fromRect(QgsRectangle(*AOI)), WGS84)
    iface.mapCanvas().setExtent(QgsRectangle(1.2, 43.5, 1.55, 43.72))
    yield
    shot("search-form")
    if dock.start_search() is None:
        fail("the search did not start")
        return
    yield from wait(lambda: dock.search_task is None, 60, "search finished")
    found = dock.model.rowCount()
    result["scenes_found"] = found
    if not found:
        fail(f"the search found nothing: {dock.search_status.text()}")
        return
    shot("results")

    # -- select the least cloudy scene, download two bands by pattern ------------------------------------
    from scene_picker.ui.results_model import scene_key

    keys = {scene_key(s): s for s in dock.model.scenes()}
    key = next((k for k, s in keys.items() if s.id == SCENE), None)
    if key is None:
        fail(f"{SCENE} is not among the results")
        return
    dock.table.selectRow(dock.proxy.proxy_row_of(key))
    yield
    dock.set_checked_assets(["archive"])
    dock.members_edit.setText("*_B04_20m.tif, *_B08_20m.tif")
    shot("selected")
    server.chunk_delay = 0.8  # a slow link: the Downloads tab shows the progress while the bands arrive
    if not dock.download_selected():
        fail("Download queued nothing")
        return
    moving = lambda: any(j.state == "active" and j.done > 0 for j in dock.downloads.jobs())  # noqa: E731
    yield from wait(moving, 30, "download progress")
    bar_text = lambda: dock.queue_panel.bar_text(dock.queue_panel.job_ids()[0])  # noqa: E731
    yield from wait(lambda: "%" in bar_text(), 10, "progress text")
    shot("downloading")
    result["progress_text"] = bar_text()
    yield from wait(lambda: {"B04", "B08"} <= set(scene_layers()), 60, "downloaded bands B04, B08 loaded")
    server.chunk_delay = 0.0
    dock.tabs.setCurrentIndex(TAB_DOWNLOADS)
    zoom_to_scene()
    yield
    shot("downloaded")

    # -- stream a band, then an RGB composite, out of the remote zip --------------------------------------
    dock.tabs.setCurrentIndex(1)
    dock.set_checked_assets(["archive"])
    dock.members_edit.setText("*_B03_20m.tif")
    if dock.stream_selected() is None:
        fail("Stream did not start")
    yield from wait(lambda: "B03" in scene_layers(), 60, "streamed band B03 loaded")
    yield
    shot("streamed")
    dock.members_edit.setText("*_B04_20m.tif, *_B03_20m.tif, *_B02_20m.tif")
    if dock.rgb_selected() is None:
        fail("RGB did not start")
    rgb_name = f"{SCENE} RGB"
    yield from wait(lambda: rgb_name in scene_layers(), 60, "RGB composite loaded")
    loaded = time.monotonic()
    yield
    shot("rgb")

    # -- 45 s later every band still draws ---------------------------------------------------------------
    yield from wait(lambda: time.monotonic() - loaded >= STILL_DRAWN_AFTER, STILL_DRAWN_AFTER + 10, "wait")
    iface.mapCanvas().refresh()
    yield
    yield
    shot("after-45s")
    for name in ("B04", "B08", "B03", rgb_name):
        layer = scene_layers().get(name)
        share = drawn_share(layer) if layer is not None else 0.0
        result["layers"][name] = {"source": layer.source() if layer else None, "drawn": round(share, 3)}
        if share < 0.5:
            fail(f"{name} draws {share:.0%} of its extent {STILL_DRAWN_AFTER:g} s after loading")
    server.stop()


def run() -> None:
    steps = scenario()
    timer = QTimer(iface.mainWindow())

    def tick() -> None:
        try:
            next(steps)
        except StopIteration:
            timer.stop()
            finish()
        except Exception:  # noqa: BLE001 - recorded, and the smoke test fails
            timer.stop()
            fail(traceback.format_exc())
            finish()

    timer.timeout.connect(tick)
    timer.start(200)


def finish() -> None:
    gc.collect()  # a session nobody closed warns now
    result["ok"] = not (result["failures"] or result["python_errors"] or result["resource_warnings"])
    save()
    QgsProject.instance().clear()  # no "save the project?" nor "scratch layers will be lost" question
    QTimer.singleShot(500, iface.actionExit().trigger)


START = time.monotonic()
OUT.mkdir(parents=True, exist_ok=True)
run()
