"""Quitting QGIS during a download keeps it for the next start (issue 14, bug 2).

QGIS's File ▸ Exit cancels every task (``QgsTaskManager.cancelAll``), then the event loop ends
(``aboutToQuit``) and the plugin unloads. A download stopped that way is saved as interrupted, resumes at
the next start and the message bar says so with a button opening the Downloads tab. A cancel of the
download's task in QGIS's task list while QGIS keeps running still cancels it for good. The band is
served by nginx at a limited rate, so the download lasts a few seconds.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import qgis.utils
from qgis.core import QgsApplication
from qgis.gui import QgsMessageBar
from qgis.PyQt.QtWidgets import QPushButton
from shapely.geometry import box

from scene_picker.core.queue_store import read_jobs
from scene_picker.core.scene import Asset, Scene
from scene_picker.core.transfer import part_path
from scene_picker.plugin import ScenePickerPlugin
from scene_picker.ui import settings
from scene_picker.ui.dock import TAB_DOWNLOADS
from scene_picker.ui.download_task import default_state_file

from support.dock_queue import forget_dock_queue
from support.fixtures_engine import make_bytes
from support.nginx import NginxServer
from support.qgis_shell import MainWindowIface
from support.ui_wait import clear_plugin_settings, private_qgis_settings, wait_until

pytestmark = pytest.mark.qgis

SIZE = 3 * 1024 * 1024  # 3 s at 1 MB/s
SCENE = "QUIT_SCENE"


@pytest.fixture(scope="module")
def slow_band(tmp_path_factory):
    root = tmp_path_factory.mktemp("quit-served")
    (root / "slow").mkdir()
    payload = make_bytes(SIZE, seed=14)
    (root / "slow" / "B08.tif").write_bytes(payload)
    with NginxServer(root, extra_locations="        location /slow/ { limit_rate 1m; }\n") as server:
        yield server, payload


@pytest.fixture()
def shell(slow_band, qgis_iface, qgis_canvas, tmp_path, monkeypatch):
    """A QGIS-like main window with a real message bar; the plugin's settings and queue file are fresh."""
    server, _payload = slow_band
    iface = MainWindowIface(qgis_canvas, QgsMessageBar())
    monkeypatch.setattr(qgis.utils, "iface", iface)
    iface.window.show()
    with private_qgis_settings(tmp_path / "qgis-settings"):
        clear_plugin_settings()
        forget_dock_queue()
        settings.write_setting("providers/stac-static/url", server.url("catalog.json"))
        settings.write_setting(settings.OUTPUT_DIR, str(tmp_path / "downloads"))
        plugins: list[ScenePickerPlugin] = []

        def start() -> ScenePickerPlugin:
            plugin = ScenePickerPlugin(iface)
            plugin.initGui()
            plugins.append(plugin)
            return plugin

        yield start
        for plugin in plugins:
            if plugin.dock is not None:
                downloads = plugin.dock.downloads
                plugin.unload()
                if downloads is not None:
                    downloads.wait_idle(20)
        forget_dock_queue()
        clear_plugin_settings()
    iface.window.close()
    iface.window.deleteLater()


def _start_download(plugin: ScenePickerPlugin, server) -> str:
    asset = Asset("B08", server.url("slow/B08.tif"), "NIR", "image/tiff", ("data",), size=SIZE)
    dock = plugin.dock
    dock.model.add_scenes([Scene("stac-static", SCENE, footprint=box(1, 43, 2, 44), assets={"B08": asset})])
    dock.table.selectRow(0)
    dock.set_checked_assets(["B08"])
    assert dock.download_selected()
    assert wait_until(lambda: dock.queue_panel.job_ids(), 20), "no job appeared"
    (job_id,) = dock.queue_panel.job_ids()
    manager = dock.downloads
    assert wait_until(lambda: manager.job(job_id).state == "active" and manager.job(job_id).done > 0, 20)
    return job_id


def _our_task(job_label: str):
    (task,) = [
        t
        for t in QgsApplication.taskManager().activeTasks()
        if t.description() == f"Scene Picker: download {job_label}"
    ]
    return task


def _saved(job_id: str) -> dict:
    (entry,) = [j for j in read_jobs(default_state_file()) if j["id"] == job_id]
    return entry


