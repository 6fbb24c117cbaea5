"""The dock's saved searches and side-car filter.

- :class:`SavedSearchControls` adds a *Side-car filter* field to the query form's *Advanced* box and a
  *Saved search* button beside *Search* (menu: save with the form's dates, save as a rolling window of
  the form's span of days, open). Saving writes the
  current form, area and download choices as a plan file for ``scene-picker sync``
  (:mod:`scene_picker.core.saved_search`; TOML or JSON), with fixed dates or a rolling window; opening
  one fills the form back. Files are read and written in background tasks.
- :class:`SidecarFilteredProvider` wraps a provider so its search yields only the scenes whose label
  passes the filter; the unreadable labels are collected and reported when the search ends.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

from qgis.core import Qgis, QgsCoordinateReferenceSystem, QgsGeometry
from qgis.PyQt.QtCore import QCoreApplication, QDateTime, QObject, Qt
from qgis.PyQt.QtWidgets import QLineEdit, QMenu, QToolButton, QWidget

from ..core.errors import ScenePickerError, UsageError
from ..core.query import Query, format_datetime
from ..core.saved_search import Plan, dump_plan, load_plan
from ..core.scene import Scene
from ..core.sidecar_filter import SidecarReport, SidecarSpec
from ..providers.base import Provider, ResultPage, SearchResults
from . import settings
from .messages import log
from .providers_info import provider_options
from .tasks import FunctionTask

FILTER_KEY = "form/sidecar_filter"


class SidecarFilteredProvider(Provider):
    """``inner``'s search, keeping the scenes whose side-car label passes ``spec``; each scene whose
    label could not be read goes to ``unreadable(scene, reason)`` (called from the search thread)."""

    def __init__(self, inner: Provider, spec: SidecarSpec, unreadable: Callable[[Scene, str], None]) -> None:
        super().__init__(http=None)
        self.inner = inner
        self.name = inner.name
        self.title = inner.title
        self.spec = spec
        self.unreadable = unreadable

    @property
    def label(self) -> str:
        return self.inner.label

    def search(self, query: Query) -> SearchResults:
        return SearchResults(self._pages(query))

    def _pages(self, query: Query) -> Iterator[ResultPage]:
        report = SidecarReport()
        seen = 0
        for scene in self.spec.apply(self.inner.search(query), http=self.inner.http, report=report):
            for item in report.unreadable[seen:]:
                self.unreadable(*item)
            seen = len(report.unreadable)
            yield ResultPage([scene])
        for item in report.unreadable[seen:]:
            self.unreadable(*item)

    def get(self, scene_id: str) -> Scene:
        return self.inner.get(scene_id)

    def downloader(self, scene: Scene):
        return self.inner.downloader(scene)


class SavedSearchControls(QObject):
    """Wires the side-car field and the saved-search button into ``dock`` (see the module doc)."""

    def tr(self, text: str) -> str:  # noqa: D401 - Qt naming
        return QCoreApplication.translate("SavedSearchControls", text)

    def __init__(self, dock, parent: QWidget, button_row) -> None:
        super().__init__(dock)
        self.dock = dock
        form = dock.form
        self.filter_edit = QLineEdit(form.advanced)
        self.filter_edit.setObjectName("sidecarFilterEdit")
        self.filter_edit.setPlaceholderText(self.tr("from each scene's label, e.g. incidence_angle<30"))
        self.filter_edit.setToolTip(
            self.tr(
                "Keep the scenes whose metadata label (JSON, XML, PVL) holds a passing value: NAME OP VALUE "
                "or LOW<=NAME<HIGH, several separated by ';'. The values become columns of the table."
            )
        )
        self.filter_edit.setText(str(settings.read_setting(FILTER_KEY, "", str) or ""))
        self.filter_edit.textChanged.connect(lambda text: settings.write_setting(FILTER_KEY, text))
        form.advanced.layout().addRow(self.tr("Side-car filter"), self.filter_edit)

        self.button = QToolButton(parent)
        self.button.setObjectName("savedSearchButton")
        self.button.setText(self.tr("Saved search"))
        self.button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.button)
        menu.addAction(self.tr("Save search with these dates…"), lambda: self.ask_save(rolling=False))
        menu.addAction(
            self.tr("Save search as a rolling window (last N days)…"), lambda: self.ask_save(rolling=True)
        )
        menu.addAction(self.tr("Open search…"), self.ask_open)
        self.button.setMenu(menu)
        button_row.addWidget(self.button)
        self._lock = threading.Lock()
        self._unreadable: list[tuple[Scene, str]] = []

    # -- side-car filtering of a search ----------------------------------------------------------------
    def filters(self) -> list[str]:
        return [part.strip() for part in self.filter_edit.text().split(";") if part.strip()]

    def spec(self) -> SidecarSpec:
        """The filter of the form (raises UsageError on a bad expression)."""
        return SidecarSpec.build(self.filters())

    def search_started(self) -> Optional[SidecarSpec]:
        """The spec to apply to this search (None when the field is empty); raises UsageError."""
        with self._lock:
            self._unreadable = []
        spec = self.spec()
        return spec if spec.active else None

    def wrap(self, provider: Provider, spec: Optional[SidecarSpec]) -> Provider:
        return provider if spec is None else SidecarFilteredProvider(provider, spec, self._record)

    def _record(self, scene: Scene, reason: str) -> None:
        with self._lock:
            self._unreadable.append((scene, reason))

    def search_finished(self) -> list[tuple[Scene, str]]:
        """Report the scenes left out because their label was unreadable (message bar + log)."""
        with self._lock:
            unreadable, self._unreadable = self._unreadable, []
        if unreadable:
            details = "\n".join(f"{s.provider}:{s.id}: {reason}" for s, reason in unreadable)
            log(f"Side-car labels not read:\n{details}", Qgis.MessageLevel.Warning)
            self.dock._warn(
                self.tr("Side-car filter"),
                self.tr("{} scenes left out: their label could not be read (details in the log).").format(
                    len(unreadable)
                ),
            )
        return unreadable

    # -- the plan of the dock --------------------------------------------------------------------------
    def plan_tables(self, rolling_days: Optional[int] = None) -> list[dict[str, Any]]:
        """The dock's search as plan tables, one per checked provider (each keeps its own scope)."""
        form = self.dock.form
        names = form.checked_providers()
        if not names:
            raise UsageError(self.tr("Check at least one provider."))
        aoi = self.dock.aoi.aoi_wkt()
        query = form.build_query(aoi)
        filters = self.filters()
        SidecarSpec.build(filters)  # refuse a bad expression now
        members = self.dock.member_patterns()
        tables = []
        for name in names:
            collections, platforms = form.scope(name)
            options = provider_options(name)
            table: dict[str, Any] = {"name": name, "provider": name}
            if "url" in options:
                table["url"] = options.pop("url")
            if options:
                table["options"] = options
            if collections:
                table["collections"] = list(collections)
            if platforms:
                table["platforms"] = list(platforms)
            if aoi:
                table["aoi"] = aoi
            if rolling_days:
                table["last"] = f"{int(rolling_days)} days"
            else:
                table["start"], table["end"] = format_datetime(query.start), format_datetime(query.end)
            for key in ("cloud_min", "cloud_max"):
                if getattr(query, key) is not None:
                    table[key] = getattr(query, key)
            table["limit"] = query.max_results
            if query.product_type:
                table["product_type"] = query.product_type
            if query.extras:
                table["extras"] = dict(query.extras)
            if filters:
                table["sidecar_filters"] = filters
            fetch = {"assets": self.dock.checked_assets(), "members": members}
            table["fetch"] = {k: v for k, v in fetch.items() if v}
            tables.append(table)
        return tables

    def save(self, path: Path, rolling_days: Optional[int] = None) -> FunctionTask:
        """Write the dock's search to ``path`` (.toml or .json) in a background task."""
        tables = self.plan_tables(rolling_days)
        task = FunctionTask(self.tr("Scene Picker: save search"), lambda _task: dump_plan(tables, path))
        task.signals.done.connect(lambda written, error: self._on_saved(written, error))
        self.dock.tasks.start(task)
        return task

    def _on_saved(self, path, error) -> None:
        if error is not None:
            self.dock._warn(self.tr("Save search"), str(error))
        else:
            self.dock._info(
                self.tr("Save search"),
                self.tr("Saved to {}: run it with scene-picker sync {} --out DIR").format(path, path),
            )

    def open(self, path: Path) -> FunctionTask:
        """Read the plan at ``path`` in a background task, then fill the form with it."""
        task = FunctionTask(self.tr("Scene Picker: open search"), lambda _task: load_plan(path))
        task.signals.done.connect(lambda plan, error: self._on_opened(plan, error))
        self.dock.tasks.start(task)
        return task

    def _on_opened(self, plan: Optional[Plan], error) -> None:
        if error is not None or plan is None:
            self.dock._warn(self.tr("Open search"), str(error))
            return
        try:
            self.apply(plan)
        except ScenePickerError as exc:
            self.dock._warn(self.tr("Open search"), str(exc))

    def apply(self, plan: Plan, now: Optional[dt.datetime] = None) -> None:
        """Fill the form from ``plan``: every search's providers and scopes; dates, clouds, area, limit,
        extras, side-car filters and zip members from the first search."""
        form = self.dock.form
        first = plan.searches[0]
        query = first.query(now or dt.datetime.now(dt.timezone.utc))
        for name in form.checked_providers():
            form.set_checked(name, False)
        for search in plan.searches:
            for name in search.providers:
                form.set_checked(name, True)
                form.set_scope(name, ", ".join(search.collections), ", ".join(search.platforms))
        if query.start is not None and query.end is not None:
            form.set_dates(_qdatetime(query.start), _qdatetime(query.end))
        low = int(first.cloud_min) if first.cloud_min is not None else 0
        high = int(first.cloud_max) if first.cloud_max is not None else 100
        form.set_cloud_range(low, high)
        if first.limit:
            form.max_spin.setValue(first.limit)
        form.product_type_edit.setText(first.product_type or "")
        form.extras_edit.setText(json.dumps(first.extras) if first.extras else "")
        self.filter_edit.setText("; ".join(f.text for f in first.sidecar.filters))
        self.dock.members_edit.setText(", ".join(first.fetch.members))
        if query.aoi is not None:
            self.dock.aoi.set_aoi(
                QgsGeometry.fromWkt(query.aoi.wkt), QgsCoordinateReferenceSystem("EPSG:4326")
            )
        else:
            self.dock.aoi.clear()
        unshown = [k for k in ("sidecar_fields", "sidecar_asset", "options") if first.raw.get(k)]
        unshown += [f"fetch.{k}" for k in ("assets", "clip") if getattr(first.fetch, k)]
        if len(plan.searches) > 1 or unshown:
            log(
                f"Opened {len(plan.searches)} search(es); the form shows the first one's dates, clouds, "
                "area" + (f"; not shown in the form: {', '.join(unshown)}" if unshown else ""),
                Qgis.MessageLevel.Info,
            )

    # -- dialogs ---------------------------------------------------------------------------------------
    def ask_save(self, rolling: bool) -> None:
        """Ask where to save; ``rolling``: the form's span of days becomes a window ending at each sync."""
        from qgis.PyQt.QtWidgets import QFileDialog

        path, _filter = QFileDialog.getSaveFileName(
            self.dock, self.tr("Save search"), settings.output_dir(), self.tr("Plans (*.toml);;JSON (*.json)")
        )
        if not path:
            return
        start = self.dock.form.start_edit.dateTime().toUTC()
        days = max(1, start.daysTo(self.dock.form.end_edit.dateTime().toUTC()))
        try:
            self.save(Path(path), days if rolling else None)
        except ScenePickerError as exc:
            self.dock._warn(self.tr("Save search"), str(exc))

    def ask_open(self) -> None:
        from qgis.PyQt.QtWidgets import QFileDialog

        path, _filter = QFileDialog.getOpenFileName(
            self.dock, self.tr("Open search"), settings.output_dir(), self.tr("Plans (*.toml);;JSON (*.json)")
        )
        if path:
            self.open(Path(path))


def _qdatetime(moment: dt.datetime) -> QDateTime:
    return QDateTime.fromSecsSinceEpoch(int(moment.timestamp()), Qt.TimeSpec.UTC)
