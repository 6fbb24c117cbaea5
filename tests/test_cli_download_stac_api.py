"""Acceptance 1 on a real STAC API: ``scene-picker search`` against stac-fastapi-pgstac holding the
demo's synthetic items (assets served by the demo's range server), then ``download`` of two bands by
partial extraction, with the result table."""

from __future__ import annotations

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
