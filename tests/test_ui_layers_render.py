"""Bands loaded by the dock still draw once QGIS's idle worker threads are gone (issue 14, bug 1).

QGIS runs tasks on ``QThreadPool.globalInstance()``, whose idle threads expire (30 s by default). A
``QgsRasterLayer`` created inside a task renders nothing once its thread has expired. Each test loads
bands the way the dock does — downloaded files, streamed bands (a COG and members of a remote zip
picked by pattern) and an RGB composite — shortens the pool's expiry to 1 s, waits 3 s, renders the map
canvas of an EPSG:4326 project and checks the bands' pixels are drawn. Files are served by nginx.

Stream and RGB take the member patterns Download takes (bug 4): one layer per matching member of a
zipped product, named after its band; an RGB composite of three members, in the order given.
"""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pytest
from qgis.core import (
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsMapRendererParallelJob,
    QgsProject,
    QgsRasterLayer,
)
from qgis.PyQt.QtCore import QSize, QThreadPool
from qgis.PyQt.QtGui import QColor
from shapely.geometry import box

from scene_picker.core.scene import Asset, Scene
from scene_picker.ui import settings
from scene_picker.ui.dock import ScenePickerDock
from scene_picker.ui.footprints import GROUP_NAME
from scene_picker.ui.job_view import JobView

from support.dock_queue import forget_dock_queue
from support.ui_wait import clear_plugin_settings, private_qgis_settings, wait_until

pytestmark = pytest.mark.qgis

BBOX = (1.30, 43.63, 1.31, 43.64)  # the footprint, roughly
ORIGIN = (364000.0, 4834000.0)  # upper-left corner in EPSG:32631
PIXEL = 20.0
SIDE = 32
BANDS = {"B02": 60, "B03": 120, "B04": 200}


def _band(value: int) -> bytes:
    """A GeoTIFF in UTM 31N (EPSG:32631, like Sentinel-2 tiles): drawn in EPSG:4326 it is reprojected."""
    from osgeo import gdal, osr

    path = f"/vsimem/render-band-{value}.tif"
    dataset = gdal.GetDriverByName("GTiff").Create(path, SIDE, SIDE, 1, gdal.GDT_Byte)
    dataset.SetGeoTransform((ORIGIN[0], PIXEL, 0.0, ORIGIN[1], 0.0, -PIXEL))
    crs = osr.SpatialReference()
    crs.ImportFromEPSG(32631)
    dataset.SetProjection(crs.ExportToWkt())
    pixels = bytes((value + 3 * x + 5 * y) % 256 for y in range(SIDE) for x in range(SIDE))
    dataset.GetRasterBand(1).WriteRaster(0, 0, SIDE, SIDE, pixels)
    dataset = None  # written
    handle = gdal.VSIFOpenL(path, "rb")
    gdal.VSIFSeekL(handle, 0, 2)
    size = gdal.VSIFTellL(handle)
    gdal.VSIFSeekL(handle, 0, 0)
    data = bytes(gdal.VSIFReadL(1, size, handle))
    gdal.VSIFCloseL(handle)
    gdal.Unlink(path)
    return data


@pytest.fixture(scope="module")
def product(nginx, served_dir):
    """A scene whose bands are single GeoTIFFs (COG-like) and members of a zipped product."""
    folder = served_dir / "render-scene"
    folder.mkdir(exist_ok=True)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for band, value in BANDS.items():
            (folder / f"{band}.tif").write_bytes(_band(value))
            zf.writestr(f"P.SAFE/GRANULE/IMG_DATA/T31TCJ_20240603_{band}_20m.tif", _band(value))
        zf.writestr("P.SAFE/MTD_MSIL2A.xml", "<metadata/>")
    (folder / "product.zip").write_bytes(archive.getvalue())
    assets = {
        band: Asset(band, nginx.url(f"render-scene/{band}.tif"), band, "image/tiff", ("data",))
        for band in BANDS
    }
    assets["product"] = Asset(
        "product", nginx.url("render-scene/product.zip"), "Product", "application/zip", ("data",)
    )
    return Scene("stac-static", "RENDER_SCENE", footprint=box(*BBOX), assets=assets), folder


@pytest.fixture()
def dock(product, nginx, qgis_iface, qgis_new_project, tmp_path):
    scene, _folder = product
    with private_qgis_settings(tmp_path / "qgis-settings"):
        clear_plugin_settings()
        settings.write_setting("providers/stac-static/url", nginx.url("render-scene/catalog.json"))
        settings.write_setting(settings.OUTPUT_DIR, str(tmp_path / "downloads"))
        wgs84 = QgsCoordinateReferenceSystem("EPSG:4326")
        QgsProject.instance().setCrs(wgs84)
        qgis_iface.mapCanvas().setDestinationCrs(wgs84)
        pool = QThreadPool.globalInstance()
        expiry = pool.expiryTimeout()
        forget_dock_queue()  # before the dock: it opens (and resumes) its queue when it starts
        panel = ScenePickerDock(iface=qgis_iface)
        panel.model.add_scenes([scene])
        panel.table.selectRow(0)
        assert panel.current_scene() is not None
        yield panel
        panel.close_panel()
        panel.deleteLater()
        pool.setExpiryTimeout(expiry)
        clear_plugin_settings()


