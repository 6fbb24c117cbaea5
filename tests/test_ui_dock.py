"""The dock end to end against real servers on loopback: a real STAC API (stac-fastapi-pgstac) whose
items point at GeoTIFF bands and PNG quicklooks served by nginx (one location rate-limited so a
download lasts long enough to be cancelled or interrupted).

Tests 2, 3, 4 and 6 of the dock issue: search fills table and footprints with the same ids, selection
syncs both ways, a download through QgsTask lands as a valid raster in the scene's group while the main
event loop keeps ticking, cancel leaves no final file, a restart shows the interrupted job and resumes
it; screenshots of the dock after a search are saved.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sys
import threading
import zipfile
from pathlib import Path

import pytest
from qgis.core import (
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsLayerTreeLayer,
    QgsProject,
    QgsRasterLayer,
    QgsTask,
)
from qgis.PyQt.QtCore import QBuffer, QByteArray, QIODevice, Qt, QThreadPool
from qgis.PyQt.QtGui import QColor, QImage
from shapely.geometry import shape

from scene_picker.core.queue_store import read_jobs
from scene_picker.core.transfer import part_path
from scene_picker.ui import settings
from scene_picker.ui.dock import TAB_RESULTS, ScenePickerDock
from scene_picker.ui.download_task import default_state_file
from scene_picker.ui.footprints import GROUP_NAME
from scene_picker.ui.results_model import COL_CLOUD, COL_ID, COL_LABEL, COL_PROVIDER, scene_key
from scene_picker.ui.tasks import FunctionTask

from support.dock_queue import forget_dock_queue
from support.geotiff import tiny_geotiff
from support.nginx import NginxServer
from support.ports import free_port
from support.stac_items import multihash_sha256
from support.stac_server import StacServer, StacServerError
from support.ui_wait import clear_plugin_settings, private_qgis_settings, wait_for_tasks, wait_until

pytestmark = [pytest.mark.qgis, pytest.mark.slow]

COLLECTION = "ui-s2"
ITEMS = 12
# nginx limit_rate for /slow/. The engine reads 1 MiB chunks and checks for
# cancellation between them, so the band must span several chunks.
SLOW_RATE = "1m"  # ~5 s for the big band
BIG_SIDE = 2300  # 2300 x 2300 uint8 = 5.3 MB: five chunks
SCREENS = Path("/tmp/scene_picker_screens")
DOCK_WIDTH = 360  # a right-hand dock beside the Layers panel on a laptop screen


def _png(colour: str) -> bytes:
    image = QImage(64, 48, QImage.Format.Format_RGB32)
    image.fill(QColor(colour))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data)


def _asset(href: str, payload: bytes, media: str, roles: list[str], title: str) -> dict:
    return {
        "href": href,
        "type": media,
        "title": title,
        "roles": roles,
        "file:size": len(payload),
        "file:checksum": multihash_sha256(payload),
    }


def _box_of(geometry: dict) -> tuple[float, float, float, float]:
    geom = shape(geometry)
    if geom.geom_type == "MultiPolygon":
        geom = max(geom.geoms, key=lambda g: g.area)
    return geom.bounds


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """(stac server, nginx server, {item id: {asset key: bytes}})."""
    root = tmp_path_factory.mktemp("ui-bands")
    nginx = NginxServer(root, extra_locations=f"        location /slow/ {{ limit_rate {SLOW_RATE}; }}\n")
    nginx.start()
    stac = StacServer(collections={COLLECTION: (ITEMS, True, "sentinel-2a")})
    payloads: dict[str, dict[str, bytes]] = {}
    for number, item in enumerate(stac.items):
        bbox = _box_of(item["geometry"])
        item_id = item["id"]
        folder = root / item_id
        folder.mkdir()
        (root / "slow" / item_id).mkdir(parents=True)
        files: dict[str, bytes] = {}
        assets = {}
        for band, value in (("B04", 200), ("B03", 120), ("B02", 60)):
            pixels = bytes((value + x + y) % 256 for y in range(32) for x in range(32))
            files[band] = tiny_geotiff(pixels, 32, 32, bbox)
            (folder / f"{band}.tif").write_bytes(files[band])
            assets[band] = _asset(
                nginx.url(f"{item_id}/{band}.tif"),
                files[band],
                "image/tiff; application=geotiff",
                ["data"],
                band,
            )
        big = (bytes(range(251)) * (BIG_SIDE * BIG_SIDE // 251 + 2))[number : number + BIG_SIDE * BIG_SIDE]
        files["B08"] = tiny_geotiff(big, BIG_SIDE, BIG_SIDE, bbox)
        (root / "slow" / item_id / "B08.tif").write_bytes(files["B08"])
        assets["B08"] = _asset(
            nginx.url(f"slow/{item_id}/B08.tif"),
            files["B08"],
            "image/tiff; application=geotiff",
            ["data"],
            "NIR",
        )
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(f"{item_id}.SAFE/IMG_DATA/{item_id}_B04.tif", files["B04"])
            zf.writestr(f"{item_id}.SAFE/IMG_DATA/{item_id}_B03.tif", files["B03"])
            zf.writestr(f"{item_id}.SAFE/MTD.xml", f"<metadata id='{item_id}'/>")
        files["archive"] = archive.getvalue()
        (folder / f"{item_id}.zip").write_bytes(files["archive"])
        assets["archive"] = _asset(
            nginx.url(f"{item_id}/{item_id}.zip"), files["archive"], "application/zip", ["archive"], "Product"
        )
        files["thumbnail"] = _png(("#3a7", "#a63", "#36a")[number % 3])
        (folder / "thumb.png").write_bytes(files["thumbnail"])
        assets["thumbnail"] = _asset(
            nginx.url(f"{item_id}/thumb.png"), files["thumbnail"], "image/png", ["thumbnail"], ""
        )
        item["assets"] = assets
        payloads[item_id] = files
    try:
        stac.start()
    except StacServerError as exc:
        nginx.stop()
        pytest.fail(str(exc), pytrace=False)
    yield stac, nginx, payloads
    stac.stop()
    nginx.stop()


@pytest.fixture(autouse=True)
def own_settings(tmp_path):
    with private_qgis_settings(tmp_path / "qgis-settings"):
        yield


@pytest.fixture()
def dock_env(servers, qgis_iface, qgis_new_project, tmp_path, own_settings):
    stac, _nginx, _payloads = servers
    clear_plugin_settings()
    forget_dock_queue()
    settings.write_setting("providers/stac/url", stac.url)
    settings.write_setting(settings.OUTPUT_DIR, str(tmp_path / "downloads"))
    canvas = qgis_iface.mapCanvas()
    merc = QgsCoordinateReferenceSystem("EPSG:3857")
    QgsProject.instance().setCrs(merc)
    canvas.setDestinationCrs(merc)
    canvas.window().show()
    canvas.show()
    docks: list[ScenePickerDock] = []

    def make() -> ScenePickerDock:
        dock = ScenePickerDock(iface=qgis_iface)
        dock.resize(DOCK_WIDTH, 760)
        dock.show()
        docks.append(dock)
        return dock

    yield make
    for dock in docks:
        dock.close_panel()
        if dock.downloads is not None:
            dock.downloads.wait_idle(20)
        dock.deleteLater()
    canvas.window().hide()
    clear_plugin_settings()


def _search(dock: ScenePickerDock, cloud: tuple[int, int] = (0, 100)) -> None:
    from qgis.PyQt.QtCore import QDate, QDateTime, Qt, QTime

    form = dock.form
    form.set_checked("stac", True)
    form.set_scope("stac", collections=COLLECTION)
    form.set_dates(
        QDateTime(QDate(2023, 1, 1), QTime(0, 0), Qt.TimeSpec.UTC),
        QDateTime(QDate(2023, 12, 31), QTime(23, 59), Qt.TimeSpec.UTC),
    )
    form.set_cloud_range(*cloud)
    form.max_spin.setValue(500)
    task = dock.start_search()
    assert task is not None
    assert wait_until(lambda: dock.search_task is None, 60), "the search did not finish"


def _searched_scene(dock: ScenePickerDock, row: int, assets: list[str]):
    """Search, select ``row`` and check ``assets``; returns the scene of that row."""
    _search(dock)
    dock.table.selectRow(row)
    dock.set_checked_assets(assets)
    return dock.current_scene()


def _in_2023(items: list[dict]) -> list[str]:
    """Brute-force reference: the ids of the items acquired in 2023 (the form's date range)."""
    return sorted(i["id"] for i in items if i["properties"]["datetime"].startswith("2023-"))


def _save_screenshot(widget, folder: Path, name: str) -> Path:
    path = folder / name
    assert widget.grab().save(str(path), "PNG")
    SCREENS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, SCREENS / name)
    return path


