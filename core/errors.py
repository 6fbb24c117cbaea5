"""The exception hierarchy shared by core, providers, the CLI and the UI.

Every error the user can meet is a :class:`ScenePickerError` subclass whose message says what happened
and what to do. Messages never contain secrets (tokens, passwords, keys): code that builds one from a
server answer passes the text through :func:`scene_picker.core.redact.redact` first.

Add new classes here, under the closest parent, rather than in scattered modules, so that callers
(CLI exit codes, the dock's message bar) can rely on one hierarchy.
"""

from __future__ import annotations


class ScenePickerError(Exception):
    """Base of every error Scene Picker raises on purpose."""

    #: Exit code of the ``scene-picker`` command when this error ends it.
    exit_code: int = 1


class UsageError(ScenePickerError):
    """Bad input from the user: an invalid AOI, date, option or pattern."""

    exit_code = 2


class InvalidAOIError(UsageError):
    """The area of interest cannot be used (unparsable, empty, invalid beyond repair, bad CRS)."""


class CancelledError(ScenePickerError):
    """The user cancelled the operation; nothing under a final file name was left half-written."""

    exit_code = 130


# -- credentials and authentication ---------------------------------------------------------------
class CredentialsError(ScenePickerError):
    """Credentials are missing, or the keyring cannot store or read them."""

    exit_code = 3


class MissingCredentialsError(CredentialsError):
    """A provider needs credentials that are not stored; ``scene-picker login PROVIDER`` stores them."""


class KeyringUnavailableError(CredentialsError):
    """No working keyring backend on this machine (e.g. a headless server without Secret Service)."""


class AuthenticationError(CredentialsError):
    """The server refused the credentials (wrong password, expired account, revoked token)."""


# -- network and servers ----------------------------------------------------------------------------
class NetworkError(ScenePickerError):
    """The server could not be reached or the connection broke, after the allowed retries."""

    exit_code = 4


class HttpStatusError(NetworkError):
    """The server answered with an HTTP error status that retrying did not cure."""

    def __init__(self, message: str, status: int | None = None, url: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.url = url


class RetriesExhaustedError(NetworkError):
    """A transient failure (timeout, 5xx, 429, cut connection) persisted through every retry."""


class RangeNotSupportedError(NetworkError):
    """The server does not serve byte ranges, which partial extraction needs."""


class ProviderError(ScenePickerError):
    """A catalog provider failed; the message names the provider."""

    exit_code = 5

    def __init__(self, message: str, provider: str | None = None) -> None:
        super().__init__(message)
        self.provider = provider


class ProviderResponseError(ProviderError):
    """A catalog answered something malformed (HTML error page, truncated JSON, missing fields)."""


class UnknownProviderError(ProviderError, UsageError):
    """No provider is registered under the given name."""

    exit_code = 2


class ActivationError(ProviderError):
    """An offline product could not be activated/ordered, or did not become available in time."""


# -- data integrity ---------------------------------------------------------------------------------
class IntegrityError(ScenePickerError):
    """Downloaded bytes are not what the provider promised."""

    exit_code = 6


class ChecksumMismatchError(IntegrityError):
    """A checksum (MD5, SHA-256, multihash, CRC32) did not match, even after one refetch."""


class SizeMismatchError(IntegrityError):
    """The file or member size differs from the announced one."""


class ArchiveError(ScenePickerError):
    """A zip archive is malformed or cannot be read."""

    exit_code = 7


class UnsafeArchiveError(ArchiveError):
    """An archive holds an unsafe member (zip-slip path, symlink, zip bomb): refused as a whole."""


class UnsupportedCompressionError(ArchiveError):
    """A zip member uses a compression method the standard library cannot decode."""


# -- local files ----------------------------------------------------------------------------------------
class OutputError(ScenePickerError):
    """A file under the output folder cannot be written (permissions, disk full, bad path)."""

    exit_code = 9


class BusyError(ScenePickerError):
    """Another process holds the lock on the output folder (e.g. a second ``sync`` from cron): nothing
    was done; try again later. Exit code 75 (``EX_TEMPFAIL``)."""

    exit_code = 75


# -- map layers (the QGIS dock) ---------------------------------------------------------------------
class LayerLoadError(ScenePickerError):
    """A downloaded file or a streamed URL could not be opened as a map layer (GDAL refused it)."""

    exit_code = 8
