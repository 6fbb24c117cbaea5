"""``scene-picker queue``: the state of a persisted download queue (the command line's or the dock's)."""

from __future__ import annotations

import json

from scene_picker.cli.main import main
from scene_picker.cli.queue_cmd import dock_queue_file
from scene_picker.core.errors import NetworkError
from scene_picker.core.queue import DownloadQueue


def _queue_with_a_done_and_a_failed_job(state_file) -> None:
    def work(job, cancel, progress):
        if job.payload["fail"]:
            raise NetworkError("server unreachable after 5 tries")
        return {"files": ["a.tif"]}

    queue = DownloadQueue(state_file, workers=1, handlers={"scene": work})
    queue.add("scene", {"fail": False}, label="SCENE_OK")
    queue.add("scene", {"fail": True}, label="SCENE_BAD")
    queue.start()
    assert queue.wait(timeout=60)
    queue.close()


def test_status_of_a_queue_file_with_a_failure(tmp_path, capsys):
    state = tmp_path / "q.sqlite"
    _queue_with_a_done_and_a_failed_job(state)
    assert main(["queue", str(state)]) == 1
    out = capsys.readouterr().out
    assert f"{state}: 2 jobs (1 done, 1 failed)" in out
    assert "SCENE_OK" in out and "SCENE_BAD" in out
    assert "error: server unreachable after 5 tries" in out
    assert main(["queue", str(state), "--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert sorted(j["state"] for j in document["jobs"]) == ["done", "failed"]


def test_a_download_folder_means_its_queue(tmp_path, capsys):
    state = tmp_path / ".scene-picker" / "queue.sqlite"
    _queue_with_a_done_and_a_failed_job(state)
    assert main(["queue", str(tmp_path)]) == 1
    assert f"{state}: 2 jobs" in capsys.readouterr().out


def test_missing_or_broken_queue_is_a_usage_error(tmp_path, capsys):
    assert main(["queue", str(tmp_path / "none.json")]) == 2
    assert "No download queue at" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["queue", str(bad)]) == 1
    assert "not a readable download queue: Expecting property name" in capsys.readouterr().err
    bad.write_text('{"version": 1}')
    assert main(["queue", str(bad)]) == 1
    assert "no 'jobs' list" in capsys.readouterr().err
    # a database damaged past its header: one line saying so, no traceback
    good = tmp_path / "damaged.sqlite"
    _queue_with_a_done_and_a_failed_job(good)
    data = bytearray(good.read_bytes())
    data[16:] = b"\xff" * (len(data) - 16)  # the magic header stays, the rest is garbage
    good.write_bytes(bytes(data))
    for stale in tmp_path.glob("damaged.sqlite-*"):
        stale.unlink()
    assert main(["queue", str(good)]) == 1
    err = capsys.readouterr().err
    assert (
        err.startswith(f"scene-picker: error: {good} is not a readable download queue")
        and err.count("\n") == 1
    )


def test_an_empty_queue_says_so(tmp_path, capsys):
    DownloadQueue(tmp_path / "q.sqlite").close()
    assert main(["queue", str(tmp_path / "q.sqlite")]) == 0
    assert capsys.readouterr().out.strip() == f"{tmp_path / 'q.sqlite'}: no jobs"


def test_a_legacy_json_queue_is_imported_without_its_secrets(tmp_path, capsys):
    legacy = tmp_path / ".scene-picker" / "queue.json"
    legacy.parent.mkdir()
    signed = "http://127.0.0.1:9/b.tif?X-Amz-Signature=SECRET123"
    job = {"id": "j1", "kind": "url", "label": "b.tif", "state": "active", "done": 5,
           "payload": {"url": signed, "dest": "b.tif"}}  # fmt: skip
    legacy.write_text(json.dumps({"version": 1, "jobs": [job]}))
    assert main(["queue", str(tmp_path)]) == 0  # read as it is, read-only
    assert "SECRET123" not in capsys.readouterr().out
    queue = DownloadQueue(legacy)  # the old path still works: it is migrated to the database
    (migrated,) = queue.jobs()
    assert migrated.id == "j1" and migrated.state == "queued" and migrated.done == 5
    assert "X-Amz-Signature=%2A%2A%2A" in migrated.payload["url"] or "***" in migrated.payload["url"]
    queue.close()
    assert not legacy.exists()
    assert all(b"SECRET123" not in f.read_bytes() for f in tmp_path.rglob("*") if f.is_file())


def test_default_is_the_dock_queue_where_qgis_keeps_it(qgis_app):
    from scene_picker.ui.download_task import default_state_file

    assert dock_queue_file() == default_state_file()


def test_a_legacy_json_queue_is_found_as_the_folders_queue(tmp_path, capsys, monkeypatch):
    legacy = tmp_path / ".scene-picker" / "queue.json"
    legacy.parent.mkdir()
    job = {"id": "j1", "kind": "scene", "label": "OLD_SCENE", "state": "done", "payload": {}}
    legacy.write_text(json.dumps({"version": 1, "jobs": [job]}))
    assert main(["queue", str(tmp_path)]) == 0
    assert f"{legacy}: 1 jobs (1 done)" in capsys.readouterr().out
    monkeypatch.chdir(tmp_path)  # no PATH: the current folder's queue, legacy or not, before the dock's
    assert main(["queue"]) == 0
    assert "OLD_SCENE" in capsys.readouterr().out
    assert legacy.is_file()  # read only: not migrated by looking at it
