"""Authentication hooks for :class:`~scene_picker.core.http.HttpClient`: Basic, Bearer (with a token
provider), API-key header, and an OpenID Connect password-grant token provider.

An :class:`Auth` applies itself only to its allowed hosts, so credentials never reach another host (a
redirect to a CDN, a link to a foreign catalog). ``refresh()`` is called once when an allowed host
answers 401; it returns True when a retry may succeed (a new token was obtained or can be).
S3-style request signing is left to the providers that need it.
"""

from __future__ import annotations

import base64
import threading
import time
from typing import TYPE_CHECKING, Callable, Iterable, Optional, Protocol, Union
from urllib.parse import urlsplit

from .errors import AuthenticationError, ProviderResponseError
from .redact import redact

if TYPE_CHECKING:  # pragma: no cover
    from .http import HttpClient


def host_matches(url: str, patterns: Iterable[str]) -> bool:
    """True when ``url``'s host is one of ``patterns``.

    A pattern is a host name (``example.org``, any port), ``host:port`` (that port only), or a domain
    suffix written ``*.example.org`` / ``.example.org`` (sub-domains only, not ``example.org`` itself).
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        return False
    try:
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        return False
    for pattern in patterns:
        pattern = pattern.lower().strip()
        if pattern.startswith("*."):
            pattern = pattern[1:]
        if pattern.startswith("."):
            if host.endswith(pattern):
                return True
            continue
        name, _, pattern_port = pattern.rpartition(":") if _has_port(pattern) else (pattern, "", "")
        if name == host and (not pattern_port or int(pattern_port) == port):
            return True
    return False


def _has_port(pattern: str) -> bool:
    head, sep, tail = pattern.rpartition(":")
    return bool(sep) and tail.isdigit() and not head.endswith(":")


class Auth:
    """Base class: credentials sent only to ``hosts`` (see :func:`host_matches`)."""

    #: Secrets this auth may put on the wire, for :func:`~scene_picker.core.redact.redact`.
    secrets: tuple[str, ...] = ()

    def __init__(self, hosts: Union[str, Iterable[str]]) -> None:
        self.hosts: tuple[str, ...] = (hosts,) if isinstance(hosts, str) else tuple(hosts)
        if not self.hosts:
            raise ValueError("An Auth needs at least one allowed host.")

    def applies_to(self, url: str) -> bool:
        return host_matches(url, self.hosts)

    def headers(self) -> dict[str, str]:
        """The headers that carry the credentials (only called for allowed hosts)."""
        raise NotImplementedError

    def headers_for(self, url: str) -> dict[str, str]:
        """Credential headers for ``url``, or none when its host is not allowed."""
        return self.headers() if self.applies_to(url) else {}

    def refresh(self) -> bool:
        """Called once after a 401 from an allowed host; True when retrying may help."""
        return False

    def __repr__(self) -> str:
        return f"{type(self).__name__}(hosts={self.hosts!r})"


class BasicAuth(Auth):
    """HTTP Basic authentication."""

    def __init__(self, username: str, password: str, hosts: Union[str, Iterable[str]]) -> None:
        super().__init__(hosts)
        token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        self._header = f"Basic {token}"
        self.secrets = (password, token)

    def headers(self) -> dict[str, str]:
        return {"Authorization": self._header}


class TokenProvider(Protocol):
    """Something that hands out a currently valid bearer token."""

    def get_token(self) -> str:
        """A token valid for a while yet (refreshed before expiry)."""
        ...

    def invalidate(self) -> None:
        """Forget the current token (the server refused it); the next get_token() gets a new one."""
        ...


class StaticTokenProvider:
    """A fixed token (e.g. a personal access token); cannot be refreshed."""

    def __init__(self, token: str) -> None:
        self._token = token

    def get_token(self) -> str:
        return self._token

    def invalidate(self) -> None:
        return None


class BearerAuth(Auth):
    """``Authorization: Bearer <token>`` with a token from a :class:`TokenProvider`."""

    def __init__(self, token_provider: TokenProvider, hosts: Union[str, Iterable[str]]) -> None:
        super().__init__(hosts)
        self.token_provider = token_provider

    @property
    def secrets(self) -> tuple[str, ...]:  # type: ignore[override]
        token = getattr(self.token_provider, "current_token", None)
        return (token,) if token else ()

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token_provider.get_token()}"}

    def refresh(self) -> bool:
        if isinstance(self.token_provider, StaticTokenProvider):
            return False
        self.token_provider.invalidate()
        return True


class ApiKeyAuth(Auth):
    """An API key in a request header (``header: key``), e.g. Planet's ``Authorization: api-key …``."""

    def __init__(self, header: str, key: str, hosts: Union[str, Iterable[str]]) -> None:
        super().__init__(hosts)
        self.header = header
        self._key = key
        self.secrets = (key,)

    def headers(self) -> dict[str, str]:
        return {self.header: self._key}


