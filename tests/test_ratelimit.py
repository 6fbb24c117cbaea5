"""Rate limiter windows (injectable clock, no sleeping) and concurrency caps."""

from __future__ import annotations

import threading

import pytest

from scene_picker.core.cancel import CancelToken
from scene_picker.core.errors import CancelledError, UsageError
from scene_picker.core.ratelimit import (
    ConcurrencyLimiter,
    RateLimiter,
    shared_concurrency_limiter,
    shared_rate_limiter,
)


class FakeTime:
    """A clock that only moves when the limiter sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.sleeps.append(seconds)
        self.now += seconds


def max_in_window(stamps: list[float], period: float) -> int:
    best = 0
    start = 0
    for end, stamp in enumerate(stamps):
        while stamp - stamps[start] >= period:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_250_requests_never_exceed_terrascope_windows():
    fake = FakeTime()
    limiter = RateLimiter([(80, 10.0), (200, 60.0)], clock=fake.clock, sleep=fake.sleep)
    stamps = []
    for _ in range(250):
        limiter.acquire()
        stamps.append(fake.now)
    assert max_in_window(stamps, 10.0) == 80
    assert max_in_window(stamps, 60.0) == 200
    # Not slower than the policy allows: the 201st request waits for the first to leave the 60 s window.
    assert stamps[199] < 60.0
    assert stamps[200] == pytest.approx(60.0)
    assert len(fake.sleeps) < 250


def test_requests_spread_over_time_are_not_delayed():
    fake = FakeTime()
    limiter = RateLimiter([(2, 1.0)], clock=fake.clock, sleep=fake.sleep)
    for _ in range(10):
        limiter.acquire()
        fake.now += 0.5
    assert fake.sleeps == []


def test_try_acquire_and_delay():
    fake = FakeTime()
    limiter = RateLimiter([(2, 10.0)], clock=fake.clock, sleep=fake.sleep)
    assert limiter.try_acquire() and limiter.try_acquire()
    assert not limiter.try_acquire()
    assert limiter.delay() == pytest.approx(10.0)
    fake.now = 10.0
    assert limiter.try_acquire()


def test_threads_share_the_windows():
    fake = FakeTime()
    lock = threading.Lock()

    def sleep(seconds: float) -> None:
        with lock:
            fake.now += seconds

    limiter = RateLimiter([(5, 1.0)], clock=fake.clock, sleep=sleep)
    stamps: list[float] = []

    def worker() -> None:
        for _ in range(10):
            limiter.acquire()
            with lock:
                stamps.append(fake.now)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(stamps) == 40
    assert max_in_window(sorted(stamps), 1.0) <= 5


def test_cancel_interrupts_wait():
    limiter = RateLimiter([(1, 3600.0)])
    limiter.acquire()
    token = CancelToken()
    token.cancel()
    with pytest.raises(CancelledError):
        limiter.acquire(cancel=token)


def test_invalid_windows_refused():
    with pytest.raises(UsageError):
        RateLimiter([])
    with pytest.raises(UsageError):
        RateLimiter([(0, 1.0)])
    with pytest.raises(UsageError):
        ConcurrencyLimiter(0)


def test_concurrency_cap_is_never_exceeded():
    cap = ConcurrencyLimiter(2)
    peak = []
    lock = threading.Lock()
    inside = [0]
    barrier = threading.Barrier(6)

    def worker() -> None:
        barrier.wait(timeout=10)
        for _ in range(20):
            with cap:
                with lock:
                    inside[0] += 1
                    peak.append(inside[0])
                with lock:
                    inside[0] -= 1

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(peak) == 120 and max(peak) <= 2 and cap.active == 0


def test_shared_limiters_are_one_object_per_key():
    a = shared_rate_limiter("test-host-a", [(1, 1.0)])
    assert shared_rate_limiter("test-host-a", [(9, 9.0)]) is a
    assert shared_rate_limiter("test-host-b", [(1, 1.0)]) is not a
    assert shared_concurrency_limiter("cdse:alice", 4) is shared_concurrency_limiter("cdse:alice", 4)
