"""The Scene Picker dock widget: its three tabs (Search: ui/dock_search.py, Results: ui/dock_results.py,
Downloads: the queue panel), downloads, zip members, and loading scenes as layers (download, stream, RGB).

Everything slow runs in QgsTasks; :meth:`ScenePickerDock.close_panel` stops them and removes the map
tools and rubber bands (``plugin.unload`` calls it).
"""

from __future__ import annotations

from pathlib import Path

from qgis.core import Qgis, QgsRasterLayer
from qgis.gui import QgsDockWidget
from qgis.PyQt.QtCore import QCoreApplication, Qt, QTimer
from qgis.PyQt.QtWidgets import QTabWidget, QWidget

from ..core.errors import LayerLoadError, ScenePickerError
from ..core.naming import safe_name
from ..core.scene import Scene
from . import settings
from .aoi_tools import AoiController
from .dock_results import ResultsTabMixin
from .dock_search import TAB_DOWNLOADS, TAB_RESULTS, TAB_SEARCH, SearchTabMixin  # noqa: F401 - re-exported
from .footprints import FootprintLayer
from .layers import layers_task, open_rasters_task, rgb_work, stream_work
from .messages import log, notify
from .providers_info import ProviderInfo, available_providers, make_provider
from .query_form import NAME_ROLE
from .queue_panel import QueuePanel
from .quicklook import QuicklookCache
from .results_model import ResultsFilterModel, ResultsModel, scene_key
from .search_task import SearchTask
from .tasks import FunctionTask, TaskKeeper
from .temporal import clip_payload, show_series

DOCK_OBJECT_NAME = "ScenePickerDock"


