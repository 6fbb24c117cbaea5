"""Loading scenes as map layers: downloaded rasters under a group per scene (inside the "Scene Picker"
group), an RGB composite VRT built with GDAL from three chosen bands, and streaming bands without
downloading them through GDAL's ``/vsicurl/`` (a remote COG) or ``/vsizip//vsicurl/`` (members of a
remote zip, picked by the same patterns as a download).

The slow GDAL work (reading remote headers, listing a remote zip, building a VRT) runs in a background
task that creates no QGIS object: it returns :class:`RasterSpec` values, and the ``QgsRasterLayer`` of
each is created on the main thread when the task is done. A layer created in a task's thread stops
drawing once that pooled thread expires (30 s after it went idle).
"""

from __future__ import annotations

import re
from contextlib import closing
from pathlib import Path
from typing import Callable, NamedTuple, Optional, Sequence

from qgis.core import QgsLayerTreeGroup, QgsProject, QgsRasterLayer, QgsTask
from qgis.PyQt.QtCore import QCoreApplication

from ..core.errors import LayerLoadError, UsageError
from ..core.redact import redact_url
from .footprints import scene_group
from .tasks import FunctionTask
from .temporal import set_acquisition_time

RASTER_SUFFIXES = (".tif", ".tiff", ".jp2", ".vrt", ".img", ".nc", ".hdf", ".h5", ".png", ".jpg", ".dem")
#: A band token in a file name: B04, B8A, B4 (Sentinel-2, Landsat), delimited by _ - . or the ends.
_BAND = re.compile(r"(?:^|[_.-])(B\d{1,2}A?)(?=[_.-]|$)", re.IGNORECASE)
#: Callback of the loading tasks, on the main thread: the added layers, or the error.
LayersDone = Callable[[list[QgsRasterLayer], BaseException | None], None]


class RasterSpec(NamedTuple):
    """A raster to load: its GDAL source, the layer name and its acquisition time when a clip record
    gives one (what a worker hands the main thread)."""

    source: str
    name: str
    when: Optional[str] = None


def scene_layer_group(scene_name: str, project: QgsProject | None = None) -> QgsLayerTreeGroup:
    """The group of one scene inside the "Scene Picker" group (created at its top when missing, so the
    bands draw above the footprint layer at its bottom)."""
    parent = scene_group(project)
    group = parent.findGroup(scene_name)
    if group is None:
        group = parent.insertGroup(0, scene_name)
    return group


def is_raster_candidate(path: Path | str) -> bool:
    return Path(path).suffix.lower() in RASTER_SUFFIXES


def band_name(path: str) -> str:
    """The band a file or zip member holds, named as the product does (``B04``, ``B8A``), else its stem."""
    stem = Path(path.rstrip("/")).stem
    hits = _BAND.findall(stem)
    return hits[-1].upper() if hits else stem


def band_specs(sources: Sequence[str]) -> list[RasterSpec]:
    """One spec per source, named after its band; sources sharing a band keep their file stem."""
    names = [band_name(source) for source in sources]
    return [
        RasterSpec(source, name if names.count(name) == 1 else Path(source).stem)
        for source, name in zip(sources, names)
    ]


def add_raster(
    source: str,
    name: str,
    scene_name: str,
    project: QgsProject | None = None,
    layer: QgsRasterLayer | None = None,
) -> QgsRasterLayer:
    """Add ``source`` (or an already opened ``layer``) at the top of the scene's group (main thread);
    raises LayerLoadError."""
    project = project or QgsProject.instance()
    layer = layer or QgsRasterLayer(source, name, "gdal")
    if not layer.isValid():
        raise LayerLoadError(
            QCoreApplication.translate("Layers", "{} is not a raster GDAL can open.").format(
                redact_url(source)
            )
        )
    project.addMapLayer(layer, False)
    scene_layer_group(scene_name, project).insertLayer(0, layer)  # on top, as QGIS adds layers
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


