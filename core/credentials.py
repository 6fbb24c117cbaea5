"""Credentials in a credential store: the system keyring by default, or another store the host
application injects with :func:`use_store` (the QGIS plugin offers QGIS's authentication database,
ui/auth_store.py, for systems without a keyring).

One keyring service per provider (``scene-picker:<provider>``); the user name is stored under a
well-known entry so a provider can find its account without any setting outside the keyring.
Secrets never go to logs, settings, project files or exception messages.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Optional, Protocol

from .errors import KeyringUnavailableError, MissingCredentialsError

log = logging.getLogger(__name__)

SERVICE_PREFIX = "scene-picker"
_USERNAME_ENTRY = "__username__"


@dataclass(frozen=True)
class Credentials:
    """A user name (may be empty for key-only providers) and its secret, hidden from ``repr``."""

    username: str
    secret: str = field(repr=False)


def service_name(provider: str) -> str:
    return f"{SERVICE_PREFIX}:{provider}"


class CredentialStore(Protocol):
    """Where accounts are kept; raises :class:`KeyringUnavailableError` when it cannot be used."""

    def load(self, provider: str) -> Optional[Credentials]: ...

    def store(self, provider: str, username: str, secret: str) -> None: ...

    def delete(self, provider: str) -> None: ...


_store: Optional[CredentialStore] = None  # None: the system keyring
_store_lock = threading.Lock()


def use_store(store: Optional[CredentialStore]) -> None:
    """Keep accounts in ``store`` from now on (``None``: the system keyring, the default)."""
    global _store
    with _store_lock:
        _store = store


def active_store() -> Optional[CredentialStore]:
    """The injected store, or None when the system keyring is used."""
    return _store


def _keyring():
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError as exc:  # pragma: no cover - keyring is a declared dependency
        raise KeyringUnavailableError(
            "The Python package 'keyring' is not installed; install it to store credentials."
        ) from exc
    return keyring, KeyringError


def choose_backend() -> None:
    """Let the keyring package pick the system backend now, in the calling thread. A GUI calls this
    once on its main thread: picking one asks D-Bus through the GLib main loop (KWallet's backend),
    which the Qt main thread runs and another thread must not touch at the same time. Afterwards the
    choice is cached and threads only use it. Quiet when keyring is missing or no backend works."""
    try:
        import keyring
    except ImportError:
        return
    try:
        keyring.get_keyring()
    except Exception as exc:  # noqa: BLE001 - a broken third-party backend must not stop the plugin
        log.info("no system keyring backend: %s", exc)


def _check_backend(keyring) -> None:
    backend = keyring.get_keyring()
    name = type(backend).__module__ + "." + type(backend).__name__
    if name.startswith(("keyring.backends.fail.", "keyring.backends.null.")):
        raise KeyringUnavailableError(
            "No usable system keyring was found (on a headless server there is no Secret Service). "
            "Install and configure a keyring backend (e.g. 'keyrings.alt' with "
            "PYTHON_KEYRING_BACKEND=keyrings.alt.file.EncryptedKeyring) to store credentials."
        )


def store_credentials(provider: str, username: str, secret: str) -> None:
    """Store (or replace) the account of ``provider``."""
    store = _store
    if store is not None:
        store.store(provider, username, secret)
        return
    keyring, keyring_error = _keyring()
    _check_backend(keyring)
    service = service_name(provider)
    try:
        old_user = keyring.get_password(service, _USERNAME_ENTRY)
        if old_user and old_user != username:
            _delete_quietly(keyring, keyring_error, service, old_user)
        keyring.set_password(service, _USERNAME_ENTRY, username)
        keyring.set_password(service, username or _USERNAME_ENTRY + "key", secret)
    except keyring_error as exc:
        raise KeyringUnavailableError(
            f"The keyring refused to store credentials for {provider}: {type(exc).__name__}"
        ) from None


def load_credentials(provider: str) -> Credentials | None:
    """The stored account of ``provider``, or ``None`` when nothing is stored."""
    store = _store
    if store is not None:
        return store.load(provider)
    keyring, keyring_error = _keyring()
    _check_backend(keyring)
    service = service_name(provider)
    try:
        username = keyring.get_password(service, _USERNAME_ENTRY)
        if username is None:
            return None
        secret = keyring.get_password(service, username or _USERNAME_ENTRY + "key")
    except keyring_error as exc:
        raise KeyringUnavailableError(
            f"The keyring could not be read for {provider}: {type(exc).__name__}"
        ) from None
    if secret is None:
        return None
    return Credentials(username=username, secret=secret)


def require_credentials(provider: str) -> Credentials:
    """Like :func:`load_credentials` but raises a clear error telling how to store them."""
    creds = load_credentials(provider)
    if creds is None:
        raise MissingCredentialsError(
            f"No credentials stored for provider '{provider}'. Store them with "
            f"'scene-picker login {provider}' or in the plugin's settings dialog."
        )
    return creds


def delete_credentials(provider: str) -> None:
    """Forget the account of ``provider`` (no error when none was stored)."""
    store = _store
    if store is not None:
        store.delete(provider)
        return
    keyring, keyring_error = _keyring()
    _check_backend(keyring)
    service = service_name(provider)
    username = keyring.get_password(service, _USERNAME_ENTRY)
    if username is not None:
        _delete_quietly(keyring, keyring_error, service, username or _USERNAME_ENTRY + "key")
        _delete_quietly(keyring, keyring_error, service, _USERNAME_ENTRY)


def _delete_quietly(keyring, keyring_error, service: str, user: str) -> None:
    try:
        keyring.delete_password(service, user)
    except keyring_error:
        pass
