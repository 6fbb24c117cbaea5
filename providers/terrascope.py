"""The Terrascope (VITO) provider: OpenSearch or STAC search, OpenID/Basic auth, rate limits, MEP paths, GDAL.

- Search through the OpenSearch catalogue (``/catalogue/products?collection=urn:eop:VITO:…&bbox=…
  &start=…&end=…&cloudCover=[min,max]&startIndex=…&count=…``), following ``next`` links; each
  feature's ``properties.links`` (data, related, previews, alternates) become assets with roles
  (data; thumbnail/overview; metadata; the related file's category). ``api="stac"`` searches
  Terrascope's STAC API through the STAC provider instead.
- ``accessed_from="MEP"`` asks the catalogue for the local ``file://`` paths of the Terrascope platform
  (MEP): on that platform the files are used where they are, linked or copied, without any HTTP.
- Auth for downloads: Bearer tokens from the OpenID token endpoint (300 s, refreshed with the refresh
  token during long downloads) or Basic; credentials from the keyring.
- Every request to the Terrascope services host passes one shared rate limiter (80 / 10 s and
  200 / 60 s), so the server's own limiter never has to refuse one.
- :meth:`TerrascopeProvider.gdal_access` builds ``/vsicurl/`` access for a band without download.
"""

from __future__ import annotations

import logging
import math
import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Optional
from urllib.parse import urlsplit

from shapely.geometry import shape

from ..core.auth import BasicAuth, BearerAuth, OidcTokenProvider
from ..core.credentials import Credentials
from ..core.errors import AuthenticationError, ProviderError, ProviderResponseError, UsageError
from ..core.naming import safe_name
from ..core.query import Query, format_datetime
from ..core.ratelimit import shared_rate_limiter
from ..core.scene import (
    ROLE_DATA,
    ROLE_METADATA,
    ROLE_OVERVIEW,
    ROLE_THUMBNAIL,
    Asset,
    Scene,
    parse_cloud_cover,
    parse_scene_datetime,
)
from .base import Provider, ResultPage, SearchResults
from .downloader import CatalogDownloader, FetchRequest
from .gdal_access import GdalHttpAccess, vsicurl_path
from .query_params import bbox_param, cloud_interval_param, host_pattern
from .spec import CredentialSpec, OptionSpec, ProviderSpec

log = logging.getLogger(__name__)

DEFAULT_URL = "https://services.terrascope.be"
DEFAULT_TOKEN_URL = "https://sso.terrascope.be/auth/realms/terrascope/protocol/openid-connect/token"
DEFAULT_STAC_URL = "https://stac.terrascope.be"
DEFAULT_CLIENT_ID = "terracatalogueclient"
DEFAULT_COLLECTION = "urn:eop:VITO:TERRASCOPE_S2_TOC_V2"
RATE_WINDOWS: tuple[tuple[int, float], ...] = ((80, 10.0), (200, 60.0))
PAGE_SIZE = 100
#: Query.extras keys passed to the OpenSearch catalogue as they are.
_PASSTHROUGH = (
    "tileId",
    "productType",
    "relativeOrbitNumber",
    "orbitDirection",
    "productGroupId",
    "resolution",
)


def link_roles(kind: str, link: dict[str, Any]) -> tuple[str, ...]:
    """Asset roles of an OpenSearch link of ``kind`` (data, related, previews, alternates)."""
    category = str(link.get("category") or "").lower()
    if kind == "data":
        return (ROLE_DATA,)
    if kind == "previews":
        return (ROLE_THUMBNAIL,) if category == "thumbnail" else (ROLE_OVERVIEW,)
    if kind == "alternates":
        return (ROLE_METADATA,)
    return (category or "related",)


class TerrascopeDownloader(CatalogDownloader):
    """Downloads with the Terrascope credentials; MEP files are hard-linked (or copied), never fetched."""

    catalog: TerrascopeProvider

    def download_client(self) -> Any:
        """The credentials' client (MEP copies never ask for it)."""
        return self.catalog.download_http

    def translated_errors(self, members: Any = None) -> Any:
        """A refused account is named as Terrascope's."""
        return named_auth_errors(self.catalog.title)

    def _copy_local(self, request: FetchRequest, asset: Asset, source: Path, dest: Path) -> None:
        if not source.is_file():
            raise ProviderError(
                f"{asset.key} of {self.scene.id} is not at {source}: MEP paths exist only on the Terrascope "
                "platform. Search without accessed_from='MEP' to download over HTTP.",
                self.provider,
            )
        if (dest.exists() and not request.overwrite) or not _same_size(asset, source):
            super()._copy_local(request, asset, source, dest)
            return
        try:
            if dest.exists():
                dest.unlink()
            os.link(source, dest)
        except OSError:  # another file system, or links not allowed: copy instead
            super()._copy_local(request, asset, source, dest)
            return
        request.result.add([dest], 0)


