"""A fault-injecting HTTP proxy on loopback, in front of an upstream server (nginx in the tests).

Start it, point the client at :meth:`FaultProxy.url`, then choose faults with :meth:`FaultProxy.configure`
(which also resets the counters)::

    proxy = FaultProxy("http://127.0.0.1:8080").start()
    proxy.configure(cut_after=1_000_000, cut_times=1)   # first response ends after 1 MB
    ... download proxy.url("big.bin") ...
    proxy.requests, proxy.bytes_sent, proxy.log         # counted per test
    proxy.stop()

Faults (keyword arguments of :meth:`configure`; everything off by default):

- ``cut_after=N`` (``cut_times=K``): send N body bytes then close the connection (the first K
  responses; all when K is None). Content-Length still announces the full body. With
  ``cut_with_reset=True`` the connection is reset (TCP RST, a read error for the client) instead.
- ``short_ranges=N``: a *bounded* range request (``bytes=a-b``) gets at most N body bytes, then the
  connection closes — the Theia behaviour. Open-ended ranges (``bytes=a-``) are served in full.
  ``short_ranges=0`` sends only the headers (no progress at all).
- ``ignore_range=True``: Range and If-Range are dropped upstream, so the answer is 200 with the full body.
- ``drop_if_range=True``: If-Range is dropped upstream (a server that ignores it: a changed resource
  is then answered 206 with new validators, which the client must notice itself).
- ``status_429=K`` (``retry_after="2"`` or an HTTP date): the next K requests get 429 + Retry-After.
- ``status_503=K`` (``retry_after=None`` by default for 503): the next K requests get 503.
- ``flip_offset=O`` (``flip_times=1``): the byte at absolute file offset O is inverted in the next
  ``flip_times`` responses that carry it (all when None).
- ``stall_after=N``: send N body bytes, then hold the connection until :meth:`release_stall` or
  :meth:`stop` (at most ``stall_timeout`` seconds), then close it.
- ``require_bearer=True``: file requests need ``Authorization: Bearer T`` with a token issued by the
  proxy's OpenID-style endpoint ``POST /token`` (password grant for :attr:`accounts`, refresh_token
  grant); a token stops working (401) after ``token_life_requests`` requests or ``token_life_seconds``
  seconds — the mid-transfer expiry. ``token_expires_in`` is what the endpoint announces;
  ``token_refusal_status`` (401) is the status of a refused token (some services say 403).
- ``redirect_to=BASE``: every file request answers 302 to ``BASE + path``.

Counters: :attr:`requests` (requests received, token endpoint included), :attr:`bytes_sent` (body bytes
written to clients), :attr:`log` (one :class:`RequestRecord` per request, with the headers received),
:attr:`token_grants` (grant types served). Threaded with a bounded number of connections; every wait is
bounded; :meth:`stop` closes open connections and joins the threads.
"""

from __future__ import annotations

import http.client
import json
import re
import secrets
import socket
import struct
import threading
import time
from dataclasses import dataclass, field, fields
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional
from urllib.parse import parse_qs, urlsplit

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te", "upgrade"}
_BOUNDED_RANGE = re.compile(r"^\s*bytes=(\d+)-(\d+)\s*$")
_CHUNK = 64 * 1024
TOKEN_PATH = "/token"


@dataclass
class Faults:
    """The proxy's current faults; see the module docstring."""

    cut_after: Optional[int] = None
    cut_times: Optional[int] = None
    cut_with_reset: bool = False
    short_ranges: Optional[int] = None
    ignore_range: bool = False
    drop_if_range: bool = False
    status_429: int = 0
    status_503: int = 0
    retry_after: Optional[str] = "1"
    flip_offset: Optional[int] = None
    flip_times: Optional[int] = 1
    stall_after: Optional[int] = None
    stall_timeout: float = 60.0
    require_bearer: bool = False
    token_life_requests: Optional[int] = None
    token_life_seconds: Optional[float] = None
    token_expires_in: int = 300
    token_refusal_status: int = 401
    redirect_to: Optional[str] = None


@dataclass
class RequestRecord:
    """One request as the proxy saw it, and what it answered."""

    method: str
    path: str
    headers: dict[str, str]
    status: int = 0
    bytes_sent: int = 0
    cut: bool = False
    state: Optional[_State] = field(default=None, repr=False, compare=False)

    @property
    def range(self) -> Optional[str]:
        return self.headers.get("range")


