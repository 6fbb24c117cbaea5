"""GEODES (CNES): the Theia/MUSCATE and PEPS products through GEODES's STAC API, with API-key downloads.

- Search: ``POST <url>/search`` (default url ``https://geodes-portal.cnes.fr/api/stac``) with a JSON
  body: ``collections``, ``bbox``, ``limit`` (at most 80) and ``page`` (from 1), and the ``query``
  extension for the rest: the acquisition window as overlap (``end_datetime >= start`` and
  ``start_datetime <= end``), ``eo:cloud_cover`` (``gte``/``lte``) and the tile (``grid:code`` that
  ``contains`` ``T31TCJ``). The total is ``context.matched``. Searching needs no account.
- Items: the product name is ``properties.identifier`` (the item ``id`` is an opaque URN, kept as
  ``geodes:id``); the acquisition is ``start_datetime``/``end_datetime`` (``datetime`` is the
  publication date, kept as ``published``); the data asset's size, MD5 and "Is online" flag are
  parsed from its ``description``.
- Collections: see :mod:`.geodes_collections` (shipped list, aliases of the ids renamed in December
  2025, :meth:`GeodesProvider.refresh_collections` for the live list).
- Downloads: :mod:`.geodes_download` (``X-API-Key`` to the GEODES host only, MD5, availability).

Registered as ``geodes``; ``theia`` (the retired Theia resto catalogue) is an alias of it.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from typing import Any, Iterator, Optional

from ..core.auth import ApiKeyAuth
from ..core.checksums import Checksum
from ..core.credentials import Credentials
from ..core.errors import (
    AuthenticationError,
    HttpStatusError,
    ProviderError,
    ProviderResponseError,
    UsageError,
)
from ..core.query import Query, format_datetime
from ..core.scene import ROLE_DATA, ROLE_OVERVIEW, Asset, Scene, catalog_source, parse_scene_datetime
from .base import Provider, ResultPage, SearchResults, checked_page_size
from .geodes_collections import (
    COLLECTIONS,
    DEFAULT_COLLECTION,
    GeodesCollection,
    canonical_collection,
    collections_for_platforms,
    parse_collections,
)
from .geodes_download import GeodesDownloader
from .polling import PollPolicy
from .query_params import host_pattern
from .spec import CredentialSpec, OptionSpec, ProviderSpec
from .stac_item import item_to_scene, matched_total

log = logging.getLogger(__name__)

DEFAULT_URL = "https://geodes-portal.cnes.fr/api/stac"
#: GEODES's documented page-size limit.
MAX_LIMIT = 80
MAX_PAGES = 10_000
#: The retired Theia catalogue: a result file or option naming it is served from GEODES instead.
RETIRED_URL = re.compile(r"^https?://theia\.cnes\.fr(/|$)", re.IGNORECASE)
#: GEODES's Sentinel platform codes (``S2A``) -> platform names.
_PLATFORM_CODE = re.compile(r"^S([123])([A-D])$", re.IGNORECASE)
#: Item properties not worth keeping on a scene (large and of no use to pick a scene).
_DROPPED = frozenset({"political", "references", "datetime", "eo:cloud_cover"})


class GeodesProvider(Provider):
    """GEODES's STAC API (search) and download service (API key)."""

    downloader_class = GeodesDownloader

    spec = ProviderSpec(
        name="geodes",
        title="GEODES (CNES: Theia, PEPS)",
        platforms=("sentinel-1", "sentinel-2", "landsat-5", "landsat-7", "landsat-8", "venus"),
        collections=(DEFAULT_COLLECTION,),
        options=(
            OptionSpec("url", "url", DEFAULT_URL, "GEODES STAC API"),
            OptionSpec("page_size", "int", MAX_LIMIT, f"results asked per request (at most {MAX_LIMIT})"),
        ),
        credentials=CredentialSpec(
            "api_key",
            "GEODES API key (geodes.cnes.fr: sign in, then 'API key' in your account)",
            signup_url="https://geodes.cnes.fr",
        ),
        aliases=("theia",),
    )
    http_name = "GEODES"

    def __init__(
        self,
        url: str = DEFAULT_URL,
        api_key: Optional[str] = None,
        page_size: int = MAX_LIMIT,
        poll: Optional[PollPolicy] = None,
        http: Any = None,
    ) -> None:
        super().__init__(http)
        if RETIRED_URL.match(url or ""):
            log.info("The Theia catalogue %s is retired: searching GEODES (%s) instead.", url, DEFAULT_URL)
            url = DEFAULT_URL
        self.url = url.rstrip("/")
        self.page_size = checked_page_size(page_size, MAX_LIMIT, "GEODES")
        self.poll = poll or PollPolicy(interval=10.0, factor=1.5, max_interval=120.0, timeout=3600.0)
        self._explicit = Credentials("", api_key) if api_key else None
        self._download_http: Any = None
        self._lock = threading.Lock()

    # -- where things are -------------------------------------------------------------------------
    @property
    def source(self) -> dict[str, str]:
        """What rebuilds this provider from a result file (the catalog URL)."""
        return catalog_source(self.url)

    @property
    def portal_url(self) -> str:
        """The portal root (``https://geodes-portal.cnes.fr``): the STAC URL without ``/api/stac``."""
        return re.sub(r"/api/stac$", "", self.url)

    @property
    def availability_url(self) -> str:
        return f"{self.portal_url}/fastavailability"

    @property
    def download_http(self) -> Any:
        """The client for downloads: the API key as ``X-API-Key``, to the GEODES host only."""
        with self._lock:
            if self._download_http is None:
                creds = self._credentials()
                auth = ApiKeyAuth("X-API-Key", creds.secret, host_pattern(self.url))
                self._download_http = self.http_client(
                    auth=auth, name="GEODES", provider=self.name, timeout=(10.0, 120.0)
                )
            return self._download_http

    def login(self) -> None:
        """Check the stored API key (what the settings dialog's test calls): the first byte of one
        product's archive is asked for with it; a refusal raises AuthenticationError."""
        results = self.search(Query.build(max_results=1))
        try:
            scene = next(iter(results), None)
        finally:
            results.close()
        archive = scene.assets.get("archive") if scene is not None else None
        if archive is None:
            raise ProviderError("GEODES found no product to check the API key with.", self.name)
        try:
            response = self.download_http.request(
                "GET",
                archive.href,
                headers={"Range": "bytes=0-0"},
                stream=True,
                accept_status=(404, 409, 410),
            )
        except HttpStatusError as exc:
            if exc.status != 403:
                raise
            raise AuthenticationError(
                "GEODES refused the API key (HTTP 403); scene-picker login geodes stores a new one."
            ) from None
        response.close()

    # -- collections ------------------------------------------------------------------------------
    def collections(self) -> list[GeodesCollection]:
        """The collections shipped with the provider."""
        return list(COLLECTIONS)

    def refresh_collections(self) -> list[GeodesCollection]:
        """GEODES's live collection list (``POST <url>/collections``)."""
        answer = self.http.request_json(
            "POST", f"{self.url}/collections", json={"page": 1, "limit": 500}, idempotent=True
        )
        return parse_collections(answer)

    def collections_for(self, query: Query) -> list[str]:
        if query.collections:
            return list(dict.fromkeys(canonical_collection(c) for c in query.collections))
        if query.platforms:
            chosen = collections_for_platforms(query.platforms)
            if not chosen:
                raise UsageError(f"GEODES serves none of the platforms {', '.join(query.platforms)}.")
            return chosen
        return [DEFAULT_COLLECTION]

    # -- search -----------------------------------------------------------------------------------
    def search_body(self, query: Query) -> dict[str, Any]:
        """The JSON body of ``POST /search`` for ``query`` (without ``page``)."""
        body: dict[str, Any] = {"collections": self.collections_for(query)}
        if query.aoi is not None:
            body["bbox"] = [round(v, 6) for v in query.aoi.bounds]
        conditions: dict[str, Any] = {}
        if query.start is not None:  # products overlapping the window
            conditions["end_datetime"] = {"gte": format_datetime(query.start)}
        if query.end is not None:
            conditions["start_datetime"] = {"lte": format_datetime(query.end)}
        if query.has_cloud_filter:
            cloud = {}
            if query.cloud_min is not None:
                cloud["gte"] = query.cloud_min
            if query.cloud_max is not None:
                cloud["lte"] = query.cloud_max
            conditions["eo:cloud_cover"] = cloud
        tile = query.extras.get("tile")
        if tile not in (None, ""):
            text = re.sub(r"^(MGRS-|T)", "", str(tile).strip().upper())
            conditions["grid:code"] = {"contains": "T" + text}
        orbit = query.extras.get("relativeOrbitNumber", query.extras.get("relative_orbit"))
        if orbit not in (None, ""):
            if not str(orbit).strip().isdigit():
                raise UsageError(f"A relative orbit is a number, not {orbit!r}.")
            conditions["sat:relative_orbit"] = {"eq": int(orbit)}
        if conditions:
            body["query"] = conditions
        body["sortBy"] = [{"field": "start_datetime", "direction": "asc"}]
        return body

    def search(self, query: Query) -> SearchResults:
        body = self.search_body(query)
        limit = min(self.page_size, query.max_results or self.page_size)
        return SearchResults(self._pages(body, query, limit), query.max_results)

    def _pages(self, body: dict[str, Any], query: Query, limit: int) -> Iterator[ResultPage]:
        total: Optional[int] = None
        read = 0
        for page in range(1, MAX_PAGES + 1):
            answer = self._search_page({**body, "limit": limit, "page": page})
            features = answer["features"]
            if total is None:
                total = matched_total(answer)
            read += len(features)
            scenes = [self.to_scene(f) for f in features]
            # The server filters on the AOI's bounding box: keep the scenes that meet the AOI itself.
            scenes = [
                s
                for s in scenes
                if query.matches(s, time=False, cloud=False, collections=False, platforms=False)
            ]
            yield ResultPage(scenes, total if page == 1 else None)
            if len(features) < limit or (total is not None and read >= total):
                return
        log.warning("GEODES: stopped after %d pages (the limit)", MAX_PAGES)

    def _search_page(self, body: dict[str, Any]) -> dict[str, Any]:
        answer = self.http.request_json("POST", f"{self.url}/search", json=body, idempotent=True)
        if not isinstance(answer, dict) or not isinstance(answer.get("features"), list):
            raise ProviderResponseError("GEODES answered a search without a feature list.", self.name)
        return answer

    def to_scene(self, item: Any) -> Scene:
        """A :class:`Scene` from one GEODES STAC item."""
        if not isinstance(item, dict):
            raise ProviderResponseError("GEODES answered a search with a malformed item.", self.name)
        base = item_to_scene(item, self.name, self.url, label="GEODES", source=self.source)
        props = item.get("properties") or {}
        assets, online = _assets(item.get("assets") or {}, base.assets)
        identifier = props.get("identifier")
        tile = props.get("grid:code")
        extra = {k: v for k, v in base.properties.items() if k not in _DROPPED}
        extra["geodes:id"] = item["id"]
        if isinstance(props.get("datetime"), str):
            extra["published"] = props["datetime"]
        if isinstance(tile, str) and tile:
            extra["tile"] = re.sub(r"^(MGRS-|T)", "", tile)
        if isinstance(props.get("sat:relative_orbit"), int):
            extra["relative_orbit"] = props["sat:relative_orbit"]
        base.id = identifier if isinstance(identifier, str) and identifier else item["id"]
        base.datetime = parse_scene_datetime(props.get("start_datetime")) or parse_scene_datetime(
            props.get("datetime")
        )
        base.platform = _platform(props.get("platform"))
        base.collection = item.get("collection") or props.get("dataset")
        base.assets = assets
        base.quicklook = next((a.href for a in assets.values() if ROLE_OVERVIEW in a.roles), None)
        base.online = online
        base.properties = extra
        return base

    def get(self, scene_id: str) -> Scene:
        """One product by its name (``properties.identifier``) or its URN."""
        if scene_id.upper().startswith("URN:"):
            body: dict[str, Any] = {"ids": [scene_id]}
        else:
            body = {"query": {"identifier": {"eq": scene_id}}}
        answer = self._search_page({**body, "limit": 1, "page": 1})
        if answer["features"]:
            return self.to_scene(answer["features"][0])
        raise ProviderError(f"GEODES has no product {scene_id!r}.", self.name)