def test_search_fills_table_and_footprints_and_syncs_selection(
    dock_env, servers, tmp_path_factory, qgis_iface
):
    stac, _nginx, _payloads = servers
    dock = dock_env()
    _search(dock)

    expected = _in_2023(stac.items)
    assert 0 < len(expected) < ITEMS  # one item lies 8 s after the end of the range
    table_ids = sorted(scene.id for scene in dock.model.scenes())
    assert table_ids == expected
    layer = dock.footprints.layer()
    assert layer.featureCount() == len(expected)
    assert sorted(key.split("/", 1)[1] for key in dock.footprints.feature_keys()) == expected
    assert sorted(f["scene_id"] for f in layer.getFeatures()) == expected
    # the layer sits in the "Scene Picker" group, categorised by provider
    group = QgsProject.instance().layerTreeRoot().findGroup(GROUP_NAME)
    assert group is not None and any(
        isinstance(n, QgsLayerTreeLayer) and n.layerId() == layer.id() for n in group.children()
    )
    assert [c.value() for c in layer.renderer().categories()] == ["stac"]
    # scenes carry the registry name and the API they came from; the table shows the provider's title
    assert {(sc.provider, sc.source.get("url")) for sc in dock.model.scenes()} == {("stac", stac.url)}
    titles = {dock.proxy.index(r, COL_PROVIDER).data() for r in range(dock.proxy.rowCount())}
    assert titles == {"STAC API (any catalog by URL)"}
    dock.provider_filter.setCurrentIndex(dock.provider_filter.findData("stac"))
    assert dock.proxy.rowCount() == len(expected)  # the provider filter matches the scenes' name
    dock.provider_filter.setCurrentIndex(0)
    assert dock.tabs.currentIndex() == TAB_RESULTS
    assert dock.search_status.text() == f"{len(expected)} scenes found."

    # table -> map: selecting a row selects its footprint and zooms to it
    row = next(
        r
        for r in range(dock.proxy.rowCount())
        if dock.proxy.scene_at(r).footprint.bounds[2] - dock.proxy.scene_at(r).footprint.bounds[0] < 20
    )
    dock.table.selectRow(row)
    scene = dock.proxy.scene_at(row)
    key = scene_key(scene)
    assert dock.footprints.selected_keys() == [key]
    (fid,) = layer.selectedFeatureIds()
    assert layer.getFeature(fid)["scene_id"] == scene.id
    from pyproj import Transformer

    west, south, east, north = scene.footprint.bounds
    to_merc = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    (x0, y0), (x1, y1) = to_merc.transform(west, south), to_merc.transform(east, north)
    extent = qgis_iface.mapCanvas().extent()
    assert extent.xMinimum() <= x0 and x1 <= extent.xMaximum()
    assert extent.yMinimum() <= y0 and y1 <= extent.yMaximum()
    assert extent.width() < 4 * (x1 - x0) + 4 * (y1 - y0)  # zoomed to it, not the whole world

    # map -> table: selecting footprints on the map selects their rows
    others = [f for f in layer.getFeatures() if f["key"] != key][:2]
    layer.selectByIds([f.id() for f in others])
    assert sorted(dock.selected_keys()) == sorted(f["key"] for f in others)
    assert sorted(dock.footprints.selected_keys()) == sorted(f["key"] for f in others)

    # the quicklook of the current scene is fetched in the background, then served from the cache
    dock.table.selectRow(0)
    first = dock.current_scene()
    assert wait_until(lambda: dock.quicklooks.cached(scene_key(first)) is not None, 20)
    assert wait_until(
        lambda: dock.quicklook_label.pixmap() is not None and not dock.quicklook_label.pixmap().isNull(), 5
    )
    dock.table.selectRow(1)
    second = dock.current_scene()
    assert wait_until(lambda: dock.quicklooks.cached(scene_key(second)) is not None, 20)
    fetches = dock.quicklooks.fetches
    dock.table.selectRow(0)  # shown at once from the memory cache: no new fetch
    assert dock.quicklooks.fetches == fetches
    assert not dock.quicklook_label.pixmap().isNull()
    href = first.assets["thumbnail"].href
    assert dock.quicklooks.cache_file(href).read_bytes() == _payloads[first.id]["thumbnail"]

    # sorting and filtering the table
    dock.proxy.set_text(expected[3])
    assert dock.proxy.rowCount() == 1 and dock.proxy.scene_at(0).id == expected[3]
    dock.proxy.set_text("")
    dock.table.sortByColumn(COL_CLOUD, Qt.SortOrder.AscendingOrder)
    clouds = [dock.proxy.scene_at(r).cloud_cover for r in range(dock.proxy.rowCount())]
    assert clouds == sorted(clouds)

    # filter by cloud cover and by date text
    dock.cloud_filter.setValue(30)
    shown = sorted(dock.proxy.scene_at(r).id for r in range(dock.proxy.rowCount()))
    assert shown == sorted(
        s.id for s in dock.model.scenes() if s.cloud_cover is not None and s.cloud_cover <= 30
    )
    assert 0 < len(shown) < len(expected)
    assert dock.results_status.text() == f"{len(expected)} scenes ({len(shown)} shown)"
    dock.cloud_filter.setValue(100)
    dock.proxy.set_text("2023-08")
    assert sorted(dock.proxy.scene_at(r).id for r in range(dock.proxy.rowCount())) == sorted(
        i["id"] for i in stac.items if i["properties"]["datetime"].startswith("2023-08")
    )
    dock.proxy.set_text("")

    # export what the table shows (sorted by cloud, filtered to <= 30 %)
    dock.cloud_filter.setValue(30)
    export = tmp_path_factory.mktemp("export")
    assert dock.export_results(export / "scenes.geojson") is not None
    assert dock.export_results(export / "scenes.csv") is not None
    assert wait_until(lambda: (export / "scenes.geojson").exists() and (export / "scenes.csv").exists(), 20)
    assert wait_until(lambda: not dock.tasks.running(), 20)
    shown = [dock.proxy.scene_at(r).id for r in range(dock.proxy.rowCount())]
    exported = json.loads((export / "scenes.geojson").read_text())
    assert [f["id"] for f in exported["features"]] == shown
    lines = (export / "scenes.csv").read_text().splitlines()
    assert len(lines) == len(shown) + 1 and shown[0] in lines[1]
    dock.cloud_filter.setValue(100)

    # labels on demand
    dock.labels_check.setChecked(True)
    assert layer.labelsEnabled()

    # test 6: screenshots of the dock after the search, at a normal dock width: every tab fits in it
    # (its widgets get at least their minimum size, so no button or label is cut off)
    assert dock.minimumSizeHint().width() <= DOCK_WIDTH
    dock.resize(DOCK_WIDTH, 760)
    folder = tmp_path_factory.mktemp("screenshots")
    dock.table.selectRow(0)
    wait_until(lambda: False, 0.3)
    assert dock.width() == DOCK_WIDTH
    for tab in range(dock.tabs.count()):
        page = dock.tabs.widget(tab)
        assert page.minimumSizeHint().width() <= dock.tabs.currentWidget().width(), dock.tabs.tabText(tab)
    # the Search tab scrolls vertically only: its content fits the width (nothing cut at the left or right)
    search_body = dock.search_button.parentWidget()
    assert search_body.minimumSizeHint().width() <= dock.tabs.currentWidget().width() - 20
    header = dock.table.horizontalHeader()
    assert [dock.model.headerData(header.logicalIndex(v), Qt.Orientation.Horizontal) for v in range(4)] == [
        "Scene",
        "Cloud %",
        "Tile",
        "Size",
    ]
    # the short label and the cloud cover are in view without scrolling sideways and not elided
    viewport = dock.table.viewport().width()
    metrics = dock.table.fontMetrics()
    for column in (COL_LABEL, COL_CLOUD):
        assert header.sectionViewportPosition(column) + header.sectionSize(column) <= viewport, column
    for row in range(dock.proxy.rowCount()):
        label = dock.proxy.index(row, COL_LABEL).data()
        scene = dock.proxy.scene_at(row)
        assert label.startswith(scene.datetime.strftime("%Y-%m-%d ")) and label.endswith(" S2A"), label
        assert metrics.horizontalAdvance(label) < header.sectionSize(COL_LABEL), label
        assert dock.proxy.index(row, COL_LABEL).data(Qt.ItemDataRole.ToolTipRole) == scene.id
        assert dock.proxy.index(row, COL_ID).data() == scene.id
    shot = _save_screenshot(dock, folder, "dock_results.png")
    dock.tabs.setCurrentIndex(0)
    _save_screenshot(dock, folder, "dock_search_form.png")
    image = QImage(str(shot))
    assert image.width() == DOCK_WIDTH and image.height() == dock.height()


