"""The settings dialog: provider accounts (in the system keyring, or in QGIS's authentication database
when the user picks it; a background "test login"), provider endpoints, download folder, concurrency,
rate limits, and the proxy QGIS is configured with.

Secrets go to :mod:`scene_picker.core.credentials` (the chosen store) and nowhere else: never
QgsSettings, the project, or the log.
"""

from __future__ import annotations

from qgis.core import Qgis
from qgis.gui import QgsFileWidget, QgsPasswordLineEdit
from qgis.PyQt.QtCore import QCoreApplication, Qt
from qgis.PyQt.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..core.credentials import delete_credentials, load_credentials, store_credentials
from ..core.errors import CredentialsError, ScenePickerError
from ..core.redact import redact_url, url_carries_secret
from . import settings
from .auth_store import STORE_KEYRING, STORE_QGIS, choose_store, chosen_store, unlock_qgis_store
from .messages import log
from .network import proxy_description
from .provider_options_form import ProviderOptionsForm
from .providers_info import (
    STATUS_MISSING,
    STATUS_NO_KEYRING,
    STATUS_NOT_NEEDED,
    STATUS_OK,
    ProviderInfo,
    check_login,
    credentials_status,
    endpoint_setting,
    options_setting,
    parse_provider_options,
)
from .tasks import FunctionTask, TaskKeeper
from .widgets import push_button


def status_text(status: str) -> str:
    return {
        STATUS_OK: QCoreApplication.translate("SettingsDialog", "credentials stored"),
        STATUS_MISSING: QCoreApplication.translate("SettingsDialog", "credentials missing"),
        STATUS_NOT_NEEDED: QCoreApplication.translate("SettingsDialog", "no account needed"),
        STATUS_NO_KEYRING: QCoreApplication.translate("SettingsDialog", "no keyring available"),
    }.get(status, status)


