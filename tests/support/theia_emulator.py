"""An emulator of CNES Theia's distribution service, written from its public API and clients.

What it reproduces (paths under ``/atdistrib``):

- ``POST /services/authenticate/`` with the form fields ``ident`` and ``pass``: the answer is the
  token as plain text (a UUID); wrong credentials get 401. Tokens expire after ``token_lifetime``.
- ``GET /resto2/api/collections/<COLLECTION>/search.json``: resto-style search over SENTINEL2 (L2A
  MAJA), LANDSAT, VENUS and SPOTWORLDHERITAGE with ``box``, ``location`` (tile), ``startDate``,
  ``completionDate``, ``maxRecords`` (at most 500), ``page`` (from 1), ``processingLevel``,
  ``relativeOrbitNumber``, ``platform`` and ``cloudCover`` intervals (``[0,30]``). The answer is a
  GeoJSON FeatureCollection with ``properties.totalResults`` and ``next`` links; each feature has
  ``properties.services.download`` with ``url``, ``size`` and the archive's MD5 as ``checksum``.
- ``GET/HEAD /resto2/collections/<C>/<id>/download/?issuerId=theia`` with ``Authorization: Bearer``:
  the product's zip archive. Missing/expired token: 403 Forbidden. Byte ranges are honoured, but a
  *bounded* range is cut short (half of it sent, then the connection closed) as Theia's real server
  does; open-ended ranges work. ``corrupt(product_id)`` makes the archive served differ from its MD5.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import random
import threading
import uuid
import zipfile
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from .http_emulator import EmulatorHandler, EmulatorServer

PREFIX = "/atdistrib"
AUTH_PATH = f"{PREFIX}/services/authenticate/"
SEARCH_PREFIX = f"{PREFIX}/resto2/api/collections/"
DOWNLOAD_PREFIX = f"{PREFIX}/resto2/collections/"
MAX_RECORDS = 500
DEFAULT_RECORDS = 20

COLLECTIONS = {
    "SENTINEL2": {"platforms": ("SENTINEL2A", "SENTINEL2B"), "level": "LEVEL2A", "instrument": "MSI"},
    "LANDSAT": {"platforms": ("LANDSAT8",), "level": "LEVEL2A", "instrument": "OLI"},
    "VENUS": {"platforms": ("VENUS",), "level": "LEVEL2A", "instrument": "VSSC"},
    "SPOTWORLDHERITAGE": {"platforms": ("SPOT4", "SPOT5"), "level": "LEVEL1C", "instrument": "HRG"},
}


@dataclass
class TheiaProduct:
    """One catalogue entry and the files its archive holds."""

    id: str
    collection: str
    identifier: str
    platform: str
    level: str
    start: dt.datetime
    tile: str
    relative_orbit: int
    cloud_cover: int
    bbox: tuple[float, float, float, float]
    members: dict[str, bytes] = field(repr=False)
    _archive: bytes | None = field(default=None, repr=False)

    @property
    def archive(self) -> bytes:
        if self._archive is None:
            self._archive = build_zip(self.members)
        return self._archive

    @property
    def md5(self) -> str:
        return hashlib.md5(self.archive).hexdigest()

    def feature(self, base_url: str) -> dict[str, Any]:
        w, s, e, n = self.bbox
        info = COLLECTIONS[self.collection]
        stamp = self.start.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return {
            "type": "Feature",
            "id": self.id,
            "geometry": {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]},
            "properties": {
                "collection": self.collection,
                "productIdentifier": self.identifier,
                "title": self.identifier,
                "productType": "REFLECTANCE",
                "processingLevel": self.level,
                "platform": self.platform,
                "instrument": info["instrument"],
                "startDate": stamp,
                "completionDate": stamp,
                "published": stamp,
                "productionDate": stamp,
                "cloudCover": self.cloud_cover,
                "snowCover": 0,
                "waterCover": 1,
                "location": self.tile,
                "relativeOrbitNumber": self.relative_orbit,
                "quicklook": f"{base_url}{PREFIX}/resto2/collections/{self.collection}/{self.id}/quicklook",
                "services": {
                    "download": {
                        "url": f"{base_url}{DOWNLOAD_PREFIX}{self.collection}/{self.id}/download",
                        "mimeType": "application/zip",
                        "size": len(self.archive),
                        "checksum": self.md5,
                    }
                },
            },
        }


def build_zip(members: dict[str, bytes]) -> bytes:
    """A zip archive of ``members`` (deflated, except ``.jpg`` stored as-is, like real products)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            method = zipfile.ZIP_STORED if name.endswith(".jpg") else zipfile.ZIP_DEFLATED
            info = zipfile.ZipInfo(name, date_time=(2023, 6, 14, 10, 58, 56))
            info.compress_type = method
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def _member_bytes(rng: random.Random, size: int) -> bytes:
    """Semi-compressible bytes (like raster data): runs of a few values with random noise."""
    out = bytearray()
    while len(out) < size:
        out += bytes([rng.randrange(256)]) * rng.randrange(1, 16) + rng.randbytes(rng.randrange(1, 8))
    return bytes(out[:size])