def _platform(code: Any) -> Optional[str]:
    """``S2A`` -> ``sentinel-2a``; other names as GEODES writes them, in lower case."""
    if not isinstance(code, str) or not code:
        return None
    match = _PLATFORM_CODE.match(code.strip())
    if match:
        return f"sentinel-{match.group(1)}{match.group(2).lower()}"
    return code.strip().lower()


def parse_description(text: Any) -> dict[str, str]:
    """GEODES's asset description (``File size: 18684 bytes\\n\\nIs online: true\\n\\n…``) as a dict."""
    out: dict[str, str] = {}
    if not isinstance(text, str):
        return out
    for line in text.splitlines():
        key, sep, value = line.strip().partition(":")
        if sep:
            out[key.strip().lower()] = value.strip()
    return out


def _assets(raw: dict[str, Any], parsed: dict[str, Asset]) -> tuple[dict[str, Asset], bool]:
    """The data archive as ``archive`` and the quicklook as ``quicklook`` (GEODES keys its assets by file
    path), with size and MD5 from the descriptions; and whether the archive is online."""
    out: dict[str, Asset] = {}
    online = True
    for key, asset in parsed.items():
        facts = parse_description((raw.get(key) or {}).get("description"))
        size_text = re.sub(r"\s*bytes?$", "", facts.get("file size", ""))
        size = int(size_text) if size_text.isdigit() else asset.size
        checksum = asset.checksum
        md5 = facts.get("checksum md5", "").lower()
        if re.fullmatch(r"[0-9a-f]{32}", md5):
            checksum = Checksum("md5", md5)
        if ROLE_DATA in asset.roles and "archive" not in out:
            name = "archive"
            online = facts.get("is online", "true").lower() == "true"
        elif ROLE_OVERVIEW in asset.roles and "quicklook" not in out:
            name = "quicklook"
        else:
            name = key.rsplit("/", 1)[-1]
        out[name] = Asset(
            key=name,
            href=asset.href,
            title=asset.title or key,
            media_type=asset.media_type,
            roles=asset.roles,
            size=size if size and size > 0 and math.isfinite(size) else None,
            checksum=checksum,
        )
    return out, online