def login_command(provider: Optional[str]) -> str:
    """The command that stores new credentials for ``provider`` (its registry key, e.g. ``planet``)."""
    if provider:
        return f"scene-picker login {provider}"
    return "scene-picker login followed by the provider's name"


class OidcTokenProvider:
    """OpenID Connect tokens by password grant (Keycloak at CDSE and Terrascope).

    ``get_token()`` returns the access token while it has more than ``margin`` seconds to live, uses the
    ``refresh_token`` grant when it does not, and logs in again with the password when the refresh token
    has expired or is refused. Wrong credentials raise
    :class:`~scene_picker.core.errors.AuthenticationError`. Thread-safe; ``clock`` is injectable.
    ``http`` talks to the token endpoint: it must not carry an auth built on this provider.
    ``provider`` (the registry key, by default ``http.provider``) names the account in messages.
    """

    def __init__(
        self,
        token_url: str,
        client_id: str,
        username: str,
        password: str,
        http: Optional[HttpClient] = None,
        scope: Optional[str] = None,
        *,
        client_secret: Optional[str] = None,
        margin: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        provider: Optional[str] = None,
    ) -> None:
        if http is None:
            from .http import HttpClient

            http = HttpClient(provider=provider)
        self.provider = provider or getattr(http, "provider", None)
        self.token_url = token_url
        self.client_id = client_id
        self.username = username
        self._password = password
        self._client_secret = client_secret
        self.scope = scope
        self.http = http
        self.margin = margin
        self._clock = clock
        self._lock = threading.Lock()
        self._access: Optional[str] = None
        self._access_expiry = 0.0
        self._refresh: Optional[str] = None
        self._refresh_expiry = 0.0
        self._issued_at = 0.0
        #: How many token-endpoint calls were made, by grant (for diagnostics and tests).
        self.grants: dict[str, int] = {"password": 0, "refresh_token": 0}

    @property
    def current_token(self) -> Optional[str]:
        return self._access

    def get_token(self) -> str:
        with self._lock:
            now = self._clock()
            if self._access and now < self._access_expiry - self._margin_for(self._access_expiry):
                return self._access
            if self._refresh and now < self._refresh_expiry - 1.0:
                token = self._grant_refresh()
                if token:
                    return token
            return self._grant_password()

    def invalidate(self) -> None:
        with self._lock:
            self._access = None
            self._access_expiry = 0.0

    def _margin_for(self, expiry: float) -> float:
        # Short-lived tokens: refresh when a fifth of their life is left rather than 30 s before.
        return min(self.margin, max(0.0, expiry - self._issued_at) / 5)

    def _grant_password(self) -> str:
        data = {"grant_type": "password", "username": self.username, "password": self._password}
        self.grants["password"] += 1
        status, body = self._post(data)
        if status != 200:
            raise AuthenticationError(
                f"The sign-in at {self.token_url} refused the credentials of '{self.username}': "
                f"{self._describe(body, status)}. Check the user name and password "
                f"({login_command(self.provider)} stores new ones)."
            )
        return self._store(body)

    def _grant_refresh(self) -> Optional[str]:
        data = {"grant_type": "refresh_token", "refresh_token": self._refresh or ""}
        self.grants["refresh_token"] += 1
        status, body = self._post(data)
        if status != 200:
            self._refresh = None
            return None
        return self._store(body)

    def _post(self, data: dict[str, str]) -> tuple[int, dict]:
        data = dict(data, client_id=self.client_id)
        if self._client_secret:
            data["client_secret"] = self._client_secret
        if self.scope:
            data["scope"] = self.scope
        response = self.http.request(
            "POST", self.token_url, data=data, accept_status=(400, 401, 403), idempotent=True
        )
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            if response.status_code != 200:
                return response.status_code, {}
            raise ProviderResponseError(
                f"The token endpoint {self.token_url} did not answer JSON (HTTP {response.status_code})."
            )
        return response.status_code, body

    def _store(self, body: dict) -> str:
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise ProviderResponseError(f"The token endpoint {self.token_url} answered without access_token.")
        now = self._clock()
        self._issued_at = now
        self._access = token
        self._access_expiry = now + float(body.get("expires_in") or 300)
        refresh = body.get("refresh_token")
        if isinstance(refresh, str) and refresh:
            self._refresh = refresh
            self._refresh_expiry = now + float(body.get("refresh_expires_in") or 1800)
        return token

    def _describe(self, body: dict, status: int) -> str:
        text = str(body.get("error_description") or body.get("error") or f"HTTP {status}")
        return redact(text, (self._password,))[:200]
