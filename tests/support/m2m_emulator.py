"""An emulator of the USGS EROS Machine-to-Machine (M2M) JSON API for Landsat Collection 2 Level 2.

Written from the public M2M API documentation (``/api/api/json/stable/<endpoint>``, JSON POST bodies,
every answer wrapped as ``{"requestId", "version", "data", "errorCode", "errorMessage"}``; application
errors come back with HTTP 200 and an ``errorCode``, as the real service does):

- ``login-token`` ``{"username", "token"}`` (application token) → ``data`` = the API key, sent back by
  the client in the ``X-Auth-Token`` header; ``logout`` invalidates it;
- ``scene-search`` for ``landsat_tm_c2_l2``, ``landsat_etm_c2_l2``, ``landsat_ot_c2_l2`` with
  ``sceneFilter.spatialFilter`` (``mbr`` lowerLeft/upperRight or ``geojson``), ``acquisitionFilter``
  (start/end, end inclusive), ``cloudCoverFilter`` (min/max/includeUnknown), ``maxResults`` and the
  1-based ``startingNumber`` (answers carry ``totalHits``, ``recordsReturned``, ``nextRecord``);
- ``scene-metadata`` ``{"datasetName", "entityId", "idType"}`` → one record (by entity or display id);
- ``download-options`` → the product bundle of each entity;
- ``download-request`` ``{"downloads": [{"entityId", "productId"}], "label"}`` →
  ``availableDownloads`` / ``preparingDownloads`` / ``failed``; a product the same user already
  requested under another label is not queued again but listed in ``duplicateProducts``
  (``{downloadId: label}``) and must be retrieved under that label;
- ``download-retrieve`` ``{"label"}``: each call is one poll; a product becomes ``available`` (with a
  URL) after ``polls_needed`` polls; entities in ``never_available`` stay ``requested`` forever;
- ``download-order-remove`` ``{"label"}`` forgets a label's downloads.

Download URLs are served by the same server under ``/download/<token>`` (no API key needed, Range
honoured). Every call is recorded in ``calls`` (endpoint, body, the ``X-Auth-Token`` received).
"""

from __future__ import annotations

import random
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from shapely.geometry import Polygon, box, shape

from .fake_catalog import read_json_body, send_json, square, synthetic_bytes
from .http_emulator import Emulator, EmulatorHandler, EmulatorServer, spoil

API_PREFIX = "/api/api/json/stable/"
DATASETS = {
    "landsat_tm_c2_l2": (("LT05", "LANDSAT_5"), ("LT04", "LANDSAT_4")),
    "landsat_etm_c2_l2": (("LE07", "LANDSAT_7"),),
    "landsat_ot_c2_l2": (("LC08", "LANDSAT_8"), ("LC09", "LANDSAT_9")),
}
YEARS = {"landsat_tm_c2_l2": 2010, "landsat_etm_c2_l2": 2015, "landsat_ot_c2_l2": 2022}


@dataclass
class M2MScene:
    dataset: str
    entity_id: str
    display_id: str
    spacecraft: str
    acquired: datetime
    ring: list[list[float]]
    cloud_cover: float | None
    product_id: str
    bundle: bytes

    @property
    def polygon(self) -> Polygon:
        return Polygon(self.ring)


