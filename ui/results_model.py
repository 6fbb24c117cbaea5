"""The search results as a Qt table: :class:`ResultsModel` (scenes in arrival order, one row per
provider + id) and :class:`ResultsFilterModel` (sorting on typed values; filtering by text, provider,
cloud, online).

The first column is the short label a person tells scenes apart by (``2024-06-03 T31TDJ S2A``,
:func:`scene_picker.core.scene_label.scene_label`); the full id is its tooltip and the last column.
Each row's texts and sort keys are computed once, when its scene arrives; the model keeps its rows
sorted itself (bisection per batch) and the proxy only filters, so no Python runs per comparison and
10 000 streamed scenes show in well under a second (bench/bench_results_table.py).

A scene's identity across the table, the footprint layer and the download queue is :func:`scene_key`.
Side-car values read for the scenes (:func:`scene_picker.core.sidecar_filter.sidecar_columns`) get one
more column each, added as scenes carrying them arrive.
"""

from __future__ import annotations

import bisect
from typing import Any, NamedTuple

from qgis.PyQt.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QSortFilterProxyModel,
    Qt,
)

from ..core.scene import Scene
from ..core.scene_label import scene_label, scene_size, scene_tile
from ..core.sidecar import ERRORS_KEY
from ..core.sidecar_filter import sidecar_columns

(
    COL_LABEL,
    COL_CLOUD,
    COL_TILE,
    COL_SIZE,
    COL_DATE,
    COL_PLATFORM,
    COL_COLLECTION,
    COL_ONLINE,
    COL_PROVIDER,
    COL_ID,
) = range(10)
SCENE_ROLE = Qt.ItemDataRole.UserRole + 1
KEY_ROLE = Qt.ItemDataRole.UserRole + 2
SORT_ROLE = Qt.ItemDataRole.UserRole + 3
BASE_COLUMNS = COL_ID + 1  # side-car value columns follow (one per value name)
_NUMERIC = (COL_CLOUD, COL_SIZE)
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


def scene_key(scene: Scene) -> str:
    """Identity of a scene across providers: ``provider/id``."""
    return f"{scene.provider}/{scene.id}"


class _Row:
    """A scene's row; its texts and sort values are computed when first needed (most rows of a large
    search are never drawn nor sorted by every column)."""

    __slots__ = ("scene", "key", "arrival", "cells")

    def __init__(self, scene: Scene, key: str, arrival: int) -> None:
        self.scene = scene
        self.key = key
        self.arrival = arrival  # ties keep the arrival order, in both directions
        self.cells: _Cells | None = None


class _Cells(NamedTuple):
    texts: list[str]  # per column
    sort: list[Any]  # per column: float or lower-case text
    haystack: str  # what the text filter searches


def _size_text(size: int | None) -> str:
    from .queue_panel import format_size

    return format_size(size) if size else ""


