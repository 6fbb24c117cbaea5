"""CDSE OData catalogue: ``$filter`` text from a :class:`~scene_picker.core.query.Query`, time slicing
past the service's paging caps, and OData products turned into :class:`~scene_picker.core.scene.Scene`.

The catalogue returns at most 1000 products per request (``$top``) and refuses ``$skip`` above 10 000,
so one request sequence reaches at most ``skip_cap + top`` products. :func:`sliced_pages` therefore
splits the period into time slices (a user-chosen length, or the whole period), pages each slice with
``$orderby=ContentDate/Start`` (the service adds ``Id`` as tie-breaker, so pages are stable), and
halves any slice whose ``@odata.count`` is beyond reach, recursively. Slices are half-open
(``ge`` start, ``lt`` end; the last one ``le`` the query end), so they never overlap; results are also
de-duplicated by product ``Id``. A search selects the products that *overlap* its period: the first slice
has no lower bound on the start but asks ``ContentDate/End ge`` the period's start, so a product begun
before the period and ending within it is found (as EODAG and the catalogue's own examples ask).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Optional

from shapely.geometry import MultiPolygon, Point, Polygon, box
from shapely.geometry.base import BaseGeometry

from ..core.errors import ProviderError, ProviderResponseError, UsageError
from ..core.query import Query
from ..core.redact import redact
from ..core.scene import parse_scene_datetime

log = logging.getLogger(__name__)

PAGE_MAX = 1000
SKIP_CAP = 10000
#: Lower-case platform names -> OData collection names.
PLATFORM_COLLECTIONS = {
    "sentinel-1": "SENTINEL-1",
    "sentinel-1a": "SENTINEL-1",
    "sentinel-1b": "SENTINEL-1",
    "sentinel-2": "SENTINEL-2",
    "sentinel-2a": "SENTINEL-2",
    "sentinel-2b": "SENTINEL-2",
    "sentinel-3": "SENTINEL-3",
    "sentinel-3a": "SENTINEL-3",
    "sentinel-3b": "SENTINEL-3",
    "sentinel-5p": "SENTINEL-5P",
}
COLLECTIONS = ("SENTINEL-1", "SENTINEL-2", "SENTINEL-3", "SENTINEL-5P")
#: Earliest sensing time searched when a query has no start (Sentinel-1A's first products).
EPOCH = dt.datetime(2014, 4, 1, tzinfo=dt.timezone.utc)
#: Slices are never split below this length; a busier slice is an error.
MIN_SLICE = dt.timedelta(seconds=1)


def quote(text: str) -> str:
    """An OData string literal (single quotes doubled)."""
    return "'" + str(text).replace("'", "''") + "'"


def odata_datetime(moment: dt.datetime) -> str:
    """``2022-05-03T00:00:00.000Z`` (UTC, milliseconds), as the catalogue documents."""
    moment = moment.astimezone(dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _to_ms(moment: dt.datetime) -> dt.datetime:
    return moment.replace(microsecond=(moment.microsecond // 1000) * 1000)


def _ring(coords: Any) -> str:
    return ",".join(f"{x:.6f} {y:.6f}" for x, y, *_ in coords)


#: Polygons with more vertices are sent as their convex hull (URLs stay short); see ``simplified``.
MAX_VERTICES = 200


def sent_polygon(polygon: Polygon) -> Polygon:
    """The polygon as sent to the catalogue: itself, or a covering hull/envelope when too detailed."""
    if len(polygon.exterior.coords) <= MAX_VERTICES:
        return polygon
    hull = polygon.convex_hull
    if isinstance(hull, Polygon) and len(hull.exterior.coords) <= MAX_VERTICES:
        return hull
    return box(*polygon.bounds)


def simplified(aoi: Optional[BaseGeometry]) -> bool:
    """Whether the catalogue gets a covering shape instead of ``aoi`` (results need a client check)."""
    if aoi is None or isinstance(aoi, Point):
        return False
    polygons = [aoi] if isinstance(aoi, Polygon) else list(getattr(aoi, "geoms", []))
    if not polygons or not all(isinstance(p, Polygon) for p in polygons):
        return True
    return any(len(p.exterior.coords) > MAX_VERTICES for p in polygons)


def area_clauses(aoi: BaseGeometry) -> list[str]:
    """``OData.CSC.Intersects`` clauses (OR-ed) for an EPSG:4326 AOI: one per polygon, or a point."""
    if isinstance(aoi, Point):
        return [f"OData.CSC.Intersects(area=geography'SRID=4326;POINT({aoi.x:.6f} {aoi.y:.6f})')"]
    if isinstance(aoi, Polygon):
        polygons = [aoi]
    elif isinstance(aoi, MultiPolygon):
        polygons = list(aoi.geoms)
    else:  # lines, collections: their footprint is the convex hull
        hull = aoi.convex_hull
        polygons = [hull] if isinstance(hull, Polygon) else [hull.buffer(1e-6)]
    clauses = []
    for polygon in polygons:
        # Holes are dropped: a product meeting the hole only is rare and harmless to list.
        ring = _ring(sent_polygon(polygon).exterior.coords)
        clauses.append(f"OData.CSC.Intersects(area=geography'SRID=4326;POLYGON(({ring}))')")
    return clauses


def _decimal(value: float) -> str:
    """An OData decimal literal equal to ``value`` (``30.00``; never rounded: a limit of 12.3449 must
    keep the scene at 12.3449)."""
    return f"{value:.2f}" if round(value, 2) == value else repr(float(value))


def _attribute(kind: str, name: str, op: str, literal: str) -> str:
    return (
        f"Attributes/OData.CSC.{kind}Attribute/any(att:att/Name eq {quote(name)} and "
        f"att/OData.CSC.{kind}Attribute/Value {op} {literal})"
    )


@dataclass(frozen=True)
class Criteria:
    """What one OData search asks for, independent of the time window."""

    collection: str
    aoi: Optional[BaseGeometry] = None
    cloud_min: Optional[float] = None
    cloud_max: Optional[float] = None
    product_type: Optional[str] = None
    sensor_mode: Optional[str] = None
    name_contains: tuple[str, ...] = ()
    tile: Optional[str] = None
    online_only: bool = False
    #: Platform serial letters wanted ("A", "B"…); empty means every satellite of the collection.
    serials: tuple[str, ...] = ()

    def filter(
        self,
        start: Optional[dt.datetime],
        end: dt.datetime,
        end_inclusive: bool,
        since: Optional[dt.datetime] = None,
    ) -> str:
        """The ``$filter`` text for sensing starts in ``[start, end)`` (``[start, end]`` if inclusive)
        of products sensed until ``since`` or later (``ContentDate/End ge since``): with ``start``
        None, every product overlapping ``[since, end]``, including one that began before ``since``."""
        clauses = [f"Collection/Name eq {quote(self.collection)}"]
        if self.aoi is not None:
            areas = area_clauses(self.aoi)
            clauses.append(areas[0] if len(areas) == 1 else "(" + " or ".join(areas) + ")")
        if start is not None:
            clauses.append(f"ContentDate/Start ge {odata_datetime(start)}")
        if since is not None and (start is None or start < since):
            clauses.append(f"ContentDate/End ge {odata_datetime(since)}")
        clauses.append(f"ContentDate/Start {'le' if end_inclusive else 'lt'} {odata_datetime(end)}")
        if self.collection != "SENTINEL-1":  # SAR products have no cloud cover
            if self.cloud_min is not None:
                clauses.append(_attribute("Double", "cloudCover", "ge", _decimal(self.cloud_min)))
            if self.cloud_max is not None:
                clauses.append(_attribute("Double", "cloudCover", "le", _decimal(self.cloud_max)))
        if self.product_type:
            clauses.append(_attribute("String", "productType", "eq", quote(self.product_type)))
        if self.sensor_mode:
            clauses.append(_attribute("String", "operationalMode", "eq", quote(self.sensor_mode)))
        if self.tile:
            tile = self.tile.upper()
            clauses.append(
                _attribute("String", "tileId", "eq", quote(tile[1:] if tile.startswith("T") else tile))
            )
        for part in self.name_contains:
            clauses.append(f"contains(Name,{quote(part)})")
        if self.serials:
            parts = [_attribute("String", "platformSerialIdentifier", "eq", quote(x)) for x in self.serials]
            clauses.append(parts[0] if len(parts) == 1 else "(" + " or ".join(parts) + ")")
        if self.online_only:
            clauses.append("Online eq true")
        return " and ".join(clauses)


def collections_for(query: Query) -> list[str]:
    """OData collection names for the query (its collections, else its platforms, else Sentinel-2)."""
    if query.collections:
        chosen = [c.upper() for c in query.collections]
        unknown = [c for c in chosen if c not in COLLECTIONS]
        if unknown:
            raise UsageError(
                f"Unknown CDSE collection(s) {', '.join(unknown)}; known: {', '.join(COLLECTIONS)}."
            )
        return list(dict.fromkeys(chosen))
    if query.platforms:
        chosen = [PLATFORM_COLLECTIONS.get(p.lower()) for p in query.platforms]
        if not any(chosen):
            raise UsageError(f"CDSE serves none of the platforms {', '.join(query.platforms)}.")
        return list(dict.fromkeys(c for c in chosen if c))
    return ["SENTINEL-2"]


def criteria_for(query: Query, collection: str, online_only: bool = False) -> Criteria:
    extras = query.extras
    names = extras.get("name_contains") or extras.get("name") or ()
    if isinstance(names, str):
        names = (names,)
    return Criteria(
        collection=collection,
        aoi=query.aoi,
        cloud_min=query.cloud_min,
        cloud_max=query.cloud_max,
        product_type=query.product_type,
        sensor_mode=extras.get("sensor_mode") or extras.get("operationalMode"),
        name_contains=tuple(str(n) for n in names if n),
        tile=extras.get("tile"),
        online_only=bool(online_only or extras.get("online")),
        serials=serials_for(query, collection),
    )


def serials_for(query: Query, collection: str) -> tuple[str, ...]:
    """Satellite letters asked for ``collection`` ("sentinel-2b" -> "B"); none when the mission is asked."""
    letters: list[str] = []
    for platform in query.platforms:
        name = platform.lower()
        if PLATFORM_COLLECTIONS.get(name) != collection:
            continue
        if name in ("sentinel-1", "sentinel-2", "sentinel-3", "sentinel-5p"):
            return ()
        letters.append(name[-1].upper())
    return tuple(dict.fromkeys(letters))


# -- paging ------------------------------------------------------------------------------------------
FetchPage = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class SliceStats:
    """How a search was cut (for diagnostics and tests)."""

    requests: int = 0
    slices: int = 0
    splits: int = 0
    #: A lower ``$skip`` cap the service revealed (HTTP 422) during the search, if any.
    skip_cap: Optional[int] = None


def slice_bounds(
    start: dt.datetime, end: dt.datetime, length: Optional[dt.timedelta]
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Consecutive ``[a, b)`` windows of ``length`` covering ``[start, end]`` (one if no length)."""
    if length is None or length <= dt.timedelta(0) or end - start <= length:
        return [(start, end)]
    bounds = []
    cursor = start
    while cursor < end:
        nxt = min(end, _to_ms(cursor + length))
        bounds.append((cursor, nxt))
        cursor = nxt
    return bounds