@dataclass
class _Token:
    issued: float
    uses: int = 0


@dataclass
class _State:
    faults: Faults = field(default_factory=Faults)
    log: list[RequestRecord] = field(default_factory=list)
    bytes_sent: int = 0
    token_grants: list[str] = field(default_factory=list)
    stall: threading.Event = field(default_factory=threading.Event)


def _wait_delivered(sock: socket.socket, timeout: float = 5.0) -> None:
    """Wait (bounded) until the peer's kernel has every byte sent (Linux: nothing left in the send
    queue), so a reset that follows destroys no byte in flight: the client has them all to read."""
    import fcntl
    import termios

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pending = struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0"))[0]
        if pending == 0:
            return
        time.sleep(0.002)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, proxy: FaultProxy, max_connections: int) -> None:
        self.proxy = proxy
        self._slots = threading.BoundedSemaphore(max_connections)
        super().__init__(("127.0.0.1", 0), _Handler)

    def shutdown_request(self, request) -> None:  # type: ignore[override]
        if request in self.proxy.reset_sockets:  # no FIN first: the close sends the RST at once
            self.proxy.reset_sockets.discard(request)
            self.close_request(request)
            return
        super().shutdown_request(request)

    def process_request(self, request, client_address) -> None:  # type: ignore[override]
        if not self._slots.acquire(timeout=30):
            self.shutdown_request(request)
            return
        self.proxy._track(request)
        thread = threading.Thread(
            target=self._run, args=(request, client_address), name="fault-proxy-conn", daemon=True
        )
        self.proxy._threads.append(thread)
        thread.start()

    def handle_error(self, request, client_address) -> None:  # type: ignore[override]
        # A client closing its end (the engine does on purpose) is not an error of the harness.
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)

    def _run(self, request, client_address) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            self.proxy._untrack(request)
            self._slots.release()