def probe(spec: RasterSpec) -> bool:
    """Whether GDAL opens ``spec`` as a raster (worker thread: reads the header, creates no QGIS object).
    Also warms GDAL's cache of remote headers for the layer the main thread then creates."""
    from osgeo import gdal

    try:
        dataset = gdal.OpenEx(spec.source, gdal.OF_RASTER)
    except RuntimeError:  # GDAL raises when exceptions were turned on (build_rgb_vrt does)
        return False
    return dataset is not None


def require(spec: RasterSpec) -> RasterSpec:
    """``spec`` when GDAL opens it, else a LayerLoadError naming it (worker thread)."""
    if not probe(spec):
        raise LayerLoadError(
            QCoreApplication.translate("Layers", "GDAL could not open {}.").format(redact_url(spec.source))
        )
    return spec


def layers_task(
    description: str,
    work: Callable[[QgsTask], Sequence[RasterSpec]],
    scene_name: str,
    on_done: LayersDone | None = None,
    project: QgsProject | None = None,
) -> FunctionTask:
    """A task running ``work`` (GDAL only, and any disk reads) in the background; on the main thread the
    layers of the specs it returns are created, given their acquisition time (``spec.when``) and added
    under the scene's group, then ``on_done(layers, error)``."""
    task = FunctionTask(description, work)

    def done(specs, error) -> None:  # main thread
        layers: list[QgsRasterLayer] = []
        if task.isCanceled():  # the panel closed (plugin unloaded) meanwhile: add nothing
            return
        if error is None:
            try:
                for spec in specs or []:
                    layer = QgsRasterLayer(spec.source, spec.name, "gdal")
                    if spec.when is not None and layer.isValid():
                        set_acquisition_time(layer, spec.when)
                    layers.append(add_raster(spec.source, spec.name, scene_name, project, layer=layer))
            except LayerLoadError as exc:
                error = exc
        if on_done is not None:
            on_done(layers, error)

    task.signals.done.connect(done)
    return task


def open_rasters_task(
    files: Sequence[Path],
    scene_name: str,
    on_done: LayersDone | None = None,
) -> FunctionTask:
    """A task adding the rasters among ``files`` (downloaded bands) under the scene's group; GDAL reads
    their headers in the background (a JP2 band can take a while), and a clipped band's record gives
    its acquisition time. Files GDAL cannot open are left out."""
    from ..core.clip import clip_datetime

    candidates = [str(p) for p in files if is_raster_candidate(p)]

    def work(task: QgsTask) -> list[RasterSpec]:
        specs = []
        for spec in band_specs(candidates):
            if task.isCanceled():
                break
            if Path(spec.source).is_file() and probe(spec):
                specs.append(spec._replace(when=clip_datetime(Path(spec.source))))
        return specs

    description = QCoreApplication.translate("Layers", "Scene Picker: open {}").format(scene_name)
    return layers_task(description, work, scene_name, on_done)


def remote_specs(
    assets: Sequence,
    patterns: Sequence[str],
    http,
    cancel=None,
) -> list[RasterSpec]:
    """The bands to stream from ``assets`` (worker thread): a remote COG as it is; from a zipped product
    the raster members matching ``patterns`` (listed by HTTP range requests), one spec per member named
    after its band. A zip without patterns, or patterns matching no raster, is a UsageError."""
    from ..core.remotezip import RemoteZip

    sources: list[str] = []
    names: list[str] = []
    for asset in assets:
        if not asset.is_zip:
            sources.append(vsi_path(asset.href))
            names.append(asset.key)
            continue
        if not patterns:
            raise UsageError(
                QCoreApplication.translate(
                    "Layers", "{} is a zip archive: give the members to open (patterns, or Members…)."
                ).format(asset.key)
            )
        archive = RemoteZip(asset.href, http, cancel=cancel)
        members = [m.name for m in archive.select(patterns) if is_raster_candidate(m.name)]
        if not members:
            raise UsageError(
                QCoreApplication.translate("Layers", "No raster member of {} matches {}.").format(
                    asset.key, ", ".join(patterns)
                )
            )
        for spec in band_specs(members):
            sources.append(vsi_path(asset.href, spec.source))
            names.append(spec.name)
    return [RasterSpec(source, name) for source, name in zip(sources, names)]