def _scene_layers() -> list[QgsRasterLayer]:
    root = QgsProject.instance().layerTreeRoot().findGroup(GROUP_NAME)
    group = root.findGroup("RENDER_SCENE") if root is not None else None
    return [node.layer() for node in group.findLayers()] if group is not None else []


def _expire_worker_threads() -> None:
    """Let QGIS's idle task threads expire (1 s instead of 30 s), as they do in a desktop session."""
    QThreadPool.globalInstance().setExpiryTimeout(1000)
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline:
        QgsApplication.processEvents()
        time.sleep(0.05)


def _drawn_share(canvas, layer: QgsRasterLayer) -> float:
    """Render ``layer`` with the canvas's settings (EPSG:4326) over white; the share of non-white pixels."""
    canvas.setLayers([layer])
    to_map = QgsCoordinateTransform(layer.crs(), canvas.mapSettings().destinationCrs(), QgsProject.instance())
    canvas.setExtent(to_map.transformBoundingBox(layer.extent()))
    map_settings = canvas.mapSettings()
    map_settings.setOutputSize(QSize(64, 64))
    map_settings.setBackgroundColor(QColor("white"))
    assert map_settings.destinationCrs().authid() == "EPSG:4326"
    job = QgsMapRendererParallelJob(map_settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    white = QColor("white").rgb()
    drawn = sum(image.pixel(x, y) != white for y in range(image.height()) for x in range(image.width()))
    return drawn / (image.width() * image.height())


def _assert_all_drawn(canvas, layers: list[QgsRasterLayer]) -> None:
    """Each layer draws at once (as the canvas does when it is added) and still after the threads went."""
    assert layers
    for when in ("at once", "after the task threads expired"):
        for layer in layers:
            share = _drawn_share(canvas, layer)
            assert share > 0.5, f"{layer.name()} ({layer.source()}) drew {share:.0%} of the map {when}"
        _expire_worker_threads()


def test_downloaded_bands_still_draw_after_the_task_threads_expired(dock, product, qgis_iface):
    _scene, folder = product
    files = [str(folder / f"{band}.tif") for band in BANDS]
    job = JobView("j1", "done", "k", "stac-static", "RENDER_SCENE", str(folder), files=files)
    dock._load_job_files(job, announce=False)
    assert wait_until(lambda: len(_scene_layers()) == 3, 20)
    _assert_all_drawn(qgis_iface.mapCanvas(), _scene_layers())


def test_streamed_bands_still_draw_after_the_task_threads_expired(dock, qgis_iface):
    dock.set_checked_assets(["B04"])
    assert dock.stream_selected() is not None
    assert wait_until(lambda: len(_scene_layers()) == 1, 20)
    (layer,) = _scene_layers()
    assert layer.source().startswith("/vsicurl/http://127.0.0.1:")
    _assert_all_drawn(qgis_iface.mapCanvas(), _scene_layers())


def test_rgb_composite_still_draws_after_the_task_threads_expired(dock, qgis_iface):
    dock.set_checked_assets(["B04", "B03", "B02"])
    assert dock.rgb_selected() is not None
    assert wait_until(lambda: len(_scene_layers()) == 1, 20)
    (layer,) = _scene_layers()
    assert layer.bandCount() == 3
    _assert_all_drawn(qgis_iface.mapCanvas(), _scene_layers())


def test_stream_takes_member_patterns_one_layer_per_band(dock, qgis_iface):
    """Stream accepts the patterns Download takes: each raster member they match of the zipped product
    is a layer named after its band; the metadata member they also match is left out."""
    dock.set_checked_assets(["product"])
    dock.members_edit.setText("*_B03_20m.tif, */IMG_DATA/*_B04_*, *.xml")
    assert dock.stream_selected() is not None
    assert wait_until(lambda: len(_scene_layers()) == 2, 20)
    layers = {layer.name(): layer for layer in _scene_layers()}
    assert sorted(layers) == ["B03", "B04"]
    for band, layer in layers.items():
        assert layer.source().startswith("/vsizip//vsicurl/http://127.0.0.1:")
        assert layer.source().endswith(f"/P.SAFE/GRANULE/IMG_DATA/T31TCJ_20240603_{band}_20m.tif")
    _assert_all_drawn(qgis_iface.mapCanvas(), list(layers.values()))


def test_stream_of_a_zip_without_patterns_says_what_to_give(dock, qgis_iface):
    from qgis.core import Qgis

    bar = qgis_iface.messageBar()
    bar.clear_messages()
    dock.set_checked_assets(["product"])
    dock.members_edit.clear()
    assert dock.stream_selected() is not None
    assert wait_until(lambda: bar.get_messages(Qgis.MessageLevel.Warning), 20)
    (text,) = bar.get_messages(Qgis.MessageLevel.Warning)
    assert "zip archive" in text and "Members…" in text, text
    assert _scene_layers() == []


def test_rgb_from_three_members_of_a_zipped_product(dock, qgis_iface):
    dock.set_checked_assets(["product"])
    dock.members_edit.setText("*_B04_20m.tif, *_B03_20m.tif, *_B02_20m.tif")  # red, green, blue
    assert dock.rgb_selected() is not None
    assert wait_until(lambda: len(_scene_layers()) == 1, 20)
    (rgb,) = _scene_layers()
    assert rgb.name() == "RENDER_SCENE RGB" and rgb.bandCount() == 3
    vrt = Path(rgb.source()).read_text()
    order = [vrt.index(f"_{band}_20m.tif</SourceFilename>") for band in ("B04", "B03", "B02")]
    assert order == sorted(order), "the members are not red, green, blue in the order given"
    assert vrt.count("/vsizip//vsicurl/http://127.0.0.1:") == 3
    _assert_all_drawn(qgis_iface.mapCanvas(), [rgb])


def test_rgb_refuses_a_pattern_matching_several_members(dock, qgis_iface):
    from qgis.core import Qgis

    bar = qgis_iface.messageBar()
    bar.clear_messages()
    dock.set_checked_assets(["product"])
    dock.members_edit.setText("*_B0[34]_20m.tif, *_B03_20m.tif, *_B02_20m.tif")
    assert dock.rgb_selected() is not None
    assert wait_until(lambda: bar.get_messages(Qgis.MessageLevel.Warning), 20)
    (text,) = bar.get_messages(Qgis.MessageLevel.Warning)
    assert "*_B0[34]_20m.tif matches 2 raster members" in text, text
    assert _scene_layers() == []


def test_streaming_listing_and_downloading_leave_no_socket_open(dock, qgis_iface):
    """Bug 5: every HTTP session the dock's tasks open is closed when the task ends; none is left to the
    garbage collector (which would warn ``ResourceWarning: unclosed <socket…>``)."""
    import gc
    import warnings

    from support.ui_wait import wait_for_tasks

    gc.collect()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        dock.set_checked_assets(["product"])
        dock.members_edit.setText("*_B04_20m.tif, *_B03_20m.tif, *_B02_20m.tif")
        assert dock.stream_selected() is not None
        assert wait_for_tasks(30)
        assert dock.rgb_selected() is not None
        assert dock.list_members() is not None
        assert wait_until(lambda: getattr(dock, "members_dialog", None) is not None, 20)
        dock.members_dialog.reject()
        dock.set_checked_assets(["B02"])
        dock.members_edit.clear()
        assert dock.download_selected()
        assert wait_until(lambda: dock.downloads is not None and dock.downloads.jobs(), 20)
        jobs = dock.downloads.jobs()
        assert len(jobs) == 1, [(j.scene_id, j.state, j.id) for j in jobs]
        (job,) = jobs
        assert wait_until(lambda: dock.downloads.job(job.id).state in ("done", "failed"), 30)
        assert dock.downloads.job(job.id).state == "done", dock.downloads.job(job.id)
        # three streamed members, the RGB composite, the downloaded band
        assert wait_until(lambda: len(_scene_layers()) == 5, 20)
        gc.collect()
    dock.downloads.shutdown()
    unclosed = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert not unclosed, unclosed


def test_footprints_stay_below_the_bands_and_become_outlines_once_downloaded(dock, product, qgis_iface):
    """The footprint layer does not hide loaded bands: the scene's group is drawn above it, and a
    downloaded scene's footprint is an outline (no fill over its bands)."""
    from scene_picker.ui.results_model import scene_key

    scene, _folder = product
    dock.footprints.add_scenes([scene])
    footprints = dock.footprints.layer()
    dock.set_checked_assets(["B04"])
    assert dock.stream_selected() is not None
    assert wait_until(lambda: len(_scene_layers()) == 1, 20)
    group = QgsProject.instance().layerTreeRoot().findGroup(GROUP_NAME)
    names = [child.name() for child in group.children()]
    assert names.index("RENDER_SCENE") < names.index(footprints.name()), names  # above = drawn on top

    canvas = qgis_iface.mapCanvas()
    centre = box(*BBOX).centroid
    canvas.setLayers([footprints])
    canvas.setExtent(footprints.extent().buffered(0.001))

    def centre_pixel():
        map_settings = canvas.mapSettings()
        map_settings.setOutputSize(QSize(256, 256))
        map_settings.setBackgroundColor(QColor("white"))
        job = QgsMapRendererParallelJob(map_settings)
        job.start()
        job.waitForFinished()
        point = map_settings.mapToPixel().transform(centre.x, centre.y)
        return QColor(job.renderedImage().pixel(int(point.x()), int(point.y())))

    assert centre_pixel() != QColor("white")  # a found scene: a translucent fill
    dock.footprints.mark_downloaded(scene_key(scene))
    pixel = centre_pixel()
    assert pixel == QColor("white"), pixel.name()  # downloaded: outline only