class FaultProxy:
    """See the module docstring."""

    def __init__(self, upstream: str, *, max_connections: int = 128, host_name: str = "127.0.0.1") -> None:
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self.host_name = host_name
        #: Accounts accepted by the token endpoint (user name -> password).
        self.accounts: dict[str, str] = {"alice": "wonderland"}
        self._max_connections = max_connections
        self._lock = threading.Lock()
        self._state = _State()
        self.reset_sockets: set[socket.socket] = set()  # closed with an RST (cut_with_reset)
        self._tokens: dict[str, _Token] = {}
        self._refresh_tokens: set[str] = set()
        self._connections: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._server: Optional[_Server] = None
        self._serve_thread: Optional[threading.Thread] = None

    # -- life cycle ---------------------------------------------------------------------------------
    def start(self) -> FaultProxy:
        self._server = _Server(self, self._max_connections)
        self._serve_thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="fault-proxy", daemon=True
        )
        self._serve_thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._state.stall.set()
        self._server.shutdown()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in list(self._threads):
            thread.join(timeout=10)
        self._server.server_close()
        if self._serve_thread is not None:
            self._serve_thread.join(timeout=10)
        self._server = None

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "proxy not started"
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://{self.host_name}:{self.port}"

    def url(self, name: str = "") -> str:
        return f"{self.base_url}/{name.lstrip('/')}"

    @property
    def token_url(self) -> str:
        return self.base_url + TOKEN_PATH

    # -- faults and counters ----------------------------------------------------------------------------
    def configure(self, **faults: object) -> None:
        """Replace all faults by ``faults`` (others off) and reset the counters and stall."""
        names = {f.name for f in fields(Faults)}
        unknown = set(faults) - names
        if unknown:
            raise TypeError(f"unknown faults: {sorted(unknown)}")
        with self._lock:
            self._state.stall.set()  # a stalled answer of the previous test ends now
            self._state = _State(faults=Faults(**faults))  # type: ignore[arg-type]
            self._tokens.clear()
            self._refresh_tokens.clear()

    def reset(self) -> None:
        """No faults, zero counters."""
        self.configure()

    def release_stall(self) -> None:
        self._state.stall.set()

    @property
    def faults(self) -> Faults:
        return self._state.faults

    @property
    def requests(self) -> int:
        return len(self._state.log)

    @property
    def bytes_sent(self) -> int:
        return self._state.bytes_sent

    @property
    def log(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._state.log)

    @property
    def token_grants(self) -> list[str]:
        with self._lock:
            return list(self._state.token_grants)

    def issue_token(self) -> str:
        """A fresh valid access token (as the token endpoint would give)."""
        token = secrets.token_urlsafe(16)
        with self._lock:
            self._tokens[token] = _Token(time.monotonic())
        return token

    # -- used by the handler ----------------------------------------------------------------------------
    def _track(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.add(conn)
            self._threads = [t for t in self._threads if t.is_alive()]

    def _untrack(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.discard(conn)

    def _record(self, record: RequestRecord) -> None:
        with self._lock:
            record.state = self._state
            self._state.log.append(record)

    def _count(self, record: RequestRecord, count: int) -> None:
        # Counted in the state the request began in: a late write of a previous test is not counted.
        with self._lock:
            record.bytes_sent += count
            if record.state is not None:
                record.state.bytes_sent += count

    def _take(self, name: str) -> bool:
        """Consume one occurrence of a counted fault (``status_429``...)."""
        with self._lock:
            faults = self._state.faults
            left = getattr(faults, name)
            if left and left > 0:
                setattr(faults, name, left - 1)
                return True
            return False

    def _take_optional(self, name: str) -> bool:
        """Consume one of ``name`` when it is a count, always True when it is None (unbounded)."""
        with self._lock:
            faults = self._state.faults
            left = getattr(faults, name)
            if left is None:
                return True
            if left > 0:
                setattr(faults, name, left - 1)
                return True
            return False

    def _token_valid(self, header: Optional[str]) -> bool:
        if not header or not header.startswith("Bearer "):
            return False
        faults = self._state.faults
        with self._lock:
            token = self._tokens.get(header[7:].strip())
            if token is None:
                return False
            token.uses += 1
            if faults.token_life_requests is not None and token.uses > faults.token_life_requests:
                return False
            if faults.token_life_seconds is not None:
                if time.monotonic() - token.issued > faults.token_life_seconds:
                    return False
            return True

    def _grant(self, form: dict[str, str]) -> tuple[int, dict]:
        grant = form.get("grant_type", "")
        with self._lock:
            self._state.token_grants.append(grant)
        if grant == "password":
            if self.accounts.get(form.get("username", "")) != form.get("password"):
                return 401, {"error": "invalid_grant", "error_description": "Invalid user credentials"}
        elif grant == "refresh_token":
            with self._lock:
                if form.get("refresh_token") not in self._refresh_tokens:
                    return 400, {"error": "invalid_grant", "error_description": "Token is not active"}
        else:
            return 400, {"error": "unsupported_grant_type"}
        access = self.issue_token()
        refresh = secrets.token_urlsafe(16)
        with self._lock:
            self._refresh_tokens.add(refresh)
        body = {
            "access_token": access,
            "expires_in": self._state.faults.token_expires_in,
            "refresh_token": refresh,
            "refresh_expires_in": 3600,
            "token_type": "Bearer",
        }
        return 200, body


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 5  # idle keep-alive connections end soon; every socket wait is bounded
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        return None

    def do_GET(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        proxy = self.server.proxy
        headers = {k.lower(): v for k, v in self.headers.items()}
        record = RequestRecord(self.command, self.path, headers)
        proxy._record(record)
        length = int(headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        faults = proxy.faults

        if self.path.split("?")[0] == TOKEN_PATH and self.command == "POST":
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            status, answer = proxy._grant(form)
            return self._reply(record, status, json.dumps(answer).encode(), "application/json")
        if proxy._take("status_429"):
            return self._reply(record, 429, b"slow down\n", retry_after=faults.retry_after)
        if proxy._take("status_503"):
            return self._reply(record, 503, b"busy\n", retry_after=None)
        if faults.require_bearer and not proxy._token_valid(headers.get("authorization")):
            return self._reply(
                record, faults.token_refusal_status, b'{"error":"invalid_token"}', "application/json",
                extra={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )  # fmt: skip
        if faults.redirect_to:
            return self._reply(record, 302, b"", extra={"Location": faults.redirect_to + self.path})
        self._forward(record, headers, body)

    def _reply(
        self,
        record: RequestRecord,
        status: int,
        body: bytes,
        content_type: str = "text/plain",
        *,
        retry_after: Optional[str] = None,
        extra: Optional[dict[str, str]] = None,
    ) -> None:
        record.status = status
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if retry_after is not None:
            self.send_header("Retry-After", retry_after)
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD" and body:
            self._send_counted(record, body)

    def _send_counted(self, record: RequestRecord, data: bytes) -> None:
        """Write ``data``, counting it *before* the write so a client that has the bytes always finds
        them counted; a failed write is taken back."""
        proxy = self.server.proxy
        proxy._count(record, len(data))
        try:
            self.wfile.write(data)
        except OSError:
            proxy._count(record, -len(data))
            raise

    def _forward(self, record: RequestRecord, headers: dict[str, str], body: bytes) -> None:
        proxy = self.server.proxy
        faults = proxy.faults
        upstream_headers = {k: v for k, v in headers.items() if k not in _HOP_BY_HOP and k != "host"}
        if faults.ignore_range:
            upstream_headers.pop("range", None)
            upstream_headers.pop("if-range", None)
        if faults.drop_if_range:
            upstream_headers.pop("if-range", None)
        conn = http.client.HTTPConnection(proxy.upstream_host, proxy.upstream_port, timeout=30)
        try:
            conn.request(self.command, self.path, body=body or None, headers=upstream_headers)
            upstream = conn.getresponse()
            record.status = upstream.status
            self.send_response(upstream.status)
            announced = upstream.getheader("Content-Length")
            for key, value in upstream.getheaders():
                if key.lower() not in _HOP_BY_HOP:
                    self.send_header(key, value)
            if announced is None:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            if self.command == "HEAD":
                return
            self._stream(record, upstream, self._limit(record, upstream), self._start_offset(upstream))
        except (ConnectionError, socket.timeout, OSError):
            self.close_connection = True
        finally:
            conn.close()

    def _limit(self, record: RequestRecord, upstream: http.client.HTTPResponse) -> Optional[int]:
        """How many body bytes this response may carry before the proxy closes (None: all)."""
        faults = self.server.proxy.faults
        limits = []
        if faults.cut_after is not None and self.server.proxy._take_optional("cut_times"):
            limits.append(faults.cut_after)
        rng = record.headers.get("range")
        if faults.short_ranges is not None and upstream.status == 206 and rng and _BOUNDED_RANGE.match(rng):
            limits.append(faults.short_ranges)
        return min(limits) if limits else None

    @staticmethod
    def _start_offset(upstream: http.client.HTTPResponse) -> int:
        content_range = upstream.getheader("Content-Range") or ""
        match = re.match(r"bytes (\d+)-", content_range)
        return int(match.group(1)) if match else 0

    def _stream(
        self, record: RequestRecord, upstream: http.client.HTTPResponse, limit: Optional[int], offset: int
    ) -> None:
        proxy = self.server.proxy
        faults = proxy.faults
        sent = 0
        stalled = False
        flip = faults.flip_offset
        while True:
            want = _CHUNK
            if limit is not None:
                want = min(want, limit - sent)
            if faults.stall_after is not None and not stalled:
                want = min(want, faults.stall_after - sent) if faults.stall_after > sent else 0
                if want == 0:
                    stalled = True
                    assert record.state is not None
                    record.state.stall.wait(faults.stall_timeout)
                    record.cut = True
                    self.close_connection = True
                    return
            if want <= 0:
                record.cut = True
                self.close_connection = True
                if faults.cut_with_reset:  # RST instead of FIN: the client's read fails
                    _wait_delivered(self.connection)
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.server.proxy.reset_sockets.add(self.connection)
                return
            chunk = upstream.read(want)
            if not chunk:
                return
            if (
                flip is not None
                and offset <= flip < offset + len(chunk)
                and proxy._take_optional("flip_times")
            ):
                data = bytearray(chunk)
                data[flip - offset] ^= 0xFF
                chunk = bytes(data)
            self._send_counted(record, chunk)
            sent += len(chunk)
            offset += len(chunk)
