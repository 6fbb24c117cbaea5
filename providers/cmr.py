"""The NASA CMR provider: granule search in the Common Metadata Repository, download with Earthdata Login.

- Search: ``/search/granules.umm_json`` by ``short_name`` (+ ``version``) or ``concept_id``,
  ``polygon`` (counter-clockwise rings, several ORed) or ``bounding_box``, ``temporal``,
  ``cloud_cover``, ``page_size``, sorted by ``start_date``, paged with the ``CMR-Search-After`` header
  (``CMR-Hits`` is the total). Search is public: no credentials go to CMR.
- Collections offered per platform: LP DAAC's HLS (Landsat 8/9 and Sentinel-2) and MODIS surface
  reflectance (Terra, Aqua); ``Query.collections`` may name any short name or collection concept id.
- Download: the granule's ``GET DATA`` URLs on the DAAC data host, through the Earthdata Login OAuth
  dance: the data host redirects to the login host, which alone receives the user name and password
  (HTTP Basic), then sends the client back with a code; the data host's session cookie serves the file.
  An Earthdata *token* (stored with an empty user name) is sent as Bearer to the data hosts instead.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any, Iterator, Optional

from shapely.geometry import MultiPolygon, Polygon, box
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient
from shapely.ops import unary_union

from ..core.auth import BasicAuth, BearerAuth, StaticTokenProvider
from ..core.checksums import Checksum
from ..core.credentials import Credentials
from ..core.errors import InvalidAOIError, ProviderError, ProviderResponseError, ScenePickerError, UsageError
from ..core.geometry import normalize_wgs84
from ..core.platforms import normalise_platform
from ..core.query import Query, format_datetime
from ..core.scene import ROLE_DATA, ROLE_OVERVIEW, Asset, Scene, parse_cloud_cover, parse_scene_datetime
from .base import Provider, ResultPage, SearchResults, checked_page_size
from .downloader import CatalogDownloader
from .query_params import host_pattern
from .spec import CredentialSpec, OptionSpec, ProviderSpec

log = logging.getLogger(__name__)

DEFAULT_URL = "https://cmr.earthdata.nasa.gov"
DEFAULT_URS_URL = "https://urs.earthdata.nasa.gov"
MAX_PAGE_SIZE = 2000
#: Polygons with more vertices than this are sent as bounding boxes (URL length), then filtered here.
MAX_POLYGON_POINTS = 500
_CONCEPT_ID = re.compile(r"^[CG]\d+-[A-Z0-9_]+$")

#: short name -> (version, platforms it covers).
COLLECTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "HLSL30": ("2.0", ("landsat-8", "landsat-9")),
    "HLSS30": ("2.0", ("sentinel-2",)),
    "MOD09GA": ("061", ("terra",)),
    "MYD09GA": ("061", ("aqua",)),
}


class CmrDownloader(CatalogDownloader):
    """The default downloader, with the Earthdata client of the scene's data hosts."""

    catalog: CmrProvider

    def download_client(self) -> Any:
        return self.catalog.download_client(self.scene)


