"""An emulator of NASA's CMR granule search (``/search/granules.umm_json`` and ``.json``).

Written from the public CMR Search API documentation: parameters ``short_name``, ``version``,
``concept_id`` (collection or granule), ``provider``, ``granule_ur``, ``bounding_box`` (W,S,E,N,
W > E crossing the antimeridian), ``polygon`` (lon,lat pairs, counter-clockwise, closed), ``temporal``
(``start,end``, either side open, overlap semantics), ``cloud_cover`` (``min,max``; granules without a
cloud cover never match), ``page_size`` (0..2000, default 10), ``sort_key``; several spatial values
are ANDed unless ``options[spatial][or]=true``. Deep paging uses the ``CMR-Search-After`` header: each
non-empty page answers with one, which the client sends back to get the next page; an empty page ends.
``CMR-Hits`` carries the total. Errors answer ``{"errors": [...]}`` with status 400. Unknown parameters
are refused as CMR does. The granule files live on the Earthdata data host (see
``earthdata_emulator``), whose base URL is given at construction.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlsplit

from shapely.geometry import Polygon, box
from shapely.ops import unary_union

from .fake_catalog import iso_millis, send_json, square, synthetic_bytes
from .http_emulator import Emulator, EmulatorHandler, EmulatorServer

MAX_PAGE_SIZE = 2000


@dataclass(frozen=True)
class CmrCollection:
    short_name: str
    version: str
    concept_id: str
    provider_id: str
    platforms: tuple[str, ...]
    instrument: str


COLLECTIONS: tuple[CmrCollection, ...] = (
    CmrCollection("HLSL30", "2.0", "C2021957657-LPCLOUD", "LPCLOUD", ("LANDSAT-8", "LANDSAT-9"), "OLI"),
    CmrCollection("HLSS30", "2.0", "C2021957295-LPCLOUD", "LPCLOUD", ("Sentinel-2A", "Sentinel-2B"), "MSI"),
    CmrCollection("MOD09GA", "061", "C1621091662-LPCLOUD", "LPCLOUD", ("Terra",), "MODIS"),
)


@dataclass
class Granule:
    concept_id: str
    granule_ur: str
    collection: CmrCollection
    platform: str
    begin: datetime
    end: datetime
    ring: list[list[float]]
    cloud_cover: float | None
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def polygon(self) -> Polygon:
        return Polygon(self.ring)


def make_granules(count: int = 45, seed: int = 11, file_size: int = 48 * 1024) -> list[Granule]:
    """A deterministic synthetic catalog spread over Europe, January–March 2021."""
    rng = random.Random(seed)
    start = datetime(2021, 1, 1, tzinfo=timezone.utc)
    out = []
    for i in range(count):
        coll = COLLECTIONS[i % len(COLLECTIONS)]
        lon = -10 + (i * 7.3) % 30
        lat = 36 + (i * 3.1) % 18
        begin = start + timedelta(
            days=rng.randint(0, 89), hours=rng.randint(0, 23), minutes=rng.randint(0, 59)
        )
        cloud = None if i % 17 == 5 else round(rng.uniform(0, 100), 1)
        ur = (
            f"HLS.{coll.short_name[-3:]}.T{30 + i % 3}T{'ABC'[i % 3]}{i:03d}.{begin:%Y%j}T{begin:%H%M%S}.v2.0"
        )
        if coll.short_name == "MOD09GA":
            ur = f"MOD09GA.A{begin:%Y%j}.h{17 + i % 3:02d}v{4 + i % 2:02d}.061.{i:013d}"
        granule = Granule(
            concept_id=f"G{2100000000 + i}-{coll.provider_id}",
            granule_ur=ur,
            collection=coll,
            platform=coll.platforms[i % len(coll.platforms)],
            begin=begin,
            end=begin + timedelta(seconds=30),
            ring=square(round(lon, 3), round(lat, 3), 0.5),
            cloud_cover=cloud,
        )
        name = f"{ur}.B04.tif" if coll.short_name != "MOD09GA" else f"{ur}.hdf"
        granule.files[name] = synthetic_bytes(name, file_size + i * 97)
        out.append(granule)
    return out


class CmrError(ValueError):
    pass


def _parse_time(text: str) -> datetime:
    text = text.strip()
    if len(text) == 10:
        return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def _floats(text: str, what: str) -> list[float]:
    try:
        return [float(v) for v in text.split(",")]
    except ValueError:
        raise CmrError(f"[{text}] is not a valid {what}") from None


def _bbox_geom(text: str):
    values = _floats(text, "bounding_box")
    if len(values) != 4:
        raise CmrError(f"[{text}] is not a valid bounding_box: W,S,E,N expected")
    west, south, east, north = values
    if south > north:
        raise CmrError(f"bounding_box [{text}]: north must be greater than south")
    if west > east:  # crosses the antimeridian
        return unary_union([box(west, south, 180, north), box(-180, south, east, north)])
    return box(west, south, east, north)


def _polygon_geom(text: str) -> Polygon:
    values = _floats(text, "polygon")
    if len(values) % 2 or len(values) < 8:
        raise CmrError("Polygons must contain at least 4 points (closed ring of lon,lat pairs)")
    points = list(zip(values[0::2], values[1::2]))
    if points[0] != points[-1]:
        raise CmrError("Polygon boundary must be closed: first and last points differ")
    poly = Polygon(points)
    if not poly.exterior.is_ccw:
        raise CmrError("The polygon boundary points are listed in the incorrect (clockwise) order")
    if not poly.is_valid:
        raise CmrError("The polygon is invalid (self-intersecting)")
    return poly


def _range(text: str, what: str) -> tuple[float | None, float | None]:
    low, _, high = text.partition(",")
    try:
        return (float(low) if low.strip() else None, float(high) if high.strip() else None)
    except ValueError:
        raise CmrError(f"[{text}] is not a valid {what} range") from None


_KNOWN = {
    "short_name",
    "version",
    "concept_id",
    "provider",
    "granule_ur",
    "bounding_box",
    "polygon",
    "temporal",
    "cloud_cover",
    "page_size",
    "sort_key",
}


class CmrEmulator(Emulator):
    """CMR granule search on loopback; ``url`` is the CMR root (``…/search/…`` below it)."""

    def __init__(self, data_base_url: str, granules: list[Granule] | None = None) -> None:
        self.data_base_url = data_base_url.rstrip("/")
        self.granules = granules if granules is not None else make_granules()
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        self.server = EmulatorServer(_CmrHandler, self)
        self.servers = [self.server]

    def file_path(self, granule: Granule, name: str) -> str:
        coll = granule.collection
        return f"/lp-prod-protected/{coll.short_name}.{coll.version}/{granule.granule_ur}/{name}"

    def browse_path(self, granule: Granule) -> str:
        return f"/lp-prod-public/{granule.collection.short_name}/{granule.granule_ur}.jpg"

    def data_files(self) -> dict[str, bytes]:
        """Every granule file keyed by its path on the data host (to load into the data host)."""
        out = {}
        for g in self.granules:
            for name, data in g.files.items():
                out[self.file_path(g, name)] = data
            out[self.browse_path(g)] = synthetic_bytes(g.granule_ur + ".jpg", 512)
        return out

    # -- search -----------------------------------------------------------------------------------
    def search(self, pairs: list[tuple[str, str]]) -> list[Granule]:
        params: dict[str, list[str]] = {}
        spatial_or = False
        for key, value in pairs:
            key = key[:-2] if key.endswith("[]") else key
            if key.startswith("options["):
                if key == "options[spatial][or]":
                    spatial_or = value.lower() == "true"
                continue
            if key not in _KNOWN:
                raise CmrError(f"Parameter [{key}] was not recognized.")
            params.setdefault(key, []).append(value)
        result = list(self.granules)
        if "short_name" in params:
            names = set(params["short_name"])
            result = [g for g in result if g.collection.short_name in names]
        if "version" in params:
            result = [g for g in result if g.collection.version in params["version"]]
        if "provider" in params:
            result = [g for g in result if g.collection.provider_id in params["provider"]]
        if "granule_ur" in params:
            result = [g for g in result if g.granule_ur in params["granule_ur"]]
        if "concept_id" in params:
            ids = set(params["concept_id"])
            result = [g for g in result if g.concept_id in ids or g.collection.concept_id in ids]
        spatial = [_bbox_geom(v) for v in params.get("bounding_box", [])]
        spatial += [_polygon_geom(v) for v in params.get("polygon", [])]
        if spatial:
            combine = any if spatial_or else all
            result = [g for g in result if combine(geom.intersects(g.polygon) for geom in spatial)]
        for value in params.get("temporal", []):
            low, _, high = value.partition(",")
            try:
                t0 = _parse_time(low) if low.strip() else None
                t1 = _parse_time(high) if high.strip() else None
            except ValueError:
                raise CmrError(f"temporal datetime is invalid: [{value}]") from None
            result = [g for g in result if (t0 is None or g.end >= t0) and (t1 is None or g.begin <= t1)]
        for value in params.get("cloud_cover", []):
            low, high = _range(value, "cloud_cover")
            result = [
                g
                for g in result
                if g.cloud_cover is not None
                and (low is None or g.cloud_cover >= low)
                and (high is None or g.cloud_cover <= high)
            ]
        sort_key = (params.get("sort_key") or [""])[0]
        if sort_key.lstrip("+-") == "start_date":
            result.sort(key=lambda g: (g.begin, g.concept_id), reverse=sort_key.startswith("-"))
        else:
            result.sort(key=lambda g: g.concept_id)
        return result

    # -- documents --------------------------------------------------------------------------------
    def umm_item(self, g: Granule) -> dict:
        coll = g.collection
        urls = [{"URL": self.data_base_url + self.file_path(g, name), "Type": "GET DATA"} for name in g.files]
        urls.append(
            {
                "URL": f"s3://lp-prod-protected/{coll.short_name}.{coll.version}/{g.granule_ur}/",
                "Type": "GET DATA VIA DIRECT ACCESS",
            }
        )
        urls.append({"URL": self.data_base_url + self.browse_path(g), "Type": "GET RELATED VISUALIZATION"})
        umm = {
            "GranuleUR": g.granule_ur,
            "CollectionReference": {"ShortName": coll.short_name, "Version": coll.version},
            "TemporalExtent": {
                "RangeDateTime": {
                    "BeginningDateTime": iso_millis(g.begin),
                    "EndingDateTime": iso_millis(g.end),
                }
            },
            "SpatialExtent": {
                "HorizontalSpatialDomain": {
                    "Geometry": {
                        "GPolygons": [
                            {"Boundary": {"Points": [{"Longitude": x, "Latitude": y} for x, y in g.ring]}}
                        ]
                    }
                }
            },
            "Platforms": [{"ShortName": g.platform, "Instruments": [{"ShortName": coll.instrument}]}],
            "DataGranule": {
                "DayNightFlag": "Day",
                "ProductionDateTime": iso_millis(g.begin + timedelta(days=2)),
                "ArchiveAndDistributionInformation": [
                    {
                        "Name": name,
                        "SizeInBytes": len(data),
                        "Checksum": {"Value": hashlib.md5(data).hexdigest(), "Algorithm": "MD5"},
                    }
                    for name, data in g.files.items()
                ],
            },
            "RelatedUrls": urls,
        }
        if g.cloud_cover is not None:
            umm["CloudCover"] = g.cloud_cover
        meta = {
            "concept-type": "granule",
            "concept-id": g.concept_id,
            "revision-id": 1,
            "native-id": g.granule_ur,
            "provider-id": coll.provider_id,
            "format": "application/vnd.nasa.cmr.umm+json",
            "revision-date": iso_millis(g.begin + timedelta(days=3)),
            "collection-concept-id": coll.concept_id,
        }
        return {"meta": meta, "umm": umm}

    def json_entry(self, g: Granule) -> dict:
        ring = " ".join(f"{y} {x}" for x, y in g.ring)
        entry = {
            "id": g.concept_id,
            "title": g.granule_ur,
            "producer_granule_id": g.granule_ur,
            "collection_concept_id": g.collection.concept_id,
            "dataset_id": f"{g.collection.short_name} v{g.collection.version}",
            "time_start": iso_millis(g.begin),
            "time_end": iso_millis(g.end),
            "polygons": [[ring]],
            "data_center": g.collection.provider_id,
            "links": [
                {
                    "href": self.data_base_url + self.file_path(g, name),
                    "rel": "http://esipfed.org/ns/fedsearch/1.1/data#",
                }
                for name in g.files
            ],
        }
        if g.cloud_cover is not None:
            entry["cloud_cover"] = str(g.cloud_cover)
        return entry


def _token(g: Granule) -> str:
    return json.dumps([g.collection.provider_id.lower(), int(g.begin.timestamp() * 1000), g.concept_id])


class _CmrHandler(EmulatorHandler):
    def do_GET(self) -> None:
        self._search(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))

    def do_POST(self) -> None:
        # CMR accepts the same parameters form-encoded in a POST body.
        length = min(int(self.headers.get("Content-Length") or 0), 1 << 20)
        body = self.rfile.read(length).decode("utf-8") if length else ""
        pairs = parse_qsl(urlsplit(self.path).query, keep_blank_values=True)
        self._search(pairs + parse_qsl(body, keep_blank_values=True))

    def _search(self, pairs: list[tuple[str, str]]) -> None:
        emu: CmrEmulator = self.emulator
        path = urlsplit(self.path).path
        if path not in ("/search/granules.umm_json", "/search/granules.json"):
            send_json(self, 404, {"errors": [f"The requested resource [{path}] was not found."]})
            return
        after = self.headers.get("CMR-Search-After")
        with emu._lock:
            emu.requests.append({"path": path, "params": pairs, "headers": dict(self.headers.items())})
        try:
            page_size = 10
            for key, value in pairs:
                if key == "page_size":
                    page_size = int(value) if value.isdigit() else -1
                if key == "page_num" and after:
                    raise CmrError("page_num is not allowed together with the CMR-Search-After header")
            if not 0 <= page_size <= MAX_PAGE_SIZE:
                raise CmrError(f"page_size must be a number between 0 and {MAX_PAGE_SIZE}")
            pairs = [(k, v) for k, v in pairs if k != "page_size"]
            matches = emu.search(pairs)
            start = 0
            if after:
                tokens = [_token(g) for g in matches]
                try:
                    json.loads(after)
                    start = tokens.index(after) + 1
                except ValueError:
                    raise CmrError(f"The search-after value [{after}] is invalid for this query.") from None
        except CmrError as exc:
            send_json(self, 400, {"errors": [str(exc)]})
            return
        page = matches[start : start + page_size]
        headers = {
            "CMR-Hits": str(len(matches)),
            "CMR-Took": "3",
            "CMR-Request-Id": f"req-{len(emu.requests)}",
        }
        if page:
            headers["CMR-Search-After"] = _token(page[-1])
        if path.endswith(".umm_json"):
            body = {"hits": len(matches), "took": 3, "items": [emu.umm_item(g) for g in page]}
        else:
            body = {
                "feed": {
                    "updated": iso_millis(datetime.now(timezone.utc)),
                    "entry": [emu.json_entry(g) for g in page],
                }
            }
        send_json(self, 200, body, headers)
