"""Accounts in QGIS's own authentication database (``QgsAuthManager``), for systems without a usable
system keyring: one "Basic" auth config per provider, named ``Scene Picker: <provider>``, encrypted by
QGIS with its master password. The user picks this store in Settings ▸ Accounts; the system keyring
stays the default (``credentials/store`` in QgsSettings holds only which store, never a secret).

:func:`apply_store_setting` injects the chosen store into :mod:`scene_picker.core.credentials`.
"""

from __future__ import annotations

from qgis.core import QgsApplication, QgsAuthMethodConfig
from qgis.PyQt.QtCore import QCoreApplication

from ..core.credentials import Credentials, use_store
from ..core.errors import KeyringUnavailableError
from . import settings

STORE_SETTING = "credentials/store"
STORE_KEYRING = "keyring"
STORE_QGIS = "qgis"
CONFIG_PREFIX = "Scene Picker: "


class QgisAuthStore:
    """A :class:`scene_picker.core.credentials.CredentialStore` on QGIS's authentication database."""

    def _manager(self):
        manager = QgsApplication.authManager()
        if manager is None or manager.isDisabled():
            raise KeyringUnavailableError(
                QCoreApplication.translate(
                    "QgisAuthStore", "The QGIS authentication database is not available."
                )
            )
        if not manager.masterPasswordIsSet():
            locked = QCoreApplication.translate(
                "QgisAuthStore", "The QGIS authentication database is locked."
            )
            unlock = QCoreApplication.translate(
                "QgisAuthStore", "Unlock it with its master password (Settings ▸ Options ▸ Authentication)."
            )
            raise KeyringUnavailableError(f"{locked} {unlock}")
        return manager

    def _config_id(self, manager, provider: str) -> str | None:
        name = CONFIG_PREFIX + provider
        for config_id, config in manager.availableAuthMethodConfigs().items():
            if config.name() == name:
                return config_id
        return None

    def load(self, provider: str) -> Credentials | None:
        manager = self._manager()
        config_id = self._config_id(manager, provider)
        if config_id is None:
            return None
        config = QgsAuthMethodConfig()
        loaded = manager.loadAuthenticationConfig(config_id, config, True)
        ok = loaded[0] if isinstance(loaded, tuple) else loaded
        if isinstance(loaded, tuple):
            config = loaded[1]
        secret = config.config("password") if ok else ""
        if not secret:
            return None
        return Credentials(username=config.config("username"), secret=secret)

    def store(self, provider: str, username: str, secret: str) -> None:
        manager = self._manager()
        config = QgsAuthMethodConfig("Basic")
        config.setName(CONFIG_PREFIX + provider)
        config.setConfig("username", username)
        config.setConfig("password", secret)
        config_id = self._config_id(manager, provider)
        if config_id is not None:
            config.setId(config_id)
            result = manager.updateAuthenticationConfig(config)
        else:
            result = manager.storeAuthenticationConfig(config)
        if not (result[0] if isinstance(result, tuple) else result):
            raise KeyringUnavailableError(
                QCoreApplication.translate(
                    "QgisAuthStore", "The QGIS authentication database refused to store the account of {}."
                ).format(provider)
            )

    def delete(self, provider: str) -> None:
        manager = self._manager()
        config_id = self._config_id(manager, provider)
        if config_id is not None:
            manager.removeAuthenticationConfig(config_id)


def chosen_store() -> str:
    """``"keyring"`` (default) or ``"qgis"``."""
    value = str(settings.read_setting(STORE_SETTING, STORE_KEYRING, str) or STORE_KEYRING)
    return value if value in (STORE_KEYRING, STORE_QGIS) else STORE_KEYRING


def apply_store_setting() -> str:
    """Make core.credentials use the store chosen in the settings; returns its name."""
    store = chosen_store()
    use_store(QgisAuthStore() if store == STORE_QGIS else None)
    return store


def choose_store(store: str) -> None:
    """Remember ``store`` ("keyring" or "qgis") and use it from now on."""
    settings.write_setting(STORE_SETTING, store)
    apply_store_setting()


def unlock_qgis_store() -> bool:
    """Ask QGIS for its master password when the database is locked (main thread: QGIS may prompt)."""
    manager = QgsApplication.authManager()
    if manager is None or manager.isDisabled():
        return False
    return manager.masterPasswordIsSet() or bool(manager.setMasterPassword(True))
