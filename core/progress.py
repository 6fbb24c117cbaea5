"""Progress events (bytes done / total, speed, ETA) and the meter that produces them at a sane rate."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Optional


@dataclass(frozen=True)
class Progress:
    """One progress report: ``done`` of ``total`` units (bytes), ``speed`` in units/s, ``eta`` in s."""

    label: str
    done: int
    total: Optional[int]
    speed: float
    eta: Optional[float]

    @property
    def fraction(self) -> Optional[float]:
        """``done / total`` in [0, 1], or None when the total is unknown."""
        if not self.total:
            return None
        return min(1.0, self.done / self.total)


ProgressCallback = Callable[[Progress], None]


class ProgressMeter:
    """Turns a stream of byte counts into throttled :class:`Progress` events.

    The speed is an exponential moving average over updates at least ``interval`` seconds apart, so one
    fast or slow chunk does not make the ETA jump. ``clock`` is injectable for tests.
    """

    def __init__(
        self,
        label: str,
        total: Optional[int],
        callback: Optional[ProgressCallback],
        *,
        done: int = 0,
        interval: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label = label
        self.total = total
        self.done = done
        self._callback = callback
        self._interval = interval
        self._clock = clock
        self._last_time = clock()
        self._last_done = done
        self._speed = 0.0

    def add(self, count: int) -> None:
        """Record ``count`` more units; emits an event when ``interval`` has passed."""
        self.update(self.done + count)

    def update(self, done: int, *, force: bool = False) -> None:
        """Record the absolute count ``done``; emits an event when due (or when ``force``)."""
        self.done = done
        if self._callback is None:
            return
        now = self._clock()
        elapsed = now - self._last_time
        if not force and elapsed < self._interval:
            return
        if elapsed > 0:
            instant = max(0, done - self._last_done) / elapsed
            self._speed = instant if self._speed == 0 else 0.7 * self._speed + 0.3 * instant
            self._last_time = now
            self._last_done = done
        self._emit()

    def reset(self, done: int = 0, total: Optional[int] = None) -> None:
        """Start over (e.g. the server ignored a resume and sends the whole file again)."""
        self.done = done
        self._last_done = done
        self._last_time = self._clock()
        if total is not None:
            self.total = total

    def finish(self) -> None:
        """Emit a final event whatever the interval."""
        self.update(self.done, force=True)

    def _emit(self) -> None:
        eta = None
        if self.total is not None and self._speed > 0:
            eta = max(0.0, (self.total - self.done) / self._speed)
        assert self._callback is not None
        self._callback(Progress(self.label, self.done, self.total, self._speed, eta))