class TerrascopeProvider(Provider):
    """Terrascope's catalogue (OpenSearch or STAC) and download service."""

    downloader_class = TerrascopeDownloader

    spec = ProviderSpec(
        name="terrascope",
        title="Terrascope (VITO)",
        platforms=("sentinel-1", "sentinel-2", "proba-v", "spot-vegetation"),
        collections=(DEFAULT_COLLECTION,),
        options=(
            OptionSpec("url", "url", DEFAULT_URL, "OpenSearch catalogue and download service"),
            OptionSpec("token_url", "url", DEFAULT_TOKEN_URL, "OpenID Connect token endpoint"),
            OptionSpec("stac_url", "url", DEFAULT_STAC_URL, "STAC API (with api=stac)"),
            OptionSpec("api", "str", "opensearch", "which catalogue API is searched", ("opensearch", "stac")),
            OptionSpec(
                "accessed_from", "str", "HTTP", "MEP: local file paths on the platform", ("HTTP", "MEP")
            ),
            OptionSpec("auth", "str", "bearer", "how downloads authenticate", ("bearer", "basic")),
            OptionSpec("client_id", "str", DEFAULT_CLIENT_ID, "OpenID Connect client id"),
            OptionSpec("page_size", "int", PAGE_SIZE, "results asked per request"),
        ),
        credentials=CredentialSpec(
            "password",
            "Terrascope account: user name and password",
            signup_url="https://terrascope.be/en/user/register",
        ),
        rate_limits=RATE_WINDOWS,
    )

    def __init__(
        self,
        url: str = DEFAULT_URL,
        token_url: str = DEFAULT_TOKEN_URL,
        stac_url: str = DEFAULT_STAC_URL,
        api: str = "opensearch",
        accessed_from: str = "HTTP",
        auth: str = "bearer",
        username: Optional[str] = None,
        password: Optional[str] = None,
        client_id: str = DEFAULT_CLIENT_ID,
        page_size: int = PAGE_SIZE,
        rate_windows: tuple[tuple[int, float], ...] = RATE_WINDOWS,
        http: Any = None,
    ) -> None:
        super().__init__(http)
        if api not in ("opensearch", "stac"):
            raise UsageError(f"Terrascope api must be 'opensearch' or 'stac', not {api!r}.")
        if accessed_from.upper() not in ("HTTP", "MEP"):
            raise UsageError(f"accessed_from must be 'HTTP' or 'MEP', not {accessed_from!r}.")
        if auth not in ("bearer", "basic"):
            raise UsageError(f"Terrascope auth must be 'bearer' or 'basic', not {auth!r}.")
        self.url = url.rstrip("/")
        self.token_url = token_url
        self.stac_url = stac_url.rstrip("/")
        self.api = api
        self.accessed_from = accessed_from.upper()
        self.auth_kind = auth
        self.client_id = client_id
        self.page_size = page_size
        self.host = host_pattern(self.url)
        #: One limiter for every client of the services host in this process.
        self.rate_limiter = shared_rate_limiter(f"terrascope:{self.host}", rate_windows)
        self._explicit = Credentials(username, password) if username and password else None
        self._auth: Any = None
        self._download_http: Any = None
        self._stac: Any = None
        self._lock = threading.Lock()

    @property
    def label(self) -> str:
        return self.title

    def client_options(self) -> dict[str, Any]:
        """The catalogue client (no credentials needed to search), rate-limited for the services host."""
        return {"name": self.title, "rate_limiter": self.rate_limiter}

    # -- authentication ---------------------------------------------------------------------------
    @property
    def auth(self) -> Any:
        """The download credentials (Bearer from OpenID, or Basic), built from the keyring on first use."""
        with self._lock:
            if self._auth is None:
                creds = self._credentials()
                if self.auth_kind == "basic":
                    self._auth = BasicAuth(creds.username, creds.secret, self.host)
                else:
                    sign_in = self.http_client(name=f"{self.title} sign-in", provider=self.name)
                    tokens = OidcTokenProvider(
                        self.token_url, self.client_id, creds.username, creds.secret, http=sign_in
                    )
                    self._auth = BearerAuth(tokens, self.host)
            return self._auth

    @property
    def download_http(self) -> Any:
        auth = self.auth
        with self._lock:
            if self._download_http is None:
                self._download_http = self.http_client(
                    auth=auth,
                    rate_limiter=self.rate_limiter,
                    name=self.title,
                    provider=self.name,
                    timeout=(10.0, 120.0),
                )
            return self._download_http

    def login(self) -> None:
        """Check the credentials now (a token for Bearer; Basic is checked by the first download)."""
        auth = self.auth
        if isinstance(auth, BearerAuth):
            with named_auth_errors(self.title):
                auth.token_provider.get_token()

    #: What the settings dialog calls to test the stored account (searching needs no account).
    check_login = login

    # -- search -----------------------------------------------------------------------------------
    def search(self, query: Query) -> SearchResults:
        if self.api == "stac":
            return SearchResults(self._stac_pages(query), query.max_results)
        collections = list(query.collections) or [DEFAULT_COLLECTION]
        count = max(1, min(self.page_size, query.max_results or self.page_size))
        return SearchResults(self._pages(collections, query, count), query.max_results)

    def _stac_pages(self, query: Query) -> Iterator[ResultPage]:
        inner = self.stac.search(query)
        yield ResultPage([], inner.total)
        for scene in inner:
            scene.provider = self.name  # downloads then go through this provider's credentials
            scene.source = {}  # the inner STAC API's URL would not rebuild this provider
            yield ResultPage([scene])

    def search_params(self, collection: str, query: Query) -> dict[str, Any]:
        params: dict[str, Any] = {
            "collection": collection,
            "bbox": bbox_param(query),
            "cloudCover": cloud_interval_param(query),
        }
        if query.start is not None:
            params["start"] = format_datetime(query.start)
        if query.end is not None:
            params["end"] = format_datetime(query.end)
        if query.product_type:
            params["productType"] = query.product_type
        for key in _PASSTHROUGH:
            if query.extras.get(key) not in (None, ""):
                params[key] = query.extras[key]
        if self.accessed_from == "MEP":
            params["accessedFrom"] = "MEP"
        return {k: v for k, v in params.items() if v is not None}

    def _pages(self, collections: list[str], query: Query, count: int) -> Iterator[ResultPage]:
        announced = False
        for collection in collections:
            for scenes, total in self._collection_pages(collection, query, count):
                yield ResultPage(scenes, None if announced or len(collections) > 1 else total)
                announced = True

    def _collection_pages(
        self, collection: str, query: Query, count: int
    ) -> Iterator[tuple[list[Scene], Optional[int]]]:
        url: Optional[str] = f"{self.url}/catalogue/products"
        params: Optional[dict[str, Any]] = {
            **self.search_params(collection, query),
            "startIndex": 1,
            "count": count,
        }
        max_pages, page = 10_000, 0
        while url and page < max_pages:
            page += 1
            payload = self.http.get_json(url, params=params)
            if not isinstance(payload, dict) or not isinstance(payload.get("features"), list):
                raise ProviderResponseError("Terrascope answered a search without a feature list.", self.name)
            total = payload.get("totalResults")
            total = int(total) if isinstance(total, (int, float)) else None
            if page == 1 and total is not None:
                max_pages = max(1, math.ceil(total / count))
            scenes = [self.to_scene(f) for f in payload["features"]]
            scenes = [
                s
                for s in scenes
                if query.matches(s, time=False, cloud=False, collections=False, platforms=False)
            ]
            yield scenes, total
            links = (payload.get("properties") or {}).get("links") or {}
            following = links.get("next") if isinstance(links, dict) else None
            url = following[0].get("href") if following and isinstance(following[0], dict) else None
            params = None  # the next link carries every parameter
            if not payload["features"]:
                return

    def to_scene(self, feature: dict[str, Any]) -> Scene:
        try:
            props = feature["properties"]
            scene_id = str(feature["id"])
            links = props.get("links") or {}
            # The catalogue may split one acquisition over several entries (the platform in one,
            # the acquisition parameters in the next): every entry is read, the first value wins.
            acquisition: dict[str, dict[str, Any]] = {"platform": {}, "acquisitionParameters": {}}
            for entry in props.get("acquisitionInformation") or []:
                for part, values in acquisition.items():
                    found = entry.get(part) if isinstance(entry, dict) else None
                    if isinstance(found, dict):
                        values.update({k: v for k, v in found.items() if k not in values})
        except (KeyError, TypeError, AttributeError) as exc:
            raise ProviderResponseError(
                f"Terrascope answered a malformed feature ({exc}).", self.name
            ) from None
        parameters = acquisition["acquisitionParameters"]
        platform = acquisition["platform"]
        platform_name = platform.get("platformShortName")
        if platform_name and platform.get("platformSerialIdentifier"):
            platform_name = f"{platform_name} {platform['platformSerialIdentifier']}"
        assets: dict[str, Asset] = {}
        quicklook = None
        for kind in ("data", "related", "previews", "alternates"):
            for link in links.get(kind) or []:
                if not isinstance(link, dict) or not isinstance(link.get("href"), str):
                    continue
                asset = self._asset(kind, link, assets)
                assets[asset.key] = asset
                if kind == "previews" and quicklook is None:
                    quicklook = asset.href
        cloud = (props.get("productInformation") or {}).get("cloudCover")
        return Scene(
            provider=self.name,
            id=scene_id,
            platform=platform_name,
            collection=props.get("parentIdentifier"),
            datetime=parse_scene_datetime(parameters.get("beginningDateTime") or props.get("date")),
            footprint=shape(feature["geometry"]) if feature.get("geometry") else None,
            cloud_cover=parse_cloud_cover(cloud),
            quicklook=quicklook,
            assets=assets,
            raw=feature,
            properties={
                "title": props.get("title"),
                "tileId": parameters.get("tileId"),
                "relativeOrbitNumber": parameters.get("relativeOrbitNumber"),
                "orbitDirection": parameters.get("orbitDirection"),
                "productType": (props.get("productInformation") or {}).get("productType"),
                "accessedFrom": self.accessed_from,
            },
        )

    def _asset(self, kind: str, link: dict[str, Any], taken: dict[str, Asset]) -> Asset:
        href = link["href"]
        base = urlsplit(href).path.rstrip("/").rsplit("/", 1)[-1]
        key = safe_name(str(link.get("title") or base.rsplit(".", 1)[0] or kind))
        if key in taken:
            key = f"{kind}_{key}"
        size = link.get("length")
        return Asset(
            key=key,
            href=href,
            title=link.get("title") or base,
            media_type=link.get("type"),
            roles=link_roles(kind, link),
            size=int(size) if isinstance(size, (int, float)) and size >= 0 else None,
        )

    def get(self, scene_id: str) -> Scene:
        if self.api == "stac":
            scene = self.stac.get(scene_id)
            scene.provider = self.name
            scene.source = {}
            return scene
        collection = scene_id.rsplit(":", 1)[0] if scene_id.count(":") >= 4 else DEFAULT_COLLECTION
        params: dict[str, Any] = {"collection": collection, "uid": scene_id, "count": 1}
        if self.accessed_from == "MEP":
            params["accessedFrom"] = "MEP"
        payload = self.http.get_json(f"{self.url}/catalogue/products", params=params)
        for feature in (payload or {}).get("features") or []:
            if isinstance(feature, dict) and feature.get("id") == scene_id:
                return self.to_scene(feature)
        raise ProviderError(f"Terrascope has no product {scene_id!r}.", self.name)

    @property
    def stac(self) -> Provider:
        """The STAC provider on Terrascope's STAC API, sharing this provider's rate-limited client."""
        with self._lock:
            if self._stac is None:
                from .stac import StacProvider

                self._stac = StacProvider(url=self.stac_url, http=self.http, label=self.title)
            return self._stac

    # -- downloads and direct access ----------------------------------------------------------------
    def gdal_access(self, asset: Asset) -> tuple[str, GdalHttpAccess]:
        """``/vsicurl/`` path of ``asset`` (safe to show) and the GDAL options carrying the credentials."""
        path = vsicurl_path(asset.href)
        auth = self.auth
        if isinstance(auth, BearerAuth):
            with named_auth_errors(self.title):
                token = auth.token_provider.get_token()
            return path, GdalHttpAccess.bearer(asset.href, token)
        creds = self._credentials()
        return path, GdalHttpAccess.basic(asset.href, creds.username, creds.secret)


@contextmanager
def named_auth_errors(provider: str) -> Iterator[None]:
    """Re-raise an :class:`AuthenticationError` with the provider's name in front when it lacks it."""
    try:
        yield
    except AuthenticationError as exc:
        if provider.split(" ")[0] in str(exc):
            raise
        raise AuthenticationError(f"{provider}: {exc}") from None


def _same_size(asset: Asset, source: Path) -> bool:
    return asset.size is None or source.stat().st_size == asset.size
