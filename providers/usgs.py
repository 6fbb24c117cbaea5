"""The USGS provider: Landsat Collection 2 Level 2 through the EROS Machine-to-Machine (M2M) JSON API.

- Session: ``login-token`` with the ERS user name and an M2M *application token* gives an API key,
  sent as ``X-Auth-Token`` to the M2M host only (never to download hosts); ``logout`` ends it
  (:meth:`UsgsProvider.close`). A key the server no longer accepts is renewed once.
- Search: ``scene-search`` in ``landsat_tm_c2_l2`` (Landsat 4–5 TM), ``landsat_etm_c2_l2`` (Landsat 7
  ETM+) and ``landsat_ot_c2_l2`` (Landsat 8–9 OLI/TIRS) with a GeoJSON (or bounding-box) spatial filter,
  a date acquisition filter and a cloud-cover filter, paged with ``startingNumber``; exact times,
  platforms within a dataset and non-polygonal AOIs are then checked here.
- Activation and download: ``download-options`` → ``download-request`` (labelled) → ``download-retrieve``
  polled with back-off (:mod:`.polling`) until the product bundle has a URL, then an ordinary verified,
  resumable transfer; the label is removed afterwards. The bundle is a scene's one asset (``bundle``):
  choosing any other is a usage error, before anything is ordered. M2M answers errors as ``errorCode`` in an
  HTTP 200 envelope: they become specific errors here.
"""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import replace
from typing import Any, Iterator, Optional

from shapely.geometry import MultiPolygon, Polygon, shape

from ..core.credentials import Credentials
from ..core.errors import (
    ActivationError,
    AuthenticationError,
    ProviderError,
    ProviderResponseError,
    ScenePickerError,
    UsageError,
)
from ..core.platforms import LANDSAT_PREFIXES, normalise_platform
from ..core.query import Query
from ..core.redact import redact
from ..core.scene import ROLE_DATA, Asset, Scene, parse_scene_datetime
from .base import Provider, ResultPage, SearchResults, checked_page_size
from .downloader import AssetSelection, CatalogDownloader, Downloader, DownloadResult, FetchRequest
from .polling import PollPolicy, poll_until
from .spec import CredentialSpec, OptionSpec, ProviderSpec

log = logging.getLogger(__name__)

DEFAULT_URL = "https://m2m.cr.usgs.gov/api/api/json/stable/"
#: Dataset → platforms it holds.
DATASETS: dict[str, tuple[str, ...]] = {
    "landsat_tm_c2_l2": ("landsat-4", "landsat-5"),
    "landsat_etm_c2_l2": ("landsat-7",),
    "landsat_ot_c2_l2": ("landsat-8", "landsat-9"),
}
MAX_PAGE_SIZE = 10_000
_KEY_ERRORS = frozenset({"AUTH_KEY_INVALID", "AUTH_UNAUTHORIZED", "AUTH_INVALID"})
#: The one asset a scene offers: its Level-2 product bundle (a tar archive of every band).
BUNDLE = "bundle"


