"""QGIS's network settings as the service layer's :class:`~scene_picker.core.network.NetworkConfig`: the
proxy QGIS is configured with (Settings ▸ Options ▸ Network) and the user's rate limits.

The proxy password is only ever put into the returned mapping, never logged or stored by Scene Picker.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from qgis.core import QgsNetworkAccessManager
from qgis.PyQt.QtNetwork import QNetworkProxy

from ..core.network import NetworkConfig
from ..core.ratelimit import RateLimiter

_SCHEMES = {
    QNetworkProxy.ProxyType.HttpProxy: "http",
    QNetworkProxy.ProxyType.HttpCachingProxy: "http",
    QNetworkProxy.ProxyType.Socks5Proxy: "socks5h",
}


def qgis_proxy() -> QNetworkProxy:
    return QgsNetworkAccessManager.instance().fallbackProxy()


def proxy_description() -> str:
    """Human text without credentials: "http://host:3128" or "" when QGIS uses no proxy."""
    proxy = qgis_proxy()
    scheme = _SCHEMES.get(proxy.type())
    if scheme is None or not proxy.hostName():
        return ""
    return f"{scheme}://{proxy.hostName()}:{proxy.port()}"


def requests_proxies() -> dict[str, str]:
    """``{"http": url, "https": url}`` for ``requests``, or ``{}`` when QGIS uses no proxy."""
    proxy = qgis_proxy()
    scheme = _SCHEMES.get(proxy.type())
    if scheme is None or not proxy.hostName():
        return {}
    auth = ""
    if proxy.user():
        auth = quote(proxy.user(), safe="") + ":" + quote(proxy.password(), safe="") + "@"
    url = f"{scheme}://{auth}{proxy.hostName()}:{proxy.port()}"
    return {"http": url, "https": url}


def bypass_prefixes() -> list[str]:
    """URL prefixes QGIS reaches without its proxy: its "no proxy" and "exclude" lists."""
    manager = QgsNetworkAccessManager.instance()
    prefixes = list(manager.excludeList())
    if hasattr(manager, "noProxyList"):
        prefixes += list(manager.noProxyList())
    return [p.strip() for p in prefixes if p and p.strip()]


def session_proxies() -> dict[str, str]:
    """The mapping for a ``requests`` session: QGIS's proxy for every URL, except the hosts of QGIS's
    exclusion lists, mapped to "" (direct). ``requests`` chooses by scheme and host, so an excluded
    prefix frees its whole host (QGIS matches the full prefix)."""
    proxies = requests_proxies()
    if not proxies:
        return {}
    for prefix in bypass_prefixes():
        parts = urlsplit(prefix if "://" in prefix else f"http://{prefix}")
        if parts.hostname:
            schemes = (parts.scheme,) if "://" in prefix else ("http", "https")
            for scheme in schemes:
                proxies[f"{scheme}://{parts.hostname}"] = ""
    return proxies


def network_config() -> NetworkConfig:
    """What every HTTP client of a provider the dock or Processing builds receives: QGIS's proxy (and its
    exclusions) and the rate limits of the settings (for clients without limits of their own)."""
    from . import settings

    limiter = RateLimiter(
        windows=[
            (settings.named_setting(settings.RATE_10S), 10.0),
            (settings.named_setting(settings.RATE_MINUTE), 60.0),
        ]
    )
    return NetworkConfig(proxies=session_proxies(), rate_limiter=limiter)
