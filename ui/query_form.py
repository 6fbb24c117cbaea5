"""The query form: checkable providers with a credentials badge, collections/platforms per provider, the
catalog URL (with recently used ones) and an optional bearer token for the providers that take a URL, a
date range, a cloud-cover range, max results and advanced provider extras. Its state is kept in
QgsSettings (``scene_picker/form/...``; the token goes to the credential store only) and it builds a
:class:`scene_picker.core.query.Query`.
"""

from __future__ import annotations

import json
from typing import Any

from qgis.core import QgsApplication
from qgis.gui import QgsCollapsibleGroupBox, QgsDateTimeEdit, QgsRangeSlider
from qgis.PyQt.QtCore import QCoreApplication, QDateTime, Qt, QTime, pyqtSignal
from qgis.PyQt.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..core.errors import UsageError
from ..core.query import Query
from . import settings
from .catalog_url import CatalogUrlRow
from .providers_info import STATUS_MISSING, STATUS_NO_KEYRING, STATUS_OK, ProviderInfo, credentials_status
from .tasks import FunctionTask, TaskKeeper

NAME_ROLE = Qt.ItemDataRole.UserRole + 10
STATE_KEY = "form/state"


def _icon(status: str):
    name = {
        STATUS_OK: "/mIconSuccess.svg",
        STATUS_MISSING: "/mIconWarning.svg",
        STATUS_NO_KEYRING: "/mIconWarning.svg",
    }.get(status)
    return QgsApplication.getThemeIcon(name) if name else None


def parse_extras(text: str) -> dict[str, Any]:
    """``key=value; key2=value2`` (or a JSON object) into a dict; values that look like JSON are decoded."""
    text = text.strip()
    if not text:
        return {}
    if text.startswith("{"):
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise UsageError(f"Bad extras: {exc}") from exc
        if not isinstance(value, dict):
            raise UsageError("Extras must be a JSON object or key=value pairs.")
        return value
    out: dict[str, Any] = {}
    for part in text.replace("\n", ";").split(";"):
        if not part.strip():
            continue
        if "=" not in part:
            raise UsageError(f"Bad extra {part.strip()!r}: expected key=value.")
        key, value = (s.strip() for s in part.split("=", 1))
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    return out