def make_scenes(per_dataset: int = 14, seed: int = 5, size: int = 40 * 1024) -> list[M2MScene]:
    rng = random.Random(seed)
    out = []
    for dataset, sats in DATASETS.items():
        for i in range(per_dataset):
            prefix, spacecraft = sats[i % len(sats)]
            acquired = datetime(YEARS[dataset], 3, 1, 10, 30, tzinfo=timezone.utc) + timedelta(
                days=rng.randint(0, 120), minutes=rng.randint(0, 50)
            )
            path, row = 190 + i % 9, 25 + (i * 3) % 10
            processed = acquired + timedelta(days=9)
            display = f"{prefix}_L2SP_{path:03d}{row:03d}_{acquired:%Y%m%d}_{processed:%Y%m%d}_02_T1"
            entity = f"L{prefix[1]}{prefix[3]}{path:03d}{row:03d}{acquired:%Y%j}LGN0{i % 3}"
            cloud = None if i == 4 else round(rng.uniform(0, 100), 2)
            lon, lat = -5 + (i * 5.7) % 25, 38 + (i * 2.3) % 15
            out.append(
                M2MScene(
                    dataset=dataset,
                    entity_id=entity,
                    display_id=display,
                    spacecraft=spacecraft,
                    acquired=acquired,
                    ring=square(round(lon, 3), round(lat, 3), 0.9),
                    cloud_cover=cloud,
                    product_id=secrets.token_hex(8),
                    bundle=synthetic_bytes(display, size + i * 31),
                )
            )
    return out


class M2MError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _parse_date(text: str, end: bool) -> datetime:
    text = str(text).strip()
    if len(text) == 10:
        day = datetime.fromisoformat(text).replace(tzinfo=timezone.utc)
        return day + timedelta(days=1) - timedelta(microseconds=1) if end else day
    dt = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T"))
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


