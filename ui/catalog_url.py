"""The catalog URL rows of the query form, for the providers that take a URL (STAC API, static STAC): an
editable drop-down of the recently used URLs (QgsSettings, never one carrying a credential) and, for the
STAC API, a bearer-token field whose value goes to the credential store only (never to QgsSettings).
"""

from __future__ import annotations

import json

from qgis.core import Qgis
from qgis.gui import QgsPasswordLineEdit
from qgis.PyQt.QtCore import QCoreApplication, QObject
from qgis.PyQt.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QLabel, QToolButton, QWidget

from ..core.credentials import delete_credentials, load_credentials, store_credentials
from ..core.errors import CredentialsError, UsageError
from ..core.redact import url_carries_secret
from . import settings
from .messages import log
from .providers_info import endpoint_setting

#: Providers whose catalog is given by a URL, shown in the search form.
URL_PROVIDERS = frozenset({"stac", "stac-static"})
#: Providers that take an optional bearer token (stored in the credential store under their name).
TOKEN_PROVIDERS = frozenset({"stac"})
RECENT_LIMIT = 10


def recent_setting(name: str) -> str:
    return f"providers/{name}/recent_urls"


def recent_urls(name: str) -> list[str]:
    """The catalog URLs recently searched with provider ``name``, newest first."""
    try:
        value = json.loads(settings.read_setting(recent_setting(name), "[]", str) or "[]")
    except ValueError:
        return []
    return [url for url in value if isinstance(url, str) and url] if isinstance(value, list) else []


def add_recent_url(name: str, url: str) -> None:
    """Put ``url`` first in the recent list of ``name`` (at most :data:`RECENT_LIMIT`)."""
    if not url or url_carries_secret(url):
        return
    urls = [url] + [u for u in recent_urls(name) if u != url]
    settings.write_setting(recent_setting(name), json.dumps(urls[:RECENT_LIMIT]))


class CatalogUrlRow(QObject):
    """The "Catalog URL" and "Bearer token" rows; :meth:`show_provider` shows them for the current one."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._name: str | None = None
        self._edited = False  # the user typed or picked a URL not saved yet
        self.url_label = QLabel(self.tr("Catalog URL"), parent)
        self.url_combo = QComboBox(parent)
        self.url_combo.setObjectName("catalogUrl")
        self.url_combo.setEditable(True)
        self.url_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.url_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.url_combo.setMinimumContentsLength(12)
        self.url_combo.lineEdit().setPlaceholderText(self.tr("https://… (the catalog's root)"))
        self.url_combo.lineEdit().textEdited.connect(self._mark_edited)
        self.url_combo.lineEdit().editingFinished.connect(self._save_quietly)
        self.url_combo.activated.connect(self._on_picked)
        self.token_label = QLabel(self.tr("Bearer token"), parent)
        self.token_box = QWidget(parent)
        row = QHBoxLayout(self.token_box)
        row.setContentsMargins(0, 0, 0, 0)
        self.token_edit = QgsPasswordLineEdit(self.token_box)
        self.token_edit.setObjectName("catalogToken")
        self.token_edit.editingFinished.connect(self.save_token)
        self.forget_token_button = QToolButton(self.token_box)
        self.forget_token_button.setObjectName("forgetCatalogToken")
        self.forget_token_button.setText(self.tr("Forget"))
        self.forget_token_button.setToolTip(self.tr("Remove the stored token"))
        self.forget_token_button.clicked.connect(self.forget_token)
        row.addWidget(self.token_edit, 1)
        row.addWidget(self.forget_token_button)
        self.show_provider(None)

    def tr(self, text: str) -> str:  # noqa: D401 - Qt naming
        return QCoreApplication.translate("CatalogUrlRow", text)

    def add_rows(self, form: QFormLayout) -> None:
        form.addRow(self.url_label, self.url_combo)
        form.addRow(self.token_label, self.token_box)

    def show_provider(self, name: str | None) -> None:
        """Show the rows of provider ``name`` (hidden for providers without a catalog URL)."""
        self._save_quietly()
        self._name = name
        takes_url = name in URL_PROVIDERS
        for widget in (self.url_label, self.url_combo):
            widget.setVisible(takes_url)
        takes_token = name in TOKEN_PROVIDERS
        for widget in (self.token_label, self.token_box):
            widget.setVisible(takes_token)
        if not takes_url:
            return
        current = str(settings.read_setting(endpoint_setting(name), "", str) or "")
        self.url_combo.blockSignals(True)
        self.url_combo.clear()
        self.url_combo.addItems(recent_urls(name))
        self.url_combo.setEditText(current)
        self.url_combo.lineEdit().setCursorPosition(0)  # a narrow dock shows the scheme and the host
        self.url_combo.blockSignals(False)
        self._edited = False
        self.token_edit.clear()
        self.token_edit.setPlaceholderText(self.tr("optional"))

    def _mark_edited(self, *_args) -> None:
        self._edited = True

    def _on_picked(self, _index: int) -> None:
        self._edited = True
        self._save_quietly()

    def url(self) -> str:
        return self.url_combo.currentText().strip()

    def set_url(self, url: str) -> None:
        self.url_combo.setEditText(url)
        self._edited = True
        self.save()

    def save(self) -> None:
        """Store the URL the user entered as the provider's catalog URL (shared with Settings ▸ Accounts);
        UsageError if it holds a credential."""
        if self._name not in URL_PROVIDERS or not self._edited:
            return
        url = self.url()
        if url and url_carries_secret(url):
            raise UsageError(self.tr("Put credentials in the token field, not in the catalog URL."))
        self._edited = False
        if url != (settings.read_setting(endpoint_setting(self._name), "", str) or ""):
            settings.write_setting(endpoint_setting(self._name), url)

    def _save_quietly(self) -> None:
        try:
            self.save()
        except UsageError as exc:
            log(str(exc), Qgis.MessageLevel.Warning)

    def remember(self, name: str) -> None:
        """Add the catalog URL of ``name`` to its recently used URLs."""
        if name in URL_PROVIDERS:
            add_recent_url(name, str(settings.read_setting(endpoint_setting(name), "", str) or ""))

    # -- the token (credential store only) ------------------------------------------------------------
    def save_token(self) -> bool:
        token = self.token_edit.text().strip()
        if self._name not in TOKEN_PROVIDERS or not token:
            return False
        try:
            store_credentials(self._name, "", token)
        except CredentialsError as exc:
            log(str(exc), Qgis.MessageLevel.Warning)
            self.token_edit.setPlaceholderText(self.tr("not stored: no credential store"))
            return False
        self.token_edit.clear()
        self.token_edit.setPlaceholderText(self.tr("token stored (type to replace)"))
        return True

    def forget_token(self) -> None:
        if self._name not in TOKEN_PROVIDERS:
            return
        try:
            delete_credentials(self._name)
        except CredentialsError as exc:
            log(str(exc), Qgis.MessageLevel.Warning)
        self.token_edit.clear()
        self.token_edit.setPlaceholderText(self.tr("optional"))


def stored_token(name: str) -> str | None:
    """The bearer token stored for provider ``name`` (any thread), None when none or no store."""
    if name not in TOKEN_PROVIDERS:
        return None
    try:
        creds = load_credentials(name)
    except CredentialsError:
        return None
    return creds.secret if creds is not None else None
