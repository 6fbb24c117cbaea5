"""The search results as a Qt table: :class:`ResultsModel` (scenes in arrival order) and
:class:`ResultsFilterModel` (sorting on typed values; filtering by text, provider, cloud, online).

A scene's identity across the table, the footprint layer and the download queue is :func:`scene_key`.
The provider column shows the registry's title of the scene's provider (its ``provider`` is the name).
Side-car values read for the scenes (:func:`scene_picker.core.sidecar_filter.sidecar_columns`) get one
more column each, added as scenes carrying them arrive.
"""

from __future__ import annotations

from typing import Any

from qgis.PyQt.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QSortFilterProxyModel,
    Qt,
)

from ..core.scene import Scene
from ..core.sidecar import ERRORS_KEY
from ..core.sidecar_filter import sidecar_columns

COL_PROVIDER, COL_ID, COL_DATE, COL_CLOUD, COL_PLATFORM, COL_COLLECTION, COL_ONLINE = range(7)
BASE_COLUMNS = 7
SCENE_ROLE = Qt.ItemDataRole.UserRole + 1
KEY_ROLE = Qt.ItemDataRole.UserRole + 2
SORT_ROLE = Qt.ItemDataRole.UserRole + 3


def scene_key(scene: Scene) -> str:
    """Identity of a scene across providers: ``provider/id``."""
    return f"{scene.provider}/{scene.id}"


class ResultsModel(QAbstractTableModel):
    """Scenes in the order they arrived; a scene seen twice (same key) is replaced, not duplicated."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._scenes: list[Scene] = []
        self._rows: dict[str, int] = {}
        self._downloaded: set[str] = set()
        self._titles: dict[str, str] = {}
        self._headers = [
            QCoreApplication.translate("ResultsModel", "Provider"),
            QCoreApplication.translate("ResultsModel", "ID"),
            QCoreApplication.translate("ResultsModel", "Date (UTC)"),
            QCoreApplication.translate("ResultsModel", "Cloud %"),
            QCoreApplication.translate("ResultsModel", "Platform"),
            QCoreApplication.translate("ResultsModel", "Collection"),
            QCoreApplication.translate("ResultsModel", "Availability"),
        ]
        self._extra: list[str] = []  # side-car value names, one column each after the base columns

    # -- content ----------------------------------------------------------------------------------------
    def add_scenes(self, scenes: list[Scene]) -> list[Scene]:
        """Append new scenes (replace known ones); returns the scenes that were new."""
        names = [n for n in sidecar_columns(scenes) if n not in self._extra]
        if names:
            first = self.columnCount()
            self.beginInsertColumns(QModelIndex(), first, first + len(names) - 1)
            self._extra += names
            self._headers += names
            self.endInsertColumns()
        new: list[Scene] = []
        for scene in scenes:
            key = scene_key(scene)
            row = self._rows.get(key)
            if row is not None:
                self._scenes[row] = scene
                self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))
            else:
                new.append(scene)
        if new:
            first = len(self._scenes)
            self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
            for scene in new:
                self._rows[scene_key(scene)] = len(self._scenes)
                self._scenes.append(scene)
            self.endInsertRows()
        return new

    def clear(self) -> None:
        self.beginResetModel()
        self._scenes.clear()
        self._rows.clear()
        self._headers = self._headers[:BASE_COLUMNS]
        self._extra.clear()
        self.endResetModel()

    def scenes(self) -> list[Scene]:
        return list(self._scenes)

    def scene_at(self, row: int) -> Scene:
        return self._scenes[row]

    def row_of(self, key: str) -> int | None:
        return self._rows.get(key)

    def mark_downloaded(self, key: str) -> None:
        self._downloaded.add(key)
        row = self._rows.get(key)
        if row is not None:
            self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))

    # -- Qt model ---------------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._scenes)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section]
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._scenes):
            return None
        scene = self._scenes[index.row()]
        column = index.column()
        if role == SCENE_ROLE:
            return scene
        if role == KEY_ROLE:
            return scene_key(scene)
        if role == SORT_ROLE:
            return self._sort_value(scene, column)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(scene, column)
        if role == Qt.ItemDataRole.ToolTipRole and column == COL_ID:
            return scene.id
        if role == Qt.ItemDataRole.ToolTipRole and column >= BASE_COLUMNS:
            return (scene.properties.get(ERRORS_KEY) or {}).get(self._extra[column - BASE_COLUMNS])
        if role == Qt.ItemDataRole.TextAlignmentRole and column == COL_CLOUD:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def sidecar_value(self, scene: Scene, column: int) -> Any:
        return scene.properties.get(self._extra[column - BASE_COLUMNS])

    def _display(self, scene: Scene, column: int) -> str:
        if column >= BASE_COLUMNS:
            value = self.sidecar_value(scene, column)
            return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
        if column == COL_PROVIDER:
            return self._provider_title(scene.provider)
        if column == COL_ID:
            return scene.id
        if column == COL_DATE:
            return scene.datetime.strftime("%Y-%m-%d %H:%M") if scene.datetime else ""
        if column == COL_CLOUD:
            return f"{scene.cloud_cover:.1f}" if scene.cloud_cover is not None else ""
        if column == COL_PLATFORM:
            return scene.platform or ""
        if column == COL_COLLECTION:
            return scene.collection or ""
        if column == COL_ONLINE:
            if scene_key(scene) in self._downloaded:
                return QCoreApplication.translate("ResultsModel", "downloaded")
            return (
                QCoreApplication.translate("ResultsModel", "online")
                if scene.online
                else QCoreApplication.translate("ResultsModel", "offline")
            )
        return ""

    def _provider_title(self, name: str) -> str:
        """The registry's title of provider ``name`` (looked up once per name)."""
        title = self._titles.get(name)
        if title is None:
            from .providers_info import provider_title

            title = self._titles[name] = provider_title(name)
        return title

    def _sort_value(self, scene: Scene, column: int) -> Any:
        if column >= BASE_COLUMNS:
            value = self.sidecar_value(scene, column)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return float(value)
            return float("inf") if value is None else str(value).lower()
        if column == COL_DATE:
            return scene.datetime.timestamp() if scene.datetime else float("-inf")
        if column == COL_CLOUD:
            return scene.cloud_cover if scene.cloud_cover is not None else float("inf")
        if column == COL_ONLINE:
            return int(bool(scene.online))
        return self._display(scene, column).lower()