def sliced_pages(
    fetch: FetchPage,
    criteria: Criteria,
    start: Optional[dt.datetime],
    end: Optional[dt.datetime],
    *,
    slice_length: Optional[dt.timedelta] = None,
    page_size: int = PAGE_MAX,
    skip_cap: int = SKIP_CAP,
    stats: Optional[SliceStats] = None,
) -> Iterator[tuple[list[dict[str, Any]], Optional[int]]]:
    """Yield ``(products, total)`` pages covering the whole period; ``total`` is given with the first.

    ``fetch(params)`` performs one catalogue request and returns its decoded JSON.
    """
    stats = stats if stats is not None else SliceStats()
    start = _to_ms(start or EPOCH)
    end = end or dt.datetime.now(dt.timezone.utc)
    reach = skip_cap + page_size
    windows = slice_bounds(start, end, slice_length)
    total: Optional[int] = None
    if len(windows) > 1:
        stats.requests += 1
        text = criteria.filter(None, end, True, since=start)
        counted = checked(fetch({"$filter": text, "$top": 0, "$count": "true"}))
        total = _count_of(counted)
    first = True
    seen: set[str] = set()
    # A stack of windows to read, earliest first; a window beyond reach is replaced by its halves.
    # The first window has no lower bound on the start: it holds the products that overlap the
    # period's start (begun before it, ended after it) as well (ContentDate/End ge start).
    stack: list[tuple[Optional[dt.datetime], dt.datetime, bool]] = [
        (a if a > start else None, b, b == end) for a, b in reversed(windows)
    ]
    while stack:
        a, b, inclusive = stack.pop()
        low = a or start
        text = criteria.filter(a, b, inclusive, since=start)
        base = {
            "$filter": text,
            "$orderby": "ContentDate/Start asc",
            "$expand": "Attributes",
            "$top": page_size,
        }
        stats.requests += 1
        body = checked(fetch({**base, "$skip": 0, "$count": "true"}))
        count = _count_of(body)
        if count is not None and count > reach:
            if b - low <= MIN_SLICE:
                raise ProviderError(
                    f"CDSE holds {count} products starting within {odata_datetime(low)} .. "
                    f"{odata_datetime(b)}, more than the {reach} one search can page through; "
                    "narrow the query.",
                    "cdse",
                )
            mid = _to_ms(low + (b - low) / 2)
            stats.splits += 1
            log.debug("CDSE slice %s..%s has %s products: splitting", a, b, count)
            stack.append((mid, b, inclusive))
            stack.append((a, mid, False))
            if first and total is None:
                total = count
            continue
        stats.slices += 1
        last = body["value"][-1] if _products_of(body) else None
        products = _fresh(body["value"], seen)
        if first:
            first = False
            yield products, total if total is not None else count
        else:
            yield products, None
        page = body["value"]
        read = len(page)
        skip = page_size
        resume = False
        # Bounded: at most skip_cap / page_size + 1 further pages per slice.
        while page and len(page) == page_size and (count is None or read < count):
            if skip > skip_cap:
                resume = True  # the count was unknown: go on from the last start read
                break
            stats.requests += 1
            answer = fetch({**base, "$skip": skip})
            limit = skip_limit(answer.get("detail")) if "value" not in answer else None
            if limit is not None:
                # The service caps $skip lower than we were told: learn it, go on from the last start.
                log.info("CDSE caps $skip at %s; continuing the slice from its last product", limit)
                skip_cap, reach = limit, limit + page_size
                stats.skip_cap = limit
                resume = True
                break
            page = _products_of(checked(answer))
            read += len(page)
            skip += page_size
            last = page[-1] if page else last
            yield _fresh(page, seen), None
        if resume:
            restart = _start_of(last)
            if restart is None or (a is not None and restart <= a):
                raise ProviderError(
                    f"CDSE cannot page past $skip={skip_cap} within {odata_datetime(low)} .. "
                    f"{odata_datetime(b)}; narrow the query or set a shorter time slice.",
                    "cdse",
                )
            stats.splits += 1
            stack.append((restart, b, inclusive))
    if first:
        yield [], total if total is not None else 0


