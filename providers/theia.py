"""The Theia (CNES) provider: resto search, token authentication, archive download and partial extraction.

- Search: ``/resto2/api/collections/<COLLECTION>/search.json`` (SENTINEL2 L2A MAJA, LANDSAT, VENUS,
  SPOTWORLDHERITAGE) with ``box``, ``location`` (tile), ``startDate``, ``completionDate``,
  ``cloudCover=[min,max]``, ``processingLevel``, ``relativeOrbitNumber``, paged with ``maxRecords`` and
  ``page`` until every result is read. Searching needs no account.
- Auth: :class:`TheiaTokenProvider` posts ``ident``/``pass`` to ``/services/authenticate/`` and gets
  the token as plain text, sent as Bearer; it is renewed on 401/403 and before long transfers.
- Download: ``…/collections/<C>/<id>/download/?issuerId=theia``, whole archive verified against the
  catalogue's MD5, or chosen members extracted remotely in *open-ended* range mode, because Theia's
  server cuts bounded ranges short.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Sequence, Union

from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from ..core.auth import BearerAuth
from ..core.checksums import Checksum
from ..core.credentials import Credentials, require_credentials
from ..core.errors import (
    AuthenticationError,
    ChecksumMismatchError,
    HttpStatusError,
    ProviderError,
    ProviderResponseError,
    UsageError,
)
from ..core.query import Query, format_datetime
from ..core.redact import redact
from ..core.scene import ROLE_DATA, ROLE_OVERVIEW, Asset, Scene, parse_scene_datetime
from .base import CredentialSpec, Downloader, DownloadResult, Provider, ResultPage, SearchResults
from .query_params import bbox_param, cloud_interval_param, host_pattern
from .registry import register

log = logging.getLogger(__name__)

DEFAULT_URL = "https://theia.cnes.fr/atdistrib"
MAX_RECORDS = 500
#: Collection -> default processing level (None: the collection has one level only).
COLLECTIONS: dict[str, Optional[str]] = {
    "SENTINEL2": "LEVEL2A",
    "LANDSAT": None,
    "VENUS": "LEVEL2A",
    "SPOTWORLDHERITAGE": None,
}
#: Lower-case platform names -> collection, to pick collections from ``Query.platforms``.
PLATFORM_COLLECTIONS = {
    "sentinel-2": "SENTINEL2",
    "sentinel-2a": "SENTINEL2",
    "sentinel-2b": "SENTINEL2",
    "sentinel2": "SENTINEL2",
    "landsat-8": "LANDSAT",
    "landsat8": "LANDSAT",
    "landsat": "LANDSAT",
    "venus": "VENUS",
    "spot": "SPOTWORLDHERITAGE",
    "spot-1": "SPOTWORLDHERITAGE",
    "spot-2": "SPOTWORLDHERITAGE",
    "spot-3": "SPOTWORLDHERITAGE",
    "spot-4": "SPOTWORLDHERITAGE",
    "spot-5": "SPOTWORLDHERITAGE",
}
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_TOKEN = re.compile(r"^[A-Za-z0-9._~+/=-]{8,512}$")
#: Query.extras keys passed to resto as they are.
_PASSTHROUGH = ("location", "relativeOrbitNumber", "orbitNumber", "platform", "processingLevel")


class TheiaTokenProvider:
    """Tokens from Theia's authentication service (``TokenProvider`` protocol of core.auth).

    A token older than ``max_age`` seconds is renewed before use (Theia's tokens live about two
    hours); :meth:`invalidate` forces a new one after a 401/403.
    """

    def __init__(
        self,
        auth_url: str,
        ident: str,
        password: str,
        http: Any = None,
        max_age: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if http is None:
            from ..core.http import HttpClient

            http = HttpClient(name="Theia")
        self.auth_url = auth_url
        self.ident = ident
        self._password = password
        self.http = http
        self.max_age = max_age
        self._clock = clock
        self._lock = threading.Lock()
        self._token: Optional[str] = None
        self._issued = 0.0
        #: Tokens obtained so far (for diagnostics and tests).
        self.logins = 0

    @property
    def current_token(self) -> Optional[str]:
        return self._token

    def get_token(self) -> str:
        with self._lock:
            if self._token is None or self._clock() - self._issued >= self.max_age:
                self._login()
            assert self._token is not None
            return self._token

    def invalidate(self) -> None:
        with self._lock:
            self._token = None

    def ensure_fresh(self, min_remaining: float) -> None:
        """Renew the token now if less than ``min_remaining`` seconds of ``max_age`` are left."""
        with self._lock:
            if self._token is None or self._clock() - self._issued > self.max_age - min_remaining:
                self._login()

    def _login(self) -> None:
        response = self.http.request(
            "POST",
            self.auth_url,
            data={"ident": self.ident, "pass": self._password},
            accept_status=(400, 401, 403),
            idempotent=True,
        )
        text = response.text.strip()
        if response.status_code != 200 or not _TOKEN.match(text):
            detail = redact(" ".join(text.split())[:120], (self._password,)) if "<" not in text else ""
            raise AuthenticationError(
                f"Theia refused the credentials of '{self.ident}' (HTTP {response.status_code}"
                f"{': ' + detail if detail else ''}). Check the Theia user name and password "
                "(scene-picker login theia stores new ones)."
            )
        self._token = text
        self._issued = self._clock()
        self.logins += 1


class TheiaProvider(Provider):
    """Theia's catalogue (resto) and distribution service."""

    name = "theia"
    title = "Theia (CNES)"
    platforms = ("sentinel-2", "landsat-8", "venus", "spot-1", "spot-2", "spot-3", "spot-4", "spot-5")
    credentials = CredentialSpec(
        "password",
        "Theia account: user name (e-mail) and password",
        signup_url="https://sso.theia-land.fr/theia/register/register.xhtml",
    )
    http_name = "Theia"

    def __init__(
        self,
        url: str = DEFAULT_URL,
        username: Optional[str] = None,
        password: Optional[str] = None,
        page_size: int = MAX_RECORDS,
        token_max_age: float = 3600.0,
        http: Any = None,
    ) -> None:
        super().__init__(http)
        self.url = url.rstrip("/")
        if not 1 <= page_size <= MAX_RECORDS:
            raise UsageError(f"Theia pages hold 1 to {MAX_RECORDS} records, not {page_size}.")
        self.page_size = page_size
        self.token_max_age = token_max_age
        self._explicit = Credentials(username, password) if username and password else None
        self._tokens: Optional[TheiaTokenProvider] = None
        self._download_http: Any = None
        self._lock = threading.Lock()

    # -- authentication ---------------------------------------------------------------------------
    @property
    def tokens(self) -> TheiaTokenProvider:
        with self._lock:
            if self._tokens is None:
                creds = self._explicit or require_credentials(self.name)
                self._tokens = TheiaTokenProvider(
                    f"{self.url}/services/authenticate/",
                    creds.username,
                    creds.secret,
                    http=self.http,
                    max_age=self.token_max_age,
                )
            return self._tokens

    @property
    def download_http(self) -> Any:
        """The client for downloads: the token as Bearer, to Theia's host only."""
        tokens = self.tokens
        with self._lock:
            if self._download_http is None:
                from ..core.http import HttpClient

                self._download_http = HttpClient(
                    auth=BearerAuth(tokens, host_pattern(self.url)),
                    name="Theia",
                    provider=self.name,
                    timeout=(10.0, 120.0),
                )
                self._download_http.session.proxies.update(self.http.session.proxies)
            return self._download_http

    def login(self) -> None:
        """Get a token now (checks the credentials)."""
        self.tokens.ensure_fresh(self.token_max_age)

    #: What the settings dialog calls to test the stored account (searching needs no account).
    check_login = login

    # -- search -----------------------------------------------------------------------------------
    def collections_for(self, query: Query) -> list[str]:
        if query.collections:
            unknown = [c for c in query.collections if c.upper() not in COLLECTIONS]
            if unknown:
                raise UsageError(
                    f"Unknown Theia collection(s) {', '.join(unknown)}; known: {', '.join(COLLECTIONS)}."
                )
            return [c.upper() for c in query.collections]
        if query.platforms:
            chosen: list[str] = []
            for platform in query.platforms:
                collection = PLATFORM_COLLECTIONS.get(platform.lower())
                if collection and collection not in chosen:
                    chosen.append(collection)
            if not chosen:
                raise UsageError(f"Theia serves none of the platforms {', '.join(query.platforms)}.")
            return chosen
        return ["SENTINEL2"]

    def search_params(self, collection: str, query: Query) -> dict[str, Any]:
        params: dict[str, Any] = {"box": bbox_param(query), "cloudCover": cloud_interval_param(query)}
        if query.start is not None:
            params["startDate"] = format_datetime(query.start)
        if query.end is not None:
            params["completionDate"] = format_datetime(query.end)
        level = query.product_type or COLLECTIONS.get(collection)
        if level:
            params["processingLevel"] = level
        for key in _PASSTHROUGH:
            if query.extras.get(key) not in (None, ""):
                params[key] = query.extras[key]
        if "tile" in query.extras and "location" not in params:
            tile = str(query.extras["tile"]).upper()
            params["location"] = tile if tile.startswith("T") or collection != "SENTINEL2" else "T" + tile
        return {k: v for k, v in params.items() if v is not None}

    def search(self, query: Query) -> SearchResults:
        collections = self.collections_for(query)
        per_page = min(self.page_size, query.max_results or self.page_size)
        return SearchResults(self._pages(collections, query, per_page), query.max_results)

    def _pages(self, collections: list[str], query: Query, per_page: int) -> Iterator[ResultPage]:
        pagers = [self._collection_pages(c, query, per_page) for c in collections]
        firsts = [next(p, None) for p in pagers]
        totals = [f[1] for f in firsts if f is not None]
        total = sum(t for t in totals if t is not None) if all(t is not None for t in totals) else None
        announced = False
        for first, pager in zip(firsts, pagers):
            if first is None:
                continue
            yield ResultPage(first[0], None if announced else total)
            announced = True
            for scenes, _ in pager:
                yield ResultPage(scenes)
        if not announced:
            yield ResultPage([], total)

    def _collection_pages(
        self, collection: str, query: Query, per_page: int
    ) -> Iterator[tuple[list[Scene], Optional[int]]]:
        url = f"{self.url}/resto2/api/collections/{collection}/search.json"
        params = self.search_params(collection, query)
        params["maxRecords"] = per_page
        total: Optional[int] = None
        page, read = 1, 0
        max_pages = 10_000
        while page <= max_pages:
            payload = self.http.get_json(url, params={**params, "page": page})
            features, announced = self._features_of(payload)
            if total is None:
                total = announced
                if total is not None:
                    max_pages = max(1, math.ceil(total / per_page))
            read += len(features)
            scenes = [self.to_scene(f) for f in features]
            # The server filters on the AOI's bounding box only: keep the scenes that meet the AOI itself.
            scenes = [
                s
                for s in scenes
                if query.matches(s, time=False, cloud=False, collections=False, platforms=False)
            ]
            yield scenes, total
            if len(features) < per_page or not features or (total is not None and read >= total):
                return
            page += 1

    def _features_of(self, payload: Any) -> tuple[list[dict[str, Any]], Optional[int]]:
        if not isinstance(payload, dict) or not isinstance(payload.get("features"), list):
            raise ProviderResponseError("Theia answered a search without a feature list.", self.name)
        props = payload.get("properties") or {}
        total = props.get("totalResults") if isinstance(props, dict) else None
        return payload["features"], int(total) if isinstance(total, (int, float)) else None

    def to_scene(self, feature: dict[str, Any]) -> Scene:
        try:
            props = feature["properties"]
            theia_id = str(feature["id"])
            identifier = str(props.get("productIdentifier") or props.get("title") or theia_id)
            collection = str(props.get("collection") or "")
            download = (props.get("services") or {}).get("download") or {}
        except (KeyError, TypeError, AttributeError) as exc:
            raise ProviderResponseError(f"Theia answered a malformed feature ({exc}).", self.name) from None
        footprint: Optional[BaseGeometry] = None
        if feature.get("geometry"):
            footprint = shape(feature["geometry"])
        assets: dict[str, Asset] = {}
        if isinstance(download.get("url"), str):
            checksum = None
            if isinstance(download.get("checksum"), str) and len(download["checksum"]) == 32:
                checksum = Checksum("md5", download["checksum"].lower())
            size = download.get("size")
            assets["archive"] = Asset(
                key="archive",
                href=download_url(download["url"]),
                title=f"{identifier}.zip",
                media_type=download.get("mimeType") or "application/zip",
                roles=(ROLE_DATA,),
                size=int(size) if isinstance(size, (int, float)) and size > 0 else None,
                checksum=checksum,
            )
        quicklook = props.get("quicklook") or props.get("thumbnail")
        if isinstance(quicklook, str):
            assets["quicklook"] = Asset("quicklook", quicklook, title="Quicklook", roles=(ROLE_OVERVIEW,))
        cloud = props.get("cloudCover")
        extra_keys = ("processingLevel", "productType", "location", "relativeOrbitNumber", "orbitNumber")
        return Scene(
            provider=self.name,
            id=identifier,
            platform=props.get("platform"),
            collection=collection or None,
            datetime=parse_scene_datetime(props.get("startDate")),
            footprint=footprint,
            cloud_cover=float(cloud) if isinstance(cloud, (int, float)) else None,
            quicklook=quicklook if isinstance(quicklook, str) else None,
            assets=assets,
            raw=feature,
            properties={"theia_id": theia_id, **{k: props[k] for k in extra_keys if k in props}},
        )

    def get(self, scene_id: str) -> Scene:
        key = "identifier" if _UUID.match(scene_id) else "productIdentifier"
        for collection in COLLECTIONS:
            url = f"{self.url}/resto2/api/collections/{collection}/search.json"
            payload = self.http.get_json(url, params={key: scene_id, "maxRecords": 1})
            features, _ = self._features_of(payload)
            if features:
                return self.to_scene(features[0])
        raise ProviderError(f"Theia has no product {scene_id!r}.", self.name)

    def downloader(self, scene: Scene) -> Downloader:
        return TheiaDownloader(scene, self)


