"""The provider-neutral scene record (:class:`Scene`) and its downloadable files (:class:`Asset`).

A Scene carries what every catalog can tell: provider (its registry name, e.g. "stac"), id, platform,
collection, acquisition time, footprint (shapely, EPSG:4326), cloud cover, quicklook href, assets, the
raw record, whether it is online, extra ``properties`` (provider specifics, side-car metadata values),
and ``source``: the non-secret options that rebuild the provider it came from (e.g. a STAC API's
``{"url": ...}``). ``to_feature`` and ``Scene.from_feature`` convert to and from a STAC-like GeoJSON
Feature (used by exports and the queue); ``source`` travels as the :data:`SOURCE_PROPERTY` property.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional

from shapely.errors import ShapelyError
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from .errors import ProviderResponseError, UsageError
from .geometry import to_geojson
from .query import format_datetime
from .redact import url_carries_secret

if TYPE_CHECKING:  # pragma: no cover
    from .checksums import Checksum

#: Asset roles with a conventional meaning (STAC best practices).
ROLE_DATA = "data"
ROLE_THUMBNAIL = "thumbnail"
ROLE_OVERVIEW = "overview"
ROLE_METADATA = "metadata"

#: The GeoJSON property holding :attr:`Scene.source` (namespaced: a catalog's own ``source`` stays apart).
SOURCE_PROPERTY = "scene_picker:source"


@dataclass(frozen=True)
class Asset:
    """One file of a scene: where it is, what it is, and what it should weigh/hash when known."""

    key: str
    href: str
    title: Optional[str] = None
    media_type: Optional[str] = None
    roles: tuple[str, ...] = ()
    size: Optional[int] = None
    checksum: Optional[Checksum] = None
    #: Other places holding the same bytes, e.g. {"s3": "s3://…", "local": "/data/…"}.
    alternates: dict[str, str] = field(default_factory=dict)

    @property
    def is_zip(self) -> bool:
        """Whether the asset is a zip archive (members can then be extracted remotely)."""
        media = (self.media_type or "").lower()
        if "zip" in media:
            return True
        path = self.href.split("?", 1)[0].lower()
        return path.endswith(".zip")

    def to_dict(self) -> dict[str, Any]:
        """STAC-style asset dict (``type``, ``roles``, ``file:size``, ``checksum`` as ``algo:hex``)."""
        out: dict[str, Any] = {"href": self.href}
        if self.title:
            out["title"] = self.title
        if self.media_type:
            out["type"] = self.media_type
        if self.roles:
            out["roles"] = list(self.roles)
        if self.size is not None:
            out["file:size"] = self.size
        if self.checksum is not None:
            out["checksum"] = str(self.checksum)
            if self.checksum.algorithm != "crc32":
                out["file:checksum"] = self.checksum.to_multihash()
        if self.alternates:
            out["alternate"] = {name: {"href": href} for name, href in self.alternates.items()}
        return out

    @classmethod
    def from_dict(cls, key: str, data: dict[str, Any]) -> Asset:
        """Inverse of :meth:`to_dict`; also reads STAC ``file:checksum`` (multihash) and ``alternate``."""
        if not isinstance(data, dict) or not isinstance(data.get("href"), str):
            raise ProviderResponseError(f"Asset {key!r} has no href.")
        checksum = _checksum_of(data)
        size = data.get("file:size")
        alternates: dict[str, str] = {}
        for name, alt in (data.get("alternate") or {}).items():
            if isinstance(alt, dict) and isinstance(alt.get("href"), str):
                alternates[str(name)] = alt["href"]
            elif isinstance(alt, str):
                alternates[str(name)] = alt
        roles = data.get("roles") or ()
        return cls(
            key=key,
            href=data["href"],
            title=data.get("title") if isinstance(data.get("title"), str) else None,
            media_type=data.get("type") if isinstance(data.get("type"), str) else None,
            roles=tuple(str(r) for r in roles) if isinstance(roles, (list, tuple)) else (),
            size=int(size) if isinstance(size, (int, float)) and not isinstance(size, bool) else None,
            checksum=checksum,
            alternates=alternates,
        )


def _checksum_of(data: dict[str, Any]) -> Optional[Checksum]:
    """``checksum`` ("algo:hex") or STAC ``file:checksum`` (multihash); None if absent or unusable."""
    from .checksums import Checksum

    try:
        if isinstance(data.get("checksum"), str) and ":" in data["checksum"]:
            algorithm, hexdigest = data["checksum"].split(":", 1)
            return Checksum(algorithm, hexdigest)
        if isinstance(data.get("file:checksum"), str):
            return Checksum.from_multihash(data["file:checksum"])
    except UsageError:
        return None  # an unsupported hash function or a garbled digest: the size check still applies
    return None


@dataclass
class Scene:
    """One catalog entry (an acquisition/product) from any provider.

    ``provider`` is the registry name (``get_provider(scene.provider, **scene.source)`` rebuilds the
    provider); ``source`` holds only non-secret options (see :func:`catalog_source`).
    """

    provider: str
    id: str
    platform: Optional[str] = None
    collection: Optional[str] = None
    datetime: Optional[dt.datetime] = None
    footprint: Optional[BaseGeometry] = None
    cloud_cover: Optional[float] = None
    quicklook: Optional[str] = None
    assets: dict[str, Asset] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
    online: bool = True
    properties: dict[str, Any] = field(default_factory=dict)
    source: dict[str, str] = field(default_factory=dict)

    def assets_with_role(self, role: str) -> list[Asset]:
        return [a for a in self.assets.values() if role in a.roles]

    def to_feature(self) -> dict[str, Any]:
        """A GeoJSON Feature (STAC-like: ``assets`` beside ``properties``); ``raw`` is not included."""
        props: dict[str, Any] = {}
        props.update(_jsonable(self.properties))
        props.update(
            {
                "provider": self.provider,
                "datetime": _format_dt(self.datetime),
                "platform": self.platform,
                "collection": self.collection,
                "eo:cloud_cover": self.cloud_cover,
                "quicklook": self.quicklook,
                "online": self.online,
            }
        )
        if self.source:
            props[SOURCE_PROPERTY] = dict(self.source)
        feature: dict[str, Any] = {
            "type": "Feature",
            "id": self.id,
            "geometry": to_geojson(self.footprint) if self.footprint is not None else None,
            "properties": props,
            "assets": {key: asset.to_dict() for key, asset in self.assets.items()},
        }
        if self.footprint is not None:
            feature["bbox"] = list(self.footprint.bounds)
        if self.collection:
            feature["collection"] = self.collection
        return feature

    @classmethod
    def from_feature(cls, feature: dict[str, Any], provider: Optional[str] = None) -> Scene:
        """Inverse of :meth:`to_feature`; ``raw`` becomes the feature itself."""
        if not isinstance(feature, dict) or feature.get("type") != "Feature" or "id" not in feature:
            raise ProviderResponseError("Not a GeoJSON Feature with an id.")
        props = dict(feature.get("properties") or {})
        known = (
            "provider",
            "datetime",
            "platform",
            "collection",
            "eo:cloud_cover",
            "quicklook",
            "online",
            SOURCE_PROPERTY,
        )
        extra = {k: v for k, v in props.items() if k not in known}
        geometry = feature.get("geometry")
        try:
            footprint = shape(geometry) if geometry else None
        except (ValueError, TypeError, KeyError, AttributeError, ShapelyError) as exc:
            raise ProviderResponseError(f"Scene {feature['id']} has a malformed geometry ({exc}).") from None
        cloud = props.get("eo:cloud_cover")
        return cls(
            provider=provider or props.get("provider") or "",
            id=str(feature["id"]),
            platform=props.get("platform"),
            collection=props.get("collection") or feature.get("collection"),
            datetime=parse_scene_datetime(props.get("datetime")),
            footprint=footprint,
            cloud_cover=parse_cloud_cover(cloud),
            quicklook=props.get("quicklook"),
            assets={k: Asset.from_dict(k, v) for k, v in (feature.get("assets") or {}).items()},
            raw=feature,
            online=bool(props.get("online", True)),
            properties=extra,
            source=_source_of(props.get(SOURCE_PROPERTY)),
        )


def parse_cloud_cover(value: Any, scale: float = 1.0) -> Optional[float]:
    """A cloud cover in percent from a catalog's answer (``scale=100`` for a 0–1 fraction); None for
    anything but a finite number (missing, a bool, text, NaN)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value) if scale == 1.0 else round(float(value) * scale, 6)


