"""A small base for the provider emulators: a threaded stdlib HTTP server on an ephemeral loopback port.

It owns what every emulator needs and nothing provider-specific: starting and stopping the server,
a thread-safe log of the requests served (with their arrival times and the most requests ever in
flight at once, which the contract suite's per-host limits compare with the caps), JSON/text answers,
form and query parsing, and serving a byte string with HTTP ``Range`` support (RFC 9110 single ranges,
206/416), optionally cutting bounded ranges short the way some real servers do.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

from scene_picker.demo.server import RANGE, UNSATISFIABLE, parse_range


def spoil(data: bytes, fault: str | None) -> bytes:
    """``data`` as a faulty server holds it: ``"corrupt"``, one byte in the middle inverted (same
    length: only a checksum tells); ``"truncated"``, its last quarter missing (served with an honest
    ``Content-Length``: only the size the catalog announced tells); anything else, unchanged."""
    if fault == "corrupt" and data:
        middle = len(data) // 2
        return data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]
    if fault == "truncated":
        return data[: len(data) * 3 // 4]
    return data


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the emulator saw it (never the secrets: only whether auth was present)."""

    method: str
    path: str
    query: dict[str, list[str]]
    range: str | None
    status: int
    #: Body bytes the emulator sent (or began to send: a client may hang up before reading them all).
    body_bytes: int
    client: str


class EmulatorServer(ThreadingHTTPServer):
    """A threaded server bound to 127.0.0.1 on a port the OS picks; ``emulator`` is the owning object.
    ``host_name`` is how its URLs name it (default: its address; ``localhost`` makes a second host)."""

    daemon_threads = True
    allow_reuse_address = False
    request_queue_size = 64

    def __init__(
        self, handler: type[BaseHTTPRequestHandler], emulator: Any, host_name: str | None = None
    ) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.emulator = emulator
        self.host_name = host_name
        self.log: list[LoggedRequest] = []
        self.log_lock = threading.Lock()
        #: Seconds each request waits before it is answered (overlapping requests become visible).
        self.hold = 0.0
        #: When each request arrived (``time.monotonic()``), and the most requests in flight at once.
        self.arrivals: list[float] = []
        self.max_in_flight = 0
        self._in_flight = 0
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{self.host_name or host}:{port}"

    @property
    def netloc(self) -> str:
        """``host:port`` as the clients name this server (what per-host limits are keyed on)."""
        return self.base_url.split("//", 1)[1]

    def start(self) -> EmulatorServer:
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def requests_matching(self, predicate: Callable[[LoggedRequest], bool]) -> list[LoggedRequest]:
        with self.log_lock:
            return [r for r in self.log if predicate(r)]

    def clear_log(self) -> None:
        with self.log_lock:
            self.log.clear()
            self.arrivals.clear()
            self.max_in_flight = self._in_flight

    def request_began(self) -> None:
        with self.log_lock:
            self.arrivals.append(time.monotonic())
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def request_ended(self) -> None:
        with self.log_lock:
            self._in_flight -= 1


class Emulator:
    """Base of the provider emulators: the :class:`EmulatorServer` list ``servers`` (set by the subclass,
    the main one first) started and stopped together, one way: ``start()`` / ``close()`` or ``with``.
    ``base_url`` is the main server's root and ``url(path)`` names a URL on it."""

    servers: list[EmulatorServer]

    def start(self):  # -> Self
        for server in self.servers:
            server.start()
        return self

    def close(self) -> None:
        for server in self.servers:
            server.stop()

    def __enter__(self):  # -> Self
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def base_url(self) -> str:
        return self.servers[0].base_url

    def url_for(self, path: str = "") -> str:
        """``base_url`` + ``path`` (a path starting with ``/``)."""
        return self.base_url + path

    def served(self) -> int:
        """How many requests all the servers have answered (the contract suite compares it with a
        forward proxy's count)."""
        return sum(len(server.requests_matching(lambda _r: True)) for server in self.servers)

    def clear_logs(self) -> None:
        for server in self.servers:
            server.clear_log()


