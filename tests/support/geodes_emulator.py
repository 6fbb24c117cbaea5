"""A GEODES emulator on loopback, built on GEODES's real recorded answers.

Its items are copies of the recorded items under ``tests/fixtures/recorded/geodes/`` (see SOURCE.md there)
with the product-specific values replaced: the same keys, the same ``URN:FEATURE:DATA:gdh:…`` ids, the
same asset keys and ``description`` text (``File size: N bytes\\n\\nIs reference: false\\n\\nIs online: …``),
the same ``context`` and links. It serves:

- ``POST /api/stac/search``: JSON body with ``collections``, ``bbox``, ``ids``, ``query`` (operators
  ``eq``, ``gte``, ``lte``, ``gt``, ``lt``, ``contains``), ``limit`` (1-80, else 400), ``page`` (from 1),
  ``sortBy``; any other key is refused (400), so a misspelt request fails here as it would mislead there.
- ``POST /api/stac/collections``: the recorded collection plus the shipped ones.
- ``POST /fastavailability``: ``{"availability": [{"href", "endpointURL"}]}`` →
  ``{"products": [{"id", "files": [{"checksum", "available"}]}]}``; an offline product becomes available
  after ``offline_checks`` questions.
- ``GET/HEAD /api/download/<urn>/files/<md5>``: the zip, with the ``X-API-Key`` of a known key (else 403),
  honouring ranges (or not: ``ranges=False``; or cutting bounded ones short: ``cut_bounded=True``);
  ``redirect=True`` sends it from a second server on another port instead (the key must not follow), a
  URL (``redirect="http://…"``) from ``<URL>/<identifier>.zip`` (e.g. nginx serving the same archives).
- ``GET /api/quicklook/<urn>/files/<md5>``: a small JPEG-like body.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import io
import json
import random
import threading
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from support.fake_catalog import iso_millis
from support.http_emulator import Emulator, EmulatorHandler, EmulatorServer
from support.zipgen import Member, band_bytes, write_with_zipfile

RECORDED = Path(__file__).resolve().parent.parent / "fixtures" / "recorded" / "geodes"
MAX_LIMIT = 80
SEARCH_KEYS = {"collections", "bbox", "intersects", "ids", "query", "limit", "page", "sortBy"}
OPERATORS = {"eq", "gte", "lte", "gt", "lt", "contains"}


def recorded(name: str) -> Any:
    """One recorded answer (parsed JSON)."""
    return json.loads((RECORDED / name).read_text(encoding="utf-8"))


def _templates() -> dict[str, dict[str, Any]]:
    return {
        "s2": recorded("search_peps_s2_l1c.json")["features"][0],
        "s1": recorded("item_peps_s1_l1.json"),
    }


@dataclass
class GeodesProduct:
    collection: str
    identifier: str
    urn: str
    platform: str
    start: dt.datetime
    end: dt.datetime
    published: dt.datetime
    cloud_cover: float
    tile: str | None
    relative_orbit: int
    bbox: tuple[float, float, float, float]
    members: dict[str, bytes] = field(repr=False)
    online: bool = True
    #: Availability questions answered so far (an offline product becomes available after some).
    checks: int = 0

    @cached_property
    def archive(self) -> bytes:
        buffer = io.BytesIO()
        write_with_zipfile(buffer, [Member(name, data) for name, data in self.members.items()])
        return buffer.getvalue()

    @cached_property
    def md5(self) -> str:
        return hashlib.md5(self.archive).hexdigest()

    @cached_property
    def quicklook(self) -> bytes:
        return b"\xff\xd8\xff\xe0" + self.identifier.encode() + b"\xff\xd9"

    def item(self, base_url: str, template: dict[str, Any]) -> dict[str, Any]:
        """The recorded item with this product's values."""
        item = copy.deepcopy(template)
        w, s, e, n = self.bbox
        ring = [[w, n], [w, s], [e, s], [e, n], [w, n]]
        props = item["properties"]
        item.update(
            id=self.urn,
            bbox=[w, s, e, n],
            geometry={"coordinates": [ring], "type": "Polygon"},
            centroid={"lon": (w + e) / 2, "lat": (s + n) / 2},
            collection=self.collection,
        )
        props.update(
            {
                "identifier": self.identifier,
                "dataset": self.collection,
                "platform": self.platform,
                "start_datetime": iso_millis(self.start),
                "end_datetime": iso_millis(self.end),
                "datetime": iso_millis(self.published),
                "eo:cloud_cover": self.cloud_cover,
                "sat:relative_orbit": self.relative_orbit,
                "endpoint_url": f"https://s3.datalake.cnes.fr/{self.collection.lower()}/{self.identifier}.zip",
            }
        )
        if self.tile is not None:
            props["grid:code"] = self.tile
        stac = f"{base_url}/api/stac"
        item["links"] = [
            {**link, "href": _link_href(link, stac, self.collection, self.urn)} for link in item["links"]
        ]
        ql_md5 = hashlib.md5(self.quicklook).hexdigest()
        ql_key, data_key = list(template["assets"])  # recorded order: quicklook, then the zip
        ql, data = template["assets"][ql_key], template["assets"][data_key]
        ql_name = f"{self.start:%Y/%m/%d}/{self.platform}/{self.identifier}_quicklook.jpg"
        item["assets"] = {
            ql_name: {
                **ql,
                "href": f"{base_url}/api/quicklook/{self.urn}/files/{ql_md5}?scope=gdh",
                "title": ql_name,
                "description": _description(len(self.quicklook), True, "QUICKLOOK_SD", ql_md5),
            },
            f"{self.identifier}.zip": {
                **data,
                "href": f"{base_url}/api/download/{self.urn}/files/{self.md5}",
                "title": f"{self.identifier}.zip",
                "description": _description(len(self.archive), self.online, "RAWDATA", self.md5),
            },
        }
        return item


