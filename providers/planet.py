"""The Planet provider: Data API v1 search, asset activation and download.

- Auth: the API key as ``Authorization: api-key KEY``, sent to the API host only; activated assets are
  fetched from their signed ``location`` without the key.
- Search: ``POST /quick-search`` with an ``AndFilter`` of ``GeometryFilter`` (the AOI as GeoJSON),
  ``DateRangeFilter`` on ``acquired``, ``RangeFilter`` on ``cloud_cover`` (a 0–1 fraction; scenes carry
  percentages here) and ``PermissionFilter`` (downloadable items only), sorted by acquisition, paged by
  following ``_links._next``. Planet does not announce a total.
- Activation: each wanted asset (``ortho_analytic_4b`` unless told otherwise) that is ``inactive`` is
  activated (``GET`` on its ``activate`` link, as Planet documents), then its status is polled with back-off
  (:mod:`.polling`) until ``active``; the wait is bounded and ends in
  :class:`~scene_picker.core.errors.ActivationError` with the last status seen.
- Download: the ``location`` of each active asset, verified against its ``md5_digest``; a location
  refused as expired (401/403/404/410) leads to one fresh activation and one more try.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Iterator, Optional, Sequence

from shapely.geometry import mapping, shape

from ..core.auth import ApiKeyAuth
from ..core.checksums import Checksum
from ..core.credentials import Credentials
from ..core.errors import ActivationError, HttpStatusError, ProviderError, ProviderResponseError, UsageError
from ..core.platforms import normalise_platform
from ..core.query import Query, format_datetime
from ..core.scene import Scene, parse_cloud_cover, parse_scene_datetime
from .base import Provider, ResultPage, SearchResults, checked_page_size
from .downloader import CatalogDownloader, DownloadResult, FetchRequest
from .polling import PollPolicy, poll_until
from .query_params import host_pattern
from .spec import CredentialSpec, OptionSpec, ProviderSpec

log = logging.getLogger(__name__)

DEFAULT_URL = "https://api.planet.com/data/v1"
MAX_PAGE_SIZE = 250
#: Statuses of a signed download link that has expired (the asset is then activated again, once).
_EXPIRED_LINK = frozenset({401, 403, 404, 410})
_KEPT_PROPERTIES = (
    "item_type",
    "satellite_id",
    "instrument",
    "provider",
    "gsd",
    "published",
    "clear_percent",
)


class PlanetDownloader(CatalogDownloader):
    """Activates the wanted assets of one item, waits until they are active, downloads them."""

    members_refused = "Planet assets are GeoTIFF files, not zip archives: members cannot be extracted."

    catalog: PlanetProvider

    def __init__(self, scene: Scene, provider: PlanetProvider) -> None:
        super().__init__(scene, provider)
        self.active: dict[str, dict] = {}

    @property
    def item_type(self) -> str:
        return str(self.scene.collection or self.catalog.item_types[0])

    def activate(
        self, cancel: Any = None, progress: Any = None, assets: Optional[Sequence[str]] = None
    ) -> None:
        wanted = [a for a in (assets or self.catalog.asset_types) if a not in self.active]
        if not wanted:
            return
        api = self.catalog.api
        listing = api.get_json(f"{self.catalog.url}/item-types/{self.item_type}/items/{self.scene.id}/assets")
        if not isinstance(listing, dict):
            raise ProviderResponseError(
                f"Planet listed the assets of {self.scene.id} as something else.", self.provider
            )
        pending: dict[str, dict] = {}
        for asset_type in wanted:
            doc = listing.get(asset_type)
            if not isinstance(doc, dict):
                raise ActivationError(
                    f"Planet item {self.scene.id} has no asset '{asset_type}' "
                    f"(it has: {', '.join(sorted(listing)) or 'none'}).",
                    provider=self.provider,
                )
            if "download" not in (doc.get("_permissions") or []):
                raise ActivationError(
                    f"Your Planet account may not download '{asset_type}' of {self.scene.id} "
                    "(no download permission for this asset).",
                    provider=self.provider,
                )
            if doc.get("status") == "active" and doc.get("location"):
                self.active[asset_type] = doc
                continue
            if doc.get("status") == "inactive":
                # GET, as Planet documents the activation link (and its own client calls it)
                api.request("GET", doc["_links"]["activate"], idempotent=True).close()
            pending[asset_type] = doc
        for asset_type, doc in pending.items():
            self.active[asset_type] = self._wait_active(asset_type, doc, cancel)

    def _wait_active(self, asset_type: str, doc: dict, cancel: Any) -> dict:
        state = {"status": str(doc.get("status") or "inactive")}
        self_url = doc["_links"]["_self"]

        def check() -> Optional[dict]:
            fresh = self.catalog.api.get_json(self_url)
            status = str(fresh.get("status") if isinstance(fresh, dict) else "unknown")
            state["status"] = status
            if status == "active" and fresh.get("location"):
                return fresh
            if status == "failed":
                raise ActivationError(
                    f"Planet could not activate '{asset_type}' of {self.scene.id} (status 'failed').",
                    provider=self.provider,
                )
            return None

        return poll_until(
            check,
            what=f"the Planet asset '{asset_type}' of {self.scene.id}",
            provider=self.provider,
            policy=self.catalog.poll,
            cancel=cancel,
            status=lambda: f"'{state['status']}'",
        )

    def fetch(self, request: FetchRequest) -> DownloadResult:
        """Each activated asset type by its signed link (activated once more when the link expired)."""
        target = self.scene_dir(request.outdir)  # made by the transfer (a write error: OutputError)
        for asset_type in list(request.assets or self.catalog.asset_types):
            suffix = (
                ".xml" if asset_type.endswith("_xml") else ".json" if "metadata" in asset_type else ".tif"
            )
            for attempt in (1, 2):  # bounded: one fresh activation when the signed link has expired
                doc = self.active[asset_type]
                digest = doc.get("md5_digest")
                try:
                    self.fetch_file(
                        request,
                        doc["location"],
                        target / f"{self.scene.id}_{asset_type}{suffix}",
                        checksum=Checksum("md5", digest) if digest else None,
                    )
                    break
                except HttpStatusError as exc:
                    if attempt == 2 or exc.status not in _EXPIRED_LINK:
                        raise
                    log.info(
                        "Planet's link to '%s' of %s was refused (HTTP %s, expired?); activating again",
                        asset_type,
                        self.scene.id,
                        exc.status,
                    )
                    del self.active[asset_type]
                    self.activate(request.cancel, assets=[asset_type])
        return request.result


class PlanetProvider(Provider):
    """Planet's Data API (PlanetScope scenes by default)."""

    downloader_class = PlanetDownloader

    spec = ProviderSpec(
        name="planet",
        title="Planet Data API (PlanetScope)",
        platforms=("planetscope",),
        collections=("PSScene",),
        options=(
            OptionSpec("url", "url", DEFAULT_URL, "Planet Data API"),
            OptionSpec("item_types", "list", ("PSScene",), "comma-separated item types searched"),
            OptionSpec(
                "asset_types", "list", ("ortho_analytic_4b",), "comma-separated asset types activated"
            ),
            OptionSpec(
                "page_size", "int", MAX_PAGE_SIZE, f"results asked per request (at most {MAX_PAGE_SIZE})"
            ),
        ),
        credentials=CredentialSpec(
            "api_key", "Planet API key (account settings)", signup_url="https://www.planet.com/account/"
        ),
    )

    def __init__(
        self,
        url: str = DEFAULT_URL,
        api_key: Optional[str] = None,
        item_types: Sequence[str] = ("PSScene",),
        asset_types: Sequence[str] = ("ortho_analytic_4b",),
        page_size: int = MAX_PAGE_SIZE,
        poll: Optional[PollPolicy] = None,
        http: Any = None,
        api_http: Any = None,
    ) -> None:
        super().__init__(http)
        self.url = url.rstrip("/")
        self.item_types = tuple(item_types)
        self.asset_types = tuple(asset_types)
        self.page_size = checked_page_size(page_size, MAX_PAGE_SIZE, "Planet")
        self.poll = poll or PollPolicy(interval=5.0, factor=1.5, max_interval=60.0, timeout=3600.0)
        self._explicit = Credentials("", api_key) if api_key else None
        self._api = api_http
        self._lock = threading.Lock()

    def client_options(self) -> dict[str, Any]:
        """The default client is the plain one (no key) fetching activated assets by their signed links."""
        return {"name": "Planet", "timeout": (10.0, 120.0)}

    @property
    def api(self) -> Any:
        """The client for the Data API: the key goes to the API host only."""
        with self._lock:
            if self._api is None:
                creds = self._credentials()
                auth = ApiKeyAuth("Authorization", f"api-key {creds.secret}", host_pattern(self.url))
                self._api = self.http_client(auth=auth, name="Planet", provider=self.name)
            return self._api

    # -- search -------------------------------------------------------------------------------------
    def search_request(self, query: Query) -> dict:
        if query.platforms and not any(normalise_platform(p) in self.platforms for p in query.platforms):
            raise UsageError(f"Planet serves none of the platforms {', '.join(query.platforms)}.")
        filters: list[dict] = [{"type": "PermissionFilter", "config": ["assets:download"]}]
        if query.aoi is not None:
            filters.append({"type": "GeometryFilter", "field_name": "geometry", "config": mapping(query.aoi)})
        if query.start is not None or query.end is not None:
            span = {}
            if query.start is not None:
                span["gte"] = format_datetime(query.start)
            if query.end is not None:
                span["lte"] = format_datetime(query.end)
            filters.append({"type": "DateRangeFilter", "field_name": "acquired", "config": span})
        if query.has_cloud_filter:
            fraction = {}
            if query.cloud_min is not None:
                fraction["gte"] = query.cloud_min / 100.0
            if query.cloud_max is not None:
                fraction["lte"] = query.cloud_max / 100.0
            filters.append({"type": "RangeFilter", "field_name": "cloud_cover", "config": fraction})
        item_types = list(query.collections or self.item_types)
        return {"item_types": item_types, "filter": {"type": "AndFilter", "config": filters}}

    def search(self, query: Query) -> SearchResults:
        body = self.search_request(query)
        size = min(self.page_size, query.max_results or self.page_size)
        return SearchResults(self._pages(body, size), query.max_results)

    def _pages(self, body: dict, size: int) -> Iterator[ResultPage]:
        url = f"{self.url}/quick-search"
        page = self.api.request_json(
            "POST", url, params={"_page_size": size, "_sort": "acquired desc"}, json=body, idempotent=True
        )
        for _ in range(1_000_000 // size + 2):
            if not isinstance(page, dict) or not isinstance(page.get("features"), list):
                raise ProviderResponseError("Planet answered a search page without features.", self.name)
            yield ResultPage([self.scene_from_feature(f) for f in page["features"]])
            next_url = (page.get("_links") or {}).get("_next")
            if not next_url or not page["features"]:
                return
            page = self.api.get_json(next_url)
        raise ProviderError("Planet: too many result pages; narrow the search.", self.name)

    def get(self, scene_id: str) -> Scene:
        item_type, _, item_id = scene_id.rpartition("/")
        for kind in [item_type] if item_type else self.item_types:
            try:
                feature = self.api.get_json(f"{self.url}/item-types/{kind}/items/{item_id}")
            except HttpStatusError as exc:
                if exc.status == 404:
                    continue
                raise
            return self.scene_from_feature(feature)
        raise ProviderError(f"Planet has no item {scene_id!r} ({', '.join(self.item_types)}).", self.name)

    # -- records ------------------------------------------------------------------------------------
    def scene_from_feature(self, feature: dict) -> Scene:
        try:
            item_id, props = feature["id"], feature.get("properties") or {}
        except (KeyError, TypeError, AttributeError):
            raise ProviderResponseError("Planet sent an item without id.", self.name) from None
        cloud = props.get("cloud_cover")
        try:
            footprint = shape(feature["geometry"]) if feature.get("geometry") else None
        except (ValueError, TypeError, AttributeError, KeyError):
            footprint = None
        return Scene(
            provider=self.name,
            id=item_id,
            platform="planetscope"
            if props.get("item_type", "PSScene").startswith("PS")
            else props.get("provider"),
            collection=props.get("item_type"),
            datetime=parse_scene_datetime(props.get("acquired")),
            footprint=footprint,
            cloud_cover=parse_cloud_cover(cloud, scale=100.0),
            quicklook=(feature.get("_links") or {}).get("thumbnail"),
            assets={},
            raw=feature,
            online=False,
            properties={k: props[k] for k in _KEPT_PROPERTIES if k in props},
        )
