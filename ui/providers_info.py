"""What the dock knows about the registered providers: names, titles, platforms, credential needs and status.

Reads :func:`scene_picker.providers.registry.list_providers` and the keyring (never settings).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from qgis.PyQt.QtCore import QCoreApplication

from ..core.credentials import load_credentials
from ..core.errors import CredentialsError

STATUS_OK = "ok"
STATUS_MISSING = "missing"
STATUS_NOT_NEEDED = "not-needed"
STATUS_NO_KEYRING = "no-keyring"


@dataclass(frozen=True)
class ProviderInfo:
    name: str
    title: str
    platforms: tuple[str, ...] = ()
    credentials: str | None = None  # what it needs (e.g. "username/password", "api key"), None: nothing
    collections: tuple[str, ...] = field(default=())
    credential_kind: str | None = None  # "password", "api_key" or "token"
    signup_url: str | None = None


def _get(entry: Any, key: str, default: Any = None) -> Any:
    if isinstance(entry, dict):
        return entry.get(key, default)
    return getattr(entry, key, default)


def _credentials_text(spec: Any) -> str | None:
    """A CredentialSpec (or plain text) as a short description; None when no account is needed."""
    if not spec:
        return None
    if isinstance(spec, str):
        return spec
    return str(getattr(spec, "description", None) or getattr(spec, "kind", None) or "account")


def provider_info(entry: Any) -> ProviderInfo:
    """Adapt one entry of ``list_providers()`` (a mapping, a dataclass or a Provider class)."""
    name = str(_get(entry, "name"))
    creds = _get(entry, "credentials")
    return ProviderInfo(
        name=name,
        title=str(_get(entry, "title") or name),
        platforms=tuple(_get(entry, "platforms") or ()),
        credentials=_credentials_text(creds),
        collections=tuple(_get(entry, "collections") or ()),
        credential_kind=getattr(creds, "kind", None) if creds and not isinstance(creds, str) else None,
        signup_url=getattr(creds, "signup_url", None) if creds and not isinstance(creds, str) else None,
    )


def available_providers() -> list[ProviderInfo]:
    """Every registered provider, in registry order."""
    from ..providers.registry import list_providers

    return [provider_info(entry) for entry in list_providers()]


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


#: Option names that would carry a secret: never accepted from settings (the keyring holds those).
SECRET_OPTIONS = frozenset(
    {"username", "password", "secret", "token", "key", "api_key", "apikey", "accounts"}
)


def parse_provider_options(text: str) -> dict[str, Any]:
    """``key=value; key2=value2`` of non-secret provider options (endpoints, page sizes...)."""
    from ..core.errors import UsageError
    from ..core.redact import redact_url
    from .query_form import parse_extras

    options = parse_extras(text)
    for key, value in options.items():
        if key.lower() in SECRET_OPTIONS:
            raise UsageError(f"'{key}' is a credential: store it in the account fields (keyring), not here.")
        if isinstance(value, str) and redact_url(value) != value:
            raise UsageError(f"The value of '{key}' holds a credential; remove it (the keyring holds those).")
    return options


def provider_options(name: str) -> dict[str, Any]:
    """Non-secret options the user set for a provider (endpoint URL, extra options) for ``get_provider``."""
    from .settings import read_setting

    options: dict[str, Any] = {}
    text = str(read_setting(options_setting(name), "", str) or "")
    if text.strip():
        options.update(parse_provider_options(text))
    url = str(read_setting(endpoint_setting(name), "", str) or "").strip()
    if url:
        options["url"] = url
    return options


def make_provider(name: str):
    """A provider instance configured from the settings (credentials come from the keyring): QGIS's
    proxy, and the user's rate limits when the provider brings none of its own."""
    from ..core.errors import UsageError
    from ..core.ratelimit import RateLimiter
    from ..providers.registry import get_provider
    from . import settings
    from .catalog_url import stored_token
    from .network import session_proxies

    options = provider_options(name)
    token = stored_token(name)
    if token and options.get("url"):
        from urllib.parse import urlsplit

        from ..core.auth import BearerAuth, StaticTokenProvider

        options["auth"] = BearerAuth(StaticTokenProvider(token), hosts=[urlsplit(options["url"]).netloc])
    try:
        provider = get_provider(name, **options)
    except UsageError as exc:
        if options.get("url") or "url" not in str(exc).lower():
            raise
        # the provider's own text names the command line's --url: say where the dock takes it from
        raise UsageError(
            QCoreApplication.translate(
                "ProviderSetup", "{} needs a catalog URL: enter it in the search form (Catalog URL)."
            ).format(provider_title(name))
        ) from None
    http = provider.http
    proxies = session_proxies()
    if proxies:
        http.session.proxies.update(proxies)
    if getattr(http, "rate_limiter", None) is None:
        http.rate_limiter = RateLimiter(
            windows=[
                (settings.named_setting(settings.RATE_10S), 10.0),
                (settings.named_setting(settings.RATE_MINUTE), 60.0),
            ]
        )
    return provider


def check_login(name: str) -> None:
    """Raise a CredentialsError/NetworkError when the provider refuses the stored account.

    Uses the provider's own ``login()`` when it has one, else the smallest search (one result).
    """
    from ..core.query import Query

    with make_provider(name) as provider:
        login = getattr(provider, "login", None)
        if callable(login):
            login()
            return
        results = provider.search(Query.build(max_results=1))
        try:
            next(iter(results), None)
        finally:
            results.close()