def catalog_source(url: Optional[str]) -> dict[str, str]:
    """The :attr:`Scene.source` of a catalog at ``url``: ``{"url": url}``, or nothing when the URL
    carries a credential (user info, a token in the query), which a result file must never keep."""
    if not url or url_carries_secret(url):
        return {}
    return {"url": url}


def _source_of(value: Any) -> dict[str, str]:
    """A recorded source (string options only; a credential-carrying URL is dropped)."""
    if not isinstance(value, dict):
        return {}
    out = {str(k): v for k, v in value.items() if isinstance(v, str)}
    if "url" in out and not catalog_source(out["url"]):
        del out["url"]
    return out


#: USGS M2M's day-of-year times, e.g. "2020:217:13:48:06.7714180" (year, day of year, time, UTC).
_DAY_OF_YEAR = re.compile(r"^(\d{4}):(\d{3}):(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?$")


def parse_scene_datetime(value: Any) -> Optional[dt.datetime]:
    """Aware UTC datetime from catalog text (ISO 8601 with ``Z`` or offset, naive taken as UTC; or
    M2M's ``YYYY:DDD:HH:MM:SS.fffffff`` day-of-year form); None if absent/bad."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    day_of_year = _DAY_OF_YEAR.match(text)
    if day_of_year:
        return _from_day_of_year(*day_of_year.groups())
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # Python < 3.11 accepts only 0, 3 or 6 fractional digits: normalise to 6.
    if "." in text:
        head, _, tail = text.partition(".")
        digits = ""
        while tail and tail[0].isdigit():
            digits, tail = digits + tail[0], tail[1:]
        text = f"{head}.{(digits + '000000')[:6]}{tail}"
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc)


def _from_day_of_year(
    year: str, day: str, hour: str, minute: str, second: str, fraction: Optional[str]
) -> Optional[dt.datetime]:
    try:
        start = dt.datetime(int(year), 1, 1, int(hour), int(minute), int(second), tzinfo=dt.timezone.utc)
    except ValueError:
        return None
    if not 1 <= int(day) <= (dt.date(start.year + 1, 1, 1) - start.date()).days:
        return None
    micro = int(((fraction or "") + "000000")[:6])
    return start + dt.timedelta(days=int(day) - 1, microseconds=micro)


def _format_dt(moment: Optional[dt.datetime]) -> Optional[str]:
    return format_datetime(moment) if moment is not None else None


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.datetime):
        return _format_dt(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, BaseGeometry):
        return to_geojson(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
