"""The Processing algorithm "Download scenes" (``scenepicker:downloadscenes``).

Input: a footprint layer made by "Search scenes" (or its selected features). For each scene it
activates (offline products) and downloads the chosen assets, or only the chosen members of zip
assets (partial extraction over HTTP ranges), into ``folder/<scene id>/`` through the provider's
:class:`~scene_picker.providers.downloader.Downloader`. Progress goes to the feedback; the feedback's cancel
reaches the engine through a :class:`~scene_picker.core.cancel.CancelToken`, which stops the transfer
between chunks. A scene that fails is reported and the others go on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from qgis.core import (
    QgsFeature,
    QgsFeatureSink,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingOutputBoolean,
    QgsProcessingOutputMultipleLayers,
    QgsProcessingOutputNumber,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterString,
)

from ..catalogs.download import download_scene
from ..core.errors import CancelledError, ScenePickerError
from ..core.progress import Progress
from . import compat, field_types, settings
from .layers import is_raster_candidate
from .processing_clip import (
    add_clip_parameters,
    build_time_stacks,
    clip_from_parameters,
    clip_time_post_processor,
)
from .processing_common import ScenePickerAlgorithm, provider_options
from .processing_scenes import provider_of, scene_from_feature, scene_id_of

#: The "Downloaded files table" output: one row per file written.
FILE_FIELDS = (
    ("scene_id", field_types.STRING),
    ("provider", field_types.STRING),
    ("path", field_types.STRING),
    ("size", field_types.LONGLONG),
)


def split_patterns(text: Optional[str]) -> list[str]:
    """``"a, b;c"`` → ``["a", "b", "c"]`` (commas or semicolons)."""
    return [p.strip() for p in (text or "").replace(";", ",").split(",") if p.strip()]


class DownloadScenesAlgorithm(ScenePickerAlgorithm):
    INPUT = "INPUT"
    ASSETS = "ASSETS"
    MEMBERS = "MEMBERS"
    URL = "URL"
    OVERWRITE = "OVERWRITE"
    LOAD_LAYERS = "LOAD_LAYERS"
    OUTPUT_FOLDER = "OUTPUT_FOLDER"
    OUTPUT = "OUTPUT"
    FILES = "FILES"
    BYTES_FETCHED = "BYTES_FETCHED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    def name(self) -> str:
        return "downloadscenes"

    def displayName(self) -> str:
        return self.tr("Download scenes")

    def shortHelpString(self) -> str:
        return self.tr(
            "Downloads the scenes of a footprint layer made by 'Search scenes' (or only its selected "
            "features) into a folder, one sub-folder per scene. Assets are chosen by key or pattern "
            "(e.g. 'B04,B08' or 'role:data'); zip member patterns (e.g. '*_B04_*.tif') extract only those "
            "files from remote zip archives. Downloads resume and files already verified are skipped. "
            "With a clip area, only that area's pixels of each raster are fetched (windowed reads of "
            "cloud-optimised GeoTIFFs; other rasters are downloaded, then clipped) into NAME.clip.tif."
        )

    def initAlgorithm(self, config: Optional[dict[str, Any]] = None) -> None:
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                self.INPUT, self.tr("Scene footprints"), [compat.SOURCE_VECTOR_ANY_GEOMETRY]
            )
        )
        self.addParameter(
            QgsProcessingParameterString(
                self.ASSETS,
                self.tr("Assets (keys or patterns, comma separated; empty: data assets)"),
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterString(
                self.MEMBERS,
                self.tr("Zip members to extract (patterns, comma separated; empty: whole files)"),
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterString(
                self.URL, self.tr("Catalog URL (instead of the one the layer records)"), optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterBoolean(self.OVERWRITE, self.tr("Overwrite existing files"), False)
        )
        self.addParameter(
            QgsProcessingParameterBoolean(
                self.LOAD_LAYERS, self.tr("Load downloaded rasters as layers"), False
            )
        )
        add_clip_parameters(self)
        self.addParameter(
            QgsProcessingParameterFolderDestination(
                self.OUTPUT_FOLDER, self.tr("Download folder"), defaultValue=settings.output_dir()
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSink(
                self.OUTPUT,
                self.tr("Downloaded files table"),
                compat.SOURCE_VECTOR,
                optional=True,
                createByDefault=False,
            )
        )
        self.addOutput(QgsProcessingOutputMultipleLayers(self.FILES, self.tr("Downloaded files")))
        self.addOutput(QgsProcessingOutputNumber(self.BYTES_FETCHED, self.tr("Bytes fetched")))
        self.addOutput(QgsProcessingOutputNumber(self.FAILED, self.tr("Scenes that failed")))
        self.addOutput(QgsProcessingOutputBoolean(self.CANCELLED, self.tr("Cancelled")))

    def process(self, parameters, context, feedback) -> dict[str, Any]:
        source = self.parameterAsSource(parameters, self.INPUT, context)
        if source is None:
            raise QgsProcessingException(self.invalidSourceError(parameters, self.INPUT))
        assets = split_patterns(self.parameterAsString(parameters, self.ASSETS, context)) or None
        members = split_patterns(self.parameterAsString(parameters, self.MEMBERS, context)) or None
        url_options = provider_options(self.parameterAsString(parameters, self.URL, context))
        overwrite = self.parameterAsBool(parameters, self.OVERWRITE, context)
        load_layers = self.parameterAsBool(parameters, self.LOAD_LAYERS, context)
        clip = clip_from_parameters(self, parameters, context)
        folder = Path(self.parameterAsString(parameters, self.OUTPUT_FOLDER, context))
        folder.mkdir(parents=True, exist_ok=True)
        table_fields = field_types.qgs_fields(FILE_FIELDS)
        table, table_id = self.parameterAsSink(
            parameters, self.OUTPUT, context, table_fields, compat.WKB_NO_GEOMETRY
        )

        features = list(source.getFeatures())
        if not features:
            raise QgsProcessingException(self.tr("The footprint layer has no feature to download."))
        cancel = self.cancel_token(feedback)
        files: list[str] = []
        fetched = 0
        failed = 0
        cancelled = False
        for index, feature in enumerate(features):
            if cancel.is_cancelled():
                cancelled = True
                break
            scene_label = self._scene_label(feature)
            feedback.setProgressText(
                self.tr("Scene {} of {}: {}").format(index + 1, len(features), scene_label)
            )
            try:
                result = self._download_one(
                    feature,
                    index,
                    len(features),
                    url_options,
                    folder,
                    assets,
                    members,
                    overwrite,
                    cancel,
                    feedback,
                    clip,
                )
            except CancelledError:
                cancelled = True
                break
            except ScenePickerError as exc:
                failed += 1
                feedback.reportError(self.tr("{}: {}").format(scene_label, exc), fatalError=False)
                continue
            fetched += result.bytes_fetched
            for path in result.files:
                files.append(str(path))
                if table is not None:
                    row = QgsFeature(table_fields)
                    row.setAttributes(
                        [result.scene_id, feature["provider"], str(path), Path(path).stat().st_size]
                    )
                    table.addFeature(row, QgsFeatureSink.Flag.FastInsert)
            feedback.pushInfo(
                self.tr("{}: {} files, {} bytes fetched, {} already there.").format(
                    scene_label, len(result.files), result.bytes_fetched, result.skipped
                )
            )
            feedback.setProgress(100.0 * (index + 1) / len(features))
        if clip and files:
            build_time_stacks(files, folder, feedback)
        if cancelled:
            feedback.pushWarning(self.tr("Download cancelled; {} files were complete.").format(len(files)))
        elif failed == len(features):
            raise QgsProcessingException(self.tr("Every scene failed to download (see the log)."))
        if load_layers:
            for path in files:
                if is_raster_candidate(Path(path)):
                    details = QgsProcessingContext.LayerDetails(
                        Path(path).stem, context.project(), self.FILES
                    )
                    if clip:
                        details.setPostProcessor(clip_time_post_processor(path))
                    context.addLayerToLoadOnCompletion(path, details)
        results: dict[str, Any] = {
            self.OUTPUT_FOLDER: str(folder),
            self.FILES: files,
            self.BYTES_FETCHED: fetched,
            self.FAILED: failed,
            self.CANCELLED: cancelled,
        }
        if table is not None:
            results[self.OUTPUT] = table_id
        return results

    def _scene_label(self, feature: QgsFeature) -> str:
        try:
            return scene_id_of(feature)
        except ScenePickerError:
            return f"feature {feature.id()}"

    def _download_one(
        self, feature, index, count, url_options, folder, assets, members, overwrite, cancel, feedback, clip
    ):
        name, options = provider_of(feature)
        scene = scene_from_feature(feature)
        recorded = {**options, **(scene.source if scene is not None else {})}
        provider = self.provider_instance(name, {**recorded, **url_options})
        if scene is None:
            scene = provider.get(scene_id_of(feature))

        def progress(event: Progress) -> None:
            fraction = event.fraction or 0.0
            feedback.setProgress(100.0 * (index + fraction) / count)

        downloader = provider.downloader(scene)
        return download_scene(
            downloader,
            folder,
            assets=assets,
            members=members,
            clip=clip,
            overwrite=overwrite,
            cancel=cancel,
            progress=progress,
        )