class CmrProvider(Provider):
    """NASA's CMR granule search with Earthdata Login downloads."""

    downloader_class = CmrDownloader

    spec = ProviderSpec(
        name="cmr",
        title="NASA CMR / Earthdata (LP DAAC: HLS, MODIS)",
        platforms=tuple(sorted({p for _, plats in COLLECTIONS.values() for p in plats})),
        collections=tuple(COLLECTIONS),
        options=(
            OptionSpec("url", "url", DEFAULT_URL, "CMR search API"),
            OptionSpec("urs_url", "url", DEFAULT_URS_URL, "Earthdata Login"),
            OptionSpec("page_size", "int", 500, f"results asked per request (1 to {MAX_PAGE_SIZE})"),
        ),
        credentials=CredentialSpec(
            "password",
            "NASA Earthdata Login user name and password (or an Earthdata token with an empty user name)",
            signup_url="https://urs.earthdata.nasa.gov/users/new",
            accepts_token=True,
        ),
    )
    http_name = "NASA CMR"

    def __init__(
        self,
        url: str = DEFAULT_URL,
        urs_url: str = DEFAULT_URS_URL,
        username: Optional[str] = None,
        password: Optional[str] = None,
        token: Optional[str] = None,
        page_size: int = 500,
        http: Any = None,
        download_http: Any = None,
    ) -> None:
        super().__init__(http)
        self.url = url.rstrip("/")
        self.urs_url = urs_url.rstrip("/")
        self.page_size = checked_page_size(page_size, MAX_PAGE_SIZE, "CMR", "granules")
        if token:
            self._explicit: Optional[Credentials] = Credentials("", token)
        elif username and password:
            self._explicit = Credentials(username, password)
        else:
            self._explicit = None
        self._download_clients: dict[tuple[str, ...], Any] = {}
        self._given_download_http = download_http
        self._lock = threading.Lock()

    # -- search -------------------------------------------------------------------------------------
    def collections_for(self, query: Query) -> list[str]:
        if query.collections:
            return list(query.collections)
        if not query.platforms:
            return list(COLLECTIONS)
        wanted = {normalise_platform(p) for p in query.platforms}
        names = [n for n, (_, plats) in COLLECTIONS.items() if wanted & set(plats)]
        if not names:
            raise UsageError(
                f"NASA CMR (as configured) serves none of the platforms {', '.join(query.platforms)}; "
                f"it serves {', '.join(self.platforms)}."
            )
        return names

    def search_params(self, query: Query) -> tuple[list[tuple[str, str]], bool]:
        """CMR parameters for ``query`` and whether the server applies the AOI exactly."""
        params: list[tuple[str, str]] = []
        for name in self.collections_for(query):
            if _CONCEPT_ID.match(name):
                params.append(("concept_id[]", name))
            else:
                params.append(("short_name[]", name))
                if name.upper() in COLLECTIONS:
                    params.append(("version[]", COLLECTIONS[name.upper()][0]))
        exact = True
        if query.aoi is not None:
            spatial, exact = _spatial_params(query.aoi)
            params += spatial
        if query.start is not None or query.end is not None:
            start = format_datetime(query.start) if query.start else ""
            end = format_datetime(query.end) if query.end else ""
            params.append(("temporal", f"{start},{end}"))
        if query.has_cloud_filter:
            low = "" if query.cloud_min is None else f"{query.cloud_min:g}"
            high = "" if query.cloud_max is None else f"{query.cloud_max:g}"
            params.append(("cloud_cover", f"{low},{high}"))
        params.append(("sort_key", "start_date"))
        return params, exact

    def search(self, query: Query) -> SearchResults:
        params, exact = self.search_params(query)
        size = min(self.page_size, query.max_results or self.page_size)
        return SearchResults(self._pages(params, size, query, exact), query.max_results)

    def _pages(
        self, params: list[tuple[str, str]], size: int, query: Query, exact: bool
    ) -> Iterator[ResultPage]:
        url = f"{self.url}/search/granules.umm_json"
        after: Optional[str] = None
        hits: Optional[int] = None
        seen = 0
        wanted = {normalise_platform(p) for p in query.platforms}
        max_pages = 1_000_000 // size + 2
        for _ in range(max_pages):
            headers = {"CMR-Search-After": after} if after else {}
            body, response_headers = self._get(url, params + [("page_size", str(size))], headers)
            if hits is None:
                hits = _int(response_headers.get("CMR-Hits"), body.get("hits"))
            items = body.get("items")
            if not isinstance(items, list):
                raise ProviderResponseError(f"NASA CMR answered without an items list ({url}).", self.name)
            if not items:
                return
            seen += len(items)
            scenes = [self.scene_from_umm(item) for item in items]
            if wanted:  # a collection may hold several platforms (HLSL30: Landsat 8 and 9)
                scenes = [s for s in scenes if s.platform in wanted]
            if not exact:
                scenes = [
                    s
                    for s in scenes
                    if query.matches(s, time=False, cloud=False, platforms=False, collections=False)
                ]
            yield ResultPage(scenes, hits)
            after = response_headers.get("CMR-Search-After")
            if not after or (hits is not None and seen >= hits):
                return
        raise ProviderError(f"NASA CMR: more than {max_pages} result pages; narrow the search.", self.name)

    def _get(self, url: str, params: list[tuple[str, str]], headers: dict[str, str]) -> tuple[dict, Any]:
        """GET a JSON page and keep the answer's headers (CMR pages through them)."""
        response = self.http.request(
            "GET", url, params=params, headers={"Accept": "application/json", **headers}
        )
        body = self.http.decode_json(response)
        if not isinstance(body, dict):
            raise ProviderResponseError(
                f"NASA CMR answered something other than an object ({url}).", self.name
            )
        return body, response.headers

    def get(self, scene_id: str) -> Scene:
        key = "concept_id" if _CONCEPT_ID.match(scene_id) else "granule_ur"
        body, _ = self._get(f"{self.url}/search/granules.umm_json", [(key, scene_id), ("page_size", "1")], {})
        items = body.get("items") or []
        if not items:
            raise ProviderError(f"NASA CMR has no granule {scene_id!r}.", self.name)
        return self.scene_from_umm(items[0])

    # -- records ------------------------------------------------------------------------------------
    def scene_from_umm(self, item: dict) -> Scene:
        try:
            meta, umm = item["meta"], item["umm"]
            granule_ur = umm["GranuleUR"]
        except (KeyError, TypeError):
            raise ProviderResponseError(
                "NASA CMR sent a granule without meta/umm/GranuleUR.", self.name
            ) from None
        ref = umm.get("CollectionReference") or {}
        platforms = [p.get("ShortName", "") for p in umm.get("Platforms") or [] if isinstance(p, dict)]
        time_range = (umm.get("TemporalExtent") or {}).get("RangeDateTime") or {}
        files = {
            f.get("Name"): f
            for f in (umm.get("DataGranule") or {}).get("ArchiveAndDistributionInformation") or []
            if isinstance(f, dict)
        }
        links = [link for link in umm.get("RelatedUrls") or [] if isinstance(link, dict)]
        data_links = [link for link in links if link.get("Type") == "GET DATA"]
        if len(files) == 1 and len(data_links) == 1:  # one file, whatever its recorded name
            # (LAADS, e.g., names it "Not provided")
            files = {
                str(data_links[0].get("URL", "")).rstrip("/").rsplit("/", 1)[-1]: next(iter(files.values()))
            }
        assets: dict[str, Asset] = {}
        quicklook = None
        for link in links:
            href, kind = link.get("URL", ""), link.get("Type", "")
            if not href.startswith(("http://", "https://")):
                continue
            name = href.rstrip("/").rsplit("/", 1)[-1]
            if kind == "GET DATA":
                info = files.get(name) or {}
                key = _asset_key(name, granule_ur)
                assets[key] = Asset(
                    key=key,
                    href=href,
                    title=name,
                    roles=(ROLE_DATA,),
                    size=info.get("SizeInBytes") if isinstance(info.get("SizeInBytes"), int) else None,
                    checksum=_checksum(info.get("Checksum")),
                )
            elif kind == "GET RELATED VISUALIZATION" and quicklook is None:
                quicklook = href
                assets["browse"] = Asset(key="browse", href=href, title=name, roles=(ROLE_OVERVIEW,))
        cloud = umm.get("CloudCover")
        return Scene(
            provider=self.name,
            id=granule_ur,
            platform=normalise_platform(platforms[0]) if platforms else None,
            collection=ref.get("ShortName"),
            datetime=parse_scene_datetime(time_range.get("BeginningDateTime")),
            footprint=_footprint(umm.get("SpatialExtent") or {}),
            cloud_cover=parse_cloud_cover(cloud),
            quicklook=quicklook,
            assets=assets,
            raw=item,
            online=True,
            properties={
                "concept_id": meta.get("concept-id"),
                "collection_concept_id": meta.get("collection-concept-id"),
                "provider_id": meta.get("provider-id"),
                "version": ref.get("Version"),
                "spacecraft": platforms[0] if platforms else None,
                "end_datetime": time_range.get("EndingDateTime"),
            },
        )

    # -- download -----------------------------------------------------------------------------------
    def download_client(self, scene: Scene) -> Any:
        """The client fetching ``scene``'s files: Basic credentials to the Earthdata login host only,
        or a token as Bearer to the scene's data hosts only."""
        if self._given_download_http is not None:
            return self._given_download_http
        creds = self._credentials()
        data_hosts = tuple(
            sorted({host_pattern(a.href) for a in scene.assets.values() if ROLE_DATA in a.roles})
        )
        key = data_hosts if not creds.username else ("urs",)
        with self._lock:
            client = self._download_clients.get(key)
            if client is None:
                if creds.username:
                    auth = BasicAuth(creds.username, creds.secret, host_pattern(self.urs_url))
                else:
                    urs = host_pattern(self.urs_url)
                    hosts = tuple(h for h in data_hosts if h != urs)
                    if not hosts:
                        raise ProviderError(
                            f"Granule {scene.id} has no data host to send a token to.", self.name
                        )
                    auth = BearerAuth(StaticTokenProvider(creds.secret), hosts)
                client = self.http_client(
                    auth=auth, name="NASA Earthdata", provider=self.name, timeout=(10.0, 120.0)
                )
                self._download_clients[key] = client
            return client


