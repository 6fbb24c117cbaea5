"""The search query every provider receives: AOI, time range, cloud cover, platforms/collections, limits.

:meth:`Query.build` turns user input (WKT/GeoJSON/bbox in any CRS, date strings) into a normalised
:class:`Query`: the AOI is a shapely geometry in EPSG:4326 (antimeridian-split, repaired), dates are
timezone-aware UTC, and the end is inclusive — a date given without a time means the whole UTC day.
:meth:`Query.matches` is the one client-side filter (a scene matches the AOI when its footprint
intersects it), used by providers whose server cannot apply a criterion itself.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Optional, Union

from shapely.geometry.base import BaseGeometry

from .errors import UsageError
from .geometry import AoiLike, CrsLike, aoi_from, bbox_geometry
from .platforms import canonical_platform

if TYPE_CHECKING:  # pragma: no cover
    from .scene import Scene

DateLike = Union[str, dt.date, dt.datetime, None]

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_END_OF_DAY = dt.time(23, 59, 59, 999999)


def parse_datetime(value: DateLike, *, end: bool = False) -> Optional[dt.datetime]:
    """An aware UTC datetime from ISO text, a date or a datetime; naive values are taken as UTC.

    A date without a time is the start of that UTC day, or its last microsecond when ``end`` is true.
    """
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, _END_OF_DAY if end else dt.time.min)
    elif isinstance(value, str):
        text = value.strip()
        try:
            if _DATE_ONLY.match(text):
                day = dt.date.fromisoformat(text)
                moment = dt.datetime.combine(day, _END_OF_DAY if end else dt.time.min)
            else:
                if text.endswith(("Z", "z")):
                    text = text[:-1] + "+00:00"
                moment = dt.datetime.fromisoformat(text.replace(" ", "T", 1))
        except ValueError as exc:
            raise UsageError(
                f"Bad date {value!r}: use YYYY-MM-DD or an ISO 8601 date-time (e.g. 2023-12-31T10:00:00Z)."
            ) from exc
    else:
        raise UsageError(f"Bad date {value!r} of type {type(value).__name__}.")
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc)


def format_datetime(moment: dt.datetime) -> str:
    """RFC 3339 text in UTC with a ``Z`` suffix (what STAC and most catalogs expect)."""
    text = moment.astimezone(dt.timezone.utc).isoformat()
    return text.replace("+00:00", "Z")


def _tuple(value: Union[str, Iterable[str], None]) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.split(",")
    return tuple(v.strip() for v in value if v and v.strip())


def _cloud(value: Any, label: str) -> Optional[float]:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"Bad {label} {value!r}: expected a percentage between 0 and 100.") from exc
    if not math.isfinite(number) or not 0.0 <= number <= 100.0:
        raise UsageError(f"Bad {label} {value!r}: expected a percentage between 0 and 100.")
    return number


@dataclass(frozen=True)
class Query:
    """A normalised search; build one from user input with :meth:`build`."""

    aoi: Optional[BaseGeometry] = None
    start: Optional[dt.datetime] = None
    end: Optional[dt.datetime] = None
    cloud_min: Optional[float] = None
    cloud_max: Optional[float] = None
    platforms: tuple[str, ...] = ()
    collections: tuple[str, ...] = ()
    product_type: Optional[str] = None
    max_results: Optional[int] = None
    extras: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise UsageError(f"Query.{name} must be timezone-aware; use Query.build for naive input.")
        if self.start and self.end and self.start > self.end:
            raise UsageError(
                f"The start ({format_datetime(self.start)}) is after the end ({format_datetime(self.end)})."
            )
        if self.cloud_min is not None and self.cloud_max is not None and self.cloud_min > self.cloud_max:
            raise UsageError(f"cloud min ({self.cloud_min:g}) is above cloud max ({self.cloud_max:g}).")
        if self.max_results is not None and self.max_results < 1:
            raise UsageError(f"max results must be at least 1, not {self.max_results}.")

    @classmethod
    def build(
        cls,
        aoi: Optional[AoiLike] = None,
        aoi_crs: Optional[CrsLike] = None,
        start: DateLike = None,
        end: DateLike = None,
        cloud_min: Any = None,
        cloud_max: Any = None,
        platforms: Union[str, Iterable[str], None] = None,
        collections: Union[str, Iterable[str], None] = None,
        product_type: Optional[str] = None,
        max_results: Optional[int] = None,
        extras: Optional[Mapping[str, Any]] = None,
        bbox: Union[str, tuple[float, float, float, float], None] = None,
    ) -> Query:
        """Normalise user input: AOI (geometry/WKT/GeoJSON/file, or ``bbox`` W,S,E,N in EPSG:4326)."""
        if aoi is not None and bbox is not None:
            raise UsageError("Give either an AOI or a bbox, not both.")
        geometry = None
        if bbox is not None:
            geometry = bbox_geometry(bbox)
        elif aoi is not None:
            geometry = aoi_from(aoi, aoi_crs)
        if max_results is not None:
            try:
                max_results = int(max_results)
            except (TypeError, ValueError) as exc:
                raise UsageError(f"Bad max results {max_results!r}: expected a whole number.") from exc
        return cls(
            aoi=geometry,
            start=parse_datetime(start),
            end=parse_datetime(end, end=True),
            cloud_min=_cloud(cloud_min, "cloud min"),
            cloud_max=_cloud(cloud_max, "cloud max"),
            platforms=tuple(dict.fromkeys(canonical_platform(p) for p in _tuple(platforms))),
            collections=_tuple(collections),
            product_type=product_type or None,
            max_results=max_results,
            extras=dict(extras or {}),
        )

    def replace(self, **changes: Any) -> Query:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)

    @property
    def has_cloud_filter(self) -> bool:
        return self.cloud_min is not None or self.cloud_max is not None

    def matches(
        self,
        scene: Scene,
        *,
        aoi: bool = True,
        time: bool = True,
        cloud: bool = True,
        collections: bool = True,
        platforms: bool = True,
    ) -> bool:
        """Whether ``scene`` satisfies the chosen criteria (all by default), as a server should.

        A scene without a cloud cover fails an active cloud filter; without a footprint it fails an AOI.
        """
        if aoi and self.aoi is not None:
            if scene.footprint is None or not scene.footprint.intersects(self.aoi):
                return False
        if time and not _within(scene.datetime, self.start, self.end):
            return False
        if cloud and not _within(scene.cloud_cover, self.cloud_min, self.cloud_max):
            return False
        if collections and self.collections and scene.collection not in self.collections:
            return False
        if platforms and self.platforms:
            if canonical_platform(scene.platform or "") not in self.platforms:
                return False
        return True


def _within(value: Any, low: Any, high: Any) -> bool:
    """Whether ``value`` lies in ``[low, high]`` (a None bound: no limit); with a bound, a missing value
    does not."""
    if low is None and high is None:
        return True
    if value is None:
        return False
    return (low is None or value >= low) and (high is None or value <= high)
