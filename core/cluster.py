"""Limits shared by every worker of a Dask ``distributed`` cluster (``distributed`` imported lazily).

On a worker, :func:`install_worker_limits` makes :func:`~.ratelimit.shared_concurrency_limiter` and
:func:`~.ratelimit.shared_rate_limiter` hand out limiters kept on the scheduler, so one cap holds for
the whole cluster, not per process:

- a concurrency cap (CDSE's 4 sessions per account, the per-host cap of a download) is a
  ``distributed.Semaphore`` with ``limit`` leases: a slot is a lease;
- a rate limit is one such semaphore per ``(limit, period)`` window: a request takes a lease in every
  window and gives each back ``period`` seconds later, a sliding log of the last requests kept on the
  scheduler (the same strict windows as :class:`~.ratelimit.RateLimiter`).

The scheduler hands a lease of a worker that died back after ``distributed.scheduler.locks.lease-timeout``
(30 s by default; its workers refresh their leases meanwhile). Semaphore names are hashes of the keys,
so the scheduler never sees an account name, and no credential travels: workers read theirs from their
own keyring (or the environment) and fetch their tokens themselves.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import logging
import threading
import time
from typing import Any, Optional, Sequence

from .cancel import CancelToken
from .ratelimit import ConcurrencyLimiter, Window, use_makers

log = logging.getLogger(__name__)


def semaphore_name(key: str, limit: int) -> str:
    """The scheduler-side name of the cap ``key`` (hashed: no account name reaches the scheduler)."""
    return f"scene-picker-{hashlib.sha256(f'{key}|{limit}'.encode()).hexdigest()[:24]}"


class ClusterSemaphore(ConcurrencyLimiter):
    """A :class:`~.ratelimit.ConcurrencyLimiter` whose ``limit`` slots are leases of a
    ``distributed.Semaphore`` shared by every worker (and the client) of the cluster."""

    wait_step = 0.5  # each look is a round trip to the scheduler

    def __init__(self, key: str, limit: int) -> None:
        from distributed import Semaphore

        super().__init__(limit)
        self._semaphore = Semaphore(max_leases=limit, name=semaphore_name(key, limit))


class ClusterRateLimiter:
    """A :class:`~.ratelimit.RateLimiter` shared by the cluster: per window a semaphore of ``limit``
    leases, each lease given back ``period`` seconds after its request (see the module docstring)."""

    def __init__(self, key: str, windows: Sequence[Window]) -> None:
        self.windows = tuple((int(limit), float(period)) for limit, period in windows)
        self._slots = [ClusterSemaphore(f"{key}|rate|{period}", limit) for limit, period in self.windows]

    def acquire(self, cancel: Optional[CancelToken] = None) -> None:
        for slot, (_, period) in zip(self._slots, self.windows):
            slot.acquire(cancel)
            _release_later(slot, period)


_due: list[tuple[float, int, Any]] = []  # (monotonic time, tie-breaker, slot) leases to give back
_due_lock = threading.Condition()
_order = itertools.count()
_releaser: Optional[threading.Thread] = None


def _release_later(slot: ClusterSemaphore, delay: float) -> None:
    global _releaser
    with _due_lock:
        heapq.heappush(_due, (time.monotonic() + delay, next(_order), slot))
        if _releaser is None or not _releaser.is_alive():
            _releaser = threading.Thread(target=_release_loop, name="scene-picker-rate", daemon=True)
            _releaser.start()
        _due_lock.notify()


def _release_loop() -> None:
    while True:
        with _due_lock:
            while not _due or _due[0][0] > time.monotonic():
                _due_lock.wait(_due[0][0] - time.monotonic() if _due else None)
            _, _, slot = heapq.heappop(_due)
        try:
            slot.release()
        except Exception as exc:  # noqa: BLE001 - the scheduler hands the lease back after its timeout
            log.warning("a rate-limit lease was not given back at once: %s", exc)


_installed = False


def install_worker_limits() -> None:
    """Make this process's shared limiters cluster-wide (idempotent; call it on a worker)."""
    global _installed
    if not _installed:
        use_makers(ClusterRateLimiter, ClusterSemaphore)
        _installed = True
