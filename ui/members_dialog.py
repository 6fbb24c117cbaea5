"""Choosing members of a remote zip for partial extraction: the archive's listing (read in the
background through HTTP ranges by :class:`scene_picker.core.remotezip.RemoteZip`) as a checkable list,
each member shown file name first, then its folder.
"""

from __future__ import annotations

from qgis.PyQt.QtCore import QCoreApplication, Qt
from qgis.PyQt.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..core.scene_label import member_label
from .queue_panel import format_size

NAME_ROLE = Qt.ItemDataRole.UserRole + 30


class MembersDialog(QDialog):
    """Lists ``members`` (objects with ``name``, ``file_size``, ``is_dir``); :meth:`checked` after OK."""

    def __init__(self, title: str, members: list, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ScenePickerMembersDialog")
        self.setWindowTitle(self.tr("Members of {}").format(title))
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(self.tr("Check the files to extract (only their bytes are downloaded)."), self)
        )
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText(self.tr("Filter names…"))
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self._filter)
        layout.addWidget(self.filter_edit)
        self.list = QListWidget(self)
        self.list.setObjectName("membersList")
        for member in members:
            if getattr(member, "is_dir", False):
                continue
            # the file name first: long archive paths (S2 .SAFE) differ only at their end
            item = QListWidgetItem(
                f"{member_label(member.name)}  ({format_size(member.file_size)})", self.list
            )
            item.setData(NAME_ROLE, member.name)
            item.setToolTip(member.name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
        layout.addWidget(self.list, 1)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(520, 420)

    def tr(self, text: str) -> str:
        return QCoreApplication.translate("MembersDialog", text)

    def names(self) -> list[str]:
        return [self.list.item(row).data(NAME_ROLE) for row in range(self.list.count())]

    def set_checked(self, names: list[str]) -> None:
        for row in range(self.list.count()):
            item = self.list.item(row)
            state = Qt.CheckState.Checked if item.data(NAME_ROLE) in names else Qt.CheckState.Unchecked
            item.setCheckState(state)

    def checked(self) -> list[str]:
        return [
            self.list.item(row).data(NAME_ROLE)
            for row in range(self.list.count())
            if self.list.item(row).checkState() == Qt.CheckState.Checked
        ]

    def _filter(self, text: str) -> None:
        needle = text.strip().lower()
        for row in range(self.list.count()):
            item = self.list.item(row)
            item.setHidden(bool(needle) and needle not in item.data(NAME_ROLE).lower())
