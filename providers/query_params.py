"""Query values as catalogue request text, shared by the OpenSearch-like providers (Terrascope) and others.

- :func:`bbox_param`: the AOI's bounding box as ``west,south,east,north``.
- :func:`cloud_interval_param`: the cloud-cover range as an OpenSearch/resto interval ``[min,max]``.
- :func:`host_pattern`: ``host[:port]`` of a service URL, the form :class:`~scene_picker.core.auth.Auth`
  takes for the hosts credentials may go to.
"""

from __future__ import annotations

from typing import Optional
from urllib.parse import urlsplit

from ..core.errors import UsageError
from ..core.query import Query


def bbox_param(query: Query) -> Optional[str]:
    """``w,s,e,n`` of the query's AOI (6 decimals), None without an AOI."""
    if query.aoi is None:
        return None
    w, s, e, n = query.aoi.bounds
    return f"{w:.6f},{s:.6f},{e:.6f},{n:.6f}"


def cloud_interval_param(query: Query) -> Optional[str]:
    """``[min,max]`` (missing bounds are 0 and 100), None without a cloud filter."""
    if not query.has_cloud_filter:
        return None
    low = query.cloud_min if query.cloud_min is not None else 0
    high = query.cloud_max if query.cloud_max is not None else 100
    return f"[{low:g},{high:g}]"


def host_pattern(url: str) -> str:
    """``host`` or ``host:port`` of ``url``."""
    parts = urlsplit(url)
    if not parts.hostname:
        raise UsageError(f"Not an absolute URL: {url!r}.")
    return f"{parts.hostname}:{parts.port}" if parts.port else parts.hostname
