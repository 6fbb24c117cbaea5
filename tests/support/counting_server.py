"""A loopback HTTP file server that records who asks: the process behind each connection, the ranges
asked for, and the most connections it ever served at once.

Serves ``{name: bytes}`` (GET with ``Range: bytes=N-`` and ``If-Range`` on a fixed ETag, 206 answers).
``hold`` seconds pass between a request and its body, so concurrent downloads overlap. ``gate(name,
after)`` makes the first GET of ``name`` send ``after`` bytes and then wait until :meth:`release`
(``gated`` is set once those bytes are out). The process of each connection is looked up among
``candidates`` (pids) with psutil while the connection is open.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional
from urllib.parse import urlsplit

import psutil


@dataclass
class Request:
    path: str
    pid: Optional[int]
    range: Optional[str]


class CountingServer:
    def __init__(self, files: dict[str, bytes], hold: float = 0.0) -> None:
        self.files = dict(files)
        self.hold = hold
        self.candidates: list[int] = []
        self.requests: list[Request] = []
        self.max_active = 0
        self.gated = threading.Event()
        self.gated_pid: Optional[int] = None
        self._active = 0
        self._lock = threading.Lock()
        self._gate: Optional[tuple[str, int]] = None
        self._open = threading.Event()
        self._stop = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def gate(self, name: str, after: int) -> None:
        self._gate = (name, after)
        self.gated.clear()
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.max_active = 0

    def pid_of(self, port: int) -> Optional[int]:
        for pid in self.candidates:
            try:
                connections = psutil.Process(pid).net_connections(kind="tcp")
            except psutil.Error:
                continue
            if any(c.laddr and c.laddr.port == port and c.raddr for c in connections):
                return pid
        return None

    def __enter__(self) -> CountingServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._open.set()
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                name = urlsplit(self.path).path.lstrip("/")  # a signed link's query is not the name
                data = server.files.get(name)
                asked = self.headers.get("Range")
                record = Request(name, server.pid_of(self.client_address[1]), asked)
                with server._lock:
                    server.requests.append(record)
                    server._active += 1
                    server.max_active = max(server.max_active, server._active)
                try:
                    self._answer(name, data, asked, record)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    with server._lock:
                        server._active -= 1

            def _answer(
                self, name: str, data: Optional[bytes], asked: Optional[str], record: Request
            ) -> None:
                if data is None:
                    self.send_error(404)
                    return
                start = 0
                if asked and asked.startswith("bytes=") and self.headers.get("If-Range") in (None, '"v1"'):
                    start = int(asked[len("bytes=") :].split("-")[0])
                if server.hold:
                    server._stop.wait(server.hold)
                self.send_response(206 if start else 200)
                self.send_header("ETag", '"v1"')
                self.send_header("Accept-Ranges", "bytes")
                self.send_header("Content-Length", str(len(data) - start))
                if start:
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                self.end_headers()
                gate = server._gate
                if gate is not None and gate[0] == name and not server.gated.is_set():
                    self.wfile.write(data[start : gate[1]])
                    self.wfile.flush()
                    server.gated_pid = record.pid
                    server.gated.set()
                    server._open.wait(60)
                    start = gate[1]
                self.wfile.write(data[start:])

        return Handler
