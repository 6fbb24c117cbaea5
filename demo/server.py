"""A small range-capable static HTTP server (standard library only) on an ephemeral loopback port.

It serves one folder read-only with what partial zip extraction needs from a real file server:
``Accept-Ranges``, single byte ranges (``bytes=a-b``, open-ended ``bytes=a-`` and suffix ``bytes=-n``)
answered ``206`` with ``Content-Range``, ``416`` with ``Content-Range: bytes */size`` when no byte is
satisfiable, ``HEAD``, a strong ``ETag`` and ``Last-Modified`` with ``If-Range``, ``If-None-Match`` and
``If-Modified-Since``. A request for several ranges is answered with the whole file (``200``), which
RFC 9110 allows. Every request is recorded (before its answer leaves) with the body bytes written, so the demo
and the tests can tell how much a client fetched.
"""

from __future__ import annotations

import email.utils
import mimetypes
import posixpath
import re
import threading
import time
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

#: One ``bytes=first-last`` range (either number may be missing).
RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)
#: What :func:`parse_range` answers for a range no byte of the body satisfies (HTTP 416).
UNSATISFIABLE = "unsatisfiable"
_CHUNK = 64 * 1024
_TYPES = {".json": "application/json", ".geojson": "application/geo+json", ".zip": "application/zip"}


@dataclass
class LoggedRequest:
    """One answered request: what was asked, the status, and the body bytes sent so far (only the
    thread answering it updates ``body_bytes``)."""

    method: str
    path: str
    range: str | None
    status: int
    body_bytes: int = 0