def download_url(catalogue_url: str) -> str:
    """The catalogue's ``…/download`` URL with the ``/?issuerId=theia`` Theia's server requires."""
    if "issuerId=" in catalogue_url:
        return catalogue_url
    return catalogue_url.rstrip("/") + "/?issuerId=theia"


class TheiaDownloader(Downloader):
    """Renews the token before a long transfer (the HTTP client renews it once on 401/403); a refusal
    with a fresh token is a clear error; zip members in open-ended range mode."""

    #: Renew the token first when less than this is left of its life (long transfers).
    min_token_life = 1800.0
    #: Theia's server cuts bounded ranges short: ask ``bytes=start-`` and stop reading when enough came.
    range_mode = "open-ended"

    def __init__(self, scene: Scene, provider: TheiaProvider) -> None:
        super().__init__(scene, provider.download_http, provider=provider.title)
        self.theia = provider

    def download(
        self,
        outdir: Union[str, Path],
        assets: Optional[Sequence[str]] = None,
        members: Optional[Sequence[str]] = None,
        overwrite: bool = False,
        cancel: Any = None,
        progress: Any = None,
    ) -> DownloadResult:
        """As :meth:`Downloader.download`, with a token fresh enough for a long transfer."""
        tokens = self.theia.tokens
        tokens.ensure_fresh(min(self.min_token_life, tokens.max_age / 2))
        options = {
            "assets": assets,
            "members": members,
            "overwrite": overwrite,
            "cancel": cancel,
            "progress": progress,
        }
        try:
            # A token Theia no longer accepts is renewed once by the HTTP client (BearerAuth.refresh).
            return super().download(outdir, **options)
        except HttpStatusError as exc:
            if exc.status not in (401, 403):
                raise
            raise ProviderError(
                f"Theia refused the download of {self.scene.id} (HTTP {exc.status}) even with a fresh "
                f"token: the account '{tokens.ident}' may not have the rights to collection "
                f"{self.scene.collection or '?'} (some need their licence accepted on the Theia site).",
                self.theia.name,
            ) from None
        except ChecksumMismatchError as exc:
            if members:
                raise  # a member's CRC32: the engine's message says which one
            raise ChecksumMismatchError(
                f"Theia: the archive of {self.scene.id} does not match the catalogue's MD5, even after a "
                f"second download ({exc}). The product may be damaged on the server; try again later."
            ) from None


register(TheiaProvider)
