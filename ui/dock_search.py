"""The dock's Search tab (area of interest, query form, search buttons and status line) and the search
itself: a :class:`SearchTask` streaming scenes into the results model and the footprint layer.

A mixin of :class:`scene_picker.ui.dock.ScenePickerDock` (it uses the dock's model, footprints and tabs).
"""

from __future__ import annotations

from qgis.gui import QgsMapLayerComboBox
from qgis.PyQt.QtCore import QCoreApplication, Qt
from qgis.PyQt.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ..catalogs.search import ScopedProvider
from ..core.errors import ScenePickerError
from . import settings
from .auth_store import STORE_QGIS, chosen_store, unlock_qgis_store
from .compat import LayerFilter, LayerFilters
from .messages import log
from .providers_info import make_provider
from .query_form import QueryForm
from .saved_search import SavedSearchControls
from .search_task import SearchTask
from .widgets import push_button, tool_button

TAB_SEARCH, TAB_RESULTS, TAB_DOWNLOADS = range(3)
#: Catalogs where a search without an area is heavy (slow, huge answers): the dock asks first.
WHOLE_WORLD_HEAVY = frozenset({"cdse", "cmr", "planet", "usgs"})
ASK_WHOLE_WORLD = "search/ask_whole_world"


class SearchTabMixin:
    """Builds the Search tab and runs searches (mixed into the dock)."""

    def _search_tab(self) -> QWidget:
        page = QWidget(self)
        outer = QVBoxLayout(page)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea(page)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget(scroll)
        layout = QVBoxLayout(body)

        aoi_box = QGroupBox(QCoreApplication.translate("ScenePickerDock", "Area of interest"), body)
        grid = QGridLayout(aoi_box)
        buttons = (
            (
                "drawRectangle",
                QCoreApplication.translate("ScenePickerDock", "Rectangle"),
                "/mActionAddBasicRectangle.svg",
                self.aoi.start_rectangle,
            ),
            (
                "drawPolygon",
                QCoreApplication.translate("ScenePickerDock", "Polygon"),
                "/mActionAddPolygon.svg",
                self.aoi.start_polygon,
            ),
            (
                "canvasExtent",
                QCoreApplication.translate("ScenePickerDock", "Map extent"),
                "/mActionZoomFullExtent.svg",
                self._aoi_from_canvas,
            ),
            (
                "editAoi",
                QCoreApplication.translate("ScenePickerDock", "Edit vertices (right-click to finish)"),
                "/mActionVertexTool.svg",
                self.aoi.edit,
            ),
            (
                "clearAoi",
                QCoreApplication.translate("ScenePickerDock", "Clear"),
                "/mActionDeleteSelected.svg",
                self.aoi.clear,
            ),
        )
        for column, (name, text, icon, slot) in enumerate(buttons):  # found by name, e.g. in tests
            grid.addWidget(tool_button(aoi_box, name, text, icon, slot), 0, column)
        self.layer_combo = QgsMapLayerComboBox(aoi_box)
        self.layer_combo.setObjectName("aoiLayer")
        self.layer_combo.setFilters(LayerFilters(LayerFilter.HasGeometry | LayerFilter.RasterLayer))
        grid.addWidget(self.layer_combo, 1, 0, 1, 5)
        self.layer_extent_button = push_button(
            aoi_box,
            "layerExtent",
            QCoreApplication.translate("ScenePickerDock", "Layer extent"),
            self._aoi_from_layer,
        )
        grid.addWidget(self.layer_extent_button, 2, 0, 1, 2)
        self.selection_button = push_button(
            aoi_box,
            "selectedFeatures",
            QCoreApplication.translate("ScenePickerDock", "Selected features"),
            self._aoi_from_selection,
        )
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
        self.search_button = push_button(
            body, "searchButton", QCoreApplication.translate("ScenePickerDock", "Search"), self.start_search
        )
        self.search_button.setDefault(True)
        self.cancel_search_button = push_button(
            body,
            "cancelSearchButton",
            QCoreApplication.translate("ScenePickerDock", "Cancel"),
            self.cancel_search,
        )
        self.cancel_search_button.setEnabled(False)
        self.settings_button = push_button(
            body,
            "settingsButton",
            QCoreApplication.translate("ScenePickerDock", "Settings…"),
            self.open_settings,
        )
        buttons.addWidget(self.search_button)
        buttons.addWidget(self.cancel_search_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        more = QHBoxLayout()  # a second row: four buttons side by side do not fit a 360 px dock
        self.saved_search = SavedSearchControls(self, body, more)  # side-car filter, save/open a plan
        more.addStretch(1)
        more.addWidget(self.settings_button)
        layout.addLayout(more)
        layout.addWidget(self._whole_world_box(body))
        self.search_status = QLabel(body)
        self.search_status.setObjectName("searchStatus")
        self.search_status.setWordWrap(True)
        layout.addWidget(self.search_status)
        layout.addStretch(1)
        scroll.setWidget(body)
        outer.addWidget(scroll)
        return page

    # -- AOI --------------------------------------------------------------------------------------------
    def _aoi_from_canvas(self) -> None:
        self._guard(
            QCoreApplication.translate("ScenePickerDock", "Area of interest"), self.aoi.from_canvas_extent
        )

    def _aoi_from_layer(self) -> None:
        self._guard(
            QCoreApplication.translate("ScenePickerDock", "Area of interest"),
            lambda: self.aoi.from_layer_extent(self.layer_combo.currentLayer()),
        )

    def _aoi_from_selection(self) -> None:
        self._guard(
            QCoreApplication.translate("ScenePickerDock", "Area of interest"),
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
            self.aoi_label.setText(
                QCoreApplication.translate("ScenePickerDock", "No area: the search covers the whole world.")
            )
            return
        box = geom.boundingBox()
        self.aoi_label.setText(
            QCoreApplication.translate(
                "ScenePickerDock", "W {:.4f}  S {:.4f}  E {:.4f}  N {:.4f} (EPSG:4326)"
            ).format(box.xMinimum(), box.yMinimum(), box.xMaximum(), box.yMaximum())
        )

    # -- search -----------------------------------------------------------------------------------------
    def _whole_world_box(self, parent: QWidget) -> QWidget:
        """The question asked (in the panel, not in a modal box) before a heavy search without an area."""
        box = QGroupBox(QCoreApplication.translate("ScenePickerDock", "Search the whole world?"), parent)
        box.setObjectName("wholeWorldBox")
        column = QVBoxLayout(box)
        self.whole_world_label = QLabel(box)
        self.whole_world_label.setWordWrap(True)
        column.addWidget(self.whole_world_label)
        self.whole_world_dont_ask = QCheckBox(
            QCoreApplication.translate("ScenePickerDock", "Don't ask again"), box
        )
        column.addWidget(self.whole_world_dont_ask)
        row = QHBoxLayout()
        self.whole_world_yes = push_button(
            box,
            "wholeWorldYes",
            QCoreApplication.translate("ScenePickerDock", "Search the whole world"),
            self._on_whole_world_confirmed,
        )
        self.whole_world_no = push_button(
            box, "wholeWorldNo", QCoreApplication.translate("ScenePickerDock", "Cancel"), box.hide
        )
        row.addWidget(self.whole_world_yes)
        row.addWidget(self.whole_world_no)
        column.addLayout(row)
        box.hide()
        self.whole_world_box = box
        return box

    def _on_whole_world_confirmed(self) -> None:
        self.whole_world_box.hide()
        if self.whole_world_dont_ask.isChecked():
            settings.write_setting(ASK_WHOLE_WORLD, False)
        self.start_search(whole_world=True)

    def start_search(self, whole_world: bool = False) -> SearchTask | None:
        """Search the checked providers; the previous results stay until this search delivers.

        Without an area, at a catalog where that is heavy, the panel asks first (``whole_world``: asked).
        """
        self.whole_world_box.hide()
        if self.search_task is not None:
            return None
        names = self.form.checked_providers()
        if not names:
            self._warn(
                QCoreApplication.translate("ScenePickerDock", "Search"),
                QCoreApplication.translate("ScenePickerDock", "Check at least one provider."),
            )
            return None
        try:
            query = self.form.build_query(self.aoi.aoi_wkt())
            self.form.remember_urls()
            sidecar = self.saved_search.search_started()
        except ScenePickerError as exc:
            self._warn(QCoreApplication.translate("ScenePickerDock", "Search"), str(exc))
            return None
        if query.aoi is None and not whole_world and self._ask_whole_world(names):
            return None
        if chosen_store() == STORE_QGIS:
            unlock_qgis_store()  # here, on the main thread: QGIS may ask for its master password
        self.form.save_state()
        titles = [self.form.title_of(name) for name in names]
        factories = []
        for name in names:
            collections, platforms = self.form.scope(name)
            factories.append(
                lambda n=name, c=collections, p=platforms: self.saved_search.wrap(
                    ScopedProvider(make_provider(n), c, p), sidecar
                )
            )
        task = SearchTask(factories, query, max_workers=min(4, len(factories)), labels=titles)
        task.signals.scenesFound.connect(self._on_scenes)
        task.signals.providerFailed.connect(self._on_provider_failed)
        task.signals.providerDone.connect(self._on_provider_done)
        task.signals.searchFinished.connect(self._on_search_finished)
        self.search_task = task
        self._search_failures: list[str] = []
        self._search_succeeded = 0
        self._replace_results = True  # the first scenes of this search replace the previous results
        self.search_button.setEnabled(False)
        self.cancel_search_button.setEnabled(True)
        self.search_status.setText(
            QCoreApplication.translate("ScenePickerDock", "Searching {}…").format(", ".join(titles))
        )
        self.tasks.start(task)
        return task

    def _ask_whole_world(self, names: list[str]) -> bool:
        """Show the question when a heavy catalog would be searched without an area; True: asked."""
        heavy = [self.form.title_of(name) for name in names if name in WHOLE_WORLD_HEAVY]
        if not heavy or not settings.read_setting(ASK_WHOLE_WORLD, True, bool):
            return False
        where = QCoreApplication.translate(
            "ScenePickerDock", "No area of interest is set: {} will be searched over the whole world."
        )
        cost = QCoreApplication.translate(
            "ScenePickerDock", "That is slow and returns scenes from everywhere."
        )
        self.whole_world_label.setText(f"{where.format(', '.join(heavy))} {cost}")
        self.whole_world_dont_ask.setChecked(False)
        self.whole_world_box.show()
        self.search_status.setText(
            QCoreApplication.translate(
                "ScenePickerDock", "Draw an area, or confirm the search of the whole world above."
            )
        )
        return True

    def cancel_search(self) -> None:
        if self.search_task is not None:
            self.search_task.cancel()

    def _take_over_results(self) -> None:
        if self._replace_results:
            self._replace_results = False
            self.model.clear()
            self.footprints.clear()
            self._show_scene(None)

    def _on_scenes(self, scenes: list) -> None:
        self._take_over_results()
        new = self.model.add_scenes(scenes)
        self.footprints.add_scenes(new)  # the count follows on the next loop turn (the dock's count timer)

    def _on_provider_failed(self, provider: str, error) -> None:
        text = str(error)
        message = text if text.startswith(provider) else f"{provider}: {text}"
        self._search_failures.append(message)
        self._warn(QCoreApplication.translate("ScenePickerDock", "Search"), message)

    def _on_provider_done(self, provider: str, count: int, total) -> None:
        self._search_succeeded += 1
        text = QCoreApplication.translate("ScenePickerDock", "{}: {} scenes").format(provider, count)
        if total is not None:
            text += QCoreApplication.translate("ScenePickerDock", " of {} matching").format(total)
        log(text)

    def _on_search_finished(self, ok: bool, error) -> None:
        self.search_task = None
        self.saved_search.search_finished()
        self.search_button.setEnabled(True)
        self.cancel_search_button.setEnabled(False)
        if ok and self._search_succeeded:
            self._take_over_results()  # a search that found nothing empties the table too
        self.search_status.setText(self._status_text(ok, error))
        if not ok and error is not None and "cancel" not in type(error).__name__.lower():
            self._warn(QCoreApplication.translate("ScenePickerDock", "Search"), str(error))
        self._update_count()
        if self.model.rowCount() and not self._replace_results:
            self.tabs.setCurrentIndex(TAB_RESULTS)

    def _status_text(self, ok: bool, error) -> str:
        """The status line after a search: how many scenes, and why each failed provider failed."""
        count = self.model.rowCount()
        failures = " ".join(f"{text.rstrip('.')}." for text in self._search_failures)
        if self._replace_results and (failures or not ok):
            kept = (
                QCoreApplication.translate("ScenePickerDock", " The previous {} results are kept.").format(
                    count
                )
                if count
                else ""
            )
            reason = failures or str(error or "")
            if not ok and "cancel" in type(error).__name__.lower():
                return QCoreApplication.translate("ScenePickerDock", "Search cancelled.") + kept
            return QCoreApplication.translate("ScenePickerDock", "Search failed: {}").format(reason) + kept
        if not ok:
            return QCoreApplication.translate("ScenePickerDock", "Search stopped: {} ({} scenes).").format(
                error, count
            )
        if failures:
            return QCoreApplication.translate("ScenePickerDock", "{} scenes found; failed: {}").format(
                count, failures
            )
        return QCoreApplication.translate("ScenePickerDock", "{} scenes found.").format(count)
