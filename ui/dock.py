"""The Scene Picker dock widget: AOI tools, the query form, streamed search results (table, footprints,
quicklook), asset selection, downloads (queue panel) and loading scenes as layers.

Everything slow runs in QgsTasks; :meth:`ScenePickerDock.close_panel` stops them and removes the map
tools and rubber bands (``plugin.unload`` calls it).
"""

from __future__ import annotations

from pathlib import Path

from qgis.core import Qgis, QgsMapLayerProxyModel, QgsRasterLayer
from qgis.gui import QgsDockWidget, QgsMapLayerComboBox
from qgis.PyQt.QtCore import QCoreApplication, QItemSelection, QItemSelectionModel, Qt
from qgis.PyQt.QtGui import QImage, QPixmap
from qgis.PyQt.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTableView,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..core.errors import LayerLoadError, ScenePickerError
from ..core.scene import ROLE_DATA, Scene
from ..providers.base import safe_name
from . import settings
from .aoi_tools import AoiController
from .footprints import FootprintLayer
from .layers import add_raster, apply_provider_access, build_rgb_vrt, open_rasters_task, open_remote_task
from .messages import log, notify
from .providers_info import ProviderInfo, available_providers, make_provider
from .query_form import QueryForm
from .queue_panel import QueuePanel, format_size
from .quicklook import QuicklookCache
from .results_model import (
    COL_CLOUD,
    COL_DATE,
    COL_ID,
    COL_PROVIDER,
    KEY_ROLE,
    ResultsFilterModel,
    ResultsModel,
    scene_key,
)
from .saved_search import SavedSearchControls
from .search_task import ScopedProvider, SearchTask
from .tasks import FunctionTask, TaskKeeper

DOCK_OBJECT_NAME = "ScenePickerDock"
TAB_SEARCH, TAB_RESULTS, TAB_DOWNLOADS = range(3)