def test_cloud_range_and_state_persist(dock_env, servers):
    stac, _nginx, _payloads = servers
    dock = dock_env()
    _search(dock, cloud=(10, 40))
    in_range = set(_in_2023(stac.items))
    expected = sorted(
        i["id"] for i in stac.items if 10 <= i["properties"]["eo:cloud_cover"] <= 40 and i["id"] in in_range
    )
    assert sorted(s.id for s in dock.model.scenes()) == expected
    assert 0 < len(expected) < len(in_range)
    dock.close_panel()
    # a new dock comes back with the same form
    again = dock_env()
    assert again.form.checked_providers() == ["stac"]
    assert again.form.cloud_range() == (10.0, 40.0)
    assert again.form.scope("stac") == ((COLLECTION,), ())
    assert again.form.max_spin.value() == 500


def _download(dock: ScenePickerDock) -> str:
    """Press Download for the current selection; the id of the job that shows up in the queue panel."""
    before = set(dock.queue_panel.job_ids())
    (task,) = dock.download_selected()
    assert task is not None
    assert wait_until(lambda: set(dock.queue_panel.job_ids()) - before, 20), "no job appeared"
    (job_id,) = set(dock.queue_panel.job_ids()) - before
    return job_id


_MAIN_THREAD_IO: list[tuple] = []
_WATCHING = threading.Event()
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND


