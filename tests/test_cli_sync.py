"""``scene-picker sync`` against the real STAC API (stac-fastapi-pgstac, items loaded with pypgstac) with
the assets on a loopback server that logs every request: the first run downloads the matching scenes,
items added to the catalog between runs are the only ones the next run fetches, a rolling window moves
with the (injected) clock, and two sync processes on one folder do the work once."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
import threading
from pathlib import Path

import pytest
from shapely.geometry import box, mapping

from scene_picker.cli.download import queue_file
from scene_picker.cli.main import main
from scene_picker.core.queue import DownloadQueue

from support.fixtures_engine import cli_command, cli_env
from support.http_emulator import EmulatorHandler, EmulatorServer
from support.stac_items import collection, multihash_sha256
from support.stac_server import StacServer, StacServerError

pytestmark = pytest.mark.slow

T0 = dt.datetime(2025, 6, 30, tzinfo=dt.timezone.utc)
FIELD = (1.35, 43.59, 1.39, 43.62)
COLLECTIONS = ("s2-sync", "s2-roll", "s2-race", "s2-side")


def payload(path: str) -> bytes:
    return hashlib.sha256(path.encode()).digest() * 64 + path.encode()


class AssetServer:
    """Serves /a/<item>/<key>.tif (deterministic bytes); ``gate`` cleared holds every answer until set."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.gate.set()
        self.serving = threading.Event()
        owner = self

        class Handler(EmulatorHandler):
            def do_GET(self) -> None:  # noqa: N802
                path, _ = self.split()
                owner.serving.set()
                owner.gate.wait(120)
                if path.startswith("/a/"):
                    self.serve_bytes(payload(path), "image/tiff")
                else:
                    self.send_text(404, "not found")

        self.server = EmulatorServer(Handler, self).start()

    def fetched(self) -> list[str]:
        """Paths answered with a body (200/206), in order."""
        return [r.path for r in self.server.requests_matching(lambda r: r.status in (200, 206))]


def stac_item(collection_id: str, index: int, when: dt.datetime, cloud: float, files: AssetServer) -> dict:
    item_id = f"{collection_id}-{index:03d}"
    assets = {}
    for key in ("B04", "B08"):
        path = f"/a/{item_id}/{key}.tif"
        data = payload(path)
        assets[key] = {
            "href": files.server.base_url + path,
            "type": "image/tiff; application=geotiff",
            "roles": ["data"],
            "file:size": len(data),
            "file:checksum": multihash_sha256(data),
        }
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "stac_extensions": [],
        "id": item_id,
        "collection": collection_id,
        "geometry": mapping(box(1.3, 43.5, 1.5, 43.7)),
        "bbox": [1.3, 43.5, 1.5, 43.7],
        "properties": {"datetime": when.isoformat().replace("+00:00", "Z"), "eo:cloud_cover": cloud},
        "assets": assets,
        "links": [],
    }


@pytest.fixture(scope="module")
def world():
    files = AssetServer()
    api = StacServer(collections={})
    first = [stac_item("s2-sync", i, T0 - dt.timedelta(days=10 + i), 5.0 + i, files) for i in range(6)]
    first += [stac_item("s2-sync", 6 + i, T0 - dt.timedelta(days=3), 60.0, files) for i in range(2)]
    api.collections = [collection(name) for name in COLLECTIONS]
    api.items = first
    try:
        api.start()
    except StacServerError as exc:
        files.server.stop()
        pytest.fail(str(exc), pytrace=False)
    try:
        yield api, files
    finally:
        api.stop()
        files.server.stop()