def _asset_key(file_name: str, granule_ur: str) -> str:
    """``HLS.L30…v2.0.B04.tif`` → ``B04``; other names keep their base name without extension."""
    stem = file_name.rsplit(".", 1)[0] if "." in file_name else file_name
    if stem.startswith(granule_ur + ".") and len(stem) > len(granule_ur) + 1:
        return stem[len(granule_ur) + 1 :]
    return stem or file_name


def _checksum(info: Any) -> Optional[Checksum]:
    if not isinstance(info, dict) or not info.get("Value") or not info.get("Algorithm"):
        return None
    try:
        return Checksum(str(info["Algorithm"]), str(info["Value"]))
    except ScenePickerError:
        return None  # an algorithm we cannot check: the size still is


def _footprint(spatial: dict) -> Optional[BaseGeometry]:
    geometry = (spatial.get("HorizontalSpatialDomain") or {}).get("Geometry") or {}
    parts: list[BaseGeometry] = []
    for gpoly in geometry.get("GPolygons") or []:
        points = ((gpoly.get("Boundary") or {}).get("Points")) or []
        ring = [(p["Longitude"], p["Latitude"]) for p in points if "Longitude" in p and "Latitude" in p]
        if len(ring) >= 4:
            part = _gpolygon(ring)
            if part is not None:
                parts.append(part)
    for rect in geometry.get("BoundingRectangles") or []:
        try:
            west, east = rect["WestBoundingCoordinate"], rect["EastBoundingCoordinate"]
            south, north = rect["SouthBoundingCoordinate"], rect["NorthBoundingCoordinate"]
        except KeyError:
            continue
        if west > east:
            parts += [box(west, south, 180, north), box(-180, south, east, north)]
        else:
            parts.append(box(west, south, east, north))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else unary_union(parts)


