"""The provider interface every catalog implements and its lazy result pager (the downloader template
is in :mod:`.downloader`).

- :class:`Provider`: ``search(query) -> SearchResults``, ``get(scene_id) -> Scene``,
  ``downloader(scene)`` (an instance of its ``downloader_class``); class attributes ``name``, ``title``,
  ``platforms``, ``credentials`` (from its :class:`ProviderSpec`); what every provider shares: the
  default client (:meth:`Provider.client_options`), credentials given or from the keyring, the page-size
  check (:func:`checked_page_size`), errors named with the provider's label.
- :class:`SearchResults`: a lazy iterator of scenes over pages fetched on demand, stopping at the
  query's ``max_results``; ``.total`` is what the server announced (None when it does not say).
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Optional

from ..core.credentials import Credentials, require_credentials
from ..core.errors import ProviderResponseError, UsageError
from ..core.network import DIRECT, NetworkConfig
from ..core.query import Query
from ..core.scene import Scene
from .downloader import CatalogDownloader, Downloader
from .spec import CredentialSpec, ProviderSpec

if TYPE_CHECKING:  # pragma: no cover
    from ..core.http import HttpClient

log = logging.getLogger(__name__)


# -- search results ---------------------------------------------------------------------------------
@dataclass
class ResultPage:
    """One page of a provider's answer: its scenes and the total the server announced (if any)."""

    scenes: list[Scene]
    total: Optional[int] = None


class SearchResults(Iterator[Scene]):
    """Lazy iterator of :class:`Scene` over pages fetched only when needed.

    ``pages`` yields :class:`ResultPage` objects (typically a generator that follows ``next`` links);
    iteration stops after ``max_results`` scenes or when the pages run out. ``total`` is the number the
    server announced on the first page (reading it fetches that page if iteration has not started).
    """

    def __init__(self, pages: Iterable[ResultPage], max_results: Optional[int] = None) -> None:
        self._pages = iter(pages)
        self._max = max_results
        self._buffer: deque[Scene] = deque()
        self._yielded = 0
        self._started = False
        self._exhausted = False
        self._total: Optional[int] = None
        self.pages_fetched = 0

    @classmethod
    def from_scenes(cls, scenes: Iterable[Scene], total: Optional[int] = None) -> SearchResults:
        """Results already in hand (one page)."""
        scenes = list(scenes)
        return cls([ResultPage(scenes, total if total is not None else len(scenes))])

    @property
    def total(self) -> Optional[int]:
        """Matching scenes according to the server (capped by nothing), or None when unknown."""
        if not self._started:
            self._fetch()
        return self._total

    def _fetch(self) -> bool:
        self._started = True
        while not self._exhausted:
            try:
                page = next(self._pages)
            except StopIteration:
                self._exhausted = True
                return False
            self.pages_fetched += 1
            if page.total is not None and self._total is None:
                self._total = page.total
            if page.scenes:
                self._buffer.extend(page.scenes)
                return True
        return False

    def __iter__(self) -> SearchResults:
        return self

    def __next__(self) -> Scene:
        if self._max is not None and self._yielded >= self._max:
            self.close()
            raise StopIteration
        if not self._buffer and not self._fetch():
            raise StopIteration
        self._yielded += 1
        return self._buffer.popleft()

    def close(self) -> None:
        """Stop paging (closes the page generator so it releases its connection)."""
        self._exhausted = True
        close = getattr(self._pages, "close", None)
        if close is not None:
            close()


