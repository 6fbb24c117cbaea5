"""The persisted download queue with real downloads from nginx through the fault proxy."""

from __future__ import annotations

import hashlib
import json
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from scene_picker.core.checksums import Checksum
from scene_picker.core.errors import UsageError
from scene_picker.core.http import HttpClient, RetryPolicy
from scene_picker.core.queue import ACTIVE, CANCELLED, DONE, FAILED, QUEUED, DownloadQueue, QueueCorruptError
from scene_picker.core.transfer import part_path

from support.fixtures_engine import cli_env, make_bytes, sha256

MIB = 1 << 20


def http_client() -> HttpClient:
    return HttpClient(retry=RetryPolicy(max_attempts=2, backoff_base=0.01, sleep=lambda s: None))


def saved(database) -> dict[str, dict]:
    """The jobs as stored on disk (read with a separate connection, as another process would)."""
    with sqlite3.connect(database) as db:
        db.row_factory = sqlite3.Row
        return {row["id"]: dict(row) for row in db.execute("SELECT * FROM jobs")}


def wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("condition not reached in time")


def test_jobs_run_to_done_or_failed_and_are_persisted(proxy, sample_files, tmp_path):
    state_file = tmp_path / "out" / ".scene-picker" / "queue.sqlite"
    events = []
    queue = DownloadQueue(state_file, workers=2, http=http_client(), on_change=events.append)
    good = queue.add_url(
        proxy.url("medium.bin"),
        tmp_path / "out" / "medium.bin",
        checksum=Checksum("sha256", sha256(sample_files["medium.bin"])),
    )
    small = queue.add_url(proxy.url("small.bin"), tmp_path / "out" / "small.bin")
    missing = queue.add_url(proxy.url("absent.bin"), tmp_path / "out" / "absent.bin")
    assert saved(state_file)[good.id]["state"] == QUEUED
    with queue:
        assert queue.wait(timeout=60)
    assert queue.get(good.id).state == DONE
    assert queue.get(small.id).state == DONE
    failed = queue.get(missing.id)
    assert failed.state == FAILED and "404" in failed.error
    rows = saved(state_file)
    assert rows[good.id]["state"] == DONE and rows[missing.id]["state"] == FAILED
    assert json.loads(rows[good.id]["result"])["size"] == len(sample_files["medium.bin"])
    assert hashlib.sha256((tmp_path / "out" / "medium.bin").read_bytes()).hexdigest() == sha256(
        sample_files["medium.bin"]
    )
    assert {e.state for e in events if e.id == good.id} >= {QUEUED, ACTIVE, DONE}


def test_workers_bound_concurrent_jobs(served_dir, proxy, tmp_path):
    for index in range(4):
        (served_dir / f"q{index}.bin").write_bytes(make_bytes(2 * MIB, seed=200 + index))
    proxy.configure(stall_after=MIB, stall_timeout=30)
    queue = DownloadQueue(tmp_path / "queue.json", workers=2, http=http_client())
    jobs = [queue.add_url(proxy.url(f"q{i}.bin"), tmp_path / f"q{i}.bin") for i in range(4)]
    queue.start()
    try:
        wait_for(lambda: queue.counts()[ACTIVE] == 2 and proxy.requests == 2)
        time.sleep(0.2)  # give a third worker (which must not exist) a chance to start a request
        assert proxy.requests == 2 and queue.counts()[QUEUED] == 2
        proxy.configure()  # release the stalled answers: the jobs resume and finish
        assert queue.wait(timeout=60)
    finally:
        queue.shutdown(cancel_active=True)
    assert all(queue.get(j.id).state == DONE for j in jobs)


def test_cancel_queued_and_active(served_dir, proxy, tmp_path):
    (served_dir / "slow.bin").write_bytes(make_bytes(3 * MIB, seed=300))
    proxy.configure(stall_after=MIB, stall_timeout=30)
    queue = DownloadQueue(tmp_path / "queue.json", workers=1, http=http_client())
    active = queue.add_url(proxy.url("slow.bin"), tmp_path / "slow.bin")
    waiting = queue.add_url(proxy.url("small.bin"), tmp_path / "small.bin")
    queue.start()
    try:
        wait_for(lambda: part_path(tmp_path / "slow.bin").exists() and queue.get(active.id).state == ACTIVE)
        queue.cancel(waiting.id)
        assert queue.get(waiting.id).state == CANCELLED
        queue.cancel(active.id)
        release = threading.Timer(0.3, proxy.release_stall)  # the token is checked between chunks
        release.start()
        assert queue.wait(timeout=30)
    finally:
        queue.shutdown()
    release.join()  # not left to fire during the next test
    assert queue.get(active.id).state == CANCELLED
    assert not (tmp_path / "slow.bin").exists() and not (tmp_path / "small.bin").exists()
    queue.retry(waiting.id)
    with queue:
        assert queue.wait(timeout=30)
    assert queue.get(waiting.id).state == DONE, queue.get(waiting.id).error


