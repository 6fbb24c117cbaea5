"""Static STAC catalogs (no API) on disk and over HTTP, searched like the API and checked by brute force."""

from __future__ import annotations

import functools
import hashlib
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from scene_picker.core.errors import ProviderError, ProviderResponseError, UsageError
from scene_picker.core.query import Query
from scene_picker.providers.registry import get_provider
from scene_picker.providers.stac_static import StaticStacProvider

from support.stac_items import DEFAULT_COLLECTIONS, brute_force, generate, write_static_catalog

SMALL = {
    name: (count // 4, cloudy, platform) for name, (count, cloudy, platform) in DEFAULT_COLLECTIONS.items()
}


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    collections, items = generate(SMALL)
    path = write_static_catalog(tmp_path_factory.mktemp("static"), collections, items)
    return path, items


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64  # the default backlog of 5 drops concurrent connects (1 s SYN retries)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - stdlib signature
        pass


@pytest.fixture(scope="module")
def served(catalog):
    path, items = catalog
    handler = functools.partial(_Quiet, directory=str(path.parent))
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/catalog.json", items
    server.shutdown()
    server.server_close()


QUERIES = [
    dict(),
    dict(bbox="-20,-30,60,40"),
    dict(aoi="POLYGON ((170 -60, -165 -60, -165 60, 170 60, 170 -60))"),
    dict(start="2023-06-01", end="2023-12-31", cloud_max=50),
    dict(collections="landsat-test", cloud_min=20),
]


@pytest.mark.parametrize("kwargs", QUERIES, ids=lambda k: ",".join(k) or "all")
def test_disk_catalog_search_matches_brute_force(catalog, kwargs):
    path, items = catalog
    query = Query.build(**kwargs)
    provider = get_provider("stac-static", url=str(path))
    got = [s.id for s in provider.search(query)]
    assert len(got) == len(set(got))
    expected = brute_force(items, query)
    assert expected and set(got) == expected


@pytest.mark.parametrize("kwargs", QUERIES[1:3], ids=["bbox", "antimeridian"])
def test_http_catalog_search_matches_brute_force(served, kwargs):
    url, items = served
    query = Query.build(**kwargs)
    got = {s.id for s in StaticStacProvider(url).search(query)}
    assert got == brute_force(items, query)


def test_max_results_and_get(served):
    url, items = served
    provider = StaticStacProvider(url)
    assert len(list(provider.search(Query.build(max_results=7)))) == 7
    scene = provider.get(items[-1]["id"])
    assert scene.collection == items[-1]["collection"]
    # relative asset hrefs resolve against the item's URL
    first = next(i for i in items if i["collection"] == "sentinel-2-test")
    href = provider.get(first["id"]).assets["B01"].href
    assert href == url.rsplit("/", 1)[0] + f"/sentinel-2-test/items/{first['id']}/B01.tif"
    with pytest.raises(ProviderError, match="no item"):
        provider.get("nope")


def test_disk_catalog_assets_download_verified(catalog, tmp_path):
    path, items = catalog
    provider = StaticStacProvider(path)
    item = next(i for i in items if i["collection"] == "sentinel-2-test")
    scene = provider.get(item["id"])
    assert scene.assets["B01"].href.startswith("file://")
    result = provider.downloader(scene).download(tmp_path)
    assert [p.name for p in result.files] == ["B01.tif"]
    data = result.files[0].read_bytes()
    assert "1220" + hashlib.sha256(data).hexdigest() == item["assets"]["B01"]["file:checksum"]


def test_broken_static_catalogs(tmp_path):
    with pytest.raises(UsageError, match="static catalog .*missing.json does not exist"):
        StaticStacProvider(str(tmp_path / "missing.json"))
    with pytest.raises(UsageError, match="NDJSON file .*missing.ndjson does not exist"):
        get_provider("stac-ndjson", url=str(tmp_path / "missing.ndjson"))
    empty = tmp_path / "empty items.ndjson"
    empty.write_text("\n")
    assert get_provider("stac-ndjson", url=str(empty)).label == "stac-ndjson:empty items.ndjson"
    bad = tmp_path / "catalog.json"
    bad.write_text('{"type": "Catalog", "links": [{"rel": "child", "href": "sub.json"}]}')
    (tmp_path / "sub.json").write_text("{truncated")
    with pytest.raises(ProviderResponseError, match="sub.json is not valid JSON"):
        list(StaticStacProvider(bad).search(Query.build()))
    (tmp_path / "sub.json").write_text('{"type": "Feature", "properties": {}}')
    with pytest.raises(ProviderResponseError, match="without an 'id'"):
        list(StaticStacProvider(bad).search(Query.build()))
    (tmp_path / "sub.json").write_text('["not", "a", "catalog"]')
    with pytest.raises(ProviderResponseError, match="not a JSON object"):
        list(StaticStacProvider(bad).search(Query.build()))


def test_search_command_reads_a_static_catalog(catalog, capsys):
    import json

    from scene_picker.cli.main import main

    path, items = catalog
    code = main(
        [
            "search",
            "--provider",
            "stac-static",
            "--url",
            str(path),
            "--bbox=-20,-30,60,40",
            "--cloud-max",
            "50",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    expected = brute_force(items, Query.build(bbox="-20,-30,60,40", cloud_max=50))
    assert {f["id"] for f in json.loads(out)["features"]} == expected and expected
    assert f"{len(expected)} scenes (stac-static:catalog.json)" in err
