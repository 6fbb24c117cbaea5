"""STAC items as newline-delimited JSON (one Item per line: the ``items.ndjson`` exports of pgstac,
stac-geoparquet and ``stac-fastapi`` bulk loads), from a file or over HTTP, searched like an API.

The file is streamed line by line; every filter of the :class:`~scene_picker.core.query.Query` is
applied here (``Query.matches``). Relative asset hrefs resolve against the file's location.
"""

from __future__ import annotations

import json
from typing import Any, Iterator, Optional
from urllib.parse import unquote, urlsplit

from ..core.errors import ProviderError, ProviderResponseError, UsageError
from ..core.query import Query
from ..core.redact import redact_url
from ..core.scene import Scene, catalog_source
from .base import Provider, ResultPage, SearchResults
from .spec import OptionSpec, ProviderSpec
from .stac_item import item_to_scene
from .stac_static import location_label, location_url

#: Items per result page.
BATCH = 64


class NdjsonStacProvider(Provider):
    """STAC items, one per line, at ``url`` (http(s), file:// or a path)."""

    spec = ProviderSpec(
        name="stac-ndjson",
        title="STAC items as NDJSON (file or URL, one item per line)",
        options=(
            OptionSpec("url", "url", None, "the .ndjson file: path, file:// or http(s) URL (required)"),
            OptionSpec("batch", "int", BATCH, "items per result page"),
        ),
    )

    def __init__(self, url: Optional[str] = None, batch: int = BATCH) -> None:
        if not url:
            raise UsageError("The NDJSON STAC provider needs the file's location (--url FILE_OR_URL).")
        super().__init__()
        self.root = location_url(str(url), "NDJSON file")
        self.batch = max(1, int(batch))
        self._label = location_label(self.name, self.root)

    def _lines(self) -> Iterator[str]:
        parts = urlsplit(self.root)
        if parts.scheme == "file":
            try:
                with open(unquote(parts.path), encoding="utf-8") as handle:
                    yield from handle
            except (OSError, UnicodeDecodeError) as exc:
                raise ProviderError(f"{self._label}: cannot read {parts.path}: {exc}", self._label) from None
            return
        response = self.http.get(self.root, stream=True)
        try:
            for raw in response.iter_lines():
                yield raw.decode("utf-8", errors="replace")
        finally:
            response.close()

    def _scenes(self) -> Iterator[Scene]:
        for number, line in enumerate(self._lines(), start=1):
            if not line.strip():
                continue
            try:
                item: Any = json.loads(line)
            except ValueError as exc:
                where = f"{redact_url(self.root)} line {number}"
                raise ProviderResponseError(
                    f"{self._label}: {where} is not JSON ({exc}).", self._label
                ) from None
            yield item_to_scene(
                item, self.name, self.root, label=self._label, source=catalog_source(self.root)
            )

    def _pages(self, query: Query) -> Iterator[ResultPage]:
        page: list[Scene] = []
        for scene in self._scenes():
            if query.matches(scene):
                page.append(scene)
            if len(page) == self.batch:
                yield ResultPage(page)
                page = []
        if page:
            yield ResultPage(page)

    def search(self, query: Query) -> SearchResults:
        return SearchResults(self._pages(query), query.max_results)

    def get(self, scene_id: str) -> Scene:
        for scene in self._scenes():
            if scene.id == scene_id:
                return scene
        raise ProviderError(f"{self._label}: no item {scene_id!r} in {redact_url(self.root)}.", self._label)