class UsgsDownloader(CatalogDownloader):
    """Requests the scene's Level-2 product bundle, waits until M2M offers its URL, downloads it."""

    members_refused = "USGS Landsat bundles are tar archives: members cannot be extracted remotely."

    catalog: UsgsProvider

    def __init__(self, scene: Scene, provider: UsgsProvider) -> None:
        super().__init__(scene, provider)
        self.url: Optional[str] = None
        self.size: Optional[int] = None
        self.label: Optional[str] = None

    @property
    def entity_id(self) -> str:
        return str(self.scene.properties.get("entity_id") or self.scene.id)

    @property
    def dataset(self) -> str:
        return str(self.scene.properties.get("dataset") or self.scene.collection)

    def select_assets(self, assets: AssetSelection = None) -> list[Asset]:
        """The scene's one asset, :data:`BUNDLE` (linked to the M2M API that orders it until its order
        gives the download link), chosen by the base class's rules: anything else is a UsageError."""
        bundle = Asset(
            key=BUNDLE,
            href=self.url or self.catalog.url,
            title=f"{self.scene.id}.tar",
            media_type="application/x-tar",
            roles=(ROLE_DATA,),
            size=self.size,
        )
        offered = replace(self.scene, assets={BUNDLE: bundle})
        return Downloader(offered, self.http, self.provider).select_assets(assets)

    def activate(self, cancel: Any = None, progress: Any = None, assets: Any = None) -> None:
        self.select_assets(assets)  # a choice other than the bundle: refused before any order
        if self.url:
            return
        options = self.catalog.call(
            "download-options", {"datasetName": self.dataset, "entityIds": [self.entity_id]}
        )
        products = [o for o in options or [] if isinstance(o, dict) and o.get("available") and o.get("id")]
        bundles = [o for o in products if "bundle" in str(o.get("productName", "")).lower()] or products
        if not bundles:
            raise ActivationError(
                f"USGS offers no downloadable product for {self.scene.id} (download-options listed "
                f"{len(options or [])} product(s), none available).",
                provider=self.provider,
            )
        product = bundles[0]
        self.size = product.get("filesize") if isinstance(product.get("filesize"), int) else None
        label = f"scene-picker-{uuid.uuid4().hex[:16]}"
        self.label = label
        body = {"downloads": [{"entityId": self.entity_id, "productId": product["id"]}], "label": label}
        request = self.catalog.call("download-request", body, idempotent=False) or {}
        failed = request.get("failed") or []
        if failed:
            reason = failed[0].get("errorMessage") if isinstance(failed[0], dict) else failed[0]
            raise ActivationError(
                f"USGS refused the download of {self.scene.id}: {reason}", provider=self.provider
            )
        ready = [d for d in request.get("availableDownloads") or [] if d.get("url")]
        if ready:
            self.url = ready[0]["url"]
            return
        ids = {str(d.get("downloadId")) for d in request.get("preparingDownloads") or []}
        # A product already requested under another label (an earlier, interrupted run) is not
        # queued again: M2M lists it in duplicateProducts and it is retrieved under that label.
        duplicates = _duplicates(request.get("duplicateProducts"))
        ids |= set(duplicates)
        labels: list[Optional[str]] = [label]
        labels += dict.fromkeys(lbl or None for lbl in duplicates.values() if lbl != label)  # None: all
        state = {"status": "requested"}

        def mine(item: Any) -> bool:
            return isinstance(item, dict) and (
                str(item.get("downloadId")) in ids or item.get("entityId") == self.entity_id
            )

        def check() -> Optional[dict]:
            for name in labels:
                data = self.catalog.call("download-retrieve", {"label": name} if name else {}) or {}
                for item in data.get("available") or []:
                    if mine(item) and item.get("url"):
                        return item
                for item in data.get("requested") or []:
                    if mine(item):
                        text = item.get("statusText") or item.get("statusCode") or "requested"
                        state["status"] = f"'{text}'"
            return None

        try:
            item = poll_until(
                check,
                what=f"the USGS product bundle of {self.scene.id}",
                provider=self.provider,
                policy=self.catalog.poll,
                cancel=cancel,
                status=lambda: state["status"],
            )
        except ScenePickerError:
            self._forget_label()  # a later attempt requests the product afresh
            raise
        self.url = item["url"]
        if isinstance(item.get("filesize"), int):
            self.size = item["filesize"]

    def fetch(self, request: FetchRequest) -> DownloadResult:
        """The product's bundle, by the link its order gave (the order's label is removed after)."""
        target = self.scene_dir(request.outdir)  # made by the transfer (a write error: OutputError)
        try:
            self.fetch_file(request, str(self.url), target / f"{self.scene.id}.tar", size=self.size)
        finally:
            self._forget_label()
        return request.result

    def _forget_label(self) -> None:
        if not self.label:
            return
        try:
            self.catalog.call("download-order-remove", {"label": self.label})
        except ScenePickerError as exc:
            log.info("USGS M2M: could not remove download label %s: %s", self.label, exc)
        self.label = None


