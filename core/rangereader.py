"""Range requests for partial reads of a remote file, in three modes (used by :mod:`.remotezip`):

- ``"bounded"``: ``Range: bytes=a-b``. A server that closes the connection early (Theia's does) is
  asked again from the first missing byte, as long as each answer makes progress.
- ``"open-ended"``: ``Range: bytes=a-``, closing the connection once the needed bytes have arrived.
- ``"auto"``: bounded, switching to open-ended only for a host whose bounded answers make no progress
  at all; which mode works is remembered per host for the life of the process.

:class:`ByteStream` turns the chunks of one run of ranges into exact reads.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Iterator, Optional
from urllib.parse import urlsplit

import requests
import urllib3

from .cancel import CancelToken
from .errors import (
    ArchiveError,
    HttpStatusError,
    NetworkError,
    RangeNotSupportedError,
    UsageError,
)
from .http import HttpClient, interrupt_response
from .redact import redact_url

log = logging.getLogger(__name__)


RANGE_MODES = ("auto", "bounded", "open-ended")
BOUNDED, OPEN_ENDED = "bounded", "open-ended"
_CHUNK = 64 * 1024
_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$")

# -- which range mode works, per host (scheme://host:port), for the life of the process --------------
_host_modes: dict[str, str] = {}
_host_lock = threading.Lock()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme, 0)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


def remembered_range_mode(url: str) -> Optional[str]:
    """The range mode that worked for ``url``'s host in this process ("bounded" / "open-ended")."""
    with _host_lock:
        return _host_modes.get(_origin(url))


def remember_range_mode(url: str, mode: str) -> None:
    with _host_lock:
        _host_modes[_origin(url)] = mode


def forget_range_modes() -> None:
    """Forget every host's range mode (tests, or after the user changed a setting)."""
    with _host_lock:
        _host_modes.clear()