def _description(size: int, online: bool, datatype: str, md5: str) -> str:
    """The asset description exactly as GEODES writes it (see the recordings)."""
    return (
        f"File size: {size} bytes\n\nIs reference: false\n\nIs online: {'true' if online else 'false'}"
        f"\n\nDatatype: {datatype}\n\nChecksum MD5: {md5}"
    )


def _link_href(link: dict[str, Any], stac: str, collection: str, urn: str) -> str:
    rel = link.get("rel")
    if rel == "root":
        return stac
    if rel == "collection":
        return f"{stac}/collections/{collection}"
    if rel == "self":
        return f"{stac}/collections/{collection}/items/{urn}"
    return link["href"]


def make_product(collection: str, index: int, seed: int = 0, member_size: int = 24_000) -> GeodesProduct:
    """A deterministic product of ``collection`` numbered ``index``, laid out like the real products."""
    rng = random.Random(f"{seed}-{collection}-{index}")
    start = dt.datetime(2025, 6, 1, 10, 58, 56, 24_000, tzinfo=dt.timezone.utc) + dt.timedelta(days=2 * index)
    end = start + dt.timedelta(seconds=0 if "S2" in collection or "SENTINEL2" in collection else 29)
    published = start + dt.timedelta(hours=15, minutes=2, seconds=rng.randrange(60))
    sentinel1 = collection.startswith("PEPS_S1")
    platform = ("S1A", "S1C")[index % 2] if sentinel1 else ("S2A", "S2B")[index % 2]
    tile = None if sentinel1 else ("T31TCJ", "T31TDJ")[index % 2]
    if collection.startswith("THEIA_"):
        name = f"SENTINEL2{platform[-1]}_{start:%Y%m%d-%H%M%S}-{index:03d}_L2A_{tile}_C_V4-1"
    elif sentinel1:
        name = f"{platform}_IW_GRDH_1SDV_{start:%Y%m%dT%H%M%S}_{end:%Y%m%dT%H%M%S}_{index:06d}_00AF3C_C5D6"
    else:
        orbit = f"R{51 + index % 3:03d}"
        name = f"{platform}_MSIL1C_{start:%Y%m%dT%H%M%S}_N0511_{orbit}_{tile}_{published:%Y%m%dT%H%M%S}"
    lon0 = 0.5 + (index % 2) * 1.2
    members: dict[str, bytes] = {}
    for band in ("B2", "B3", "B4", "B8"):
        members[f"{name}/{name}_FRE_{band}.tif"] = band_bytes(rng.randrange(1 << 30), member_size)
    members[f"{name}/MASKS/{name}_CLM_R1.tif"] = band_bytes(rng.randrange(1 << 30), member_size // 2)
    members[f"{name}/{name}_MTD_ALL.xml"] = f"<Metadata><Product_Id>{name}</Product_Id></Metadata>\n".encode()
    return GeodesProduct(
        collection=collection,
        identifier=name,
        urn=f"URN:FEATURE:DATA:gdh:{rng.getrandbits(128):032x}:V1",
        platform=platform,
        start=start,
        end=end,
        published=published,
        cloud_cover=round((index * 17) % 101 + rng.random(), 6),
        tile=tile,
        relative_orbit=(8, 51, 94)[index % 3],
        bbox=(lon0, 43.2, lon0 + 1.3, 44.2),
        members=members,
    )


def default_catalogue(counts: dict[str, int] | None = None, seed: int = 0) -> list[GeodesProduct]:
    counts = counts or {"THEIA_REFLECTANCE_SENTINEL2_L2A": 23, "PEPS_S2_L1C": 4, "PEPS_S1_L1": 3}
    return [make_product(c, i, seed) for c, n in counts.items() for i in range(n)]


class GeodesEmulator(Emulator):
    """The GEODES services on two loopback servers (the second one receives redirected downloads)."""

    def __init__(
        self,
        products: list[GeodesProduct],
        api_keys: tuple[str, ...] = (),
        *,
        ranges: bool = True,
        cut_bounded: bool = False,
        redirect: bool | str = False,
        offline_checks: int = 2,
        availability: bool = True,
    ) -> None:
        self.products = products
        self.api_keys = set(api_keys)
        self.ranges = ranges
        self.cut_bounded = cut_bounded
        self.redirect = redirect
        self.offline_checks = offline_checks
        #: False: no /fastavailability (404), as on a mirror that has none.
        self.availability = availability
        self.templates = _templates()
        self.lock = threading.Lock()
        #: (server, method, path, X-API-Key or None) of every download / availability request.
        self.key_log: list[tuple[str, str, str, str | None]] = []
        #: JSON bodies of the searches, in order.
        self.search_bodies: list[dict[str, Any]] = []
        self._corrupt: dict[str, int] = {}
        self.server = EmulatorServer(_GeodesHandler, self)
        self.data_server = EmulatorServer(_GeodesHandler, self)
        self.servers = [self.server, self.data_server]

    @property
    def root_url(self) -> str:
        """What the provider's ``url`` option takes (the STAC API root)."""
        return f"{self.base_url}/api/stac"

    def product(self, key: str) -> GeodesProduct | None:
        return next((p for p in self.products if key in (p.urn, p.identifier)), None)

    def item(self, product: GeodesProduct) -> dict[str, Any]:
        template = self.templates["s1" if product.collection.startswith("PEPS_S1") else "s2"]
        return product.item(self.base_url, template)

    def corrupt(self, urn: str, times: int) -> None:
        """Serve the next ``times`` whole downloads of ``urn`` with one byte changed."""
        with self.lock:
            self._corrupt[urn] = times

    def available(self, product: GeodesProduct, ask: bool) -> bool:
        with self.lock:
            if ask and not product.online:
                product.checks += 1
            return product.online or product.checks >= self.offline_checks

    def body_for(self, product: GeodesProduct, ranged: bool) -> bytes:
        with self.lock:
            left = self._corrupt.get(product.urn, 0)
            if ranged or not left:
                return product.archive
            self._corrupt[product.urn] = left - 1
        data = bytearray(product.archive)
        data[len(data) // 2] ^= 0xFF
        return bytes(data)


def search(emulator: GeodesEmulator, body: Any) -> tuple[int, dict[str, Any]]:
    """The answer (status, JSON) of ``POST /api/stac/search`` to ``body``."""
    if not isinstance(body, dict) or set(body) - SEARCH_KEYS:
        return 400, {
            "code": "InvalidParameterValue",
            "description": f"unknown keys {sorted(set(body) - SEARCH_KEYS)}",
        }
    limit, page = body.get("limit", 20), body.get("page", 1)
    if not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT or not isinstance(page, int) or page < 1:
        return 400, {"code": "InvalidParameterValue", "description": "limit must be 1..80, page >= 1"}
    items = [emulator.item(p) for p in emulator.products]
    try:
        hits = [i for i in items if _matches(i, body)]
    except (TypeError, ValueError) as exc:
        return 400, {"code": "InvalidParameterValue", "description": str(exc)}
    hits.sort(key=lambda i: (i["properties"]["start_datetime"], i["id"]))
    chunk = hits[(page - 1) * limit : page * limit]
    stac = emulator.root_url
    links = [{"href": f"{stac}/search?limit={limit}&page={page}", "rel": "self", "type": "application/json"}]
    if page * limit < len(hits):
        links.append(
            {
                "href": f"{stac}/search?limit={limit}&page={page + 1}",
                "rel": "next",
                "type": "application/json",
            }
        )
    recorded_answer = recorded("search_peps_s2_l1c.json")
    answer = {k: v for k, v in recorded_answer.items() if k not in ("features", "links", "context")}
    answer.update(
        features=chunk, links=links, context={"returned": len(chunk), "limit": limit, "matched": len(hits)}
    )
    return 200, answer


def _matches(item: dict[str, Any], body: dict[str, Any]) -> bool:
    if body.get("collections") and item["collection"] not in body["collections"]:
        return False
    if body.get("ids") and item["id"] not in body["ids"]:
        return False
    if body.get("bbox"):
        w, s, e, n = (float(v) for v in body["bbox"])
        iw, is_, ie, in_ = item["bbox"]
        if iw > e or ie < w or is_ > n or in_ < s:
            return False
    for name, condition in (body.get("query") or {}).items():
        if not isinstance(condition, dict) or set(condition) - OPERATORS:
            raise ValueError(f"bad condition on {name}: {condition!r}")
        value = item["properties"].get(name)
        for op, wanted in condition.items():
            if not _compare(name, value, op, wanted):
                return False
    return True


def _compare(name: str, value: Any, op: str, wanted: Any) -> bool:
    if value is None:
        return False
    if op == "contains":
        return str(wanted) in value if isinstance(value, str) else wanted in value
    if name.endswith("datetime"):
        value, wanted = _parse(value), _parse(wanted)
    if op == "eq":
        return value == wanted
    return {"gte": value >= wanted, "lte": value <= wanted, "gt": value > wanted, "lt": value < wanted}[op]


def _parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))


