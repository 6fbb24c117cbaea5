"""An emulator of the Planet Data API v1 (search, assets, activation, download).

Written from Planet's public Data API documentation:

- authentication with the API key, as ``Authorization: api-key KEY`` or HTTP Basic ``KEY:`` (empty
  password); 401 ``{"message": …}`` otherwise;
- ``POST /data/v1/quick-search?_page_size=N`` with ``{"item_types": [...], "filter": {...}}``, filters
  ``AndFilter``/``OrFilter``/``NotFilter``, ``GeometryFilter`` (GeoJSON), ``DateRangeFilter``
  (gt/gte/lt/lte, RFC 3339), ``RangeFilter`` (e.g. ``cloud_cover`` as a 0–1 fraction),
  ``StringInFilter``, ``PermissionFilter``, ``AssetFilter``; the answer is a FeatureCollection with
  ``_links._next`` while more pages remain (``GET /data/v1/searches/<id>/results?_page=…``);
- ``GET /data/v1/item-types/<type>/items/<id>`` and ``…/assets``: each asset with ``status``
  (inactive → activating → active), ``_links.activate``, and ``location``/``md5_digest`` once active;
- ``GET|POST /data/v1/assets/<id>/activate``: 202 when accepted, 204 when already active; an asset
  becomes active after ``polls_needed`` status reads; assets in ``never_activate`` stay activating;
- ``GET /data/v1/download?token=…``: the bytes of an active asset (no API key needed, Range honoured);
  ``expire()`` lets an activation lapse (the link then answers 404, the asset is inactive again).

``throttle_activations`` answers that many activation calls with 429 and ``Retry-After: 0``.
Calls are recorded in ``calls`` with whether an API key was presented (never the key itself).
"""

from __future__ import annotations

import base64
import hashlib
import random
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from shapely.geometry import Polygon, shape

from .fake_catalog import read_json_body, send_json, square, synthetic_bytes
from .http_emulator import Emulator, EmulatorHandler, EmulatorServer

ITEM_TYPE = "PSScene"
ASSET_TYPES = ("ortho_analytic_4b", "ortho_visual")
MAX_PAGE_SIZE = 250
MAX_SAVED_SEARCHES = 200


@dataclass
class PlanetItem:
    id: str
    acquired: datetime
    ring: list[list[float]]
    cloud_cover: float
    satellite_id: str
    assets: dict[str, bytes] = field(default_factory=dict)

    @property
    def polygon(self) -> Polygon:
        return Polygon(self.ring)


def make_items(count: int = 33, seed: int = 3, size: int = 32 * 1024) -> list[PlanetItem]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        acquired = datetime(2023, 5, 1, 9, 0, tzinfo=timezone.utc) + timedelta(
            days=rng.randint(0, 60), seconds=rng.randint(0, 20000)
        )
        sat = f"24{rng.randint(10, 99)}"
        item_id = f"{acquired:%Y%m%d_%H%M%S}_{i:02d}_{sat}"
        lon, lat = 2 + (i * 0.37) % 4, 43 + (i * 0.29) % 3
        item = PlanetItem(
            id=item_id,
            acquired=acquired,
            ring=square(round(lon, 4), round(lat, 4), 0.12),
            cloud_cover=round(rng.uniform(0, 1), 2),
            satellite_id=sat,
        )
        for asset_type in ASSET_TYPES:
            item.assets[asset_type] = synthetic_bytes(f"{item_id}_{asset_type}", size + i * 13)
        out.append(item)
    return out


class PlanetError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _time(text: str) -> datetime:
    dt = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def _compare(value, config: dict, convert) -> bool:
    for op, test in (("gt", lambda a, b: a > b), ("gte", lambda a, b: a >= b)):
        if op in config and not test(value, convert(config[op])):
            return False
    for op, test in (("lt", lambda a, b: a < b), ("lte", lambda a, b: a <= b)):
        if op in config and not test(value, convert(config[op])):
            return False
    return True