def rgb_members(asset, patterns: Sequence[str], http, cancel=None) -> list[str]:
    """The red, green and blue members of a zipped product: one raster member per pattern, in the order
    the patterns are written (worker thread)."""
    from ..core.remotezip import RemoteZip

    if len(patterns) != 3:
        raise UsageError(
            QCoreApplication.translate(
                "Layers", "Give three members (red, green, blue) of {} for an RGB composite, not {}."
            ).format(asset.key, len(patterns))
        )
    archive = RemoteZip(asset.href, http, cancel=cancel)
    chosen = []
    for pattern in patterns:
        hits = [m.name for m in archive.select([pattern]) if is_raster_candidate(m.name)]
        if len(hits) != 1:
            raise UsageError(
                QCoreApplication.translate(
                    "Layers", "{} matches {} raster members of {}; an RGB band needs exactly one."
                ).format(pattern, len(hits), asset.key)
            )
        chosen.append(hits[0])
    return chosen


def stream_work(scene, keys: Sequence[str], patterns: Sequence[str]) -> Callable[[QgsTask], list[RasterSpec]]:
    """The worker side of streaming ``scene``'s checked assets ``keys`` (see :func:`remote_specs`): the
    provider's credentials for GDAL, the zip listings, one header read per band. Bands GDAL cannot open
    are left out (logged); none at all is a LayerLoadError."""
    assets = [scene.assets[key] for key in keys]

    def work(task: QgsTask) -> list[RasterSpec]:
        from ..core.cancel import CancelToken
        from .messages import log
        from .providers_info import make_provider

        cancel = CancelToken.from_callable(task.isCanceled)
        with closing(make_provider(scene.provider)) as provider:
            for asset in assets:
                apply_provider_access(provider, asset)
            specs = remote_specs(assets, patterns, provider.http, cancel)
        opened = [spec for spec in specs if probe(spec)]
        for spec in specs:
            if spec not in opened:
                log(f"GDAL could not stream {redact_url(spec.source)}")
        if not opened:
            require(specs[0])
        return opened

    return work


def rgb_work(
    scene,
    dest: Path,
    name: str,
    zip_key: str | None = None,
    patterns: Sequence[str] = (),
    local: Callable[[], dict[str, str]] | None = None,
    sources: Callable[[], dict[str, str]] | None = None,
) -> Callable[[QgsTask], list[RasterSpec]]:
    """The worker side of an RGB composite written to ``dest``: from ``sources()`` (asset key → local
    path or GDAL URL, in red, green, blue order), or from three members of the zipped asset ``zip_key``
    picked by ``patterns`` (a member already downloaded, found by file name in ``local()``, is read from
    disk). ``local`` and ``sources`` look up the downloads (queue database, files): they run here, in
    the worker."""

    def work(task: QgsTask) -> list[RasterSpec]:
        from ..core.cancel import CancelToken
        from .providers_info import make_provider

        chosen = sources() if sources is not None else {}
        bands = list(chosen.values())
        remote = [key for key, source in chosen.items() if source.startswith("/vsi")]
        if zip_key is not None or remote:
            with closing(make_provider(scene.provider)) as provider:
                for key in [zip_key] if zip_key is not None else remote:
                    apply_provider_access(provider, scene.assets[key])
                if zip_key is not None:
                    asset = scene.assets[zip_key]
                    cancel = CancelToken.from_callable(task.isCanceled)
                    members = rgb_members(asset, patterns, provider.http, cancel)
                    found = local() if local is not None else {}
                    bands = [found.get(Path(m).name) or vsi_path(asset.href, m) for m in members]
        build_rgb_vrt(*bands, dest)
        return [require(RasterSpec(str(dest), name))]

    return work