def _record_main_thread_io(event: str, args: tuple) -> None:
    """Audit hook (installed once): network connections, name look-ups and files of the output folder
    opened for writing by the main thread while a test watches: work a QGIS task must do instead."""
    if not _WATCHING.is_set() or threading.current_thread() is not threading.main_thread():
        return
    if event in ("socket.connect", "socket.getaddrinfo"):
        _MAIN_THREAD_IO.append((event, repr(args)[:200]))
    elif event == "open":
        path, mode, flags = args
        writing = any(c in mode for c in "wax+") if isinstance(mode, str) else bool(flags & _WRITE_FLAGS)
        if writing and str(path).startswith(settings.output_dir()):
            _MAIN_THREAD_IO.append((event, str(path)))


sys.addaudithook(_record_main_thread_io)


def test_download_through_qgstask_adds_raster_off_the_main_thread(dock_env, servers, tmp_path):
    stac, _nginx, payloads = servers
    dock = dock_env()
    scene = _searched_scene(dock, 0, ["B04", "B03", "B02", "B08"])

    _MAIN_THREAD_IO.clear()
    _WATCHING.set()
    job_id = _download(dock)
    manager = dock.downloads
    assert wait_until(lambda: dock.queue_panel.state_of(job_id) == "active", 10)
    # QGIS's task manager shows the running download too
    descriptions = [t.description() for t in QgsApplication.taskManager().activeTasks()]
    assert f"Scene Picker: download {scene.id}" in descriptions
    assert wait_until(lambda: dock.queue_panel.state_of(job_id) in ("done", "failed", "cancelled"), 60)
    done = manager.job(job_id)
    assert done.state == "done", done
    # the bands are opened in the background too: keep measuring until they are in the scene's group
    scene_group = lambda: QgsProject.instance().layerTreeRoot().findGroup(GROUP_NAME).findGroup(scene.id)  # noqa: E731
    assert wait_until(lambda: scene_group() is not None and len(scene_group().findLayers()) == 4, 20)
    _WATCHING.clear()
    # the download, the checks and the header reads ran in tasks: the main thread made no connection
    # and wrote no file meanwhile (how long it took is bench/ matter, not a test's)
    assert not _MAIN_THREAD_IO, _MAIN_THREAD_IO

    folder = Path(settings.output_dir()) / scene.id
    for band in ("B04", "B03", "B02", "B08"):
        assert (folder / f"{band}.tif").read_bytes() == payloads[scene.id][band]
    assert not list(folder.glob("*.part"))
    # the bands are layers under the scene's group, and valid rasters
    group = scene_group()
    layers = [n.layer() for n in group.findLayers()]
    assert sorted(layer.name() for layer in layers) == ["B02", "B03", "B04", "B08"]
    assert all(isinstance(layer, QgsRasterLayer) and layer.isValid() for layer in layers)
    # the queue panel shows it complete, the row and the footprint are marked downloaded
    assert dock.queue_panel.state_of(job_id) == "done"
    assert dock.queue_panel.progress_value(job_id) == 1000
    assert dock.queue_panel.bar_text(job_id) == "done"
    assert dock.footprints.is_downloaded(scene_key(scene))

    dock.tabs.setCurrentIndex(2)
    _save_screenshot(dock, tmp_path, "dock_downloads.png")

    # an RGB composite VRT from three downloaded bands
    dock.set_checked_assets(["B04", "B03", "B02"])
    assert dock.rgb_selected() is not None
    rgb_name = f"{scene.id} RGB"
    assert wait_until(lambda: any(n.layer().name() == rgb_name for n in group.findLayers()), 20)
    (rgb,) = [n.layer() for n in group.findLayers() if n.layer().name() == rgb_name]
    assert rgb.isValid() and rgb.bandCount() == 3 and Path(rgb.source()).suffix == ".vrt"
    vrt = Path(rgb.source()).read_text()
    assert "/vsicurl/" not in vrt  # the downloaded files, not the server
    assert all(f"{band}.tif</SourceFilename>" in vrt for band in ("B04", "B03", "B02"))
    assert dock.downloads.local_file(scene_key(scene), "B04") == folder / "B04.tif"

    # "Add layers" on the finished job opens its bands again (in the background) after they were removed
    bands = [n.layer().id() for n in group.findLayers() if n.layer().name() in ("B02", "B03", "B04", "B08")]
    QgsProject.instance().removeMapLayers(bands)
    assert len(scene_group().findLayers()) == 1  # the RGB composite stays
    dock.queue_panel.select_job(job_id)
    assert dock.queue_panel.load_button.isEnabled()
    dock.queue_panel.load_button.click()
    assert wait_until(lambda: len(scene_group().findLayers()) == 5, 20)
    names = sorted(n.layer().name() for n in scene_group().findLayers())
    assert names == ["B02", "B03", "B04", "B08", rgb_name]


