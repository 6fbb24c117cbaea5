"""Loading scenes as map layers: downloaded rasters under a group per scene (inside the "Scene Picker"
group), an RGB composite VRT built with GDAL from three chosen bands, and streaming a band without
downloading it through GDAL's ``/vsicurl/`` (a remote COG) or ``/vsizip//vsicurl/`` (a member of a
remote zip). Opening anything remote happens in a background task, never on the main thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

from qgis.core import QgsLayerTreeGroup, QgsProject, QgsRasterLayer, QgsTask
from qgis.PyQt.QtCore import QCoreApplication

from ..core.errors import LayerLoadError, UsageError
from ..core.redact import redact_url
from .footprints import scene_group
from .tasks import FunctionTask

RASTER_SUFFIXES = (".tif", ".tiff", ".jp2", ".vrt", ".img", ".nc", ".hdf", ".h5", ".png", ".jpg", ".dem")


def scene_layer_group(scene_name: str, project: QgsProject | None = None) -> QgsLayerTreeGroup:
    """The group of one scene inside the "Scene Picker" group (created when missing)."""
    parent = scene_group(project)
    group = parent.findGroup(scene_name)
    if group is None:
        group = parent.addGroup(scene_name)
    return group


def is_raster_candidate(path: Path) -> bool:
    return path.suffix.lower() in RASTER_SUFFIXES


def add_raster(
    source: str,
    name: str,
    scene_name: str,
    project: QgsProject | None = None,
    layer: QgsRasterLayer | None = None,
) -> QgsRasterLayer:
    """Add ``source`` (or an already opened ``layer``) under the scene's group; raises LayerLoadError."""
    project = project or QgsProject.instance()
    layer = layer or QgsRasterLayer(source, name, "gdal")
    if not layer.isValid():
        raise LayerLoadError(
            QCoreApplication.translate("Layers", "{} is not a raster GDAL can open.").format(
                redact_url(source)
            )
        )
    project.addMapLayer(layer, False)
    scene_layer_group(scene_name, project).addLayer(layer)
    return layer


def build_rgb_vrt(red: str, green: str, blue: str, dest: Path) -> Path:
    """A three-band VRT (R, G, B from three single-band sources: paths or GDAL URLs) written to ``dest``."""
    from osgeo import gdal

    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    gdal.UseExceptions()
    try:
        vrt = gdal.BuildVRT(str(dest), [red, green, blue], separate=True, resolution="highest")
    except RuntimeError as exc:
        raise LayerLoadError(
            QCoreApplication.translate("Layers", "Could not build the RGB composite: {}").format(exc)
        ) from exc
    if vrt is None:
        raise LayerLoadError(
            QCoreApplication.translate("Layers", "Could not build the RGB composite from the chosen bands.")
        )
    vrt.FlushCache()
    vrt = None  # closes and writes the file
    return dest


def vsi_path(href: str, member: str | None = None) -> str:
    """The GDAL path streaming ``href`` (an http(s) URL), or ``member`` inside the zip at ``href``."""
    if not href.startswith(("http://", "https://")):
        raise UsageError(
            QCoreApplication.translate("Layers", "Only http(s) URLs can be streamed: {}").format(
                redact_url(href)
            )
        )
    if member:
        return f"/vsizip//vsicurl/{href}/{member.lstrip('/')}"
    return f"/vsicurl/{href}"


def apply_provider_access(provider, asset) -> None:
    """Give GDAL the provider's credentials for ``asset``'s server (worker thread), when it needs any.

    The options must outlive the call (QGIS reads the layer later), so they are only set when GDAL can
    scope them to that one server (GDAL >= 3.7); with an older GDAL a login-protected band is refused
    rather than sending its token to every server GDAL reads from.
    """
    access_for = getattr(provider, "gdal_access", None)
    if access_for is None or not getattr(provider, "credentials", None):
        return
    from osgeo import gdal

    from ..providers.gdal_access import GdalUnavailableError

    if int(gdal.VersionInfo("VERSION_NUM")) < 3070000:
        raise GdalUnavailableError(
            QCoreApplication.translate(
                "Layers",
                "Streaming a band that needs a login requires GDAL 3.7 or newer (credentials scoped to "
                "one server); this QGIS has GDAL {}. Download the band instead.",
            ).format(gdal.__version__)
        )
    _path, access = access_for(asset)
    access.apply()


def open_rasters_task(
    files: Sequence[Path],
    name: str,
    on_done: Callable[[list[QgsRasterLayer] | None, BaseException | None], None] | None = None,
    prepare: Callable[[QgsRasterLayer, Path], None] | None = None,
) -> FunctionTask:
    """A task that opens the rasters among ``files`` in the background (GDAL reads each header: a JP2
    band can take a while); ``on_done(layers, error)`` on the main thread, which adds them with
    :func:`add_raster`. Files GDAL cannot open are left out. ``prepare(layer, path)`` runs in the
    worker on each opened layer (e.g. :func:`~scene_picker.ui.temporal.apply_clip_time`)."""
    paths = [Path(p) for p in files]
    main_thread = QCoreApplication.instance().thread()

    def work(task: QgsTask) -> list[QgsRasterLayer]:
        layers = []
        for path in paths:
            if task.isCanceled():
                break
            if not is_raster_candidate(path) or not path.is_file():
                continue
            layer = QgsRasterLayer(str(path), path.stem, "gdal")
            if layer.isValid():
                if prepare is not None:
                    prepare(layer, path)
                layer.moveToThread(main_thread)
                layers.append(layer)
        return layers

    task = FunctionTask(QCoreApplication.translate("Layers", "Scene Picker: open {}").format(name), work)
    if on_done is not None:
        task.signals.done.connect(on_done)
    return task


def open_remote_task(
    href: str,
    name: str,
    member: str | None = None,
    on_done: Callable[[QgsRasterLayer | None, BaseException | None], None] | None = None,
    prepare: Callable[[], None] | None = None,
) -> FunctionTask:
    """A task that opens a remote band in the background; ``on_done(layer, error)`` on the main thread.
    ``prepare()`` runs first in the worker (e.g. :func:`apply_provider_access`).

    The layer is created in the worker (the slow part: GDAL reads the remote header) and handed over
    to the main thread before it is returned.
    """
    path = vsi_path(href, member)
    main_thread = QCoreApplication.instance().thread()

    def work(task: QgsTask) -> QgsRasterLayer:
        if prepare is not None:
            prepare()
        layer = QgsRasterLayer(path, name, "gdal")
        if not layer.isValid():
            raise LayerLoadError(
                QCoreApplication.translate("Layers", "GDAL could not stream {}.").format(redact_url(path))
            )
        layer.moveToThread(main_thread)
        return layer

    task = FunctionTask(QCoreApplication.translate("Layers", "Scene Picker: open {}").format(name), work)
    if on_done is not None:
        task.signals.done.connect(on_done)
    return task