# -- range requests ---------------------------------------------------------------------------------
class RangeReader:
    """Byte ranges of one URL through :class:`HttpClient`, surviving answers that end early.

    :attr:`size` is known after the first request; :attr:`requests` and :attr:`bytes_received` count
    what this reader did. ``max_stalls`` bounds the consecutive answers that bring no new byte.
    """

    def __init__(
        self,
        url: str,
        http: HttpClient,
        range_mode: str = "auto",
        *,
        cancel: Optional[CancelToken] = None,
        max_stalls: int = 3,
        fallback_after: int = 2,
        max_requests_per_range: int = 100_000,
    ) -> None:
        if range_mode not in RANGE_MODES:
            raise UsageError(f"unknown range mode {range_mode!r}; choose one of {', '.join(RANGE_MODES)}")
        self.url = url
        self.http = http
        self.range_mode = range_mode
        self.cancel = cancel
        self.max_stalls = max_stalls
        self.fallback_after = fallback_after
        self.max_requests_per_range = max_requests_per_range
        self.size: Optional[int] = None
        self.requests = 0
        self.bytes_received = 0
        self.short_answers = 0
        self._validator: Optional[tuple[str, str]] = None
        self._shown = redact_url(url)
        self._target = url  # where range requests go: the URL, or where it redirected to

    @property
    def current_mode(self) -> str:
        """The mode the next bounded-capable request will use."""
        if self.range_mode != "auto":
            return self.range_mode
        return remembered_range_mode(self.url) or BOUNDED

    def suffix(self, length: int) -> bytes:
        """The last ``length`` bytes (fewer if the file is shorter); learns :attr:`size`."""
        with self._get(f"bytes=-{length}") as response:
            first, _last, total = self._check_answer(response, None)
            self.size = total
            received = bytearray()
            for chunk in self._body(response, total - first):
                received += chunk
        if first + len(received) < total:
            self.short_answers += 1
            received += self.read(first + len(received), total)
        return bytes(received)

    def read(self, start: int, end: int) -> bytes:
        """The bytes ``[start, end)``."""
        return b"".join(self.iter_range(start, end))

    def iter_range(self, start: int, end: int) -> Iterator[bytes]:
        """Yield the bytes ``[start, end)`` in chunks, asking again from the first missing byte when an
        answer ends early; in ``auto`` mode, switch to open-ended ranges when bounded ones bring
        nothing."""
        if self.size is None:
            raise RuntimeError("suffix() must come first")
        if not 0 <= start <= end <= self.size:
            raise ArchiveError(f"range {start}-{end} lies outside the {self.size}-byte archive")
        pos = start
        stalls = 0
        for _ in range(self.max_requests_per_range):
            if pos >= end:
                return
            mode = self.current_mode
            header = f"bytes={pos}-{end - 1}" if mode == BOUNDED else f"bytes={pos}-"
            before = pos
            with self._get(header) as response:
                self._check_answer(response, pos)
                for chunk in self._body(response, end - pos):
                    pos += len(chunk)
                    yield chunk
                # Leaving the block closes the response: for an open-ended range that also closes
                # the connection, so the server stops sending.
            if pos >= end:
                if self.range_mode == "auto" and remembered_range_mode(self.url) is None:
                    remember_range_mode(self.url, mode)
                return
            self.short_answers += 1
            if pos > before:
                stalls = 0
                log.info("%s: answer ended %d bytes early; asking again", self._shown, end - pos)
                continue
            stalls += 1
            if self.range_mode == "auto" and mode == BOUNDED and stalls >= self.fallback_after:
                log.info("%s: bounded ranges bring nothing; switching to open-ended ranges", self._shown)
                remember_range_mode(self.url, OPEN_ENDED)
                stalls = 0
                continue
            if stalls >= self.max_stalls:
                hint = " Try the open-ended range mode (--range-mode open-ended)." if mode == BOUNDED else ""
                raise NetworkError(
                    f"{self._shown}: the server closed {stalls} range answers in a row without sending "
                    f"any byte (at offset {pos}).{hint}"
                )
        raise NetworkError(f"{self._shown}: too many requests for one byte range; giving up at offset {pos}")

    # -- internals ----------------------------------------------------------------------------------
    def _get(self, range_header: str) -> requests.Response:
        """One range request. After a redirect, later ranges go straight to where it led (one round
        trip each instead of two); if that target stops working, the original URL is asked again."""
        if self.cancel is not None:
            self.cancel.raise_if_cancelled()
        target = self._target
        self.requests += 1
        try:
            response = self.http.request(
                "GET",
                target,
                headers={"Range": range_header, "Accept-Encoding": "identity"},
                stream=True,
                accept_status=(416,),
                cancel=self.cancel,
                origin=self.url,  # sensitive headers stay with the URL's host, not the redirect target
            )
        except HttpStatusError as exc:
            if target != self.url and exc.status in (401, 403, 404, 410):
                log.info(
                    "%s: the redirect target answered HTTP %s; back to the original URL",
                    self._shown,
                    exc.status,
                )
                self._target = self.url
                return self._get(range_header)
            raise HttpStatusError(f"Reading the zip archive failed: {exc}", exc.status, exc.url) from None
        if response.status_code == 206 and response.url and response.url != target:
            self._target = response.url
        return response

    def _check_answer(
        self, response: requests.Response, expected_start: Optional[int]
    ) -> tuple[int, int, int]:
        empty = response.status_code == 200 and response.headers.get("Content-Length") == "0"
        if response.status_code == 416 or empty:
            raise ArchiveError(f"{self._shown} is empty or shorter than asked: not a zip archive")
        if response.status_code != 206:
            raise RangeNotSupportedError(
                f"{self._shown} answered HTTP {response.status_code} to a range request: this server does "
                "not serve byte ranges, so members cannot be fetched alone. Download the whole archive "
                "instead (scene-picker fetch URL --out DIR)."
            )
        match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
        if not match or match.group(3) == "*":
            raise RangeNotSupportedError(
                f"{self._shown} answered a range request without a usable Content-Range "
                f"({response.headers.get('Content-Range')!r})."
            )
        first, last, total = int(match.group(1)), int(match.group(2)), int(match.group(3))
        if expected_start is not None and first != expected_start:
            raise RangeNotSupportedError(
                f"{self._shown} answered bytes {first}-{last} when asked for offset {expected_start}."
            )
        if self.size is not None and total != self.size:
            raise ArchiveError(
                f"{self._shown} changed on the server while being read (size {self.size} → {total}); "
                "try again."
            )
        validator = (response.headers.get("ETag", ""), response.headers.get("Last-Modified", ""))
        if self._validator is None:
            self._validator = validator
        elif validator != self._validator and all(validator) and all(self._validator):
            raise ArchiveError(f"{self._shown} changed on the server while being read; try again.")
        return first, last, total

    def _body(self, response: requests.Response, limit: int) -> Iterator[bytes]:
        """At most ``limit`` body bytes; ends quietly (short) when the connection ends early."""
        cancel = self.cancel
        if cancel is None:
            yield from self._body_chunks(response, limit)
            return
        # A cancel shuts the connection down, so a read blocked on a stalled server returns at once.
        with cancel.interrupting(lambda: interrupt_response(response)):
            yield from self._body_chunks(response, limit)
        cancel.raise_if_cancelled("Reading the zip archive")  # also when the interrupt ended the body

    def _body_chunks(self, response: requests.Response, limit: int) -> Iterator[bytes]:
        raw = response.raw
        left = limit
        while left > 0:
            if self.cancel is not None:
                self.cancel.raise_if_cancelled("Reading the zip archive")
            try:
                chunk = raw.read(min(_CHUNK, left), decode_content=False)
            except (urllib3.exceptions.HTTPError, requests.RequestException, OSError) as exc:
                log.info("%s: connection ended during the body: %s", self._shown, exc)
                return
            if not chunk:
                return
            left -= len(chunk)
            self.bytes_received += len(chunk)
            yield chunk


# -- reading a run of bytes with exact-size reads ----------------------------------------------------
class ByteStream:
    """Exact-size reads over an iterator of chunks that starts at archive offset ``pos``."""

    def __init__(self, chunks: Iterator[bytes], pos: int) -> None:
        self._chunks = chunks
        self._buffer = b""
        self.pos = pos

    def _next(self) -> bytes:
        chunk = next(self._chunks, None)
        if chunk is None:
            raise ArchiveError(f"archive data ended early at offset {self.pos}")
        return chunk

    def pieces(self, count: int) -> Iterator[bytes]:
        """Yield pieces totalling exactly ``count`` bytes."""
        while count > 0:
            if not self._buffer:
                self._buffer = self._next()
            piece = self._buffer[:count]
            self._buffer = self._buffer[len(piece) :]
            count -= len(piece)
            self.pos += len(piece)
            yield piece

    def read(self, count: int) -> bytes:
        return b"".join(self.pieces(count))

    def skip_to(self, offset: int) -> None:
        if offset < self.pos:
            raise ArchiveError(f"archive member at offset {offset} overlaps the previous one")
        for _ in self.pieces(offset - self.pos):
            pass