class ScenePickerDock(SearchTabMixin, ResultsTabMixin, QgsDockWidget):
    """Titled dock with a stable object name so QGIS restores its position between sessions."""

    def __init__(
        self,
        parent: QWidget | None = None,
        iface=None,
        providers: list[ProviderInfo] | None = None,
    ) -> None:
        super().__init__(self.tr("Scene Picker"), parent)
        self.setObjectName(DOCK_OBJECT_NAME)
        self.setAllowedAreas(Qt.DockWidgetArea.LeftDockWidgetArea | Qt.DockWidgetArea.RightDockWidgetArea)
        if iface is None:
            from qgis.utils import iface as qgis_iface

            iface = qgis_iface
        self.iface = iface
        self.canvas = iface.mapCanvas()
        if providers is None:
            try:
                providers = available_providers()
            except (ImportError, ScenePickerError) as exc:
                log(f"No provider could be listed: {exc}", Qgis.MessageLevel.Warning)
                providers = []
        self.providers = providers
        self.tasks = TaskKeeper()
        self.search_task: SearchTask | None = None
        self._syncing_selection = False
        self._closed = False

        self.aoi = AoiController(self.canvas, self)
        self.aoi.aoiChanged.connect(self._on_aoi_changed)
        self.aoi.failed.connect(lambda text: self._warn(self.tr("Area of interest"), text))
        self.footprints = FootprintLayer(self.canvas, parent=self)
        self.footprints.mapSelectionChanged.connect(self._on_map_selection)
        self.model = ResultsModel(self)
        self.proxy = ResultsFilterModel(self)
        self.proxy.setSourceModel(self.model)
        self._count_timer = QTimer(self)  # one count update per event-loop turn, not one per inserted run
        self._count_timer.setSingleShot(True)
        self._count_timer.timeout.connect(self._update_count)
        for signal in (self.proxy.rowsInserted, self.proxy.rowsRemoved, self.proxy.modelReset):
            signal.connect(lambda *_args: self._count_timer.start(0))
        self.quicklooks = QuicklookCache(parent=self)
        self.quicklooks.ready.connect(self._on_quicklook)
        self.quicklooks.failed.connect(self._on_quicklook_failed)
        self.downloads = None  # the DownloadManager, created on first use (ui/download_task.py)
        self.queue_panel = None

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("ScenePickerTabs")
        self.tabs.addTab(self._search_tab(), self.tr("Search"))
        self.tabs.addTab(self._results_tab(), self.tr("Results"))
        self.tabs.addTab(self._downloads_tab(), self.tr("Downloads"))
        self.setWidget(self.tabs)
        self._on_aoi_changed()
        from .download_task import default_state_file

        state = default_state_file()
        if state.is_file() or state.with_suffix(".json").is_file():  # jobs of an earlier session (or
            try:  # an earlier version's queue file, imported): show and resume them
                self._downloads()
            except ScenePickerError as exc:  # an unreadable queue: the panel still opens, and says why
                self._warn(self.tr("Downloads"), str(exc))

    def tr(self, text: str) -> str:  # noqa: D401 - Qt naming
        return QCoreApplication.translate("ScenePickerDock", text)

    # -- building the tabs ------------------------------------------------------------------------------
    def _downloads_tab(self) -> QWidget:
        self.queue_panel = QueuePanel(self)
        self.queue_panel.retryRequested.connect(lambda job_id: self._downloads().retry(job_id))
        self.queue_panel.cancelRequested.connect(lambda job_id: self._downloads().cancel(job_id))
        self.queue_panel.loadRequested.connect(self._load_job)
        self.queue_panel.clearRequested.connect(
            lambda: self._downloads().clear_finished(self.queue_panel.remove_jobs)
        )
        return self.queue_panel

    # -- messages ---------------------------------------------------------------------------------------
    def _warn(self, title: str, text: str) -> None:
        notify(self.iface, title, text, Qgis.MessageLevel.Warning)

    def _info(self, title: str, text: str) -> None:
        notify(self.iface, title, text, Qgis.MessageLevel.Info)

    # -- downloads --------------------------------------------------------------------------------------
    def _downloads(self):
        if self.downloads is None:
            from .download_task import DownloadManager

            self.downloads = DownloadManager(parent=self)
            self.downloads.jobChanged.connect(self.queue_panel.update_job)
            self.downloads.jobFinished.connect(self._on_job_finished)
            for job in self.downloads.jobs():
                self.queue_panel.update_job(job)
        return self.downloads

    def download_selected(self) -> list:
        scenes = self.selected_scenes() or ([self.current_scene()] if self.current_scene() else [])
        if not scenes:
            self._warn(self.tr("Download"), self.tr("Select one or more scenes first."))
            return []
        checked = self.checked_assets()
        if not checked:
            self._warn(self.tr("Download"), self.tr("Check the assets to download."))
            return []
        members = self.member_patterns() or None
        clip = clip_payload(self.clip_check.isChecked(), self.aoi.aoi_wkt())
        if self.clip_check.isChecked() and clip is None:
            self._warn(self.tr("Download"), self.tr("Draw an area of interest to clip to first."))
            return []
        outdir = Path(settings.output_dir())
        tasks = []
        for scene in scenes:
            # the assets checked for the current scene, for every selected scene that has them all;
            # otherwise that scene's data assets
            assets = checked if all(key in scene.assets for key in checked) else None
            try:
                task = self._downloads().enqueue(scene, outdir, assets=assets, members=members, clip=clip)
            except ScenePickerError as exc:  # the provider's options in the settings (kept by the job)
                self._warn(self.tr("Download"), str(exc))
                return tasks
            tasks.append(task)
        self.tabs.setCurrentIndex(TAB_DOWNLOADS)
        self._info(self.tr("Download"), self.tr("{} download(s) queued.").format(len(tasks)))
        return tasks

    def _on_job_finished(self, job) -> None:
        if job.state != "done":
            if job.error:
                self._warn(self.tr("Download"), job.error)
            return
        self.model.mark_downloaded(job.key)
        self.footprints.mark_downloaded(job.key)
        self._load_job_files(job, announce=True)

    def _load_job(self, job_id: str) -> None:
        job = self._downloads().job(job_id)
        if job is not None and job.files:
            self._load_job_files(job, announce=False)

    def _load_job_files(self, job, announce: bool) -> FunctionTask:
        """Add the job's rasters under the scene's group: GDAL reads their headers in the background,
        the layers are created on the main thread (ui/layers.py)."""

        def added(layers: list[QgsRasterLayer], error, scene_id=job.scene_id) -> None:
            if error is not None:
                self._warn(self.tr("Download"), str(error))
                return
            if layers:
                footprints = self.footprints.layer() if self.footprints.has_layer() else None
                show_series(layers, footprints, self.canvas)
            if announce:
                self._info(
                    self.tr("Download"),
                    self.tr("{} downloaded, {} layer(s) added.").format(scene_id, len(layers)),
                )

        files = [Path(p) for p in job.files]
        task = open_rasters_task(files, job.scene_id, on_done=added)
        self.tasks.start(task)
        return task

    # -- zip members ------------------------------------------------------------------------------------
    def list_members(self) -> FunctionTask | None:
        """Read the listing of the checked zip asset in the background, then let the user pick members."""
        scene = self.current_scene()
        zips = (
            [scene.assets[key] for key in self.checked_assets() if scene.assets[key].is_zip] if scene else []
        )
        if not zips:
            self._warn(self.tr("Zip members"), self.tr("Check a zip asset of the scene first."))
            return None
        asset = zips[0]
        name = scene.provider

        def work(task) -> list:
            from contextlib import closing

            from ..core.cancel import CancelToken
            from ..core.remotezip import RemoteZip

            cancel = CancelToken.from_callable(task.isCanceled)
            with closing(make_provider(name)) as provider:
                return RemoteZip(asset.href, provider.http, cancel=cancel).members()

        task = FunctionTask(self.tr("Scene Picker: list {}").format(asset.key), work)
        task.signals.done.connect(lambda members, error, a=asset: self._on_members(a, members, error))
        self.tasks.start(task)
        return task

    def _on_members(self, asset, members, error) -> None:
        if error is not None:
            self._warn(self.tr("Zip members"), str(error))
            return
        from .members_dialog import MembersDialog

        dialog = MembersDialog(asset.title or asset.key, members, self)
        dialog.set_checked(self.member_patterns())
        dialog.accepted.connect(lambda: self.members_edit.setText(", ".join(dialog.checked())))
        self.members_dialog = dialog
        dialog.open()

    # -- streaming and RGB ------------------------------------------------------------------------------
    def member_patterns(self) -> list[str]:
        """The zip members typed (names or glob patterns, comma-separated) or picked with Members…."""
        return [m.strip() for m in self.members_edit.text().split(",") if m.strip()]

    def stream_selected(self) -> FunctionTask | None:
        """Open the checked bands without downloading them: a remote COG as it is; from a zipped product
        the raster members matching the member patterns, one layer per member named after its band."""
        scene = self.current_scene()
        keys = self.checked_assets()
        if scene is None or not keys:
            self._warn(self.tr("Stream"), self.tr("Select a scene and check a band."))
            return None
        work = stream_work(scene, keys, self.member_patterns())
        task = layers_task(
            self.tr("Scene Picker: stream {}").format(scene.id),
            work,
            scene.id,
            on_done=lambda layers, error: self._on_loaded(
                self.tr("Stream"), layers, error, self.tr("Download the band instead.")
            ),
        )
        self.tasks.start(task)
        return task

    def _on_loaded(self, title: str, layers: list[QgsRasterLayer], error, hint: str = "") -> None:
        if error is not None:
            # GDAL could not open it remotely (no range requests, a format it cannot stream…)
            text = f"{error} {hint}" if hint and isinstance(error, LayerLoadError) else str(error)
            self._warn(title, text)

    def rgb_selected(self) -> FunctionTask | None:
        """An RGB composite VRT of three checked bands (downloaded files when present, else streamed), or
        of three members of a checked zipped product (the member patterns, in red, green, blue order),
        built in a background task (GDAL reads the sources' headers) and added under the scene's group."""
        scene = self.current_scene()
        keys = self.checked_assets()
        zips = [key for key in keys if scene.assets[key].is_zip] if scene is not None else []
        patterns = self.member_patterns()
        if scene is None or not (len(keys) == 3 or (len(zips) == 1 and patterns)):
            self._warn(
                self.tr("RGB composite"),
                self.tr("Check three bands (red, green, blue), or a zipped product and three members."),
            )
            return None
        folder = Path(settings.output_dir()) / safe_name(scene.id)
        dest = folder / f"{safe_name(scene.id)}_rgb.vrt"
        name = self.tr("{} RGB").format(scene.id)

        # which bands are downloaded is read in the task (the queue's database, a stat per file)
        def local() -> dict[str, str]:
            return {Path(p).name: p for p in self._downloaded_files(scene)}

        def sources() -> dict[str, str]:
            return {key: self._band_source(scene, key) for key in keys}

        if zips and patterns:
            work = rgb_work(scene, dest, name, zips[0], patterns, local=local)
        else:
            work = rgb_work(scene, dest, name, sources=sources)
        task = layers_task(
            self.tr("Scene Picker: RGB composite of {}").format(scene.id),
            work,
            scene.id,
            on_done=lambda layers, error: self._on_loaded(self.tr("RGB composite"), layers, error),
        )
        self.tasks.start(task)
        return task

    def _downloaded_files(self, scene: Scene) -> list[str]:  # any thread
        return self.downloads.files_of(scene_key(scene)) if self.downloads is not None else []

    def _band_source(self, scene: Scene, key: str) -> str:  # any thread; UsageError for a local href
        if self.downloads is not None:
            path = self.downloads.local_file(scene_key(scene), key)
            if path is not None:
                return str(path)
        from .layers import vsi_path

        return vsi_path(scene.assets[key].href)

    # -- settings ---------------------------------------------------------------------------------------
    def open_settings(self) -> None:
        from .settings_dialog import SettingsDialog

        current = self.form.provider_list.currentItem()
        dialog = SettingsDialog(self.providers, self, provider=current.data(NAME_ROLE) if current else None)
        dialog.finished.connect(lambda _r: self.form.reload_settings(self.tasks))
        dialog.accepted.connect(self._apply_settings)
        dialog.open()
        self.settings_dialog = dialog

    def _apply_settings(self) -> None:
        if self.downloads is not None:
            self.downloads.apply_settings()

    # -- life cycle -------------------------------------------------------------------------------------
    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        if not self._badges_read:
            self._badges_read = True
            self.form.refresh_badges_in_background(self.tasks)  # the keyring may be slow or prompt

    def close_panel(self) -> None:
        """Stop whatever the panel runs before it is removed: tasks, map tools, rubber bands."""
        if self._closed:
            return
        self._closed = True
        self.form.save_state()
        self.cancel_search()
        self.tasks.cancel_all()
        self.quicklooks.tasks.cancel_all()
        if self.downloads is not None:
            self.downloads.shutdown()
        self.aoi.remove()
        self.footprints.detach()