def write_plan(path: Path, api: StacServer, collection_id: str, **dates) -> Path:
    lines = [
        "[[search]]",
        f'name = "{collection_id}"',
        'provider = "stac"',
        f'url = "{api.url}"',
        f'collections = ["{collection_id}"]',
        f"bbox = {list(FIELD)}",
        "cloud_max = 20",
        *(f"{key} = {json.dumps(value)}" for key, value in dates.items()),
        "[search.fetch]",
        'assets = ["B04"]',
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def fetched_items(files: AssetServer) -> list[str]:
    return sorted(path.split("/")[2] for path in files.fetched())


def expected(api: StacServer, collection_id: str, start: dt.datetime, end: dt.datetime) -> list[str]:
    """Brute force over the items loaded: collection, cloud ≤ 20, datetime in [start, end]."""
    out = []
    for item in api.items:
        when = dt.datetime.fromisoformat(item["properties"]["datetime"].replace("Z", "+00:00"))
        if item["collection"] == collection_id and item["properties"]["eo:cloud_cover"] <= 20:
            if start <= when <= end:
                out.append(item["id"])
    return sorted(out)


def new_lines(text: str) -> list[str]:
    return sorted(line.split()[2].split(":", 1)[1] for line in text.splitlines() if line.startswith("NEW"))


def test_first_run_downloads_then_only_the_items_added_since(world, tmp_path, capsys):
    api, files = world
    plan = write_plan(tmp_path / "plan.toml", api, "s2-sync", start="2025-01-01", end="2025-12-31")
    out = tmp_path / "out"
    files.server.clear_log()
    assert main(["sync", str(plan), "--out", str(out)]) == 0, capsys.readouterr().err
    first = expected(api, "s2-sync", T0 - dt.timedelta(days=365), T0 + dt.timedelta(days=365))
    assert len(first) == 6
    assert fetched_items(files) == first  # one B04 per scene, nothing else
    assert all(path.endswith("/B04.tif") for path in files.fetched())
    printed = capsys.readouterr().out
    assert new_lines(printed) == first and "6 new, 0 already complete" in printed
    for item_id in first:
        path = out / item_id / "B04.tif"
        assert path.read_bytes() == payload(f"/a/{item_id}/B04.tif")

    added = [stac_item("s2-sync", 20 + i, T0 - dt.timedelta(days=1, hours=i), 12.0, files) for i in range(3)]
    added.append(stac_item("s2-sync", 30, T0 - dt.timedelta(days=1), 90.0, files))  # too cloudy
    api.add_items(added)
    files.server.clear_log()
    assert main(["sync", str(plan), "--out", str(out)]) == 0, capsys.readouterr().err
    new = sorted(i["id"] for i in added[:3])
    assert fetched_items(files) == new
    printed = capsys.readouterr().out
    assert new_lines(printed) == new and "3 new, 6 already complete" in printed

    files.server.clear_log()  # a third run: nothing new, nothing fetched
    assert main(["sync", str(plan), "--out", str(out), "--dry-run"]) == 0
    assert "0 to fetch, 9 already complete" in capsys.readouterr().out
    assert main(["sync", str(plan), "--out", str(out)]) == 0
    assert files.fetched() == [] and "sync: 0 new scenes" in capsys.readouterr().out

    # a file removed from the folder is no longer complete: fetched again, and only it
    (out / first[0] / "B04.tif").unlink()
    assert main(["sync", str(plan), "--out", str(out)]) == 0
    assert fetched_items(files) == [first[0]]
    assert new_lines(capsys.readouterr().out) == [first[0]]

    # a queue that forgot its finished jobs (e.g. a 'download' run in the same folder dropped them): the
    # verified-file records still say the scenes are complete, nothing is fetched
    queue = DownloadQueue(queue_file(out))
    queue.remove_finished()
    assert queue.jobs() == []
    files.server.clear_log()
    assert main(["sync", str(plan), "--out", str(out)]) == 0
    assert files.fetched() == []
    printed = capsys.readouterr().out
    assert "0 new, 9 already complete" in printed and "sync: 0 new scenes" in printed


def test_a_rolling_window_moves_with_the_clock(world, tmp_path, capsys):
    api, files = world
    api.add_items(
        [stac_item("s2-roll", i, T0 + dt.timedelta(days=i - 45, hours=6), 3.0, files) for i in range(70)]
    )
    plan = write_plan(tmp_path / "roll.toml", api, "s2-roll", last="30 days")
    out = tmp_path / "out"
    files.server.clear_log()
    assert main(["sync", str(plan), "--out", str(out), "--now", T0.isoformat()]) == 0
    first = expected(api, "s2-roll", T0 - dt.timedelta(days=30), T0)
    assert len(first) == 30 and fetched_items(files) == first
    assert new_lines(capsys.readouterr().out) == first

    later = T0 + dt.timedelta(days=12)
    files.server.clear_log()
    assert main(["sync", str(plan), "--out", str(out), "--now", later.isoformat()]) == 0
    moved = sorted(set(expected(api, "s2-roll", later - dt.timedelta(days=30), later)) - set(first))
    assert len(moved) == 12 and fetched_items(files) == moved
    printed = capsys.readouterr().out
    assert new_lines(printed) == moved and "12 new, 18 already complete" in printed
    assert all((out / item_id / "B04.tif").is_file() for item_id in first)  # nothing deleted


def start_cli(*args: str) -> subprocess.Popen:
    """``scene-picker ARGS`` started in a subprocess (output captured), not waited for."""
    return subprocess.Popen(
        cli_command(*args), env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_two_sync_processes_on_one_folder_do_the_work_once(world, tmp_path):
    api, files = world
    api.add_items([stac_item("s2-race", i, T0 - dt.timedelta(days=i + 1), 1.0, files) for i in range(4)])
    plan = write_plan(tmp_path / "race.toml", api, "s2-race", last="30 days")
    out = tmp_path / "out"
    now = ("--now", T0.isoformat())
    files.server.clear_log()
    files.serving.clear()
    files.gate.clear()  # the first process's downloads hang until the gate opens
    try:
        first = start_cli("sync", str(plan), "--out", str(out), *now)
        assert files.serving.wait(60), first.communicate(timeout=60)
        busy = start_cli("sync", str(plan), "--out", str(out), *now)
        busy_out, busy_err = busy.communicate(timeout=120)
        waiting = start_cli("sync", str(plan), "--out", str(out), "--wait", *now)
    finally:
        files.gate.set()
    first_out, first_err = first.communicate(timeout=120)
    waiting_out, waiting_err = waiting.communicate(timeout=120)
    assert busy.returncode == 75, busy_err
    assert "already running scene-picker sync" in busy_err and f"(pid {first.pid})" in busy_err
    assert busy_out == ""
    assert first.returncode == 0, first_err
    assert waiting.returncode == 0, waiting_err
    ids = expected(api, "s2-race", T0 - dt.timedelta(days=30), T0)
    assert len(ids) == 4
    assert new_lines(first_out) == ids
    assert new_lines(waiting_out) == [] and "0 new, 4 already complete" in waiting_out
    assert fetched_items(files) == ids  # each asset fetched once, by one process
