"""Opening remote rasters without downloading them: GDAL ``/vsicurl/`` paths with the right credentials.

The path shown to the user or written to a log never carries a credential: :func:`vsicurl_path` refuses
URLs with user info or secret-looking query values, and the credentials travel as GDAL configuration
options (``GDAL_HTTP_HEADERS``, or ``GDAL_HTTP_AUTH``/``GDAL_HTTP_USERPWD`` for Basic). With GDAL >= 3.7
they are set *for that URL prefix only* (``gdal.SetPathSpecificOption``) so they never reach another
server; GDAL 3.6's ``/vsicurl/`` ignores per-path options, so there they are process-wide configuration
options for as long as the access is applied (clear it when done). GDAL (``osgeo``) is imported lazily.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Optional
from urllib.parse import parse_qsl, urlsplit

from ..core.errors import ScenePickerError, UsageError
from ..core.redact import redact_url

VSICURL = "/vsicurl/"
_applied_lock = threading.Lock()


class GdalUnavailableError(ScenePickerError):
    """GDAL's Python bindings (osgeo) are not installed, or too old for per-URL options."""


def vsicurl_path(href: str) -> str:
    """``/vsicurl/<href>`` for an http(s) URL that carries no credential itself."""
    parts = urlsplit(href)
    if parts.scheme not in ("http", "https"):
        raise UsageError(f"/vsicurl/ needs an http(s) URL, not {parts.scheme or 'a local path'}.")
    if parts.username or parts.password:
        raise UsageError("Refusing a URL with embedded credentials; pass them as GDAL options instead.")
    if parse_qsl(urlsplit(redact_url(href)).query) != parse_qsl(parts.query):
        raise UsageError("Refusing a URL with a secret in its query; pass it as a GDAL option instead.")
    return VSICURL + href


def url_prefix(href: str) -> str:
    """``scheme://host[:port]/`` of ``href``: the scope of the credential options."""
    parts = urlsplit(href)
    return f"{parts.scheme}://{parts.netloc}/"


@dataclass
class GdalHttpAccess:
    """GDAL configuration options that let ``/vsicurl/`` read from one server with credentials.

    ``options`` holds the option values (secrets included): never log it; ``repr`` hides it.
    """

    prefix: str
    options: dict[str, str] = field(repr=False, default_factory=dict)
    _previous: dict[str, Optional[str]] = field(repr=False, default_factory=dict, init=False)

    @classmethod
    def bearer(cls, href: str, token: str) -> GdalHttpAccess:
        return cls(url_prefix(href), {"GDAL_HTTP_HEADERS": f"Authorization: Bearer {token}"})

    @classmethod
    def basic(cls, href: str, username: str, password: str) -> GdalHttpAccess:
        return cls(
            url_prefix(href), {"GDAL_HTTP_AUTH": "BASIC", "GDAL_HTTP_USERPWD": f"{username}:{password}"}
        )

    @classmethod
    def anonymous(cls, href: str) -> GdalHttpAccess:
        return cls(url_prefix(href), {})

    def apply(self) -> None:
        """Set the options for ``/vsicurl/`` paths under :attr:`prefix` (see the module docstring)."""
        self._set(clear=False)

    def clear(self) -> None:
        """Remove the options again (and GDAL's cached answers for the prefix)."""
        self._set(clear=True)

    def _set(self, clear: bool) -> None:
        gdal = _gdal()
        scope = VSICURL + self.prefix
        per_path = int(gdal.VersionInfo("VERSION_NUM")) >= 3070000
        with _applied_lock:
            for key, value in self._all_options().items():
                if per_path:
                    gdal.SetPathSpecificOption(scope, key, None if clear else value)
                elif clear:
                    gdal.SetConfigOption(key, self._previous.pop(key, None))
                else:
                    self._previous.setdefault(key, gdal.GetConfigOption(key))
                    gdal.SetConfigOption(key, value)
            gdal.VSICurlPartialClearCache(scope)

    def _all_options(self) -> dict[str, str]:
        # A directory listing per file costs requests (and rate-limit budget) for nothing.
        return {"GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR", **self.options}

    def __enter__(self) -> GdalHttpAccess:
        self.apply()
        return self

    def __exit__(self, *exc: object) -> None:
        self.clear()


def _gdal() -> Any:
    try:
        from osgeo import gdal
    except ImportError as exc:
        raise GdalUnavailableError(
            "GDAL's Python bindings are not installed (Debian/Ubuntu: apt install python3-gdal); "
            "QGIS ships them."
        ) from exc
    if not hasattr(gdal, "SetPathSpecificOption"):
        raise GdalUnavailableError("GDAL 3.6 or newer is needed to scope credentials to one server.")
    return gdal