class QueryForm(QWidget):
    changed = pyqtSignal()

    def __init__(
        self, providers: list[ProviderInfo], parent: QWidget | None = None, read_keyring: bool = True
    ) -> None:
        """``read_keyring=False`` leaves the badges for :meth:`refresh_badges` (the keyring may prompt)."""
        super().__init__(parent)
        self.setObjectName("ScenePickerQueryForm")
        self.providers = providers
        self._scopes: dict[str, dict[str, str]] = {}  # provider -> {"collections": ..., "platforms": ...}
        self._current: str | None = None
        self._restoring = False
        self._dirty = False

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel(self.tr("Providers"), self))
        self.provider_list = QListWidget(self)
        self.provider_list.setObjectName("providerList")
        self.provider_list.setMaximumHeight(120)
        self.provider_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # a narrow dock cuts the end of "Title  [badge]": the name stays readable, the icon and the
        # tooltip carry the badge
        self.provider_list.setTextElideMode(Qt.TextElideMode.ElideRight)
        for info in providers:
            item = QListWidgetItem(info.title, self.provider_list)
            item.setData(NAME_ROLE, info.name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
        self.provider_list.currentItemChanged.connect(self._on_current_provider)
        self.provider_list.itemChanged.connect(self._on_item_changed)
        layout.addWidget(self.provider_list)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.scope_label = QLabel(self)
        self.scope_label.setObjectName("scopeLabel")
        self.scope_label.setWordWrap(True)
        form.addRow(self.scope_label)
        self.catalog = CatalogUrlRow(self)
        self.catalog.add_rows(form)
        self.collections_edit = QLineEdit(self)
        self.collections_edit.setObjectName("collectionsEdit")
        self.collections_edit.setPlaceholderText(self.tr("all collections (comma separated ids)"))
        self.collections_edit.textEdited.connect(self._store_scope)
        self.collections_label = QLabel(self.tr("Collections"), self)
        form.addRow(self.collections_label, self.collections_edit)
        self.platforms_edit = QLineEdit(self)
        self.platforms_edit.setObjectName("platformsEdit")
        self.platforms_edit.textEdited.connect(self._store_scope)
        form.addRow(self.tr("Platforms"), self.platforms_edit)

        now = QDateTime.currentDateTimeUtc()
        self.start_edit = QgsDateTimeEdit(self)
        self.start_edit.setObjectName("startEdit")
        self.start_edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.start_edit.setTimeSpec(Qt.TimeSpec.UTC)
        self.start_edit.setDateTime(QDateTime(now.date().addDays(-30), QTime(0, 0), Qt.TimeSpec.UTC))
        self.end_edit = QgsDateTimeEdit(self)
        self.end_edit.setObjectName("endEdit")
        self.end_edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.end_edit.setTimeSpec(Qt.TimeSpec.UTC)
        self.end_edit.setDateTime(QDateTime(now.date(), QTime(23, 59), Qt.TimeSpec.UTC))
        form.addRow(self.tr("From (UTC)"), self.start_edit)
        form.addRow(self.tr("To (UTC)"), self.end_edit)

        self.cloud_slider = QgsRangeSlider(Qt.Orientation.Horizontal, self)
        self.cloud_slider.setObjectName("cloudSlider")
        self.cloud_slider.setRange(0, 100)
        self.cloud_slider.setRange(0, 100)
        self.cloud_slider.setUpperValue(100)
        self.cloud_slider.setLowerValue(0)
        self.cloud_label = QLabel(self)
        self.cloud_slider.rangeChanged.connect(self._on_cloud_changed)
        clouds = QHBoxLayout()
        clouds.addWidget(self.cloud_slider, 1)
        clouds.addWidget(self.cloud_label)
        form.addRow(self.tr("Cloud cover"), clouds)

        self.max_spin = QSpinBox(self)
        self.max_spin.setObjectName("maxResults")
        self.max_spin.setRange(1, 10_000)
        self.max_spin.setValue(100)
        form.addRow(self.tr("Max results"), self.max_spin)
        layout.addLayout(form)

        self.advanced = QgsCollapsibleGroupBox(self.tr("Advanced"), self)
        self.advanced.setObjectName("advancedBox")
        adv = QFormLayout(self.advanced)
        self.product_type_edit = QLineEdit(self.advanced)
        self.product_type_edit.setObjectName("productType")
        adv.addRow(self.tr("Product type"), self.product_type_edit)
        self.extras_edit = QLineEdit(self.advanced)
        self.extras_edit.setObjectName("extrasEdit")
        self.extras_edit.setPlaceholderText(self.tr("key=value; key2=value2 (provider specific)"))
        adv.addRow(self.tr("Extras"), self.extras_edit)
        self.advanced.setCollapsed(True)
        layout.addWidget(self.advanced)

        for signal in (
            self.start_edit.dateTimeChanged,
            self.end_edit.dateTimeChanged,
            self.max_spin.valueChanged,
            self.product_type_edit.textChanged,
            self.extras_edit.textChanged,
        ):
            signal.connect(self._emit_changed)
        self._on_cloud_changed()
        if read_keyring:
            self.refresh_badges()
        self.restore_state()
        if self.provider_list.count():
            checked = self.checked_providers()
            self.provider_list.setCurrentItem(
                self._item(checked[0]) if checked else self.provider_list.item(0)
            )
        self._dirty = False  # set-up and restoring are not user changes

    def tr(self, text: str) -> str:
        return QCoreApplication.translate("QueryForm", text)

    # -- providers --------------------------------------------------------------------------------------
    def refresh_badges(self) -> None:
        """Re-read the keyring status of every provider and show it on its item."""
        self.show_badges(self.read_badges())

    def read_badges(self) -> dict[str, str]:
        """The keyring status of every provider (any thread: the keyring may be slow or prompt)."""
        return {info.name: credentials_status(info) for info in self.providers}

    def refresh_badges_in_background(self, keeper: TaskKeeper) -> FunctionTask:
        """Read the keyring in a task, then show the badges (main thread)."""
        task = FunctionTask(self.tr("Scene Picker: read the keyring"), lambda _task: self.read_badges())
        task.signals.done.connect(self._on_badges_read)
        keeper.start(task)
        return task

    def reload_settings(self, keeper: TaskKeeper) -> FunctionTask:
        """After the settings dialog: show the catalog URL and the badges as stored now."""
        self.catalog.show_provider(self._current)
        return self.refresh_badges_in_background(keeper)

    def _on_badges_read(self, statuses: dict[str, str] | None, _error) -> None:
        if not statuses:
            return
        try:
            self.show_badges(statuses)
        except RuntimeError:  # the form was deleted meanwhile (the panel closed)
            pass

    def show_badges(self, statuses: dict[str, str]) -> None:
        restoring, self._restoring = self._restoring, True  # a badge is not a change of the query
        try:
            self._show_badges(statuses)
        finally:
            self._restoring = restoring

    def _show_badges(self, statuses: dict[str, str]) -> None:
        for row in range(self.provider_list.count()):
            item = self.provider_list.item(row)
            info = self._info(item.data(NAME_ROLE))
            status = statuses.get(info.name)
            if status is None:
                continue
            badge = {
                STATUS_OK: self.tr("credentials ok"),
                STATUS_MISSING: self.tr("credentials missing"),
                STATUS_NO_KEYRING: self.tr("no keyring"),
            }.get(status)
            item.setText(f"{info.title}  [{badge}]" if badge else info.title)
            icon = _icon(status)
            if icon is not None:
                item.setIcon(icon)
            item.setData(Qt.ItemDataRole.UserRole + 11, status)
            need = info.credentials.description if info.credentials else self.tr("no account needed")
            item.setToolTip(f"{info.title}\n{badge}: {need}" if badge else f"{info.title}\n{need}")

    def badge_of(self, name: str) -> str | None:
        item = self._item(name)
        return item.data(Qt.ItemDataRole.UserRole + 11) if item is not None else None

    def title_of(self, name: str) -> str:
        """The registry title of provider ``name`` (the name when unknown)."""
        return next((p.title for p in self.providers if p.name == name), name)

    def remember_urls(self) -> None:
        """Save the catalog URL being edited and add the URLs of the checked providers to their recent
        lists (raises UsageError for a URL that carries a credential)."""
        self.catalog.save()
        for name in self.checked_providers():
            self.catalog.remember(name)

    def _info(self, name: str) -> ProviderInfo:
        return next(p for p in self.providers if p.name == name)

    def _item(self, name: str) -> QListWidgetItem | None:
        for row in range(self.provider_list.count()):
            item = self.provider_list.item(row)
            if item.data(NAME_ROLE) == name:
                return item
        return None

    def set_checked(self, name: str, checked: bool = True) -> None:
        item = self._item(name)
        if item is not None:
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def checked_providers(self) -> list[str]:
        out = []
        for row in range(self.provider_list.count()):
            item = self.provider_list.item(row)
            if item.checkState() == Qt.CheckState.Checked:
                out.append(item.data(NAME_ROLE))
        return out

    def set_scope(self, name: str, collections: str = "", platforms: str = "") -> None:
        self._scopes[name] = {"collections": collections, "platforms": platforms}
        if name == self._current:
            self.collections_edit.setText(collections)
            self.platforms_edit.setText(platforms)
        self._emit_changed()

    def scope(self, name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(collections, platforms) chosen for provider ``name``."""
        entry = self._scopes.get(name, {})

        def split(text: str) -> tuple[str, ...]:
            return tuple(p.strip() for p in (text or "").split(",") if p.strip())

        return split(entry.get("collections", "")), split(entry.get("platforms", ""))

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        # checking a provider shows its collections and platforms below
        if item.checkState() == Qt.CheckState.Checked and self.provider_list.currentItem() is not item:
            self.provider_list.setCurrentItem(item)
        self._emit_changed()

    def _on_current_provider(self, current: QListWidgetItem | None, _previous=None) -> None:
        self._current = current.data(NAME_ROLE) if current is not None else None
        title = self._info(self._current).title if self._current else ""
        self.scope_label.setText(self.tr("Collections and platforms searched at {}:").format(title))
        entry = self._scopes.get(self._current or "", {})
        self.collections_edit.setText(entry.get("collections", ""))
        self.platforms_edit.setText(entry.get("platforms", ""))
        self.catalog.show_provider(self._current)
        if self._current:
            info = self._info(self._current)
            self.platforms_edit.setPlaceholderText(
                ", ".join(info.platforms) if info.platforms else self.tr("any platform")
            )
            self.collections_label.setToolTip(self.tr("Collections searched at {}").format(info.title))
            self.collections_edit.setToolTip(self.tr("Collections searched at {}").format(info.title))

    def _store_scope(self) -> None:
        if self._current:
            self._scopes[self._current] = {
                "collections": self.collections_edit.text(),
                "platforms": self.platforms_edit.text(),
            }
            self._emit_changed()

    # -- values -----------------------------------------------------------------------------------------
    def cloud_range(self) -> tuple[float | None, float | None]:
        low, high = self.cloud_slider.lowerValue(), self.cloud_slider.upperValue()
        return (float(low) if low > 0 else None, float(high) if high < 100 else None)

    def set_cloud_range(self, low: int, high: int) -> None:
        self.cloud_slider.setRange(0, 100)
        self.cloud_slider.setLowerValue(low)
        self.cloud_slider.setUpperValue(high)
        self._on_cloud_changed()

    def _on_cloud_changed(self, *_args) -> None:
        self.cloud_label.setText(f"{self.cloud_slider.lowerValue()}–{self.cloud_slider.upperValue()} %")
        self._emit_changed()

    def set_dates(self, start: QDateTime, end: QDateTime) -> None:
        self.start_edit.setDateTime(start)
        self.end_edit.setDateTime(end)

    def build_query(self, aoi_wkt: str | None) -> Query:
        """The Query of the form; raises UsageError (e.g. start after end, bad extras)."""
        start = self.start_edit.dateTime().toUTC()
        # the editor shows minutes: the end minute is included up to its last millisecond
        end = self.end_edit.dateTime().toUTC()
        end = end.addMSecs(59_999 - (end.time().second() * 1000 + end.time().msec()))
        if start > end:
            raise UsageError(self.tr("The start date is after the end date."))
        low, high = self.cloud_range()
        return Query.build(
            aoi=aoi_wkt,
            aoi_crs="EPSG:4326" if aoi_wkt else None,
            start=start.toString(Qt.DateFormat.ISODate),
            end=end.toString(Qt.DateFormat.ISODateWithMs),
            cloud_min=low,
            cloud_max=high,
            product_type=self.product_type_edit.text().strip() or None,
            max_results=self.max_spin.value(),
            extras=parse_extras(self.extras_edit.text()),
        )

    # -- persistence ------------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        return {
            "providers": self.checked_providers(),
            "scopes": self._scopes,
            "start": self.start_edit.dateTime().toUTC().toString(Qt.DateFormat.ISODate),
            "end": self.end_edit.dateTime().toUTC().toString(Qt.DateFormat.ISODate),
            "cloud": [self.cloud_slider.lowerValue(), self.cloud_slider.upperValue()],
            "max_results": self.max_spin.value(),
            "product_type": self.product_type_edit.text(),
            "extras": self.extras_edit.text(),
        }

    def save_state(self) -> None:
        """Persist the form, when the user changed something since it was restored or last saved."""
        if not self._dirty:
            return
        settings.write_setting(STATE_KEY, json.dumps(self.state()))
        self._dirty = False

    def restore_state(self) -> None:
        raw = settings.read_setting(STATE_KEY, "", str)
        try:
            state = json.loads(raw) if raw else {}
        except ValueError:
            state = {}
        if not isinstance(state, dict) or not state:
            return
        self._restoring = True
        try:
            for name in state.get("providers", []):
                self.set_checked(name, True)
            scopes = state.get("scopes") or {}
            if isinstance(scopes, dict):
                self._scopes = {str(k): dict(v) for k, v in scopes.items() if isinstance(v, dict)}
            for key, edit in (("start", self.start_edit), ("end", self.end_edit)):
                value = QDateTime.fromString(str(state.get(key, "")), Qt.DateFormat.ISODate)
                if value.isValid():
                    edit.setDateTime(value.toUTC())
            cloud = state.get("cloud")
            if isinstance(cloud, list) and len(cloud) == 2:
                self.set_cloud_range(int(cloud[0]), int(cloud[1]))
            if isinstance(state.get("max_results"), int):
                self.max_spin.setValue(state["max_results"])
            self.product_type_edit.setText(str(state.get("product_type", "")))
            self.extras_edit.setText(str(state.get("extras", "")))
        finally:
            self._restoring = False

    def _emit_changed(self, *_args) -> None:
        if not self._restoring:
            self._dirty = True
            self.changed.emit()
