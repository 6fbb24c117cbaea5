"""An emulator of VITO's Terrascope catalogue, download service and OpenID token endpoint.

Written from Terrascope's public OpenSearch catalogue documentation and its reference client
(terracatalogueclient). Two loopback servers, as the real services live on two hosts:

*services* (``base_url``)
  - ``GET /catalogue/products?collection=urn:eop:VITO:…&bbox=w,s,e,n&start=…&end=…&cloudCover=[0,30]
    &startIndex=1&count=…&accessedFrom=HTTP|MEP``: a GeoJSON FeatureCollection with ``totalResults``,
    ``startIndex``, ``itemsPerPage`` and ``properties.links`` {self, first, previous, next, last}.
    Each feature's ``properties.links`` holds ``data``, ``related``, ``previews`` and ``alternates``
    lists of {href, title, type, length, category}. With ``accessedFrom=MEP`` the hrefs are local
    ``file://`` paths (under ``mep_root``) instead of download URLs.
  - ``GET /catalogue/collections``: the collections.
  - ``GET/HEAD /download/<path>``: the file, with byte-range support, for a valid Bearer access token
    or Basic credentials; without credentials a 302 to the SSO login page (as the real service), with
    an expired/unknown token 401.
  - A per-client rate limiter (sliding windows, 80 requests / 10 s and 200 / 60 s by default) that
    answers 429 with ``Retry-After`` and counts every refusal in ``refused``.

*sso* (``sso_url``)
  - ``POST /auth/realms/terrascope/protocol/openid-connect/token``: Keycloak's password and
    refresh_token grants. Access tokens live ``access_lifetime`` seconds (300 on the real service,
    shortened in tests), refresh tokens ``refresh_lifetime``. Bad credentials: 401 ``invalid_grant``.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import random
import secrets
import shutil
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlencode

from .geotiff import tiny_geotiff
from .http_emulator import Emulator, EmulatorHandler, EmulatorServer, spoil

TOKEN_PATH = "/auth/realms/terrascope/protocol/openid-connect/token"
LOGIN_PATH = "/auth/realms/terrascope/protocol/openid-connect/auth"
DEFAULT_CLIENT_ID = "terracatalogueclient"
DEFAULT_COUNT = 100
MAX_COUNT = 1000
NDVI = "urn:eop:VITO:TERRASCOPE_S2_NDVI_V2"
FAPAR = "urn:eop:VITO:TERRASCOPE_S2_FAPAR_V2"
RASTER = (32, 16)  # width, height of the emulated bands


@dataclass
class TerrascopeFile:
    """One product file: where it lives (``path`` under /download and under the MEP root) and its bytes."""

    kind: str  # data | related | previews | alternates
    path: str
    content: bytes = field(repr=False)
    title: str | None
    media_type: str
    category: str | None = None


@dataclass
class TerrascopeProduct:
    id: str
    title: str
    collection: str
    start: dt.datetime
    tile: str
    cloud_cover: float
    bbox: tuple[float, float, float, float]
    platform: str
    files: list[TerrascopeFile]
    on_mep: bool = True

    def feature(self, base_url: str, mep_root: Path | None) -> dict[str, Any]:
        w, s, e, n = self.bbox
        stamp = self.start.strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"
        links: dict[str, list[dict[str, Any]]] = {}
        for f in self.files:
            href = (mep_root / f.path).as_uri() if mep_root is not None else f"{base_url}/download/{f.path}"
            link = {"href": href, "type": f.media_type, "title": f.title, "length": len(f.content)}
            if f.category:
                link["category"] = f.category
            links.setdefault(f.kind, []).append(link)
        return {
            "type": "Feature",
            "id": self.id,
            "bbox": [w, s, e, n],
            "geometry": {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]},
            "properties": {
                "identifier": self.id,
                "title": self.title,
                "date": stamp,
                "updated": stamp,
                "available": stamp,
                "parentIdentifier": self.collection,
                "status": "ARCHIVED",
                "productInformation": {
                    "productType": self.collection.rsplit("_", 2)[-2],
                    "availabilityTime": stamp,
                    "cloudCover": self.cloud_cover,
                },
                # Split over two entries, as the real catalogue answers (recorded answer:
                # tests/fixtures/recorded/terrascope/oscars_products_split_acquisition.json).
                "acquisitionInformation": [
                    {
                        "platform": {
                            "platformShortName": "SENTINEL-2",
                            "platformSerialIdentifier": self.platform,
                        },
                        "instrument": {"instrumentShortName": "MSI", "sensorType": "OPTICAL"},
                    },
                    {
                        "acquisitionParameters": {
                            "acquisitionType": "NOMINAL",
                            "beginningDateTime": stamp,
                            "endingDateTime": stamp,
                            "tileId": self.tile,
                        },
                    },
                ],
                "links": links,
            },
        }


def band_pixels(seed: str) -> bytes:
    rng = random.Random(seed)
    width, height = RASTER
    return bytes(rng.randrange(256) for _ in range(width * height))


def make_product(collection: str, index: int, files_per_product: int = 1) -> TerrascopeProduct:
    """A deterministic product: ``files_per_product`` data bands, a related mask, a preview, metadata."""
    start = dt.datetime(2023, 6, 1, 10, 50, 31, tzinfo=dt.timezone.utc) + dt.timedelta(days=index)
    tile = ("31UFS", "31UES")[index % 2]
    platform = ("S2A", "S2B")[index % 2]
    kind = collection.rsplit("_", 2)[-2]
    title = f"{platform}_{start:%Y%m%dT%H%M%S}_{tile}_{kind}_10M_V210"
    w = 3.0 + (index % 2) * 1.4
    bbox = (w, 50.4, w + 1.5, 51.4)
    folder = f"Sentinel2/{kind}_V2/{start:%Y/%m/%d}/{title}"
    files: list[TerrascopeFile] = []
    for band in range(files_per_product):
        name = f"{title}.tif" if band == 0 else f"{title}_B{band:02d}.tif"
        tif = tiny_geotiff(band_pixels(f"{title}-{band}"), *RASTER, bbox)
        files.append(
            TerrascopeFile(
                "data",
                f"{folder}/{name}",
                tif,
                f"{kind}_10M" + (f"_B{band:02d}" if band else ""),
                "image/tiff",
            )
        )
    mask = tiny_geotiff(band_pixels(f"{title}-scl"), *RASTER, bbox)
    files.append(
        TerrascopeFile(
            "related",
            f"{folder}/{title}_SCENECLASSIFICATION_20M.tif",
            mask,
            "SCENECLASSIFICATION_20M",
            "image/tiff",
            "QUALITY",
        )
    )
    preview = tiny_geotiff(band_pixels(f"{title}-ql"), *RASTER, bbox)
    files.append(
        TerrascopeFile(
            "previews", f"{folder}/{title}_QUICKLOOK.tif", preview, None, "image/tiff", "QUICKLOOK"
        )
    )
    xml = f"<gmd:MD_Metadata><gmd:fileIdentifier>{title}</gmd:fileIdentifier></gmd:MD_Metadata>\n".encode()
    files.append(
        TerrascopeFile(
            "alternates", f"{folder}/{title}.xml", xml, "Inspire metadata", "application/vnd.iso.19139+xml"
        )
    )
    return TerrascopeProduct(
        id=f"{collection}:{title}",
        title=title,
        collection=collection,
        start=start,
        tile=tile,
        cloud_cover=float((index * 13) % 100),
        bbox=bbox,
        platform=platform,
        files=files,
    )


class RateLimiter:
    """Server-side sliding-window limiter per client address; refusals are counted, not recorded as use.

    ``grace`` forgives request timestamps that are within that many seconds of leaving a window: the
    client's limiter stamps a request when it sends it, the server when it arrives, and a real service
    is not precise to the millisecond either.
    """

    def __init__(
        self, windows: list[tuple[int, float]], clock: Callable[[], float], grace: float = 0.25
    ) -> None:
        self.windows = windows
        self.clock = clock
        self.grace = grace
        self.history: dict[str, deque[float]] = {}
        self.refused = 0
        self.accepted = 0
        self.lock = threading.Lock()

    def admit(self, client: str) -> float | None:
        """``None`` when the request may proceed, else the seconds to wait before retrying."""
        with self.lock:
            now = self.clock()
            stamps = self.history.setdefault(client, deque())
            longest = max(seconds for _, seconds in self.windows)
            while stamps and stamps[0] <= now - longest:
                stamps.popleft()
            for limit, seconds in self.windows:
                inside = [t for t in stamps if t > now - seconds + self.grace]
                if len(inside) >= limit:
                    self.refused += 1
                    return max(inside[-limit] + seconds - now, 0.0)
            stamps.append(now)
            self.accepted += 1
            return None


class TerrascopeEmulator(Emulator):
    """The emulated services; ``with TerrascopeEmulator(...) as ts:`` starts both servers."""

    def __init__(
        self,
        products: list[TerrascopeProduct] | None = None,
        users: dict[str, str] | None = None,
        access_lifetime: float = 300.0,
        refresh_lifetime: float = 1800.0,
        rate_windows: list[tuple[int, float]] | None = None,
        client_ids: tuple[str, ...] = (DEFAULT_CLIENT_ID,),
        mep_root: Path | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.products = products if products is not None else [make_product(NDVI, i) for i in range(12)]
        self.users = users if users is not None else {"vito-user": "vito-pass"}
        self.access_lifetime = access_lifetime
        self.refresh_lifetime = refresh_lifetime
        self.client_ids = client_ids
        self.clock = clock
        self.limiter = RateLimiter(rate_windows or [(80, 10.0), (200, 60.0)], clock)
        self.lock = threading.Lock()
        self.access_tokens: dict[str, float] = {}
        self.refresh_tokens: dict[str, tuple[float, str]] = {}  # token -> (expiry, user)
        self.grants: dict[str, int] = {"password": 0, "refresh_token": 0, "refused": 0}
        self._own_mep = mep_root is None
        self.mep_root = mep_root or Path(tempfile.mkdtemp(prefix="terrascope-mep-"))
        self.files = {f.path: f for p in self.products for f in p.files}
        self.product_of = {f.path: p.id for p in self.products for f in p.files}
        #: Product id -> how its files are spoiled on download (:func:`~support.http_emulator.spoil`).
        self.faults: dict[str, str] = {}
        self.services = EmulatorServer(_ServicesHandler, self)
        self.sso = EmulatorServer(_SsoHandler, self)
        self.servers = [self.services, self.sso]

    @property
    def sso_url(self) -> str:
        return self.sso.base_url

    @property
    def token_url(self) -> str:
        return self.sso.base_url + TOKEN_PATH

    @property
    def refused(self) -> int:
        """How many requests the server's rate limiter answered with 429."""
        return self.limiter.refused

    def start(self) -> TerrascopeEmulator:
        self.publish_mep()
        return super().start()

    def close(self) -> None:
        super().close()
        if self._own_mep:
            shutil.rmtree(self.mep_root, ignore_errors=True)

    def publish_mep(self) -> None:
        """Write the files of products that are on the MEP under ``mep_root`` (the platform's /data)."""
        for product in self.products:
            for f in product.files:
                target = self.mep_root / f.path
                if product.on_mep:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(f.content)
                elif target.exists():
                    target.unlink()

    # -- OpenID ------------------------------------------------------------------------------------
    def _jwt(self, user: str, lifetime: float, kind: str) -> str:
        def b64(obj: dict[str, Any]) -> str:
            return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

        now = int(time.time())
        claims = {"exp": now + math.ceil(lifetime), "iat": now, "jti": secrets.token_hex(8), "typ": kind}
        claims["preferred_username"] = user
        signature = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
        return f"{b64({'alg': 'RS256', 'typ': 'JWT'})}.{b64(claims)}.{signature}"

    def grant(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if form.get("client_id") not in self.client_ids:
            return 401, {
                "error": "invalid_client",
                "error_description": "Invalid client or Invalid client credentials",
            }
        kind = form.get("grant_type")
        with self.lock:
            now = self.clock()
            if kind == "password":
                user = form.get("username", "")
                if self.users.get(user) != form.get("password") or not user:
                    self.grants["refused"] += 1
                    return 401, {"error": "invalid_grant", "error_description": "Invalid user credentials"}
            elif kind == "refresh_token":
                expiry, user = self.refresh_tokens.get(form.get("refresh_token", ""), (0.0, ""))
                if expiry <= now:
                    self.grants["refused"] += 1
                    return 400, {"error": "invalid_grant", "error_description": "Token is not active"}
            else:
                return 400, {"error": "unsupported_grant_type", "error_description": "Unsupported grant_type"}
            self.grants[kind] += 1
            access = self._jwt(user, self.access_lifetime, "Bearer")
            refresh = self._jwt(user, self.refresh_lifetime, "Refresh")
            self.access_tokens[access] = now + self.access_lifetime
            self.refresh_tokens[refresh] = (now + self.refresh_lifetime, user)
        return 200, {
            "access_token": access,
            "expires_in": self.access_lifetime,
            "refresh_expires_in": self.refresh_lifetime,
            "refresh_token": refresh,
            "token_type": "Bearer",
            "not-before-policy": 0,
            "session_state": secrets.token_hex(16),
            "scope": "profile email",
        }

    def authorized(self, header: str | None) -> str:
        """``ok``, ``missing`` or ``invalid`` for the ``Authorization`` header of a download."""
        if not header:
            return "missing"
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer":
            with self.lock:
                return "ok" if self.access_tokens.get(value.strip(), 0.0) > self.clock() else "invalid"
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(value.strip()).decode("utf-8").partition(":")
            except (ValueError, UnicodeDecodeError):
                return "invalid"
            return "ok" if user and self.users.get(user) == password else "invalid"
        return "invalid"

    def downloads_of(self, path_part: str) -> int:
        return len(
            self.services.requests_matching(
                lambda r: r.method == "GET" and path_part in r.path and r.status in (200, 206)
            )
        )


def _parse_time(text: str, end: bool) -> dt.datetime:
    text = text.strip().replace("Z", "+00:00")
    value = dt.datetime.fromisoformat(text)
    if len(text) == 10 and end:
        value += dt.timedelta(days=1, microseconds=-1)
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def _cloud_interval(text: str) -> tuple[float, float]:
    """OpenSearch EO intervals: ``[a,b]``, ``a]`` (at most a), ``[a`` (at least a), ``a`` (exactly)."""
    text = text.strip()
    if text.startswith("[") and text.endswith("]") and "," in text:
        low, high = text[1:-1].split(",", 1)
        return float(low), float(high)
    if text.endswith("]"):
        return float("-inf"), float(text[:-1])
    if text.startswith("["):
        return float(text[1:]), float("inf")
    return float(text), float(text)


class _ServicesHandler(EmulatorHandler):
    server_version = "nginx"

    def _limited(self) -> bool:
        wait = self.emulator.limiter.admit(self.client_address[0])
        if wait is None:
            return False
        self.send_body(
            429,
            b'{"error":"Too Many Requests"}',
            "application/json",
            {"Retry-After": str(max(1, math.ceil(wait)))},
        )
        return True

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        if self._limited():
            return
        path, query = self.split()
        if path == "/catalogue/products":
            self._products({k: v[-1] for k, v in query.items()})
        elif path == "/catalogue/collections":
            ids = sorted({p.collection for p in self.emulator.products})
            features = [{"type": "Feature", "id": c, "properties": {"title": c}} for c in ids]
            self.send_json(
                200,
                {"type": "FeatureCollection", "totalResults": len(ids), "features": features},
                "application/geo+json",
            )
        elif path.startswith("/download/"):
            self._download(path[len("/download/") :])
        else:
            self.send_json(404, {"error": "Not Found"})

    def _products(self, q: dict[str, str]) -> None:
        collection = q.get("collection")
        if not collection:
            self.send_json(400, {"error": "Bad Request", "message": "The collection parameter is mandatory."})
            return
        try:
            start_index = int(q.get("startIndex", 1))
            count = int(q.get("count", DEFAULT_COUNT))
            matches = [p for p in self.emulator.products if p.collection == collection and _matches(p, q)]
        except ValueError as exc:
            self.send_json(400, {"error": "Bad Request", "message": f"Invalid parameter: {exc}"})
            return
        if start_index < 1 or not 0 <= count <= MAX_COUNT:
            self.send_json(
                400, {"error": "Bad Request", "message": f"startIndex >= 1 and 0 <= count <= {MAX_COUNT}"}
            )
            return
        access = q.get("accessedFrom", "HTTP").upper()
        if access not in ("HTTP", "MEP"):
            self.send_json(400, {"error": "Bad Request", "message": "accessedFrom must be HTTP or MEP"})
            return
        matches.sort(key=lambda p: p.start)
        chunk = matches[start_index - 1 : start_index - 1 + count]
        base = f"{self.emulator.base_url}/catalogue/products"

        def link(index: int) -> list[dict[str, str]]:
            return [
                {
                    "href": f"{base}?{urlencode({**q, 'startIndex': index, 'count': count})}",
                    "type": "application/geo+json",
                }
            ]

        links = {"self": link(start_index), "first": link(1)}
        if count and start_index - 1 + count < len(matches):
            links["next"] = link(start_index + count)
        if start_index > 1:
            links["previous"] = link(max(1, start_index - count))
        if count and matches:
            links["last"] = link(((len(matches) - 1) // count) * count + 1)
        mep = self.emulator.mep_root if access == "MEP" else None
        self.send_json(
            200,
            {
                "type": "FeatureCollection",
                "id": links["self"][0]["href"],
                "totalResults": len(matches),
                "startIndex": start_index,
                "itemsPerPage": count,
                "properties": {
                    "title": "Search results",
                    "creator": "Terrascope",
                    "lang": "en",
                    "links": links,
                },
                "features": [p.feature(self.emulator.base_url, mep) for p in chunk],
            },
            "application/geo+json;charset=UTF-8",
        )

    def _download(self, relpath: str) -> None:
        found = self.emulator.files.get(relpath)
        if found is None:
            self.send_json(404, {"error": "Not Found"})
            return
        state = self.emulator.authorized(self.headers.get("Authorization"))
        if state == "missing":
            params = urlencode({"client_id": "download", "response_type": "code"})
            login = f"{self.emulator.sso_url}{LOGIN_PATH}?{params}"
            self.send_body(302, b"", "text/html", {"Location": login})
            return
        if state == "invalid":
            self.send_body(401, b"", "text/html", {"WWW-Authenticate": 'Bearer error="invalid_token"'})
            return
        fault = self.emulator.faults.get(self.emulator.product_of[relpath])
        self.serve_bytes(spoil(found.content, fault), found.media_type)


def _matches(product: TerrascopeProduct, q: dict[str, str]) -> bool:
    if "uid" in q and q["uid"] != product.id:
        return False
    if "bbox" in q:
        w, s, e, n = (float(v) for v in q["bbox"].split(","))
        pw, ps, pe, pn = product.bbox
        if pw > e or pe < w or ps > n or pn < s:
            return False
    if "start" in q and product.start < _parse_time(q["start"], end=False):
        return False
    if "end" in q and product.start > _parse_time(q["end"], end=True):
        return False
    if "cloudCover" in q and q["cloudCover"]:
        low, high = _cloud_interval(q["cloudCover"])
        if not low <= product.cloud_cover <= high:
            return False
    if "tileId" in q and q["tileId"] != product.tile:
        return False
    return True


class _SsoHandler(EmulatorHandler):
    server_version = "Keycloak"

    def do_POST(self) -> None:
        path, _ = self.split()
        if path != TOKEN_PATH:
            self.send_json(404, {"error": "Not Found"})
            return
        status, payload = self.emulator.grant(self.read_form())
        self.send_json(status, payload)

    def do_GET(self) -> None:
        path, _ = self.split()
        if path == LOGIN_PATH:
            self.send_text(200, "<html><body><form>Sign in to Terrascope</form></body></html>", "text/html")
        else:
            self.send_json(404, {"error": "Not Found"})
