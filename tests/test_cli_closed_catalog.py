"""The command line on a closed catalog (the GEODES emulator): search, a download refused for want of an
API key (exit 3), ``login geodes`` (the key), then the download of two members of each archive and of a
whole verified archive, a wrong key, and a result file of the retired ``theia`` provider."""

from __future__ import annotations

import io
import json
import sys
import zipfile

import pytest

from scene_picker.cli.main import main
from scene_picker.core.credentials import delete_credentials, load_credentials

from support.geodes_emulator import GeodesEmulator, default_catalogue

KEY = "cli-geodes-key-42"
L2A = "THEIA_REFLECTANCE_SENTINEL2_L2A"


@pytest.fixture(scope="module")
def geodes():
    delete_credentials("geodes")
    with GeodesEmulator(default_catalogue({L2A: 6}), api_keys=(KEY,)) as emulator:
        yield emulator
    delete_credentials("geodes")


def login(monkeypatch, key: str, name: str = "geodes") -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(key + "\n"))
    return main(["login", name, "--password-stdin"])


def search(geodes, found, *extra: str) -> int:
    argv = ["search", "--provider", "geodes", "--url", geodes.root_url, "--bbox=0.0,43.0,1.0,44.5"]
    return main([*argv, "--cloud-max", "60", "--out", str(found), *extra])


def test_search_login_download(geodes, tmp_path, capsys, monkeypatch):
    found = tmp_path / "found.geojson"
    assert search(geodes, found, "--collections", L2A) == 0, capsys.readouterr().err
    capsys.readouterr()
    features = json.loads(found.read_text())["features"]
    ids = {f["id"] for f in features}
    expected = {p.identifier for p in geodes.products if p.cloud_cover <= 60 and p.bbox[0] < 1.0}
    assert ids == expected and ids
    assert {f["properties"]["provider"] for f in features} == {"geodes"}

    out = tmp_path / "out"
    argv = ["download", str(found), "--members", "*_FRE_B4.tif,*_FRE_B8.tif", "-o", str(out)]
    assert main(argv) == 3
    assert "scene-picker login geodes" in capsys.readouterr().err
    assert not list(out.rglob("*.tif"))

    assert login(monkeypatch, KEY) == 0
    assert "Stored the geodes api key" in capsys.readouterr().out
    assert main(argv) == 0, capsys.readouterr().err
    for product in (p for p in geodes.products if p.identifier in ids):
        with zipfile.ZipFile(io.BytesIO(product.archive)) as zf:
            for band in ("B4", "B8"):
                name = f"{product.identifier}/{product.identifier}_FRE_{band}.tif"
                assert (out / product.identifier / name).read_bytes() == zf.read(name)

    whole = tmp_path / "whole"
    first = sorted(ids)[0]
    assert main(["download", str(found), "--id", first, "-o", str(whole)]) == 0, capsys.readouterr().err
    product = next(p for p in geodes.products if p.identifier == first)
    assert (whole / first / f"{first}.zip").read_bytes() == product.archive


def test_a_refused_key_is_a_credentials_error(geodes, tmp_path, capsys, monkeypatch):
    assert login(monkeypatch, "wrong-key-0815") == 0  # stored as typed: checked when used
    product = geodes.products[0]
    argv = ["download", "--provider", "geodes", "--url", geodes.root_url, "--id", product.identifier]
    code = main([*argv, "--members", "*_MTD_ALL.xml", "-o", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 3, err
    assert "wrong-key-0815" not in err and "scene-picker login geodes" in err
    assert login(monkeypatch, KEY) == 0


def test_the_theia_name_logs_in_to_geodes_and_its_result_files_still_download(
    geodes, tmp_path, capsys, monkeypatch
):
    assert login(monkeypatch, KEY, name="theia") == 0
    assert load_credentials("geodes").secret == KEY
    product = geodes.products[2]
    old = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": product.identifier,
                "geometry": None,
                "properties": {"provider": "theia", "collection": "SENTINEL2", "theia_id": "0f0e"},
                "assets": {
                    "archive": {
                        "href": "https://theia.cnes.fr/atdistrib/resto2/collections/SENTINEL2/0f0e/download/",
                        "type": "application/zip",
                        "roles": ["data"],
                    }
                },
            }
        ],
    }
    path = tmp_path / "theia.geojson"
    path.write_text(json.dumps(old))
    out = tmp_path / "out"
    code = main(
        ["download", str(path), "--url", geodes.root_url, "--members", "*_MTD_ALL.xml", "-o", str(out)]
    )
    assert code == 0, capsys.readouterr().err
    assert [p.name for p in out.rglob("*.xml")] == [f"{product.identifier}_MTD_ALL.xml"]


def test_a_queue_entry_of_the_theia_provider_resumes_from_geodes(geodes, tmp_path, capsys, monkeypatch):
    from scene_picker.cli.download import SCENE_JOB, queue_file
    from scene_picker.core.queue import DownloadQueue

    assert login(monkeypatch, KEY) == 0
    product = geodes.products[3]
    out = tmp_path / "out"
    scene = {
        "type": "Feature",
        "id": product.identifier,
        "geometry": None,
        "properties": {"provider": "theia", "collection": "SENTINEL2", "theia_id": "1a2b"},
        "assets": {"archive": {"href": "https://theia.cnes.fr/atdistrib/x/download/", "roles": ["data"]}},
    }
    payload = {"key": "old", "provider": "theia", "url": geodes.root_url, "scene": scene, "assets": None}
    payload.update(members=["*_FRE_B2.tif"], out=str(out), overwrite=False)
    queue = DownloadQueue(queue_file(out), handlers={SCENE_JOB: lambda *a: {}})
    queue.add(SCENE_JOB, payload, label=product.identifier)
    queue.shutdown()
    assert main(["download", "--resume", "--out", str(out)]) == 0, capsys.readouterr().err
    assert [p.name for p in out.rglob("*.tif")] == [f"{product.identifier}_FRE_B2.tif"]


def test_search_by_tile(geodes, tmp_path, capsys):
    found = tmp_path / "tile.geojson"
    argv = ["search", "--provider", "geodes", "--url", geodes.root_url, "--bbox=0,43,3,45", "--tile", "31TDJ"]
    assert main([*argv, "--out", str(found)]) == 0, capsys.readouterr().err
    ids = {f["id"] for f in json.loads(found.read_text())["features"]}
    assert ids == {p.identifier for p in geodes.products if p.tile == "T31TDJ"} and ids
    assert geodes.search_bodies[-1]["query"]["grid:code"] == {"contains": "T31TDJ"}


def test_providers_lists_the_geodes_collections_shipped_and_live(geodes, capsys):
    assert main(["providers", "--collections", "geodes"]) == 0
    shipped = capsys.readouterr().out
    assert "THEIA_REFLECTANCE_SENTINEL2_L2A" in shipped and "PEPS_S1_L1" in shipped
    assert main(["providers", "--collections", "theia", "--refresh", "--url", geodes.root_url, "--json"]) == 0
    live = json.loads(capsys.readouterr().out)
    assert live == [{"id": "PEPS_S1_L1", "title": "PEPS Sentinel-1 Level1", "platforms": ["sentinel-1"]}]
    assert main(["providers", "--collections", "cmr"]) == 2
    assert "no collection list" in capsys.readouterr().err