class ScenePickerDock(QgsDockWidget):
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
        for signal in (self.proxy.rowsInserted, self.proxy.rowsRemoved, self.proxy.modelReset):
            signal.connect(lambda *_args: self._update_count())
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

        if default_state_file().is_file():  # jobs from an earlier session: show (and resume) them
            self._downloads()

    def tr(self, text: str) -> str:  # noqa: D401 - Qt naming
        return QCoreApplication.translate("ScenePickerDock", text)

    # -- building the tabs ------------------------------------------------------------------------------
    def _search_tab(self) -> QWidget:
        page = QWidget(self)
        outer = QVBoxLayout(page)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea(page)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget(scroll)
        layout = QVBoxLayout(body)

        aoi_box = QGroupBox(self.tr("Area of interest"), body)
        grid = QGridLayout(aoi_box)
        buttons = (
            (
                "rect_button",
                "drawRectangle",
                self.tr("Rectangle"),
                "/mActionAddBasicRectangle.svg",
                self.aoi.start_rectangle,
            ),
            (
                "polygon_button",
                "drawPolygon",
                self.tr("Polygon"),
                "/mActionAddPolygon.svg",
                self.aoi.start_polygon,
            ),
            (
                "extent_button",
                "canvasExtent",
                self.tr("Map extent"),
                "/mActionZoomFullExtent.svg",
                self._aoi_from_canvas,
            ),
            (
                "edit_aoi_button",
                "editAoi",
                self.tr("Edit vertices (right-click to finish)"),
                "/mActionVertexTool.svg",
                self.aoi.edit,
            ),
            ("clear_aoi_button", "clearAoi", self.tr("Clear"), "/mActionDeleteSelected.svg", self.aoi.clear),
        )
        for column, (attribute, name, text, icon, slot) in enumerate(buttons):
            button = self._tool_button(aoi_box, name, text, icon)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
            button.clicked.connect(slot)
            setattr(self, attribute, button)
            grid.addWidget(button, 0, column)
        self.layer_combo = QgsMapLayerComboBox(aoi_box)
        self.layer_combo.setObjectName("aoiLayer")
        self.layer_combo.setFilters(
            QgsMapLayerProxyModel.Filter.HasGeometry | QgsMapLayerProxyModel.Filter.RasterLayer
        )
        grid.addWidget(self.layer_combo, 1, 0, 1, 5)
        self.layer_extent_button = QPushButton(self.tr("Layer extent"), aoi_box)
        self.layer_extent_button.clicked.connect(self._aoi_from_layer)
        grid.addWidget(self.layer_extent_button, 2, 0, 1, 2)
        self.selection_button = QPushButton(self.tr("Selected features"), aoi_box)
        self.selection_button.clicked.connect(self._aoi_from_selection)
        grid.addWidget(self.selection_button, 2, 2, 1, 3)
        self.aoi_label = QLabel(aoi_box)
        self.aoi_label.setObjectName("aoiLabel")
        self.aoi_label.setWordWrap(True)
        grid.addWidget(self.aoi_label, 3, 0, 1, 5)
        layout.addWidget(aoi_box)

        # the keyring is read when the panel is first shown, not at QGIS start (it may ask to unlock)
        self.form = QueryForm(self.providers, body, read_keyring=False)
        self._badges_read = False
        self.form.changed.connect(self.form.save_state)
        layout.addWidget(self.form)

        buttons = QHBoxLayout()
        self.search_button = QPushButton(self.tr("Search"), body)
        self.search_button.setObjectName("searchButton")
        self.search_button.setDefault(True)
        self.search_button.clicked.connect(self.start_search)
        self.cancel_search_button = QPushButton(self.tr("Cancel"), body)
        self.cancel_search_button.setObjectName("cancelSearchButton")
        self.cancel_search_button.setEnabled(False)
        self.cancel_search_button.clicked.connect(self.cancel_search)
        self.settings_button = QPushButton(self.tr("Settings…"), body)
        self.settings_button.setObjectName("settingsButton")
        self.settings_button.clicked.connect(self.open_settings)
        buttons.addWidget(self.search_button)
        buttons.addWidget(self.cancel_search_button)
        self.saved_search = SavedSearchControls(self, body, buttons)  # side-car filter, save/open a plan
        buttons.addStretch(1)
        buttons.addWidget(self.settings_button)
        layout.addLayout(buttons)
        self.search_status = QLabel(body)
        self.search_status.setObjectName("searchStatus")
        self.search_status.setWordWrap(True)
        layout.addWidget(self.search_status)
        layout.addStretch(1)
        scroll.setWidget(body)
        outer.addWidget(scroll)
        return page

    def _results_tab(self) -> QWidget:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        filters = QHBoxLayout()
        self.filter_edit = QLineEdit(page)
        layout.addWidget(self.filter_edit)
        self.filter_edit.setObjectName("filterEdit")
        self.filter_edit.setPlaceholderText(self.tr("Filter id, platform, collection…"))
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self.proxy.set_text)
        self.provider_filter = QComboBox(page)
        self.provider_filter.setObjectName("providerFilter")
        self.provider_filter.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.provider_filter.setMinimumContentsLength(8)
        self.provider_filter.addItem(self.tr("All providers"), "")
        for info in self.providers:
            self.provider_filter.addItem(info.title, info.name)
        self.provider_filter.currentIndexChanged.connect(
            lambda _i: self.proxy.set_provider(self.provider_filter.currentData())
        )
        self.cloud_filter = QSpinBox(page)
        self.cloud_filter.setObjectName("cloudFilter")
        self.cloud_filter.setRange(0, 100)
        self.cloud_filter.setValue(100)
        self.cloud_filter.setPrefix(self.tr("cloud ≤ "))
        self.cloud_filter.setSuffix(" %")
        self.cloud_filter.valueChanged.connect(
            lambda value: self.proxy.set_max_cloud(None if value >= 100 else float(value))
        )
        self.online_check = QCheckBox(self.tr("Online only"), page)
        self.online_check.toggled.connect(self.proxy.set_online_only)
        self.labels_check = QCheckBox(self.tr("Labels"), page)
        self.labels_check.setObjectName("labelsCheck")
        self.labels_check.toggled.connect(self.footprints.set_labels)
        # two rows of filters so the dock stays usable at a normal dock width
        filters.addWidget(self.provider_filter, 1)
        filters.addWidget(self.cloud_filter)
        layout.addLayout(filters)
        toggles = QHBoxLayout()
        toggles.addWidget(self.online_check)
        toggles.addWidget(self.labels_check)
        toggles.addStretch(1)
        layout.addLayout(toggles)

        splitter = QSplitter(Qt.Orientation.Vertical, page)
        self.table = QTableView(splitter)
        self.table.setObjectName("resultsTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COL_DATE, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        # what an analyst scans first (id, cloud, date) leads; the provider, often a long name, comes last
        header = self.table.horizontalHeader()
        header.moveSection(header.visualIndex(COL_PROVIDER), self.proxy.columnCount() - 1)
        header.moveSection(header.visualIndex(COL_CLOUD), header.visualIndex(COL_ID) + 1)
        header.resizeSection(COL_ID, 140)  # widened by hand for long ids; the tooltip shows all of it
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # scene ids differ at both ends
        for column in (COL_DATE, COL_CLOUD):  # short values, always readable beside the id
            self.table.horizontalHeader().setSectionResizeMode(
                column, QHeaderView.ResizeMode.ResizeToContents
            )
        self.table.setAlternatingRowColors(True)
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_row)

        detail = QWidget(splitter)
        detail_column = QVBoxLayout(detail)
        detail_column.setContentsMargins(0, 0, 0, 0)
        detail_layout = QHBoxLayout()  # quicklook | assets; the member and action rows span both below
        detail_column.addLayout(detail_layout, 1)
        self.quicklook_label = QLabel(self.tr("No scene selected"), detail)
        self.quicklook_label.setObjectName("quicklookLabel")
        self.quicklook_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.quicklook_label.setMinimumSize(110, 110)
        self.quicklook_label.setMaximumWidth(140)  # the asset names keep the room
        self.quicklook_label.setFrameShape(QLabel.Shape.StyledPanel)
        detail_layout.addWidget(self.quicklook_label)
        right = QVBoxLayout()
        right.addWidget(QLabel(self.tr("Assets to download"), detail))
        self.asset_list = QListWidget(detail)
        self.asset_list.setObjectName("assetList")
        right.addWidget(self.asset_list, 1)
        self.members_edit = QLineEdit(detail)
        self.members_edit.setObjectName("membersEdit")
        self.members_edit.setPlaceholderText(self.tr("zip members, e.g. */IMG_DATA/*B04.jp2 (optional)"))
        members_row = QHBoxLayout()
        members_row.addWidget(self.members_edit, 1)
        self.members_button = QPushButton(self.tr("Members…"), detail)
        self.members_button.setObjectName("membersButton")
        self.members_button.setToolTip(self.tr("List the files inside the checked zip asset"))
        self.members_button.clicked.connect(self.list_members)
        members_row.addWidget(self.members_button)
        actions = QHBoxLayout()
        self.download_button = QPushButton(self.tr("Download"), detail)
        self.download_button.setObjectName("downloadButton")
        self.download_button.clicked.connect(self.download_selected)
        self.stream_button = QPushButton(self.tr("Stream"), detail)
        self.stream_button.setObjectName("streamButton")
        self.stream_button.setToolTip(self.tr("Open the checked band without downloading it (/vsicurl/)"))
        self.stream_button.clicked.connect(self.stream_selected)
        self.rgb_button = QPushButton(self.tr("RGB"), detail)
        self.rgb_button.setObjectName("rgbButton")
        self.rgb_button.setToolTip(self.tr("Build an RGB composite (VRT) from three checked bands, in order"))
        self.rgb_button.clicked.connect(self.rgb_selected)
        for button in (self.download_button, self.stream_button, self.rgb_button):
            actions.addWidget(button)
        detail_layout.addLayout(right, 1)
        detail_column.addLayout(members_row)
        detail_column.addLayout(actions)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout.addWidget(splitter, 1)
        bottom = QHBoxLayout()
        self.results_status = QLabel(page)
        self.results_status.setObjectName("resultsStatus")
        bottom.addWidget(self.results_status, 1)
        self.export_button = QPushButton(self.tr("Export…"), page)
        self.export_button.setObjectName("exportButton")
        self.export_button.setToolTip(self.tr("Save the shown scenes as GeoJSON or CSV"))
        self.export_button.clicked.connect(self._ask_export)
        bottom.addWidget(self.export_button)
        layout.addLayout(bottom)
        return page

    def _downloads_tab(self) -> QWidget:
        self.queue_panel = QueuePanel(self)
        self.queue_panel.retryRequested.connect(lambda job_id: self._downloads().retry(job_id))
        self.queue_panel.cancelRequested.connect(lambda job_id: self._downloads().cancel(job_id))
        self.queue_panel.loadRequested.connect(self._load_job)
        return self.queue_panel

    @staticmethod
    def _tool_button(parent: QWidget, name: str, text: str, icon: str) -> QToolButton:
        from qgis.core import QgsApplication

        button = QToolButton(parent)
        button.setObjectName(name)
        button.setText(text)
        button.setToolTip(text)
        button.setIcon(QgsApplication.getThemeIcon(icon))
        return button

    # -- messages ---------------------------------------------------------------------------------------
    def _warn(self, title: str, text: str) -> None:
        notify(self.iface, title, text, Qgis.MessageLevel.Warning)

    def _info(self, title: str, text: str) -> None:
        notify(self.iface, title, text, Qgis.MessageLevel.Info)

    # -- AOI --------------------------------------------------------------------------------------------
    def _aoi_from_canvas(self) -> None:
        self._guard(self.tr("Area of interest"), self.aoi.from_canvas_extent)

    def _aoi_from_layer(self) -> None:
        self._guard(
            self.tr("Area of interest"), lambda: self.aoi.from_layer_extent(self.layer_combo.currentLayer())
        )

    def _aoi_from_selection(self) -> None:
        self._guard(
            self.tr("Area of interest"),
            lambda: self.aoi.from_selected_features(self.layer_combo.currentLayer()),
        )

    def _guard(self, title: str, action) -> object:
        try:
            return action()
        except ScenePickerError as exc:
            self._warn(title, str(exc))
            return None

    def _on_aoi_changed(self) -> None:
        geom = self.aoi.aoi()
        if geom is None:
            self.aoi_label.setText(self.tr("No area: the search covers the whole world."))
            return
        box = geom.boundingBox()
        self.aoi_label.setText(
            self.tr("W {:.4f}  S {:.4f}  E {:.4f}  N {:.4f} (EPSG:4326)").format(
                box.xMinimum(), box.yMinimum(), box.xMaximum(), box.yMaximum()
            )
        )

    # -- search -----------------------------------------------------------------------------------------
    def start_search(self) -> SearchTask | None:
        if self.search_task is not None:
            return None
        names = self.form.checked_providers()
        if not names:
            self._warn(self.tr("Search"), self.tr("Check at least one provider."))
            return None
        try:
            query = self.form.build_query(self.aoi.aoi_wkt())
            sidecar = self.saved_search.search_started()
        except ScenePickerError as exc:
            self._warn(self.tr("Search"), str(exc))
            return None
        self.form.save_state()
        self.model.clear()
        self.footprints.clear()
        self._show_scene(None)
        factories = []
        for name in names:
            collections, platforms = self.form.scope(name)
            factories.append(
                lambda n=name, c=collections, p=platforms: self.saved_search.wrap(
                    ScopedProvider(make_provider(n), c, p), sidecar
                )
            )
        task = SearchTask(factories, query, max_workers=min(4, len(factories)))
        task.signals.scenesFound.connect(self._on_scenes)
        task.signals.providerFailed.connect(self._on_provider_failed)
        task.signals.providerDone.connect(self._on_provider_done)
        task.signals.searchFinished.connect(self._on_search_finished)
        self.search_task = task
        self.search_button.setEnabled(False)
        self.cancel_search_button.setEnabled(True)
        self.search_status.setText(self.tr("Searching {}…").format(", ".join(names)))
        self.tasks.start(task)
        return task

    def cancel_search(self) -> None:
        if self.search_task is not None:
            self.search_task.cancel()

    def _on_scenes(self, scenes: list) -> None:
        new = self.model.add_scenes(scenes)
        self.footprints.add_scenes(new)
        self._update_count()

    def _on_provider_failed(self, provider: str, error) -> None:
        text = str(error)
        self._warn(self.tr("Search"), text if text.startswith(provider) else f"{provider}: {text}")

    def _on_provider_done(self, provider: str, count: int, total) -> None:
        text = self.tr("{}: {} scenes").format(provider, count)
        if total is not None:
            text += self.tr(" of {} matching").format(total)
        log(text)

    def _on_search_finished(self, ok: bool, error) -> None:
        self.search_task = None
        self.saved_search.search_finished()
        self.search_button.setEnabled(True)
        self.cancel_search_button.setEnabled(False)
        count = self.model.rowCount()
        if ok:
            self.search_status.setText(self.tr("{} scenes found.").format(count))
        else:
            self.search_status.setText(self.tr("Search stopped: {} ({} scenes).").format(error, count))
            if error is not None and "cancel" not in type(error).__name__.lower():
                self._warn(self.tr("Search"), str(error))
        self._update_count()
        if count:
            self.tabs.setCurrentIndex(TAB_RESULTS)

    def _update_count(self) -> None:
        self.results_status.setText(
            self.tr("{} scenes ({} shown)").format(self.model.rowCount(), self.proxy.rowCount())
        )

    # -- export -----------------------------------------------------------------------------------------
    def shown_scenes(self) -> list[Scene]:
        """The scenes the table shows, in its order (after sorting and filtering)."""
        return [self.proxy.scene_at(row) for row in range(self.proxy.rowCount())]

    def _ask_export(self) -> None:
        from qgis.PyQt.QtWidgets import QFileDialog

        path, _filter = QFileDialog.getSaveFileName(
            self, self.tr("Export scenes"), settings.output_dir(), self.tr("GeoJSON (*.geojson);;CSV (*.csv)")
        )
        if path:
            self.export_results(Path(path))

    def export_results(self, path: Path) -> FunctionTask | None:
        """Write the shown scenes to ``path`` (.csv: a table, else GeoJSON) in a background task."""
        from ..core.export import write_csv, write_geojson

        scenes = self.shown_scenes()
        if not scenes:
            self._warn(self.tr("Export"), self.tr("No scene to export."))
            return None
        path = Path(path)
        writer = write_csv if path.suffix.lower() == ".csv" else write_geojson

        def work(_task) -> int:
            return writer(scenes, path)

        task = FunctionTask(self.tr("Scene Picker: export {}").format(path.name), work)
        task.signals.done.connect(lambda count, error: self._on_exported(path, count, error))
        self.tasks.start(task)
        return task

    def _on_exported(self, path: Path, count, error) -> None:
        if error is not None:
            self._warn(self.tr("Export"), str(error))
        else:
            self._info(self.tr("Export"), self.tr("{} scenes written to {}.").format(count, path))

    # -- selection sync ---------------------------------------------------------------------------------
    def selected_keys(self) -> list[str]:
        rows = self.table.selectionModel().selectedRows()
        return [index.data(KEY_ROLE) for index in rows]

    def selected_scenes(self) -> list[Scene]:
        return [self.proxy.scene_at(index.row()) for index in self.table.selectionModel().selectedRows()]

    def _on_table_selection(self, *_args) -> None:
        if self._syncing_selection:
            return
        self._syncing_selection = True
        try:
            self.footprints.select_keys(self.selected_keys(), zoom=True)
        finally:
            self._syncing_selection = False

    def _on_map_selection(self, keys: list) -> None:
        if self._syncing_selection:
            return
        self._syncing_selection = True
        try:
            selection = QItemSelection()
            for key in keys:
                row = self.proxy.proxy_row_of(key)
                if row is not None:
                    selection.select(
                        self.proxy.index(row, 0), self.proxy.index(row, self.proxy.columnCount() - 1)
                    )
            model = self.table.selectionModel()
            model.select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)
            if keys:
                row = self.proxy.proxy_row_of(keys[0])
                if row is not None:
                    index = self.proxy.index(row, COL_ID)  # the id column leads the view
                    model.setCurrentIndex(index, QItemSelectionModel.SelectionFlag.NoUpdate)
                    self.table.scrollTo(index)
        finally:
            self._syncing_selection = False

    def _on_current_row(self, current, _previous) -> None:
        self._show_scene(self.proxy.scene_at(current.row()) if current.isValid() else None)

    # -- the current scene: quicklook and assets --------------------------------------------------------
    def current_scene(self) -> Scene | None:
        index = self.table.selectionModel().currentIndex()
        return self.proxy.scene_at(index.row()) if index.isValid() else None

    def _show_scene(self, scene: Scene | None) -> None:
        self.asset_list.clear()
        self._quicklook_key = scene_key(scene) if scene is not None else None
        if scene is None:
            self.quicklook_label.setPixmap(QPixmap())
            self.quicklook_label.setText(self.tr("No scene selected"))
            return
        for asset in scene.assets.values():
            label = asset.key if (asset.title or asset.key) == asset.key else f"{asset.key} — {asset.title}"
            if asset.size:
                label += f"  ({format_size(asset.size)})"
            item = QListWidgetItem(label, self.asset_list)
            item.setData(Qt.ItemDataRole.UserRole, asset.key)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if ROLE_DATA in asset.roles else Qt.CheckState.Unchecked)
        self.quicklook_label.setPixmap(QPixmap())
        self.quicklook_label.setText(self.tr("Loading quicklook…"))
        name = scene.provider
        if not self.quicklooks.request(self._quicklook_key, scene, lambda: make_provider(name).http):
            self.quicklook_label.setText(self.tr("No quicklook"))

    def _on_quicklook(self, key: str, image: QImage) -> None:
        if key != getattr(self, "_quicklook_key", None):
            return
        pixmap = QPixmap.fromImage(image).scaled(
            self.quicklook_label.width() - 4,
            self.quicklook_label.height() - 4,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        self.quicklook_label.setPixmap(pixmap)

    def _on_quicklook_failed(self, key: str, message: str) -> None:
        if key == getattr(self, "_quicklook_key", None):
            self.quicklook_label.setText(self.tr("No quicklook"))
        log(self.tr("Quicklook of {}: {}").format(key, message), Qgis.MessageLevel.Info)

    def checked_assets(self) -> list[str]:
        out = []
        for row in range(self.asset_list.count()):
            item = self.asset_list.item(row)
            if item.checkState() == Qt.CheckState.Checked:
                out.append(item.data(Qt.ItemDataRole.UserRole))
        return out

    def set_checked_assets(self, keys: list[str]) -> None:
        for row in range(self.asset_list.count()):
            item = self.asset_list.item(row)
            checked = item.data(Qt.ItemDataRole.UserRole) in keys
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

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
        members = [m.strip() for m in self.members_edit.text().split(",") if m.strip()] or None
        outdir = Path(settings.output_dir())
        tasks = []
        for scene in scenes:
            # the assets checked for the current scene, for every selected scene that has them all;
            # otherwise that scene's data assets
            assets = checked if all(key in scene.assets for key in checked) else None
            tasks.append(self._downloads().enqueue(scene, outdir, assets=assets, members=members))
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
        """Open the job's rasters in the background (GDAL reads their headers), then add them under the
        scene's group on the main thread."""

        def added(layers, error, scene_id=job.scene_id) -> None:
            if self._closed:  # the panel went away meanwhile (plugin unloaded)
                return
            if error is not None:
                self._warn(self.tr("Download"), str(error))
                return
            for layer in layers or []:
                add_raster(layer.source(), layer.name(), scene_id, layer=layer)
            if announce:
                self._info(
                    self.tr("Download"),
                    self.tr("{} downloaded, {} layer(s) added.").format(scene_id, len(layers or [])),
                )

        task = open_rasters_task([Path(p) for p in job.files], job.scene_id, on_done=added)
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
            from ..core.cancel import CancelToken
            from ..core.remotezip import RemoteZip

            cancel = CancelToken.from_callable(task.isCanceled)
            return RemoteZip(asset.href, make_provider(name).http, cancel=cancel).members()

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
        current = [m.strip() for m in self.members_edit.text().split(",") if m.strip()]
        dialog.set_checked(current)
        dialog.accepted.connect(lambda: self.members_edit.setText(", ".join(dialog.checked())))
        self.members_dialog = dialog
        dialog.open()

    # -- streaming and RGB ------------------------------------------------------------------------------
    def stream_selected(self):
        scene = self.current_scene()
        keys = self.checked_assets()
        if scene is None or not keys:
            self._warn(self.tr("Stream"), self.tr("Select a scene and check a band."))
            return None
        asset = scene.assets[keys[0]]
        member = self.members_edit.text().strip() or None
        if member and not asset.is_zip:
            member = None
        name = scene.provider
        try:
            task = open_remote_task(
                asset.href,
                f"{scene.id} {asset.key}",
                member,
                on_done=lambda layer, error, s=scene: self._on_streamed(s, layer, error),
                prepare=lambda: apply_provider_access(make_provider(name), asset),
            )
        except ScenePickerError as exc:
            self._warn(self.tr("Stream"), str(exc))
            return None
        self.tasks.start(task)
        return task

    def _on_streamed(self, scene: Scene, layer: QgsRasterLayer | None, error) -> None:
        if error is not None or layer is None:
            self._warn(self.tr("Stream"), str(error))
            return
        add_raster(layer.source(), layer.name(), scene.id, layer=layer)

    def rgb_selected(self):
        """RGB composite VRT of the three checked bands (downloaded files when present, else streamed),
        built in a background task (GDAL reads the sources' headers) and added under the scene's group."""
        scene = self.current_scene()
        keys = self.checked_assets()
        if scene is None or len(keys) != 3:
            self._warn(self.tr("RGB composite"), self.tr("Check exactly three bands (red, green, blue)."))
            return None
        try:
            sources = [self._band_source(scene, key) for key in keys]
        except ScenePickerError as exc:
            self._warn(self.tr("RGB composite"), str(exc))
            return None
        folder = Path(settings.output_dir()) / safe_name(scene.id)
        dest = folder / f"{safe_name(scene.id)}_rgb.vrt"
        name = self.tr("{} RGB").format(scene.id)
        streamed = [key for key, source in zip(keys, sources) if source.startswith("/vsi")]
        provider_name = scene.provider
        main_thread = QCoreApplication.instance().thread()

        def work(_task) -> QgsRasterLayer:
            if streamed:
                provider = make_provider(provider_name)
                for key in streamed:
                    apply_provider_access(provider, scene.assets[key])
            build_rgb_vrt(*sources, dest)
            layer = QgsRasterLayer(str(dest), name, "gdal")
            if not layer.isValid():
                raise LayerLoadError(self.tr("The RGB composite {} cannot be opened.").format(dest))
            layer.moveToThread(main_thread)
            return layer

        task = FunctionTask(self.tr("Scene Picker: RGB composite of {}").format(scene.id), work)
        task.signals.done.connect(lambda layer, error, s=scene: self._on_rgb_built(s, layer, error))
        self.tasks.start(task)
        return task

    def _on_rgb_built(self, scene: Scene, layer: QgsRasterLayer | None, error) -> None:
        if error is not None or layer is None:
            self._warn(self.tr("RGB composite"), str(error))
            return
        add_raster(layer.source(), layer.name(), scene.id, layer=layer)

    def _band_source(self, scene: Scene, key: str) -> str:
        if self.downloads is not None:
            path = self.downloads.local_file(scene_key(scene), key)
            if path is not None:
                return str(path)
        from .layers import vsi_path

        return vsi_path(scene.assets[key].href)

    # -- settings ---------------------------------------------------------------------------------------
    def open_settings(self) -> None:
        from .settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.providers, self)
        dialog.finished.connect(lambda _r: self.form.refresh_badges_in_background(self.tasks))
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