def skip_limit(detail: Any) -> Optional[int]:
    """The ``$skip`` limit from a 422 validation answer about ``$skip``, if that is what it is."""
    if isinstance(detail, list):
        for item in detail:
            if isinstance(item, dict) and "$skip" in (item.get("loc") or ()):
                limit = (item.get("ctx") or {}).get("le")
                if isinstance(limit, int) and not isinstance(limit, bool) and limit >= 0:
                    return limit
    return None


def checked(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` if it is a product answer; the catalogue's error ``detail`` raised as ProviderError."""
    if "detail" in body and "value" not in body:
        raise ProviderError(f"CDSE refused the search: {describe_error(body['detail'])}", "cdse")
    _products_of(body)
    return body


def describe_error(detail: Any) -> str:
    """One line from the catalogue's error ``detail`` (documented object or pydantic list)."""
    if isinstance(detail, dict):
        message = str(detail.get("ErrorMessage") or detail.get("message") or "error")
        parts = []
        for item in detail.get("ErrorDetail") or ():
            if isinstance(item, dict):
                loc = ",".join(str(x) for x in item.get("loc") or ())
                parts.append(f"{loc}: {item.get('msg')}" if loc else str(item.get("msg")))
        return redact(message + (" (" + "; ".join(parts) + ")" if parts else ""))[:400]
    if isinstance(detail, list):
        parts = []
        for item in detail:
            if isinstance(item, dict):
                loc = "/".join(str(x) for x in item.get("loc") or () if x != "query")
                parts.append(f"{loc}: {item.get('msg')}")
        return redact("; ".join(parts) or "invalid parameters")[:400]
    return redact(str(detail))[:400]


def _fresh(products: list[dict[str, Any]], seen: set[str]) -> list[dict[str, Any]]:
    """The products not yielded before (a slice continued from its last start repeats a few)."""
    out = []
    for item in products:
        key = str(item.get("Id"))
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _start_of(item: Optional[dict[str, Any]]) -> Optional[dt.datetime]:
    if not item:
        return None
    start = parse_scene_datetime((item.get("ContentDate") or {}).get("Start"))
    return _to_ms(start) if start is not None else None


def _count_of(body: dict[str, Any]) -> Optional[int]:
    count = body.get("@odata.count")
    if count is None:
        return None
    if isinstance(count, bool) or not isinstance(count, (int, float)) or count < 0:
        raise ProviderResponseError(f"CDSE answered an invalid @odata.count: {count!r}.", "cdse")
    return int(count)


def _products_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    value = body.get("value") if isinstance(body, dict) else None
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ProviderResponseError("CDSE answered a search without a product list ('value').", "cdse")
    return value
