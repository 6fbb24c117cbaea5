"""One network configuration for every HTTP client a provider builds: proxy, timeouts, retries, rate
limits, user agent.

The service layer (:mod:`scene_picker.catalogs`) hands a :class:`NetworkConfig` to a provider when it
builds it; each :class:`~scene_picker.core.http.HttpClient` the provider makes (search, sign-in, download,
per-account clients) receives it at construction, so no request goes out around the proxy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping, Optional

if TYPE_CHECKING:  # pragma: no cover
    from .http import RetryPolicy
    from .ratelimit import RateLimiter


@dataclass(frozen=True)
class NetworkConfig:
    """How a provider's HTTP clients reach the network.

    ``proxies`` is a ``requests`` mapping (``{"http": url, "https": url, "http://host": ""}``);
    ``timeout`` and ``retry`` are the defaults of clients that set none of their own; ``rate_limiter``
    is shared by the clients that have none of their own; ``user_agent`` replaces Scene Picker's.
    """

    proxies: Mapping[str, str] = field(default_factory=dict)
    timeout: Any = None
    retry: Optional[RetryPolicy] = None
    rate_limiter: Optional[RateLimiter] = field(default=None, compare=False)
    user_agent: Optional[str] = None


#: No proxy, the clients' own timeouts, retries and limits.
DIRECT = NetworkConfig()