def test_stream_band_without_download(dock_env, servers):
    dock = dock_env()
    scene = _searched_scene(dock, 1, ["B03"])
    task = dock.stream_selected()
    assert task is not None
    group_of = lambda: QgsProject.instance().layerTreeRoot().findGroup(GROUP_NAME).findGroup(scene.id)  # noqa: E731
    assert wait_until(lambda: group_of() is not None and group_of().findLayers(), 30)
    (node,) = group_of().findLayers()
    layer = node.layer()
    assert layer.isValid() and layer.source().startswith("/vsicurl/http://127.0.0.1:")
    assert not (Path(settings.output_dir()) / scene.id).exists()

    # an RGB composite of three streamed bands: a VRT over /vsicurl/ sources, built in the background
    dock.set_checked_assets(["B04", "B03", "B02"])
    assert dock.rgb_selected() is not None
    assert wait_until(lambda: len(group_of().findLayers()) == 2, 30)
    (rgb,) = [n.layer() for n in group_of().findLayers() if n.layer().name().endswith("RGB")]
    assert rgb.isValid() and rgb.bandCount() == 3
    vrt = Path(rgb.source()).read_text()
    assert vrt.count("/vsicurl/http://127.0.0.1:") == 3
    assert rgb.dataProvider().block(1, rgb.extent(), 32, 32).isValid()


def test_cancel_leaves_no_final_file_and_restart_resumes(dock_env, servers):
    _stac, _nginx, payloads = servers
    dock = dock_env()
    scene = _searched_scene(dock, 3, ["B08"])
    job_id = _download(dock)
    manager = dock.downloads
    final = Path(settings.output_dir()) / scene.id / "B08.tif"
    assert wait_until(lambda: manager.job(job_id).done > 0, 20), "no progress reported"
    # the panel shows the speed and the ETA of the running job
    assert wait_until(lambda: dock.queue_panel.row_texts(job_id)[3].endswith("/s"), 20)
    assert wait_until(lambda: ":" in dock.queue_panel.row_texts(job_id)[4], 20)
    assert 0 < dock.queue_panel.progress_value(job_id) < 1000
    # in a narrow dock the moving progress bar carries it all: percentage, speed, ETA
    bar = dock.queue_panel.bar_text(job_id)
    texts = dock.queue_panel.row_texts(job_id)
    assert texts[0] == f"{dock.proxy.index(3, 0).data()} · B08"  # the scene's label, what is fetched
    assert bar == f"{dock.queue_panel.progress_value(job_id) // 10}% · {texts[3]} · {texts[4]}", bar
    assert dock.queue_panel.bar_tooltip(job_id) == f"downloading · {texts[3]} · {texts[4]}"
    _save_screenshot(dock, final.parent.parent, "dock_download_running.png")

    # cancel from the queue panel
    dock.queue_panel.select_job(job_id)
    assert dock.queue_panel.cancel_button.isEnabled()
    dock.queue_panel.cancel_button.click()
    assert dock.queue_panel.state_of(job_id) in ("cancelling", "cancelled")
    assert wait_until(lambda: dock.queue_panel.state_of(job_id) == "cancelled", 20), manager.job(job_id)
    assert not final.exists(), "a cancelled download left a final file"
    assert dock.queue_panel.state_of(job_id) == "cancelled"

    # retry, then "quit QGIS" mid-download: the job is kept as interrupted
    dock.queue_panel.select_job(job_id)
    dock.queue_panel.retry_button.click()
    assert wait_until(lambda: manager.job(job_id).state == "active" and manager.job(job_id).done > 0, 20)
    dock.close_panel()
    assert manager.wait_idle(20)
    assert not final.exists()
    (entry,) = [j for j in read_jobs(default_state_file()) if j["id"] == job_id]
    assert entry["state"] == "queued" and entry["done"] > 0  # saved to resume at the next start
    partial = part_path(final)
    assert partial.exists() and 0 < partial.stat().st_size < len(payloads[scene.id]["B08"])

    # "restart": a new dock shows the interrupted job and resumes it from the partial file
    again = dock_env()
    assert again.downloads is not None
    assert job_id in again.queue_panel.job_ids()
    assert again.queue_panel.state_of(job_id) in ("interrupted", "active")
    resumed = again.downloads
    assert wait_until(lambda: again.queue_panel.state_of(job_id) in ("done", "failed", "cancelled"), 60)
    finished = resumed.job(job_id)
    assert finished.state == "done", finished.error
    data = final.read_bytes()
    assert hashlib.sha256(data).digest() == hashlib.sha256(payloads[scene.id]["B08"]).digest()
    assert finished.bytes_fetched < len(data), "the restart downloaded everything again instead of resuming"


