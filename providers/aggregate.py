"""Searching several providers at once: bounded threads, results streamed as they arrive.

:func:`aggregate_search` yields :class:`SceneFound` events as soon as any provider produces a scene,
:class:`ProviderDone` when a provider has delivered everything, and :class:`ProviderFailed` when one
fails — the others carry on, and the scenes already received from the failed one are kept.
"""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator, Optional, Sequence, Union

from ..core.errors import CancelledError, ProviderError, ScenePickerError
from ..core.query import Query
from ..core.redact import redact
from ..core.scene import Scene
from .base import Provider

if TYPE_CHECKING:  # pragma: no cover
    from ..core.cancel import CancelToken

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SceneFound:
    provider: str
    scene: Scene


@dataclass(frozen=True)
class ProviderFailed:
    provider: str
    error: ScenePickerError

    @property
    def message(self) -> str:
        """One line naming the provider and what went wrong."""
        text = str(self.error)
        return text if text.startswith(self.provider) else f"{self.provider}: {text}"


@dataclass(frozen=True)
class ProviderDone:
    provider: str
    count: int
    total: Optional[int]


AggregateEvent = Union[SceneFound, ProviderFailed, ProviderDone]

# Worker threads block on this bounded queue when the consumer is slow (back-pressure).
_QUEUE_SIZE = 256
_POLL = 0.1


def aggregate_search(
    providers: Sequence[Provider],
    query: Query,
    max_workers: int = 4,
    cancel: Optional[CancelToken] = None,
) -> Iterator[AggregateEvent]:
    """Run ``provider.search(query)`` for every provider on at most ``max_workers`` threads.

    Yields events in arrival order; every provider ends with exactly one ``ProviderDone`` or
    ``ProviderFailed``. Closing the generator early (or cancelling ``cancel``) stops the workers
    at their next scene.
    """
    if not providers:
        return
    stop = threading.Event()
    events: queue.Queue = queue.Queue(maxsize=_QUEUE_SIZE)
    finished = object()

    def stopped() -> bool:
        return stop.is_set() or (cancel is not None and cancel.is_cancelled())

    def put(item) -> bool:
        while not stopped():
            try:
                events.put(item, timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False

    def work(provider: Provider) -> None:
        label = provider.label
        count = 0
        try:
            results = provider.search(query)
            try:
                for scene in results:
                    if not put(SceneFound(label, scene)):
                        return
                    count += 1
                total = results.total
            finally:
                results.close()
            put(ProviderDone(label, count, total))
        except CancelledError:
            return
        except ScenePickerError as exc:
            put(ProviderFailed(label, _with_provider(exc, label)))
        except Exception as exc:  # noqa: BLE001 - a provider bug must not take the other providers down
            log.exception("provider %s failed unexpectedly", label)
            error = ProviderError(f"{label}: unexpected failure: {redact(repr(exc))}", provider=label)
            put(ProviderFailed(label, error))
        finally:
            if not stopped():
                put(finished)

    workers = max(1, min(max_workers, len(providers)))
    executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="scene-picker-search")
    try:
        for provider in providers:
            executor.submit(work, provider)
        remaining = len(providers)
        while remaining:
            if cancel is not None and cancel.is_cancelled():
                raise CancelledError("The search was cancelled.")
            try:
                item = events.get(timeout=_POLL)
            except queue.Empty:
                continue
            if item is finished:
                remaining -= 1
                continue
            yield item
    finally:
        stop.set()
        executor.shutdown(wait=False)


def _with_provider(exc: ScenePickerError, label: str) -> ScenePickerError:
    """The error itself (its type still tells the UI what to do), marked with its provider."""
    if isinstance(exc, ProviderError) and exc.provider is None:
        exc.provider = label
    return exc