class _GeodesHandler(EmulatorHandler):
    def _json_body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            return json.loads(self.rfile.read(length) or b"null")
        except ValueError:
            return None

    def _log_key(self, path: str) -> None:
        which = "data" if self.server is self.emulator.data_server else "api"
        with self.emulator.lock:
            self.emulator.key_log.append((which, self.command, path, self.headers.get("X-API-Key")))

    def do_POST(self) -> None:
        path, _query = self.split()
        emulator: GeodesEmulator = self.emulator
        body = self._json_body()
        if path == "/api/stac/search":
            with emulator.lock:
                emulator.search_bodies.append(body)
            self.send_json(*search(emulator, body), content_type="application/geo+json")
        elif path == "/api/stac/collections":
            collections = [recorded("collection_peps_s1_l1.json")]
            self.send_json(200, {"collections": collections, "links": [], "context": {"returned": 1}})
        elif path == "/fastavailability" and emulator.availability:
            self._log_key(path)
            self._availability(body)
        else:
            self.send_json(404, {"code": "NotFound"})

    def _availability(self, body: Any) -> None:
        entries = body.get("availability") if isinstance(body, dict) else None
        if not isinstance(entries, list):
            self.send_json(
                400, {"code": "InvalidParameterValue", "description": "availability list expected"}
            )
            return
        products = []
        for entry in entries:
            href = entry.get("href", "") if isinstance(entry, dict) else ""
            product = next((p for p in self.emulator.products if p.urn in href), None)
            if product is None or "endpointURL" not in entry:
                continue
            ready = self.emulator.available(product, ask=True)
            ql_md5 = hashlib.md5(product.quicklook).hexdigest()
            files = [{"checksum": ql_md5, "available": True}, {"checksum": product.md5, "available": ready}]
            products.append({"id": product.urn, "files": files})
        self.send_json(200, {"products": products})

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        path, _query = self.split()
        emulator: GeodesEmulator = self.emulator
        parts = path.strip("/").split("/")
        if self.server is emulator.data_server:
            self._log_key(path)
            product = emulator.product(parts[-1].removesuffix(".zip"))
            if product is None:
                self.send_json(404, {"code": "NotFound"})
            else:
                self._serve_archive(product)
            return
        if len(parts) == 5 and parts[:2] == ["api", "quicklook"] and parts[3] == "files":
            product = emulator.product(parts[2])
            if product is None:
                self.send_json(404, {"code": "NotFound"})
            else:
                self.send_body(200, product.quicklook, "image/jpeg")
            return
        if len(parts) == 5 and parts[:2] == ["api", "download"] and parts[3] == "files":
            self._log_key(path)
            product = emulator.product(parts[2])
            if self.headers.get("X-API-Key") not in emulator.api_keys:
                self.send_json(403, {"code": "Forbidden", "description": "invalid or missing API key"})
            elif product is None or parts[4] != product.md5:
                self.send_json(404, {"code": "NotFound"})
            elif not emulator.available(product, ask=False):
                self.send_json(409, {"code": "NotAvailable", "description": "file is not online yet"})
            elif emulator.redirect:
                base = (
                    emulator.redirect if isinstance(emulator.redirect, str) else emulator.data_server.base_url
                )
                location = f"{base}/{product.identifier}.zip"
                self.send_body(302, b"", "text/plain", {"Location": location})
            else:
                self._serve_archive(product)
            return
        self.send_json(404, {"code": "NotFound"})

    def _serve_archive(self, product: GeodesProduct) -> None:
        emulator: GeodesEmulator = self.emulator
        ranged = bool(self.headers.get("Range")) and emulator.ranges
        data = emulator.body_for(product, ranged)
        if not emulator.ranges:
            self.send_body(200, data, "application/zip")
        else:
            self.serve_bytes(data, "application/zip", cut_bounded=emulator.cut_bounded)
