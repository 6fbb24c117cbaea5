"""The dock's Results tab: the filterable, sortable results table synchronised with the footprint layer,
the current scene's quicklook and assets, the action buttons, and the export of the shown scenes.

A mixin of :class:`scene_picker.ui.dock.ScenePickerDock`.
"""

from __future__ import annotations

from pathlib import Path

from qgis.core import Qgis
from qgis.PyQt.QtCore import QCoreApplication, QItemSelection, QItemSelectionModel, Qt
from qgis.PyQt.QtGui import QImage, QPixmap
from qgis.PyQt.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..core.scene import ROLE_DATA, Scene
from . import settings
from .messages import log
from .providers_info import make_provider
from .queue_panel import format_size
from .results_model import (
    COL_CLOUD,
    COL_DATE,
    COL_ID,
    COL_LABEL,
    COL_SIZE,
    COL_TILE,
    KEY_ROLE,
    ResultsFilterModel,
    scene_key,
)
from .tasks import FunctionTask
from .temporal import clip_checkbox
from .widgets import push_button


def configure_results_table(table: QTableView, proxy: ResultsFilterModel) -> None:
    """The results table as the dock shows it: sorted newest first, whole rows selected, and fixed
    column widths measured once from sample texts (never "resize to contents", which measures every
    row at every insertion and grows with the number of rows)."""
    table.setObjectName("resultsTable")
    table.setModel(proxy)
    table.setSortingEnabled(True)
    table.sortByColumn(COL_DATE, Qt.SortOrder.DescendingOrder)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    table.setWordWrap(False)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    table.verticalHeader().setDefaultSectionSize(22)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(False)  # a stretched last column is measured again at every insertion
    metrics = table.fontMetrics()
    samples = {
        COL_LABEL: "2024-06-03 T31TDJ S2A",
        COL_CLOUD: proxy.headerData(COL_CLOUD, Qt.Orientation.Horizontal) or "Cloud %",
        COL_TILE: "T31TDJ",
        COL_SIZE: "999.9 MB",
        COL_DATE: "2024-06-03 10:56",
        COL_ID: "S2A_MSIL2A_20240603T105621_N0510_R051_T31TDJ_20240603T170000",
    }
    for column, sample in samples.items():
        header.resizeSection(column, metrics.horizontalAdvance(str(sample)) + 18)
    table.setTextElideMode(Qt.TextElideMode.ElideRight)  # labels read from their start; ids are in full
    table.setAlternatingRowColors(True)  # rows told apart by colour: no grid, which costs much per repaint
    table.setShowGrid(False)


