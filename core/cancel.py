"""Cancellation: a thread-safe token checked between chunks, retries and waits.

A :class:`CancelToken` is cancelled from any thread (the dock's Cancel button, a QgsTask's
``cancel()``, Ctrl-C in the command line); long-running code polls :meth:`CancelToken.is_cancelled`
or calls :meth:`CancelToken.raise_if_cancelled`, and sleeps through :meth:`CancelToken.wait` so that a
back-off pause ends as soon as the user cancels.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Optional

from .errors import CancelledError

#: Longest single wait when the token wraps a polled callable (it cannot signal an event).
_POLL_INTERVAL = 0.1


class CancelToken:
    """A cancellation flag shared between the code that cancels and the code that works."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._poll: Optional[Callable[[], bool]] = None

    @classmethod
    def from_callable(cls, fn: Callable[[], bool]) -> CancelToken:
        """A token that is cancelled when ``fn()`` returns true (e.g. a processing feedback's
        ``isCanceled`` or a task's ``isCanceled``), as well as after :meth:`cancel`."""
        token = cls()
        token._poll = fn
        return token

    @classmethod
    def ensure(cls, token: Optional[CancelToken]) -> CancelToken:
        """``token`` itself, or a fresh token that is never cancelled when ``token`` is None."""
        return token if token is not None else cls()

    def cancel(self) -> None:
        self._event.set()

    def is_cancelled(self) -> bool:
        if self._event.is_set():
            return True
        if self._poll is not None and self._poll():
            self._event.set()
            return True
        return False

    def raise_if_cancelled(self, what: str = "The operation") -> None:
        """Raise :class:`~scene_picker.core.errors.CancelledError` if the token is cancelled."""
        if self.is_cancelled():
            raise CancelledError(f"{what} was cancelled.")

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; return True (early) as soon as the token is cancelled."""
        if seconds <= 0:
            return self.is_cancelled()
        if self._poll is None:
            return self._event.wait(seconds)
        deadline = time.monotonic() + seconds
        while True:
            if self.is_cancelled():
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self._event.wait(min(left, _POLL_INTERVAL))