class UsgsProvider(Provider):
    """USGS EarthExplorer's M2M API for Landsat Collection 2 Level 2."""

    downloader_class = UsgsDownloader

    spec = ProviderSpec(
        name="usgs",
        title="USGS M2M (Landsat Collection 2 Level 2)",
        platforms=tuple(sorted({p for plats in DATASETS.values() for p in plats})),
        collections=tuple(DATASETS),
        options=(
            OptionSpec("url", "url", DEFAULT_URL, "M2M API"),
            OptionSpec("page_size", "int", 500, f"results asked per request (at most {MAX_PAGE_SIZE})"),
        ),
        credentials=CredentialSpec(
            "password",
            "USGS ERS user name; as the password, an M2M application token "
            "(ERS profile → Application Tokens)",
            signup_url="https://ers.cr.usgs.gov/profile/access",
        ),
    )
    http_name = "USGS M2M"

    def __init__(
        self,
        url: str = DEFAULT_URL,
        username: Optional[str] = None,
        token: Optional[str] = None,
        page_size: int = 500,
        poll: Optional[PollPolicy] = None,
        http: Any = None,
    ) -> None:
        super().__init__(http)
        self.url = url.rstrip("/") + "/"
        self.page_size = checked_page_size(page_size, MAX_PAGE_SIZE, "M2M", "scenes")
        self.poll = poll or PollPolicy(interval=10.0, factor=1.5, max_interval=120.0, timeout=3600.0)
        self._explicit = Credentials(username, token) if username and token else None
        self._api_key: Optional[str] = None
        self._lock = threading.Lock()

    # -- session ------------------------------------------------------------------------------------
    def login(self) -> str:
        """Log in with the application token; returns (and keeps) the API key."""
        with self._lock:
            if self._api_key:
                return self._api_key
            creds = self._credentials()
            envelope = self.http.request_json(
                "POST", self.url + "login-token", json={"username": creds.username, "token": creds.secret}
            )
            data = self._unwrap("login-token", envelope, secrets=(creds.secret,))
            if not isinstance(data, str) or not data:
                raise ProviderResponseError("USGS M2M login-token answered without an API key.", self.name)
            self._api_key = data
            return data

    def logout(self) -> None:
        """End the M2M session (best effort: a failure is only logged)."""
        with self._lock:
            key, self._api_key = self._api_key, None
        if not key:
            return
        try:
            envelope = self.http.request_json(
                "POST", self.url + "logout", json={}, headers={"X-Auth-Token": key}
            )
            self._unwrap("logout", envelope)
        except ScenePickerError as exc:
            log.info("USGS M2M logout failed: %s", exc)

    close = logout

    def call(self, endpoint: str, body: dict, *, idempotent: bool = True) -> Any:
        """POST ``body`` to an M2M endpoint with the session's API key; returns the envelope's ``data``."""
        for attempt in (1, 2):
            key = self.login()
            envelope = self.http.request_json(
                "POST", self.url + endpoint, json=body, headers={"X-Auth-Token": key}, idempotent=idempotent
            )
            code = envelope.get("errorCode") if isinstance(envelope, dict) else None
            if code in _KEY_ERRORS and attempt == 1:
                log.info("USGS M2M refused the API key (%s); logging in again", code)
                with self._lock:
                    if self._api_key == key:
                        self._api_key = None
                continue
            return self._unwrap(endpoint, envelope, secrets=(key,))
        raise AssertionError("unreachable")  # pragma: no cover

    def _unwrap(self, endpoint: str, envelope: Any, secrets: tuple[str, ...] = ()) -> Any:
        if not isinstance(envelope, dict) or "data" not in envelope and "errorCode" not in envelope:
            raise ProviderResponseError(f"USGS M2M {endpoint} answered without the M2M envelope.", self.name)
        code = envelope.get("errorCode")
        if not code:
            return envelope.get("data")
        message = redact(str(envelope.get("errorMessage") or ""), secrets)[:300]
        if str(code).startswith("AUTH_"):
            raise AuthenticationError(
                f"USGS M2M refused the credentials ({code}: {message}). Check the ERS user name and the M2M "
                "application token (scene-picker login usgs)."
            )
        raise ProviderError(f"USGS M2M {endpoint} failed: {code}: {message}", self.name)

    # -- search -------------------------------------------------------------------------------------
    def datasets_for(self, query: Query) -> list[str]:
        if query.collections:
            unknown = [c for c in query.collections if c.lower() not in DATASETS]
            if unknown:
                raise UsageError(
                    f"Unknown USGS dataset(s) {', '.join(unknown)}; known: {', '.join(DATASETS)}."
                )
            return [c.lower() for c in query.collections]
        if not query.platforms:
            return list(DATASETS)
        wanted = {normalise_platform(p) for p in query.platforms}
        names = [d for d, plats in DATASETS.items() if wanted & set(plats)]
        if not names:
            raise UsageError(
                f"USGS M2M (Landsat C2 L2) serves none of the platforms {', '.join(query.platforms)}; "
                f"it serves {', '.join(self.platforms)}."
            )
        return names

    def scene_filter(self, query: Query) -> tuple[dict, bool]:
        """The M2M ``sceneFilter`` and whether its spatial part is exact."""
        flt: dict[str, Any] = {}
        exact = True
        if query.aoi is not None:
            polygon = _single_polygon(query.aoi)
            if polygon is not None:
                # M2M's documented SpatialFilterGeoJson: filterType "geojson" and a GeoJSON geometry
                # (type + coordinates), as the maintained M2M clients send it. Holes are left out.
                exterior = [[float(x), float(y)] for x, y, *_ in polygon.exterior.coords]
                flt["spatialFilter"] = {
                    "filterType": "geojson",
                    "geoJson": {"type": "Polygon", "coordinates": [exterior]},
                }
                exact = not polygon.interiors
            else:
                west, south, east, north = query.aoi.bounds
                flt["spatialFilter"] = {
                    "filterType": "mbr",
                    "lowerLeft": {"latitude": south, "longitude": west},
                    "upperRight": {"latitude": north, "longitude": east},
                }
                exact = False
        if query.start or query.end:
            acq = {}
            if query.start:
                acq["start"] = query.start.strftime("%Y-%m-%d")
            if query.end:
                acq["end"] = query.end.strftime("%Y-%m-%d")
            flt["acquisitionFilter"] = acq
        if query.has_cloud_filter:
            flt["cloudCoverFilter"] = {
                "min": int(query.cloud_min or 0),
                "max": int(-(-(query.cloud_max if query.cloud_max is not None else 100) // 1)),
                "includeUnknown": False,
            }
        return flt, exact

    def search(self, query: Query) -> SearchResults:
        datasets = self.datasets_for(query)
        scene_filter, exact = self.scene_filter(query)
        size = min(self.page_size, query.max_results or self.page_size)
        return SearchResults(self._pages(datasets, scene_filter, exact, size, query), query.max_results)

    def _search_page(self, dataset: str, scene_filter: dict, start: int, size: int) -> dict:
        body = {
            "datasetName": dataset,
            "sceneFilter": scene_filter,
            "maxResults": size,
            "startingNumber": start,
            "metadataType": "full",
        }
        data = self.call("scene-search", body)
        if not isinstance(data, dict) or not isinstance(data.get("results"), list):
            raise ProviderResponseError(
                f"USGS M2M scene-search in {dataset} answered without results.", self.name
            )
        return data

    def _pages(
        self, datasets: list[str], scene_filter: dict, exact: bool, size: int, query: Query
    ) -> Iterator[ResultPage]:
        firsts = [(d, self._search_page(d, scene_filter, 1, size)) for d in datasets]
        total: Optional[int] = sum(int(data.get("totalHits") or 0) for _, data in firsts)
        wanted = {normalise_platform(p) for p in query.platforms}
        for dataset, data in firsts:
            start = 1
            for _ in range(1_000_000 // size + 2):
                scenes = [self.scene_from_record(r, dataset) for r in data["results"]]
                scenes = [
                    s
                    for s in scenes
                    if query.matches(s, aoi=not exact, collections=False, platforms=False)
                    and (not wanted or s.platform in wanted)
                ]
                yield ResultPage(scenes, total)
                total = None
                returned = int(data.get("recordsReturned") or 0)
                start += returned
                if returned == 0 or start > int(data.get("totalHits") or 0):
                    break
                data = self._search_page(dataset, scene_filter, start, size)

    def get(self, scene_id: str) -> Scene:
        prefix = scene_id[:4].upper()
        platform = LANDSAT_PREFIXES.get(prefix)
        datasets = [d for d, plats in DATASETS.items() if platform in plats] if platform else list(DATASETS)
        for dataset in datasets:
            body = {
                "datasetName": dataset,
                "entityId": scene_id,
                "idType": "displayId",
                "metadataType": "full",
            }
            try:
                data = self.call("scene-metadata", body)
            except ProviderError:
                continue
            if isinstance(data, dict) and data.get("entityId"):
                return self.scene_from_record(data, dataset)
        raise ProviderError(f"USGS M2M has no Landsat C2 L2 scene {scene_id!r}.", self.name)

    # -- records ------------------------------------------------------------------------------------
    def scene_from_record(self, record: dict, dataset: str) -> Scene:
        try:
            entity, display = record["entityId"], record["displayId"]
        except (KeyError, TypeError):
            raise ProviderResponseError(
                "USGS M2M sent a scene without entityId/displayId.", self.name
            ) from None
        meta = {
            m.get("fieldName"): m.get("value") for m in record.get("metadata") or [] if isinstance(m, dict)
        }
        platform = LANDSAT_PREFIXES.get(display[:4].upper())
        if platform is None and meta.get("Spacecraft Identifier"):
            platform = normalise_platform(str(meta["Spacecraft Identifier"]))
        when = parse_scene_datetime(meta.get("Start Time")) or parse_scene_datetime(
            (record.get("temporalCoverage") or {}).get("startDate")
        )
        try:
            cloud = float(record.get("cloudCover"))
        except (TypeError, ValueError):
            cloud = None
        footprint = None
        for key in ("spatialCoverage", "spatialBounds"):
            try:
                footprint = shape(record[key])
                break
            except (KeyError, TypeError, ValueError, AttributeError):
                continue
        browse = [b for b in record.get("browse") or [] if isinstance(b, dict)]
        return Scene(
            provider=self.name,
            id=display,
            platform=platform,
            collection=dataset,
            datetime=when,
            footprint=footprint,
            cloud_cover=cloud if cloud is not None and cloud >= 0 else None,
            quicklook=browse[0].get("browsePath") if browse else None,
            assets={},
            raw=record,
            online=False,
            properties={"entity_id": entity, "dataset": dataset},
        )


def _single_polygon(aoi: Any) -> Optional[Polygon]:
    """The AOI as one polygon (a one-part MultiPolygon, as QGIS often gives, counts), else None."""
    if isinstance(aoi, Polygon):
        return aoi
    if isinstance(aoi, MultiPolygon) and len(aoi.geoms) == 1:
        return aoi.geoms[0]
    return None


def _duplicates(value: Any) -> dict[str, str]:
    """``duplicateProducts`` of a download-request as ``{downloadId: label}`` (a map, or a list of
    records with ``downloadId``/``label``)."""
    if isinstance(value, dict):
        return {str(k): str(v or "") for k, v in value.items()}
    out: dict[str, str] = {}
    for item in value or ():
        if isinstance(item, dict) and item.get("downloadId") is not None:
            out[str(item["downloadId"])] = str(item.get("label") or "")
    return out