class PlanetEmulator(Emulator):
    """The Data API on loopback; ``api_url`` is the ``…/data/v1`` root."""

    def __init__(
        self,
        api_keys: set[str] | None = None,
        items: list[PlanetItem] | None = None,
        polls_needed: int = 2,
        never_activate: set[tuple[str, str]] | None = None,
    ) -> None:
        self.api_keys = set(api_keys or {"PLAK0123456789abcdef"})
        self.items = items if items is not None else make_items()
        self.polls_needed = polls_needed
        self.never_activate = set(never_activate or ())
        #: (item id, asset type) pairs whose download is served with one byte flipped (MD5 mismatch).
        self.corrupt: set[tuple[str, str]] = set()
        self.throttle_activations = 0
        self.calls: list[dict] = []
        self.state: dict[tuple[str, str], dict] = {}
        self.searches: dict[str, list[str]] = {}
        self.tokens: dict[str, tuple[str, str]] = {}
        self._lock = threading.Lock()
        self.server = EmulatorServer(_PlanetHandler, self)
        self.servers = [self.server]

    @property
    def api_url(self) -> str:
        return self.base_url + "/data/v1"

    def item(self, item_id: str) -> PlanetItem:
        for it in self.items:
            if it.id == item_id:
                return it
        raise PlanetError(404, f"Item {item_id} not found")

    # -- filters ------------------------------------------------------------------------------------
    def matches(self, item: PlanetItem, flt: dict) -> bool:
        kind = flt.get("type")
        config = flt.get("config")
        field_name = flt.get("field_name")
        if kind == "AndFilter":
            return all(self.matches(item, f) for f in config or [])
        if kind == "OrFilter":
            return any(self.matches(item, f) for f in config or [])
        if kind == "NotFilter":
            return not self.matches(item, config or {})
        if kind == "GeometryFilter":
            try:
                return shape(config).intersects(item.polygon)
            except (ValueError, TypeError, AttributeError, KeyError):
                raise PlanetError(400, "GeometryFilter config is not a valid GeoJSON geometry") from None
        if kind == "DateRangeFilter":
            if field_name != "acquired":
                raise PlanetError(400, f"DateRangeFilter on unsupported field {field_name!r}")
            try:
                return _compare(item.acquired, config or {}, _time)
            except ValueError:
                raise PlanetError(400, "DateRangeFilter dates must be RFC 3339") from None
        if kind == "RangeFilter":
            if field_name != "cloud_cover":
                raise PlanetError(400, f"RangeFilter on unsupported field {field_name!r}")
            return _compare(item.cloud_cover, config or {}, float)
        if kind == "StringInFilter":
            values = {"id": item.id, "satellite_id": item.satellite_id, "item_type": ITEM_TYPE}
            if field_name not in values:
                raise PlanetError(400, f"StringInFilter on unsupported field {field_name!r}")
            return values[field_name] in (config or [])
        if kind == "PermissionFilter":
            return True
        if kind == "AssetFilter":
            return all(a in item.assets for a in config or [])
        raise PlanetError(400, f"Unknown filter type {kind!r}")

    # -- documents ----------------------------------------------------------------------------------
    def feature(self, item: PlanetItem) -> dict:
        base = f"{self.api_url}/item-types/{ITEM_TYPE}/items/{item.id}"
        return {
            "type": "Feature",
            "id": item.id,
            "geometry": {"type": "Polygon", "coordinates": [item.ring]},
            "properties": {
                "acquired": item.acquired.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "cloud_cover": item.cloud_cover,
                "cloud_percent": round(item.cloud_cover * 100),
                "item_type": ITEM_TYPE,
                "satellite_id": item.satellite_id,
                "instrument": "PSB.SD",
                "provider": "planetscope",
                "gsd": 3.7,
                "published": (item.acquired + timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
            "_links": {"_self": base, "assets": base + "/assets/", "thumbnail": base + "/thumb"},
            "_permissions": [f"assets.{a}:download" for a in item.assets],
            "assets": sorted(item.assets),  # as recorded items list them (tests/fixtures/recorded/planet)
        }

    def asset_state(self, item: PlanetItem, asset_type: str) -> dict:
        key = (item.id, asset_type)
        with self._lock:
            if key not in self.state:
                token = secrets.token_urlsafe(12)
                self.tokens[token] = key
                self.state[key] = {"status": "inactive", "polls_left": self.polls_needed, "asset_id": token}
            return self.state[key]

    def poll(self, item: PlanetItem, asset_type: str) -> dict:
        """Read an asset's status (one poll); an activating asset progresses towards active."""
        st = self.asset_state(item, asset_type)
        with self._lock:
            if st["status"] == "activating" and (item.id, asset_type) not in self.never_activate:
                st["polls_left"] -= 1
                if st["polls_left"] <= 0:
                    st["status"] = "active"
                    st["download_token"] = secrets.token_urlsafe(16)
                    self.tokens["dl:" + st["download_token"]] = (item.id, asset_type)
        return self.asset_doc(item, asset_type)

    def expire(self, item_id: str, asset_type: str) -> None:
        """Let an active asset's activation lapse: its download link stops working, status inactive."""
        st = self.asset_state(self.item(item_id), asset_type)
        with self._lock:
            self.tokens.pop("dl:" + st.pop("download_token", ""), None)
            st["status"], st["polls_left"] = "inactive", self.polls_needed

    def asset_doc(self, item: PlanetItem, asset_type: str) -> dict:
        st = self.asset_state(item, asset_type)
        asset_url = f"{self.api_url}/assets/{st['asset_id']}"
        doc = {
            "_links": {
                "_self": asset_url,
                "activate": asset_url + "/activate",
                "type": f"{self.api_url}/asset-types/{asset_type}",
            },
            "_permissions": ["download"],
            "md5_digest": None,
            "status": st["status"],
            "type": asset_type,
        }
        if st["status"] == "active":
            data = item.assets[asset_type]
            doc["location"] = f"{self.api_url}/download?token={st['download_token']}"
            doc["md5_digest"] = hashlib.md5(data).hexdigest()
            doc["expires_at"] = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime(
                "%Y-%m-%dT%H:%M:%S.%f"
            )
        return doc


class _PlanetHandler(EmulatorHandler):
    def _authorised(self) -> bool:
        emu: PlanetEmulator = self.emulator
        header = self.headers.get("Authorization") or ""
        key = None
        if header.lower().startswith("api-key "):
            key = header[8:].strip()
        elif header.lower().startswith("basic "):
            try:
                key = base64.b64decode(header[6:].strip()).decode("utf-8").partition(":")[0]
            except ValueError:
                key = None
        return key in emu.api_keys

    def _record(self, path: str) -> None:
        emu: PlanetEmulator = self.emulator
        with emu._lock:
            emu.calls.append(
                {
                    "method": self.command,
                    "path": path,
                    "query": self.split()[1],
                    "has_key": bool(self.headers.get("Authorization")),
                }
            )

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        emu: PlanetEmulator = self.emulator
        path, query = self.split()
        self._record(path)
        try:
            if path == "/data/v1/download":
                key = emu.tokens.get("dl:" + (query.get("token") or [""])[0])
                if key is None:
                    raise PlanetError(404, "Download token unknown or expired")
                data = emu.item(key[0]).assets[key[1]]
                if key in emu.corrupt:
                    data = data[:-1] + bytes([data[-1] ^ 0xFF])
                self.serve_bytes(data, "image/tiff")
                return
            if not self._authorised():
                send_json(
                    self, 401, {"message": "Please enter your API key, or email and password.", "errors": []}
                )
                return
            self._route(path, query)
        except PlanetError as exc:
            send_json(self, exc.status, {"general": [{"message": str(exc)}], "field": {}})
        except ValueError:
            send_json(self, 400, {"general": [{"message": "Request body is not valid JSON"}], "field": {}})

    def _route(self, path: str, query: dict[str, list[str]]) -> None:
        emu: PlanetEmulator = self.emulator
        parts = path.strip("/").split("/")
        if path == "/data/v1/quick-search" and self.command == "POST":
            body = read_json_body(self)
            if (
                not isinstance(body, dict)
                or not body.get("item_types")
                or not isinstance(body.get("filter"), dict)
            ):
                raise PlanetError(400, "quick-search needs item_types and filter")
            types = set(body["item_types"])
            found = [it for it in emu.items if ITEM_TYPE in types and emu.matches(it, body["filter"])]
            found.sort(key=lambda it: (-it.acquired.timestamp(), it.id))
            search_id = secrets.token_hex(8)
            with emu._lock:
                if len(emu.searches) >= MAX_SAVED_SEARCHES:
                    emu.searches.pop(next(iter(emu.searches)))
                emu.searches[search_id] = [it.id for it in found]
            self._page(search_id, 0, self._page_size(query))
            return
        if len(parts) == 5 and parts[2] == "searches" and parts[4] == "results" and self.command == "GET":
            offset = int((query.get("_page") or ["0"])[0] or 0)
            self._page(parts[3], offset, self._page_size(query))
            return
        if len(parts) >= 6 and parts[2] == "item-types" and parts[4] == "items" and self.command == "GET":
            if parts[3] != ITEM_TYPE:
                raise PlanetError(404, f"Item type {parts[3]} not found")
            item = emu.item(parts[5])
            if len(parts) == 6:
                send_json(self, 200, emu.feature(item))
            elif len(parts) == 7 and parts[6] == "assets":
                send_json(self, 200, {a: emu.poll(item, a) for a in item.assets})
            else:
                raise PlanetError(404, f"Not found: {path}")
            return
        if len(parts) in (4, 5) and parts[2] == "assets":
            key = emu.tokens.get(parts[3])
            if key is None:
                raise PlanetError(404, "Asset not found")
            item = emu.item(key[0])
            if len(parts) == 4 and self.command == "GET":
                send_json(self, 200, emu.poll(item, key[1]))
                return
            if len(parts) == 5 and parts[4] == "activate":
                self._activate(item, key[1])
                return
        raise PlanetError(404, f"Not found: {self.command} {path}")

    def _page_size(self, query: dict[str, list[str]]) -> int:
        try:
            size = int((query.get("_page_size") or ["250"])[0])
        except ValueError:
            raise PlanetError(400, "_page_size must be an integer") from None
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise PlanetError(400, f"_page_size must be between 1 and {MAX_PAGE_SIZE}")
        return size

    def _page(self, search_id: str, offset: int, size: int) -> None:
        emu: PlanetEmulator = self.emulator
        ids = emu.searches.get(search_id)
        if ids is None:
            raise PlanetError(404, "Search not found or expired")
        chunk = ids[offset : offset + size]
        results = f"{emu.api_url}/searches/{search_id}/results"
        links = {
            "_self": f"{results}?_page={offset}&_page_size={size}",
            "_first": f"{results}?_page_size={size}",
        }
        if offset + size < len(ids):
            links["_next"] = f"{results}?_page={offset + size}&_page_size={size}"
        send_json(
            self,
            200,
            {
                "type": "FeatureCollection",
                "features": [emu.feature(emu.item(i)) for i in chunk],
                "_links": links,
            },
        )

    def _activate(self, item: PlanetItem, asset_type: str) -> None:
        emu: PlanetEmulator = self.emulator
        with emu._lock:
            throttled = emu.throttle_activations > 0
            if throttled:
                emu.throttle_activations -= 1
        if throttled:
            self.send_body(429, b'{"message": "Too Many Requests"}', "application/json", {"Retry-After": "0"})
            return
        st = emu.asset_state(item, asset_type)
        with emu._lock:
            if st["status"] == "active":
                status = 204
            else:
                st["status"] = "activating"
                status = 202
        self.send_body(status, b"", "text/plain")
