"""The download queue panel: one row per job on two lines (its label above a progress bar that reads
the state, percentage, speed and ETA), readable in a narrow dock, and the actions cancel, retry, open
folder, load as layers and clear the finished jobs.
"""

from __future__ import annotations

from qgis.PyQt.QtCore import QCoreApplication, Qt, QUrl, pyqtSignal
from qgis.PyQt.QtGui import QDesktopServices, QFontMetrics, QPalette
from qgis.PyQt.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from .widgets import push_button

COL_SCENE, COL_STATE, COL_PROGRESS, COL_SPEED, COL_ETA = range(5)
JOB_ROLE = Qt.ItemDataRole.UserRole + 20
ROW_MARGIN = 4  # around a row's label and bar
BAR_PADDING = 16  # the bar's frame and margins around its text


def format_size(size: int) -> str:
    """1.3 KB, 5.0 MB... (binary multiples)."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def format_speed(speed: float) -> str:
    """850 KB/s, 1.2 MB/s, 12 MB/s: at most three digits, so it fits a progress bar."""
    if speed <= 0:
        return ""
    for unit in ("B/s", "KB/s", "MB/s"):
        if round(speed) < 1000:
            return f"{speed:.1f} {unit}" if speed < 10 and unit != "B/s" else f"{speed:.0f} {unit}"
        speed /= 1024
    return f"{speed:.1f} GB/s"


def format_eta(eta: float | None) -> str:
    if eta is None or eta < 0:
        return ""
    eta = int(round(eta))
    if eta >= 3600:
        return f"{eta // 3600}h{eta % 3600 // 60:02d}"
    return f"{eta // 60}:{eta % 60:02d}"


def job_title(scene, assets: list[str] | None, members: list[str] | None) -> str:
    """The Downloads list's text of a job: the scene's short label and what is fetched."""
    from ..core.scene_label import fetch_summary, scene_label

    kind, names = fetch_summary(scene, assets, members)
    if kind == "members":
        what = (
            QCoreApplication.translate("QueuePanel", "{} members").format(len(names))
            if len(names) > 1
            else QCoreApplication.translate("QueuePanel", "1 member")
        )
    elif kind == "archive":
        what = QCoreApplication.translate("QueuePanel", "whole archive")
    else:
        what = ", ".join(names[:3]) + (f" +{len(names) - 3}" if len(names) > 3 else "")
    return f"{scene_label(scene)} · {what}" if what else scene_label(scene)


class JobRow(QWidget):
    """One job in the list: its label above its progress bar, both as wide as the list. The label is
    elided only when even that width is too narrow (the full label is in its tooltip)."""

    def __init__(self, title: str, tooltip: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.title = title
        layout = QVBoxLayout(self)
        layout.setContentsMargins(ROW_MARGIN, ROW_MARGIN, ROW_MARGIN, ROW_MARGIN)
        layout.setSpacing(2)
        self.label = QLabel(title, self)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setToolTip(tooltip)
        self.label.setMinimumWidth(1)  # never wider than the list: elided in resizeEvent
        self.bar = QProgressBar(self)
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(True)
        self.bar.setAlignment(Qt.AlignmentFlag.AlignCenter)  # the text inside the bar, whatever the style
        layout.addWidget(self.label)
        layout.addWidget(self.bar)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        room = self.width() - 2 * ROW_MARGIN
        metrics = QFontMetrics(self.label.font())
        self.label.setText(metrics.elidedText(self.title, Qt.TextElideMode.ElideRight, room))

    def set_selected(self, selected: bool) -> None:
        """The label in the selection's text colour (the row's background is the list's)."""
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.WindowText
        self.label.setForegroundRole(role)


