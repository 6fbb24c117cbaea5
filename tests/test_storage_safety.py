"""Storage that never loses data (issue 16): two real processes at once, names that could clash,
secrets that must never reach a file or a log line, hostile catalogs and archives, damaged inputs."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from scene_picker.core.errors import ProviderError, UnsafeArchiveError
from scene_picker.core.http import HttpClient, RetryPolicy
from scene_picker.core.naming import scene_folder_name
from scene_picker.core.queue import DownloadQueue
from scene_picker.core.scene import ROLE_DATA, Asset, Scene
from scene_picker.core.transfer import download_file, part_path
from scene_picker.core.zipsafety import unsafe_name_reason
from scene_picker.providers.downloader import Downloader

from support import zipgen
from support.fixtures_engine import cli_command, cli_env, make_bytes, run_cli

MIB = 1 << 20


def _client() -> HttpClient:
    return HttpClient(retry=RetryPolicy(max_attempts=3, backoff_base=0.01, sleep=lambda s: None))


def _wait(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


def _spawn(*args: str, log: Path) -> subprocess.Popen:
    """``scene-picker ARGS`` in a subprocess; its stderr goes to ``log`` (readable while it runs)."""
    with open(log, "w") as handle:
        return subprocess.Popen(
            cli_command(*args),
            env=cli_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=handle,
        )


# -- two processes ------------------------------------------------------------------------------------
def test_two_fetch_processes_on_one_part_never_append_to_each_other(served_dir, proxy, tmp_path):
    data = make_bytes(6_000_000, seed=1601)
    (served_dir / "race.bin").write_bytes(data)
    proxy.configure(stall_after=2 * MIB, stall_timeout=60)  # the first writer holds the .part open
    dest = tmp_path / "race.bin"
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    first = _spawn("fetch", proxy.url("race.bin"), "--out", str(tmp_path), log=logs[0])
    _wait(lambda: part_path(dest).exists() and part_path(dest).stat().st_size >= MIB)
    second = _spawn("fetch", proxy.url("race.bin"), "--out", str(tmp_path), log=logs[1])
    try:
        # the second process sees the lock and waits, saying why; it never writes the .part meanwhile
        _wait(lambda: "already being downloaded by another process" in logs[1].read_text())
        held = part_path(dest).stat().st_size
        proxy.release_stall()
        first.wait(timeout=120)
        second.wait(timeout=120)
    finally:
        for process in (first, second):
            if process.poll() is None:
                process.kill()
                process.wait()
    errors = [log.read_text() for log in logs]
    assert first.returncode == 0 and second.returncode == 0, errors
    assert held <= 2 * MIB
    assert dest.read_bytes() == data
    assert not part_path(dest).exists()


def test_a_part_longer_than_announced_is_never_committed(served_dir, proxy, tmp_path):
    data = make_bytes(600_000, seed=1602)
    (served_dir / "long.bin").write_bytes(data)
    dest = tmp_path / "long.bin"
    # what two appending writers used to leave: more bytes than the server announces, with a record
    first = download_file(proxy.url("long.bin"), dest, http=_client())
    assert first.size == len(data)
    part_path(dest).parent.mkdir(parents=True, exist_ok=True)
    part_path(dest).write_bytes(data + data[:400_000])
    dest.unlink()
    proxy.configure()
    result = download_file(proxy.url("long.bin"), dest, http=_client())
    assert dest.read_bytes() == data and result.size == len(data)


def _results_file(path: Path, scenes: list[Scene]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [s.to_feature() for s in scenes]}))
    return path


def test_two_download_processes_share_one_output_folder(served_dir, proxy, tmp_path):
    scenes = []
    for index in range(12):
        name = f"share{index}.bin"
        (served_dir / name).write_bytes(make_bytes(300_000, seed=1700 + index))
        asset = Asset("data", proxy.url(name), roles=(ROLE_DATA,), size=300_000)
        scenes.append(Scene(provider="stac", id=f"SHARE_{index:02d}", assets={"data": asset}))
    first_half = _results_file(tmp_path / "a.geojson", scenes[:8])
    second_half = _results_file(tmp_path / "b.geojson", scenes[4:])
    out = tmp_path / "out"
    logs = [tmp_path / "one.log", tmp_path / "two.log"]
    one = _spawn("download", str(first_half), "--out", str(out), "-j", "3", log=logs[0])
    two = _spawn("download", str(second_half), "--out", str(out), "-j", "3", log=logs[1])
    for process in (one, two):
        process.wait(timeout=180)
    assert one.returncode == 0 and two.returncode == 0, [log.read_text() for log in logs]
    for index, scene in enumerate(scenes):
        assert (out / scene.id / f"share{index}.bin").read_bytes() == make_bytes(300_000, seed=1700 + index)
    # every file crossed the network once (the per-file lock and verified record; the exactly-once claim
    # of a job is shown by test_two_processes_claim_each_job_of_one_queue_exactly_once)
    assert proxy.bytes_sent == 12 * 300_000
    with sqlite3.connect(out / ".scene-picker" / "queue.sqlite") as db:
        rows = db.execute("SELECT state, result FROM jobs").fetchall()
    assert rows and {state for state, _ in rows} == {"done"}
    # (finished jobs of a process that has ended may be dropped by the other one's next enqueue)
    assert {json.loads(result)["folder"] for _, result in rows} <= {str(out / s.id) for s in scenes}


_OPEN_AT_ONCE = """
import pathlib, sys
from scene_picker.core.queue_store import QueueStore
print("ready", flush=True)
sys.stdin.read(1)  # the go: every opener is woken at once
QueueStore(pathlib.Path(sys.argv[1])).close()
"""


def test_processes_opening_a_new_queue_at_once_all_get_it(tmp_path):
    """Six processes open one fresh queue database at the same moment (the first switches it to WAL,
    which SQLite answers "database is locked" to the others without waiting): each opens it."""
    import sys

    from support.fixtures_engine import cli_env

    for round_ in range(30):
        queue = tmp_path / f"round{round_}" / "queue.sqlite"
        command = [sys.executable, "-c", _OPEN_AT_ONCE, str(queue)]
        pipes = dict(stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        openers = [subprocess.Popen(command, env=cli_env(), **pipes) for _ in range(6)]
        for opener in openers:
            assert opener.stdout.readline().strip() == "ready"
        for opener in openers:
            opener.stdin.write("x")
            opener.stdin.flush()
        errors = [p.communicate(timeout=60)[1] for p in openers]
        assert all(p.returncode == 0 for p in openers), [e for e in errors if e]


_CLAIMER = """
import os, sys, time
from pathlib import Path
from scene_picker.core.queue import DownloadQueue