def make_product(collection: str, index: int, seed: int = 0, member_size: int = 24_000) -> TheiaProduct:
    """A deterministic product of ``collection`` (numbered ``index``) with a realistic file layout."""
    rng = random.Random(f"{seed}-{collection}-{index}")
    info = COLLECTIONS[collection]
    start = dt.datetime(2023, 6, 1, 10, 58, 56, tzinfo=dt.timezone.utc) + dt.timedelta(days=2 * index)
    tile = ("T31TEJ", "T31TFJ")[index % 2] if collection == "SENTINEL2" else f"SITE{index % 3}"
    platform = info["platforms"][index % len(info["platforms"])]
    identifier = (
        f"{platform}_{start:%Y%m%d-%H%M%S}-{index:03d}_L2A_{tile}_C_V3-1"
        if collection != "SPOTWORLDHERITAGE"
        else f"{platform}-HRG-{start:%Y%m%d}-{index:03d}_{tile}"
    )
    lon0 = 3.0 + (index % 2) * 1.2
    bbox = (lon0, 43.2, lon0 + 1.3, 44.2)
    members: dict[str, bytes] = {}
    for band in ("B2", "B3", "B4", "B8"):
        members[f"{identifier}/{identifier}_FRE_{band}.tif"] = _member_bytes(rng, member_size)
    members[f"{identifier}/{identifier}_QKL_ALL.jpg"] = rng.randbytes(member_size // 4)
    members[f"{identifier}/MASKS/{identifier}_CLM_R1.tif"] = _member_bytes(rng, member_size // 2)
    members[f"{identifier}/{identifier}_MTD_ALL.xml"] = (
        f"<Muscate_Metadata_Document><Product_Id>{identifier}</Product_Id></Muscate_Metadata_Document>\n"
    ).encode()
    return TheiaProduct(
        id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        collection=collection,
        identifier=identifier,
        platform=platform,
        level=info["level"],
        start=start,
        tile=tile,
        relative_orbit=(8, 51, 94)[index % 3],
        cloud_cover=(index * 17) % 101,
        bbox=bbox,
        members=members,
    )


def default_catalogue(counts: dict[str, int] | None = None, seed: int = 0) -> list[TheiaProduct]:
    counts = counts or {"SENTINEL2": 23, "LANDSAT": 4, "VENUS": 3, "SPOTWORLDHERITAGE": 3}
    return [make_product(c, i, seed) for c, n in counts.items() for i in range(n)]


class TheiaEmulator:
    """The emulated service. ``with TheiaEmulator(...) as theia:`` starts it on a loopback port."""

    def __init__(
        self,
        products: list[TheiaProduct] | None = None,
        users: dict[str, str] | None = None,
        token_lifetime: float = 7200.0,
        clock: Any = None,
    ) -> None:
        import time

        self.products = products if products is not None else default_catalogue()
        self.by_id = {p.id: p for p in self.products}
        self.users = users if users is not None else {"theia-user@example.org": "theia-pass"}
        self.token_lifetime = token_lifetime
        self.clock = clock or time.monotonic
        self.tokens: dict[str, float] = {}  # token -> expiry
        self.tokens_issued = 0
        self.login_failures = 0
        self._corrupt: dict[str, int | None] = {}
        #: Products the account may not download (403 with any valid token: no rights, licence).
        self.forbidden: set[str] = set()
        self.lock = threading.Lock()
        self.server = EmulatorServer(_TheiaHandler, self)

    # -- lifecycle --------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """Scheme, host and port; the service root is ``base_url + "/atdistrib"``."""
        return self.server.base_url

    @property
    def root_url(self) -> str:
        return self.base_url + PREFIX

    def __enter__(self) -> TheiaEmulator:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    # -- test controls ----------------------------------------------------------------------------
    def corrupt(self, product_id: str, times: int | None = None) -> None:
        """Serve a damaged archive for ``product_id`` (``times`` full downloads, or always)."""
        with self.lock:
            self._corrupt[product_id] = times

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens = {t: 0.0 for t in self.tokens}

    def full_downloads(self, product_id: str) -> int:
        """How many GETs of the whole archive of ``product_id`` were answered 200."""
        suffix = f"/{product_id}/download"
        return len(
            self.server.requests_matching(
                lambda r: r.method == "GET" and r.path.rstrip("/").endswith(suffix) and r.status == 200
            )
        )

    # -- behaviour --------------------------------------------------------------------------------
    def issue_token(self, ident: str, password: str) -> str | None:
        with self.lock:
            if not ident or self.users.get(ident) != password:
                self.login_failures += 1
                return None
            token = str(uuid.uuid4())
            self.tokens[token] = self.clock() + self.token_lifetime
            self.tokens_issued += 1
            return token

    def token_valid(self, token: str | None) -> bool:
        with self.lock:
            return token is not None and self.tokens.get(token, 0.0) > self.clock()

    def archive_for_download(self, product: TheiaProduct, whole: bool) -> bytes:
        with self.lock:
            if product.id not in self._corrupt:
                return product.archive
            remaining = self._corrupt[product.id]
            if whole and remaining is not None:
                if remaining <= 0:
                    return product.archive
                self._corrupt[product.id] = remaining - 1
        data = bytearray(product.archive)
        middle = len(data) // 2
        data[middle] ^= 0xFF
        return bytes(data)


def _parse_interval(text: str) -> tuple[float, float] | None:
    """resto's numeric interval ``[a,b]`` / ``]a,b[`` / a plain number (an upper bound)."""
    text = text.strip()
    if not text:
        return None
    if text[0] in "[]" and text[-1] in "[]" and "," in text:
        low, high = text[1:-1].split(",", 1)
        return (float(low) if low.strip() else float("-inf"), float(high) if high.strip() else float("inf"))
    return (float("-inf"), float(text))


def _parse_time(text: str, end_of_day: bool) -> dt.datetime:
    text = text.strip().replace("Z", "+00:00")
    if len(text) == 10:
        day = dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone.utc)
        return day + dt.timedelta(days=1, microseconds=-1) if end_of_day else day
    value = dt.datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


class _TheiaHandler(EmulatorHandler):
    server_version = "Apache"

    def do_POST(self) -> None:
        path, _ = self.split()
        if path.rstrip("/") != AUTH_PATH.rstrip("/"):
            self.send_text(404, "Not Found")
            return
        form = self.read_form()
        token = self.emulator.issue_token(form.get("ident", ""), form.get("pass", ""))
        if token is None:
            self.send_text(401, "Authentication failed: wrong identifier or password")
            return
        self.send_text(200, token)

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        path, query = self.split()
        if path.startswith(SEARCH_PREFIX) and path.endswith("/search.json"):
            self._search(path[len(SEARCH_PREFIX) : -len("/search.json")], query)
        elif path.startswith(DOWNLOAD_PREFIX) and path.rstrip("/").endswith("/download"):
            self._download(path[len(DOWNLOAD_PREFIX) :].rstrip("/").split("/"), query)
        else:
            self.send_json(404, {"ErrorCode": 404, "ErrorMessage": "Not Found"})

    def _search(self, collection: str, query: dict[str, list[str]]) -> None:
        if collection not in COLLECTIONS:
            self.send_json(404, {"ErrorCode": 404, "ErrorMessage": f"Collection {collection} not found"})
            return
        q = {k: v[-1] for k, v in query.items()}
        try:
            max_records = int(q.get("maxRecords", DEFAULT_RECORDS))
            page = int(q.get("page", 1))
            matches = [p for p in self.emulator.products if p.collection == collection and _matches(p, q)]
        except ValueError as exc:
            self.send_json(400, {"ErrorCode": 400, "ErrorMessage": f"Invalid parameter: {exc}"})
            return
        if not 1 <= max_records <= MAX_RECORDS or page < 1:
            self.send_json(
                400, {"ErrorCode": 400, "ErrorMessage": "maxRecords must be in [1,500], page >= 1"}
            )
            return
        matches.sort(key=lambda p: p.start, reverse=True)
        first = (page - 1) * max_records
        chunk = matches[first : first + max_records]
        self_url = f"{self.emulator.base_url}{self.path.split('?')[0]}"
        links = [{"rel": "self", "type": "application/json", "href": f"{self_url}?{urlencode(q)}"}]
        if first + max_records < len(matches):
            links.append(
                {
                    "rel": "next",
                    "type": "application/json",
                    "href": f"{self_url}?{urlencode({**q, 'page': page + 1})}",
                }
            )
        if page > 1:
            links.append(
                {
                    "rel": "previous",
                    "type": "application/json",
                    "href": f"{self_url}?{urlencode({**q, 'page': page - 1})}",
                }
            )
        self.send_json(
            200,
            {
                "type": "FeatureCollection",
                "properties": {
                    "id": str(uuid.uuid4()),
                    "totalResults": len(matches),
                    "exactCount": True,
                    "startIndex": first + 1,
                    "itemsPerPage": len(chunk),
                    "query": {"originalFilters": q},
                    "links": links,
                },
                "features": [p.feature(self.emulator.base_url) for p in chunk],
            },
            content_type="application/json; charset=utf-8",
        )

    def _download(self, parts: list[str], query: dict[str, list[str]]) -> None:
        if len(parts) != 3 or parts[0] not in COLLECTIONS or parts[1] not in self.emulator.by_id:
            self.send_json(404, {"ErrorCode": 404, "ErrorMessage": "Not Found"})
            return
        if query.get("issuerId", [""])[-1] != "theia":
            self.send_text(403, "<html><body>Forbidden: issuerId is required</body></html>", "text/html")
            return
        if not self.emulator.token_valid(self.bearer_token()) or parts[1] in self.emulator.forbidden:
            self.send_json(403, {"ErrorCode": 403, "ErrorMessage": "Forbidden"})
            return
        product = self.emulator.by_id[parts[1]]
        whole = self.command == "GET" and not self.headers.get("Range")
        data = self.emulator.archive_for_download(product, whole)
        self.serve_bytes(data, "application/zip", cut_bounded=True)


def _matches(product: TheiaProduct, q: dict[str, str]) -> bool:
    if "identifier" in q and q["identifier"] not in (product.id, product.identifier):
        return False
    if "productIdentifier" in q and q["productIdentifier"] != product.identifier:
        return False
    if "box" in q:
        w, s, e, n = (float(v) for v in q["box"].split(","))
        pw, ps, pe, pn = product.bbox
        if pw > e or pe < w or ps > n or pn < s:
            return False
    if "location" in q and q["location"] != product.tile:
        return False
    if "startDate" in q and product.start < _parse_time(q["startDate"], end_of_day=False):
        return False
    if "completionDate" in q and product.start > _parse_time(q["completionDate"], end_of_day=True):
        return False
    if "processingLevel" in q and q["processingLevel"] != product.level:
        return False
    if "platform" in q and q["platform"] != product.platform:
        return False
    if "relativeOrbitNumber" in q and int(q["relativeOrbitNumber"]) != product.relative_orbit:
        return False
    if "cloudCover" in q:
        interval = _parse_interval(q["cloudCover"])
        if interval and not interval[0] <= product.cloud_cover <= interval[1]:
            return False
    return True