class QueuePanel(QWidget):
    cancelRequested = pyqtSignal(str)
    retryRequested = pyqtSignal(str)
    loadRequested = pyqtSignal(str)
    clearRequested = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ScenePickerQueuePanel")
        self._items: dict[str, QTreeWidgetItem] = {}
        self._folders: dict[str, str] = {}
        self._states: dict[str, str] = {}
        layout = QVBoxLayout(self)
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("queueTree")
        self.tree.setRootIsDecorated(False)
        self.tree.setHeaderLabels(
            [self.tr("Scene"), self.tr("State"), self.tr("Progress"), self.tr("Speed"), self.tr("ETA")]
        )
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        # one visible column, a two-line row per job (JobRow) as wide as the dock: the label above, the
        # bar below reading "39% · 2 MB/s · 0:02"; the hidden columns hold the state, speed and ETA
        self.tree.setHeaderHidden(True)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(COL_SCENE, QHeaderView.ResizeMode.Stretch)
        for column in (COL_STATE, COL_PROGRESS, COL_SPEED, COL_ETA):
            self.tree.setColumnHidden(column, True)
        self.tree.itemSelectionChanged.connect(self._update_buttons)
        self.tree.itemSelectionChanged.connect(self._show_selection)
        layout.addWidget(self.tree, 1)
        # two rows of two buttons: the panel stays usable in a narrow dock
        row = QGridLayout()
        self.cancel_button = push_button(
            self, "cancelJob", self.tr("Cancel"), lambda: self._emit(self.cancelRequested)
        )
        self.retry_button = push_button(
            self, "retryJob", self.tr("Retry"), lambda: self._emit(self.retryRequested)
        )
        self.folder_button = push_button(self, "openFolder", self.tr("Open folder"), self.open_folder)
        self.load_button = push_button(
            self, "loadJob", self.tr("Add layers"), lambda: self._emit(self.loadRequested)
        )
        self.clear_button = push_button(self, "clearFinished", self.tr("Clear finished"), self.clearRequested)
        self.clear_button.setToolTip(self.tr("Remove the finished downloads from the list (files stay)"))
        for number, button in enumerate(
            (self.cancel_button, self.retry_button, self.folder_button, self.load_button, self.clear_button)
        ):
            row.addWidget(button, number // 2, number % 2)
        layout.addLayout(row)
        self._update_buttons()

    def tr(self, text: str) -> str:
        return QCoreApplication.translate("QueuePanel", text)

    def update_job(self, job) -> None:
        item = self._items.get(job.id)
        if item is None:
            item = QTreeWidgetItem(self.tree)
            item.setData(COL_SCENE, JOB_ROLE, job.id)
            tooltip = f"{job.title}\n{job.provider}: {job.scene_id}".strip()
            self.tree.setItemWidget(item, COL_SCENE, JobRow(job.title or job.scene_id, tooltip, self.tree))
            self._items[job.id] = item
        self._folders[job.id] = str(job.folder)
        self._states[job.id] = job.state
        item.setText(COL_STATE, self._state_text(job.state))
        item.setToolTip(COL_STATE, job.error or "")
        bar = self.bar(job.id)
        fraction = job.fraction
        if fraction is None and job.state in ("active", "cancelling"):
            bar.setRange(0, 0)  # busy indicator: size unknown
        else:
            bar.setRange(0, 1000)
            bar.setValue(int(1000 * (fraction or 0.0)))
        item.setText(COL_SPEED, format_speed(job.speed) if job.state == "active" else "")
        item.setText(COL_ETA, format_eta(job.eta) if job.state == "active" else "")
        bar.setFormat(self._bar_text(job, item, bar))
        details = [item.text(COL_STATE), item.text(COL_SPEED), item.text(COL_ETA)]
        bar.setToolTip(job.error or " · ".join(t for t in details if t))
        self._update_buttons()

    def row(self, job_id: str) -> JobRow:
        """The two-line row of a job: its label and its progress bar."""
        return self.tree.itemWidget(self._items[job_id], COL_SCENE)

    def bar(self, job_id: str) -> QProgressBar:
        return self.row(job_id).bar

    def remove_jobs(self, job_ids: list[str]) -> None:
        """Drop the rows of ``job_ids`` (jobs the queue forgot)."""
        for job_id in job_ids:
            item = self._items.pop(job_id, None)
            self._folders.pop(job_id, None)
            self._states.pop(job_id, None)
            if item is not None:
                self.tree.takeTopLevelItem(self.tree.indexOfTopLevelItem(item))
        self._update_buttons()

    def _bar_text(self, job, item: QTreeWidgetItem, bar: QProgressBar) -> str:
        """What the progress bar reads: the state, the percentage (Qt's %p), the speed and the ETA, as
        much of it as fits inside the bar."""
        if job.state == "done":
            return item.text(COL_STATE)
        if job.state != "active":
            return f"{item.text(COL_STATE)} · %p%"
        # a moving bar says "downloading": room for the speed and the ETA, when they fit
        room = self.tree.header().sectionSize(COL_SCENE) - 2 * ROW_MARGIN - BAR_PADDING
        metrics = QFontMetrics(bar.font())
        percent = f"{int(100 * (job.fraction or 0.0))}%"
        parts = ["%p%", item.text(COL_SPEED), item.text(COL_ETA)]
        while len(parts) > 1:
            shown = " · ".join(t for t in parts if t)
            if metrics.horizontalAdvance(shown.replace("%p%", percent)) <= room:
                return shown
            parts.pop()
        return "%p%"

    def bar_text(self, job_id: str) -> str:
        """The text the job's progress bar shows."""
        return self.bar(job_id).text()

    def bar_tooltip(self, job_id: str) -> str:
        return self.bar(job_id).toolTip()

    def _state_text(self, state: str) -> str:
        return {
            "queued": self.tr("queued"),
            "active": self.tr("downloading"),
            "done": self.tr("done"),
            "failed": self.tr("failed"),
            "cancelled": self.tr("cancelled"),
            "interrupted": self.tr("interrupted"),
            "cancelling": self.tr("cancelling…"),
        }.get(state, state)

    def job_ids(self) -> list[str]:
        return list(self._items)

    def progress_value(self, job_id: str) -> int:
        return self.bar(job_id).value()

    def row_texts(self, job_id: str) -> list[str]:
        """The texts of a job's row (label, state, '', speed, ETA); the label in full."""
        item = self._items[job_id]
        return [self.row(job_id).title] + [item.text(column) for column in range(1, self.tree.columnCount())]

    def label_text(self, job_id: str) -> str:
        """The label as the row shows it (elided when the list is too narrow for it)."""
        return self.row(job_id).label.text()

    def state_of(self, job_id: str) -> str:
        return self._states.get(job_id, "")

    def select_job(self, job_id: str) -> None:
        self.tree.clearSelection()
        self._items[job_id].setSelected(True)

    def selected_jobs(self) -> list[str]:
        return [item.data(COL_SCENE, JOB_ROLE) for item in self.tree.selectedItems()]

    def _emit(self, signal) -> None:
        for job_id in self.selected_jobs():
            signal.emit(job_id)

    def open_folder(self) -> None:
        for job_id in self.selected_jobs()[:1]:
            QDesktopServices.openUrl(QUrl.fromLocalFile(self._folders[job_id]))

    def _show_selection(self) -> None:
        for item in self._items.values():
            self.tree.itemWidget(item, COL_SCENE).set_selected(item.isSelected())

    def _update_buttons(self) -> None:
        states = [self._states.get(j, "") for j in self.selected_jobs()]
        self.cancel_button.setEnabled(any(s in ("queued", "active", "interrupted") for s in states))
        self.retry_button.setEnabled(any(s in ("failed", "cancelled", "interrupted") for s in states))
        self.folder_button.setEnabled(bool(states))
        self.load_button.setEnabled(any(s == "done" for s in states))
        finished = ("done", "failed", "cancelled")
        self.clear_button.setEnabled(any(s in finished for s in self._states.values()))