def tick(job, cancel, progress):
    with open(sys.argv[2], "a", encoding="ascii") as log:  # one short O_APPEND write per run
        log.write(f"{job.payload['n']} {os.getpid()}\\n")
    time.sleep(0.005)

queue = DownloadQueue(Path(sys.argv[1]), workers=4, handlers={"tick": tick})
print("ready", flush=True)
sys.stdin.read(1)  # the go: both processes start claiming at once
queue.start()
queue.wait()
queue.close()
"""


def test_two_processes_claim_each_job_of_one_queue_exactly_once(tmp_path):
    """Two processes of four workers each work one queue: every job runs exactly once, in one of them
    (the download test above cannot show this: its per-file lock hides a job run twice)."""
    import sys

    database, log = tmp_path / "queue.sqlite", tmp_path / "runs.log"
    seeded = DownloadQueue(database, handlers={"tick": lambda job, cancel, progress: None})
    seeded.add_many("tick", (({"n": n}, f"T{n}", None) for n in range(400)))
    seeded.close()
    command = [sys.executable, "-c", _CLAIMER, str(database), str(log)]
    pipes = dict(stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    workers = [subprocess.Popen(command, env=cli_env(), **pipes) for _ in range(2)]
    for worker in workers:
        assert worker.stdout.readline().strip() == "ready"
    for worker in workers:
        worker.stdin.write("x")
        worker.stdin.flush()
    errors = [worker.communicate(timeout=120)[1] for worker in workers]
    assert all(worker.returncode == 0 for worker in workers), errors
    runs = [line.split() for line in log.read_text(encoding="ascii").splitlines()]
    assert sorted(int(n) for n, _ in runs) == list(range(400))  # none twice, none left out
    assert {pid for _, pid in runs} == {str(worker.pid) for worker in workers}  # both took part
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state").fetchall() == [("done", 400)]


_HOLDER = """
import sys
from pathlib import Path
from scene_picker.core.dirlock import folder_lock
with folder_lock(Path(sys.argv[1]), "sync"):
    print("held", flush=True)
    sys.stdin.read(1)
