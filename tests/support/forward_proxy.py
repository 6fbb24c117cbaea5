"""A plain HTTP forward proxy on loopback, relaying to loopback hosts only, that records every request
it relays (method, absolute URL, Proxy-Authorization): proves that a client's requests go through the
proxy it was configured with."""

from __future__ import annotations

import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class _Relay(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def _relay(self) -> None:
        self.server.seen.append((self.command, self.path, self.headers.get("Proxy-Authorization")))
        target = urlsplit(self.path)
        if not (target.hostname == "localhost" or (target.hostname or "").startswith("127.")):
            self.send_error(403, "loopback only")
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
        try:
            path = target.path + (f"?{target.query}" if target.query else "")
            skip = ("proxy-authorization", "host", "proxy-connection", "connection")
            headers = {k: v for k, v in self.headers.items() if k.lower() not in skip}
            upstream.request(self.command, path, body=body, headers=headers)
            answer = upstream.getresponse()
            data = answer.read()
        finally:
            upstream.close()
        self.send_response(answer.status)
        for key, value in answer.getheaders():
            if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = _relay  # noqa: N815 - http.server API

    def log_message(self, *_args) -> None:
        pass


class ForwardProxy:
    """``with ForwardProxy() as proxy:`` … ``proxy.url``, ``proxy.seen`` (method, URL, auth header)."""

    def __init__(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Relay)
        self.server.seen = []
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def seen(self) -> list[tuple[str, str, str | None]]:
        return self.server.seen

    def __enter__(self) -> ForwardProxy:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)
