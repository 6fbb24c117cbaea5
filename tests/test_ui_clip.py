"""The dock's "Clip to area" in headless QGIS, through the real plugin code: a static STAC catalog on
loopback nginx whose items (three dates) point at COGs; search, draw an AOI, tick "Clip to area",
Download: each date's band is fetched by window, loaded with its acquisition time as its temporal
range, the footprints become temporal, and the temporal controller's range covers the dates.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsGeometry,
    QgsProject,
    QgsRasterLayer,
    QgsTemporalNavigationObject,
    QgsTemporalUtils,
)
from qgis.PyQt.QtCore import QDate, QDateTime, Qt, QTime
from shapely import wkt
from shapely.geometry import shape

from scene_picker.core.clip import WINDOWED, read_record
from scene_picker.core.export import AOI_MEMBER
from scene_picker.ui import settings
from scene_picker.ui.dock import ScenePickerDock
from scene_picker.ui.footprints import GROUP_NAME
from scene_picker.ui.providers_info import endpoint_setting

from support.cog import aoi_lonlat, window_read, write_cog_catalog
from support.nginx import NginxServer
from support.ui_wait import clear_plugin_settings, private_qgis_settings, wait_until

pytestmark = [pytest.mark.qgis]

DAYS = ("2023-05-02T10:20:00Z", "2023-05-12T10:20:00Z", "2023-05-22T10:20:00Z")
AOI = aoi_lonlat(300, 200, 600, 500)
WINDOW = (300, 200, 300, 300)
_CONTROLLERS: list[QgsTemporalNavigationObject] = []


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    root = tmp_path_factory.mktemp("ui-clip")
    with NginxServer(root) as server:
        write_cog_catalog(root, server.url(""), DAYS)
        yield server, root


def test_clip_to_area_loads_dated_layers_the_temporal_controller_plays(
    catalog, qgis_iface, qgis_new_project, tmp_path
):
    server, root = catalog
    with private_qgis_settings(tmp_path / "qgis-settings"):
        clear_plugin_settings()
        settings.write_setting(endpoint_setting("stac-static"), server.url("catalog.json"))
        settings.write_setting(settings.OUTPUT_DIR, str(tmp_path / "downloads"))
        canvas = qgis_iface.mapCanvas()
        controller = QgsTemporalNavigationObject()  # what QGIS's Temporal Controller panel gives the canvas
        # the canvas keeps a plain pointer to it, and outlives this test: keep it alive as long
        _CONTROLLERS.append(controller)
        canvas.setTemporalController(controller)
        dock = ScenePickerDock(iface=qgis_iface)
        try:
            _run(dock, controller, root, tmp_path)
        finally:
            dock.close_panel()
            if dock.downloads is not None:
                dock.downloads.wait_idle(20)
            dock.deleteLater()
            clear_plugin_settings()
            # no time filter on the shared canvas for the tests that follow
            controller.setNavigationMode(QgsTemporalNavigationObject.NavigationMode.NavigationOff)


def _run(dock: ScenePickerDock, controller: QgsTemporalNavigationObject, root: Path, tmp_path: Path) -> None:
    form = dock.form
    for name in form.checked_providers():
        form.set_checked(name, False)
    form.set_checked("stac-static", True)
    form.set_dates(
        QDateTime(QDate(2023, 5, 1), QTime(0, 0), Qt.TimeSpec.UTC),
        QDateTime(QDate(2023, 5, 31), QTime(23, 59), Qt.TimeSpec.UTC),
    )
    dock.aoi.set_aoi(QgsGeometry.fromWkt(AOI), QgsCoordinateReferenceSystem("EPSG:4326"))
    assert dock.start_search() is not None
    assert wait_until(lambda: dock.search_task is None, 60), "the search did not finish"
    assert dock.model.rowCount() == 3
    dock.table.selectRow(0)  # the current scene: its assets are listed
    dock.set_checked_assets(["B04"])
    dock.table.selectAll()
    dock.clip_check.setChecked(True)
    tasks = dock.download_selected()
    assert len(tasks) == 3
    manager = dock.downloads
    assert wait_until(lambda: len(manager.jobs()) == 3 and all(j.state == "done" for j in manager.jobs()), 60)
    group = lambda: QgsProject.instance().layerTreeRoot().findGroup(GROUP_NAME)  # noqa: E731
    layers = lambda: [n.layer() for n in group().findLayers() if isinstance(n.layer(), QgsRasterLayer)]  # noqa: E731
    assert wait_until(lambda: len(layers()) == 3, 30), "the clipped bands were not loaded"

    for layer in layers():
        path = Path(layer.source())
        assert path.name.endswith("_B04.clip.tif")
        record = read_record(path)
        assert record["method"] == WINDOWED and record["window"] == list(WINDOW)
        source = root / path.name.replace(".clip.tif", ".tif")
        assert window_read(path) == window_read(source, WINDOW)
        properties = layer.temporalProperties()
        assert properties.isActive()
        when = properties.fixedTemporalRange().begin().toUTC().toString(Qt.DateFormat.ISODate)
        assert when == record["datetime"].replace("+00:00", "Z")
    footprints = dock.footprints.layer()
    assert footprints.temporalProperties().isActive()
    whole = QgsTemporalUtils.calculateTemporalRangeForProject(QgsProject.instance())
    extents = controller.temporalExtents()
    for when in DAYS:
        moment = QDateTime.fromString(when, Qt.DateFormat.ISODate)
        assert whole.contains(moment) and extents.contains(moment)
        assert QgsProject.instance().timeSettings().temporalRange().contains(moment)
    assert controller.navigationMode() == QgsTemporalNavigationObject.NavigationMode.Animated
    # each frame (one day) shows only that date's band
    frames = [controller.dateTimeRangeForFrameNumber(i) for i in range(controller.totalFrameCount())]
    showing = [
        [layer.name() for layer in layers() if layer.temporalProperties().isVisibleInTemporalRange(frame)]
        for frame in frames
    ]
    assert {name for names in showing for name in names} == {layer.name() for layer in layers()}
    assert all(len(names) <= 1 for names in showing)

    # the dock's GeoJSON export records the AOI, for 'scene-picker download --clip'
    exported = tmp_path / "scenes.geojson"
    assert dock.export_results(exported) is not None
    assert wait_until(lambda: exported.is_file() and exported.read_text().endswith("}\n"), 20)
    recorded = shape(json.loads(exported.read_text())[AOI_MEMBER])
    assert recorded.equals_exact(wkt.loads(AOI), 1e-7)