"""


def test_a_folder_lock_held_by_another_process_refuses_then_waits(tmp_path):
    """A bounded wait ends in BusyError naming the holder's pid; once the holder ends, the lock is free
    (also the file it leaves behind)."""
    import sys

    from scene_picker.core.dirlock import folder_lock
    from scene_picker.core.errors import BusyError

    pipes = dict(stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(tmp_path)], env=cli_env(), **pipes)
    try:
        assert holder.stdout.readline().strip() == "held", holder.stderr.read()
        for wait in (0.0, 0.3):
            with pytest.raises(BusyError, match=rf"\(pid {holder.pid}\) is already running sync"):
                with folder_lock(tmp_path, "sync", wait=wait):
                    pytest.fail("the lock was taken while another process held it")
    finally:
        holder.communicate("x", timeout=60)
    assert holder.returncode == 0
    with folder_lock(tmp_path, "sync", wait=0.0) as path:
        assert path.read_text(encoding="ascii") == str(os.getpid())


# -- names --------------------------------------------------------------------------------------------
def test_scene_folders_never_clash():
    long_a, long_b = "X" * 200 + "A", "X" * 200 + "B"
    names = {scene_folder_name(i, "stac") for i in ("a/b", "a:b", "a_b", long_a, long_b, "a_b-0123456789")}
    assert len(names) == 6
    assert scene_folder_name("S2A_MSIL2A_20240101", "stac") == "S2A_MSIL2A_20240101"  # safe ids unchanged
    assert all(len(n) <= 120 and "/" not in n and ":" not in n for n in names)


def test_scenes_with_clashing_ids_keep_their_own_files(served_dir, nginx, tmp_path):
    (served_dir / "one").mkdir(exist_ok=True)
    (served_dir / "two").mkdir(exist_ok=True)
    (served_dir / "one" / "band.tif").write_bytes(b"A" * 5000)
    (served_dir / "two" / "band.tif").write_bytes(b"B" * 5000)
    http = _client()
    found = []
    for scene_id, folder in (("a/b", "one"), ("a:b", "two")):
        asset = Asset("band", nginx.url(f"{folder}/band.tif"), roles=(ROLE_DATA,), size=5000)
        result = Downloader(Scene(provider="stac", id=scene_id, assets={"band": asset}), http).download(
            tmp_path
        )
        assert result.skipped == 0  # scene B never takes scene A's file for its own
        found.append(result.files[0])
    assert found[0] != found[1]
    assert found[0].read_bytes() == b"A" * 5000 and found[1].read_bytes() == b"B" * 5000


def test_assets_named_like_a_part_file_do_not_clash(served_dir, nginx, tmp_path):
    (served_dir / "x.bin").write_bytes(b"final" * 1000)
    (served_dir / "x.bin.part").write_bytes(b"other" * 700)
    assets = {
        "a": Asset("a", nginx.url("x.bin"), roles=(ROLE_DATA,), size=5000),
        "b": Asset("b", nginx.url("x.bin.part"), roles=(ROLE_DATA,), size=3500),
    }
    downloader = Downloader(Scene(provider="stac", id="PARTS", assets=assets), _client())
    downloader.download(tmp_path)
    again = downloader.download(tmp_path)  # the verified x.bin is not deleted as a stale .part
    assert (tmp_path / "PARTS" / "x.bin").read_bytes() == b"final" * 1000
    assert (tmp_path / "PARTS" / "x.bin.part").read_bytes() == b"other" * 700
    assert again.skipped == 2


def test_zip_members_named_like_a_part_file_keep_their_own_bytes(served_dir, proxy, tmp_path):
    entries = [zipgen.RawEntry("d/a.bin.part", b"P" * 70_000), zipgen.RawEntry("d/a.bin", b"F" * 50_000)]
    (served_dir / "parts.zip").write_bytes(zipgen.build_zip(entries))
    result = run_cli("extract", proxy.url("parts.zip"), "d/*", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "d" / "a.bin").read_bytes() == b"F" * 50_000
    assert (tmp_path / "d" / "a.bin.part").read_bytes() == b"P" * 70_000


@pytest.mark.parametrize(
    "name", [".", "./.", "./", ".//.", ".scene-picker/tmp/x.part", "d/.a.scene-picker.json"]
)
def test_member_names_resolving_to_the_folder_or_the_private_folder_are_refused(name):
    assert unsafe_name_reason(name) is not None


def test_an_archive_with_a_dot_member_is_refused_with_a_clear_error(served_dir, proxy, tmp_path):
    entries = [zipgen.RawEntry("./.", b"x" * 100), zipgen.RawEntry("ok.bin", b"y" * 100)]
    (served_dir / "dot.zip").write_bytes(zipgen.build_zip(entries))
    for flat in ([], ["--flat"]):
        result = run_cli("extract", proxy.url("dot.zip"), "*", "--out", str(tmp_path), *flat)
        assert result.returncode == UnsafeArchiveError.exit_code, result.stderr
        assert "names the extraction folder itself" in result.stderr and "Traceback" not in result.stderr
    assert not list(tmp_path.iterdir())


# -- hostile catalogs, resets, damaged files --------------------------------------------------------------
def test_a_remote_catalog_may_not_name_local_files(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the output folder")
    for href in (secret.as_uri(), str(secret), "ftp://127.0.0.1/x.bin"):
        asset = Asset("data", href, roles=(ROLE_DATA,))
        scene = Scene(
            provider="stac", id="REMOTE", assets={"data": asset}, source={"url": "http://127.0.0.1:9/stac"}
        )
        with pytest.raises(ProviderError, match="refused|not an http"):
            Downloader(scene, _client()).download(tmp_path / "out")
    assert not [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    # a local catalog still names its local files
    local = Scene(provider="stac-static", id="LOCAL", assets={"data": Asset("data", secret.as_uri())},
                  source={"url": str(tmp_path / "catalog.json")})  # fmt: skip
    result = Downloader(local, _client()).download(tmp_path / "out")
    assert result.files[0].read_text() == "not for the output folder"


def test_a_reset_every_900_kb_still_progresses(served_dir, proxy, tmp_path):
    data = make_bytes(5 * MIB, seed=1603)
    (served_dir / "resets.bin").write_bytes(data)
    proxy.configure(cut_after=900_000, cut_with_reset=True)  # every answer is reset after 900 kB
    result = download_file(proxy.url("resets.bin"), tmp_path / "resets.bin", http=_client())
    assert (tmp_path / "resets.bin").read_bytes() == data and result.bytes_fetched == len(data)
    # the bytes each answer brought were kept: the resumes start further and further on (an answer whose
    # bytes the reset destroyed in the kernel brings none; three of those in a row would fail it)
    starts = [int(r.range[len("bytes=") : -1]) if r.range else 0 for r in proxy.log]
    assert len(set(starts)) > 5 and starts == sorted(starts), starts


def test_a_result_file_with_a_malformed_geometry_is_a_one_line_error(tmp_path):
    feature = {"type": "Feature", "id": "BAD", "geometry": {"type": "Polygon", "coordinates": [[1, 2]]},
               "properties": {"provider": "stac"}, "assets": {}}  # fmt: skip
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    result = run_cli("download", str(bad), "--out", str(tmp_path / "out"))
    assert result.returncode == 5
    assert result.stderr.count("\n") == 1 and "feature 1 is not a scene" in result.stderr
    assert "malformed geometry" in result.stderr


def test_updates_touch_one_row_and_a_batch_is_one_transaction(tmp_path):
    queue = DownloadQueue(tmp_path / "q.sqlite", handlers={"scene": lambda job, cancel, progress: {}})
    statements: list[str] = []
    queue._store._db.set_trace_callback(statements.append)
    ids = queue.add_many("scene", (({"n": n}, f"S{n}", f"k{n}") for n in range(2000)))
    assert len(ids) == 2000 and sum(s.startswith("BEGIN") for s in statements) == 1
    before = queue._store._db.total_changes
    queue.cancel(ids[1234])
    assert queue._store._db.total_changes - before == 1
    assert queue.add_many("scene", [({"n": 5}, "S5", "k5")]) == [ids[5]]  # the same key: the same job
    queue.close()
