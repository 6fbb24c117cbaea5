"""The streaming reader of search result files (:mod:`scene_picker.cli.results_file`): the features it
yields are exactly what the standard library's ``json.load`` reads, whatever the read size (values,
strings, numbers and escapes cut across reads), for the three forms a result file may take."""

from __future__ import annotations

import json

import pytest

from scene_picker.cli import results_file
from scene_picker.cli.results_file import iter_features

FEATURES = [
    {
        "type": "Feature",
        "id": f"S2B_{index:04d}",
        "geometry": {"type": "Point", "coordinates": [2.123456789 + index, -43.5e-3 * index]},
        "properties": {
            "datetime": "2023-05-16T10:20:30Z",
            "eo:cloud_cover": 12.75 * index,
            "note": 'a "q" \\ é',
        },
        "assets": {"B04": {"href": f"http://127.0.0.1:9/{index}/B04.tif", "roles": ["data"]}},
    }
    for index in range(7)
]


def _documents() -> dict[str, object]:
    return {
        "collection": {
            "type": "FeatureCollection",
            "numberMatched": 1234567,  # a number before the features, cut across reads too
            "scene_picker:aoi": "POINT (1 2)",
            "features": FEATURES,
        },
        "features_first": {"features": FEATURES, "type": "FeatureCollection"},
        "list": FEATURES,
        "one": FEATURES[0],
        "empty": {"type": "FeatureCollection", "features": []},
    }


@pytest.mark.parametrize("read_size", [1, 3, 7, 64, 1 << 20])
@pytest.mark.parametrize("form", sorted(_documents()))
def test_features_are_what_json_load_reads(tmp_path, monkeypatch, read_size, form):
    document = _documents()[form]
    path = tmp_path / "results.geojson"
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setattr(results_file, "_READ", read_size)
    loaded = json.loads(path.read_text(encoding="utf-8"))
    expected = loaded if isinstance(loaded, list) else loaded.get("features", [loaded])
    assert list(iter_features(path)) == expected


@pytest.mark.parametrize(
    "text",
    ['{"type": "FeatureCollection", "features": [{"id": 1},', '{"type": "Polygon"}', "[1, 2", "{not json"],
)
def test_malformed_or_other_documents_are_value_errors(tmp_path, monkeypatch, text):
    path = tmp_path / "bad.geojson"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setattr(results_file, "_READ", 4)
    with pytest.raises(ValueError):
        list(iter_features(path))