class SettingsDialog(QDialog):
    """Non-modal friendly dialog; everything slow (test login) runs in a QgsTask."""

    def __init__(
        self, providers: list[ProviderInfo], parent: QWidget | None = None, provider: str | None = None
    ) -> None:
        """``provider``: the provider whose account page opens first (the one selected in the dock)."""
        super().__init__(parent)
        self.setObjectName("ScenePickerSettingsDialog")
        self.setWindowTitle(self.tr("Scene Picker settings"))
        self.providers = providers
        self.tasks = TaskKeeper()
        self.login_task: FunctionTask | None = None

        tabs = QTabWidget(self)
        tabs.addTab(self._accounts_tab(), self.tr("Accounts"))
        tabs.addTab(self._downloads_tab(), self.tr("Downloads"))
        tabs.addTab(self._network_tab(), self.tr("Network"))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(tabs)
        layout.addWidget(buttons)
        self._load()
        if provider is not None and self.provider_combo.findData(provider) >= 0:
            self.provider_combo.setCurrentIndex(self.provider_combo.findData(provider))
        self._on_provider_changed()

    def tr(self, text: str) -> str:
        return QCoreApplication.translate("SettingsDialog", text)

    # -- tabs -----------------------------------------------------------------------------------------
    def _accounts_tab(self) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        self.provider_combo = QComboBox(page)
        self.provider_combo.setObjectName("providerCombo")
        for info in self.providers:
            self.provider_combo.addItem(info.title, info.name)
        self.provider_combo.currentIndexChanged.connect(self._on_provider_changed)
        form.addRow(self.tr("Provider"), self.provider_combo)
        self.store_combo = QComboBox(page)
        self.store_combo.setObjectName("credentialStore")
        self.store_combo.addItem(self.tr("System keyring"), STORE_KEYRING)
        self.store_combo.addItem(self.tr("QGIS authentication database"), STORE_QGIS)
        self.store_combo.setToolTip(
            self.tr(
                "Where accounts are kept. The QGIS authentication database (protected by its master "
                "password) serves systems without a keyring, e.g. Linux without a Secret Service."
            )
        )
        self.store_combo.setCurrentIndex(self.store_combo.findData(chosen_store()))
        self.store_combo.currentIndexChanged.connect(self._on_store_changed)
        form.addRow(self.tr("Keep accounts in"), self.store_combo)
        self.status_label = QLabel(page)
        self.status_label.setObjectName("credentialsStatus")
        form.addRow(self.tr("Status"), self.status_label)
        self.username_edit = QLineEdit(page)
        self.username_edit.setObjectName("usernameEdit")
        form.addRow(self.tr("User name"), self.username_edit)
        self.secret_edit = QgsPasswordLineEdit(page)
        self.secret_edit.setObjectName("secretEdit")
        self.secret_edit.setPlaceholderText(self.tr("password, token or API key"))
        form.addRow(self.tr("Secret"), self.secret_edit)
        row = QHBoxLayout()
        self.save_button = push_button(page, "saveCredentials", self.tr("Save"), self.save_credentials)
        self.forget_button = push_button(
            page, "forgetCredentials", self.tr("Forget"), self.forget_credentials
        )
        self.test_button = push_button(page, "testLogin", self.tr("Test login"), self.test_login)
        for button in (self.save_button, self.forget_button, self.test_button):
            row.addWidget(button)
        form.addRow(row)
        self.login_label = QLabel(page)
        self.login_label.setObjectName("loginResult")
        self.login_label.setWordWrap(True)
        form.addRow(self.login_label)
        self.endpoint_edit = QLineEdit(page)
        self.endpoint_edit.setObjectName("endpointEdit")
        self.endpoint_edit.setPlaceholderText(self.tr("default endpoint"))
        self.endpoint_edit.editingFinished.connect(self._save_endpoint)
        form.addRow(self.tr("Catalog URL"), self.endpoint_edit)
        #: The provider's other options, one field each, generated from its spec.
        self.options_form = ProviderOptionsForm(page)
        form.addRow(self.tr("Options"), self.options_form)
        self.signup_label = QLabel(page)
        self.signup_label.setObjectName("signupLabel")
        self.signup_label.setOpenExternalLinks(True)
        form.addRow(self.signup_label)
        return page

    def _downloads_tab(self) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        self.output_widget = QgsFileWidget(page)
        self.output_widget.setObjectName("outputFolder")
        self.output_widget.setStorageMode(QgsFileWidget.StorageMode.GetDirectory)
        form.addRow(self.tr("Output folder"), self.output_widget)
        self.workers_spin = self._spin(page, "workersSpin", 1, 16)
        form.addRow(self.tr("Parallel downloads"), self.workers_spin)
        self.per_provider_spin = self._spin(page, "perProviderSpin", 1, 16)
        form.addRow(self.tr("Per provider at most"), self.per_provider_spin)
        return page

    def _network_tab(self) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        self.rate_10s_spin = self._spin(page, "rate10sSpin", 1, 10_000)
        form.addRow(self.tr("Requests per 10 s"), self.rate_10s_spin)
        self.rate_minute_spin = self._spin(page, "rateMinuteSpin", 1, 100_000)
        form.addRow(self.tr("Requests per minute"), self.rate_minute_spin)
        proxy = proxy_description()
        self.proxy_label = QLabel(
            self.tr("Proxy from QGIS settings: {}").format(proxy)
            if proxy
            else self.tr("No proxy (QGIS settings)"),
            page,
        )
        self.proxy_label.setObjectName("proxyLabel")
        self.proxy_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow(self.proxy_label)
        return page

    @staticmethod
    def _spin(parent: QWidget, name: str, low: int, high: int) -> QSpinBox:
        spin = QSpinBox(parent)
        spin.setObjectName(name)
        spin.setRange(low, high)
        return spin

    # -- settings (no secret among them) -------------------------------------------------------------
    def _load(self) -> None:
        self.output_widget.setFilePath(settings.output_dir())  # the real default when none was chosen
        self.workers_spin.setValue(settings.named_setting(settings.WORKERS))
        self.per_provider_spin.setValue(settings.named_setting(settings.PER_PROVIDER))
        self.rate_10s_spin.setValue(settings.named_setting(settings.RATE_10S))
        self.rate_minute_spin.setValue(settings.named_setting(settings.RATE_MINUTE))

    def save_settings(self) -> None:
        folder = self.output_widget.filePath()
        if folder != settings.output_dir():  # the shown default stays a default (it follows the home)
            settings.write_setting(settings.OUTPUT_DIR, folder)
        settings.write_setting(settings.WORKERS, self.workers_spin.value())
        settings.write_setting(settings.PER_PROVIDER, self.per_provider_spin.value())
        settings.write_setting(settings.RATE_10S, self.rate_10s_spin.value())
        settings.write_setting(settings.RATE_MINUTE, self.rate_minute_spin.value())
        self._save_endpoint()

    def accept(self) -> None:
        self.save_settings()
        super().accept()

    def done(self, result: int) -> None:
        self.tasks.cancel_all()
        super().done(result)

    # -- accounts -------------------------------------------------------------------------------------
    def current_provider(self) -> ProviderInfo | None:
        name = self.provider_combo.currentData()
        return next((p for p in self.providers if p.name == name), None)

    def _on_provider_changed(self) -> None:
        info = self.current_provider()
        self.secret_edit.clear()
        self.login_label.clear()
        if info is None:
            self.status_label.setText(self.tr("no provider registered"))
            return
        self._refresh_status(info)
        try:
            creds = load_credentials(info.name) if info.credentials else None
        except CredentialsError:
            creds = None
        self.username_edit.setText(creds.username if creds else "")
        self.endpoint_edit.setText(str(settings.read_setting(endpoint_setting(info.name), "", str) or ""))
        self.options_form.set_spec(
            info, str(settings.read_setting(options_setting(info.name), "", str) or "")
        )
        needs = bool(info.credentials)
        for widget in (self.username_edit, self.secret_edit, self.save_button, self.forget_button):
            widget.setEnabled(needs)
        self.username_edit.setEnabled(needs and info.credentials.kind == "password")
        self.test_button.setText(self.tr("Test login") if needs else self.tr("Test connection"))
        self.secret_edit.setToolTip(info.credentials.description if needs else "")
        if needs and info.credentials.signup_url:
            self.signup_label.setText(
                self.tr('Get an account: <a href="{0}">{0}</a>').format(
                    info.credentials.signup_url.replace('"', "")
                )
            )
        else:
            self.signup_label.clear()

    def _on_store_changed(self, _index: int) -> None:
        """Use the chosen store from now on (accounts already stored elsewhere stay there)."""
        store = self.store_combo.currentData()
        choose_store(store)
        if store == STORE_QGIS and not unlock_qgis_store():
            self.login_label.setText(self.tr("The QGIS authentication database stays locked."))
        self._on_provider_changed()

    def _refresh_status(self, info: ProviderInfo) -> None:
        self.status_label.setText(status_text(credentials_status(info)))

    def _save_endpoint(self) -> None:
        info = self.current_provider()
        if info is None:
            return
        url = self.endpoint_edit.text().strip()
        if url and url_carries_secret(url):  # user info or a key in the URL: that is a secret
            self.login_label.setText(self.tr("Put credentials in the account fields, not in the URL."))
            self.endpoint_edit.setText(redact_url(url))
            return
        if url != (settings.read_setting(endpoint_setting(info.name), "", str) or ""):
            settings.write_setting(endpoint_setting(info.name), url)
        text = self.options_form.text()
        try:
            info.convert_options(parse_provider_options(text))
        except ScenePickerError as exc:
            self.login_label.setText(str(exc))
            return
        if text != (settings.read_setting(options_setting(info.name), "", str) or ""):
            settings.write_setting(options_setting(info.name), text)

    def save_credentials(self) -> bool:
        info = self.current_provider()
        secret = self.secret_edit.text()
        if info is None or not secret:
            self.login_label.setText(self.tr("Enter the secret to store."))
            return False
        try:
            store_credentials(info.name, self.username_edit.text().strip(), secret)
        except CredentialsError as exc:
            self.login_label.setText(str(exc))
            log(str(exc), Qgis.MessageLevel.Warning)
            return False
        self.secret_edit.clear()
        self.login_label.setText(
            self.tr("Stored in the QGIS authentication database.")
            if chosen_store() == STORE_QGIS
            else self.tr("Stored in the system keyring.")
        )
        self._refresh_status(info)
        return True

    def forget_credentials(self) -> None:
        info = self.current_provider()
        if info is None:
            return
        try:
            delete_credentials(info.name)
        except CredentialsError as exc:
            self.login_label.setText(str(exc))
            return
        self.username_edit.clear()
        self.secret_edit.clear()
        self._refresh_status(info)

    def test_login(self) -> FunctionTask | None:
        """Store what was typed (if anything), then check the account in a background task."""
        info = self.current_provider()
        if info is None:
            return None
        if self.secret_edit.text() and not self.save_credentials():
            return None
        name = info.name
        task = FunctionTask(
            self.tr("Scene Picker: test login to {}").format(info.title), lambda _t: check_login(name)
        )
        task.signals.done.connect(self._on_login_checked)
        self.test_button.setEnabled(False)
        self.login_label.setText(self.tr("Testing…"))
        self.login_task = task
        self.tasks.start(task)
        return task

    def _on_login_checked(self, _result, error) -> None:
        self.test_button.setEnabled(True)
        info = self.current_provider()
        account = bool(info is not None and info.credentials)  # catalogs without an account: a connection
        if error is None:
            self.login_label.setText(
                self.tr("Login succeeded.") if account else self.tr("Connection succeeded.")
            )
        elif isinstance(error, ScenePickerError):
            failed = self.tr("Login failed: {}") if account else self.tr("Connection failed: {}")
            self.login_label.setText(failed.format(error))
        else:
            self.login_label.setText(
                self.tr("Login failed (see the message log).")
                if account
                else self.tr("Connection failed (see the message log).")
            )
        log(self.login_label.text(), Qgis.MessageLevel.Info if error is None else Qgis.MessageLevel.Warning)