# -- provider ---------------------------------------------------------------------------------------
class Provider(ABC):
    """A catalog: search it, fetch one record, download a scene."""

    #: The provider's self-description; a subclass declaring one is a registered provider (its
    #: ``name``, ``title``, ``platforms`` and ``credentials`` come from it).
    spec: Optional[ProviderSpec] = None
    #: Registry key, e.g. "stac", "cdse".
    name: str = ""
    #: Human-readable name.
    title: str = ""
    #: Platforms/missions it serves ("sentinel-2", "landsat-8", …); empty when any (generic STAC).
    platforms: tuple[str, ...] = ()
    #: What it needs to log in, or None.
    credentials: Optional[CredentialSpec] = None
    #: How the default HTTP client names the service in its messages (None: no name).
    http_name: Optional[str] = None
    #: The name shown in messages when an instance has its own (a catalog's URL); see :attr:`label`.
    _label: Optional[str] = None
    #: Credentials given to the constructor (None: the keyring's, see :meth:`_credentials`).
    _explicit: Optional[Credentials] = None

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        spec = cls.__dict__.get("spec")
        if spec is not None:
            cls.name, cls.title, cls.platforms, cls.credentials = (
                spec.name,
                spec.title,
                spec.platforms,
                spec.credentials,
            )

    #: How every HTTP client of this provider reaches the network (set before ``__init__`` runs by
    #: :func:`~scene_picker.providers.registry.get_provider`; see :meth:`http_client`).
    network: NetworkConfig = DIRECT

    def __init__(self, http: Optional[HttpClient] = None) -> None:
        self._http = http

    def http_client(self, **kwargs: Any) -> HttpClient:
        """A new HTTP client with the provider's network configuration (every client a provider makes
        comes from here, so the proxy, retries and limits reach all its requests)."""
        from ..core.http import HttpClient

        return HttpClient(network=self.network, **kwargs)

    @property
    def http(self) -> HttpClient:
        """The provider's :class:`~scene_picker.core.http.HttpClient` (a default one when none given)."""
        if self._http is None:
            options = {"name": self.http_name, "provider": self.name or None, **self.client_options()}
            self._http = self.http_client(**options)
        return self._http

    def client_options(self) -> dict[str, Any]:
        """More keywords for the default client (a timeout, a shared rate limiter, another name)."""
        return {}

    @property
    def label(self) -> str:
        """Name shown in messages (an instance may have its own, e.g. with a URL)."""
        return self._label or self.name

    def _named(self, exc: ProviderResponseError) -> ProviderResponseError:
        """``exc`` naming this provider: its label put in front of the message when it lacks it."""
        if self.label in str(exc):
            exc.provider = exc.provider or self.label
            return exc
        return ProviderResponseError(f"{self.label}: {exc}", provider=self.label)

    def _credentials(self) -> Credentials:
        """The credentials given to the constructor, else this provider's keyring entry (a
        CredentialsError saying how to store them when there is none)."""
        return self._explicit or require_credentials(self.name)

    @abstractmethod
    def search(self, query: Query) -> SearchResults:
        """Scenes matching ``query``, lazily paged."""

    @abstractmethod
    def get(self, scene_id: str) -> Scene:
        """One scene by id; raises :class:`~scene_picker.core.errors.ProviderError` when unknown."""

    #: The class of this provider's downloaders, made from the scene and the provider (the template's
    #: default unless the provider overrides some of its hooks).
    downloader_class: type[CatalogDownloader] = CatalogDownloader

    def downloader(self, scene: Scene) -> Downloader:
        """The downloader of ``scene``."""
        return self.downloader_class(scene, self)

    def login(self) -> object:
        """Check the stored account (the settings dialog's "Test login"): raise CredentialsError or a
        NetworkError when it is refused. Providers that sign in override it; the default is the smallest
        search (one result)."""
        results = self.search(Query.build(max_results=1))
        try:
            next(iter(results), None)
        finally:
            results.close()
        return None

    def close(self) -> None:
        """Close the HTTP sessions this provider opened (its own and those of its helpers, e.g. a
        sign-in or download client), so no connection waits for the garbage collector."""
        close_sessions(self)

    def __enter__(self) -> Provider:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.label}>"


def checked_page_size(page_size: int, maximum: int, service: str, unit: str = "items") -> int:
    """``page_size`` when a page of ``service`` may hold that many ``unit``, else a UsageError."""
    if not 1 <= page_size <= maximum:
        raise UsageError(f"{service} pages hold 1 to {maximum} {unit}, not {page_size}.")
    return page_size


def close_sessions(owner: object, depth: int = 3) -> None:
    """Close every :class:`HttpClient` among ``owner``'s attributes (and in the lists, tuples and dicts
    they hold: a pool's accounts, clients kept per host), and among its helpers' attributes down to
    ``depth`` levels (a token provider or an accounts pool holding clients of their own)."""
    from ..core.http import HttpClient

    for value in _held(owner):
        if isinstance(value, HttpClient):
            value.close()
        elif depth > 1 and type(value).__module__.startswith(__package__.rsplit(".", 1)[0]):
            close_sessions(value, depth - 1)


def _held(owner: object) -> Iterator[object]:
    """``owner``'s attribute values, with the items of those that are lists, tuples, sets or dicts."""
    for value in list(getattr(owner, "__dict__", {}).values()):
        if isinstance(value, dict):
            yield from list(value.values())
        elif isinstance(value, (list, tuple, set, frozenset)):
            yield from list(value)
        else:
            yield value
