"""Any STAC API by URL (Earth Search, Planetary Computer, USGS Astrogeology, pgstac…): item search.

- The landing page gives the conformance classes (``conformsTo``, else the ``conformance`` link) and
  the ``search`` link(s) with their methods.
- ``POST /search`` with a JSON body; falls back to ``GET /search`` when POST is refused (404/405/501)
  or not advertised. AOI as ``bbox`` when it is an axis-aligned rectangle, else ``intersects``;
  ``datetime`` as an inclusive interval, ``collections``, ``limit``.
- Cloud cover through a CQL2 ``filter`` when the server conforms to Filter (cql2-json for POST,
  cql2-text for GET), else the ``query`` extension, else checked here on each item (client side).
- ``next`` links are followed — GET hrefs, and POST links with ``body``/``merge``/``headers`` —
  until the query's ``max_results``, an empty page, a repeated link or :data:`MAX_PAGES`.
- Items become :class:`~scene_picker.core.scene.Scene` with their assets, roles, ``file:size`` and
  ``file:checksum``; relative hrefs are resolved against the item's location.
- Authentication: pass an :class:`~scene_picker.core.auth.Auth` (e.g. a ``BearerAuth`` with an
  ``OidcTokenProvider`` for Terrascope-style catalogs) or a ready ``HttpClient``.
"""

from __future__ import annotations

import json
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterator, Optional
from urllib.parse import urljoin, urlsplit

from ..core.errors import HttpStatusError, ProviderError, ProviderResponseError, UsageError
from ..core.geometry import is_rectangle, to_geojson
from ..core.query import Query, format_datetime
from ..core.redact import redact_url
from ..core.scene import Scene, catalog_source
from .base import Provider, ResultPage, SearchResults
from .spec import OptionSpec, ProviderSpec
from .stac_item import CLOUD_PROPERTY, item_to_scene, matched_total

if TYPE_CHECKING:  # pragma: no cover
    from ..core.auth import Auth
    from ..core.http import HttpClient, RetryPolicy

log = logging.getLogger(__name__)

#: Items per page asked from the server (servers may cap it lower).
DEFAULT_PAGE_SIZE = 250
#: Hard bound on pages followed in one search, whatever the server's links say.
MAX_PAGES = 10_000
CLOUD_MODES = ("auto", "cql2", "query", "client")
METHODS = ("auto", "POST", "GET")
_POST_REFUSED = (404, 405, 501)


@dataclass(frozen=True)
class _Request:
    """One search request: method, URL, JSON body (POST) or parameters (first GET), extra headers."""

    method: str
    url: str
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    def key(self) -> str:
        """Identity for the repeated-link guard."""
        body = json.dumps(self.body, sort_keys=True, default=str) if self.method == "POST" else ""
        return f"{self.method} {self.url} {body}"


def _has(conformance: list[str], *fragments: str) -> bool:
    return any(all(f in c for f in fragments) for c in conformance)


