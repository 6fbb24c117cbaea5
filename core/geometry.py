"""Area-of-interest geometry: parsing, reprojection to EPSG:4326, antimeridian splitting and repair.

Every geometry that leaves this module is a shapely geometry in EPSG:4326 (longitude, latitude), with
longitudes in [-180, 180]: a polygon crossing the antimeridian comes out as a MultiPolygon cut at
±180 (RFC 7946 §3.1.9), an invalid polygon comes out repaired or is refused with
:class:`~scene_picker.core.errors.InvalidAOIError`.

A ring is taken to cross the antimeridian when two consecutive vertices are more than 180° of
longitude apart (the usual GeoJSON convention), or when it has longitudes beyond ±180.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Iterable, Union

from shapely import wkb as shapely_wkb
from shapely import wkt as shapely_wkt
from shapely.affinity import translate
from shapely.errors import ShapelyError
from shapely.geometry import (
    GeometryCollection,
    LinearRing,
    LineString,
    MultiLineString,
    MultiPoint,
    MultiPolygon,
    Point,
    Polygon,
    box,
    mapping,
    shape,
)
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

from .errors import InvalidAOIError

WGS84 = "EPSG:4326"
#: Anything :func:`to_wgs84` accepts as a CRS: "EPSG:3857", 3857, a PROJ string, a pyproj CRS.
CrsLike = Union[str, int, Any]
#: Anything :func:`parse_aoi` accepts.
AoiLike = Union[BaseGeometry, dict, str, Path, tuple, list]

# Edges of a projected AOI are densified so that they bend as they should once in EPSG:4326.
_DENSIFY_SEGMENTS = 64


# -- parsing ------------------------------------------------------------------------------------------
def parse_bbox(text: str | Iterable[float]) -> tuple[float, float, float, float]:
    """``"W,S,E,N"`` (or four numbers) → a tuple; W > E means the box crosses the antimeridian."""
    if isinstance(text, str):
        parts = [p for p in text.replace(" ", ",").split(",") if p]
    else:
        parts = list(text)
    try:
        values = tuple(float(p) for p in parts)
    except (TypeError, ValueError) as exc:
        raise InvalidAOIError(f"Bad bbox {text!r}: expected four numbers W,S,E,N.") from exc
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise InvalidAOIError(f"Bad bbox {text!r}: expected four finite numbers W,S,E,N.")
    west, south, east, north = values
    if south > north:
        raise InvalidAOIError(f"Bad bbox {text!r}: south ({south}) is above north ({north}).")
    return west, south, east, north


def bbox_geometry(bbox: tuple[float, float, float, float] | str) -> BaseGeometry:
    """A W,S,E,N box in EPSG:4326 as a polygon, or a MultiPolygon when W > E (antimeridian)."""
    west, south, east, north = parse_bbox(bbox) if isinstance(bbox, str) else parse_bbox(bbox)
    if west > east:
        east += 360.0
    if west == east or south == north:
        raise InvalidAOIError(f"Bad bbox {bbox!r}: it has no area.")
    return normalize_wgs84(box(west, south, east, north), unwrap=False)


def parse_aoi(value: AoiLike) -> tuple[BaseGeometry, str | None]:
    """Read an AOI given as a geometry, GeoJSON (dict, text or file) or WKT (text or file).

    Returns the raw geometry (not yet reprojected) and the CRS the source declares, if any
    (a legacy GeoJSON ``crs`` member); a Feature or FeatureCollection gives the union of its geometries.
    """
    if isinstance(value, BaseGeometry):
        return value, None
    if isinstance(value, (tuple, list)) and len(value) == 4 and not isinstance(value[0], (list, tuple)):
        west, south, east, north = parse_bbox(value)
        if west > east:
            east += 360.0
        return box(west, south, east, north), None
    if isinstance(value, dict):
        return _from_geojson(value, source="GeoJSON object")
    if isinstance(value, Path):
        return _from_text(_read_file(value), source=str(value))
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise InvalidAOIError("The AOI is empty.")
        if text[0] not in "{[" and not _looks_like_wkt(text):
            path = Path(text).expanduser()
            if path.is_file():
                return _from_text(_read_file(path), source=str(path))
            raise InvalidAOIError(f"The AOI {_short(text)!r} is neither WKT, GeoJSON nor an existing file.")
        return _from_text(text, source="the AOI text")
    raise InvalidAOIError(f"Unsupported AOI value of type {type(value).__name__}.")


def _read_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidAOIError(f"Cannot read the AOI file {path}: {exc}") from exc


_WKT_TYPES = (
    "POINT",
    "LINESTRING",
    "POLYGON",
    "MULTIPOINT",
    "MULTILINESTRING",
    "MULTIPOLYGON",
    "GEOMETRYCOLLECTION",
)


def _looks_like_wkt(text: str) -> bool:
    head = text.lstrip().upper()
    if head.startswith("SRID="):
        head = head.split(";", 1)[-1].lstrip()
    return head.startswith(_WKT_TYPES)


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _from_text(text: str, source: str) -> tuple[BaseGeometry, str | None]:
    stripped = text.strip()
    if stripped.startswith(("{", "[")):
        try:
            data = json.loads(stripped)
        except ValueError as exc:
            raise InvalidAOIError(f"{source} is not valid GeoJSON: {exc}") from exc
        return _from_geojson(data, source=source)
    crs = None
    if stripped.upper().startswith("SRID="):
        srid, stripped = stripped.split(";", 1)
        crs = f"EPSG:{srid.split('=', 1)[1].strip()}"
    if not _looks_like_wkt(stripped):
        raise InvalidAOIError(f"{source} is neither WKT nor GeoJSON.")
    try:
        return shapely_wkt.loads(stripped), crs
    except (ShapelyError, ValueError) as exc:
        raise InvalidAOIError(f"{source} is not valid WKT: {exc}") from exc


def _from_geojson(data: Any, source: str) -> tuple[BaseGeometry, str | None]:
    if not isinstance(data, dict):
        raise InvalidAOIError(f"{source} is not a GeoJSON object.")
    crs = _geojson_crs(data)
    kind = data.get("type")
    try:
        if kind == "FeatureCollection":
            geoms = [shape(f["geometry"]) for f in data.get("features") or [] if f.get("geometry")]
            if not geoms:
                raise InvalidAOIError(f"{source} holds no feature with a geometry.")
            return unary_union(geoms), crs
        if kind == "Feature":
            if not data.get("geometry"):
                raise InvalidAOIError(f"{source} is a Feature without geometry.")
            return shape(data["geometry"]), crs
        if kind in ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"):
            return shape(data), crs
        if kind == "GeometryCollection":
            return shape(data), crs
    except (ShapelyError, ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise InvalidAOIError(f"{source} has a malformed GeoJSON geometry: {exc}") from exc
    raise InvalidAOIError(
        f"{source} is not a GeoJSON geometry, Feature or FeatureCollection (type {kind!r})."
    )


def _geojson_crs(data: dict) -> str | None:
    crs = data.get("crs")
    if not isinstance(crs, dict):
        return None
    name = (crs.get("properties") or {}).get("name")
    if not isinstance(name, str):
        return None
    # "urn:ogc:def:crs:EPSG::3857", "EPSG:3857", "urn:ogc:def:crs:OGC:1.3:CRS84"
    if name.upper().endswith("CRS84"):
        return WGS84
    if "EPSG" in name.upper():
        return f"EPSG:{name.rsplit(':', 1)[-1]}"
    return name


# -- normalisation ---------------------------------------------------------------------------------
def to_wgs84(geom: BaseGeometry, crs: CrsLike | None = None) -> BaseGeometry:
    """Reproject ``geom`` from ``crs`` (default EPSG:4326) and normalise it (see :func:`normalize_wgs84`)."""
    if geom is None or geom.is_empty:
        raise InvalidAOIError("The AOI geometry is empty.")
    if crs is not None and not _is_wgs84(crs):
        geom = _reproject(geom, crs)
    return normalize_wgs84(geom)


def aoi_from(value: AoiLike, crs: CrsLike | None = None) -> BaseGeometry:
    """Parse (see :func:`parse_aoi`), reproject and normalise an AOI; a CRS in the source wins."""
    geom, declared = parse_aoi(value)
    return to_wgs84(geom, declared or crs)


def _is_wgs84(crs: CrsLike) -> bool:
    if isinstance(crs, int):
        return crs == 4326
    if isinstance(crs, str):
        return crs.strip().upper() in ("EPSG:4326", "4326", "OGC:CRS84", "CRS84", "WGS84")
    return False


def _reproject(geom: BaseGeometry, crs: CrsLike) -> BaseGeometry:
    try:
        from pyproj import CRS, Transformer
        from pyproj.exceptions import CRSError, ProjError
    except ImportError:
        raise InvalidAOIError(
            f"Reprojecting the area from {crs} needs the Python package pyproj: install it, or give the "
            "area in EPSG:4326."
        ) from None

    try:
        source = CRS.from_user_input(f"EPSG:{crs}" if isinstance(crs, int) else crs)
    except CRSError as exc:
        raise InvalidAOIError(f"Unknown CRS {crs!r}: {exc}") from exc
    transformer = Transformer.from_crs(source, CRS.from_epsg(4326), always_xy=True)

    def fn(seq) -> list[tuple[float, float]]:
        xs, ys = zip(*((c[0], c[1]) for c in seq))
        return list(zip(*transformer.transform(xs, ys, errcheck=True)))

    try:
        out = _map_coords(_densify(geom), fn)
    except ProjError as exc:
        raise InvalidAOIError(f"The AOI cannot be transformed from {crs} to EPSG:4326: {exc}") from exc
    # Longitudes come back in [-180, 180]: a ring that crossed the antimeridian in the source CRS now
    # jumps by ~360° between two vertices, which normalize_wgs84 unwraps and splits.
    return out


def _densify(geom: BaseGeometry) -> BaseGeometry:
    """Add vertices along the edges so a projected straight edge keeps its shape in EPSG:4326."""
    if isinstance(geom, (Point, MultiPoint)):
        return geom
    minx, miny, maxx, maxy = geom.bounds
    step = max(maxx - minx, maxy - miny) / _DENSIFY_SEGMENTS
    if step <= 0:
        return geom

    def coords(seq) -> list[tuple[float, ...]]:
        pts = list(seq)
        out: list[tuple[float, ...]] = []
        for a, b in zip(pts, pts[1:]):
            out.append(a)
            n = int(math.hypot(b[0] - a[0], b[1] - a[1]) // step)
            for i in range(1, n + 1):
                t = i / (n + 1)
                out.append((a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t))
        out.append(pts[-1])
        return out

    return _map_coords(geom, coords)


def _map_coords(geom: BaseGeometry, fn) -> BaseGeometry:
    """``geom`` with ``fn`` (a list of coordinates -> a new list) applied to each of its coordinate
    sequences (shapely.ops.transform is deprecated in shapely 2.1; shapely.transform is missing in 1.8)."""
    if isinstance(geom, Point):
        return Point(fn(list(geom.coords))[0]) if not geom.is_empty else geom
    if isinstance(geom, MultiPoint):
        return MultiPoint([_map_coords(p, fn) for p in geom.geoms])
    if isinstance(geom, Polygon):
        return Polygon(fn(geom.exterior.coords), [fn(r.coords) for r in geom.interiors])
    if isinstance(geom, LineString):
        return LineString(fn(geom.coords))
    if isinstance(geom, (MultiPolygon, MultiLineString, GeometryCollection)):
        parts = [_map_coords(g, fn) for g in geom.geoms]
        return type(geom)(parts) if not isinstance(geom, GeometryCollection) else GeometryCollection(parts)
    return geom


def normalize_wgs84(geom: BaseGeometry, unwrap: bool = True) -> BaseGeometry:
    """Repair, unwrap and split a lon/lat geometry so it lies within [-180, 180] × [-90, 90].

    ``unwrap=False`` keeps longitudes as given (a bbox's W < E is never a crossing).
    """
    if geom is None or geom.is_empty:
        raise InvalidAOIError("The AOI geometry is empty.")
    if geom.has_z:
        geom = shapely_wkb.loads(shapely_wkb.dumps(geom, output_dimension=2))
    minx, miny, maxx, maxy = geom.bounds
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        raise InvalidAOIError("The AOI has non-finite coordinates.")
    if miny < -90.0 - 1e-9 or maxy > 90.0 + 1e-9:
        raise InvalidAOIError(
            f"The AOI has latitudes outside [-90, 90] ({miny:g}..{maxy:g}): is its CRS right? "
            "Give the AOI's CRS (e.g. --aoi-crs EPSG:3857)."
        )
    if unwrap:
        geom = _unwrap(geom)
    geom = repair(geom)
    return _split_antimeridian(geom)


def _unwrap(geom: BaseGeometry) -> BaseGeometry:
    """Make each ring/line continuous in longitude (no jump > 180° between consecutive vertices)."""

    def coords(seq) -> list[tuple[float, float]]:
        pts = [(float(c[0]), float(c[1])) for c in seq]
        out = [pts[0]]
        offset = 0.0
        for (x0, _), (x1, y1) in zip(pts, pts[1:]):
            delta = x1 - x0
            # a jump of a full 360° is an edge along the whole parallel (a world-wide box), not a crossing
            if 180.0 < delta < 360.0 - 1e-9:
                offset -= 360.0
            elif -360.0 + 1e-9 < delta < -180.0:
                offset += 360.0
            out.append((x1 + offset, y1))
        return out

    if isinstance(geom, Polygon):
        shell = coords(geom.exterior.coords)
        holes = []
        for ring in geom.interiors:
            hole = coords(ring.coords)
            # keep the hole on the same side as the shell
            shift = 360.0 * round((_mean_x(shell) - _mean_x(hole)) / 360.0)
            holes.append([(x + shift, y) for x, y in hole])
        return Polygon(shell, holes)
    if isinstance(geom, MultiPolygon):
        return MultiPolygon([_unwrap(p) for p in geom.geoms])
    if isinstance(geom, (LineString, LinearRing)):
        return LineString(coords(geom.coords))
    if isinstance(geom, MultiLineString):
        return MultiLineString([_unwrap(g) for g in geom.geoms])
    if isinstance(geom, GeometryCollection):
        return GeometryCollection([_unwrap(g) for g in geom.geoms])
    return geom


def _mean_x(pts: list[tuple[float, float]]) -> float:
    return sum(p[0] for p in pts) / len(pts)


def repair(geom: BaseGeometry) -> BaseGeometry:
    """Return ``geom`` valid: invalid polygons are repaired (keeping their areal parts) or refused."""
    if geom.is_valid:
        return geom
    try:
        from shapely import make_valid  # shapely >= 2
    except ImportError:  # pragma: no cover - shapely 1.8
        from shapely.validation import make_valid
    from shapely.validation import explain_validity

    reason = explain_validity(geom)
    fixed = make_valid(geom)
    if isinstance(geom, (Polygon, MultiPolygon)):
        fixed = _polygonal_part(fixed)
    if fixed is None or fixed.is_empty or not fixed.is_valid:
        raise InvalidAOIError(f"The AOI geometry is invalid and cannot be repaired ({reason}).")
    return fixed


def _polygonal_part(geom: BaseGeometry) -> BaseGeometry | None:
    if isinstance(geom, (Polygon, MultiPolygon)):
        return geom if geom.area > 0 else None
    if isinstance(geom, GeometryCollection):
        polys = [g for g in geom.geoms if isinstance(g, (Polygon, MultiPolygon)) and g.area > 0]
        return unary_union(polys) if polys else None
    return None


def _split_antimeridian(geom: BaseGeometry) -> BaseGeometry:
    minx, _, maxx, _ = geom.bounds
    if minx >= -180.0 and maxx <= 180.0:
        return geom
    if maxx - minx > 360.0:
        raise InvalidAOIError(
            f"The AOI spans {maxx - minx:.1f}° of longitude, more than the whole globe: is its CRS right?"
        )
    parts = []
    for shift in (-360.0, 0.0, 360.0):
        window = box(-180.0 + shift, -90.0, 180.0 + shift, 90.0)
        piece = geom.intersection(window)
        if piece.is_empty:
            continue
        if shift:
            piece = translate(piece, xoff=-shift)
        parts.extend(_flatten(piece))
    polys = [p for p in parts if isinstance(p, Polygon) and p.area > 0]
    if polys and len(polys) == len([p for p in parts if not p.is_empty and p.area > 0]):
        return MultiPolygon(polys) if len(polys) > 1 else polys[0]
    # lines or points: keep them as a collection of their own kind where possible
    return unary_union(parts)


def _flatten(geom: BaseGeometry) -> list[BaseGeometry]:
    if hasattr(geom, "geoms"):
        out: list[BaseGeometry] = []
        for g in geom.geoms:
            out.extend(_flatten(g))
        return out
    return [geom]


def is_rectangle(geom: BaseGeometry) -> bool:
    """True when ``geom`` is exactly its own axis-aligned bounding box (so a bbox query is exact)."""
    if not isinstance(geom, Polygon) or geom.interiors:
        return False
    return geom.equals(box(*geom.bounds))


def to_geojson(geom: BaseGeometry) -> dict:
    """A GeoJSON geometry dict with plain lists (JSON-serialisable)."""
    return json.loads(json.dumps(mapping(geom)))