class RequestLog:
    """Thread-safe record of the requests a :class:`RangeServer` answered."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[LoggedRequest] = []

    def add(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def bytes_sent(self, path_suffix: str = "") -> int:
        """Body bytes sent for paths ending with ``path_suffix`` (all paths by default)."""
        return sum(e.body_bytes for e in self.entries() if e.path.endswith(path_suffix))


def parse_range(header: str, size: int) -> tuple[int, int] | None | str:
    """``(first, last)`` inclusive for one satisfiable range of a ``size``-byte body, :data:`UNSATISFIABLE`
    (416), or ``None`` when the header is to be ignored and everything sent (several ranges, junk,
    ``last < first``: RFC 9110 14.1.1 / 14.2). The one range parser of the demo server and the tests'
    emulators."""
    if "," in header:
        return None
    match = RANGE.match(header)
    if not match:
        return None
    first_text, last_text = match.groups()
    if not first_text and not last_text:
        return None
    if not first_text:  # suffix range: the last n bytes
        length = int(last_text)
        if length == 0 or size == 0:
            return UNSATISFIABLE
        return max(0, size - length), size - 1
    first = int(first_text)
    last = int(last_text) if last_text else size - 1
    if last_text and last < first:
        return None  # syntactically invalid: ignored (RFC 9110 14.1.1)
    if first >= size:
        return UNSATISFIABLE
    return first, min(last, size - 1)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        """Silent: the request log replaces stderr chatter."""

    def do_HEAD(self) -> None:  # noqa: N802 - stdlib naming
        self._serve(send_body=False)

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._serve(send_body=True)

    def _resolve(self) -> Path | None:
        path = posixpath.normpath(unquote(urlsplit(self.path).path))
        parts = [p for p in path.split("/") if p and p not in (".", "..")]
        target = self.server.root.joinpath(*parts) if parts else self.server.root
        try:
            target.resolve().relative_to(self.server.root)
        except ValueError:
            return None
        return target if target.is_file() else None

    def _serve(self, send_body: bool) -> None:
        target = self._resolve()
        range_header = self.headers.get("Range")
        if target is None:
            self._finish_empty(HTTPStatus.NOT_FOUND, range_header)
            return
        stat = target.stat()
        size = stat.st_size
        etag = f'"{stat.st_mtime_ns:x}-{size:x}"'
        last_modified = email.utils.formatdate(stat.st_mtime, usegmt=True)
        if self._not_modified(etag, stat.st_mtime):
            self.send_response(HTTPStatus.NOT_MODIFIED)
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", last_modified)
            self.send_header("Content-Length", "0")
            self._log(HTTPStatus.NOT_MODIFIED, range_header)
            self.end_headers()
            return
        if range_header is not None and not self._if_range_holds(etag, last_modified):
            range_header_effective = None
        else:
            range_header_effective = range_header
        byte_range = parse_range(range_header_effective, size) if range_header_effective else None
        if byte_range == UNSATISFIABLE:
            self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.send_header("Accept-Ranges", "bytes")
            self._log(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE, range_header)
            self.end_headers()
            return
        if byte_range is None:
            status, first, last = HTTPStatus.OK, 0, size - 1
        else:
            status, (first, last) = HTTPStatus.PARTIAL_CONTENT, byte_range
        length = last - first + 1 if size else 0
        self.send_response(status)
        self.send_header("Content-Type", _TYPES.get(target.suffix) or _guess_type(target))
        self.send_header("Content-Length", str(length))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", last_modified)
        if status == HTTPStatus.PARTIAL_CONTENT:
            self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
        entry = self._log(status, range_header)
        self.end_headers()
        if send_body and length:
            self._copy(target, first, length, entry)

    def _copy(self, target: Path, first: int, length: int, entry: LoggedRequest) -> None:
        """Send the bytes, counting in ``entry`` each chunk before it is handed to the socket (so the
        count is complete when the client has it) and taking it back if the client hung up."""
        left = length
        with target.open("rb") as fh:
            fh.seek(first)
            while left > 0:
                chunk = fh.read(min(_CHUNK, left))
                if not chunk:
                    break
                entry.body_bytes += len(chunk)
                try:
                    self.wfile.write(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    entry.body_bytes -= len(chunk)
                    self.close_connection = True  # the client hung up
                    break
                left -= len(chunk)
                if self.server.chunk_delay > 0:
                    time.sleep(self.server.chunk_delay)  # a slow link, for tests that act mid-transfer

    def _not_modified(self, etag: str, mtime: float) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            return if_none_match.strip() == "*" or etag in [t.strip() for t in if_none_match.split(",")]
        since = self.headers.get("If-Modified-Since")
        if since:
            try:
                parsed = email.utils.parsedate_to_datetime(since)
            except (TypeError, ValueError):
                return False
            return int(mtime) <= parsed.timestamp()
        return False

    def _if_range_holds(self, etag: str, last_modified: str) -> bool:
        if_range = self.headers.get("If-Range")
        if if_range is None:
            return True
        if_range = if_range.strip()
        return if_range == etag if if_range.startswith('"') else if_range == last_modified

    def _finish_empty(self, status: HTTPStatus, range_header: str | None) -> None:
        body = f"{status.value} {status.phrase}\n".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self._log(status, range_header)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _log(self, status: int, range_header: str | None) -> LoggedRequest:
        """Record the request before its answer leaves, so a client never sees an answer unlogged."""
        entry = LoggedRequest(self.command, urlsplit(self.path).path, range_header, int(status))
        self.server.log.add(entry)
        return entry


def _guess_type(path: Path) -> str:
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, root: Path, log: RequestLog) -> None:
        self.root = root
        self.log = log
        self.chunk_delay = 0.0
        super().__init__(("127.0.0.1", 0), _Handler)


class RangeServer:
    """Serve ``root`` on ``127.0.0.1`` at an ephemeral port from a background thread.

    Use as a context manager (``with RangeServer(folder) as server: server.url_for("a.zip")``) or
    call :meth:`start` / :meth:`stop`. Setting :attr:`chunk_delay` (seconds slept after each 64 KiB
    written) simulates a slow link.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self.log = RequestLog()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def chunk_delay(self) -> float:
        return self._server.chunk_delay if self._server is not None else 0.0

    @chunk_delay.setter
    def chunk_delay(self, seconds: float) -> None:
        if self._server is None:
            raise RuntimeError("the server is not running")
        self._server.chunk_delay = max(0.0, float(seconds))

    @property
    def url(self) -> str:
        """Base URL, ending with ``/``."""
        if self._server is None:
            raise RuntimeError("the server is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    def url_for(self, relpath: str) -> str:
        return self.url + relpath.lstrip("/")

    def start(self) -> RangeServer:
        if self._server is None:
            self._server = _Server(self.root, self.log)
            self._thread = threading.Thread(
                target=self._server.serve_forever, name="demo-range-server", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=10)
            self._server = None
            self._thread = None

    def __enter__(self) -> RangeServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


def main() -> int:
    """Serve a folder until interrupted (``python demo/server.py FOLDER``)."""
    import argparse
    import time

    parser = argparse.ArgumentParser(description="Serve a folder with HTTP range support on loopback.")
    parser.add_argument("root", type=Path)
    args = parser.parse_args()
    with RangeServer(args.root) as server:
        print(f"serving {server.root} at {server.url} (Ctrl-C stops)", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
