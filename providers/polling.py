"""Waiting for an offline product to become available: bounded polling with exponential back-off.

Used by the providers whose products need an activation step (USGS M2M download requests, Planet
asset activation). The wait is bounded by a timeout and ends in
:class:`~scene_picker.core.errors.ActivationError` saying what was awaited, for how long and how often
it was checked; cancellation ends it at once with :class:`~scene_picker.core.errors.CancelledError`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Optional, TypeVar

from ..core.cancel import CancelToken
from ..core.errors import ActivationError

T = TypeVar("T")


@dataclass(frozen=True)
class PollPolicy:
    """First wait ``interval`` seconds, multiplied by ``factor`` after each poll up to ``max_interval``;
    give up after ``timeout`` seconds or ``max_polls`` polls, whichever comes first."""

    interval: float = 5.0
    factor: float = 1.5
    max_interval: float = 60.0
    timeout: float = 3600.0
    max_polls: int = 10_000

    def delays(self) -> list[float]:
        """The successive waits this policy allows (bounded by ``max_polls`` and ``timeout``)."""
        out, delay, total = [], self.interval, 0.0
        while len(out) < self.max_polls - 1 and total + delay <= self.timeout:
            out.append(delay)
            total += delay
            delay = min(self.max_interval, delay * self.factor)
        return out


def poll_until(
    check: Callable[[], Optional[T]],
    *,
    what: str,
    provider: str,
    policy: PollPolicy,
    cancel: Optional[CancelToken] = None,
    status: Callable[[], str] = lambda: "not ready",
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Call ``check`` until it returns something other than None, waiting with back-off in between.

    ``status`` describes the last state seen, for the error message. Raises ActivationError when the
    policy's timeout or poll budget runs out.
    """
    token = CancelToken.ensure(cancel)
    started = clock()
    polls = 0
    for delay in [*policy.delays(), None]:
        token.raise_if_cancelled(f"Waiting for {what}")
        polls += 1
        result = check()
        if result is not None:
            return result
        if delay is None or clock() - started + delay > policy.timeout:
            break
        if token.wait(delay):
            token.raise_if_cancelled(f"Waiting for {what}")
    raise ActivationError(
        f"{provider}: {what} was still {status()} after {clock() - started:.1f} s and {polls} status "
        f"checks (limit {policy.timeout:g} s); the provider is still preparing it, try again later.",
        provider=provider,
    )
