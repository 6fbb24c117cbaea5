"""Acceptance 1 on a real STAC API: ``scene-picker search`` against stac-fastapi-pgstac holding the
demo's synthetic items (assets served by the demo's range server), then ``download`` of two bands by
partial extraction, with the result table."""

from __future__ import annotations

import csv
import json
import zipfile

import pytest

from scene_picker.cli.main import main
from scene_picker.demo.generate import generate
from scene_picker.demo.server import RangeServer

from support.stac_server import StacServer, StacServerError

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def api_with_demo_items(tmp_path_factory):
    demo = generate(tmp_path_factory.mktemp("catalog") / "catalog")
    with RangeServer(demo.root) as files:
        collection = json.loads((demo.root / "demo-s2-l2a" / "collection.json").read_text())
        collection["links"] = []
        items = []
        for entry in demo.items:
            item = json.loads(entry.item_path.read_text())
            item["links"] = []
            for asset in item["assets"].values():
                asset["href"] = files.url_for("data/" + asset["href"].rsplit("/", 1)[-1])
            items.append(item)
        api = StacServer(collections={})
        api.collections, api.items = [collection], items
        try:
            api.start()
        except StacServerError as exc:
            pytest.fail(str(exc), pytrace=False)
        try:
            yield demo, files, api
        finally:
            api.stop()


def test_search_the_api_then_download_two_bands(api_with_demo_items, tmp_path, capsys):
    demo, files, api = api_with_demo_items
    found = tmp_path / "found.geojson"
    code = main(
        [
            "search",
            "--url",
            api.url,
            "--bbox=1.35,43.59,1.39,43.62",
            "--start",
            "2024-06-01",
            "--end",
            "2024-06-03",
            "--cloud-max",
            "10",
            "--out",
            str(found),
        ]
    )
    assert code == 0, capsys.readouterr().err
    capsys.readouterr()
    features = json.loads(found.read_text())["features"]
    expected = {i.id for i in demo.items if i.cloud_cover <= 10 and i.datetime.day == 3}
    assert {f["id"] for f in features} == expected and len(expected) == 2
    out = tmp_path / "bands"
    table = tmp_path / "table.json"
    files.log.clear()
    code = main(
        [
            "download",
            str(found),
            "--members",
            "*_B04_20m.tif,*_B08_20m.tif",
            "-o",
            str(out),
            "--table",
            str(table),
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    rows = json.loads(table.read_text())
    assert len(rows) == 4 and {r["status"] for r in rows} == {"done"}
    for row in rows:
        item = next(i for i in demo.items if i.id == row["scene_id"])
        with zipfile.ZipFile(item.archive_path) as zf:
            (member,) = [n for n in zf.namelist() if n.endswith("/" + row["path"].rsplit("/", 1)[-1])]
            assert open(row["path"], "rb").read() == zf.read(member)
        assert row["path"] in captured.out
    archives = sum(i.archive_size for i in demo.items if i.id in expected)
    assert files.log.bytes_sent(".zip") < archives / 3


def test_result_files_record_the_catalog_and_download_needs_no_url(api_with_demo_items, tmp_path, capsys):
    """search → GeoJSON/CSV export → ``download results.geojson`` without --url: the scenes say which
    provider (registry name) and which API they came from, and the download rebuilds that provider;
    --url still overrides the recorded catalog."""
    from scene_picker.cli.download import ProviderPool, read_result_file
    from scene_picker.core.scene import SOURCE_PROPERTY
    from scene_picker.providers.stac import StacProvider

    demo, _files, api = api_with_demo_items
    search = ["search", "--url", api.url, "--bbox=1.35,43.59,1.39,43.62", "--start", "2024-06-03"]
    found, table = tmp_path / "found.geojson", tmp_path / "found.csv"
    assert main([*search, "--end", "2024-06-03", "--out", str(found)]) == 0, capsys.readouterr().err
    assert main([*search, "--end", "2024-06-03", "--format", "csv", "--out", str(table)]) == 0
    capsys.readouterr()
    features = json.loads(found.read_text())["features"]
    assert features and {f["properties"]["provider"] for f in features} == {"stac"}
    assert {f["properties"][SOURCE_PROPERTY]["url"] for f in features} == {api.url}
    with table.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["id"] for r in rows} == {f["id"] for f in features}
    assert {(r["provider"], json.loads(r["source"])["url"]) for r in rows} == {("stac", api.url)}

    # the provider of each scene is rebuilt from its registry name and recorded URL (not a plain fetcher)
    scene = read_result_file(found)[0]
    provider = ProviderPool(None, None).get(scene.provider, scene.source)
    assert isinstance(provider, StacProvider) and provider.url == api.url
    assert ProviderPool(None, None).downloader(scene).provider == provider.label
    other = "http://127.0.0.1:9/other-stac"
    assert ProviderPool(None, other).get(scene.provider, scene.source).url == other  # --url overrides

    out = tmp_path / "dl"
    code = main(["download", str(found), "--members", "*_B04_20m.tif", "-o", str(out)])
    assert code == 0, capsys.readouterr().err
    bands = {path.relative_to(out).parts[0]: path for path in out.rglob("*_B04_20m.tif")}
    assert sorted(bands) == sorted(f["id"] for f in features)
    for scene_id, path in bands.items():
        item = next(i for i in demo.items if i.id == scene_id)
        with zipfile.ZipFile(item.archive_path) as zf:
            (member,) = [n for n in zf.namelist() if n.endswith("/" + path.name)]
            assert path.read_bytes() == zf.read(member)
