"""A static STAC catalog (no API): a catalog/collection JSON on disk or over HTTP, searched like an API.

The catalog is walked from its root: ``child`` links (sub-catalogs and collections) and ``item`` links
(one JSON per item), and ItemCollection files (``type: FeatureCollection``) whose features are items.
Every filter of the :class:`~scene_picker.core.query.Query` is applied here (``Query.matches``);
collections not asked for are not descended into. Relative hrefs resolve against the document that
holds them, so asset hrefs of a catalog on disk become ``file://`` URLs that the default downloader
copies. Item files over HTTP are fetched concurrently by a bounded pool; the walk is bounded by
:data:`MAX_DOCUMENTS` and never visits a document twice.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Optional
from urllib.parse import unquote, urljoin, urlsplit

from ..core.errors import ProviderError, ProviderResponseError, UsageError
from ..core.query import Query
from ..core.redact import redact_url
from ..core.scene import Scene, catalog_source
from .base import Provider, ResultPage, SearchResults
from .spec import OptionSpec, ProviderSpec
from .stac_item import item_to_scene

if TYPE_CHECKING:  # pragma: no cover
    from ..core.auth import Auth
    from ..core.http import HttpClient, RetryPolicy

log = logging.getLogger(__name__)

#: Hard bound on JSON documents read in one walk.
MAX_DOCUMENTS = 200_000
#: Items read per batch (one result page), and concurrent fetches over HTTP.
BATCH = 64
WORKERS = 8


def location_url(location: str, what: str = "static catalog") -> str:
    """A URL for an http(s) URL, a ``file://`` URL or a local path (a UsageError naming ``what`` when
    the path does not exist)."""
    parts = urlsplit(location)
    if parts.scheme in ("http", "https", "file"):
        return location
    path = Path(location).expanduser()
    if not path.exists():
        raise UsageError(f"The {what} {location} does not exist.")
    return path.resolve().as_uri()


def location_label(provider: str, url: str) -> str:
    """``PROVIDER:FILE NAME`` (the whole URL when it names no file): how messages name a catalog file."""
    return f"{provider}:{Path(unquote(urlsplit(url).path)).name or url}"


class StaticStacProvider(Provider):
    """A static STAC catalog, collection or ItemCollection at ``url`` (http(s), file:// or a path)."""

    spec = ProviderSpec(
        name="stac-static",
        title="Static STAC catalog (file or URL, no API)",
        options=(
            OptionSpec("url", "url", None, "the catalog's JSON: file, file:// or http(s) URL (required)"),
            OptionSpec("label", "str", None, "name shown in messages"),
            OptionSpec("workers", "int", WORKERS, "documents read at once"),
        ),
    )

    def __init__(
        self,
        url: Optional[str] = None,
        http: Optional[HttpClient] = None,
        auth: Optional[Auth] = None,
        label: Optional[str] = None,
        retry: Optional[RetryPolicy] = None,
        workers: int = WORKERS,
    ) -> None:
        if not url:
            raise UsageError("The static STAC provider needs the catalog's location (--url FILE_OR_URL).")
        self.root = location_url(str(url))
        self._label = label or location_label(self.name, self.root)
        if http is None and not self.root.startswith("file:"):
            http = self.http_client(auth=auth, name=self._label, retry=retry)
        super().__init__(http=http)
        self.workers = max(1, int(workers))

    @property
    def source(self) -> dict[str, str]:
        """What rebuilds this provider, recorded in its scenes: the catalog's location."""
        return catalog_source(self.root)

    # -- reading documents
    def read(self, url: str) -> Any:
        """The JSON document at ``url`` (file:// or http(s))."""
        parts = urlsplit(url)
        if parts.scheme == "file":
            path = Path(unquote(parts.path))
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise ProviderError(f"{self._label}: cannot read {path}: {exc}", self._label) from None
            try:
                return json.loads(text)
            except ValueError as exc:
                raise ProviderResponseError(
                    f"{self._label}: {path} is not valid JSON ({exc}).", provider=self._label
                ) from None
        try:
            return self.http.get_json(url)
        except ProviderResponseError as exc:
            raise self._named(exc) from None

    def _malformed(self, url: str, what: str) -> ProviderResponseError:
        return ProviderResponseError(f"{self._label}: {redact_url(url)} {what}", provider=self._label)

    # -- walking
    def _walk(self, query: Optional[Query]) -> Iterator[ResultPage]:
        """Pages of scenes matching ``query`` (every scene when None), in catalog order."""
        pending: deque[tuple[str, Optional[str]]] = deque([(self.root, None)])
        seen: set[str] = {self.root}
        documents = 0
        executor: Optional[ThreadPoolExecutor] = None
        try:
            while pending:
                url, parent_collection = pending.popleft()
                documents += 1
                if documents > MAX_DOCUMENTS:
                    log.warning("%s: stopped after %d documents", self._label, MAX_DOCUMENTS)
                    return
                doc = self.read(url)
                if not isinstance(doc, dict):
                    raise self._malformed(
                        url, "is not a STAC catalog, collection or item (not a JSON object)."
                    )
                kind = doc.get("type")
                if kind == "Feature":
                    yield self._page([(doc, url)], parent_collection, query)
                    continue
                if kind == "FeatureCollection":
                    features = doc.get("features")
                    if not isinstance(features, list):
                        raise self._malformed(url, "is an ItemCollection without a 'features' list.")
                    for start in range(0, len(features), BATCH):
                        batch = [(f, url) for f in features[start : start + BATCH]]
                        yield self._page(batch, parent_collection, query)
                    continue
                if kind not in ("Catalog", "Collection"):
                    raise self._malformed(url, f"has type {kind!r}, not Catalog, Collection or Feature.")
                collection_id = doc.get("id") if kind == "Collection" else parent_collection
                if (
                    kind == "Collection"
                    and query is not None
                    and query.collections
                    and collection_id not in query.collections
                ):
                    continue
                item_urls = []
                for link in doc.get("links") or []:
                    if not isinstance(link, dict) or not isinstance(link.get("href"), str):
                        continue
                    target = urljoin(url, link["href"])
                    if target in seen:
                        continue
                    if link.get("rel") == "child":
                        seen.add(target)
                        pending.append((target, collection_id))
                    elif link.get("rel") in ("item", "items"):
                        seen.add(target)
                        if link.get("rel") == "items":
                            pending.append((target, collection_id))
                        else:
                            item_urls.append(target)
                documents += len(item_urls)
                for start in range(0, len(item_urls), BATCH):
                    urls = item_urls[start : start + BATCH]
                    if self.workers > 1 and not urls[0].startswith("file:"):
                        executor = executor or ThreadPoolExecutor(self.workers, "scene-picker-static")
                        docs = list(executor.map(self.read, urls))
                    else:
                        docs = [self.read(u) for u in urls]
                    yield self._page(list(zip(docs, urls)), collection_id, query)
        finally:
            if executor is not None:
                executor.shutdown(wait=False, cancel_futures=True)

    def _page(
        self, docs: list[tuple[Any, str]], collection: Optional[str], query: Optional[Query]
    ) -> ResultPage:
        scenes = []
        for doc, url in docs:
            scene = item_to_scene(doc, self.name, url, label=self._label, source=self.source)
            if scene.collection is None:
                scene.collection = collection
            if query is None or query.matches(scene):
                scenes.append(scene)
        return ResultPage(scenes, None)

    # -- Provider
    def search(self, query: Query) -> SearchResults:
        return SearchResults(self._walk(query), query.max_results)

    def get(self, scene_id: str) -> Scene:
        pages = self._walk(None)
        try:
            for page in pages:
                for scene in page.scenes:
                    if scene.id == scene_id:
                        return scene
        finally:
            pages.close()
        raise ProviderError(f"{self._label}: no item {scene_id!r} in {redact_url(self.root)}.", self._label)