class ResultsTabMixin:
    """Builds the Results tab; keeps table, map selection and scene details in step (mixed into the dock)."""

    def _results_tab(self) -> QWidget:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        filters = QHBoxLayout()
        self.filter_edit = QLineEdit(page)
        layout.addWidget(self.filter_edit)
        self.filter_edit.setObjectName("filterEdit")
        self.filter_edit.setPlaceholderText(
            QCoreApplication.translate("ScenePickerDock", "Filter id, platform, collection…")
        )
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self.proxy.set_text)
        self.provider_filter = QComboBox(page)
        self.provider_filter.setObjectName("providerFilter")
        self.provider_filter.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.provider_filter.setMinimumContentsLength(8)
        self.provider_filter.addItem(QCoreApplication.translate("ScenePickerDock", "All providers"), "")
        for info in self.providers:
            self.provider_filter.addItem(info.title, info.name)
        self.provider_filter.currentIndexChanged.connect(
            lambda _i: self.proxy.set_provider(self.provider_filter.currentData())
        )
        self.cloud_filter = QSpinBox(page)
        self.cloud_filter.setObjectName("cloudFilter")
        self.cloud_filter.setRange(0, 100)
        self.cloud_filter.setValue(100)
        self.cloud_filter.setPrefix(QCoreApplication.translate("ScenePickerDock", "cloud ≤ "))
        self.cloud_filter.setSuffix(" %")
        self.cloud_filter.valueChanged.connect(
            lambda value: self.proxy.set_max_cloud(None if value >= 100 else float(value))
        )
        self.online_check = QCheckBox(QCoreApplication.translate("ScenePickerDock", "Online only"), page)
        self.online_check.toggled.connect(self.proxy.set_online_only)
        self.labels_check = QCheckBox(QCoreApplication.translate("ScenePickerDock", "Labels"), page)
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
        for changed in (
            self.filter_edit.textChanged,
            self.provider_filter.currentIndexChanged,
            self.cloud_filter.valueChanged,
            self.online_check.toggled,
        ):  # after the filter itself (slots run in connection order)
            changed.connect(lambda *_args: self._update_count())
        layout.addLayout(toggles)

        splitter = QSplitter(Qt.Orientation.Vertical, page)
        self.table = QTableView(splitter)
        configure_results_table(self.table, self.proxy)
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_row)

        detail = QWidget(splitter)
        detail_column = QVBoxLayout(detail)
        detail_column.setContentsMargins(0, 0, 0, 0)
        detail_layout = QHBoxLayout()  # quicklook | assets; the member and action rows span both below
        detail_column.addLayout(detail_layout, 1)
        self.quicklook_label = QLabel(
            QCoreApplication.translate("ScenePickerDock", "No scene selected"), detail
        )
        self.quicklook_label.setObjectName("quicklookLabel")
        self.quicklook_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.quicklook_label.setMinimumSize(110, 110)
        self.quicklook_label.setMaximumWidth(140)  # the asset names keep the room
        self.quicklook_label.setFrameShape(QLabel.Shape.StyledPanel)
        detail_layout.addWidget(self.quicklook_label)
        right = QVBoxLayout()
        right.addWidget(QLabel(QCoreApplication.translate("ScenePickerDock", "Assets to download"), detail))
        self.asset_list = QListWidget(detail)
        self.asset_list.setObjectName("assetList")
        right.addWidget(self.asset_list, 1)
        self.members_edit = QLineEdit(detail)
        self.members_edit.setObjectName("membersEdit")
        self.members_edit.setPlaceholderText(
            QCoreApplication.translate("ScenePickerDock", "zip members, e.g. */IMG_DATA/*B04.jp2 (optional)")
        )
        members_row = QHBoxLayout()
        members_row.addWidget(self.members_edit, 1)
        self.members_button = push_button(
            detail,
            "membersButton",
            QCoreApplication.translate("ScenePickerDock", "Members…"),
            self.list_members,
        )
        self.members_button.setToolTip(
            QCoreApplication.translate("ScenePickerDock", "List the files inside the checked zip asset")
        )
        members_row.addWidget(self.members_button)
        self.clip_check = clip_checkbox(detail)
        members_row.addWidget(self.clip_check)
        actions = QHBoxLayout()
        self.download_button = push_button(
            detail,
            "downloadButton",
            QCoreApplication.translate("ScenePickerDock", "Download"),
            self.download_selected,
        )
        self.stream_button = push_button(
            detail,
            "streamButton",
            QCoreApplication.translate("ScenePickerDock", "Stream"),
            self.stream_selected,
        )
        self.stream_button.setToolTip(
            QCoreApplication.translate(
                "ScenePickerDock", "Open the checked band without downloading it (/vsicurl/)"
            )
        )
        self.rgb_button = push_button(
            detail, "rgbButton", QCoreApplication.translate("ScenePickerDock", "RGB"), self.rgb_selected
        )
        self.rgb_button.setToolTip(
            QCoreApplication.translate(
                "ScenePickerDock", "Build an RGB composite (VRT) from three checked bands, in order"
            )
        )
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
        self.export_button = push_button(
            page, "exportButton", QCoreApplication.translate("ScenePickerDock", "Export…"), self._ask_export
        )
        self.export_button.setToolTip(
            QCoreApplication.translate("ScenePickerDock", "Save the shown scenes as GeoJSON or CSV")
        )
        bottom.addWidget(self.export_button)
        layout.addLayout(bottom)
        return page

    def _update_count(self) -> None:
        self.results_status.setText(
            QCoreApplication.translate("ScenePickerDock", "{} scenes ({} shown)").format(
                self.model.rowCount(), self.proxy.rowCount()
            )
        )

    # -- export -----------------------------------------------------------------------------------------
    def shown_scenes(self) -> list[Scene]:
        """The scenes the table shows, in its order (after sorting and filtering)."""
        return [self.proxy.scene_at(row) for row in range(self.proxy.rowCount())]

    def _ask_export(self) -> None:
        from qgis.PyQt.QtWidgets import QFileDialog

        path, _filter = QFileDialog.getSaveFileName(
            self,
            QCoreApplication.translate("ScenePickerDock", "Export scenes"),
            settings.output_dir(),
            QCoreApplication.translate("ScenePickerDock", "GeoJSON (*.geojson);;CSV (*.csv)"),
        )
        if path:
            self.export_results(Path(path))

    def export_results(self, path: Path) -> FunctionTask | None:
        """Write the shown scenes to ``path`` (.csv: a table, else GeoJSON) in a background task."""
        from ..core.export import write_csv, write_geojson

        scenes = self.shown_scenes()
        if not scenes:
            self._warn(
                QCoreApplication.translate("ScenePickerDock", "Export"),
                QCoreApplication.translate("ScenePickerDock", "No scene to export."),
            )
            return None
        path = Path(path)
        aoi = self.aoi.aoi_wkt()  # recorded in a GeoJSON export: 'scene-picker download --clip' uses it

        def work(_task) -> int:
            if path.suffix.lower() == ".csv":
                return write_csv(scenes, path)
            from shapely import wkt

            return write_geojson(scenes, path, aoi=wkt.loads(aoi) if aoi else None)

        task = FunctionTask(
            QCoreApplication.translate("ScenePickerDock", "Scene Picker: export {}").format(path.name), work
        )
        task.signals.done.connect(lambda count, error: self._on_exported(path, count, error))
        self.tasks.start(task)
        return task

    def _on_exported(self, path: Path, count, error) -> None:
        if error is not None:
            self._warn(QCoreApplication.translate("ScenePickerDock", "Export"), str(error))
        else:
            self._info(
                QCoreApplication.translate("ScenePickerDock", "Export"),
                QCoreApplication.translate("ScenePickerDock", "{} scenes written to {}.").format(count, path),
            )

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
                    index = self.proxy.index(row, COL_LABEL)  # the label column leads the view
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
            self.quicklook_label.setText(QCoreApplication.translate("ScenePickerDock", "No scene selected"))
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
        self.quicklook_label.setText(QCoreApplication.translate("ScenePickerDock", "Loading quicklook…"))
        name = scene.provider
        if not self.quicklooks.request(self._quicklook_key, scene, lambda: make_provider(name)):
            self.quicklook_label.setText(QCoreApplication.translate("ScenePickerDock", "No quicklook"))

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
            self.quicklook_label.setText(QCoreApplication.translate("ScenePickerDock", "No quicklook"))
        log(
            QCoreApplication.translate("ScenePickerDock", "Quicklook of {}: {}").format(key, message),
            Qgis.MessageLevel.Info,
        )

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
