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
    queue.shutdown()


def test_status_of_a_queue_file_with_a_failure(tmp_path, capsys):
    state = tmp_path / "q.json"
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
    state = tmp_path / ".scene-picker" / "queue.json"
    _queue_with_a_done_and_a_failed_job(state)
    assert main(["queue", str(tmp_path)]) == 1
    assert f"{state}: 2 jobs" in capsys.readouterr().out


def test_missing_or_broken_queue_is_a_usage_error(tmp_path, capsys):
    assert main(["queue", str(tmp_path / "none.json")]) == 2
    assert "No download queue at" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["queue", str(bad)]) == 2
    assert "not a readable download queue" in capsys.readouterr().err
    bad.write_text('{"version": 1}')
    assert main(["queue", str(bad)]) == 2
    assert "no 'jobs' list" in capsys.readouterr().err


def test_default_is_the_dock_queue_where_qgis_keeps_it(qgis_app):
    from scene_picker.ui.download_task import default_state_file

    assert dock_queue_file() == default_state_file()
