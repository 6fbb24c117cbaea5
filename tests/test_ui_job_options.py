"""The dock's download jobs keep the provider options of the settings they were queued with: a job
resumed after QGIS restarts builds its provider with those, whatever the settings say then; a job queued
by an older version (no options) runs with the settings; a credential in the options is never queued.

The catalog is :class:`support.signing_stac.SigningStac` (pre-signed links: a scene is queued by id and
looked up again when its job runs); the STAC provider looks it up by POST unless ``method=GET``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from scene_picker.catalogs import build_provider
from scene_picker.core.errors import UsageError
from scene_picker.ui import settings
from scene_picker.ui.download_task import KIND, DownloadManager
from scene_picker.ui.providers_info import options_setting

from support.fixtures_engine import make_bytes
from support.signing_stac import SigningStac
from support.ui_wait import clear_plugin_settings, private_qgis_settings, wait_until

pytestmark = pytest.mark.qgis

SCENE, OLD = "DOCK_SIGNED", "DOCK_OLD"


@pytest.fixture
def stac(qgis_app, tmp_path) -> Iterator[SigningStac]:
    items = {SCENE: {"band.bin": make_bytes(256 * 1024, seed=3)}, OLD: {"old.bin": make_bytes(4096, seed=4)}}
    with private_qgis_settings(tmp_path / "qgis-settings"), SigningStac(items) as emulator:
        clear_plugin_settings()
        settings.write_setting("providers/stac/url", emulator.base_url)
        yield emulator
        clear_plugin_settings()


def _done(manager: DownloadManager, job_id: str) -> bool:
    job = manager.job(job_id)
    return job is not None and job.state in ("done", "failed", "cancelled")


def test_a_resumed_dock_job_keeps_the_options_it_was_queued_with(stac, tmp_path):
    settings.write_setting(options_setting("stac"), "method=GET")
    scene = build_provider("stac", {"url": stac.base_url}).get(SCENE)
    state = tmp_path / "queue.sqlite"
    first = DownloadManager(state_file=state, workers=1, per_provider=1)
    slot = first._slot("stac")
    assert slot.acquire(blocking=False)  # the job waits for its provider's slot before building it
    try:
        first.enqueue(scene, tmp_path / "out")
        assert wait_until(lambda: [j.state for j in first.queue.jobs()] == ["active"], 20)
        (job_id,) = [j.id for j in first.queue.jobs()]
        assert first.queue.get(job_id).payload["options"] == {"method": "GET", "url": stac.base_url}
        first.shutdown(timeout=20)  # QGIS quits: the job is kept to resume
    finally:
        slot.release()
    assert first.queue.get(job_id).state == "queued"
    first.queue.close()
    settings.write_setting(options_setting("stac"), "method=POST")  # changed before the next start
    stac.clear_logs()

    second = DownloadManager(state_file=state, workers=1, per_provider=1)  # QGIS starts again
    try:
        assert wait_until(lambda: _done(second, job_id), 30)
        assert second.job(job_id).state == "done", second.job(job_id).error
        (search,) = stac.searches()  # built from the job's options, not today's settings
        assert search.method == "GET" and search.query["ids"] == [SCENE]
        assert Path(second.job(job_id).files[0]).read_bytes() == stac.files["band.bin"]

        # a job as versions before queued options wrote it (ui/download_task.py at commit 311ec9b):
        # no options, the provider comes from the settings when it runs
        old = {"provider": "stac", "key": "old", "scene_id": OLD, "feature": None, "title": OLD}
        old |= {"outdir": str(tmp_path / "out"), "assets": None, "members": None, "total": None, "clip": None}
        old_id = second.queue.add(KIND, old, label=OLD).id
        second.queue.start()
        assert wait_until(lambda: _done(second, old_id), 30)
        assert second.job(old_id).state == "done", second.job(old_id).error
        assert [s.method for s in stac.searches()] == ["GET", "POST"]  # the settings' method=POST

        # an option this version refuses (queued by another version): that job fails, saying why
        bad = {**old, "key": "bad", "options": {"url": stac.base_url, "method": "PATCH"}}
        bad_id = second.queue.add(KIND, bad, label=OLD).id
        second.queue.start()
        assert wait_until(lambda: _done(second, bad_id), 30)
        failed = second.job(bad_id)
        assert failed.state == "failed" and "method" in failed.error and "PATCH" in failed.error
        assert len(stac.searches()) == 2  # no lookup with a provider it could not build
    finally:
        second.shutdown(timeout=20)
        second.queue.close()


@pytest.mark.parametrize("text", ["token=abc-secret-1", "url=http://alice:abc-secret-1@127.0.0.1:9/"])
def test_a_credential_in_the_settings_options_is_never_queued(stac, tmp_path, text):
    settings.write_setting(options_setting("stac"), text)
    scene = build_provider("stac", {"url": stac.base_url}).get(SCENE)
    state = tmp_path / "queue.sqlite"
    manager = DownloadManager(state_file=state, workers=1)
    try:
        with pytest.raises(UsageError) as info:
            manager.enqueue(scene, tmp_path / "out")
        assert "credential" in str(info.value) and "abc-secret-1" not in str(info.value)
        assert manager.queue.jobs() == []
    finally:
        manager.shutdown(timeout=20)
        manager.queue.close()
    stored = [f for f in state.parent.glob(state.name + "*") if f.is_file()]
    assert all(b"abc-secret-1" not in f.read_bytes() for f in stored)
    assert stac.downloads("band.bin") == []