class M2MEmulator(Emulator):
    """The M2M API on loopback; ``api_url`` is the ``…/api/api/json/stable/`` root."""

    def __init__(
        self,
        users: dict[str, str] | None = None,
        scenes: list[M2MScene] | None = None,
        polls_needed: int = 2,
        never_available: set[str] | None = None,
    ) -> None:
        self.users = dict(users or {"landsat_user": "app-token-XYZ987654321"})
        self.scenes = scenes if scenes is not None else make_scenes()
        self.polls_needed = polls_needed
        self.never_available = set(never_available or ())
        #: entityId -> "missing", or how its bundle is spoiled (:func:`~support.http_emulator.spoil`)
        self.faults: dict[str, str] = {}
        self.calls: list[dict] = []
        self.api_keys: dict[str, str] = {}
        self.downloads: dict[int, dict] = {}
        self.file_tokens: dict[str, M2MScene] = {}
        self.download_hits: list[dict] = []
        self._next_id = 1000
        self._lock = threading.Lock()
        self.server = EmulatorServer(_M2MHandler, self)
        self.servers = [self.server]

    @property
    def api_url(self) -> str:
        return self.base_url + API_PREFIX

    def scene(self, entity_id: str) -> M2MScene:
        return next(s for s in self.scenes if s.entity_id == entity_id)

    # -- endpoints --------------------------------------------------------------------------------
    def call(self, endpoint: str, body: dict, api_key: str | None) -> object:
        with self._lock:
            self.calls.append({"endpoint": endpoint, "body": body, "api_key": api_key})
        if endpoint == "login-token":
            user, token = body.get("username"), body.get("token")
            if not user or self.users.get(user) != token:
                raise M2MError("AUTH_INVALID", "User credential verification failed")
            key = secrets.token_hex(16)
            with self._lock:
                self.api_keys[key] = user
            return key
        if endpoint == "login":
            raise M2MError("AUTH_INVALID", "Password login is no longer supported; use login-token")
        if not api_key:
            raise M2MError("AUTH_UNAUTHORIZED", "Unauthorized: API key missing (X-Auth-Token)")
        if api_key not in self.api_keys:
            raise M2MError("AUTH_KEY_INVALID", "Invalid API key")
        handler = {
            "logout": self._logout,
            "scene-search": self._scene_search,
            "scene-metadata": self._scene_metadata,
            "download-options": self._download_options,
            "download-request": self._download_request,
            "download-retrieve": self._download_retrieve,
            "download-order-remove": self._download_order_remove,
        }.get(endpoint)
        if handler is None:
            raise M2MError("UNKNOWN", f"Unknown endpoint: {endpoint}")
        return handler(body, api_key)

    def _logout(self, body: dict, api_key: str) -> None:
        with self._lock:
            self.api_keys.pop(api_key, None)
        return None

    def _dataset(self, body: dict) -> str:
        name = str(body.get("datasetName") or "").lower()
        if name not in DATASETS:
            raise M2MError("DATASET_INVALID", f"Invalid dataset name: {body.get('datasetName')!r}")
        return name

    def filter_scenes(self, dataset: str, scene_filter: dict) -> list[M2MScene]:
        result = [s for s in self.scenes if s.dataset == dataset]
        spatial = scene_filter.get("spatialFilter")
        if spatial:
            kind = spatial.get("filterType")
            if kind == "mbr":
                ll, ur = spatial.get("lowerLeft") or {}, spatial.get("upperRight") or {}
                try:
                    geom = box(ll["longitude"], ll["latitude"], ur["longitude"], ur["latitude"])
                except (KeyError, TypeError):
                    raise M2MError("SEARCH_ERROR", "mbr filter needs lowerLeft and upperRight") from None
            elif kind == "geojson":
                try:
                    geom = shape(spatial["geoJson"])
                except (KeyError, ValueError, TypeError, AttributeError):
                    raise M2MError("SEARCH_ERROR", "geojson filter needs a valid geoJson geometry") from None
            else:
                raise M2MError("SEARCH_ERROR", f"Unknown spatial filterType {kind!r}")
            result = [s for s in result if geom.intersects(s.polygon)]
        acq = scene_filter.get("acquisitionFilter")
        if acq:
            try:
                start = _parse_date(acq["start"], end=False) if acq.get("start") else None
                end = _parse_date(acq["end"], end=True) if acq.get("end") else None
            except ValueError:
                raise M2MError("SEARCH_ERROR", "acquisitionFilter dates are invalid") from None
            result = [
                s
                for s in result
                if (start is None or s.acquired >= start) and (end is None or s.acquired <= end)
            ]
        cloud = scene_filter.get("cloudCoverFilter")
        if cloud:
            low, high = float(cloud.get("min", 0)), float(cloud.get("max", 100))
            unknown = bool(cloud.get("includeUnknown", True))
            result = [
                s
                for s in result
                if (s.cloud_cover is None and unknown)
                or (s.cloud_cover is not None and low <= s.cloud_cover <= high)
            ]
        result.sort(key=lambda s: (-s.acquired.timestamp(), s.entity_id))
        return result

    def _scene_search(self, body: dict, api_key: str) -> dict:
        dataset = self._dataset(body)
        matches = self.filter_scenes(dataset, body.get("sceneFilter") or {})
        max_results = int(body.get("maxResults") or 100)
        start = int(body.get("startingNumber") or 1)
        if not 1 <= max_results <= 50000 or start < 1:
            raise M2MError("SEARCH_ERROR", "maxResults must be 1..50000 and startingNumber >= 1")
        page = matches[start - 1 : start - 1 + max_results]
        records = [self._record(s) for s in page]
        return {
            "results": records,
            "recordsReturned": len(records),
            "totalHits": len(matches),
            "totalHitsAccuracy": "exact",
            "isCustomized": False,
            "numExcluded": 0,
            "startingNumber": start,
            "nextRecord": min(start + len(records), len(matches)) if records else len(matches),
        }

    def _scene_metadata(self, body: dict, api_key: str) -> dict:
        dataset = self._dataset(body)
        wanted = str(body.get("entityId") or "")
        by_display = str(body.get("idType") or "entityId").lower() == "displayid"
        for s in self.scenes:
            if s.dataset == dataset and (s.display_id if by_display else s.entity_id) == wanted:
                return self._record(s)
        raise M2MError("ENTITY_INVALID", f"Entity {wanted!r} not found in {dataset}")

    def _record(self, s: M2MScene) -> dict:
        minx, miny, maxx, maxy = s.polygon.bounds
        day = s.acquired.strftime("%Y-%m-%d 00:00:00")
        return {
            "browse": [
                {
                    "browseName": "Reflective Browse",
                    "browsePath": f"{self.base_url}/browse/{s.display_id}.jpg",
                    "thumbnailPath": f"{self.base_url}/browse/{s.display_id}_thumb.jpg",
                }
            ],
            "cloudCover": "-1" if s.cloud_cover is None else f"{s.cloud_cover:.2f}",
            "entityId": s.entity_id,
            "displayId": s.display_id,
            "orderingId": None,
            "metadata": [
                {"fieldName": "Landsat Product Identifier L2", "value": s.display_id},
                {"fieldName": "Spacecraft Identifier", "value": s.spacecraft},
                # day-of-year times with 7 fractional digits, as M2M answers (recorded answer:
                # tests/fixtures/recorded/usgs/scene-metadata.json)
                {"fieldName": "Start Time", "value": s.acquired.strftime("%Y:%j:%H:%M:%S.%f") + "0"},
            ],
            "options": {"bulk": True, "download": True, "order": False, "secondary": False},
            "spatialBounds": {
                "type": "Polygon",
                "coordinates": [[[minx, miny], [maxx, miny], [maxx, maxy], [minx, maxy], [minx, miny]]],
            },
            "spatialCoverage": {"type": "Polygon", "coordinates": [s.ring]},
            "temporalCoverage": {"startDate": day, "endDate": day},
            "publishDate": (s.acquired + timedelta(days=9)).strftime("%Y-%m-%d %H:%M:%S"),
        }

    def _download_options(self, body: dict, api_key: str) -> list[dict]:
        dataset = self._dataset(body)
        ids = body.get("entityIds") or []
        if isinstance(ids, str):
            ids = [ids]
        out = []
        for s in self.scenes:
            if s.dataset == dataset and s.entity_id in ids:
                out.append(
                    {
                        "id": s.product_id,
                        "displayId": s.display_id,
                        "entityId": s.entity_id,
                        "datasetId": dataset,
                        "available": True,
                        "filesize": len(s.bundle),
                        "productName": "Landsat Collection 2 Level-2 Product Bundle",
                        "productCode": "D557",
                        "bulkAvailable": True,
                        "downloadSystem": "dds",
                        "secondaryDownloads": [],
                    }
                )
        return out

    def _download_request(self, body: dict, api_key: str) -> dict:
        label = str(body.get("label") or "")
        available, preparing, failed = [], [], []
        duplicates: dict[str, str] = {}
        user = self.api_keys[api_key]
        for item in body.get("downloads") or []:
            entity, product = item.get("entityId"), item.get("productId")
            scene = next((s for s in self.scenes if s.entity_id == entity and s.product_id == product), None)
            if scene is None:
                failed.append({"entityId": entity, "productId": product, "errorMessage": "Invalid product"})
                continue
            with self._lock:
                earlier = next(
                    (
                        (i, r)
                        for i, r in self.downloads.items()
                        if r["user"] == user and r["scene"] is scene and r["label"] != label
                    ),
                    None,
                )
            if earlier is not None:  # already requested under another label: not queued again
                duplicates[str(earlier[0])] = earlier[1]["label"]
                continue
            with self._lock:
                self._next_id += 1
                download_id = self._next_id
                self.downloads[download_id] = {
                    "scene": scene,
                    "label": label,
                    "user": user,
                    "polls_left": self.polls_needed,
                    "url": None,
                }
            entry = {"downloadId": download_id, "eulaCode": None, "url": None}
            if self.polls_needed <= 0 and entity not in self.never_available:
                entry["url"] = self._make_available(download_id)
                available.append(entry)
            else:
                preparing.append(entry)
        return {
            "availableDownloads": available,
            "preparingDownloads": preparing,
            "failed": failed,
            "duplicateProducts": duplicates,
            "newRecords": {str(e["downloadId"]): label for e in available + preparing},
            "numInvalidScenes": len(failed),
        }

    def _make_available(self, download_id: int) -> str:
        record = self.downloads[download_id]
        if record["url"] is None:
            token = secrets.token_urlsafe(16)
            self.file_tokens[token] = record["scene"]
            record["url"] = f"{self.base_url}/download/{token}"
        return record["url"]

    def _download_retrieve(self, body: dict, api_key: str) -> dict:
        label = body.get("label")
        user = self.api_keys[api_key]
        available, requested = [], []
        with self._lock:
            mine = [
                (i, r)
                for i, r in self.downloads.items()
                if r["user"] == user and (not label or r["label"] == label)
            ]
            for download_id, record in mine:
                scene = record["scene"]
                if record["url"] is None and scene.entity_id not in self.never_available:
                    record["polls_left"] -= 1
                    if record["polls_left"] <= 0:
                        self._make_available(download_id)
                entry = {
                    "downloadId": download_id,
                    "entityId": scene.entity_id,
                    "displayId": scene.display_id,
                    "productCode": "D557",
                    "productName": "Landsat Collection 2 Level-2 Product Bundle",
                    "filesize": len(scene.bundle),
                    "label": record["label"],
                }
                if record["url"]:
                    available.append(
                        {**entry, "statusCode": "A", "statusText": "Available", "url": record["url"]}
                    )
                else:
                    requested.append({**entry, "statusCode": "P", "statusText": "Preparing", "url": None})
        return {"available": available, "requested": requested, "eulas": [], "queueSize": len(requested)}

    def _download_order_remove(self, body: dict, api_key: str) -> None:
        label = body.get("label")
        with self._lock:
            for download_id in [i for i, r in self.downloads.items() if r["label"] == label]:
                del self.downloads[download_id]
        return None