def test_quitting_qgis_mid_download_resumes_it_at_the_next_start(shell, slow_band, tmp_path):
    server, payload = slow_band
    plugin = shell()
    job_id = _start_download(plugin, server)
    downloads = plugin.dock.downloads
    final = Path(settings.output_dir()) / SCENE / "B08.tif"

    # what QGIS does on File ▸ Exit: cancel every task (no prompt for ours), leave the event loop
    assert _our_task(SCENE).flags() & _our_task(SCENE).Flag.CancelWithoutPrompt
    QgsApplication.taskManager().cancelAll()
    # then QCoreApplication.aboutToQuit, which the plugin listens to (emitting the real one here would
    # start tearing down this test process's QGIS)
    assert (QgsApplication.instance().aboutToQuit, plugin._on_about_to_quit) in plugin._connections
    plugin._on_about_to_quit()
    plugin.unload()
    assert downloads.wait_idle(20)
    entry = _saved(job_id)
    assert entry["state"] == "queued" and 0 < entry["done"] < SIZE, entry  # interrupted, not cancelled
    assert not final.exists()
    assert part_path(final).is_file()

    # the next start: the job resumes, the message bar says so and its button shows the Downloads tab
    again = shell()
    bar = qgis.utils.iface.messageBar()
    (item,) = [i for i in bar.items() if "from the last session" in i.text()]
    assert item.text() == "1 download(s) from the last session resume."
    (button,) = item.findChildren(QPushButton, "ScenePickerShowDownloads")
    button.click()
    assert again.dock.isUserVisible() and again.dock.tabs.currentIndex() == TAB_DOWNLOADS
    assert job_id in again.dock.queue_panel.job_ids()
    assert wait_until(lambda: again.dock.downloads.job(job_id).state == "done", 30)
    assert final.read_bytes() == payload
    assert again.dock.downloads.job(job_id).bytes_fetched < SIZE, "it started over instead of resuming"

    # the Downloads tab clears the finished jobs (the list and the queue file; the files stay)
    panel = again.dock.queue_panel
    assert wait_until(lambda: panel.state_of(job_id) == "done", 10)
    assert panel.clear_button.isEnabled()
    panel.clear_button.click()
    assert wait_until(lambda: job_id not in panel.job_ids(), 20)
    assert not read_jobs(default_state_file())
    assert final.is_file() and not panel.clear_button.isEnabled()


def test_cancelling_the_task_in_qgis_task_list_cancels_the_download(shell, slow_band):
    server, _payload = slow_band
    plugin = shell()
    job_id = _start_download(plugin, server)
    _our_task(SCENE).cancel()  # the cross in QGIS's task list; QGIS keeps running
    downloads = plugin.dock.downloads
    assert wait_until(lambda: downloads.job(job_id).state == "cancelled", 20), downloads.job(job_id)
    assert _saved(job_id)["state"] == "cancelled"
    assert not (Path(settings.output_dir()) / SCENE / "B08.tif").exists()


def test_an_earlier_versions_queue_file_shows_at_start(shell, tmp_path, request):
    """The queue file of an earlier version (``download_queue.json``, no database yet) is imported when
    QGIS starts, as a database of this version would be read: its jobs are listed at once."""
    import json

    legacy = default_state_file().with_suffix(".json")
    legacy.parent.mkdir(parents=True, exist_ok=True)
    request.addfinalizer(lambda: legacy.unlink(missing_ok=True))  # not one of forget_dock_queue's files
    payload = {"provider": "stac-static", "key": "stac-static:OLD", "scene_id": "OLD"}
    payload["outdir"] = str(tmp_path)
    job = {"id": "old-job", "kind": "scene", "state": "done", "payload": payload, "label": "OLD"}
    legacy.write_text(json.dumps({"jobs": [job]}), encoding="utf-8")
    plugin = shell()
    assert plugin.dock.downloads is not None
    assert plugin.dock.queue_panel.job_ids() == ["old-job"]
    assert plugin.dock.queue_panel.state_of("old-job") == "done"
    assert not legacy.exists() and default_state_file().is_file()


def test_an_unreadable_queue_file_still_opens_the_panel_and_says_why(shell):
    """A queue database that is not one (a disk error, another program wrote it) does not stop the plugin
    from loading: the dock opens without downloads and the message bar names the file."""
    state = default_state_file()
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_bytes(b"not a database " * 100)
    plugin = shell()
    assert plugin.dock is not None and plugin.dock.downloads is None
    bar = qgis.utils.iface.messageBar()
    assert any("unreadable" in item.text() and str(state) in item.text() for item in bar.items())
