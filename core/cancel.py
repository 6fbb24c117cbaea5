"""Cancellation: a thread-safe token checked between chunks, retries and waits, and able to
interrupt a blocked read.

A :class:`CancelToken` is cancelled from any thread (the dock's Cancel button, a QgsTask's
``cancel()``, Ctrl-C in the command line); long-running code polls :meth:`CancelToken.is_cancelled`
or calls :meth:`CancelToken.raise_if_cancelled`, and sleeps through :meth:`CancelToken.wait` so that a
back-off pause ends as soon as the user cancels.

Code blocked in a read that may last long (a server that stops sending mid-body) registers an
interrupt with :meth:`CancelToken.interrupting`: the callback runs on cancellation (e.g. it shuts the
socket down so the read returns at once) and the code then sees the token and raises
:class:`~scene_picker.core.errors.CancelledError`. A token made with :meth:`CancelToken.from_callable`
cannot signal by itself: while such a token has interrupts registered, one shared daemon thread polls
its callable every :data:`_POLL_INTERVAL` seconds (a cheap flag read such as ``QgsTask.isCanceled``;
the callable must be safe to call from another thread) and runs the callbacks when it turns true.
"""

from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager
from typing import Callable, Iterator, Optional

from .errors import CancelledError

log = logging.getLogger(__name__)

#: Longest single wait when the token wraps a polled callable (it cannot signal an event); also the
#: period of the watcher thread that polls such tokens while they have interrupts registered.
_POLL_INTERVAL = 0.1


class CancelToken:
    """A cancellation flag shared between the code that cancels and the code that works."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._poll: Optional[Callable[[], bool]] = None
        self._lock = threading.Lock()
        self._callbacks: dict[int, Callable[[], None]] = {}
        self._next_key = 0

    @classmethod
    def from_callable(cls, fn: Callable[[], bool]) -> CancelToken:
        """A token that is cancelled when ``fn()`` returns true (e.g. a processing feedback's
        ``isCanceled`` or a task's ``isCanceled``), as well as after :meth:`cancel`.

        ``fn`` is polled: by :meth:`is_cancelled`, and every :data:`_POLL_INTERVAL` seconds from a
        watcher thread while a blocked read has an interrupt registered, so it must be cheap and
        thread-safe."""
        token = cls()
        token._poll = fn
        return token

    @classmethod
    def ensure(cls, token: Optional[CancelToken]) -> CancelToken:
        """``token`` itself, or a fresh token that is never cancelled when ``token`` is None."""
        return token if token is not None else cls()

    def cancel(self) -> None:
        """Cancel: set the flag, then run the registered interrupts (in this thread)."""
        self._event.set()
        self._fire()

    def is_cancelled(self) -> bool:
        if self._event.is_set():
            return True
        if self._poll is not None and self._poll():
            self._event.set()
            self._fire()
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

    @contextmanager
    def interrupting(self, callback: Callable[[], None]) -> Iterator[None]:
        """While the block runs, call ``callback`` once if the token gets cancelled (at once if it
        already is). The callback runs in the cancelling thread (or the watcher thread for a polled
        token) and must only unblock the worker, e.g. shut a socket down; errors it raises are logged.
        """
        with self._lock:
            key = self._next_key
            self._next_key += 1
            self._callbacks[key] = callback
        if self._poll is not None:
            _watcher.add(self)
        try:
            if self._event.is_set():
                self._fire()
            yield
        finally:
            with self._lock:
                self._callbacks.pop(key, None)
            if self._poll is not None:
                _watcher.discard(self)

    def _fire(self) -> None:
        with self._lock:
            callbacks = list(self._callbacks.values())
            self._callbacks.clear()
        for callback in callbacks:
            try:
                callback()
            except Exception as exc:  # noqa: BLE001 - a failing interrupt must not break cancel()
                log.debug("cancel interrupt failed: %s", exc)


class _Watcher:
    """One daemon thread that polls the polled tokens having interrupts registered; it runs only
    while there are some."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[int, tuple[CancelToken, int]] = {}
        self._thread: Optional[threading.Thread] = None

    def add(self, token: CancelToken) -> None:
        with self._lock:
            held, count = self._tokens.get(id(token), (token, 0))
            self._tokens[id(token)] = (held, count + 1)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="cancel-watcher", daemon=True)
                self._thread.start()

    def discard(self, token: CancelToken) -> None:
        with self._lock:
            held, count = self._tokens.get(id(token), (token, 0))
            if count <= 1:
                self._tokens.pop(id(token), None)
            else:
                self._tokens[id(token)] = (held, count - 1)

    def _run(self) -> None:
        while True:
            with self._lock:
                tokens = [token for token, _count in self._tokens.values()]
                if not tokens:
                    self._thread = None
                    return
            for token in tokens:
                try:
                    token.is_cancelled()  # runs the token's interrupts when its callable turns true
                except Exception as exc:  # noqa: BLE001 - a failing callable must not stop the watcher
                    log.debug("cancel poll failed: %s", exc)
            time.sleep(_POLL_INTERVAL)


_watcher = _Watcher()
