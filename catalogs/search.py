"""Search through the service layer: several providers at once (:func:`aggregate_search` and its events),
each one optionally narrowed to its own collections and platforms (:class:`ScopedProvider`)."""

from __future__ import annotations

from typing import Any

from ..core.platforms import canonical_platform
from ..core.query import Query
from ..providers.aggregate import ProviderDone, ProviderFailed, SceneFound, aggregate_search
from ..providers.base import Provider, SearchResults
from ..providers.downloader import Downloader

__all__ = ["ProviderDone", "ProviderFailed", "SceneFound", "ScopedProvider", "aggregate_search"]


class ScopedProvider(Provider):
    """A provider searched with its own collections/platforms (the dock's form sets them per provider);
    the platforms get the canonical spelling every query has."""

    def __init__(self, inner: Provider, collections: tuple[str, ...] = (), platforms: tuple[str, ...] = ()):
        super().__init__(http=None)
        self.inner = inner
        self.name = inner.name
        self.title = inner.title
        self.scoped_collections = tuple(collections)
        self.scoped_platforms = tuple(dict.fromkeys(canonical_platform(p) for p in platforms))

    @property
    def label(self) -> str:
        return self.inner.label

    @property
    def http(self) -> Any:  # type: ignore[override]
        return self.inner.http

    def search(self, query: Query) -> SearchResults:
        changes: dict[str, Any] = {}
        if self.scoped_collections:
            changes["collections"] = self.scoped_collections
        if self.scoped_platforms:
            changes["platforms"] = self.scoped_platforms
        return self.inner.search(query.replace(**changes) if changes else query)

    def get(self, scene_id: str):
        return self.inner.get(scene_id)

    def downloader(self, scene) -> Downloader:
        return self.inner.downloader(scene)