class EmulatorHandler(BaseHTTPRequestHandler):
    """Helpers shared by the emulators' request handlers; subclasses implement ``do_GET`` etc."""

    server: EmulatorServer
    protocol_version = "HTTP/1.1"
    server_version = "EmulatorHTTP/1.0"

    def handle(self) -> None:
        try:
            super().handle()
        except (ConnectionResetError, BrokenPipeError):
            pass  # the client hung up (e.g. after reading what it needed of an open-ended range)

    def handle_one_request(self) -> None:
        self._began = False
        try:
            super().handle_one_request()
        finally:
            if self._began:
                self.server.request_ended()

    def parse_request(self) -> bool:
        """Counts the request in flight from its parsed request line until its answer is written
        (an idle keep-alive connection is not a request in flight)."""
        parsed = super().parse_request()
        if parsed and not self._began:
            self._began = True
            self.server.request_began()
            if self.server.hold:
                time.sleep(self.server.hold)
        return parsed

    # -- request side ---------------------------------------------------------------------------
    @property
    def emulator(self) -> Any:
        return self.server.emulator

    def split(self) -> tuple[str, dict[str, list[str]]]:
        parts = urlsplit(self.path)
        return parts.path, parse_qs(parts.query, keep_blank_values=True)

    def read_form(self) -> dict[str, str]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8") if length else ""
        return {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}

    def bearer_token(self) -> str | None:
        value = self.headers.get("Authorization") or ""
        if value[:7].lower() == "bearer ":
            return value[7:].strip()
        return None

    # -- answer side ----------------------------------------------------------------------------
    def record(self, status: int, body_bytes: int) -> None:
        path, query = self.split()
        entry = LoggedRequest(
            method=self.command,
            path=path,
            query=query,
            range=self.headers.get("Range"),
            status=status,
            body_bytes=body_bytes,
            client=self.client_address[0],
        )
        with self.server.log_lock:
            self.server.log.append(entry)

    def send_body(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        # Logged before the body goes out, so a client that has its answer always finds it in the log.
        self.record(status, 0 if self.command == "HEAD" else len(body))
        if self.command != "HEAD":
            self._write_quietly(body)

    def send_json(self, status: int, payload: Any, content_type: str = "application/json") -> None:
        self.send_body(status, json.dumps(payload).encode("utf-8"), content_type)

    def send_text(self, status: int, text: str, content_type: str = "text/plain; charset=utf-8") -> None:
        self.send_body(status, text.encode("utf-8"), content_type)

    def serve_bytes(
        self, data: bytes, content_type: str = "application/octet-stream", cut_bounded: bool = False
    ) -> None:
        """Answer GET/HEAD for ``data`` honouring a single ``Range``.

        With ``cut_bounded`` a bounded range (``bytes=a-b``) is announced in full but only half of it
        (rounded down) is sent before the connection is closed; open-ended (``a-``) and suffix
        (``-n``) ranges, which end at the end of the file, are served whole.
        """
        total = len(data)
        header = self.headers.get("Range")
        common = {"Accept-Ranges": "bytes"}
        parsed = parse_range(header, total) if header else None
        if parsed == UNSATISFIABLE:
            self.send_body(416, b"", "text/plain", {**common, "Content-Range": f"bytes */{total}"})
            return
        if parsed is None:  # no range, or one to ignore (RFC 9110): the whole body
            self.send_body(200, data, content_type, common)
            return
        start, end = parsed
        first, last = RANGE.match(str(header)).groups()  # parse_range accepted it
        bounded = bool(first and last)
        chunk = data[start : end + 1]
        self.send_response(206)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(chunk)))
        self.send_header("Content-Range", f"bytes {start}-{end}/{total}")
        for key, value in common.items():
            self.send_header(key, value)
        if cut_bounded and bounded:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command == "HEAD":
            self.record(206, 0)
            return
        if cut_bounded and bounded:
            sent = chunk[: len(chunk) // 2]
            self.record(206, len(sent))
            self._write_quietly(sent)
            self.close_connection = True
            return
        self.record(206, len(chunk))
        self._write_quietly(chunk)

    def _write_quietly(self, body: bytes) -> None:
        try:
            self.wfile.write(body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client stopped reading (e.g. an open-ended range)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Silence the default stderr access log; the structured log is in ``server.log``."""
