"""The test harness itself: nginx's real Range answers and each fault of the proxy, seen from a raw
``http.client`` connection (so the engine's own code cannot hide a harness bug)."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit


def raw_get(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", parts.path, headers=headers or {})
        response = conn.getresponse()
        body = b""
        while True:  # bounded by the server closing or the announced length
            try:
                chunk = response.read(65536)
            except http.client.IncompleteRead as exc:
                body += exc.partial
                break
            if not chunk:
                break
            body += chunk
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        conn.close()


def test_nginx_ranges(nginx, sample_files):
    data = sample_files["small.bin"]
    status, headers, body = raw_get(nginx.url("small.bin"), {"Range": "bytes=5-9"})
    assert (status, body, headers["content-range"]) == (206, data[5:10], f"bytes 5-9/{len(data)}")
    status, _, body = raw_get(nginx.url("small.bin"), {"Range": "bytes=99990-"})
    assert (status, body) == (206, data[99990:])
    status, _, _ = raw_get(nginx.url("small.bin"), {"Range": f"bytes={len(data)}-"})
    assert status == 416
    status, headers, body = raw_get(nginx.url("small.bin"), {"Range": "bytes=0-", "If-Range": '"stale"'})
    assert status == 200 and body == data and "etag" in headers


def test_proxy_passes_through_and_counts(proxy, sample_files):
    status, _, body = raw_get(proxy.url("small.bin"), {"Range": "bytes=0-99"})
    assert status == 206 and body == sample_files["small.bin"][:100]
    assert proxy.requests == 1 and proxy.bytes_sent == 100
    assert proxy.log[0].range == "bytes=0-99"


def test_cut_after_first_response_only(proxy, sample_files):
    proxy.configure(cut_after=1000, cut_times=1)
    assert raw_get(proxy.url("small.bin"))[2] == sample_files["small.bin"][:1000]
    assert raw_get(proxy.url("small.bin"))[2] == sample_files["small.bin"]
    assert proxy.log[0].cut and not proxy.log[1].cut


def test_short_bounded_ranges_but_full_open_ended(proxy, sample_files):
    data = sample_files["small.bin"]
    proxy.configure(short_ranges=50)
    status, headers, body = raw_get(proxy.url("small.bin"), {"Range": "bytes=100-299"})
    assert status == 206 and headers["content-length"] == "200" and body == data[100:150]
    assert raw_get(proxy.url("small.bin"), {"Range": "bytes=100-"})[2] == data[100:]


def test_ignore_range(proxy, sample_files):
    proxy.configure(ignore_range=True)
    status, _, body = raw_get(proxy.url("small.bin"), {"Range": "bytes=100-199"})
    assert status == 200 and body == sample_files["small.bin"]


def test_flip_byte_at_absolute_offset_once(proxy, sample_files):
    data = sample_files["small.bin"]
    proxy.configure(flip_offset=150)
    body = raw_get(proxy.url("small.bin"), {"Range": "bytes=100-199"})[2]
    assert body[50] == data[150] ^ 0xFF and body[:50] == data[100:150] and body[51:] == data[151:200]
    assert raw_get(proxy.url("small.bin"))[2] == data


def test_429_and_503_counts(proxy):
    proxy.configure(status_429=1, status_503=1, retry_after="3")
    status, headers, _ = raw_get(proxy.url("small.bin"))
    assert status == 429 and headers["retry-after"] == "3"
    assert raw_get(proxy.url("small.bin"))[0] == 503
    assert raw_get(proxy.url("small.bin"))[0] == 200


def test_token_life_in_requests(proxy):
    proxy.configure(require_bearer=True, token_life_requests=1)
    token = proxy.issue_token()
    assert raw_get(proxy.url("small.bin"))[0] == 401
    assert raw_get(proxy.url("small.bin"), {"Authorization": f"Bearer {token}"})[0] == 200
    assert raw_get(proxy.url("small.bin"), {"Authorization": f"Bearer {token}"})[0] == 401


def test_redirect(proxy, other_host_proxy):
    proxy.configure(redirect_to=other_host_proxy.base_url)
    status, headers, _ = raw_get(proxy.url("small.bin"))
    assert status == 302 and headers["location"] == other_host_proxy.url("small.bin")
    assert other_host_proxy.base_url.startswith("http://localhost:")
