"""``scene-picker search`` + ``download`` + ``queue`` against a static STAC catalog served on loopback
(the demo's synthetic scenes and its range-capable server): files, result table, plan, resume after an
interruption, exit codes.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from scene_picker.cli.main import main
from scene_picker.core.credentials import delete_credentials
from scene_picker.demo.generate import generate
from scene_picker.demo.server import RangeServer

from conftest import PKG_PARENT
from support.pty_session import run_in_pty

BBOX = "--bbox=1.35,43.59,1.39,43.62"
BANDS = "*_B04_20m.tif,*_B08_20m.tif"


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    """A private copy of the demo catalog (tests remove and restore archives) and its server."""
    demo = generate(tmp_path_factory.mktemp("catalog") / "catalog")
    with RangeServer(demo.root) as server:
        yield demo, server, server.url_for(demo.catalog_relpath)


@pytest.fixture
def results_file(catalog, tmp_path, capsys):
    _demo, _server, url = catalog
    path = tmp_path / "scenes.geojson"
    code = main(
        ["search", "--provider", "stac-static", "--url", url, BBOX, "--cloud-max", "20", "--out", str(path)]
    )
    assert code == 0, capsys.readouterr().err
    capsys.readouterr()
    return path


def member_bytes(demo, scene_id: str, name: str) -> bytes:
    item = next(i for i in demo.items if i.id == scene_id)
    with zipfile.ZipFile(item.archive_path) as zf:
        (member,) = [n for n in zf.namelist() if n.endswith("/" + name)]
        return zf.read(member)


def test_search_then_download_members_writes_files_and_a_table(catalog, results_file, tmp_path, capsys):
    demo, server, _url = catalog
    scenes = json.loads(results_file.read_text())["features"]
    assert len(scenes) == 3
    out = tmp_path / "out"
    table = tmp_path / "table.csv"
    server.log.clear()
    code = main(
        [
            "download",
            str(results_file),
            "--members",
            BANDS,
            "--out",
            str(out),
            "-j",
            "2",
            "--table",
            str(table),
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    files = sorted(out.rglob("*.tif"))
    assert len(files) == 6
    for path in files:
        scene_id = path.relative_to(out).parts[0]
        assert path.read_bytes() == member_bytes(demo, scene_id, path.name)
        assert str(path) in captured.out
    assert captured.out.splitlines()[0].split() == ["STATUS", "FILES", "FETCHED", "SCENE"]
    assert captured.out.count("done ") == 3
    rows = list(csv.DictReader(table.open(encoding="utf-8")))
    assert sorted(Path(r["path"]).name for r in rows) == sorted(p.name for p in files)
    assert {r["status"] for r in rows} == {"done"}
    sent = server.log.bytes_sent(".zip")
    assert sent < sum(i.archive_size for i in demo.items if i.cloud_cover <= 20) / 3
    # the persisted queue says so too
    assert main(["queue", str(out), "--json"]) == 0
    jobs = json.loads(capsys.readouterr().out)["jobs"]
    assert [j["state"] for j in jobs] == ["done"] * 3


def test_download_by_id_with_chosen_assets(catalog, tmp_path, capsys):
    demo, _server, url = catalog
    item = demo.items[0]
    code = main(
        [
            "download",
            "--provider",
            "stac-static",
            "--url",
            url,
            "--id",
            item.id,
            "--assets",
            "thumbnail",
            "-o",
            str(tmp_path),
        ]
    )
    assert code == 0, capsys.readouterr().err
    (png,) = (tmp_path / item.id).glob("*.png")
    assert png.read_bytes() == (item.archive_path.parent / png.name).read_bytes()


def test_dry_run_prints_the_plan_and_writes_nothing(catalog, results_file, tmp_path, capsys):
    demo, _server, _url = catalog
    out = tmp_path / "out"
    assert (
        main(["download", str(results_file), "--members", "*_B04_20m.tif", "--out", str(out), "--dry-run"])
        == 0
    )
    text = capsys.readouterr().out
    assert text.count("_B04_20m.tif") == 3
    assert "Plan: 3 scenes" in text and "Nothing downloaded (--dry-run)" in text
    assert not out.exists()
    assert main(["download", str(results_file), "--dry-run", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    sizes = sum(i.archive_size for i in demo.items if i.cloud_cover <= 20)
    assert text.count("archive  ") == 3 and not out.exists()
    assert f"{sizes / 1024 / 1024:.1f} MiB to fetch" in text


@pytest.mark.parametrize(
    "argv, code, message",
    [
        (["download", "--provider", "no-such", "--id", "x"], 2, "Unknown provider 'no-such'"),
        (["download", "--id", "x"], 2, "needs --provider"),
        (["download"], 2, "Give a search result file"),
        (["download", "/no/such/file.geojson"], 2, "No such result file"),
        (
            [
                "search",
                "--provider",
                "stac-static",
                "--url",
                "http://127.0.0.1:9/c.json",
                "--aoi",
                "POLYGON ((0 0, 1 1",
            ],
            2,
            "not valid WKT",
        ),
        (["search", "--provider", "no-such", "--bbox=0,0,1,1"], 2, "Unknown provider 'no-such'"),
    ],
)
def test_bad_input_exits_non_zero_with_a_clear_message(argv, code, message, capsys):
    assert main(argv) == code
    err = capsys.readouterr().err
    assert err.startswith("scene-picker: error: ") and message in err


def test_missing_credentials_exit_code(catalog, results_file, tmp_path, capsys):
    _demo, server, _url = catalog
    name = "geodes"  # needs an account and takes a URL, so nothing can leave loopback
    delete_credentials(name)
    document = json.loads(results_file.read_text())
    for feature in document["features"]:
        feature["properties"]["provider"] = name
    foreign = tmp_path / "foreign.geojson"
    foreign.write_text(json.dumps(document))
    # --url keeps any request on loopback; none should be made without credentials.
    code = main(["download", str(foreign), "--url", server.url, "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 3
    assert f"scene-picker login {name}" in err


def test_failed_scene_is_reported_then_resumed_from_the_queue(catalog, results_file, tmp_path, capsys):
    demo, _server, _url = catalog
    out = tmp_path / "out"
    victim = next(i for i in demo.items if i.cloud_cover <= 20)
    hidden = victim.archive_path.with_suffix(".hidden")
    victim.archive_path.rename(hidden)
    try:
        code = main(["download", str(results_file), "--members", "*_B04_20m.tif", "--out", str(out)])
        captured = capsys.readouterr()
    finally:
        hidden.rename(victim.archive_path)
    assert code == 4, captured.err  # an HTTP 404 is a network error
    assert "1 of 3 scenes did not complete" in captured.err
    assert main(["queue", str(out)]) == 1
    status = capsys.readouterr().out
    assert "2 done" in status and "1 failed" in status and victim.id in status
    assert main(["download", "--resume", "--out", str(out)]) == 0
    assert capsys.readouterr().out.count("done ") == 1
    assert (out / victim.id).is_dir() and len(list(out.rglob("*_B04_20m.tif"))) == 3
    assert main(["queue", str(out), "--json"]) == 0
    assert {j["state"] for j in json.loads(capsys.readouterr().out)["jobs"]} == {"done"}


BIG = 5 * 1024 * 1024  # several of the engine's 1 MiB chunks, so an interruption lands mid-file


@pytest.fixture
def big_scene_file(catalog, tmp_path):
    """A result file with one scene whose single asset is a 5 MiB file on the server."""
    demo, server, _url = catalog
    payload = hashlib.sha256(b"seed").digest() * (BIG // 32)
    (demo.root / "data" / "big.bin").write_bytes(payload)
    feature = {
        "type": "Feature",
        "id": "BIG_SCENE",
        "geometry": None,
        "properties": {"provider": "stac-static", "datetime": "2024-06-03T10:56:21Z"},
        "assets": {
            "big": {
                "href": server.url_for("data/big.bin"),
                "roles": ["data"],
                "file:size": len(payload),
                "file:checksum": "1220" + hashlib.sha256(payload).hexdigest(),
            }
        },
    }
    path = tmp_path / "big.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    yield path, payload
    (demo.root / "data" / "big.bin").unlink()


def test_interrupted_download_exits_130_and_resumes_where_it_stopped(catalog, big_scene_file, tmp_path):
    _demo, server, _url = catalog
    results, payload = big_scene_file
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=str(PKG_PARENT))
    command = [sys.executable, "-m", "scene_picker", "download"]
    server.chunk_delay = 0.02  # about 3 MB/s
    try:
        process = subprocess.Popen(
            [*command, str(results), "--out", str(out)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(p.stat().st_size > 0 for p in out.rglob("*.part")):
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        _stdout, stderr = process.communicate(timeout=60)
    finally:
        server.chunk_delay = 0.0
    assert process.returncode == 130, stderr
    assert "resume with: scene-picker download --resume" in stderr
    (part,) = out.rglob("*.part")
    kept = part.stat().st_size
    assert 0 < kept < len(payload) and not (out / "BIG_SCENE" / "big.bin").exists()
    assert part.read_bytes() == payload[:kept]
    deadline = time.monotonic() + 30  # the server logs the cut request once its handler gives up
    while time.monotonic() < deadline and not any(e.path.endswith("big.bin") for e in server.log.entries()):
        time.sleep(0.05)
    server.log.clear()
    result = subprocess.run(
        [*command, "--resume", "--out", str(out)], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert (out / "BIG_SCENE" / "big.bin").read_bytes() == payload
    assert server.log.bytes_sent("big.bin") == len(payload) - kept  # only the missing bytes
    assert "done" in result.stdout and "BIG_SCENE" in result.stdout


def test_progress_is_a_bar_on_a_terminal_and_plain_lines_in_a_pipe(catalog, big_scene_file, tmp_path):
    _demo, server, _url = catalog
    results, _payload = big_scene_file
    env = dict(os.environ, PYTHONPATH=str(PKG_PARENT))
    command = [sys.executable, "-m", "scene_picker", "download", str(results)]
    server.chunk_delay = 0.005  # slow enough for several progress events
    try:
        piped = subprocess.run(
            [*command, "--out", str(tmp_path / "piped")], env=env, capture_output=True, text=True, timeout=120
        )
        status, text = run_in_pty([*command, "--out", str(tmp_path / "tty")], env, timeout=120)
    finally:
        server.chunk_delay = 0.0
    assert piped.returncode == 0, piped.stderr
    assert "\r" not in piped.stderr and "big.bin: 100% 5.0 MiB of 5.0 MiB" in piped.stderr
    assert status == 0, text
    assert "\r[" in text and "100% 5.0 MiB/5.0 MiB" in text