class ResultsFilterModel(QSortFilterProxyModel):
    """Sorts by the typed value of a column; filters by free text, provider, max cloud and online-only."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)
        self._text = ""
        self._provider: str | None = None
        self._max_cloud: float | None = None
        self._online_only = False

    def set_text(self, text: str) -> None:
        self._text = text.strip().lower()
        self.invalidateFilter()

    def set_provider(self, provider: str | None) -> None:
        self._provider = provider or None
        self.invalidateFilter()

    def set_max_cloud(self, value: float | None) -> None:
        self._max_cloud = value
        self.invalidateFilter()

    def set_online_only(self, online_only: bool) -> None:
        self._online_only = online_only
        self.invalidateFilter()

    def lessThan(self, left: QModelIndex, right: QModelIndex) -> bool:
        a, b = left.data(SORT_ROLE), right.data(SORT_ROLE)
        try:
            return a < b
        except TypeError:
            return str(a) < str(b)

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex) -> bool:
        model = self.sourceModel()
        scene: Scene = model.index(source_row, 0, source_parent).data(SCENE_ROLE)
        if scene is None:
            return False
        if self._provider and scene.provider != self._provider:
            return False
        if self._online_only and not scene.online:
            return False
        if (
            self._max_cloud is not None
            and scene.cloud_cover is not None
            and scene.cloud_cover > self._max_cloud
        ):
            return False
        if self._text:
            date = scene.datetime.strftime("%Y-%m-%d") if scene.datetime else ""
            haystack = " ".join(
                (scene.id, scene.provider, scene.platform or "", scene.collection or "", date)
            ).lower()
            return self._text in haystack
        return True

    def scene_at(self, proxy_row: int) -> Scene:
        return self.index(proxy_row, 0).data(SCENE_ROLE)

    def proxy_row_of(self, key: str) -> int | None:
        model: ResultsModel = self.sourceModel()
        row = model.row_of(key)
        if row is None:
            return None
        index = self.mapFromSource(model.index(row, 0))
        return index.row() if index.isValid() else None