def test_cancel_runs_while_a_download_watches_in_qgis_task_list(dock_env, servers):
    """A running download shows as a task in QGIS's task list; that task only watches the job, so it
    must not keep a thread of QGIS's pool (``QThreadPool.globalInstance()``, as many threads as cores).
    With one thread (one core, or two downloads on two cores) Cancel, itself a QgsTask, waited for the
    download's end: the job ended "done" with its final file instead of "cancelled"."""
    pool = QThreadPool.globalInstance()
    saved = pool.maxThreadCount()
    dock = dock_env()
    scene = _searched_scene(dock, 5, ["B08"])
    final = Path(settings.output_dir()) / scene.id / "B08.tif"
    assert wait_for_tasks(20)  # the quicklook of the selected scene
    pool.setMaxThreadCount(1)
    try:
        job_id = _download(dock)
        manager = dock.downloads
        watching = f"Scene Picker: download {scene.id}"
        assert wait_until(
            lambda: manager.job(job_id).done > 0
            and any(t.description() == watching for t in QgsApplication.taskManager().activeTasks()),
            20,
        )
        dock.queue_panel.select_job(job_id)
        dock.queue_panel.cancel_button.click()
        assert wait_until(lambda: manager.job(job_id).state in ("done", "failed", "cancelled"), 20)
        assert manager.job(job_id).state == "cancelled", manager.job(job_id)
        assert not final.exists()
        assert wait_for_tasks(20)
    finally:
        pool.setMaxThreadCount(saved)
    # the watching task took its thread back when it ended: the pool counts no thread as busy
    assert wait_until(lambda: pool.activeThreadCount() == 0, 20), pool.activeThreadCount()


def test_a_retry_that_runs_after_the_panel_closed_leaves_the_job_queued(dock_env, servers):
    """Retry writes the queue in a QgsTask, then starts the queue's workers. When that task ran only
    after the panel had closed (QGIS's pool busy, or the panel closed right after Retry), it started the
    workers that closing had just stopped: the download went on behind the closed panel to its final
    file (the flaky test above saw it after its Retry). The job now stays queued for the next start."""
    pool = QThreadPool.globalInstance()
    saved = pool.maxThreadCount()
    dock = dock_env()
    scene = _searched_scene(dock, 6, ["B08"])
    final = Path(settings.output_dir()) / scene.id / "B08.tif"
    job_id = _download(dock)
    manager = dock.downloads
    assert wait_until(lambda: manager.job(job_id).done > 0, 20)
    dock.queue_panel.select_job(job_id)
    dock.queue_panel.cancel_button.click()
    assert wait_until(lambda: manager.job(job_id).state == "cancelled", 20), manager.job(job_id)
    assert wait_for_tasks(20)
    release = threading.Event()
    busy = FunctionTask("another task of QGIS", lambda _task: release.wait(60))
    pool.setMaxThreadCount(1)  # QGIS runs one task at a time: the busy one, then Retry's
    try:
        QgsApplication.taskManager().addTask(busy)
        assert wait_until(lambda: busy.status() == QgsTask.TaskStatus.Running, 20)
        retry = manager.retry(job_id)
        dock.close_panel()
        assert not manager.queue.running()
    finally:
        release.set()
        pool.setMaxThreadCount(saved)
    assert wait_for_tasks(30) and retry.error is None
    assert not manager.queue.running(), "Retry restarted the queue of a closed panel"
    (entry,) = [j for j in read_jobs(default_state_file()) if j["id"] == job_id]
    assert entry["state"] == "queued" and entry["done"] > 0  # retried: it resumes at the next start
    assert not final.exists()


def test_aoi_drawn_in_mercator_limits_the_search(dock_env, servers):
    from pyproj import Transformer
    from qgis.core import QgsGeometry, QgsRectangle
    from shapely.geometry import box

    stac, _nginx, _payloads = servers
    dock = dock_env()
    to_merc = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    west, south = to_merc.transform(-60.0, 35.0)
    east, north = to_merc.transform(30.0, 62.0)
    merc = QgsCoordinateReferenceSystem("EPSG:3857")
    dock.aoi.set_aoi(QgsGeometry.fromRect(QgsRectangle(west, south, east, north)), merc)
    assert "W -60.0000" in dock.aoi_label.text()
    _search(dock)
    area = box(-60.0, 35.0, 30.0, 62.0)
    in_range = set(_in_2023(stac.items))
    expected = sorted(
        i["id"] for i in stac.items if i["id"] in in_range and shape(i["geometry"]).intersects(area)
    )
    assert expected, "the AOI should hold some test items"
    assert sorted(s.id for s in dock.model.scenes()) == expected