class ResultsModel(QAbstractTableModel):
    """The scenes, kept sorted by the chosen column (:meth:`sort`); a scene seen again (same key)
    replaces its row, never adds one.

    Rows are stored in ascending order of ``(sort value, arrival)``; a descending sort shows them in
    reverse. A batch of new scenes is placed by bisection and announced with one insertion per place.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[_Row] = []  # ascending by self._keys
        self._keys: list[tuple[Any, int]] = []  # (sort value, arrival) of each stored row
        self._by_key: dict[str, _Row] = {}
        self._positions: dict[str, int] | None = {}  # key -> stored position; None: to rebuild
        self._arrival = 0
        self._column = COL_DATE
        self._descending = True
        self._downloaded: set[str] = set()
        self._titles: dict[str, str] = {}
        self._extra: list[str] = []  # side-car value names, one column each after the base columns
        self._headers = [
            QCoreApplication.translate("ResultsModel", "Scene"),
            QCoreApplication.translate("ResultsModel", "Cloud %"),
            QCoreApplication.translate("ResultsModel", "Tile"),
            QCoreApplication.translate("ResultsModel", "Size"),
            QCoreApplication.translate("ResultsModel", "Date (UTC)"),
            QCoreApplication.translate("ResultsModel", "Platform"),
            QCoreApplication.translate("ResultsModel", "Collection"),
            QCoreApplication.translate("ResultsModel", "Availability"),
            QCoreApplication.translate("ResultsModel", "Provider"),
            QCoreApplication.translate("ResultsModel", "ID"),
        ]
        self._availability = {
            "downloaded": QCoreApplication.translate("ResultsModel", "downloaded"),
            True: QCoreApplication.translate("ResultsModel", "online"),
            False: QCoreApplication.translate("ResultsModel", "offline"),
        }

    # -- content ----------------------------------------------------------------------------------------
    def add_scenes(self, scenes: list[Scene]) -> list[Scene]:
        """Add new scenes in sorted place, replace known ones (same key, also within ``scenes``);
        returns the scenes that got a new row, each key once."""
        names = [n for n in sidecar_columns(scenes) if n not in self._extra]
        if names:
            first = self.columnCount()
            self.beginInsertColumns(QModelIndex(), first, first + len(names) - 1)
            self._extra += names
            self._headers += names
            self.endInsertColumns()
        new: dict[str, _Row] = {}
        for scene in scenes:
            key = scene_key(scene)
            if key in self._by_key:
                self._replace(key, self._make_row(scene, key))
            else:
                new[key] = self._make_row(scene, key)
        if new:
            self._insert(list(new.values()))
        return [row.scene for row in new.values()]

    def _insert(self, rows: list[_Row]) -> None:
        keyed = sorted(((self._sort_key(row), row) for row in rows), key=lambda pair: pair[0])
        groups: list[tuple[int, list[tuple[tuple[Any, int], _Row]]]] = []
        for pair in keyed:
            place = bisect.bisect_right(self._keys, pair[0])
            if groups and groups[-1][0] == place:
                groups[-1][1].append(pair)
            else:
                groups.append((place, [pair]))
        for place, group in reversed(groups):  # from the end: earlier places do not move
            count, size = len(group), len(self._rows)
            first = size - place if self._descending else place
            self.beginInsertRows(QModelIndex(), first, first + count - 1)
            self._keys[place:place] = [pair[0] for pair in group]
            self._rows[place:place] = [pair[1] for pair in group]
            for _key, row in group:
                self._by_key[row.key] = row
            self._positions = None
            self.endInsertRows()

    def _sort_key(self, row: _Row, column: int | None = None) -> tuple[Any, int]:
        value = self._sort_value(row, self._column if column is None else column)
        return (value, -row.arrival if self._descending else row.arrival)

    def _replace(self, key: str, row: _Row) -> None:
        position = self._position(key)
        row.arrival = self._rows[position].arrival
        self._rows[position] = self._by_key[key] = row
        shown = self._shown(position)
        self.dataChanged.emit(self.index(shown, 0), self.index(shown, self.columnCount() - 1))

    def _position(self, key: str) -> int:
        if self._positions is None:
            self._positions = {row.key: number for number, row in enumerate(self._rows)}
        return self._positions[key]

    def _shown(self, position: int) -> int:
        """The row shown for stored ``position`` (and the reverse: the mapping is its own inverse)."""
        return len(self._rows) - 1 - position if self._descending else position

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort by ``column`` (its typed value; ties keep the arrival order)."""
        if not 0 <= column < self.columnCount():
            return
        self.layoutAboutToBeChanged.emit()
        before = [(index, self._rows[self._shown(index.row())].key) for index in self.persistentIndexList()]
        self._column = column
        self._descending = order == Qt.SortOrder.DescendingOrder
        pairs = sorted(((self._sort_key(row, column), row) for row in self._rows), key=lambda pair: pair[0])
        self._keys = [pair[0] for pair in pairs]
        self._rows = [pair[1] for pair in pairs]
        self._positions = None
        self.changePersistentIndexList(
            [index for index, _key in before],
            [self.index(self._shown(self._position(key)), index.column()) for index, key in before],
        )
        self.layoutChanged.emit()

    def clear(self) -> None:
        self.beginResetModel()
        self._rows.clear()
        self._keys.clear()
        self._by_key.clear()
        self._positions = {}
        self._headers = self._headers[:BASE_COLUMNS]
        self._extra.clear()
        self.endResetModel()

    def scenes(self) -> list[Scene]:
        """The scenes in the shown order."""
        rows = reversed(self._rows) if self._descending else self._rows
        return [row.scene for row in rows]

    def scene_at(self, row: int) -> Scene:
        return self._rows[self._shown(row)].scene

    def row_of(self, key: str) -> int | None:
        return self._shown(self._position(key)) if key in self._by_key else None

    def haystack(self, row: int) -> str:
        return self._cells(self._rows[self._shown(row)]).haystack

    def mark_downloaded(self, key: str) -> None:
        self._downloaded.add(key)
        row = self._by_key.get(key)
        if row is not None:
            self._replace(key, self._make_row(row.scene, key))

    def _make_row(self, scene: Scene, key: str) -> _Row:
        self._arrival += 1
        return _Row(scene, key, self._arrival)

    def _cells(self, row: _Row) -> _Cells:
        if row.cells is None:
            row.cells = self._compute_cells(row.scene, row.key)
        return row.cells

    def sidecar_value(self, scene: Scene, column: int) -> Any:
        return scene.properties.get(self._extra[column - BASE_COLUMNS])

    def _sort_value(self, row: _Row, column: int) -> Any:
        if column >= BASE_COLUMNS:
            value = self.sidecar_value(row.scene, column)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return float(value)
            return float("inf") if value is None else str(value).lower()
        if column in (COL_LABEL, COL_DATE) and row.cells is None:  # the default sort: no texts needed
            when = row.scene.datetime
            return when.timestamp() if when else float("-inf")
        return self._cells(row).sort[column]

    def _compute_cells(self, scene: Scene, key: str) -> _Cells:
        when = scene.datetime
        size = scene_size(scene)
        availability = self._availability["downloaded" if key in self._downloaded else bool(scene.online)]
        provider = self._provider_title(scene.provider)
        texts = [
            scene_label(scene),
            f"{scene.cloud_cover:.1f}" if scene.cloud_cover is not None else "",
            scene_tile(scene) or "",
            _size_text(size),
            when.strftime("%Y-%m-%d %H:%M") if when else "",
            scene.platform or "",
            scene.collection or "",
            availability,
            provider,
            scene.id,
        ]
        sort: list[Any] = [text.lower() for text in texts]
        sort[COL_LABEL] = sort[COL_DATE] = when.timestamp() if when else float("-inf")
        sort[COL_CLOUD] = scene.cloud_cover if scene.cloud_cover is not None else float("inf")
        sort[COL_SIZE] = float(size) if size is not None else float("-inf")
        haystack = " ".join(
            (scene.id, scene.provider, provider, texts[COL_LABEL], texts[COL_PLATFORM], texts[COL_COLLECTION])
        ).lower()
        return _Cells(texts, sort, haystack)

    def _provider_title(self, name: str) -> str:
        """The registry's title of provider ``name`` (looked up once per name)."""
        title = self._titles.get(name)
        if title is None:
            from .providers_info import provider_title

            title = self._titles[name] = provider_title(name)
        return title

    # -- Qt model ---------------------------------------------------------------------------------------
    def index(self, row: int, column: int, parent: QModelIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        # one Python call per index (the base class asks rowCount and columnCount): a live-sorted proxy
        # asks for two indexes per comparison
        if 0 <= row < len(self._rows) and 0 <= column < len(self._headers) and not parent.isValid():
            return self.createIndex(row, column)
        return QModelIndex()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section]
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = index.row()
        size = len(self._rows)
        if row >= size or row < 0:  # an invalid index has row -1
            return None
        column = index.column()
        entry = self._rows[size - 1 - row if self._descending else row]
        if column >= BASE_COLUMNS:
            return self._sidecar_data(entry.scene, column, role)
        if role == _DISPLAY:
            return self._cells(entry).texts[column]
        if role == SORT_ROLE:
            return self._sort_value(entry, column)
        if role == SCENE_ROLE:
            return entry.scene
        if role == KEY_ROLE:
            return entry.key
        if role == _TOOLTIP and column in (COL_LABEL, COL_ID):
            return entry.scene.id
        if role == _ALIGN and column in _NUMERIC:
            return _RIGHT
        return None

    def _sidecar_data(self, scene: Scene, column: int, role: int) -> Any:
        if role == _DISPLAY:
            value = self.sidecar_value(scene, column)
            return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
        if role == SORT_ROLE:
            return self._sort_value(_Row(scene, "", 0), column)
        if role == SCENE_ROLE:
            return scene
        if role == KEY_ROLE:
            return scene_key(scene)
        if role == _TOOLTIP:
            return (scene.properties.get(ERRORS_KEY) or {}).get(self._extra[column - BASE_COLUMNS])
        return None


class ResultsFilterModel(QSortFilterProxyModel):
    """Filters by free text, provider, max cloud and online-only; sorting is the source model's (a
    proxy comparing rows would call Python twice per comparison, for every streamed batch)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setDynamicSortFilter(True)
        self._text = ""
        self._provider: str | None = None
        self._max_cloud: float | None = None
        self._online_only = False

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort the source model (this proxy keeps its order)."""
        self.sourceModel().sort(column, order)

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

    def _filtering(self) -> bool:
        return bool(self._text or self._provider or self._max_cloud is not None or self._online_only)

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex) -> bool:  # noqa: N802 - Qt API
        if not self._filtering():
            return True
        model: ResultsModel = self.sourceModel()
        scene = model.scene_at(source_row)
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
            return self._text in f"{model.haystack(source_row)} {date}"
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