_WORKER = """
import sys, time
from pathlib import Path
from scene_picker.core.queue import DownloadQueue
queue = DownloadQueue(Path(sys.argv[1]), workers=1)
queue.add_url(sys.argv[2], Path(sys.argv[3]))
queue.start()
time.sleep(600)
"""


def test_a_job_of_a_killed_process_resumes_in_the_next_one(served_dir, proxy, tmp_path):
    """kill -9 mid-download: the job stays in the database, is queued again by the next process
    (its owner is gone) and resumes from the .part."""
    data = make_bytes(4 * MIB + 5, seed=400)
    (served_dir / "resume.bin").write_bytes(data)
    state_file = tmp_path / "queue.sqlite"
    dest = tmp_path / "resume.bin"
    proxy.configure(stall_after=2 * MIB, stall_timeout=60)
    child = subprocess.Popen(
        [sys.executable, "-c", _WORKER, str(state_file), proxy.url("resume.bin"), str(dest)],
        env=cli_env(),
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for(lambda: part_path(dest).exists() and part_path(dest).stat().st_size >= MIB)
        wait_for(lambda: [j["state"] for j in saved(state_file).values()] == [ACTIVE])
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=30)
        child.stderr.close()
    kept = part_path(dest).stat().st_size

    proxy.configure()
    second = DownloadQueue(state_file, workers=1, http=http_client())
    (job,) = second.jobs()
    assert job.state == QUEUED  # its owner died: queued again, not stuck active
    with second:
        assert second.wait(timeout=60)
    assert second.get(job.id).state == DONE
    assert dest.read_bytes() == data
    assert proxy.log[0].range == f"bytes={kept}-" and proxy.bytes_sent == len(data) - kept
    second.close()


def test_shutdown_queues_an_interrupted_job_again(served_dir, proxy, tmp_path):
    (served_dir / "slow2.bin").write_bytes(make_bytes(3 * MIB, seed=401))
    proxy.configure(stall_after=MIB, stall_timeout=30)
    queue = DownloadQueue(tmp_path / "q.sqlite", workers=1, http=http_client())
    job = queue.add_url(proxy.url("slow2.bin"), tmp_path / "slow2.bin")
    queue.start()
    wait_for(lambda: queue.get(job.id).state == ACTIVE and proxy.requests == 1)
    release = threading.Timer(0.3, proxy.release_stall)
    release.start()
    queue.shutdown(cancel_active=True)
    release.join()
    assert queue.get(job.id).state == QUEUED
    assert saved(tmp_path / "q.sqlite")[job.id]["state"] == QUEUED


def test_custom_handler_and_bad_input(tmp_path):
    seen = []

    def handler(job, cancel, progress):
        seen.append(job.payload["scene"])
        return {"files": 0}

    queue = DownloadQueue(tmp_path / "q.json", workers=1, handlers={"scene": handler})
    job = queue.add("scene", {"scene": "S2A_X"}, label="S2A_X")
    with pytest.raises(UsageError):
        queue.add("nope", {})
    with pytest.raises(TypeError):
        queue.add("scene", {"x": object()})
    with queue:
        assert queue.wait(timeout=30)
    assert seen == ["S2A_X"] and queue.get(job.id).result == {"files": 0}
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(QueueCorruptError, match="unreadable"):
        DownloadQueue(tmp_path / "broken.json")
    (tmp_path / "garbage.sqlite").write_bytes(b"not a database, not at all" * 100)
    with pytest.raises(QueueCorruptError, match="garbage.sqlite is unreadable"):
        DownloadQueue(tmp_path / "garbage.sqlite")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/b.tif?X-Amz-Signature=deadbeef0123&X-Amz-Credential=AKIAEXAMPLE",
        "http://alice:s3cret-pw@127.0.0.1:9/b.tif",
        "http://127.0.0.1:9/b.tif?access_token=s3cret-token",
    ],
)
def test_a_url_carrying_a_credential_is_not_persisted(tmp_path, url):
    state = tmp_path / "q.json"
    queue = DownloadQueue(state, workers=1)
    queue.add_url("http://127.0.0.1:9/plain.tif?band=B04", tmp_path / "plain.tif")
    with pytest.raises(UsageError, match="carries a credential.*Queue the scene from its provider") as info:
        queue.add_url(url, tmp_path / "b.tif")
    for secret in ("deadbeef0123", "AKIAEXAMPLE", "s3cret"):
        assert secret not in str(info.value)
        assert all(secret.encode() not in f.read_bytes() for f in tmp_path.rglob("*") if f.is_file())
    assert [job.payload["url"] for job in queue.jobs()] == ["http://127.0.0.1:9/plain.tif?band=B04"]