class StacProvider(Provider):
    """A STAC API (item search) at ``url``."""

    spec = ProviderSpec(
        name="stac",
        title="STAC API (any catalog by URL)",
        options=(
            OptionSpec("url", "url", None, "the STAC API's root URL (required)"),
            OptionSpec("cloud_filter", "str", "auto", "how cloud cover is filtered", CLOUD_MODES),
            OptionSpec("method", "str", "auto", "HTTP method of item searches", METHODS),
            OptionSpec("page_size", "int", DEFAULT_PAGE_SIZE, "results asked per request"),
            OptionSpec("label", "str", None, "name shown in messages"),
        ),
    )

    def __init__(
        self,
        url: Optional[str] = None,
        http: Optional[HttpClient] = None,
        auth: Optional[Auth] = None,
        cloud_filter: str = "auto",
        method: str = "auto",
        page_size: int = DEFAULT_PAGE_SIZE,
        label: Optional[str] = None,
        retry: Optional[RetryPolicy] = None,
    ) -> None:
        if not url:
            raise UsageError("The STAC provider needs the API's URL (--url).")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise UsageError(f"{url!r} is not an http(s) URL of a STAC API.")
        if cloud_filter not in CLOUD_MODES:
            raise UsageError(f"cloud_filter must be one of {', '.join(CLOUD_MODES)}, not {cloud_filter!r}.")
        method = method.upper() if method != "auto" else method
        if method not in METHODS:
            raise UsageError(f"method must be auto, POST or GET, not {method!r}.")
        self.url = url.rstrip("/")
        self._label = label or f"stac:{parts.netloc}"
        if http is None:
            http = self.http_client(auth=auth, name=self._label, retry=retry)
        super().__init__(http=http)
        self.cloud_filter = cloud_filter
        self.method = method
        self.page_size = max(1, int(page_size))
        self._landing: Optional[dict[str, Any]] = None
        self._conformance: Optional[list[str]] = None

    @property
    def source(self) -> dict[str, str]:
        """What rebuilds this provider, recorded in its scenes: the API's URL (never a credential)."""
        return catalog_source(self.url)

    # -- landing page and conformance ---------------------------------------------------------
    def _get_json(self, url: str, params: Optional[dict[str, Any]] = None) -> Any:
        try:
            return self.http.get_json(url, params=params)
        except ProviderResponseError as exc:
            raise self._named(exc) from None

    def _malformed(self, url: str, what: str) -> ProviderResponseError:
        return ProviderResponseError(f"{self._label}: {redact_url(url)} {what}", provider=self._label)

    def landing(self) -> dict[str, Any]:
        """The landing page (fetched once)."""
        if self._landing is None:
            page = self._get_json(self.url + "/")
            if not isinstance(page, dict):
                raise self._malformed(self.url, "is not a STAC landing page (expected a JSON object).")
            self._landing = page
        return self._landing

    def conformance(self) -> list[str]:
        """The server's conformance classes (landing ``conformsTo``, else ``/conformance``)."""
        if self._conformance is None:
            landing = self.landing()
            classes = landing.get("conformsTo")
            if not isinstance(classes, list):
                link = self._link(landing, "conformance")
                classes = []
                if link is not None:
                    answer = self._get_json(link["href"])
                    classes = answer.get("conformsTo") if isinstance(answer, dict) else None
                    if not isinstance(classes, list):
                        raise self._malformed(link["href"], "has no 'conformsTo' list.")
            self._conformance = [str(c) for c in classes]
        return self._conformance

    def _link(self, doc: dict[str, Any], rel: str, method: Optional[str] = None) -> Optional[dict[str, Any]]:
        links = doc.get("links")
        if not isinstance(links, list):
            return None
        for link in links:
            if not isinstance(link, dict) or link.get("rel") != rel or not isinstance(link.get("href"), str):
                continue
            if method is not None and (link.get("method") or "GET").upper() != method:
                continue
            return {**link, "href": urljoin(self.url + "/", link["href"])}
        return None

    def search_url(self) -> str:
        link = self._link(self.landing(), "search")
        return link["href"] if link else self.url + "/search"

    def _wants_post(self) -> bool:
        if self.method != "auto":
            return self.method == "POST"
        landing = self.landing()
        search_links = [
            link
            for link in landing.get("links") or []
            if isinstance(link, dict) and link.get("rel") == "search"
        ]
        if not search_links:
            return True
        return any((link.get("method") or "GET").upper() == "POST" for link in search_links)

    def cloud_mode(self) -> str:
        """How a cloud filter is applied: "cql2", "query" or "client" (resolving "auto")."""
        if self.cloud_filter != "auto":
            return self.cloud_filter
        classes = self.conformance()
        if _has(classes, "item-search#filter") and _has(classes, "cql2"):
            return "cql2"
        if _has(classes, "item-search#query"):
            return "query"
        return "client"

    def _cql2_json_ok(self) -> bool:
        """Whether a POST may carry CQL2 JSON (else CQL2 text, the one every Filter server reads)."""
        if self.cloud_filter == "cql2":
            return True
        classes = self.conformance()
        return _has(classes, "cql2-json") or not _has(classes, "cql2-text")

    # -- search -------------------------------------------------------------------------------
    def search(self, query: Query) -> SearchResults:
        return SearchResults(self._pages(query), query.max_results)

    def _search_params(self, query: Query, mode: str, post: bool) -> dict[str, Any]:
        limit = self.page_size
        if query.max_results is not None and mode != "client":
            limit = min(limit, query.max_results)
        body: dict[str, Any] = {"limit": limit}
        if query.collections:
            body["collections"] = list(query.collections)
        if query.aoi is not None:
            if is_rectangle(query.aoi):
                body["bbox"] = [round(v, 9) for v in query.aoi.bounds]
            else:
                body["intersects"] = to_geojson(query.aoi)
        if query.start is not None or query.end is not None:
            start = format_datetime(query.start) if query.start else ".."
            end = format_datetime(query.end) if query.end else ".."
            body["datetime"] = f"{start}/{end}"
        if query.has_cloud_filter and mode == "cql2":
            if post and self._cql2_json_ok():
                body["filter-lang"] = "cql2-json"
                body["filter"] = _cql2_json(query)
            else:
                body["filter-lang"] = "cql2-text"
                body["filter"] = _cql2_text(query)
        elif query.has_cloud_filter and mode == "query":
            body["query"] = {CLOUD_PROPERTY: _query_ext(query)}
        extra = query.extras.get("stac_query")
        if isinstance(extra, dict):
            body.setdefault("query", {}).update(extra)
        return body

    def _pages(self, query: Query) -> Iterator[ResultPage]:
        """Pages of the search; the next page is requested while this one is parsed and consumed
        (one request ahead at most, never beyond ``max_results``)."""
        mode = self.cloud_mode() if query.has_cloud_filter else "client"
        post = self._wants_post()
        client_cloud = query.has_cloud_filter and mode == "client"
        request = _Request(
            "POST" if post else "GET", self.search_url(), self._search_params(query, mode, post)
        )
        seen: set[str] = set()
        seen_ids: set[str] = set()
        received = 0
        ahead = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scene-picker-stac-page")
        future: Optional[Future] = None
        try:
            answer, request = self._first(request, query, mode)
            for _page in range(MAX_PAGES):
                if future is not None:
                    answer = future.result()
                features = self._features(answer, request.url)
                received += len(features)
                following = self._next_request(answer, request) if features else None
                if following is not None and following.key() in seen:
                    log.warning("%s: the server sent the same next link twice; stopping", self._label)
                    following = None
                wanted_more = query.max_results is None or received < query.max_results or client_cloud
                future = None
                if following is not None and wanted_more:
                    seen.add(following.key())
                    future = ahead.submit(self._fetch, following)
                scenes = [self.scene_from_item(f, base_url=request.url) for f in features]
                # the server filtered on everything but (maybe) cloud cover; ids already seen on an
                # earlier page (unstable server-side paging) are not repeated
                scenes = [
                    s
                    for s in scenes
                    if s.id not in seen_ids
                    and query.matches(s, aoi=False, time=False, collections=False, cloud=client_cloud)
                ]
                seen_ids.update(s.id for s in scenes)
                if future is None and following is not None and len(seen_ids) < (query.max_results or 0):
                    # fewer new scenes than items (repeats dropped): the next page is needed after all
                    seen.add(following.key())
                    future = ahead.submit(self._fetch, following)
                yield ResultPage(scenes, matched_total(answer))
                if future is None:
                    return
                request = following
            log.warning("%s: stopped after %d pages (the limit)", self._label, MAX_PAGES)
        finally:
            if future is not None:
                future.cancel()
            ahead.shutdown(wait=False)

    def _first(self, request: _Request, query: Query, mode: str) -> tuple[Any, _Request]:
        """The first page, falling back from a refused POST to GET (when the method is "auto")."""
        try:
            return self._fetch(request, first=True), request
        except HttpStatusError as exc:
            if request.method != "POST" or self.method != "auto" or exc.status not in _POST_REFUSED:
                raise
        log.info("%s: POST %s refused, using GET", self._label, request.url)
        request = _Request("GET", request.url, self._search_params(query, mode, post=False))
        return self._fetch(request, first=True), request

    def _fetch(self, request: _Request, first: bool = False) -> Any:
        if request.method == "POST":
            return self._post_json(request.url, request.body, request.headers)
        # a GET next link carries its parameters in its href; the first GET sends the search's
        return self._get_json(request.url, params=_get_params(request.body) if first else None)

    def _next_request(self, answer: dict[str, Any], current: _Request) -> Optional[_Request]:
        link = self._link(answer, "next")
        if link is None:
            return None
        method = (link.get("method") or "GET").upper()
        if method != "POST":
            return _Request("GET", link["href"], current.body)
        link_body = link.get("body") if isinstance(link.get("body"), dict) else {}
        body = {**current.body, **link_body} if link.get("merge") else (link_body or current.body)
        headers = {str(k): str(v) for k, v in (link.get("headers") or {}).items()}
        return _Request("POST", link["href"], body, headers)

    def _post_json(self, url: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
        try:
            return self.http.request_json(
                "POST",
                url,
                json=body,
                headers={"Content-Type": "application/json", **headers},
                idempotent=True,
            )
        except ProviderResponseError as exc:
            raise self._named(exc) from None

    def _features(self, answer: Any, url: str) -> list[dict[str, Any]]:
        if not isinstance(answer, dict):
            raise self._malformed(url, "answered JSON that is not an object (expected a FeatureCollection).")
        features = answer.get("features")
        if not isinstance(features, list):
            raise self._malformed(url, "answered JSON without a 'features' list (not a STAC ItemCollection).")
        return features

    # -- items --------------------------------------------------------------------------------
    def scene_from_item(self, item: Any, base_url: Optional[str] = None) -> Scene:
        """A :class:`Scene` from one STAC Item (a ProviderResponseError names what is missing)."""
        return item_to_scene(
            item, self.name, base_url or self.url + "/", label=self._label, source=self.source
        )

    def get(self, scene_id: str) -> Scene:
        url = self.search_url()
        if self._wants_post():
            try:
                answer = self._post_json(url, {"ids": [scene_id], "limit": 1}, {})
            except HttpStatusError as exc:
                if exc.status not in _POST_REFUSED:
                    raise
                answer = self._get_json(url, params={"ids": scene_id, "limit": 1})
        else:
            answer = self._get_json(url, params={"ids": scene_id, "limit": 1})
        for feature in self._features(answer, url):
            if isinstance(feature, dict) and feature.get("id") == scene_id:
                return self.scene_from_item(feature, base_url=url)
        raise ProviderError(f"{self._label}: no item {scene_id!r} at {redact_url(self.url)}.", self._label)


def _cql2_json(query: Query) -> dict[str, Any]:
    args = []
    if query.cloud_min is not None:
        args.append({"op": ">=", "args": [{"property": CLOUD_PROPERTY}, query.cloud_min]})
    if query.cloud_max is not None:
        args.append({"op": "<=", "args": [{"property": CLOUD_PROPERTY}, query.cloud_max]})
    return args[0] if len(args) == 1 else {"op": "and", "args": args}


def _cql2_text(query: Query) -> str:
    parts = []
    if query.cloud_min is not None:
        parts.append(f'"{CLOUD_PROPERTY}" >= {query.cloud_min!r}')
    if query.cloud_max is not None:
        parts.append(f'"{CLOUD_PROPERTY}" <= {query.cloud_max!r}')
    return " AND ".join(parts)


def _query_ext(query: Query) -> dict[str, float]:
    out = {}
    if query.cloud_min is not None:
        out["gte"] = query.cloud_min
    if query.cloud_max is not None:
        out["lte"] = query.cloud_max
    return out


def _get_params(body: dict[str, Any]) -> dict[str, str]:
    """The GET form of a search body (lists comma-joined, objects as JSON text)."""
    params: dict[str, str] = {}
    for key, value in body.items():
        if key == "bbox" or key == "collections" or key == "ids":
            params[key] = ",".join(str(v) for v in value)
        elif isinstance(value, (dict, list)):
            params[key] = json.dumps(value, separators=(",", ":"))
        else:
            params[key] = str(value)
    return params