class _M2MHandler(EmulatorHandler):
    def do_POST(self) -> None:
        emu: M2MEmulator = self.emulator
        path = self.split()[0]
        if not path.startswith(API_PREFIX):
            send_json(self, 404, {"errorCode": "NOT_FOUND", "errorMessage": f"No such path {path}"})
            return
        endpoint = path[len(API_PREFIX) :]
        with emu._lock:
            emu._next_id += 1
            request_id = emu._next_id
        envelope = {"requestId": request_id, "version": "stable", "sessionId": 1, "data": None}
        try:
            body = read_json_body(self)
            if not isinstance(body, dict):
                raise M2MError("INPUT_FORMAT", "The request body must be a JSON object")
            data = emu.call(endpoint, body, self.headers.get("X-Auth-Token"))
            envelope.update(data=data, errorCode=None, errorMessage=None)
        except ValueError:
            envelope.update(errorCode="INPUT_FORMAT", errorMessage="The request body is not valid JSON")
        except M2MError as exc:
            envelope.update(errorCode=exc.code, errorMessage=str(exc))
        send_json(self, 200, envelope)

    def do_GET(self) -> None:
        emu: M2MEmulator = self.emulator
        path = self.split()[0]
        if path.startswith("/browse/"):
            self.serve_bytes(synthetic_bytes(path, 256), "image/jpeg")
            return
        if not path.startswith("/download/"):
            send_json(self, 404, {"errorCode": "NOT_FOUND", "errorMessage": path})
            return
        scene = emu.file_tokens.get(path[len("/download/") :])
        with emu._lock:
            emu.download_hits.append(
                {
                    "path": path,
                    "api_key": self.headers.get("X-Auth-Token"),
                    "authorization": self.headers.get("Authorization"),
                }
            )
        if scene is None or emu.faults.get(scene.entity_id) == "missing":
            send_json(self, 404, {"errorCode": "NOT_FOUND", "errorMessage": "download expired or unknown"})
            return
        self.serve_bytes(spoil(scene.bundle, emu.faults.get(scene.entity_id)), "application/x-tar")

    do_HEAD = do_GET
