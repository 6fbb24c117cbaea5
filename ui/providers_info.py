"""What the dock knows about the registered providers: their specs (from the service layer), the status
of their credentials in the keyring, and the options the user set for them in the settings.
"""

from __future__ import annotations

from typing import Any

from qgis.PyQt.QtCore import QCoreApplication

from ..catalogs import ProviderSpec as ProviderInfo
from ..catalogs import list_providers
from ..core.credentials import load_credentials
from ..core.errors import CredentialsError

STATUS_OK = "ok"
STATUS_MISSING = "missing"
STATUS_NOT_NEEDED = "not-needed"
STATUS_NO_KEYRING = "no-keyring"


def available_providers() -> list[ProviderInfo]:
    """Every registered provider's spec, sorted by name."""
    return list_providers()


def credentials_status(info: ProviderInfo) -> str:
    """One of STATUS_OK, STATUS_MISSING, STATUS_NOT_NEEDED, STATUS_NO_KEYRING (read from the keyring)."""
    if not info.credentials:
        return STATUS_NOT_NEEDED
    try:
        return STATUS_OK if load_credentials(info.name) is not None else STATUS_MISSING
    except CredentialsError:
        return STATUS_NO_KEYRING


def provider_title(name: str) -> str:
    """The registry's title of the provider ``name`` (a scene's ``provider``); the name when unknown."""
    for info in available_providers():
        if info.name == name:
            return info.title
    return name


def endpoint_setting(name: str) -> str:
    return f"providers/{name}/url"


def options_setting(name: str) -> str:
    return f"providers/{name}/options"


def parse_provider_options(text: str) -> dict[str, Any]:
    """``key=value; key2=value2`` of non-secret provider options (endpoints, page sizes...)."""
    from ..catalogs import refuse_secret_option
    from .query_form import parse_extras

    options = parse_extras(text)
    for key, value in options.items():
        refuse_secret_option(key, value)
    return options


def provider_options(name: str) -> dict[str, Any]:
    """Non-secret options the user set for a provider (endpoint URL, extra options), for
    :func:`~scene_picker.catalogs.build_provider`."""
    from .settings import read_setting

    options: dict[str, Any] = {}
    text = str(read_setting(options_setting(name), "", str) or "")
    if text.strip():
        options.update(parse_provider_options(text))
    url = str(read_setting(endpoint_setting(name), "", str) or "").strip()
    if url:
        options["url"] = url
    return options


def job_provider_options(name: str) -> dict[str, str]:
    """The options a download job of provider ``name`` keeps (read from the settings now, as text): the
    job runs with them whatever the settings say when it runs or resumes (as the command line's jobs)."""
    from ..catalogs import job_options

    return job_options(name, provider_options(name))


def make_provider(name: str, options: dict[str, Any] | None = None):
    """A provider instance configured from ``options`` (by default, from the settings; credentials come
    from the keyring), built by the service layer with QGIS's network configuration (proxy, rate limits)
    for all its HTTP clients."""
    from ..catalogs import build_provider
    from ..core.errors import UsageError
    from .catalog_url import stored_token
    from .network import network_config

    options = provider_options(name) if options is None else dict(options)
    token = stored_token(name)
    if token and options.get("url"):
        from urllib.parse import urlsplit

        from ..core.auth import BearerAuth, StaticTokenProvider

        options["auth"] = BearerAuth(StaticTokenProvider(token), hosts=[urlsplit(options["url"]).netloc])
    try:
        provider = build_provider(name, options, network_config())
    except UsageError as exc:
        if options.get("url") or "url" not in str(exc).lower():
            raise
        # the provider's own text names the command line's --url: say where the dock takes it from
        raise UsageError(
            QCoreApplication.translate(
                "ProviderSetup", "{} needs a catalog URL: enter it in the search form (Catalog URL)."
            ).format(provider_title(name))
        ) from None
    return provider


def check_login(name: str) -> None:
    """Raise a CredentialsError/NetworkError when the provider refuses the stored account
    (:meth:`~scene_picker.providers.base.Provider.login`)."""
    with make_provider(name) as provider:
        provider.login()
