"""The dock with a provider that needs a login: the Terrascope emulator (OpenSearch catalogue, OpenID
tokens, band files) searched, downloaded and streamed from the dock, the account coming from the keyring.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from qgis.core import Qgis, QgsProject
from qgis.PyQt.QtCore import QDate, QDateTime, Qt, QTime

from scene_picker.core.credentials import delete_credentials, store_credentials
from scene_picker.ui import settings
from scene_picker.ui.dock import ScenePickerDock
from scene_picker.ui.footprints import GROUP_NAME
from scene_picker.ui.layers import is_raster_candidate

from support.dock_queue import forget_dock_queue
from support.terrascope_emulator import NDVI, TerrascopeEmulator, make_product
from support.ui_wait import clear_plugin_settings, private_qgis_settings, wait_until

pytestmark = [pytest.mark.qgis, pytest.mark.slow]

USER, PASSWORD = "dock-user", "dock-Pa55word-7"


@pytest.fixture()
def terrascope_dock(qgis_iface, qgis_new_project, tmp_path):
    with private_qgis_settings(tmp_path / "qgis-settings"):
        clear_plugin_settings()
        forget_dock_queue()
        products = [make_product(NDVI, i) for i in range(4)]
        with TerrascopeEmulator(products, users={USER: PASSWORD}) as emulator:
            settings.write_setting("providers/terrascope/url", emulator.base_url)
            settings.write_setting("providers/terrascope/options", f"token_url={emulator.token_url}")
            settings.write_setting(settings.OUTPUT_DIR, str(tmp_path / "downloads"))
            store_credentials("terrascope", USER, PASSWORD)
            dock = ScenePickerDock(iface=qgis_iface)
            assert dock.form.badge_of("terrascope") is None  # no keyring access until the panel shows
            dock.show()
            assert dock.form.badge_of("terrascope") is None  # not read on the main thread by show()
            try:
                yield dock, emulator
            finally:
                dock.close_panel()
                if dock.downloads is not None:
                    dock.downloads.wait_idle(20)
                dock.deleteLater()
                delete_credentials("terrascope")
                clear_plugin_settings()


def test_search_download_and_stream_with_a_login(terrascope_dock, qgis_iface):
    dock, emulator = terrascope_dock
    # the keyring is read in a background task when the panel shows (it may be slow or prompt)
    assert wait_until(lambda: dock.form.badge_of("terrascope") == "ok", 10)
    dock.form.set_checked("terrascope")
    dock.form.set_scope("terrascope", collections=NDVI)
    dock.form.set_dates(
        QDateTime(QDate(2023, 5, 1), QTime(0, 0), Qt.TimeSpec.UTC),
        QDateTime(QDate(2023, 7, 1), QTime(0, 0), Qt.TimeSpec.UTC),
    )
    dock.form.set_cloud_range(0, 100)
    assert dock.start_search() is not None
    assert wait_until(lambda: dock.search_task is None, 30)
    assert sorted(s.id for s in dock.model.scenes()) == sorted(p.id for p in emulator.products)
    assert dock.footprints.layer().featureCount() == len(emulator.products)

    # download the data band of one product through the queue (signed in with the keyring's account)
    dock.table.selectRow(0)
    scene = dock.current_scene()
    product = next(p for p in emulator.products if p.id == scene.id)
    data_keys = [a.key for a in scene.assets.values() if "data" in a.roles]
    dock.set_checked_assets(data_keys)
    before = set(dock.queue_panel.job_ids())
    dock.download_selected()
    assert wait_until(lambda: set(dock.queue_panel.job_ids()) - before, 20)
    (job_id,) = set(dock.queue_panel.job_ids()) - before
    assert wait_until(lambda: dock.queue_panel.state_of(job_id) in ("done", "failed", "cancelled"), 60)
    job = dock.downloads.job(job_id)
    assert job.state == "done", job.error
    expected = [f.content for f in product.files if f.kind == "data"]
    assert [Path(p).read_bytes() for p in job.files] == expected
    group_of = lambda: QgsProject.instance().layerTreeRoot().findGroup(GROUP_NAME).findGroup(scene.id)  # noqa: E731
    rasters = [p for p in job.files if is_raster_candidate(Path(p))]
    assert rasters
    # the bands are opened in a background task, then added under the scene's group
    assert wait_until(lambda: group_of() is not None and len(group_of().findLayers()) == len(rasters), 20)
    group = group_of()
    assert all(n.layer().isValid() for n in group.findLayers())

    # streaming a login-protected band: only when GDAL can scope the token to that one server
    from osgeo import gdal

    bar = qgis_iface.messageBar()
    bar.clear_messages()
    dock.set_checked_assets(data_keys[:1])
    layers_before = len(group.findLayers())
    assert dock.stream_selected() is not None
    if int(gdal.VersionInfo("VERSION_NUM")) >= 3070000:
        assert wait_until(lambda: len(group.findLayers()) == layers_before + 1, 30)
        assert all(n.layer().isValid() for n in group.findLayers())
    else:
        assert wait_until(lambda: bar.get_messages(Qgis.MessageLevel.Warning), 30)
        (warning,) = bar.get_messages(Qgis.MessageLevel.Warning)
        assert "GDAL 3.7" in warning and PASSWORD not in warning
        assert gdal.GetConfigOption("GDAL_HTTP_HEADERS") is None  # no token left process-wide
        assert len(group.findLayers()) == layers_before
