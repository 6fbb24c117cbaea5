"""The demo's range-capable loopback server answers ranges, conditionals and errors like a file server."""

from __future__ import annotations

import http.client
import zipfile
from urllib.parse import urlsplit

import pytest

from scene_picker.demo.generate import generate
from scene_picker.demo.server import UNSATISFIABLE, RangeServer, parse_range

BODY = bytes(range(256)) * 40  # 10240 bytes


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("served")
    (root / "blob.bin").write_bytes(BODY)
    (root / "sub").mkdir()
    (root / "sub" / "a b.json").write_text('{"ok": true}')
    (root / "empty.bin").write_bytes(b"")
    with RangeServer(root) as server:
        yield server


def request(server, method, path, headers=None):
    parts = urlsplit(server.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_listens_on_an_ephemeral_loopback_port(served):
    parts = urlsplit(served.url)
    assert parts.hostname == "127.0.0.1"
    assert parts.port not in (None, 0, 80, 8000, 8080)


def test_whole_file_and_head(served):
    status, headers, body = request(served, "GET", "/blob.bin")
    assert status == 200 and body == BODY
    assert headers["Accept-Ranges"] == "bytes" and headers["Content-Length"] == str(len(BODY))
    status, head_headers, head_body = request(served, "HEAD", "/blob.bin")
    assert status == 200 and head_body == b""
    assert head_headers["Content-Length"] == str(len(BODY))
    assert head_headers["ETag"] == headers["ETag"] and head_headers["Last-Modified"]


@pytest.mark.parametrize(
    "spec, first, last",
    [
        ("bytes=0-9", 0, 9),
        ("bytes=100-", 100, 10239),
        ("bytes=-300", 9940, 10239),
        ("bytes=10000-99999", 10000, 10239),
    ],
)
def test_single_ranges_are_partial_content(served, spec, first, last):
    status, headers, body = request(served, "GET", "/blob.bin", {"Range": spec})
    assert status == 206
    assert headers["Content-Range"] == f"bytes {first}-{last}/{len(BODY)}"
    assert body == BODY[first : last + 1]


@pytest.mark.parametrize("spec", ["bytes=10240-", "bytes=99999-100000", "bytes=-0"])
def test_unsatisfiable_range_is_416_with_the_size(served, spec):
    status, headers, body = request(served, "GET", "/blob.bin", {"Range": spec})
    assert status == 416 and body == b""
    assert headers["Content-Range"] == f"bytes */{len(BODY)}"


@pytest.mark.parametrize("spec", ["bytes=0-1,5-6", "items=0-3", "bytes=9-2"])
def test_ranges_it_does_not_serve_give_the_whole_file(served, spec):
    status, _headers, body = request(served, "GET", "/blob.bin", {"Range": spec})
    assert status == 200 and body == BODY


def test_if_range_with_a_stale_etag_gives_the_whole_file(served):
    _s, headers, _b = request(served, "HEAD", "/blob.bin")
    status, _h, body = request(
        served, "GET", "/blob.bin", {"Range": "bytes=0-3", "If-Range": headers["ETag"]}
    )
    assert status == 206 and body == BODY[:4]
    status, _h, body = request(served, "GET", "/blob.bin", {"Range": "bytes=0-3", "If-Range": '"stale"'})
    assert status == 200 and body == BODY


def test_conditional_get_is_304(served):
    _s, headers, _b = request(served, "HEAD", "/blob.bin")
    status, _h, body = request(served, "GET", "/blob.bin", {"If-None-Match": headers["ETag"]})
    assert status == 304 and body == b""
    status, _h, body = request(served, "GET", "/blob.bin", {"If-Modified-Since": headers["Last-Modified"]})
    assert status == 304 and body == b""


def test_quoted_names_missing_files_and_escapes(served):
    status, headers, body = request(served, "GET", "/sub/a%20b.json")
    assert status == 200 and body == b'{"ok": true}' and headers["Content-Type"] == "application/json"
    assert request(served, "GET", "/nope.bin")[0] == 404
    assert request(served, "GET", "/sub/../../etc/passwd")[0] == 404
    assert request(served, "GET", "/sub/")[0] == 404
    assert request(served, "GET", "/empty.bin")[:1] == (200,)
    assert request(served, "GET", "/empty.bin", {"Range": "bytes=-5"})[0] == 416


def test_the_log_counts_body_bytes_actually_sent(served):
    served.log.clear()
    request(served, "GET", "/blob.bin", {"Range": "bytes=0-99"})
    request(served, "HEAD", "/blob.bin")
    request(served, "GET", "/blob.bin", {"Range": "bytes=-28"})
    assert served.log.bytes_sent("/blob.bin") == 128
    assert [e.status for e in served.log.entries()] == [206, 200, 206]


def test_parse_range_edge_cases():
    assert parse_range("bytes=0-0", 1) == (0, 0)
    assert parse_range("bytes=-5", 3) == (0, 2)
    assert parse_range("bytes=3-", 3) == UNSATISFIABLE
    assert parse_range("bytes=-", 3) is None


def test_generated_catalog_is_deterministic_and_its_archives_are_valid(tmp_path):
    first = generate(tmp_path / "a")
    second = generate(tmp_path / "b")
    assert len(first.items) == 6
    assert [i.archive_path.read_bytes() for i in first.items] == [
        i.archive_path.read_bytes() for i in second.items
    ]
    again = generate(tmp_path / "a")  # up to date: read back, not rewritten
    assert again.items == first.items
    for item in first.items:
        with zipfile.ZipFile(item.archive_path) as zf:
            assert zf.testzip() is None
            bands = [n for n in zf.namelist() if n.endswith("_20m.tif") and "_B" in n.rsplit("/", 1)[-1]]
            assert len(bands) == 13
    clouds = sorted(i.cloud_cover for i in first.items)
    assert clouds[0] == 0.0 and clouds[-1] > 80.0