def test_failed_searches_say_why_and_keep_the_previous_results(dock_env, servers, qgis_iface):
    """Bug 3: a 404, an HTML page, a refused connection and a missing URL each leave a status line that
    says the search failed and why, naming the provider (never "?:" nor the command line's --url), and
    the results of the last successful search stay."""
    from qgis.core import Qgis
    from qgis.PyQt.QtWidgets import QApplication, QDialog

    stac, nginx, _payloads = servers
    (nginx.root / "portal").mkdir(exist_ok=True)
    (nginx.root / "portal" / "index.html").write_text("<!doctype html><html><body>A portal</body></html>")
    dock = dock_env()
    _search(dock)
    found = dock.model.rowCount()
    assert found == len(_in_2023(stac.items)) and dock.search_status.text() == f"{found} scenes found."
    bar = qgis_iface.messageBar()
    closed = free_port()
    cases = {
        "404": (nginx.url("no-stac-here"), "404"),
        "html": (nginx.url("portal"), "HTML"),
        "refused": (f"http://127.0.0.1:{closed}/stac", "Connection refused"),
        "missing": ("", "enter it in the search form"),
    }
    for case, (url, reason) in cases.items():
        settings.write_setting("providers/stac/url", url)
        bar.clear_messages()
        _search(dock)
        status = dock.search_status.text()
        assert status.startswith("Search failed: "), (case, status)
        assert reason in status, (case, status)
        assert "STAC API" in status or "stac:" in status, (case, status)
        assert f"The previous {found} results are kept." in status, (case, status)
        assert "?:" not in status and "--url" not in status, (case, status)
        warnings = bar.get_messages(Qgis.MessageLevel.Warning)
        assert any(reason in text for text in warnings), (case, warnings)
        assert not any("--url" in text or "?:" in text for text in warnings), (case, warnings)
        assert dock.model.rowCount() == found and len(dock.footprints.keys()) == found, case
        assert dock.search_button.isEnabled()
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()]

    # two providers, one failing: the status line gives the count and the failure of that one
    settings.write_setting("providers/stac/url", stac.url)
    dock.form.set_checked("stac-static", True)
    settings.write_setting("providers/stac-static/url", "")
    _search(dock)
    status = dock.search_status.text()
    assert status.startswith(f"{found} scenes found; failed: Static STAC catalog"), status
    assert "enter it in the search form" in status and "--url" not in status, status
    dock.form.set_checked("stac-static", False)

    # a successful search with nothing to find empties the table
    settings.write_setting("providers/stac/url", stac.url)
    dock.form.set_scope("stac", collections="no-such-collection")
    task = dock.start_search()
    assert task is not None and wait_until(lambda: dock.search_task is None, 60)
    assert dock.model.rowCount() == 0 and dock.search_status.text() == "0 scenes found."


def test_settings_dialog_test_login_runs_in_background(dock_env, servers, own_settings):
    from scene_picker.ui.providers_info import available_providers
    from scene_picker.ui.settings_dialog import SettingsDialog

    _stac, nginx, _payloads = servers
    dock_env()  # the STAC URL is set
    dialog = SettingsDialog(available_providers())
    dialog.show()
    dialog.provider_combo.setCurrentIndex(dialog.provider_combo.findData("stac"))
    task = dialog.test_login()
    assert task is not None and dialog.login_label.text() == "Testing…"
    assert wait_until(lambda: dialog.login_label.text() != "Testing…", 30)
    assert dialog.login_label.text() == "Connection succeeded."  # a catalog without an account

    dialog.endpoint_edit.setText(nginx.url("no-stac-here"))
    dialog.save_settings()
    dialog.test_login()
    assert wait_until(lambda: dialog.login_label.text() != "Testing…", 30)
    assert dialog.login_label.text().startswith("Connection failed:") and "404" in dialog.login_label.text()
    dialog.reject()


def test_zip_members_partial_extraction_and_vsizip_streaming(dock_env, servers):
    _stac, _nginx, payloads = servers
    dock = dock_env()
    # download only one member of the product zip, chosen from its listing (read through HTTP ranges)
    scene = _searched_scene(dock, 4, ["archive"])
    assert dock.list_members() is not None
    assert wait_until(lambda: getattr(dock, "members_dialog", None) is not None, 20)
    dialog = dock.members_dialog
    assert sorted(dialog.names()) == sorted(
        f"{scene.id}.SAFE/{name}"
        for name in ("IMG_DATA/" + scene.id + "_B04.tif", "IMG_DATA/" + scene.id + "_B03.tif", "MTD.xml")
    )
    texts = sorted(dialog.list.item(row).text() for row in range(dialog.list.count()))
    assert texts[0].startswith(f"MTD.xml — {scene.id}.SAFE  (")  # the file name first, then its folder
    assert texts[1].startswith(f"{scene.id}_B03.tif — {scene.id}.SAFE/IMG_DATA  (")
    dialog.set_checked([f"{scene.id}.SAFE/IMG_DATA/{scene.id}_B04.tif"])
    dialog.accept()
    assert dock.members_edit.text() == f"{scene.id}.SAFE/IMG_DATA/{scene.id}_B04.tif"
    dock.members_edit.setText("*/IMG_DATA/*_B04.tif")  # a pattern works as well
    job_id = _download(dock)
    manager = dock.downloads
    assert wait_until(lambda: dock.queue_panel.state_of(job_id) in ("done", "failed", "cancelled"), 30)
    # the Downloads list names the scene by its label and says what is fetched
    label = dock.proxy.index(4, 0).data()
    assert dock.queue_panel.row_texts(job_id)[0] == f"{label} · 1 member"
    done = manager.job(job_id)
    assert done.state == "done", done
    (path,) = [Path(p) for p in done.files]
    assert path.name == f"{scene.id}_B04.tif" and path.read_bytes() == payloads[scene.id]["B04"]
    folder = Path(settings.output_dir()) / scene.id
    assert not list(folder.rglob("*B03*")) and not list(folder.rglob("MTD.xml"))
    group_of = lambda: QgsProject.instance().layerTreeRoot().findGroup(GROUP_NAME).findGroup(scene.id)  # noqa: E731
    assert wait_until(lambda: group_of() is not None and group_of().findLayers(), 20)  # opened in a task
    group = group_of()
    (node,) = group.findLayers()
    assert node.layer().isValid() and node.layer().name() == "B04"  # named after its band

    # stream the other member without downloading it: /vsizip//vsicurl/
    dock.members_edit.setText(f"{scene.id}.SAFE/IMG_DATA/{scene.id}_B03.tif")
    assert dock.stream_selected() is not None
    assert wait_until(lambda: len(group.findLayers()) == 2, 30)
    streamed = [n.layer() for n in group.findLayers() if n.layer().source().startswith("/vsizip//vsicurl/")]
    assert len(streamed) == 1 and streamed[0].isValid() and streamed[0].width() == 32
    assert streamed[0].name() == "B03"


