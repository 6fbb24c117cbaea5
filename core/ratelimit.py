"""Request-rate limits with several windows, concurrency caps, and a registry that shares both.

:class:`RateLimiter` enforces every ``(limit, period)`` window *strictly*: it is a token bucket per window
where each spent token comes back ``period`` seconds after it was spent (a sliding log), so no sliding
window of ``period`` seconds ever holds more than ``limit`` requests (Terrascope: 80 / 10 s and 200 / 60 s).
:class:`ConcurrencyLimiter` caps simultaneous sessions (CDSE: 4 per account).

Several :class:`~scene_picker.core.http.HttpClient` instances downloading in parallel must share one
limiter per host or account: get them from :func:`shared_rate_limiter` / :func:`shared_concurrency_limiter`.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from typing import Callable, Iterable, Iterator, Optional, Sequence
from urllib.parse import urlsplit

from .cancel import CancelToken
from .errors import UsageError

Window = tuple[int, float]


class RateLimiter:
    """Blocks :meth:`acquire` until a request fits in every window; thread-safe.

    ``clock`` and ``sleep`` are injectable so tests can run hundreds of requests against a fake clock.
    """

    def __init__(
        self,
        windows: Sequence[Window] = ((80, 10.0), (200, 60.0)),
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not windows:
            raise UsageError("A rate limiter needs at least one (limit, period) window.")
        for limit, period in windows:
            if int(limit) < 1 or float(period) <= 0:
                raise UsageError(f"Invalid rate-limit window ({limit}, {period}).")
        self.windows: tuple[Window, ...] = tuple((int(limit), float(period)) for limit, period in windows)
        self._spent: list[deque[float]] = [deque(maxlen=limit) for limit, _ in self.windows]
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()

    def delay(self) -> float:
        """Seconds to wait before the next request would fit (0 when it fits now)."""
        with self._lock:
            return self._delay_locked(self._clock())

    def _delay_locked(self, now: float) -> float:
        wait = 0.0
        for (limit, period), spent in zip(self.windows, self._spent):
            if len(spent) >= limit:
                wait = max(wait, spent[0] + period - now)
        return wait

    def try_acquire(self) -> bool:
        """Spend a token in every window if the request fits now; never waits."""
        with self._lock:
            now = self._clock()
            if self._delay_locked(now) > 0:
                return False
            for spent in self._spent:
                spent.append(now)
            return True

    def acquire(self, cancel: Optional[CancelToken] = None) -> None:
        """Wait until a request fits in every window, then count it.

        Each wait lasts until the oldest blocking token comes back, so the loop ends after at most one
        wait per window unless other threads take the freed tokens first.
        """
        while True:
            with self._lock:
                now = self._clock()
                wait = self._delay_locked(now)
                if wait <= 0:
                    for spent in self._spent:
                        spent.append(now)
                    return
            if cancel is not None:
                cancel.raise_if_cancelled("Waiting for the request-rate limit")
                if cancel.wait(wait):
                    cancel.raise_if_cancelled("Waiting for the request-rate limit")
            else:
                self._sleep(wait)


class ConcurrencyLimiter:
    """At most ``limit`` holders at once; a context manager (``with limiter: ...``)."""

    #: Seconds between two looks at the cancel token while waiting for a slot.
    wait_step = 0.1

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise UsageError(f"A concurrency limit must be at least 1, not {limit}.")
        self.limit = limit
        self._semaphore = threading.BoundedSemaphore(limit)
        self._lock = threading.Lock()
        self._active = 0

    @property
    def active(self) -> int:
        """How many slots are held right now."""
        return self._active

    def acquire(self, cancel: Optional[CancelToken] = None) -> None:
        """Take a slot, waiting for one to free up (cancellable)."""
        if cancel is None:
            self._semaphore.acquire()
        else:
            while not self._semaphore.acquire(timeout=self.wait_step):
                cancel.raise_if_cancelled("Waiting for a free download slot")
        with self._lock:
            self._active += 1

    def release(self) -> None:
        with self._lock:
            self._active -= 1
        self._semaphore.release()

    def __enter__(self) -> ConcurrencyLimiter:
        self.acquire()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()


_registry_lock = threading.Lock()
_rate_limiters: dict[str, RateLimiter] = {}
_concurrency_limiters: dict[str, ConcurrencyLimiter] = {}
#: What the two registries create: these classes, or cluster-wide twins (see :func:`use_makers`).
_makers: dict[str, Callable] = {
    "rate": lambda key, windows: RateLimiter(windows),
    "concurrency": lambda key, limit: ConcurrencyLimiter(limit),
}


def use_makers(rate: Callable[[str, Sequence[Window]], RateLimiter], concurrency: Callable) -> None:
    """Make the registries create limiters with ``rate(key, windows)`` and ``concurrency(key, limit)``
    from now on (a cluster worker shares them through its scheduler: :mod:`.cluster`)."""
    with _registry_lock:
        _makers["rate"] = rate
        _makers["concurrency"] = concurrency
        _rate_limiters.clear()
        _concurrency_limiters.clear()


def shared_rate_limiter(key: str, windows: Sequence[Window]) -> RateLimiter:
    """The process-wide :class:`RateLimiter` for ``key`` (a host or ``provider:account``), created on
    first use with ``windows``; later calls return the same object whatever ``windows`` they pass."""
    with _registry_lock:
        limiter = _rate_limiters.get(key)
        if limiter is None:
            limiter = _rate_limiters[key] = _makers["rate"](key, windows)
        return limiter


def shared_concurrency_limiter(key: str, limit: int) -> ConcurrencyLimiter:
    """The process-wide :class:`ConcurrencyLimiter` for ``key`` (e.g. ``cdse:user@example.org``)."""
    with _registry_lock:
        limiter = _concurrency_limiters.get(key)
        if limiter is None:
            limiter = _concurrency_limiters[key] = _makers["concurrency"](key, limit)
        return limiter


@contextlib.contextmanager
def host_slots(
    urls: Iterable[str], limit: Optional[int], cancel: Optional[CancelToken] = None
) -> Iterator[None]:
    """Hold a slot of the shared ``host:<host>`` cap of ``limit`` for each host of ``urls`` (taken in
    a fixed order, so two holders never wait on each other); no cap when ``limit`` is None."""
    hosts = sorted({(urlsplit(url).netloc or "").lower() for url in urls}) if limit else []
    held: list[ConcurrencyLimiter] = []
    try:
        for host in hosts:
            limiter = shared_concurrency_limiter(f"host:{host}|{limit}", int(limit or 0))
            limiter.acquire(cancel)
            held.append(limiter)
        yield
    finally:
        for limiter in reversed(held):
            limiter.release()