def _gpolygon(ring: list[tuple[float, float]]) -> Optional[BaseGeometry]:
    """A GPolygon boundary in EPSG:4326 within ±180°: one crossing the antimeridian (an edge jumping
    more than 180° of longitude) is cut there like an AOI (:func:`normalize_wgs84`), and one winding
    once around a pole (longitudes adding up to ±360°, e.g. a polar MODIS swath) is closed over it."""
    lons = [ring[0][0]]
    for (x0, _), (x1, _) in zip(ring, ring[1:]):
        step = (x1 - x0 + 180.0) % 360.0 - 180.0  # the shorter way round
        lons.append(lons[-1] + step)
    turns = round((lons[-1] - lons[0]) / 360.0)
    lons[-1] = lons[0] + 360.0 * turns  # exactly, despite rounding
    unwrapped = [(x, y) for x, (_, y) in zip(lons, ring)]
    if turns:  # the boundary circles a pole: close it along the pole
        pole = 90.0 if sum(y for _, y in ring) > 0 else -90.0
        unwrapped += [(lons[-1], pole), (lons[0], pole)]
    try:
        # the pieces cut at ±180° may touch along a meridian: merged so the result is valid
        return unary_union(normalize_wgs84(Polygon(unwrapped), unwrap=False))
    except InvalidAOIError:
        log.info("NASA CMR sent an unusable granule footprint; the granule is kept without one")
        return None


def _spatial_params(aoi: BaseGeometry) -> tuple[list[tuple[str, str]], bool]:
    """``polygon[]`` values (counter-clockwise, closed) when the AOI is polygonal and small enough,
    else ``bounding_box[]`` values; the flag says whether that is exact (no holes, no envelope)."""
    parts = list(aoi.geoms) if isinstance(aoi, MultiPolygon) else [aoi]
    polygonal = all(isinstance(p, Polygon) for p in parts)
    points = sum(len(p.exterior.coords) for p in parts) if polygonal else 0
    params: list[tuple[str, str]] = []
    if polygonal and points <= MAX_POLYGON_POINTS:
        exact = not any(p.interiors for p in parts)
        for part in parts:
            ring = orient(Polygon(part.exterior), 1.0).exterior.coords
            params.append(("polygon[]", ",".join(f"{_num(x)},{_num(y)}" for x, y in ring)))
    else:
        exact = False
        for part in parts:
            west, south, east, north = part.bounds
            params.append(("bounding_box[]", ",".join(_num(v) for v in (west, south, east, north))))
    if len(parts) > 1:
        params.append(("options[spatial][or]", "true"))
    return params, exact


def _num(value: float) -> str:
    """A coordinate as plain decimal text (no exponent), to 1e-7 degree."""
    return f"{value:.7f}".rstrip("0").rstrip(".") or "0"


def _int(*values: Any) -> Optional[int]:
    for value in values:
        try:
            return int(value)
        except (TypeError, ValueError):
            continue
    return None