def test_signed_hrefs_never_reach_the_queue_file(dock_env, servers):
    """A scene whose asset hrefs are signed URLs is queued by id and fetched again from its provider."""
    import dataclasses

    _stac, _nginx, payloads = servers
    dock = dock_env()
    _search(dock)
    dock.table.selectRow(5)
    scene = dock.current_scene()
    secret = "SiGnAtUrE-0123456789"
    signed = {
        key: dataclasses.replace(asset, href=f"{asset.href}?X-Amz-Signature={secret}")
        for key, asset in scene.assets.items()
    }
    signed_scene = dataclasses.replace(scene, assets=signed)
    manager = dock._downloads()
    manager.enqueue(signed_scene, Path(settings.output_dir()), assets=["B03"])
    assert wait_until(lambda: len(dock.queue_panel.job_ids()) == 1, 20)
    (job_id,) = dock.queue_panel.job_ids()
    assert wait_until(lambda: dock.queue_panel.state_of(job_id) in ("done", "failed", "cancelled"), 30)
    job = manager.job(job_id)
    assert job.state == "done", job.error
    assert Path(job.files[0]).read_bytes() == payloads[scene.id]["B03"]
    state = default_state_file()
    stored = [f for f in state.parent.glob(state.name + "*") if f.is_file()]  # with -wal, -shm
    assert stored and all(secret.encode() not in f.read_bytes() for f in stored)


def test_cancel_search_while_the_server_stalls(dock_env, servers):
    """Cancel ends the search task at once even though the catalog has not answered (a stalled reply)."""
    from support.fault_proxy import FaultProxy

    stac, _nginx, _payloads = servers
    dock = dock_env()
    with FaultProxy(stac.url) as proxy:
        proxy.configure(stall_after=0, stall_timeout=30.0)  # headers, then nothing
        settings.write_setting("providers/stac/url", proxy.url(""))
        dock.form.set_checked("stac", True)
        task = dock.start_search()
        assert task is not None and not dock.search_button.isEnabled()
        assert wait_until(lambda: proxy.requests >= 1, 10), "the search never reached the server"
        dock.cancel_search_button.click()
        assert wait_until(lambda: dock.search_task is None, 10), "cancel did not end the search"
        assert proxy.requests == 1  # ended while its first request was still held by the server
        assert dock.search_button.isEnabled() and not dock.cancel_search_button.isEnabled()
        assert dock.search_status.text() == "Search cancelled."
        assert dock.model.rowCount() == 0
        proxy.release_stall()


def test_changed_download_settings_apply_to_the_running_queue(dock_env, servers):
    dock = dock_env()
    manager = dock._downloads()
    settings.write_setting(settings.WORKERS, 5)
    settings.write_setting(settings.PER_PROVIDER, 1)
    dock._apply_settings()
    assert manager.queue.workers == 5 and manager.per_provider == 1
    assert manager._slot("stac").acquire(blocking=False)
    assert not manager._slot("stac").acquire(blocking=False)  # one at a time for that provider now
    manager._slot("stac").release()


def test_search_without_area_at_a_heavy_catalog_asks_once(dock_env, servers):
    """CDSE, CMR, Planet, USGS: a search without an area asks "search the whole world?" first (in the
    panel); "don't ask again" ends the questions; a light catalog (STAC API) is never asked about."""
    settings.write_setting("providers/cdse/url", f"http://127.0.0.1:{free_port()}/odata")
    dock = dock_env()
    assert dock.aoi.aoi() is None
    dock.form.set_checked("stac", False)
    dock.form.set_checked("cdse", True)
    box = dock.whole_world_box

    assert dock.start_search() is None and dock.search_task is None  # asked, nothing searched yet
    assert box.isVisible() and "Copernicus" in dock.whole_world_label.text()
    assert "whole world" in dock.whole_world_label.text()
    dock.whole_world_no.click()
    assert not box.isVisible() and dock.search_task is None

    assert dock.start_search() is None and box.isVisible()  # asked again
    dock.whole_world_dont_ask.setChecked(True)
    dock.whole_world_yes.click()
    assert not box.isVisible() and dock.search_task is not None
    assert wait_until(lambda: dock.search_task is None, 60)
    assert dock.search_status.text().startswith("Search failed: "), dock.search_status.text()

    task = dock.start_search()  # asked not to ask again
    assert task is not None and not box.isVisible()
    assert wait_until(lambda: dock.search_task is None, 60)

    settings.write_setting("search/ask_whole_world", True)
    dock.form.set_checked("cdse", False)
    _search(dock)  # the STAC API alone: no question
    assert not box.isVisible() and dock.model.rowCount() > 0

    # Settings opens on the provider selected in the dock
    dock.form.provider_list.setCurrentItem(dock.form._item("cdse"))
    dock.open_settings()
    assert dock.settings_dialog.current_provider().name == "cdse"
    dock.settings_dialog.reject()
