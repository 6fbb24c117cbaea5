"""Quicklook fetches are bounded: a "quicklook" that is really a huge file (here a server that keeps
sending) is given up past the size limit instead of being pulled into memory; a real preview is cached.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from qgis.PyQt.QtCore import QBuffer, QByteArray, QIODevice
from qgis.PyQt.QtGui import QColor, QImage

from scene_picker.core.http import HttpClient
from scene_picker.core.scene import Scene
from scene_picker.ui.quicklook import MAX_BYTES, QuicklookCache

from support.ui_wait import wait_until

pytestmark = pytest.mark.qgis

ENDLESS_CAP = 8 * MAX_BYTES  # the server gives up after this much (a bound for the test itself)


def _png() -> bytes:
    image = QImage(40, 30, QImage.Format.Format_RGB32)
    image.fill(QColor("#36a"))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        if self.path == "/small.png":
            body = self.server.png
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        # no length announced, bytes keep coming
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Connection", "close")
        self.end_headers()
        block = b"\x89PNG" + bytes(64 * 1024 - 4)
        try:
            while self.server.sent < ENDLESS_CAP:
                self.wfile.write(block)
                self.server.sent += len(block)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *_args) -> None:
        pass


@pytest.fixture()
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.sent = 0
    httpd.png = _png()
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def test_an_endless_quicklook_is_given_up_past_the_limit_and_a_real_one_is_cached(server, tmp_path, qgis_app):
    httpd, base = server
    cache = QuicklookCache(cache_dir=tmp_path / "cache")
    failures: list[tuple[str, str]] = []
    ready: list[str] = []
    cache.failed.connect(lambda key, message: failures.append((key, message)))
    cache.ready.connect(lambda key, _image: ready.append(key))

    huge = Scene(provider="test", id="huge", quicklook=f"{base}/endless.png")
    assert cache.request("test/huge", huge, HttpClient)
    assert wait_until(lambda: failures, 30), "the fetch did not give up"
    assert failures == [("test/huge", "The quicklook is too large to preview.")]
    assert httpd.sent < ENDLESS_CAP  # stopped reading long before the server's own end
    assert cache.cached("test/huge") is None
    assert not list((tmp_path / "cache").rglob("*.*"))  # nothing cached, no partial file

    small = Scene(provider="test", id="small", quicklook=f"{base}/small.png")
    assert cache.request("test/small", small, HttpClient)
    assert wait_until(lambda: ready, 20)
    assert ready == ["test/small"] and cache.cached("test/small").width() == 40
    assert cache.cache_file(small.quicklook).read_bytes() == httpd.png
